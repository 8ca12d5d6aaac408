//! The matrix: the operations, the faults, which pairs are cells, and the outcome each cell
//! must have.

use std::time::Duration;

use super::SLOW_MS;

/// How long after it was made the connector of a [`Op::CreateLate`] cell is listed: after the
/// look at once, within the settle pauses of the lookup.
pub const LATE_MS: u64 = 1500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `plan`: the credential check against Coupa's token endpoint.
    Plan,
    /// `create`, fault before the handler: the request was not carried out.
    CreateRefused,
    /// `create`, fault after the handler: the connector was made and the answer lost.
    CreateLost,
    /// `create`, fault after the handler, and the connector listed only [`LATE_MS`] after it
    /// was made (committed late): the answer lost, the connector seen only after a pause.
    CreateLate,
    Read,
    Update,
    Delete,
    /// The ConductorOne token request of a fresh process (during a read).
    C1Token,
    Groups,
    Roles,
}

pub const OPS: [Op; 10] = [
    Op::Plan,
    Op::CreateRefused,
    Op::CreateLost,
    Op::CreateLate,
    Op::Read,
    Op::Update,
    Op::Delete,
    Op::C1Token,
    Op::Groups,
    Op::Roles,
];

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Plan => "plan (Coupa token)",
            Op::CreateRefused => "create (not carried out)",
            Op::CreateLost => "create (carried out, answer lost)",
            Op::CreateLate => "create (committed late, answer lost)",
            Op::Read => "read",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::C1Token => "ConductorOne token",
            Op::Groups => "data source: groups",
            Op::Roles => "data source: roles",
        }
    }

    pub fn coupa(self) -> bool {
        matches!(self, Op::Plan | Op::Groups | Op::Roles)
    }

    /// What the answer's body must look like, for the body faults.
    pub fn body_kind(self) -> BodyKind {
        match self {
            Op::Plan => BodyKind::CoupaToken,
            Op::Groups => BodyKind::CoupaPage,
            Op::Roles => BodyKind::CoupaGraphql,
            Op::C1Token => BodyKind::C1Token,
            Op::Delete => BodyKind::C1Empty,
            _ => BodyKind::C1Connector,
        }
    }
}

pub enum BodyKind {
    CoupaToken,
    CoupaPage,
    /// A page of Coupa's GraphQL endpoint: `{"data": {"roles": […]}}`.
    CoupaGraphql,
    C1Token,
    C1Connector,
    C1Empty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    RateLimitSeconds,
    RateLimitDate,
    RateLimitBare,
    Status(u16),
    Reset,
    Slow,
    MalformedJson,
    Truncated,
    Html,
    Huge,
    WrongTypes,
}

pub const FAULTS: [Fault; 14] = [
    Fault::RateLimitSeconds,
    Fault::RateLimitDate,
    Fault::RateLimitBare,
    Fault::Status(500),
    Fault::Status(502),
    Fault::Status(503),
    Fault::Status(504),
    Fault::Reset,
    Fault::Slow,
    Fault::MalformedJson,
    Fault::Truncated,
    Fault::Html,
    Fault::Huge,
    Fault::WrongTypes,
];

impl Fault {
    pub fn name(self) -> String {
        match self {
            Fault::RateLimitSeconds => "429 + Retry-After: 1".into(),
            Fault::RateLimitDate => "429 + Retry-After: <date>".into(),
            Fault::RateLimitBare => "429".into(),
            Fault::Status(s) => format!("{s} burst"),
            Fault::Reset => "connection reset".into(),
            Fault::Slow => format!("slower than timeout ({SLOW_MS} ms)"),
            Fault::MalformedJson => "malformed JSON (200)".into(),
            Fault::Truncated => "truncated body".into(),
            Fault::Html => "HTML error page (502)".into(),
            Fault::Huge => "huge body (64 MiB)".into(),
            Fault::WrongTypes => "fields of unexpected types".into(),
        }
    }

    pub fn short(self) -> String {
        match self {
            Fault::RateLimitSeconds => "429 RA=s".into(),
            Fault::RateLimitDate => "429 RA=date".into(),
            Fault::RateLimitBare => "429".into(),
            Fault::Status(s) => s.to_string(),
            Fault::Reset => "reset".into(),
            Fault::Slow => "slow".into(),
            Fault::MalformedJson => "bad JSON".into(),
            Fault::Truncated => "cut".into(),
            Fault::Html => "HTML".into(),
            Fault::Huge => "huge".into(),
            Fault::WrongTypes => "types".into(),
        }
    }

    /// Whether a create that met this fault is proven not carried out: only a rate limit (429,
    /// which the HTTP layer retries). Every other failure may have been made, so a create that
    /// met one is looked up and never sent again.
    pub fn proves_create_not_made(self) -> bool {
        self.status() == Some(429)
    }

    /// Faults in a row: a transient one ends before the retries do; one attempt more is all a
    /// garbled success gets, so those come once.
    pub fn transient_count(self) -> u32 {
        match self {
            Fault::RateLimitSeconds | Fault::RateLimitDate | Fault::Slow => 1,
            Fault::MalformedJson | Fault::Huge | Fault::WrongTypes => 1,
            _ => 2,
        }
    }

    /// The status the client sees, when the fault has one.
    pub fn status(self) -> Option<u16> {
        match self {
            Fault::RateLimitSeconds | Fault::RateLimitDate | Fault::RateLimitBare => Some(429),
            Fault::Status(s) => Some(s),
            Fault::Html => Some(502),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Transient,
    Persistent,
}

/// A 429 after the server acted would be a server that lies: not a cell.
pub fn applicable(op: Op, fault: Fault) -> bool {
    !(op.create_carried_out() && fault.status() == Some(429))
}

impl Op {
    /// A create whose fault comes after the stand-in carried it out.
    pub fn create_carried_out(self) -> bool {
        matches!(self, Op::CreateLost | Op::CreateLate)
    }
}

/// How a cell ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Succeeded at once (retries, if any, hidden in the HTTP layer).
    Ok,
    /// Succeeded by adopting the connector of a create whose answer was lost.
    Recovered,
    /// Failed with a clear diagnostic, and running it again converged.
    FailedClearly,
}

impl Outcome {
    pub fn mark(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Recovered => "adopt",
            Outcome::FailedClearly => "fail",
        }
    }
}

pub struct CellResult {
    pub op: Op,
    pub fault: Fault,
    pub mode: Mode,
    pub elapsed: Duration,
    pub verdict: Result<Outcome, String>,
    /// The diagnostic of a failure, for the report.
    pub diagnostic: String,
}

/// What a cell expects. Transient faults must be survived, except by a create that was not
/// carried out: a create is sent again only on proof that it was not made (a 429), so after any
/// other fault it is looked up, found nowhere, and fails clearly; the run after it makes the one
/// connector. A create whose answer was lost is always recovered, however late it is committed
/// within the lookup's settle pauses. A persistent fault fails clearly, except for a create
/// that was carried out.
pub fn expected(op: Op, fault: Fault, mode: Mode) -> Outcome {
    match (op, mode) {
        (Op::CreateLost | Op::CreateLate, _) => Outcome::Recovered,
        (Op::CreateRefused, _) if !fault.proves_create_not_made() => Outcome::FailedClearly,
        (_, Mode::Transient) => Outcome::Ok,
        (_, Mode::Persistent) => Outcome::FailedClearly,
    }
}
