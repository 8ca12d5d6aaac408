//! The bad-input rows of `conductorone_coupa_licenses` and `conductorone_coupa_users` (the two
//! data sources that read Coupa's users): each invalid argument is refused with one
//! actionable error on the attribute that must change, and values known only at apply time pass,
//! all without a single request. One table drives two tests: through the provider's `validate`
//! ([`Lifecycle`]), and through `terraform validate` ([`Rig`]).
//!
//! Kept apart from `tests/e2e/bad_inputs.rs` (the matrix of the other objects) while that file moves
//! onto the test kit; the rows can join its table afterwards.

use regex::Regex;
use tf_provider::value::Value;
use tf_provider::AttributePath;

use testkit::lifecycle::s;
use testkit::{terraform, Lifecycle, Rig, Standin, COUPA_VARIABLES};
use tf_provider::{DataSource, Diagnostics};
use tfp_conductorone::clients::Shared;
use tfp_conductorone::data_sources::coupa_licenses::State;
use tfp_conductorone::data_sources::coupa_users::{self, CoupaUsers};

/// One row: an argument, its value, and the error expected (`None`: no error). Rows whose name
/// starts with `users_` are about `conductorone_coupa_users`, the others about the licenses.
struct Row {
    name: &'static str,
    attr: &'static str,
    value: Input,
    expect: Option<(&'static str, &'static [&'static str])>,
}

impl Row {
    fn data_source(&self) -> &'static str {
        if self.name.starts_with("users_") {
            "conductorone_coupa_users"
        } else {
            "conductorone_coupa_licenses"
        }
    }
}

enum Input {
    Text(&'static str),
    /// Known only at apply time.
    Unknown,
}

const SECRET: &str = "s3cret-coupa-value-0001";

fn rows() -> Vec<Row> {
    use Input::{Text, Unknown};
    let row = |name, attr, value, expect| Row {
        name,
        attr,
        value,
        expect,
    };
    let domain = "Invalid Coupa Domain";
    vec![
        row(
            "domain_empty",
            "coupa_domain",
            Text(""),
            Some((domain, &["empty"][..])),
        ),
        row(
            "domain_bare",
            "coupa_domain",
            Text("acme"),
            Some((domain, &["acme.coupacloud.com"])),
        ),
        row(
            "domain_http",
            "coupa_domain",
            Text("http://acme.coupahost.com"),
            Some((domain, &["https://"])),
        ),
        row(
            "domain_other_host",
            "coupa_domain",
            Text("acme.coupa.com"),
            Some((domain, &["coupahost.com"])),
        ),
        row(
            "domain_port",
            "coupa_domain",
            Text("acme.coupahost.com:443"),
            Some((domain, &["port"])),
        ),
        row(
            "client_id_empty",
            "client_id",
            Text(""),
            Some(("Empty Value", &["client_id", "variable"])),
        ),
        row(
            "client_id_spaces",
            "client_id",
            Text("0123456789abcdef "),
            Some(("Leading or Trailing Spaces", &["trimspace"])),
        ),
        row(
            "secret_empty",
            "client_secret",
            Text(""),
            Some(("Empty Value", &["variable"])),
        ),
        row(
            "secret_spaces",
            "client_secret",
            Text(" s3cret-coupa-value-0001"),
            Some(("Leading or Trailing Spaces", &["trimspace"])),
        ),
        row("domain_unknown", "coupa_domain", Unknown, None),
        row("client_id_unknown", "client_id", Unknown, None),
        row("secret_unknown", "client_secret", Unknown, None),
        row("include_unknown", "include_users", Unknown, None),
        row("active_unknown", "active_users_only", Unknown, None),
        row(
            "users_login_regex_unclosed",
            "login_regex",
            Text("(unclosed"),
            Some(("Invalid Regular Expression", &["login_regex", "regex"])),
        ),
        row(
            "users_login_regex_lookahead",
            "login_regex",
            Text("^(?=j)"),
            Some(("Invalid Regular Expression", &["look-around"])),
        ),
        row(
            "users_login_regex_too_big",
            "login_regex",
            Text("(\\w{1000}){1000}"),
            Some((
                "Invalid Regular Expression",
                &["compiles to more than", "Simplify"],
            )),
        ),
        row(
            "users_domain_http",
            "coupa_domain",
            Text("http://acme.coupahost.com"),
            Some((domain, &["https://"])),
        ),
        row(
            "users_client_id_empty",
            "client_id",
            Text(""),
            Some(("Empty Value", &["client_id", "variable"])),
        ),
        row(
            "users_secret_spaces",
            "client_secret",
            Text(" s3cret-coupa-value-0001"),
            Some(("Leading or Trailing Spaces", &["trimspace"])),
        ),
        row("users_login_regex_unknown", "login_regex", Unknown, None),
        row("users_active_unknown", "active_only", Unknown, None),
    ]
}

/// The users data source's configuration for a `users_` row.
fn users_state(standin: &Standin, row: &Row) -> coupa_users::State {
    let mut st = coupa_users::State {
        coupa_domain: s("acme.coupahost.com"),
        client_id: s(&standin.coupa_client("read_only", "client_id")),
        client_secret: s(&standin.coupa_client("read_only", "client_secret")),
        ..Default::default()
    };
    let text = match row.value {
        Input::Text(t) => Value::Value(t.to_owned()),
        Input::Unknown => Value::Unknown,
    };
    match row.attr {
        "coupa_domain" => st.coupa_domain = text,
        "client_id" => st.client_id = text,
        "client_secret" => st.client_secret = text,
        "login_regex" => st.login_regex = text,
        "active_only" => st.active_only = Value::Unknown,
        other => panic!("no argument {other}"),
    }
    st
}

/// A valid configuration with the row's value in place.
fn state(standin: &Standin, row: &Row) -> State {
    let mut st = State {
        coupa_domain: s("acme.coupahost.com"),
        client_id: s(&standin.coupa_client("read_only", "client_id")),
        client_secret: s(&standin.coupa_client("read_only", "client_secret")),
        ..Default::default()
    };
    let text = match row.value {
        Input::Text(t) => Value::Value(t.to_owned()),
        Input::Unknown => Value::Unknown,
    };
    match row.attr {
        "coupa_domain" => st.coupa_domain = text,
        "client_id" => st.client_id = text,
        "client_secret" => st.client_secret = text,
        "include_users" => st.include_users = Value::Unknown,
        "active_users_only" => st.active_users_only = Value::Unknown,
        other => panic!("no argument {other}"),
    }
    st
}

/// Whether a summary reads like a title: capitalised, short, no final period.
fn title_like(summary: &str) -> bool {
    summary.starts_with(|c: char| c.is_uppercase())
        && !summary.ends_with('.')
        && summary.len() <= 60
}

#[tokio::test]
async fn rows_through_the_provider_methods() {
    let standin = Standin::start();
    let life = Lifecycle::start(&standin).await;
    let mut failures = Vec::new();
    let users = CoupaUsers::new(Shared::default());
    for row in rows() {
        let diags = if row.data_source() == "conductorone_coupa_users" {
            let mut diags = Diagnostics::default();
            users
                .validate(&mut diags, users_state(&standin, &row))
                .await;
            diags
        } else {
            life.validate_licenses(state(&standin, &row)).await
        };
        let errors: Vec<_> = diags.errors.iter().collect();
        let problem = match (row.expect, errors.as_slice()) {
            (None, []) => None,
            (None, found) => Some(format!("unexpected {:?}", found[0].summary)),
            (Some((summary, hints)), [d]) => {
                let mut p = Vec::new();
                if d.summary != summary || !title_like(&d.summary) {
                    p.push(format!("summary {:?}, expected {summary:?}", d.summary));
                }
                if d.attribute != AttributePath::new(row.attr) {
                    p.push(format!("on {:?}, expected {}", d.attribute, row.attr));
                }
                for h in hints {
                    if !d.detail.contains(h) {
                        p.push(format!("no {h:?} in {:?}", d.detail));
                    }
                }
                if d.detail.contains(SECRET) || d.summary.contains(SECRET) {
                    p.push("the secret is quoted".into());
                }
                (!p.is_empty()).then(|| p.join("; "))
            }
            (Some(_), found) => Some(format!("expected one error, got {}", found.len())),
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}", row.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        standin.coupa_requests().await.is_empty(),
        "validation made a request"
    );
    assert!(
        standin.c1_requests().await.is_empty(),
        "validation made a request"
    );
    eprintln!(
        "bad inputs (licenses, methods): {} rows passed",
        rows().len()
    );
}

/// HCL of one row: a data source whose argument is the row's value (an unknown is a variable
/// without a value, unknown during `terraform validate`).
fn block(row: &Row) -> String {
    let value = match row.value {
        Input::Text(t) => format!("{t:?}"),
        Input::Unknown if row.attr.ends_with("_users") || row.attr.ends_with("_only") => {
            "var.unknown_flag".to_owned()
        }
        Input::Unknown => "var.unknown_text".to_owned(),
    };
    let mut args = vec![
        ("coupa_domain", "\"acme.coupahost.com\"".to_owned()),
        ("client_id", "var.coupa_client_id".to_owned()),
        ("client_secret", "var.coupa_client_secret".to_owned()),
    ];
    match args.iter_mut().find(|(a, _)| *a == row.attr) {
        Some(arg) => arg.1 = value,
        None => args.push((row.attr, value)),
    }
    let body: String = args.iter().map(|(a, v)| format!("  {a} = {v}\n")).collect();
    format!(
        "data \"{}\" \"{}\" {{\n{body}}}\n",
        row.data_source(),
        row.name
    )
}

#[tokio::test]
async fn rows_through_terraform_validate() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let rows = rows();
    let mut hcl = format!(
        "{COUPA_VARIABLES}\nvariable \"unknown_text\" {{\n  type = string\n}}\n\nvariable \"unknown_flag\" {{\n  type = bool\n}}\n\n"
    );
    for row in &rows {
        hcl += &block(row);
    }
    rig.write(&hcl);
    let run = rig.validate();
    run.assert_failed("validate");
    let mut failures = Vec::new();
    for row in &rows {
        let blocks = run.errors_about(&format!("data.{}.{}", row.data_source(), row.name));
        let problem = match (row.expect, blocks.as_slice()) {
            (None, []) => None,
            (None, found) => Some(format!("unexpected {}", found[0])),
            (Some((summary, hints)), [b]) => {
                let flat = testkit::collapse(b);
                let line = Regex::new(&format!(r"(?m)^[\s│]*\d+:\s+{}\s+=", row.attr)).unwrap();
                let mut p = Vec::new();
                if !b.starts_with(&format!("Error: {summary}")) {
                    p.push(format!("expected `Error: {summary}`"));
                }
                if !line.is_match(b) {
                    p.push(format!("not on the line of `{}`", row.attr));
                }
                p.extend(
                    hints
                        .iter()
                        .filter(|h| !flat.contains(*h))
                        .map(|h| format!("no {h:?}")),
                );
                (!p.is_empty()).then(|| format!("{}\n{b}", p.join("; ")))
            }
            (Some(_), found) => Some(format!("expected one error, got {}", found.len())),
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}", row.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Terraform quotes the configuration's own line; what the provider wrote must not repeat it.
    let excerpt = Regex::new(r"^[\s│]*\d+:").unwrap();
    for b in run.error_blocks() {
        let provider_text: Vec<&str> = b.lines().filter(|l| !excerpt.is_match(l)).collect();
        assert!(
            !provider_text.join("\n").contains(SECRET),
            "a diagnostic repeats the secret"
        );
    }
    assert!(
        rig.standin.coupa_requests().await.is_empty(),
        "validate made a request"
    );
    eprintln!(
        "bad inputs (licenses, terraform): {} rows passed",
        rows.len()
    );
}
