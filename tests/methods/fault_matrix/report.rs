//! The matrix as a table, with its figures.

use std::fmt::Write as _;
use std::time::Duration;

use super::bound;
use super::matrix::{applicable, CellResult, Mode, Outcome, FAULTS, OPS};

pub fn table(results: &[CellResult], panics: usize, wall: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Fault matrix (tests/methods/fault_matrix/): operation × fault, transient/persistent."
    );
    let _ = writeln!(
        out,
        "ok = succeeded, adopt = lost create answer recovered, fail = failed with a clear diagnostic and converged when run again, n/a = not a cell, X = FAILED"
    );
    let width = 34;
    let _ = write!(out, "{:width$}", "");
    for f in FAULTS {
        let _ = write!(out, " {:>11}", f.short());
    }
    let _ = writeln!(out);
    for op in OPS {
        let _ = write!(out, "{:width$}", op.name());
        for fault in FAULTS {
            let cell = |mode: Mode| {
                results
                    .iter()
                    .find(|r| r.op == op && r.fault == fault && r.mode == mode)
                    .map(|r| match &r.verdict {
                        Ok(o) => o.mark(),
                        Err(_) => "X",
                    })
                    .unwrap_or("n/a")
            };
            let both = if applicable(op, fault) {
                format!("{}/{}", cell(Mode::Transient), cell(Mode::Persistent))
            } else {
                "n/a".into()
            };
            let _ = write!(out, " {both:>11}");
        }
        let _ = writeln!(out);
    }
    let passed = results.iter().filter(|r| r.verdict.is_ok()).count();
    let slowest = results.iter().map(|r| r.elapsed).max().unwrap_or_default();
    let count = |o: Outcome| {
        results
            .iter()
            .filter(|r| r.verdict.as_ref().ok() == Some(&o))
            .count()
    };
    let _ = writeln!(
        out,
        "{} cells ({} operations × {} faults × transient/persistent), {} not applicable: {} tried, {passed} passed, {} failed, {panics} panicked ({} succeeded, {} recovered a lost create, {} failed clearly and converged when run again); slowest cell {:.1} s (bound {:.1} s); wall time {:.1} s",
        OPS.len() * FAULTS.len() * 2,
        OPS.len(),
        FAULTS.len(),
        OPS.len() * FAULTS.len() * 2 - results.len() - panics,
        results.len() + panics,
        results.len() - passed,
        count(Outcome::Ok),
        count(Outcome::Recovered),
        count(Outcome::FailedClearly),
        slowest.as_secs_f64(),
        bound().as_secs_f64(),
        wall.as_secs_f64(),
    );
    for r in results.iter().filter(|r| r.verdict.is_err()) {
        let _ = writeln!(
            out,
            "  X {} × {} ({:?}) in {:?}: {}\n      diagnostic: {}",
            r.op.name(),
            r.fault.name(),
            r.mode,
            r.elapsed,
            r.verdict.as_ref().unwrap_err(),
            r.diagnostic
        );
    }
    out
}
