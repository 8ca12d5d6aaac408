//! The fault matrix: every operation of the provider against every fault the stand-ins can
//! inject, once as a transient fault and once as a persistent one, through the provider's own
//! methods (no Terraform CLI: a cell takes a fraction of a second, so the whole matrix runs in
//! well under a minute).
//!
//! Each cell gets its own stand-in, a provider configured like a fresh plugin process (a cold
//! token cache) with short timeouts (an attempt 800 ms, a retry budget of 2 s), the fault queued
//! on the one path the operation calls, and then checks:
//! - the operation neither panics nor hangs: it ends within the retry budget plus one attempt
//!   (plus the lookup of a lost create);
//! - a transient fault is retried and the operation succeeds, with a complete result;
//! - a persistent one fails with a diagnostic that says what failed, the status, the API's own
//!   message and its request ID where the answer had them, and never a secret;
//! - a create: the state records a connector exactly when one exists, there is never more than
//!   one, and after a failure, running the operation again (as `terraform apply` again would,
//!   once the fault is gone) converges to exactly one connector in the state.
//!
//! Creates run in three rows: a fault *before* the stand-in's handler (the request was not
//! carried out, but only a 429 proves it: after any other fault the lookup finds nothing, the
//! create is not sent again and fails clearly, and the run after it makes the one connector),
//! *after* it (the connector was made, then its answer was lost: a 502 after the commit, a body
//! cut mid-way after the commit, a reset...; the lookup adopts it), and after it with the
//! connector committed late (listed 1.5 s after it was made, the stand-in's
//! `create_commit_late_ms`: a look after a settle pause finds and adopts it). That is what
//! `ConductorOne::create_or_recover` is for. Each create cell asserts at most one connector,
//! and convergence on exactly one.
//!
//! The test prints the matrix and its figures (on stderr, past the test harness's capture) and
//! writes them to `target/reliability/fault-matrix.txt`.
//!
//! The modules: [`matrix`] (operations, faults, and the outcome each cell must have), [`cell`]
//! (one cell's stand-in, fault and operation, on a fresh [`testkit::Lifecycle`]), [`judge`]
//! (what a cell's result must show), [`report`] (the table and its figures).

mod cell;
mod judge;
mod matrix;
mod report;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use judge::run_cell;
use matrix::{applicable, Mode, FAULTS, OPS};
use tfp_conductorone::conductorone::create::SETTLE;
use tfp_conductorone::http::{HttpConfig, RetryPolicy};

/// Per-attempt timeout of the matrix's providers.
pub const ATTEMPT: Duration = Duration::from_millis(800);
/// Retry budget of the matrix's providers.
pub const BUDGET: Duration = Duration::from_secs(2);
/// The `slow` fault: longer than an attempt may take.
pub const SLOW_MS: u64 = 1200;
/// Cells in flight at once (each mostly waits on timers and a stand-in process).
pub const PARALLEL: usize = 12;

pub fn http_config() -> HttpConfig {
    let mut c = HttpConfig::new("fault-matrix");
    c.connect_timeout = Duration::from_secs(2);
    c.attempt_timeout = ATTEMPT;
    c.retry = RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(400),
        max_total: BUDGET,
    };
    c
}

/// What an operation ends within, at worst: the retry budget, one more attempt begun just
/// before it ran out, a lookup after a create that may have been made (its settle pauses and
/// four listings), and scheduling.
pub fn bound() -> Duration {
    BUDGET + ATTEMPT * 3 + SETTLE.iter().sum::<Duration>() + Duration::from_millis(1500)
}

// The test and its report
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fault_matrix() {
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(PARALLEL));
    let mut cells = Vec::new();
    for op in OPS {
        for fault in FAULTS {
            if !applicable(op, fault) {
                continue;
            }
            for mode in [Mode::Transient, Mode::Persistent] {
                let gate = gate.clone();
                cells.push(tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await.unwrap();
                    run_cell(op, fault, mode).await
                }));
            }
        }
    }
    let mut results = Vec::new();
    let mut panics = 0;
    for cell in cells {
        match cell.await {
            Ok(r) => results.push(r),
            Err(e) => {
                panics += 1;
                eprintln!("a cell panicked: {e}");
            }
        }
    }
    let report = report::table(&results, panics, started.elapsed());
    testkit::report::publish("fault-matrix.txt", &report, &report);
    let mut details = String::new();
    for r in &results {
        let _ = writeln!(
            details,
            "{} × {} ({:?}, {:.2} s): {}\n    {}",
            r.op.name(),
            r.fault.name(),
            r.mode,
            r.elapsed.as_secs_f64(),
            match &r.verdict {
                Ok(o) => o.mark().to_owned(),
                Err(why) => format!("FAILED: {why}"),
            },
            if r.diagnostic.is_empty() {
                "(no error)"
            } else {
                &r.diagnostic
            }
        );
    }
    let _ = std::fs::write(
        testkit::report::dir().join("fault-matrix-diagnostics.txt"),
        details,
    );

    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.verdict
                .as_ref()
                .err()
                .map(|why| format!("{} × {} ({:?}): {why}", r.op.name(), r.fault.name(), r.mode))
        })
        .collect();
    assert!(
        failed.is_empty() && panics == 0,
        "{} cells failed, {panics} panicked:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
