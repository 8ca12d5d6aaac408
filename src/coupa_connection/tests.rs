use super::*;

fn detail(blame: &Blame, missing: &[&str]) -> String {
    let mut diags = Diagnostics::default();
    let e = TokenError::InvalidScope {
        missing: missing.iter().map(|s| s.to_string()).collect(),
        exact: true,
        request_id: None,
    };
    report_token_error(&mut diags, blame, "acme.coupahost.com", &e);
    diags.errors[0].detail.to_string()
}

#[test]
fn the_read_only_hint_comes_only_for_missing_writes_in_provisioning() {
    let provisioning = Blame::integration(true);
    let listing = Blame::LISTING;
    assert!(!Blame::integration(false).read_only_hint);
    let hint = "access_mode = \"read_only\"";
    let writes = ["core.user.write", "core.user_group.write"];
    assert!(detail(&provisioning, &writes).contains(hint));
    assert!(detail(&provisioning, &["core.user.write"]).contains(hint));
    for missing in [
        &["core.user.read"][..],
        &["core.user.write", "core.user.read"],
    ] {
        assert!(
            !detail(&provisioning, missing).contains(hint),
            "{missing:?}"
        );
    }
    for blame in [&provisioning, &listing] {
        let d = detail(blame, &["core.user.read"]);
        assert!(
            d.contains("`core.user.read`") && d.contains("Setup > Integrations"),
            "{d}"
        );
        assert!(!d.contains("change the scopes requested"), "{d}");
    }
    assert!(!detail(&listing, &writes).contains(hint));
}

/// Coupa's 400 `invalid_client` for many causes: plain, on `client_secret` with Coupa's words;
/// naming scopes, on `client_id` as a missing scope, with the read-only hint where it applies.
#[test]
fn an_invalid_client_naming_scopes_is_a_missing_scope() {
    let report = |blame: &Blame, scopes: &[&str]| {
        let mut diags = Diagnostics::default();
        let e = TokenError::InvalidClient {
            description: "Scope core.user.write is not allowed.".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            request_id: None,
        };
        report_token_error(&mut diags, blame, "acme.coupahost.com", &e);
        let d = &diags.errors[0];
        (
            d.summary.to_string(),
            format!("{:?}", d.attribute),
            d.detail.to_string(),
        )
    };
    let (summary, attr, detail) = report(&Blame::integration(true), &["core.user.write"]);
    assert_eq!(summary, "Coupa Client Lacks Required Scopes");
    assert!(attr.contains("client_id"), "{attr}");
    assert!(
        detail.contains("Coupa says: \"Scope core.user.write is not allowed.\""),
        "{detail}"
    );
    assert!(detail.contains("`core.user.write`"), "{detail}");
    assert!(detail.contains("access_mode = \"read_only\""), "{detail}");
    let (summary, attr, detail) = report(&Blame::LISTING, &[]);
    assert_eq!(summary, "Coupa Rejected the Client Credentials");
    assert!(attr.contains("client_secret"), "{attr}");
    assert!(detail.contains("Coupa says:"), "{detail}");
}

#[test]
fn every_caller_blames_the_same_attributes() {
    for blame in [Blame::LISTING, Blame::integration(true)] {
        assert_eq!(
            (blame.domain, blame.secret, blame.scopes),
            ("coupa_domain", "client_secret", "client_id")
        );
    }
}

fn text(s: &str) -> Value<String> {
    Value::Value(s.into())
}

fn parse(domain: &Value<String>, id: &Value<String>, secret: &Value<String>) -> Parsed {
    Connection {
        domain,
        client_id: id,
        secret,
    }
    .parse()
}

#[test]
fn the_parse_tells_known_unknown_none_and_missing_apart() {
    let (d, i, s) = (
        text("https://ACME.coupahost.com/"),
        text("cid"),
        text("shh"),
    );
    match parse(&d, &i, &s) {
        Parsed::Known(c) => {
            assert_eq!(c.domain().host(), "acme.coupahost.com");
            assert_eq!(c.client_id(), "cid");
            assert_eq!(c.secret().expose(), "shh");
        }
        other => panic!("{other:?}"),
    }
    let (u, n) = (Value::Unknown, Value::Null);
    assert!(matches!(parse(&u, &i, &s), Parsed::Unknown));
    assert!(matches!(parse(&n, &i, &u), Parsed::Unknown), "unknown wins");
    assert!(matches!(parse(&n, &n, &n), Parsed::NoneSet));
    match parse(&d, &n, &n) {
        Parsed::Missing(m) => assert_eq!(m, ["client_id", "client_secret"]),
        other => panic!("{other:?}"),
    }
    match parse(&n, &i, &s) {
        Parsed::Missing(m) => assert_eq!(m, ["coupa_domain"]),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse(&text("example.com"), &i, &s),
        Parsed::BadDomain
    ));
}

#[test]
fn apply_learns_which_attribute_has_no_usable_value() {
    let (d, i, s) = (text("acme.coupahost.com"), text("cid"), text("shh"));
    let (u, n, bad) = (Value::Unknown, Value::Null, text("example.com"));
    let attr = |domain: &Value<String>, client_id: &Value<String>, secret: &Value<String>| {
        Connection {
            domain,
            client_id,
            secret,
        }
        .credentials_or_attribute()
        .err()
    };
    assert_eq!(attr(&d, &i, &s), None);
    assert_eq!(attr(&bad, &u, &s), Some("coupa_domain"));
    assert_eq!(attr(&u, &i, &s), Some("coupa_domain"));
    assert_eq!(attr(&d, &n, &s), Some("client_id"));
    assert_eq!(attr(&d, &i, &u), Some("client_secret"));
}

#[test]
fn the_offline_checks_name_the_attribute() {
    let mut diags = Diagnostics::default();
    let (d, i, s) = (text("example.com"), text(" cid"), text(""));
    Connection {
        domain: &d,
        client_id: &i,
        secret: &s,
    }
    .check(&mut diags);
    let summaries: Vec<String> = diags
        .errors
        .iter()
        .map(|e| format!("{:?} {}", e.attribute, e.summary))
        .collect();
    assert_eq!(summaries.len(), 3, "{summaries:?}");
    assert!(summaries[0].contains("coupa_domain") && summaries[0].contains("Invalid Coupa Domain"));
    assert!(summaries[1].contains("client_id") && summaries[1].contains("Leading or Trailing"));
    assert!(summaries[2].contains("client_secret") && summaries[2].contains("Empty Value"));
}
