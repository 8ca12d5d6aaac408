//! The bad-input matrix through the provider's own methods (`validate`, `configure`'s resolver,
//! `plan_create`, `import`), driven by a [`Lifecycle`] on the stand-ins.

use std::collections::BTreeSet;

use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostic, Diagnostics, Provider, Resource};

use testkit::lifecycle::s as text;
use testkit::{Lifecycle, Standin};
use tfp_conductorone::data_sources::{coupa_groups, coupa_roles};
use tfp_conductorone::provider::settings::{self, ProviderConfig};
use tfp_conductorone::resources::coupa_integration;

use super::cells::*;
use super::{assert_no_failures, describe, judge, path, report};

fn string_value(v: &V) -> Value<String> {
    match v {
        V::Str(s) => text(s),
        V::Unknown => Value::Unknown,
        other => panic!("not a string value: {other:?}"),
    }
}

fn set_value(v: &V) -> Value<BTreeSet<Value<String>>> {
    match v {
        V::List(ids) => Value::Value(ids.iter().map(|i| text(i)).collect()),
        V::Unknown => Value::Unknown,
        V::ListWithUnknown => Value::Value(BTreeSet::from([text("2userA"), Value::Unknown])),
        other => panic!("not a set value: {other:?}"),
    }
}

fn base_provider() -> ProviderConfig {
    ProviderConfig {
        server_url: text("https://acme.conductor.one"),
        client_id: text(C1_CLIENT_ID),
        client_secret: text(&c1_secret()),
        ..Default::default()
    }
}

fn provider_with(cell: &Cell) -> ProviderConfig {
    let mut c = base_provider();
    let v = string_value(&cell.value);
    match cell.attr {
        "server_url" => c.server_url = v,
        "tenant_domain" => c.tenant_domain = v,
        "client_id" => c.client_id = v,
        "client_secret" => c.client_secret = v,
        "oidc_token" => c.oidc_token = v,
        "coupa_endpoint" => c.coupa_endpoint = v,
        other => panic!("no provider attribute {other}"),
    }
    c
}

fn resolve_errors(config: &ProviderConfig, env: &[(&'static str, String)]) -> Vec<Diagnostic> {
    let lookup = |k: &str| {
        env.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    };
    match settings::resolve(config, &lookup) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(|e| Diagnostic {
                summary: e.summary.into(),
                detail: e.detail.into(),
                attribute: path(e.attribute),
            })
            .collect(),
    }
}

/// The resource configuration of a cell: valid Coupa inputs (the stand-in's `read_only` client),
/// one of them replaced. Credential checks stay on where the cell makes a credential unknown,
/// to show that the unknown value skips the check, and are off elsewhere.
fn resource_with(cell: &Cell, standin: &Standin) -> coupa_integration::State {
    let mut c = coupa_integration::State {
        app_id: text(APP),
        coupa_domain: text(DOMAIN),
        client_id: text(&standin.coupa_client("read_only", "client_id")),
        client_secret: text(&standin.coupa_client("read_only", "client_secret")),
        validate_credentials: Value::Value(false),
        ..Default::default()
    };
    match cell.attr {
        "app_id" => c.app_id = string_value(&cell.value),
        "coupa_domain" => c.coupa_domain = string_value(&cell.value),
        "client_id" => c.client_id = string_value(&cell.value),
        "client_secret" => c.client_secret = string_value(&cell.value),
        "access_mode" => c.access_mode = string_value(&cell.value),
        "user_ids" => c.user_ids = set_value(&cell.value),
        other => panic!("no resource argument {other}"),
    }
    if matches!(cell.value, V::Unknown) && credential_input(cell.attr) {
        c.validate_credentials = Value::Null;
    }
    c
}

/// The data source inputs of a cell, for either data source.
fn data_inputs(cell: &Cell) -> [Value<String>; 4] {
    let mut inputs = [
        text(DOMAIN),
        text(COUPA_ID),
        text(COUPA_SECRET),
        Value::Null,
    ];
    let i = match cell.attr {
        "coupa_domain" => 0,
        "client_id" => 1,
        "client_secret" => 2,
        "name_regex" => 3,
        other => panic!("no data source argument {other}"),
    };
    inputs[i] = string_value(&cell.value);
    inputs
}

/// Runs one cell through the methods Terraform would call, returning the errors to judge.
async fn run_methods(cell: &Cell, lc: &Lifecycle, standin: &Standin) -> Vec<String> {
    let provider = &lc.provider;
    let mut d = Diagnostics::default();
    match cell.target {
        Target::Provider => {
            // `terraform validate` checks formats offline; unknowns wait for configure.
            provider.validate(&mut d, provider_with(cell)).await;
            let mut problems = if matches!(cell.value, V::Unknown) {
                judge(
                    &Cell {
                        expect: Expect::Skipped,
                        ..cell.clone()
                    },
                    &d.errors,
                )
            } else {
                judge(cell, &d.errors)
            };
            let configured = resolve_errors(&provider_with(cell), &[]);
            problems.extend(
                judge(cell, &configured)
                    .into_iter()
                    .map(|p| format!("configure: {p}")),
            );
            problems
        }
        Target::Env => {
            // Nothing in the provider block: `terraform validate` has nothing to check.
            provider.validate(&mut d, ProviderConfig::default()).await;
            let mut problems: Vec<String> = d
                .errors
                .iter()
                .map(|e| format!("validate: unexpected {:?}", e.summary))
                .collect();
            let errors = resolve_errors(&ProviderConfig::default(), &env_with(cell));
            problems.extend(judge(cell, &errors));
            problems
        }
        Target::Resource => {
            if matches!(cell.expect, Expect::Collapsed) {
                // A set cannot hold the duplicate: nothing reaches the provider.
                return Vec::new();
            }
            let r = &lc.integration;
            let config = resource_with(cell, standin);
            r.validate(&mut d, config.clone()).await;
            let mut problems = judge(cell, &d.errors);
            if matches!(cell.expect, Expect::Skipped) {
                // And the plan: no error, no credential check (the log is checked at the end).
                let mut d = Diagnostics::default();
                let planned = r
                    .plan_create(&mut d, config.clone(), config, ValueEmpty::default())
                    .await;
                if planned.is_none() {
                    problems.push("plan_create refused the plan".into());
                }
                problems.extend(
                    judge(cell, &d.errors)
                        .into_iter()
                        .map(|p| format!("plan: {p}")),
                );
            }
            problems
        }
        Target::Groups => {
            let [coupa_domain, client_id, client_secret, name_regex] = data_inputs(cell);
            let ds = &lc.groups;
            let state = coupa_groups::State {
                coupa_domain,
                client_id,
                client_secret,
                name_regex,
                ..Default::default()
            };
            ds.validate(&mut d, state).await;
            judge(cell, &d.errors)
        }
        Target::Roles => {
            let [coupa_domain, client_id, client_secret, name_regex] = data_inputs(cell);
            let ds = &lc.roles;
            let state = coupa_roles::State {
                coupa_domain,
                client_id,
                client_secret,
                name_regex,
                ..Default::default()
            };
            ds.validate(&mut d, state).await;
            judge(cell, &d.errors)
        }
        Target::Import => {
            let r = &lc.integration;
            let V::Str(id) = &cell.value else {
                panic!("import IDs are strings")
            };
            let imported = r.import(&mut d, id.clone()).await;
            let mut problems = judge(cell, &d.errors);
            if imported.is_some() {
                problems.push("import accepted the ID".into());
            }
            problems
        }
    }
}

#[tokio::test]
async fn matrix_through_the_provider_methods() {
    let standin = Standin::start();
    let lc = Lifecycle::start(&standin).await;

    let cells = cells();
    let mut failures = Vec::new();
    for cell in &cells {
        let problems = run_methods(cell, &lc, &standin).await;
        if !problems.is_empty() {
            failures.push((
                format!("{} ({:?} {})", cell.name, cell.target, cell.attr),
                problems,
            ));
        }
    }
    let (c1, coupa) = (standin.c1_requests().await, standin.coupa_requests().await);
    assert!(c1.is_empty(), "requests to ConductorOne: {c1:#?}");
    assert!(coupa.is_empty(), "requests to Coupa: {coupa:#?}");
    assert_no_failures("bad-input matrix (provider methods)", &failures);

    let errors = cells
        .iter()
        .filter(|c| matches!(c.expect, Expect::Error { .. }))
        .count();
    let skipped = cells
        .iter()
        .filter(|c| matches!(c.expect, Expect::Skipped))
        .count();
    assert!(
        errors >= 40,
        "the issue asks for at least 40 invalid inputs"
    );
    let details: String = cells.iter().map(|c| describe(c) + "\n").collect();
    report(
        "bad-inputs-methods.txt",
        &format!(
            "bad-input matrix, provider methods (tests/e2e/bad_inputs/): {} inputs tried ({errors} invalid, each one error on its attribute; {skipped} known only at apply, no error; 1 duplicate), {} passed, 0 requests",
            cells.len(),
            cells.len() - failures.len(),
        ),
        &details,
    );
}

// ---------------------------------------------------------------------------------------------
