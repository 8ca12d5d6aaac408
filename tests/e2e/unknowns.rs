//! End-to-end with the Terraform CLI: every argument of the resource (`wait_for_sync` included: an
//! unknown one is planned as if it may wait) and of both data sources fed
//! from another resource's attribute that is unknown at plan time, on create and on update. The
//! apply converges (no "Provider produced inconsistent final plan"), an unknown `app_id` on
//! update is planned as a replacement, and the next plan is empty.
//!
//! The unknown values come from `substr(<seed>.created_at, 0, 0)`: an empty string that Terraform
//! only knows once the seed integration exists, prepended to the real value.

use testkit::{terraform, Rig, Run, COUPA_VARIABLES};

/// The resource's arguments, each in turn the unknown one.
const RESOURCE_ARGS: [&str; 8] = [
    "app_id",
    "coupa_domain",
    "client_id",
    "client_secret",
    "access_mode",
    "user_ids",
    "validate_credentials",
    "wait_for_sync",
];
/// The data sources' arguments, each in turn the unknown one.
const GROUPS_ARGS: [&str; 5] = [
    "coupa_domain",
    "client_id",
    "client_secret",
    "name_regex",
    "active",
];
const ROLES_ARGS: [&str; 4] = ["coupa_domain", "client_id", "client_secret", "name_regex"];

/// What the configuration holds at one step.
struct Step<'a> {
    /// The seed integration whose `created_at` is unknown during this step's plan.
    seed: &'a str,
    app: &'a str,
    /// The app that `r_app_id` moves to (a replacement on update).
    app_for_app_id: &'a str,
    /// The owner of every integration, and the one `r_user_ids` moves to.
    owner: &'a str,
    owner_for_user_ids: &'a str,
    /// Suffix of the domain of `r_coupa_domain`, changed on update.
    domain_suffix: &'a str,
}

/// An integration whose argument `unknown` is fed from `later` (unknown during plan).
fn resource(unknown: &str, step: &Step, later: &str) -> String {
    let dom = format!("r-{}", unknown.replace('_', "-"));
    let l = format!("${{{later}}}");
    let args: [(&str, String, String); 8] = [
        (
            "app_id",
            format!("\"{}\"", step.app),
            format!("\"{l}{}\"", step.app_for_app_id),
        ),
        (
            "coupa_domain",
            format!("\"{dom}.coupahost.com\""),
            format!("\"{l}{dom}{}.coupahost.com\"", step.domain_suffix),
        ),
        (
            "client_id",
            "var.coupa_client_id".into(),
            format!("\"{l}${{var.coupa_client_id}}\""),
        ),
        (
            "client_secret",
            "var.coupa_client_secret".into(),
            format!("\"{l}${{var.coupa_client_secret}}\""),
        ),
        (
            "access_mode",
            "\"read_only\"".into(),
            format!("\"{l}read_only\""),
        ),
        (
            "user_ids",
            format!("[\"{}\"]", step.owner),
            format!("[\"{l}{}\"]", step.owner_for_user_ids),
        ),
        (
            "validate_credentials",
            "true".into(),
            format!("{later} == \"\""),
        ),
        // Unknown at plan, `true` at apply: planned as if it may wait (`sync_status` unknown).
        ("wait_for_sync", "false".into(), format!("{later} == \"\"")),
    ];
    let lines: Vec<String> = args
        .iter()
        .map(|(attr, known, unknown_expr)| {
            let value = if *attr == unknown {
                unknown_expr
            } else {
                known
            };
            format!("  {attr} = {value}")
        })
        .collect();
    format!(
        "resource \"conductorone_coupa_integration\" \"r_{unknown}\" {{\n{}\n}}\n",
        lines.join("\n")
    )
}

fn data_source(kind: &str, unknown: &str, later: &str) -> String {
    let value = |attr: &str, known: &str| -> String {
        if attr != unknown {
            return known.to_owned();
        }
        match attr {
            "active" => format!("{later} == \"\""),
            "client_id" => format!("\"${{{later}}}${{var.coupa_client_id}}\""),
            "client_secret" => format!("\"${{{later}}}${{var.coupa_client_secret}}\""),
            _ => format!("\"${{{later}}}{}\"", known.trim_matches('"')),
        }
    };
    let mut lines = vec![
        format!(
            "  coupa_domain = {}",
            value("coupa_domain", "\"acme.coupahost.com\"")
        ),
        format!(
            "  client_id = {}",
            value("client_id", "var.coupa_client_id")
        ),
        format!(
            "  client_secret = {}",
            value("client_secret", "var.coupa_client_secret")
        ),
        format!("  name_regex = {}", value("name_regex", "\"e\"")),
    ];
    if kind == "groups" {
        lines.push(format!("  active = {}", value("active", "true")));
    }
    let name = format!("{kind}_{unknown}");
    format!(
        "data \"conductorone_coupa_{kind}\" \"{name}\" {{\n{}\n}}\n\noutput \"{name}\" {{\n  value = length(data.conductorone_coupa_{kind}.{name}.{kind})\n}}\n",
        lines.join("\n")
    )
}

fn config(step: &Step, seeds: &[&str], app: &str) -> String {
    let mut out = String::from(COUPA_VARIABLES);
    for seed in seeds {
        out.push_str(&format!(
            "resource \"conductorone_coupa_integration\" \"{seed}\" {{\n  app_id = \"{app}\"\n  coupa_domain = \"{}.coupahost.com\"\n  client_id = var.coupa_client_id\n  client_secret = var.coupa_client_secret\n}}\n",
            seed.replace('_', "-")
        ));
    }
    let later = format!("local.later_{}", step.seed);
    out.push_str(&format!(
        "locals {{\n  later_{0} = substr(conductorone_coupa_integration.{0}.created_at, 0, 0)\n}}\n",
        step.seed
    ));
    for attr in RESOURCE_ARGS {
        out.push_str(&resource(attr, step, &later));
    }
    for attr in GROUPS_ARGS {
        out.push_str(&data_source("groups", attr, &later));
    }
    for attr in ROLES_ARGS {
        out.push_str(&data_source("roles", attr, &later));
    }
    // The reference counts, from known arguments.
    out.push_str(&data_source("groups", "none", &later));
    out.push_str(&data_source("roles", "none", &later));
    out
}

fn flat(run: &Run) -> String {
    run.all().split_whitespace().collect::<Vec<_>>().join(" ")
}

#[track_caller]
fn assert_converged(run: &Run, what: &str) {
    let out = flat(run);
    assert_eq!(run.code, 0, "{what} failed:\n{}", run.all());
    assert!(!out.contains("inconsistent"), "{what}:\n{out}");
}

#[tokio::test]
async fn every_argument_may_be_unknown_during_plan_on_create_and_on_update() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let app = standin.c1("app_id");
    let other_app = standin.ready["conductorone"]["other_app_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let owner = standin.c1("user_id");
    let other_owner = standin.ready["conductorone"]["other_user_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let wd = &rig.wd;

    // Create: every argument unknown during plan.
    let create = Step {
        seed: "seed_a",
        app: &app,
        app_for_app_id: &app,
        owner: &owner,
        owner_for_user_ids: &owner,
        domain_suffix: "",
    };
    wd.write_main(&config(&create, &["seed_a"], &app));
    let plan = wd.plan();
    assert_eq!(plan.code, 2, "{}", plan.all());
    let out = flat(&plan);
    assert!(out.contains("9 to add, 0 to change, 0 to destroy"), "{out}");
    let apply = wd.apply();
    assert_converged(&apply, "create");
    assert!(
        flat(&apply).contains("9 added, 0 changed"),
        "{}",
        apply.all()
    );
    let empty = wd.plan();
    assert_eq!(empty.code, 0, "plan after create:\n{}", empty.all());
    let reference = |kind: &str| wd.output(&format!("{kind}_none"));
    for (kind, args) in [("groups", &GROUPS_ARGS[..]), ("roles", &ROLES_ARGS[..])] {
        let want = reference(kind);
        assert!(want.as_u64().unwrap() > 0, "{kind}: the filter keeps some");
        for attr in args {
            assert_eq!(wd.output(&format!("{kind}_{attr}")), want, "{kind}_{attr}");
        }
    }

    // Update: every argument unknown again, from a new seed; app_id moves (a replacement),
    // coupa_domain and user_ids change, the rest come back with the value they had.
    let update = Step {
        seed: "seed_b",
        app: &app,
        app_for_app_id: &other_app,
        owner: &owner,
        owner_for_user_ids: &other_owner,
        domain_suffix: "-2",
    };
    wd.write_main(&config(&update, &["seed_a", "seed_b"], &app));
    let plan = wd.plan();
    assert_eq!(plan.code, 2, "{}", plan.all());
    let out = flat(&plan);
    assert!(
        out.contains("conductorone_coupa_integration.r_app_id must be replaced"),
        "an unknown app_id is a replacement:\n{out}"
    );
    for attr in RESOURCE_ARGS.iter().filter(|a| **a != "app_id") {
        assert!(
            out.contains(&format!(
                "conductorone_coupa_integration.r_{attr} will be updated in-place"
            )),
            "r_{attr} is updated in place:\n{out}"
        );
    }
    let apply = wd.apply();
    assert_converged(&apply, "update");
    let empty = wd.plan();
    assert_eq!(empty.code, 0, "plan after update:\n{}", empty.all());

    // What ConductorOne holds: r_app_id in the other app, r_coupa_domain on its new domain,
    // r_user_ids with its new owner; one connector per resource, none left behind.
    let live: Vec<serde_json::Value> = standin
        .connectors()
        .await
        .into_iter()
        .filter(|c| c["deletedAt"].is_null())
        .collect();
    assert_eq!(live.len(), 10, "8 integrations and 2 seeds");
    let domain_of = |c: &serde_json::Value| c.to_string();
    assert!(live.iter().any(
        |c| c["appId"] == other_app.as_str() && domain_of(c).contains("r-app-id.coupahost.com")
    ));
    assert!(live
        .iter()
        .any(|c| domain_of(c).contains("r-coupa-domain-2.coupahost.com")));
    assert!(live.iter().any(|c| {
        domain_of(c).contains("r-user-ids.coupahost.com")
            && c["userIds"] == serde_json::json!([other_owner])
    }));
    wd.destroy().assert_ok("destroy");
}
