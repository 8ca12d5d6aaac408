//! Waiting for a connector's sync: ask ConductorOne for one (`force_sync`, reference §3.1),
//! then read the connector, backing off between reads, until a sync that started after the
//! request has ended, or the time allowed is up.
//!
//! ## Which sync is ours
//!
//! `force_sync` only queues a sync and answers `{}`: no sync ID, no time. What the API does
//! expose is `connector.status`, whose `startedAt` is the start of the latest sync. So the
//! caller passes the connector as it read it last before the request (the answer to the create
//! or update that wrote the config), and a sync is ours when its `startedAt` is strictly later
//! than the `startedAt` seen there (none seen counts as earlier than any). Both times come from
//! ConductorOne's clock, so no clock of ours is compared with theirs. Until such a sync ends,
//! a `DONE` or `ERROR` still on show is the previous sync's, and is not taken for an answer.
//!
//! The only sync this may take for ours that did not start after the request itself is one
//! that started in the moment between that create/update answer and the request (one queued by
//! the config change): it started after ConductorOne had stored the config we wrote, so its
//! verdict is about that config, which is the question. A connector whose syncing is disabled
//! (`SYNC_STATUS_DISABLED`) is an answer whenever it shows: no sync runs until it is resumed,
//! which `force_sync` does not do, so waiting could only run out.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use super::client::ConductorOne;
use super::error::ApiError;
use super::model::Connector;
use crate::http::{parse_duration, Body, Replay};
use crate::secret::{scrub, Secret};

/// The first pause between two reads of the connector, and the longest.
pub const POLL_FIRST: Duration = Duration::from_secs(1);
pub const POLL_MAX: Duration = Duration::from_secs(15);
/// Test hooks for the two pauses (`500ms`, `2s`, or seconds), like `CONDUCTORONE_HTTP_*`.
pub const ENV_POLL_FIRST: &str = "CONDUCTORONE_SYNC_POLL_FIRST";
pub const ENV_POLL_MAX: &str = "CONDUCTORONE_SYNC_POLL_MAX";

pub const STATUS_DONE: &str = "SYNC_STATUS_DONE";
pub const STATUS_ERROR: &str = "SYNC_STATUS_ERROR";
pub const STATUS_DISABLED: &str = "SYNC_STATUS_DISABLED";

/// The pauses between reads: `first`, doubling each time, never over `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: POLL_FIRST,
            max: POLL_MAX,
        }
    }
}

impl Backoff {
    /// The default, with what [`ENV_POLL_FIRST`] and [`ENV_POLL_MAX`] set in `env` (read once,
    /// at configure); `Err` names the variable whose value is not a duration.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Backoff, String> {
        let read = |name: &str, default: Duration| match env(name) {
            Some(text) => parse_duration(&text)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    format!("{name}={text:?} is not a duration such as `1s` or `500ms`")
                }),
            None => Ok(default),
        };
        let first = read(ENV_POLL_FIRST, POLL_FIRST)?;
        let max = read(ENV_POLL_MAX, POLL_MAX)?.max(first);
        Ok(Backoff { first, max })
    }

    /// The pause before read number `n` (0 for the first read after the request).
    pub fn delay(&self, n: u32) -> Duration {
        self.first
            .checked_mul(2u32.saturating_pow(n))
            .map_or(self.max, |d| d.min(self.max))
    }
}

/// How a wait ended. Every variant but `Failed` carries the connector as last read.
#[derive(Debug)]
pub enum SyncWait {
    /// A sync of ours ended `SYNC_STATUS_DONE`.
    Done(Connector),
    /// A sync of ours ended `SYNC_STATUS_ERROR`; `last_error` is ConductorOne's, the secrets
    /// given to the wait masked.
    Error {
        connector: Connector,
        last_error: String,
    },
    /// Syncing is disabled; `reason` is `syncDisabledReason` (secrets masked).
    Disabled {
        connector: Connector,
        reason: String,
    },
    /// No sync of ours ended within the time allowed; `last` is the connector as last read.
    TimedOut {
        waited: Duration,
        last: Option<Connector>,
    },
    /// The request, or a read, failed; `last` is the connector as last read, if any was.
    Failed {
        error: ApiError,
        last: Option<Connector>,
    },
}

fn is_json_object(body: &[u8]) -> bool {
    matches!(serde_json::from_slice(body), Ok(Value::Object(_)))
}

/// Parsed `startedAt`: seconds since 1970 and nanoseconds, comparable across offsets.
fn started_at(c: &Connector) -> Option<(i64, u32)> {
    let text = c.status.as_ref()?.started_at.as_deref()?;
    let seconds = super::model::unix_seconds(text)?;
    // The fraction, if any, sits between the seconds and the offset.
    let nanos = text
        .split_once('.')
        .map(|(_, rest)| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let padded = format!("{digits:0<9}");
            padded
                .get(..9)
                .and_then(|d| d.parse::<u32>().ok())
                .unwrap_or(0)
        })
        .unwrap_or(0);
    Some((seconds, nanos))
}

/// The status name of `c` (`""` when it has none).
pub fn status_of(c: &Connector) -> &str {
    c.status.as_ref().map_or("", |s| s.status.as_str())
}

/// What `now` says about the wait: `Some` when it is over.
fn verdict(now: &Connector, before: Option<(i64, u32)>, secrets: &[&Secret]) -> Option<SyncWait> {
    if now.is_deleted() {
        return Some(SyncWait::Failed {
            error: ApiError::Invalid(format!(
                "connector `{}` was deleted while waiting for its sync",
                now.id
            )),
            last: Some(now.clone()),
        });
    }
    let status = status_of(now);
    if status == STATUS_DISABLED {
        return Some(SyncWait::Disabled {
            connector: now.clone(),
            reason: scrub(&now.sync_disabled_reason, secrets),
        });
    }
    let ours = started_at(now).is_some_and(|s| before.is_none_or(|b| s > b));
    match status {
        STATUS_DONE if ours => Some(SyncWait::Done(now.clone())),
        STATUS_ERROR if ours => Some(SyncWait::Error {
            connector: now.clone(),
            last_error: scrub(
                now.status.as_ref().map_or("", |s| s.last_error.as_str()),
                secrets,
            ),
        }),
        _ => None,
    }
}

impl ConductorOne {
    /// `POST /api/v1/apps/{app_id}/connectors/{id}/force_sync` with `{}`: queues a sync.
    /// Sent again after a lost answer: at worst one more sync is queued.
    pub async fn force_sync(&self, app_id: &str, id: &str) -> Result<(), ApiError> {
        for (what, value) in [("app ID", app_id), ("connector ID", id)] {
            if value.trim().is_empty() || value == "." || value == ".." {
                return Err(ApiError::Invalid(format!(
                    "the {what} is empty or not an ID"
                )));
            }
        }
        let url = self.url(&["api", "v1", "apps", app_id, "connectors", id, "force_sync"]);
        let resp = self
            .call(
                Method::POST,
                url,
                Body::Json(b"{}".to_vec()),
                Replay::Safe,
                &[],
                Some(is_json_object),
            )
            .await?;
        match serde_json::from_slice::<Value>(&resp.body) {
            Ok(Value::Object(_)) => Ok(()),
            _ => Err(ApiError::Decode {
                what: "the force_sync answer".into(),
                detail: "the answer is not a JSON object".into(),
                status: resp.status,
                request_id: resp.request_id.clone(),
            }),
        }
    }

    /// Ask for a sync of connector `id` and wait, at most `limit` in all, for one that started
    /// after `before` (the connector as read last before this call: see the module
    /// documentation) to end. Reads are spaced by `backoff`, one GET each, and logged at INFO.
    /// `secrets` are masked in what ConductorOne's messages quote.
    pub async fn sync_and_wait(
        &self,
        before: &Connector,
        limit: Duration,
        backoff: Backoff,
        secrets: &[&Secret],
    ) -> SyncWait {
        let started = Instant::now();
        let mut last: Option<Connector> = None;
        let outcome = tokio::time::timeout(
            limit,
            self.poll(before, backoff, secrets, started, &mut last),
        )
        .await;
        match outcome {
            Ok(end) => end,
            Err(_) => {
                let waited = started.elapsed();
                tracing::info!(
                    app_id = %before.app_id, id = %before.id,
                    last_status = last.as_ref().map_or("none", status_of),
                    waited_s = waited.as_secs(),
                    "gave up waiting for ConductorOne's sync: the time allowed is over"
                );
                SyncWait::TimedOut { waited, last }
            }
        }
    }

    async fn poll(
        &self,
        before: &Connector,
        backoff: Backoff,
        secrets: &[&Secret],
        started: Instant,
        last: &mut Option<Connector>,
    ) -> SyncWait {
        let (app_id, id) = (before.app_id.as_str(), before.id.as_str());
        let baseline = started_at(before);
        if let Err(error) = self.force_sync(app_id, id).await {
            return SyncWait::Failed { error, last: None };
        }
        tracing::info!(
            app_id,
            id,
            previous_status = status_of(before),
            "asked ConductorOne for a sync; waiting for it to end"
        );
        let mut n = 0u32;
        loop {
            let pause = backoff.delay(n);
            n = n.saturating_add(1);
            tokio::time::sleep(pause).await;
            let now = match self.get(app_id, id).await {
                Ok(c) => c,
                Err(error) => {
                    return SyncWait::Failed {
                        error,
                        last: last.clone(),
                    }
                }
            };
            let end = verdict(&now, baseline, secrets);
            tracing::info!(
                app_id,
                id,
                status = status_of(&now),
                ours = end.is_some(),
                read = n,
                elapsed_s = started.elapsed().as_secs(),
                "read the connector while waiting for ConductorOne's sync"
            );
            *last = Some(now);
            if let Some(end) = end {
                return end;
            }
        }
    }
}

#[cfg(test)]
mod tests;
