//! End-to-end: `conductorone_coupa_groups` and `conductorone_coupa_roles` with the real
//! Terraform CLI against the Coupa stand-in.

use serde_json::Value;
use testkit::terraform::has_error_on;
use testkit::{terraform, Rig, Standin, Workdir, COUPA_VARIABLES};

const DOMAIN: &str = "acme.coupahost.com";

fn listing(extra_groups: &str, extra_roles: &str) -> String {
    format!(
        r#"{COUPA_VARIABLES}
data "conductorone_coupa_groups" "g" {{
  coupa_domain  = "{DOMAIN}"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
  {extra_groups}
}}

data "conductorone_coupa_roles" "r" {{
  coupa_domain  = "{DOMAIN}"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
  {extra_roles}
}}

output "groups" {{
  value = data.conductorone_coupa_groups.g.groups
}}

output "roles" {{
  value = data.conductorone_coupa_roles.r.roles
}}
"#
    )
}

/// `(id, name, active)` of the stand-in's seeded groups, or `(id, name)` of its roles.
async fn seeded(standin: &Standin, kind: &str) -> Vec<Value> {
    standin.coupa_get("tenant").await[kind]
        .as_array()
        .expect("tenant listing")
        .clone()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().expect("id is a string").to_owned())
        .collect()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

fn apply_ok(wd: &Workdir) {
    wd.apply().assert_ok("apply");
}

#[tokio::test]
async fn lists_every_seeded_group_and_role_in_id_order() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let wd = &rig.wd;
    wd.write_main(&listing("", ""));
    apply_ok(wd);

    let groups = wd.output("groups");
    let roles = wd.output("roles");
    let want_groups = seeded(standin, "groups").await;
    let want_roles = seeded(standin, "roles").await;
    assert_eq!(want_groups.len(), 137);
    assert_eq!(want_roles.len(), 23);
    let want_ids = |l: &[Value]| -> Vec<String> { l.iter().map(|e| e["id"].to_string()).collect() };
    assert_eq!(ids(&groups), want_ids(&want_groups));
    assert_eq!(ids(&roles), want_ids(&want_roles));
    // Coupa lists projects among the user groups; the stand-in does too, and none is a group.
    let projects = seeded(standin, "projects").await;
    assert!(projects.len() >= 5, "the stand-in seeds projects");
    let listed = ids(&groups);
    for p in &projects {
        assert!(
            !listed.contains(&p["id"].to_string()),
            "project {p} listed as a group"
        );
    }
    let numeric: Vec<u64> = ids(&groups).iter().map(|i| i.parse().unwrap()).collect();
    assert!(
        numeric.windows(2).all(|w| w[0] < w[1]),
        "sorted by numeric id"
    );
    // Every element has every field, typed.
    let g = &groups[0];
    assert!(g["name"].is_string() && g["active"].is_boolean() && g["description"].is_string());
    assert!(g["created_at"].is_string() && g["updated_at"].is_string());
    let admin = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Admin")
        .unwrap();
    assert_eq!(admin["omnipotent"], true);
    assert_eq!(admin["system_role"], true);

    // Each list asked only for its own scope, with JSON and small pages.
    let log = standin.coupa_requests().await;
    let scopes: Vec<&str> = log
        .iter()
        .filter(|r| r["path"] == "/oauth2/token")
        .map(|r| r["scope"].as_str().unwrap_or(""))
        .collect();
    assert!(
        scopes.contains(&"core.user_group.read") && scopes.contains(&"core.common.read"),
        "{scopes:?}"
    );
    assert!(log
        .iter()
        .filter(|r| r["path"] == "/oauth2/token")
        .all(|r| r["auth_style"] == "basic"));
    for r in log.iter().filter(|r| r["path"] == "/api/user_groups") {
        assert_eq!(r["headers"]["accept"], "application/json");
        let q = r["query"].as_str().unwrap();
        assert!(q.contains("limit=50") && q.contains("fields="), "{q}");
        assert!(
            q.contains("type%5Bblank%5D=true"),
            "projects are filtered out: {q}"
        );
    }

    // Roles came through Coupa's GraphQL endpoint in keyset pages; the stand-in, like Coupa's
    // documentation, has no REST roles index, and nobody asked for one.
    assert!(
        log.iter().all(|r| r["path"] != "/api/roles"),
        "REST roles asked"
    );
    let graphql: Vec<&str> = log
        .iter()
        .filter(|r| r["path"] == "/api/graphql" && r["status"] == 200)
        .map(|r| r["graphql"].as_str().expect("the query is logged"))
        .collect();
    assert_eq!(graphql.len(), 2, "23 roles: one page, then an empty one");
    assert!(
        graphql[0].starts_with("query { roles(query: \"\") {"),
        "{graphql:?}"
    );
    let last = want_ids(&want_roles).last().cloned().unwrap();
    assert!(
        graphql[1].starts_with(&format!("query {{ roles(query: \"id[gt]={last}\") {{")),
        "{graphql:?}"
    );
    assert!(roles
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["system_role"].is_boolean()));

    // Reading again (a plan refreshes data sources) gives the same lists: nothing to change.
    assert_eq!(wd.plan().code, 0);
}

#[tokio::test]
async fn name_regex_and_active_filter_the_lists() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let wd = &rig.wd;
    wd.write_main(&listing(
        "name_regex = \"(?i)approv\"\n  active = true",
        "name_regex = \"^(Admin|Buyer)$\"",
    ));
    apply_ok(wd);

    let re = regex::Regex::new("(?i)approv").unwrap();
    let want: Vec<String> = seeded(standin, "groups")
        .await
        .iter()
        .filter(|g| g["active"] == true && re.is_match(g["name"].as_str().unwrap()))
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(names(&wd.output("groups")), want);
    assert_eq!(names(&wd.output("roles")), vec!["Admin", "Buyer"]);

    // Only inactive groups, and a filter matching nothing gives an empty list.
    wd.write_main(&listing(
        "active = false",
        "name_regex = \"^no such role$\"",
    ));
    apply_ok(wd);
    let inactive = wd.output("groups");
    let want_inactive = seeded(standin, "groups")
        .await
        .iter()
        .filter(|g| g["active"] == false)
        .count();
    assert!(want_inactive > 0);
    assert_eq!(inactive.as_array().unwrap().len(), want_inactive);
    assert!(inactive
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["active"] == false));
    assert_eq!(wd.output("roles"), serde_json::json!([]));
}

#[tokio::test]
async fn wrong_secret_is_an_error_on_client_secret() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    let wd = &mut rig.wd;
    wd.set_env(
        "TF_VAR_coupa_client_secret",
        "0000000000000000000000000000000000000000000000000000000000000000",
    );
    wd.write_main(&listing("", ""));
    let run = wd.plan();
    run.assert_failed("wrong secret");
    let out = run.all();
    assert!(
        has_error_on(
            &out,
            "Coupa Rejected the Client Credentials",
            "client_secret"
        ),
        "{out}"
    );
    assert!(out.contains("invalid_client"), "{out}");
}

#[tokio::test]
async fn missing_scope_fails_the_roles_listing_naming_the_scope() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let wd = &mut rig.wd;
    wd.set_env(
        "TF_VAR_coupa_client_id",
        &standin.coupa_client("no_common", "client_id"),
    );
    wd.set_env(
        "TF_VAR_coupa_client_secret",
        &standin.coupa_client("no_common", "client_secret"),
    );
    wd.write_main(&listing("", ""));
    let run = wd.plan();
    run.assert_failed("client without core.common.read");
    let out = run.all();
    assert!(
        has_error_on(&out, "Coupa Client Lacks Required Scopes", "client_id"),
        "{out}"
    );
    assert!(out.contains("core.common.read"), "{out}");
    assert_eq!(
        run.errors_about("data.conductorone_coupa_roles.r").len(),
        1,
        "{out}"
    );
    // The groups listing, which needs only core.user_group.read, is not what failed (Terraform
    // 1.11 names it in its progress lines, so the errors are what is compared).
    assert!(
        run.errors_about("data.conductorone_coupa_groups.g")
            .is_empty(),
        "{out}"
    );
}

#[tokio::test]
async fn invalid_domains_fail_validate_without_any_request() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let wd = &rig.wd;
    for domain in [
        "acme.coupa.com",
        "http://acme.coupahost.com",
        "acme.risk.coupahost.com",
        "acme.coupahost.com:8443",
        "10.0.0.1",
        "coupahost.com",
        "acme_corp.coupahost.com",
    ] {
        wd.write_main(&format!(
            "{COUPA_VARIABLES}\ndata \"conductorone_coupa_groups\" \"g\" {{\n  coupa_domain  = \"{domain}\"\n  client_id     = var.coupa_client_id\n  client_secret = var.coupa_client_secret\n}}\n"
        ));
        let run = wd.validate();
        run.assert_failed(domain);
        let out = run.all();
        assert!(
            has_error_on(&out, "Invalid Coupa Domain", "coupa_domain"),
            "{domain}: {out}"
        );
        assert!(
            out.contains("coupahost.com") && out.contains("coupacloud.com"),
            "shows the expected form: {out}"
        );
    }
    // A bad regex too, offline.
    wd.write_main(&listing("name_regex = \"(unclosed\"", ""));
    let run = wd.validate();
    run.assert_failed("bad regex");
    assert!(
        has_error_on(&run.all(), "Invalid Regular Expression", "name_regex"),
        "{}",
        run.all()
    );
    assert!(
        standin.coupa_requests().await.is_empty(),
        "validation made a request"
    );
    assert!(
        standin.c1_requests().await.is_empty(),
        "validation made a request"
    );
}

/// Projects appear only with `include_projects = true`, each typed `Project`, among the groups
/// by id (whose `type` is null); without it the list has groups only and asks Coupa to leave
/// projects out.
#[tokio::test]
async fn projects_appear_only_with_include_projects_and_are_typed() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let wd = &rig.wd;
    let config = |include: &str| {
        format!(
            "{COUPA_VARIABLES}\ndata \"conductorone_coupa_groups\" \"g\" {{\n  coupa_domain  = \"{DOMAIN}\"\n  client_id     = var.coupa_client_id\n  client_secret = var.coupa_client_secret\n  {include}\n}}\n\noutput \"groups\" {{\n  value = data.conductorone_coupa_groups.g.groups\n}}\n"
        )
    };
    let groups = seeded(standin, "groups").await;
    let projects = seeded(standin, "projects").await;
    assert!(!projects.is_empty());
    let mut want: Vec<(u64, Value)> = groups
        .iter()
        .map(|g| (g["id"].as_u64().unwrap(), Value::Null))
        .chain(
            projects
                .iter()
                .map(|p| (p["id"].as_u64().unwrap(), Value::from("Project"))),
        )
        .collect();
    want.sort_by_key(|(id, _)| *id);
    let typed = |out: &Value| -> Vec<(u64, Value)> {
        out.as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["id"].as_str().unwrap().parse().unwrap(),
                    g["type"].clone(),
                )
            })
            .collect()
    };

    wd.write_main(&config("include_projects = true"));
    apply_ok(wd);
    assert_eq!(typed(&wd.output("groups")), want);
    let log = standin.coupa_requests().await;
    let pages: Vec<&Value> = log
        .iter()
        .filter(|r| r["path"] == "/api/user_groups")
        .collect();
    assert!(!pages.is_empty());
    for r in pages {
        let q = r["query"].as_str().unwrap();
        assert!(!q.contains("type%5Bblank%5D"), "no type filter: {q}");
    }
    assert_eq!(wd.plan().code, 0);

    standin.clear_logs().await;
    wd.write_main(&config(""));
    apply_ok(wd);
    let only_groups: Vec<(u64, Value)> = want.into_iter().filter(|(_, t)| t.is_null()).collect();
    assert_eq!(typed(&wd.output("groups")), only_groups);
    assert_eq!(only_groups.len(), groups.len());
}

/// Coupa's GraphQL refuses the roles query that asks for `omnipotent` and `systemRole`: the
/// roles are listed with the proven fields, the flags are null, and a warning says why,
/// quoting the refusal.
#[tokio::test]
async fn roles_without_the_flags_warn_quoting_coupas_refusal() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    rig.standin
        .coupa_post("config", serde_json::json!({"graphql_role_flags": false}))
        .await;
    let wd = &rig.wd;
    wd.write_main(&listing("", ""));
    let apply = wd.apply();
    apply.assert_ok("apply");
    apply.assert_says(&[
        "Warning: Coupa Role Flags Unavailable",
        "refused the roles query that asks for `omnipotent` and `systemRole`",
        "Field 'omnipotent' doesn't exist on type 'Role'",
        "`omnipotent` and `system_role` are null for every role",
    ]);
    let roles = wd.output("roles");
    let roles = roles.as_array().unwrap();
    assert_eq!(roles.len(), 23);
    assert!(roles
        .iter()
        .all(|r| r["omnipotent"].is_null() && r["system_role"].is_null()));
    // With the flags served, no warning.
    rig.standin
        .coupa_post("config", serde_json::json!({"graphql_role_flags": true}))
        .await;
    wd.apply()
        .assert_ok("apply with the flags")
        .assert_never_says(&["Coupa Role Flags Unavailable"]);
}
