//! Waiting for a connector's sync: ask ConductorOne for one (`force_sync`, reference §3.1),
//! then read the connector, backing off between reads, until a sync that answers for the
//! config just written has ended, the time allowed is up, or a stop is requested.
//!
//! ## Which sync is ours
//!
//! `force_sync` answers `{}`: no sync ID, no time, and what it does while a sync runs is not
//! documented (queue, merge, refuse: reference §2.6). Saving the config starts a sync by itself.
//! What the API does expose is `connector.configUpdatedAt` in the create or update answer, and
//! `connector.status` (`startedAt`, `completedAt` of the latest sync), all on ConductorOne's
//! clock. So a sync is ours when it **started at or after the config was written**
//! (`startedAt >= configUpdatedAt`), whichever request started it, the write or `force_sync`;
//! no clock of ours is compared with theirs. A `DONE` or `ERROR` that started earlier is an
//! older sync's verdict, never taken for an answer, and an answer without a status changes
//! nothing about that (the threshold is the write's time, not the status shown). A status without
//! `startedAt` counts when its `completedAt` is at or after the write (without it the wait could
//! only run out its time); the price is that an older sync ending after the write, shown without
//! a start, is taken for ours.
//!
//! When an older sync was still running at that time (it ended at or after the write, or its
//! end is unknown), or `force_sync` was refused with ConductorOne's "a sync is already
//! running" (every plausible shape, as that answer is not documented:
//! [`ApiError::is_sync_refusal`]), our request may have been merged into it or dropped: once
//! that older sync has ended, the wait asks
//! again, once per older sync, all within the time allowed. A connector whose syncing is
//! disabled (`SYNC_STATUS_DISABLED`) is an answer whenever it shows: no sync runs until it is
//! resumed, which `force_sync` does not do, so waiting could only run out.
//!
//! Without a `configUpdatedAt` in the answer (a server that leaves it out), the connector is
//! read once first and its `configUpdatedAt` used; failing that, a sync is ours when it started
//! strictly after the one on show in that read. A sync asked again without a write (after a
//! failed wait) is ours when it started strictly after the one on show when asked.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use super::client::ConductorOne;
use super::error::ApiError;
use super::model::Connector;
use crate::http::{parse_duration, Body, Replay};
use crate::secret::{scrub, Secret};
use crate::stop::Stop;

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
    /// A stop was requested (Ctrl-C, a cancelled job) before a sync of ours ended.
    Interrupted {
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

/// An RFC 3339 time as seconds since 1970 and nanoseconds, comparable across offsets.
fn instant(text: &str) -> Option<(i64, u32)> {
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

/// Parsed `status.startedAt`.
fn started_at(c: &Connector) -> Option<(i64, u32)> {
    instant(c.status.as_ref()?.started_at.as_deref()?)
}

/// Parsed `status.completedAt`.
fn completed_at(c: &Connector) -> Option<(i64, u32)> {
    instant(c.status.as_ref()?.completed_at.as_deref()?)
}

/// The status name of `c` (`""` when it has none).
pub fn status_of(c: &Connector) -> &str {
    c.status.as_ref().map_or("", |s| s.status.as_str())
}

/// Which syncs answer for the config just written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ours {
    /// Those that started at or after this time (`configUpdatedAt`).
    StartedFrom((i64, u32)),
    /// Those that started strictly after this time (`None`: any that started), when no
    /// `configUpdatedAt` was to be had.
    StartedAfter(Option<(i64, u32)>),
}

impl Ours {
    /// From the connector as the write answered, when it says when the config was written.
    pub(crate) fn from_written(c: &Connector) -> Option<Ours> {
        c.config_updated_at
            .as_deref()
            .and_then(instant)
            .map(Ours::StartedFrom)
    }

    /// From a read made after the write.
    fn from_read(c: &Connector) -> Ours {
        Ours::from_written(c).unwrap_or(Ours::StartedAfter(started_at(c)))
    }

    /// Whether the sync on show in `c` answers for the config: by its start, or, when
    /// ConductorOne gives no `startedAt`, by its end at or after the config was written (only
    /// against a `configUpdatedAt`: a start baseline says nothing about an end).
    fn counts_sync(self, c: &Connector) -> bool {
        match (started_at(c), self, completed_at(c)) {
            (Some(s), _, _) => self.counts(Some(s)),
            (None, Ours::StartedFrom(t), Some(done)) => done >= t,
            (None, _, _) => false,
        }
    }

    fn counts(self, started: Option<(i64, u32)>) -> bool {
        match (self, started) {
            (_, None) => false,
            (Ours::StartedFrom(t), Some(s)) => s >= t,
            (Ours::StartedAfter(b), Some(s)) => b.is_none_or(|b| s > b),
        }
    }

    /// Whether an older sync that ended at `completed` may have swallowed our request: it was
    /// still running when the config was written (or its end is unknown).
    fn may_have_merged(self, completed: Option<(i64, u32)>) -> bool {
        match (self, completed) {
            (_, None) => true,
            (Ours::StartedFrom(t), Some(c)) => c >= t,
            (Ours::StartedAfter(b), Some(c)) => b.is_none_or(|b| c > b),
        }
    }
}

/// What `now` says about the wait: `Some` when it is over.
fn verdict(now: &Connector, ours: Ours, secrets: &[&Secret]) -> Option<SyncWait> {
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
    let mine = ours.counts_sync(now);
    match status {
        STATUS_DONE if mine => Some(SyncWait::Done(now.clone())),
        STATUS_ERROR if mine => Some(SyncWait::Error {
            connector: now.clone(),
            last_error: scrub(
                now.status.as_ref().map_or("", |s| s.last_error.as_str()),
                secrets,
            ),
        }),
        _ => None,
    }
}

/// When to ask for a sync again: an older sync has ended that may have swallowed our request
/// (`refused`: `force_sync` said a sync was running), and we have not asked since it ended.
/// Returns the start of that older sync, to ask once per older sync.
fn ask_again(
    now: &Connector,
    ours: Ours,
    refused: bool,
    asked_after: Option<Option<(i64, u32)>>,
) -> Option<Option<(i64, u32)>> {
    let ended = matches!(status_of(now), STATUS_DONE | STATUS_ERROR);
    let started = started_at(now);
    if !ended || ours.counts_sync(now) || asked_after == Some(started) {
        return None;
    }
    (refused || ours.may_have_merged(completed_at(now))).then_some(started)
}

/// What a sync wait needs to know beyond the connector.
pub struct WaitFor<'a> {
    /// The app of the configuration (not of the answer): where `force_sync` and reads go.
    pub app_id: &'a str,
    /// The connector as the create or update that wrote the config answered, or as read when
    /// the wait is asked again without a write.
    pub written: &'a Connector,
    /// Whether `written` answers a write of the config: then a sync that started at or after
    /// its `configUpdatedAt` counts. Without one (a sync asked again after a failed wait), only
    /// a sync that started after the one on show in `written` does: the last sync's verdict,
    /// which started after the config was written, is what is being asked about again.
    pub wrote_config: bool,
    pub limit: Duration,
    pub backoff: Backoff,
    /// Masked in what ConductorOne's messages quote.
    pub secrets: &'a [&'a Secret],
}

impl ConductorOne {
    /// `POST /api/v1/apps/{app_id}/connectors/{id}/force_sync` with `{}`: asks for a sync.
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

    /// Ask for a sync of the connector and wait, at most `w.limit` in all, for one of ours (see
    /// the module documentation) to end. Reads are spaced by `w.backoff`, one GET each, and
    /// logged at INFO. Ends within moments of `stop` being requested.
    pub async fn sync_and_wait(&self, w: WaitFor<'_>, stop: &Stop) -> SyncWait {
        let started = Instant::now();
        let mut last: Option<Connector> = None;
        let (app_id, id) = (w.app_id, w.written.id.as_str());
        // The futures of a `select!` live until it ends: decide first, then report.
        let outcome = tokio::select! {
            biased;
            () = stop.requested() => None,
            end = tokio::time::timeout(w.limit, self.poll(&w, started, &mut last)) => Some(end.ok()),
        };
        let waited = started.elapsed();
        let last_status = last.as_ref().map_or("none", status_of);
        match outcome {
            Some(Some(end)) => end,
            Some(None) => {
                tracing::info!(
                    app_id,
                    id,
                    last_status,
                    waited_s = waited.as_secs(),
                    "gave up waiting for ConductorOne's sync: the time allowed is over"
                );
                SyncWait::TimedOut { waited, last }
            }
            None => {
                tracing::info!(
                    app_id,
                    id,
                    last_status,
                    waited_s = waited.as_secs(),
                    "stopped waiting for ConductorOne's sync: a stop was requested"
                );
                SyncWait::Interrupted { waited, last }
            }
        }
    }

    /// Asks for a sync; `Ok(true)` when ConductorOne refused because one is running
    /// ([`ApiError::is_sync_refusal`]), which the wait then follows, within its time. Any other
    /// failure, another 400 included, is `Err` with ConductorOne's status, message and request
    /// ID, and ends the wait at once.
    async fn ask_for_sync(&self, app_id: &str, id: &str) -> Result<bool, ApiError> {
        match self.force_sync(app_id, id).await {
            Ok(()) => Ok(false),
            Err(e) if e.is_sync_refusal() => {
                tracing::info!(app_id, id, error = %e, "ConductorOne refused force_sync while a sync runs; following that sync");
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    async fn poll(
        &self,
        w: &WaitFor<'_>,
        started: Instant,
        last: &mut Option<Connector>,
    ) -> SyncWait {
        let (app_id, id) = (w.app_id, w.written.id.as_str());
        let from_write = if w.wrote_config {
            Ours::from_written(w.written)
        } else {
            Some(Ours::StartedAfter(started_at(w.written)))
        };
        let ours = match from_write {
            Some(ours) => ours,
            None => match self.get(app_id, id).await {
                Ok(c) => {
                    let ours = Ours::from_read(&c);
                    *last = Some(c);
                    ours
                }
                Err(error) => return SyncWait::Failed { error, last: None },
            },
        };
        let mut refused = match self.ask_for_sync(app_id, id).await {
            Ok(refused) => refused,
            Err(error) => {
                return SyncWait::Failed {
                    error,
                    last: last.clone(),
                }
            }
        };
        tracing::info!(
            app_id,
            id,
            previous_status = status_of(w.written),
            "asked ConductorOne for a sync; waiting for one that started once the config was written"
        );
        let mut asked_after = None;
        let mut n = 0u32;
        loop {
            let pause = w.backoff.delay(n);
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
            let end = verdict(&now, ours, w.secrets);
            tracing::info!(
                app_id,
                id,
                status = status_of(&now),
                ours = end.is_some(),
                read = n,
                elapsed_s = started.elapsed().as_secs(),
                "read the connector while waiting for ConductorOne's sync"
            );
            if end.is_none() {
                if let Some(older) = ask_again(&now, ours, refused, asked_after) {
                    tracing::info!(
                        app_id,
                        id,
                        "an older sync ended that may have taken our request; asking for a sync again"
                    );
                    asked_after = Some(older);
                    refused = match self.ask_for_sync(app_id, id).await {
                        Ok(r) => r,
                        Err(error) => {
                            return SyncWait::Failed {
                                error,
                                last: Some(now),
                            }
                        }
                    };
                    // The next read comes soon: the new sync may be short.
                    n = 0;
                }
            }
            *last = Some(now);
            if let Some(end) = end {
                return end;
            }
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod on_the_wire;
