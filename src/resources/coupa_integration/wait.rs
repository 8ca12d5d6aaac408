//! `wait_for_sync` and `timeouts` of `conductorone_coupa_integration`: after a create, or an
//! update that sends the config, ask ConductorOne for a sync and wait for it to end
//! ([`crate::conductorone::sync`]); here only the Terraform side: the time allowed, when a wait
//! is due, and the diagnostics.
//!
//! Every failure leaves the connector in the state (the caller returns the state with the
//! error), so the next apply never makes a second one, and records that the wait failed in the
//! private state, so the next plan with `wait_for_sync = true` plans an update that asks for a
//! sync again rather than an empty plan over a broken integration.

use std::time::Duration;

use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use super::state::{Private, State};
use crate::conductorone::sync::{status_of, Backoff, SyncWait, WaitFor};
use crate::conductorone::{ConductorOne, Connector};
use crate::secret::Secret;
use crate::stop::Stop;
use crate::tf::diag;

/// What Terraform's `timeouts` block conventionally defaults to here.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Which write the wait follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
        }
    }
}

/// A Terraform duration (`1h30m`, `30m`, `90s`, `500ms`): whole numbers, each with a unit.
pub fn parse_timeout(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at_checked(digits)?;
        let n: u64 = number.parse().ok()?;
        let units = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at_checked(units)?;
        let part = match unit {
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "s" => Duration::from_secs(n),
            "ms" => Duration::from_millis(n),
            _ => return None,
        };
        total = total.checked_add(part)?;
        rest = next;
    }
    (!total.is_zero()).then_some(total)
}

/// Offline check of the `timeouts` block; unknown values are skipped.
pub fn check_config(diags: &mut Diagnostics, config: &State) {
    let Value::Value(t) = &config.timeouts else {
        return;
    };
    for (name, value) in [("create", &t.create), ("update", &t.update)] {
        if let Value::Value(text) = value {
            if parse_timeout(text).is_none() {
                diag::error_at(
                    diags,
                    AttributePath::new("timeouts").index(0).attribute(name),
                    "Invalid Timeout",
                    format!("`{text}` is not a duration. Write a whole number with a unit, such as `30m`, `1h`, `1h30m` or `90s`, or remove the attribute to get the default of 20 minutes."),
                );
            }
        }
    }
}

/// Whether the configuration asks for a wait.
pub fn wanted(state: &State) -> bool {
    state.wait_for_sync == Value::Value(true)
}

/// Whether the configuration may ask for a wait: at plan, an unknown `wait_for_sync` may turn
/// out `true`, so the plan leaves what a wait changes (`sync_status`) unknown.
pub fn may_want(state: &State) -> bool {
    wanted(state) || state.wait_for_sync.is_unknown()
}

/// Whether the last wait on this integration failed (recorded in the private state).
pub fn failed_before(private: &Value<Private>) -> bool {
    matches!(
        private.as_ref_option().map(|p| &p.sync_failed),
        Some(Value::Value(true))
    )
}

/// The time allowed for the wait after `op`.
fn limit(state: &State, op: Op) -> Duration {
    let set = state.timeouts.as_ref_option().and_then(|t| match op {
        Op::Create => t.create.as_ref_option(),
        Op::Update => t.update.as_ref_option(),
    });
    set.and_then(|text| parse_timeout(text))
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// How the wait went, for the state: the sync status to record, and whether it failed.
pub struct Waited {
    pub sync_status: Option<String>,
    pub failed: bool,
}

impl Waited {
    /// No wait ran although one was due: the next apply asks for a sync again.
    pub fn skipped() -> Self {
        Waited {
            sync_status: None,
            failed: true,
        }
    }
}

/// The write a wait follows.
pub struct Written<'a> {
    /// The app of the configuration: where `force_sync` goes.
    pub app_id: &'a str,
    /// The connector as the create or update answered (or as read, for a sync asked again).
    pub connector: &'a Connector,
    pub op: Op,
    /// Whether that answer is a write of the config (see [`WaitFor::wrote_config`]).
    pub wrote_config: bool,
    /// The Coupa client secret of the configuration, masked in ConductorOne's messages: the
    /// one of the credentials parsed for the write ([`crate::coupa_connection::Connection::parse`]).
    pub secret: Option<&'a Secret>,
}

/// Ask for a sync of the connector just written and wait for it, reporting a failure (or a
/// stop request) on `diags`.
pub async fn wait(
    diags: &mut Diagnostics,
    client: &ConductorOne,
    written: Written<'_>,
    planned: &State,
    stop: &Stop,
) -> Waited {
    let Written {
        app_id,
        connector: written,
        op,
        wrote_config,
        secret,
    } = written;
    let allowed = limit(planned, op);
    let backoff = Backoff::from_env(&|name| client.configured_env(name)).unwrap_or_else(|why| {
        tracing::warn!("{why}; using the default pauses between reads");
        Backoff::default()
    });
    let secrets: Vec<&Secret> = secret.into_iter().collect();
    let id = written.id.as_str();
    let timeout_attr = format!("timeouts {{ {} = \"…\" }}", op.name());
    let kept = match op {
        Op::Create => format!("The connector `{id}` is recorded in the state, so no second one is made; Terraform marks it tainted because its create reported an error, so the next `terraform apply` replaces it (deletes it, then creates one with the current configuration). To keep this connector instead, run `terraform untaint <address>` first: the next apply then updates it in place and waits again."),
        Op::Update => format!("The connector `{id}` and its new configuration are recorded in the state; the next `terraform apply` with `wait_for_sync = true` asks ConductorOne for a sync again, and changes the connector first if the configuration changed."),
    };
    let failed = |status: Option<String>| Waited {
        sync_status: status,
        failed: true,
    };
    let asked = WaitFor {
        app_id,
        written,
        limit: allowed,
        backoff,
        secrets: &secrets,
        wrote_config,
    };
    match client.sync_and_wait(asked, stop).await {
        SyncWait::Done(c) => Waited {
            sync_status: Some(status_of(&c).to_owned()),
            failed: false,
        },
        SyncWait::Error {
            connector,
            last_error,
        } => {
            let said = if last_error.trim().is_empty() {
                "ConductorOne gave no message".to_owned()
            } else {
                format!("ConductorOne says: {last_error}")
            };
            diag::root_error(
                diags,
                "Coupa Integration Sync Failed",
                format!("ConductorOne's sync of connector `{id}` (app `{app_id}`) ended with `SYNC_STATUS_ERROR`. {said}\n\nCheck, in Coupa (Setup → Integrations → OAuth2/OpenID Connect Clients), that the client `client_id` names exists and is active, that `client_secret` is its current secret, that it grants the scopes ConductorOne needs (those of `access_mode`), and that the instance at `coupa_domain` accepts connections from ConductorOne's addresses (an IP allow list would block them). {kept}"),
            );
            failed(Some(status_of(&connector).to_owned()))
        }
        SyncWait::Disabled { connector, reason } => {
            let reason = if reason.trim().is_empty() {
                "ConductorOne gave no reason".to_owned()
            } else {
                format!("ConductorOne's reason: {reason}")
            };
            diag::root_error(
                diags,
                "Coupa Integration Sync Disabled",
                format!("Syncing of connector `{id}` (app `{app_id}`) is disabled (`SYNC_STATUS_DISABLED`), so no sync can end. {reason}\n\nResume syncing in ConductorOne (the integration's page), then run `terraform apply` again. {kept}"),
            );
            failed(Some(status_of(&connector).to_owned()))
        }
        SyncWait::TimedOut { waited, last } => {
            let seen = match &last {
                Some(c) if !status_of(c).is_empty() => {
                    format!("the last status seen was `{}`", status_of(c))
                }
                Some(_) => "ConductorOne reported no status".to_owned(),
                None => "no read of the connector came back in that time".to_owned(),
            };
            diag::root_error(
                diags,
                "Timed Out Waiting for Coupa Integration Sync",
                format!("No sync of connector `{id}` (app `{app_id}`) requested by this {} ended within {} (waited {}s); {seen}. A first sync of a large Coupa tenant can take longer: allow more time with `{timeout_attr}` (for example `1h`), or check the integration's page in ConductorOne. {kept}", op.name(), human(allowed), waited.as_secs()),
            );
            failed(last.map(|c| status_of(&c).to_owned()))
        }
        SyncWait::Interrupted { waited, last } => {
            let seen = match last.as_ref().map(status_of) {
                Some(s) if !s.is_empty() => format!("the last sync status seen was `{s}`"),
                _ => "no sync status was seen yet".to_owned(),
            };
            let done = match op {
                Op::Create => "was created",
                Op::Update => "was updated with the new configuration",
            };
            diag::root_error(
                diags,
                "Interrupted While Waiting for Coupa Integration Sync",
                format!("A stop was requested (Ctrl-C, or a cancelled job) after {}s of waiting for ConductorOne's sync of connector `{id}` (app `{app_id}`). The connector {done} in ConductorOne; {seen}. {kept}", waited.as_secs()),
            );
            failed(last.map(|c| status_of(&c).to_owned()))
        }
        SyncWait::Failed { error, last } => {
            diag::root_error(
                diags,
                "Unable to Wait for Coupa Integration Sync",
                format!("Asking ConductorOne for a sync of connector `{id}` (app `{app_id}`), or reading its progress, failed: {error}. {kept}"),
            );
            failed(last.map(|c| status_of(&c).to_owned()))
        }
    }
}

/// `20m`, `1h30m`, `90s` as Terraform users write them.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, 0) => format!("{}ms", d.as_millis()),
        (0, 0, sec) => format!("{sec}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, sec) => format!("{m}m{sec}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, 0) => format!("{h}h{m}m"),
        (h, m, sec) => format!("{h}h{m}m{sec}s"),
    }
}

#[cfg(test)]
mod tests;
