//! `conductorone_coupa_licenses` through the provider's own methods ([`Lifecycle`]) against the
//! stand-ins: exact counts and holders for both values of `active_users_only`, one pass over
//! `/api/users` under the rate limit, and the errors a client without `core.user.read` meets.
//! Expected values come from the stand-in's data (`testkit::tenant`), not from the provider.

use std::collections::BTreeSet;

use tf_provider::value::Value;

use testkit::lifecycle::s;
use testkit::{Lifecycle, Standin};
use tfp_conductorone::data_sources::coupa_licenses;

fn licenses_config(standin: &Standin, client: &str) -> coupa_licenses::State {
    coupa_licenses::State {
        coupa_domain: s("acme.coupahost.com"),
        client_id: s(&standin.coupa_client(client, "client_id")),
        client_secret: s(&standin.coupa_client(client, "client_secret")),
        ..Default::default()
    }
}

/// `(id, user_count, user_ids)` of each element of `licenses`.
fn license_rows(state: &coupa_licenses::State) -> Vec<(String, i64, Vec<String>)> {
    let text = |v: &Value<String>| v.as_ref_option().cloned().unwrap_or_default();
    state
        .licenses
        .as_ref_option()
        .expect("licenses")
        .iter()
        .map(|l| {
            let ids = l.user_ids.as_ref_option().expect("user_ids");
            (
                text(&l.id),
                *l.user_count.as_ref_option().expect("user_count"),
                ids.iter().map(text).collect(),
            )
        })
        .collect()
}

/// What `license_rows` must be, from the stand-in's own data.
async fn expected_rows(
    standin: &Standin,
    active_only: bool,
    with_ids: bool,
) -> Vec<(String, i64, Vec<String>)> {
    testkit::tenant::license_holders(standin, active_only)
        .await
        .into_iter()
        .map(|(id, holders)| {
            let count = holders.len() as i64;
            (id, count, if with_ids { holders } else { Vec::new() })
        })
        .collect()
}

#[tokio::test]
async fn licenses_count_people_in_one_pass_for_both_settings() {
    let standin = Standin::start();
    let life = Lifecycle::start(&standin).await;
    let defaults = life
        .read_licenses(licenses_config(&standin, "read_only"))
        .await
        .ok();
    assert_eq!(defaults.id, s("acme.coupahost.com/licenses"));
    let rows = license_rows(&defaults);
    assert_eq!(rows.len(), 19);
    assert_eq!(rows, expected_rows(&standin, true, false).await);
    assert!(
        rows.iter().any(|r| r.1 == 0),
        "a license nobody holds is listed"
    );
    assert_eq!(
        rows.iter()
            .find(|r| r.0 == "purchasing-user")
            .map(|r| r.1 > 50),
        Some(true)
    );
    let names: Vec<String> = defaults
        .licenses
        .as_ref_option()
        .unwrap()
        .iter()
        .map(|l| l.name.as_ref_option().cloned().unwrap_or_default())
        .collect();
    assert_eq!(names[0], "AI classification");
    assert!(names.contains(&"Purchasing".to_owned()));

    // One pass over the people: pages of 50 with the projection and the filter, one scope.
    let log = standin.coupa_requests().await;
    let pages: Vec<&str> = log
        .iter()
        .filter(|r| r["path"] == "/api/users")
        .map(|r| r["query"].as_str().unwrap_or(""))
        .collect();
    assert_pages_cover(&pages, 180);
    for q in &pages {
        assert!(
            q.contains("limit=50") && q.contains("type%5Bblank%5D=true"),
            "{q}"
        );
        assert!(
            q.contains("fields=") && q.contains("purchasing-user"),
            "{q}"
        );
    }
    let scopes: Vec<&str> = log
        .iter()
        .filter(|r| r["path"] == "/oauth2/token")
        .map(|r| r["scope"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(scopes, ["core.user.read"]);

    // Holders, active people only and everyone.
    let mut cfg = licenses_config(&standin, "read_only");
    cfg.include_users = Value::Value(true);
    let active = life.read_licenses(cfg.clone()).await.ok();
    assert_eq!(
        license_rows(&active),
        expected_rows(&standin, true, true).await
    );
    cfg.active_users_only = Value::Value(false);
    let everyone = life.read_licenses(cfg).await.ok();
    let all_rows = license_rows(&everyone);
    assert_eq!(all_rows, expected_rows(&standin, false, true).await);
    assert!(
        all_rows
            .iter()
            .zip(license_rows(&active))
            .any(|(a, b)| a.1 > b.1),
        "inactive people hold licenses too"
    );
    // The stand-in's API users hold treasury_user (flag treasury-user), which no person holds:
    // not counted.
    assert!(!testkit::tenant::non_people(&standin).await.is_empty());
    assert_eq!(
        all_rows
            .iter()
            .find(|r| r.0 == "treasury_user")
            .map(|r| r.1),
        Some(0)
    );
}

#[tokio::test]
async fn licenses_errors_name_the_scope_and_drop_what_is_not_a_person() {
    let standin = Standin::start();
    let life = Lifecycle::start(&standin).await;

    // A client without core.user.read: its token request is refused, naming the scope.
    let out = life
        .read_licenses(licenses_config(&standin, "no_user"))
        .await;
    assert!(out.value.is_none());
    assert!(
        out.has_error_on("Coupa Client Lacks Required Scopes", "client_id"),
        "{:?}",
        out.errors()
    );
    assert!(out.text().contains("core.user.read"), "{}", out.text());

    // A 403 on the listing itself names the scope too, on the same attribute.
    standin
        .coupa_fault(
            serde_json::json!({"path_prefix": "/api/users", "status": 403,
            "body": {"errors": {"base": ["Access denied"]}}}),
        )
        .await;
    let out = life
        .read_licenses(licenses_config(&standin, "read_only"))
        .await;
    assert!(
        out.has_error_on("Coupa Refused to List Users", "client_id"),
        "{:?}",
        out.errors()
    );
    assert!(out.text().contains("`core.user.read`"), "{}", out.text());

    // A server that ignores `type[blank]=true`: the API user it returns is not counted.
    standin
        .coupa_fault(
            serde_json::json!({"path_prefix": "/api/users", "status": 200,
            "content_type": "application/json",
            "body": [{"id": 5, "type": "ApiUser", "active": true, "purchasing-user": true},
                     {"id": 6, "type": null, "active": true, "treasury-user": true}]}),
        )
        .await;
    let mut cfg = licenses_config(&standin, "read_only");
    cfg.include_users = Value::Value(true);
    let rows = license_rows(&life.read_licenses(cfg).await.ok());
    let held: Vec<_> = rows.iter().filter(|r| r.1 > 0).collect();
    assert_eq!(
        held,
        [&("treasury_user".to_owned(), 1, vec!["6".to_owned()])],
        "ConductorOne's ID, read from the hyphenated flag"
    );
}

#[tokio::test]
async fn thousands_of_users_stay_under_the_rate_limit() {
    let standin = Standin::start_with(testkit::StandinOptions {
        users: 2_000,
        coupa_rate_limit: true,
        ..Default::default()
    });
    let life = Lifecycle::start(&standin).await;
    let state = life
        .read_licenses(licenses_config(&standin, "read_only"))
        .await
        .ok();
    assert_eq!(
        license_rows(&state),
        expected_rows(&standin, true, false).await
    );
    let stats = standin.coupa_get("stats").await;
    assert_eq!(stats["rate_limited"], 0, "no 429: {stats}");
    let log = standin.coupa_requests().await;
    let pages: Vec<&str> = log
        .iter()
        .filter(|r| r["path"] == "/api/users")
        .map(|r| r["query"].as_str().unwrap_or(""))
        .collect();
    assert_pages_cover(&pages, 2_000);
}

/// The `/api/users` requests asked each page of `people` once: every offset up to the last
/// (short or empty) page, and at most a few past it (pages already in flight when the end shows).
#[track_caller]
fn assert_pages_cover(queries: &[&str], people: usize) {
    let offsets: Vec<usize> = queries
        .iter()
        .map(|q| {
            q.split('&')
                .find_map(|p| p.strip_prefix("offset="))
                .and_then(|o| o.parse().ok())
                .unwrap_or_else(|| panic!("no offset in {q}"))
        })
        .collect();
    let distinct: BTreeSet<usize> = offsets.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        offsets.len(),
        "a page asked twice: {offsets:?}"
    );
    let needed: BTreeSet<usize> = (0..=people / 50).map(|p| p * 50).collect();
    assert!(distinct.is_superset(&needed), "{offsets:?}");
    assert!(distinct.len() <= needed.len() + 8, "{offsets:?}");
}
