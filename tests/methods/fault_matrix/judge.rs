//! What a cell's result must show: no hang, no secret, a transient fault retried through, a
//! persistent one failing with a diagnostic that says what, where and why, and convergence
//! once the fault is gone.

use std::time::{Duration, Instant};

use tf_provider::Diagnostics;

use testkit::secrets::Needles;
use testkit::Standin;

use super::bound;
use super::cell::{Cell, Run, RunResult};
use super::matrix::{expected, BodyKind, CellResult, Fault, Mode, Op, Outcome};

pub fn text(diags: &Diagnostics) -> String {
    diags
        .errors
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What the stand-in puts in an error answer of `status`: ConductorOne's gRPC message, Coupa's
/// reason phrase (its `errors.base`), or the HTML page's title.
fn api_message(op: Op, fault: Fault, status: u16) -> String {
    if fault == Fault::Html {
        return "502 Bad Gateway".into();
    }
    if op.coupa() {
        return match status {
            429 => "Rate limit exceeded".into(),
            500 => "Internal Server Error".into(),
            502 => "Bad Gateway".into(),
            503 => "Service Unavailable".into(),
            504 => "Gateway Timeout".into(),
            _ => String::new(),
        };
    }
    match status {
        429 => "resource exhausted",
        500 => "internal error",
        503 => "unavailable",
        504 => "deadline exceeded",
        _ => "unknown",
    }
    .into()
}

/// Why a failure's diagnostic is not clear enough, if it is not.
fn unclear(cell: &Cell, fault: Fault, diags: &Diagnostics) -> Option<String> {
    if diags.errors.is_empty() {
        return Some("failed without an error diagnostic".into());
    }
    let all = text(diags);
    let want_summary = match cell.op {
        Op::Plan => "Coupa",
        Op::CreateRefused | Op::CreateLost => "Unable to Create Coupa Integration",
        Op::Read | Op::C1Token => "Unable to Read Coupa Integration",
        Op::Update => "Unable to Update Coupa Integration",
        Op::Delete => "Unable to Delete Coupa Integration",
        Op::Groups => "User Groups",
        Op::Roles => "Roles",
    };
    if !diags
        .errors
        .iter()
        .any(|d| d.summary.contains(want_summary))
    {
        return Some(format!("no error summary naming {want_summary:?}"));
    }
    let host = if cell.op.coupa() {
        // Coupa errors name the configured domain; the endpoint override is where they went.
        "acme.coupahost.com".to_owned()
    } else {
        "127.0.0.1".to_owned()
    };
    let mut wants: Vec<String> = Vec::new();
    if let Some(status) = fault.status() {
        wants.push(status.to_string());
        wants.push(api_message(cell.op, fault, status));
        wants.push(if cell.op.coupa() {
            "Coupa request ID: ".into()
        } else {
            "request-id: ".into()
        });
    }
    match fault {
        Fault::Reset | Fault::Truncated => {
            wants.push(host);
            wants.push("before a complete answer arrived".into());
        }
        Fault::Slow => {
            wants.push(host);
            wants.push("did not answer within 800 ms".into());
        }
        Fault::Huge => {
            wants.push(host);
            wants.push("larger than 16777216 bytes".into());
        }
        Fault::MalformedJson | Fault::WrongTypes => {
            let body_words = match cell.op.body_kind() {
                BodyKind::CoupaToken if fault == Fault::MalformedJson => {
                    "not Coupa's OAuth2 answer"
                }
                BodyKind::CoupaToken => "`$.access_token` is not a string",
                BodyKind::C1Token if fault == Fault::MalformedJson => "the answer is not JSON",
                BodyKind::C1Token => "`$.access_token` is not a string",
                BodyKind::CoupaPage | BodyKind::CoupaGraphql if fault == Fault::MalformedJson => {
                    "not JSON"
                }
                BodyKind::CoupaPage | BodyKind::CoupaGraphql => "(`$[0].",
                BodyKind::C1Connector if fault == Fault::MalformedJson => "not JSON",
                BodyKind::C1Connector => "`$.connectorView.connector.userIds`",
                BodyKind::C1Empty if fault == Fault::MalformedJson => "not JSON",
                BodyKind::C1Empty => "not a JSON object",
            };
            wants.push(body_words.into());
            // Coupa's decode errors of a success answer do not repeat its status.
            if !(cell.op.coupa() && fault == Fault::WrongTypes) {
                wants.push("200".into());
            }
        }
        _ => {}
    }
    // What to do: every failed operation says it, a failed refresh as well.
    if matches!(cell.op, Op::Read | Op::C1Token) {
        wants.push("run the command again".into());
    }
    let missing: Vec<&String> = wants.iter().filter(|w| !all.contains(w.as_str())).collect();
    if !missing.is_empty() {
        return Some(format!("the diagnostic lacks {missing:?}"));
    }
    None
}

pub async fn run_cell(op: Op, fault: Fault, mode: Mode) -> CellResult {
    let standin = tokio::task::spawn_blocking(Standin::start)
        .await
        .expect("start a stand-in");
    let mut cell = Cell {
        standin,
        op,
        existing: None,
    };
    if matches!(op, Op::Read | Op::Update | Op::Delete | Op::C1Token) {
        cell.existing = Some(cell.create_one().await);
    }
    let count = match mode {
        Mode::Transient => fault.transient_count(),
        Mode::Persistent => 10_000,
    };
    cell.queue(fault, count).await;

    let started = Instant::now();
    let run = tokio::time::timeout(bound() * 3, cell.run()).await;
    let elapsed = started.elapsed();
    let mut result = CellResult {
        op,
        fault,
        mode,
        elapsed,
        verdict: Err(String::new()),
        diagnostic: String::new(),
    };
    let Ok(run) = run else {
        result.verdict = Err(format!("hung: no end after {:?}", bound() * 3));
        return result;
    };
    result.diagnostic = text(&run.diags);
    // The fault was met; a transient one was met in full (its retries went through it), except
    // by a create, which is not sent again (a lost one, or one the server may still commit).
    let left = cell.pending().await;
    let hits = u64::from(count) - left;
    let retried_through = mode == Mode::Persistent
        || op == Op::CreateLost && fault.status() != Some(429)
        || op == Op::CreateRefused && fault.create_may_still_commit()
        || left == 0;
    result.verdict = if hits == 0 || !retried_through {
        Err(format!("the fault was met {hits} times, {left} left"))
    } else {
        judge(&cell, fault, mode, run, elapsed).await
    };
    result
}

async fn judge(
    cell: &Cell,
    fault: Fault,
    mode: Mode,
    run: Run,
    elapsed: Duration,
) -> Result<Outcome, String> {
    let op = cell.op;
    if elapsed > bound() {
        return Err(format!("took {elapsed:?}, over the bound of {:?}", bound()));
    }
    let printed = format!(
        "{} {}",
        text(&run.diags),
        run.diags
            .warnings
            .iter()
            .map(|w| w.detail.to_string())
            .collect::<String>()
    );
    if !Needles::of_ready_line(&cell.standin)
        .find(&printed)
        .is_empty()
    {
        return Err("a diagnostic contains a secret".into());
    }
    // The malformed token answers hold the start of a token: never quoted.
    if printed.contains("eyJhbGciOi") {
        return Err("a diagnostic quotes a token answer".into());
    }
    let outcome = match run.result {
        RunResult::Done(complete) => {
            let errors = !run.diags.errors.is_empty();
            match (complete, errors) {
                (true, false) => Outcome::Ok,
                (_, true) => {
                    if let Some(why) = unclear(cell, fault, &run.diags) {
                        return Err(why);
                    }
                    Outcome::FailedClearly
                }
                (false, false) => return Err("incomplete result without an error".into()),
            }
        }
        RunResult::Created(id) => {
            let live = cell.live().await;
            if live.len() > 1 {
                return Err(format!("{} connectors after one create", live.len()));
            }
            match id {
                Some(id) => {
                    if live.len() != 1 || live[0]["id"] != id.as_str() {
                        return Err("the state names a connector that does not exist".into());
                    }
                    if !run.diags.errors.is_empty() {
                        return Err(format!("created, yet an error: {}", text(&run.diags)));
                    }
                    let recovered = run
                        .diags
                        .warnings
                        .iter()
                        .any(|w| w.summary.contains("Recovered"));
                    if recovered {
                        Outcome::Recovered
                    } else {
                        Outcome::Ok
                    }
                }
                None => {
                    if !live.is_empty() {
                        return Err("a created connector is not in the state (orphan)".into());
                    }
                    if let Some(why) = unclear(cell, fault, &run.diags) {
                        return Err(why);
                    }
                    if !text(&run.diags).contains("apply` again") {
                        return Err("the diagnostic does not say to apply again".into());
                    }
                    Outcome::FailedClearly
                }
            }
        }
    };
    if outcome == Outcome::FailedClearly {
        // Once the cause is gone, doing it again converges.
        cell.clear_faults().await;
        let again = cell.run().await;
        let converged = match again.result {
            RunResult::Done(complete) => complete && again.diags.errors.is_empty(),
            RunResult::Created(Some(id)) => {
                let live = cell.live().await;
                live.len() == 1 && live[0]["id"] == id.as_str()
            }
            RunResult::Created(None) => false,
        };
        if !converged {
            return Err(format!(
                "did not converge once the fault was gone: {}",
                text(&again.diags)
            ));
        }
        if op == Op::Delete && !cell.live().await.is_empty() {
            return Err("the connector survived a successful delete".into());
        }
    }
    let want = expected(op, fault, mode);
    if outcome != want {
        return Err(format!(
            "expected {want:?}, got {outcome:?}: {}",
            text(&run.diags)
        ));
    }
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------------
