//! The create's rules offline: which connector a lost create made, which failures are looked
//! up; and on the wire against the stand-in: the check for an existing connector, and a create
//! sent again once it is proven not carried out.

use super::*;
use crate::conductorone::model::{ConfigValue, EnvConfig};
use crate::secret::Secret;
use std::collections::BTreeMap;

fn new() -> NewConnector {
    NewConnector {
        catalog_id: "cat".into(),
        user_ids: vec![],
        config: BTreeMap::from([
            (
                "coupa-domain".to_owned(),
                ConfigValue::from("acme.coupahost.com"),
            ),
            ("client-id".to_owned(), ConfigValue::from("cid")),
            (
                "secret".to_owned(),
                ConfigValue::from(Secret::new("s3cr3t")),
            ),
        ]),
    }
}

/// What the API lists for the connector `new()` made at 2025-01-02T03:04:05Z.
fn listed() -> Connector {
    Connector {
        id: "c1".into(),
        catalog_id: "cat".into(),
        user_ids: vec!["u1".into()],
        config: Some(EnvConfig {
            values: BTreeMap::from([
                ("coupa-domain".to_owned(), "acme.coupahost.com".to_owned()),
                ("client-id".to_owned(), "cid".to_owned()),
            ]),
        }),
        created_at: Some("2025-01-02T03:04:05.5Z".into()),
        ..Default::default()
    }
}

/// The comparable form of the tests: the domain lowercased and trimmed of a scheme and a `/`.
fn loose(key: &str, value: &str) -> String {
    if key == "coupa-domain" {
        value
            .trim()
            .to_ascii_lowercase()
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned()
    } else {
        value.to_owned()
    }
}

fn identity() -> Identity {
    let n = new();
    Identity::new(&n.catalog_id, &n.config, loose)
}

#[test]
fn a_candidate_is_live_of_the_catalog_and_not_ruled_out_by_config() {
    let id = identity();
    assert!(id.may_be(&listed()));
    assert!(id.is_twin(&listed()));
    // Owners and creation time never rule a candidate out: a server may add the caller to the
    // owners, and the clocks may differ.
    let kept: [fn(&mut Connector); 5] = [
        |c| c.created_at = Some("2001-01-02T03:02:00Z".into()),
        |c| c.created_at = None,
        |c| c.user_ids = vec!["u9".into()],
        |c| c.config = None,
        |c| {
            c.config.as_mut().unwrap().values.remove("client-id");
        },
    ];
    for (i, change) in kept.iter().enumerate() {
        let mut c = listed();
        change(&mut c);
        assert!(id.may_be(&c), "kept variant {i}");
    }
    // Without the values shown, a candidate is not adopted (it is reported).
    let mut bare = listed();
    bare.config = None;
    assert!(!id.is_twin(&bare) && !id.shows_keys(&bare));
    // The domain in another spelling is the same value, in every comparison.
    let mut spelled = listed();
    spelled
        .config
        .as_mut()
        .unwrap()
        .values
        .insert("coupa-domain".into(), " https://ACME.coupahost.com/".into());
    assert!(id.is_twin(&spelled) && id.may_be(&spelled));

    let ruled_out: [fn(&mut Connector); 3] = [
        |c| c.deleted_at = Some("2025-01-02T03:05:00Z".into()),
        |c| c.catalog_id = "other".into(),
        |c| {
            c.config
                .as_mut()
                .unwrap()
                .values
                .insert("client-id".into(), "other".into());
        },
    ];
    for (i, change) in ruled_out.iter().enumerate() {
        let mut c = listed();
        change(&mut c);
        assert!(!id.may_be(&c) && !id.is_twin(&c), "ruled-out variant {i}");
    }
}

/// The lock key leaves secrets out and compares values in their comparable form.
#[test]
fn the_lock_key_is_the_app_the_catalog_and_the_comparable_values() {
    let mut other_spelling = new();
    other_spelling.config.insert(
        "coupa-domain".into(),
        ConfigValue::from("https://ACME.coupahost.com/"),
    );
    other_spelling
        .config
        .insert("secret".into(), ConfigValue::from(Secret::new("another")));
    let key = identity().lock_key("app");
    assert_eq!(
        Identity::new("cat", &other_spelling.config, loose).lock_key("app"),
        key
    );
    assert!(!key.contains("s3cr3t"));
    assert_ne!(identity().lock_key("app2"), key);
}

/// Only the proofs that a create was not carried out skip the lookup: a connection never made,
/// a request never sent, a 4xx. Everything else may have been made.
#[test]
fn only_proofs_of_no_action_skip_the_lookup() {
    let http = |e: HttpError| ApiError::Http(e);
    let status = |s: u16| ApiError::Status {
        status: s,
        code: None,
        message: String::new(),
        request_id: None,
        at: "h/p".into(),
    };
    let host = || "h".to_owned();
    let proofs = [
        http(HttpError::Connect {
            host: host(),
            reason: "refused".into(),
        }),
        http(HttpError::Certificate {
            host: host(),
            reason: "unknown issuer".into(),
        }),
        http(HttpError::Interrupted {
            host: host(),
            after: None,
        }),
        status(400),
        status(403),
        status(404),
        status(409),
        status(429),
        ApiError::Invalid("x".into()),
    ];
    for e in &proofs {
        assert!(!may_have_acted(e), "{e:?} proves the create was not made");
    }
    let maybe = [
        status(500),
        status(502),
        status(503),
        status(504),
        http(HttpError::Transport {
            host: host(),
            reason: "reset".into(),
        }),
        http(HttpError::Timeout {
            host: host(),
            limit: Duration::from_secs(1),
        }),
        http(HttpError::TooLarge {
            host: host(),
            limit: 10,
        }),
        ApiError::Decode {
            what: "the connector create".into(),
            detail: "cut short".into(),
            status: 200,
            request_id: None,
        },
    ];
    for e in &maybe {
        assert!(may_have_acted(e), "{e:?} may have been made");
    }
}

// On the wire, against the stand-in
// ---------------------------------------------------------------------------------------------

mod on_the_wire;
