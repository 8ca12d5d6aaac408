//! End-to-end with the Terraform CLI: what is read from Coupa's users, against the Coupa stand-in:
//! `conductorone_coupa_licenses`, `conductorone_coupa_users`, and the members of groups and
//! roles (`include_members`).
//!
//! Licenses:
//! Exact counts and holders for both values of `active_users_only`, `user_ids` empty without
//! `include_users`, an empty plan after apply; a client without `core.user.read` told so on
//! `client_id`; a wrong secret on `client_secret`. Expected values come from the stand-in's data.

use serde_json::Value;
use testkit::{tenant, terraform, Rig, COUPA_VARIABLES};

const ADDR: &str = "data.conductorone_coupa_licenses.counts";

/// Three readings of the same tenant: counts only (the defaults), holders of active users, and
/// holders of everyone; or only the first (`counts`).
fn config(all_three: bool) -> String {
    let block = |name: &str, extra: &str| {
        format!(
            r#"
data "conductorone_coupa_licenses" "{name}" {{
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
{extra}}}

output "{name}" {{
  value = data.conductorone_coupa_licenses.{name}.licenses
}}
"#
        )
    };
    let mut hcl = [COUPA_VARIABLES.to_owned(), block("counts", "")].concat();
    if all_three {
        hcl += &block("active", "  include_users = true\n");
        hcl += &block(
            "everyone",
            "  include_users     = true\n  active_users_only = false\n",
        );
    }
    hcl
}

/// `(id, user_count, user_ids)` of each element of a `licenses` output.
fn rows(output: &Value) -> Vec<(String, u64, Vec<String>)> {
    output
        .as_array()
        .expect("a list")
        .iter()
        .map(|l| {
            let ids = l["user_ids"].as_array().expect("user_ids is a list");
            (
                l["id"].as_str().expect("id").to_owned(),
                l["user_count"].as_u64().expect("user_count is a number"),
                ids.iter()
                    .map(|i| i.as_str().expect("IDs are strings").to_owned())
                    .collect(),
            )
        })
        .collect()
}

/// What `rows` must be, from the stand-in's tenant.
async fn expected(rig: &Rig, active_only: bool, with_ids: bool) -> Vec<(String, u64, Vec<String>)> {
    tenant::license_holders(&rig.standin, active_only)
        .await
        .into_iter()
        .map(|(id, holders)| {
            let n = holders.len() as u64;
            (id, n, if with_ids { holders } else { Vec::new() })
        })
        .collect()
}

#[tokio::test]
async fn counts_and_holders_match_the_tenant_for_both_settings() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    rig.write(&config(true));
    rig.apply_and_converge();

    let counts = rows(&rig.wd.output("counts"));
    assert_eq!(counts.len(), 19);
    assert_eq!(counts, expected(&rig, true, false).await);
    assert!(
        counts.iter().all(|r| r.2.is_empty()),
        "no IDs without include_users"
    );
    assert!(
        counts.iter().any(|r| r.1 == 0),
        "a license nobody holds is listed"
    );
    let active = rows(&rig.wd.output("active"));
    assert_eq!(active, expected(&rig, true, true).await);
    let everyone = rows(&rig.wd.output("everyone"));
    assert_eq!(everyone, expected(&rig, false, true).await);
    assert!(
        everyone.iter().zip(&active).any(|(e, a)| e.1 > a.1),
        "inactive people hold licenses, so the settings differ"
    );
    // ConductorOne's IDs (four with underscores), names and the hyphenated flags read.
    let mut shown: Vec<(String, String, String)> = rig
        .wd
        .output("counts")
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let text = |k: &str| l[k].as_str().expect(k).to_owned();
            (text("id"), text("name"), text("flag"))
        })
        .collect();
    let mut want: Vec<(String, String, String)> = tenant::CONDUCTORONE_LICENSES
        .iter()
        .map(|(id, name, flag)| (id.to_string(), name.to_string(), flag.to_string()))
        .collect();
    want.sort();
    let sorted_by_id = shown.windows(2).all(|w| w[0].0 < w[1].0);
    assert!(sorted_by_id, "sorted by id: {shown:?}");
    shown.sort();
    assert_eq!(shown, want);

    // People only: the stand-in's API users are never counted, even where no person holds.
    assert!(!tenant::non_people(&rig.standin).await.is_empty());
    let treasury = everyone.iter().find(|r| r.0 == "treasury_user").unwrap();
    assert_eq!(treasury.1, 0);
}

#[tokio::test]
async fn a_client_without_core_user_read_is_told_on_client_id() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    rig.use_coupa_client("no_user");
    rig.write(&config(false));
    let block = rig
        .plan()
        .assert_error_on(ADDR, "Coupa Client Lacks Required Scopes", "client_id");
    assert!(block.contains("core.user.read"), "{block}");
}

#[tokio::test]
async fn a_wrong_secret_is_an_error_on_client_secret() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    rig.wd
        .set_env("TF_VAR_coupa_client_secret", &"0".repeat(64));
    rig.write(&config(false));
    let block = rig.plan().assert_error_on(
        ADDR,
        "Coupa Rejected the Client Credentials",
        "client_secret",
    );
    assert!(block.contains("invalid_client"), "{block}");
}

/// `conductorone_coupa_users` named `name` with `extra` lines, and its output.
fn users_block(name: &str, extra: &str) -> String {
    format!(
        r#"
data "conductorone_coupa_users" "{name}" {{
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
{extra}}}

output "{name}" {{
  value = data.conductorone_coupa_users.{name}.users
}}
"#
    )
}

#[tokio::test]
async fn users_are_exactly_the_tenants_people_with_their_roles_groups_and_licenses() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    rig.write(
        &[
            COUPA_VARIABLES.to_owned(),
            users_block("active", ""),
            users_block("everyone", "  active_only = false\n"),
            users_block("j", "  active_only = false\n  login_regex = \"^j\"\n"),
        ]
        .concat(),
    );
    rig.apply_and_converge();
    let active = rig.wd.output("active");
    let everyone = rig.wd.output("everyone");
    let want_active = tenant::people(&rig.standin, true).await;
    let want_all = tenant::people(&rig.standin, false).await;
    assert!(want_all.len() > want_active.len(), "inactive people exist");
    assert_eq!(active, Value::Array(want_active));
    assert_eq!(everyone, Value::Array(want_all.clone()));
    let with_j: Vec<Value> = want_all
        .into_iter()
        .filter(|u| u["login"].as_str().unwrap().starts_with('j'))
        .collect();
    assert!(!with_j.is_empty());
    assert_eq!(rig.wd.output("j"), Value::Array(with_j));
    // People only: no record that is not a person, though the stand-in has them.
    let non_people = tenant::non_people(&rig.standin).await;
    assert!(!non_people.is_empty());
    let listed: Vec<&str> = everyone
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    for n in &non_people {
        assert!(!listed.contains(&n["id"].to_string().as_str()), "{n}");
    }
    // Someone holds a role, is in a group, holds a license with an underscore ID.
    let e = everyone.as_array().unwrap();
    assert!(e
        .iter()
        .any(|u| !u["role_ids"].as_array().unwrap().is_empty()));
    assert!(e
        .iter()
        .any(|u| !u["group_ids"].as_array().unwrap().is_empty()));
    // One pass over /api/users per data source read, people asked for, roles and groups as ids.
    let log = rig.standin.coupa_requests().await;
    for r in log.iter().filter(|r| r["path"] == "/api/users") {
        let q = r["query"].as_str().unwrap();
        assert!(
            q.contains("type%5Bblank%5D=true") && q.contains("fields="),
            "{q}"
        );
    }
}

#[tokio::test]
async fn groups_and_roles_with_include_members_name_exactly_their_members() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    rig.write(&format!(
        r#"{COUPA_VARIABLES}
data "conductorone_coupa_groups" "g" {{
  coupa_domain     = "acme.coupahost.com"
  client_id        = var.coupa_client_id
  client_secret    = var.coupa_client_secret
  include_members  = true
  include_projects = true
}}

data "conductorone_coupa_roles" "r" {{
  coupa_domain    = "acme.coupahost.com"
  client_id       = var.coupa_client_id
  client_secret   = var.coupa_client_secret
  include_members = true
}}

data "conductorone_coupa_groups" "plain" {{
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}}

output "groups" {{
  value = {{ for g in data.conductorone_coupa_groups.g.groups : g.id => g.user_ids }}
}}

output "roles" {{
  value = {{ for r in data.conductorone_coupa_roles.r.roles : r.id => r.user_ids }}
}}

output "plain" {{
  value = flatten([for g in data.conductorone_coupa_groups.plain.groups : g.user_ids])
}}
"#
    ));
    rig.apply_and_converge();
    let as_map = |v: Value| -> std::collections::BTreeMap<u64, Vec<String>> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, ids)| {
                (
                    k.parse().unwrap(),
                    ids.as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i.as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect()
    };
    let groups = as_map(rig.wd.output("groups"));
    assert_eq!(groups, tenant::group_members(&rig.standin).await);
    assert!(groups.values().any(|m| m.len() > 1), "groups have members");
    let roles = as_map(rig.wd.output("roles"));
    let want_roles = tenant::role_holders(&rig.standin).await;
    assert_eq!(roles, want_roles);
    // The stand-in's API users hold Admin; they are not among its members.
    let admins = &roles[&2];
    for n in tenant::non_people(&rig.standin).await {
        assert!(!admins.contains(&n["id"].to_string()), "{n}");
    }
    assert_eq!(
        rig.wd.output("plain"),
        serde_json::json!([]),
        "no members unless asked"
    );
}

#[tokio::test]
async fn a_client_without_core_user_read_cannot_list_users_or_members_told_on_client_id() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    rig.use_coupa_client("no_user");
    let members = r#"
data "conductorone_coupa_groups" "m" {
  coupa_domain    = "acme.coupahost.com"
  client_id       = var.coupa_client_id
  client_secret   = var.coupa_client_secret
  include_members = true
}
"#;
    rig.write(&[COUPA_VARIABLES, &users_block("u", ""), members].concat());
    let plan = rig.plan();
    for addr in [
        "data.conductorone_coupa_users.u",
        "data.conductorone_coupa_groups.m",
    ] {
        let blocks = plan.errors_about(addr);
        assert_eq!(blocks.len(), 1, "{addr}: {blocks:?}");
        assert!(
            testkit::terraform::has_error_on(
                &blocks[0],
                "Coupa Client Lacks Required Scopes",
                "client_id"
            ) && blocks[0].contains("core.user.read"),
            "{addr}: {blocks:?}"
        );
    }
}
