//! The bad-input matrix: invalid provider, resource, data source and import inputs, each refused
//! with an actionable error on the attribute that must change, without a single request; and
//! values only known at apply time, which must pass validation and plan without an error or a
//! request.
//!
//! One table ([`cells::cells`], data only) drives two runners:
//! - [`methods::matrix_through_the_provider_methods`]: every cell, through the provider's own methods
//!   (`validate`, `configure`'s resolver, `plan_create`, `import`), checking each diagnostic's
//!   attribute path, summary and detail;
//! - [`terraform::matrix_through_terraform`]: the cells Terraform can express, through the real CLI
//!   (`terraform validate`, `plan`, `import`), checking the error blocks Terraform prints.
//!
//! Both assert that the stand-ins saw no request, and print a summary line (inputs tried and
//! passed) that `make test` shows and `target/reliability/` keeps. The README's "Reliability" section quotes the figures.
//! `MATRIX_DUMP=1 cargo test --test e2e bad_inputs:: -- --nocapture` prints every message and every
//! Terraform output, for reviewing the wording.
//!
//! This file holds what both runners share: how a diagnostic is judged, and how a cell reads in
//! the report.

mod cells;
mod methods;
mod terraform;

use tf_provider::{AttributePath, Diagnostic};

use cells::{Cell, Expect, Target, V};
use testkit::collapse;

/// The summary line on stderr; the line and every cell's description in
/// `target/reliability/<file>`.
pub fn report(file: &str, line: &str, details: &str) {
    testkit::report::publish(file, line, &format!("{line}\n\n{details}"));
}
// ---------------------------------------------------------------------------------------------
// Checks shared by both tests
// ---------------------------------------------------------------------------------------------

/// Whether a summary reads like a title: capitalised, short, no final period.
pub fn title_like(summary: &str) -> bool {
    summary.chars().next().is_some_and(char::is_uppercase)
        && !summary.ends_with('.')
        && summary.len() <= 60
        && !summary.contains('\n')
}

/// Problems with a detail text, judged on what a user needs: enough words to act on, no Rust
/// debugging output, no secret, and every hint the cell expects.
pub fn detail_problems(cell: &Cell, detail: &str, hints: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let flat = collapse(detail);
    if flat.len() < 50 {
        out.push(format!("detail too short to act on: {flat:?}"));
    }
    for debris in [
        "panicked",
        "backtrace",
        "Some(",
        "Err(",
        "Ok(",
        "\\\"",
        "{:?}",
    ] {
        if flat.contains(debris) {
            out.push(format!("detail contains {debris:?}: {flat:?}"));
        }
    }
    for hint in hints {
        if !flat.contains(hint) {
            out.push(format!("detail lacks {hint:?}: {flat:?}"));
        }
    }
    for secret in cell.forbidden() {
        if detail.contains(&secret) {
            out.push("detail repeats a sensitive value (withheld)".into());
        }
    }
    out
}

pub fn path(attr: &'static str) -> AttributePath {
    if attr.is_empty() {
        AttributePath::root()
    } else {
        AttributePath::new(attr)
    }
}

/// Problems with the errors a method reported for `cell`.
pub fn judge(cell: &Cell, errors: &[Diagnostic]) -> Vec<String> {
    if std::env::var_os("MATRIX_DUMP").is_some() {
        for e in errors {
            eprintln!(
                "{} {:?} [{}] {}",
                cell.name, cell.value, e.summary, e.detail
            );
        }
    }
    match &cell.expect {
        Expect::Skipped | Expect::Collapsed => errors
            .iter()
            .map(|e| format!("unexpected error {:?}: {}", e.summary, e.detail))
            .collect(),
        Expect::Error {
            attr,
            summary,
            hints,
        } => {
            if errors.len() != 1 {
                let all: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{:?} on {:?}", e.summary, e.attribute))
                    .collect();
                return vec![format!("expected exactly one error, got {all:?}")];
            }
            let e = &errors[0];
            let mut out = Vec::new();
            if e.attribute != path(attr) {
                out.push(format!("error on {:?}, expected `{attr}`", e.attribute));
            }
            if e.summary != *summary {
                out.push(format!("summary {:?}, expected {summary:?}", e.summary));
            }
            if !title_like(&e.summary) {
                out.push(format!("summary {:?} is not a title", e.summary));
            }
            out.extend(detail_problems(cell, &e.detail, hints));
            out
        }
    }
}

/// One line per cell: what was tried and what was expected.
pub fn describe(cell: &Cell) -> String {
    let value = match &cell.value {
        V::Str(_) if cell.is_sensitive() => "(a sensitive value)".to_owned(),
        V::Str(s) => format!("{s:?}"),
        V::List(ids) => format!("{ids:?}"),
        V::Unknown => "(known only after apply)".to_owned(),
        V::ListWithUnknown => "[\"2userA\", (known only after apply)]".to_owned(),
        V::Env(_) => String::new(),
    };
    let what = match (&cell.target, &cell.value) {
        (Target::Env, V::Env(changes)) => changes
            .iter()
            .map(|(k, v)| match v {
                Some(v) if k.contains("SECRET") || k.contains("TOKEN") => {
                    format!("{k}=(a sensitive value)")
                }
                Some(v) => format!("{k}={v:?}"),
                None => format!("{k} unset"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        (Target::Import, _) => format!("terraform import … {value}"),
        (t, _) => format!("{t:?} {} = {value}", cell.attr),
    };
    let expected = match &cell.expect {
        Expect::Error {
            attr: "", summary, ..
        } => format!("error \"{summary}\""),
        Expect::Error { attr, summary, .. } => format!("error \"{summary}\" on {attr}"),
        Expect::Skipped => "no error, no request".to_owned(),
        Expect::Collapsed => "collapsed by Terraform into one owner".to_owned(),
    };
    format!("{}  {what}  →  {expected}", cell.name)
}

/// The cells' failures as one message, or nothing.
pub fn assert_no_failures(what: &str, failures: &[(String, Vec<String>)]) {
    if failures.is_empty() {
        return;
    }
    let mut msg = format!("{what}: {} cell(s) failed\n", failures.len());
    for (name, problems) in failures {
        for p in problems {
            msg.push_str(&format!("  {name}: {p}\n"));
        }
    }
    panic!("{msg}");
}
