//! Creating a connector: never a second one for the same integration, never one that no state
//! records.
//!
//! ## Before the create: is there one already?
//!
//! A run killed at the wrong moment (`kill -9`, an OOM kill, a runner without a grace period, a
//! second Ctrl-C) can leave a connector that ConductorOne made and no state recorded. The next
//! apply would make a second one for the same Coupa client. So
//! [`ConductorOne::create_or_recover`] first lists the app's connectors (one listing, at most
//! [`LIST_MAX_PAGES`](super::endpoints::LIST_MAX_PAGES) pages, like the lookup below) and, when a live connector of the same
//! catalog passes the caller's `same` test (for Coupa: the same domain and client ID), sends
//! nothing and returns [`CreateError::Exists`] naming it, for the caller to point at `terraform
//! import`. A listing may leave `config` out: each such connector is read (at most
//! [`LIST_MAX_PAGES`](super::endpoints::LIST_MAX_PAGES) reads) to learn it, and one whose
//! configuration stays unknown is a possible twin: nothing is sent
//! ([`CreateError::Unconfirmed`], naming it). A listing that fails sends nothing either ([`CreateError::CheckFailed`]); one that
//! stops at its page cap with pages left is logged and the create goes ahead. Creates of the
//! same integration in one plugin process take turns ([`ConductorOne::create_lock`]), so two
//! resource blocks for one Coupa client make one connector and an error, not two connectors.
//!
//! ## A create whose answer is lost
//!
//! A create is a POST that makes a new connector each time it is carried out, so the HTTP layer
//! sends it again only when the server provably did not act (a 429, or no connection made). When
//! the outcome is ambiguous, because the connection broke, the answer was too slow, cut short or
//! unreadable, or the server failed with a 5xx after perhaps acting, sending it again blindly
//! could leave two connectors, and giving up could leave an orphan. So the app's connectors are
//! listed again and compared with the listing made before the create. A **candidate** is a live
//! connector of the same catalog that the first listing did not have and whose plain
//! configuration values (the Coupa domain and client ID; secrets are never returned) are either
//! absent from the answer or the ones sent: anything the server may have made for this request.
//! Owners and creation times never rule one out (a server may add the caller to the owners, and
//! the two clocks may differ). After a timeout or a 504, when the server may still be working on
//! the request, an empty first look is followed by a second one a moment later.
//!
//! - Exactly one candidate, showing the values sent (in the listing, or else when read):
//!   adopted ([`Created::Recovered`]).
//! - A candidate that cannot be ruled out but not adopted either (its values not shown, or
//!   several candidates): reported by ID ([`Lookup::Ambiguous`]), never sent again.
//! - No candidate in a complete listing: after a refusal-like failure (a 5xx other than 504, a
//!   broken connection) the create provably was not carried out, so it is sent again, within
//!   the HTTP layer's retry policy (its attempts and time budget, after the answer's
//!   `Retry-After` or else the policy's backoff); when the policy allows no more, or Terraform
//!   was interrupted, the caller reports [`Lookup::NoneFound`]. After our own timeout, a 504
//!   or a 2xx whose body could not be read, the server may still commit the create after the
//!   lookup, so it is never sent again ([`Lookup::MayStillAppear`]): the next apply's check
//!   before creating finds it.
//! - A listing that failed, or one cut at its page cap: not provable either way; reported
//!   ([`Lookup`]), never guessed.
//!
//! The lookup is part of finishing a create that reached ConductorOne, so it is sent even after
//! a stop ([`ConductorOne::finishing`]): what was made still reaches the state.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use reqwest::Method;

use super::client::ConductorOne;
use super::endpoints::{json_body, read_connector, segment, LIST_MAX_PAGES};
use super::error::ApiError;
use super::model::{ConfigValue, Connector, NewConnector};
use crate::http::{parse_retry_after, HttpError, Replay, Response};

/// The longest pause before the second look after a timeout.
const MAX_SETTLE: Duration = Duration::from_secs(5);

/// A successful [`ConductorOne::create_or_recover`].
#[derive(Debug)]
pub enum Created {
    /// The create answered with the connector.
    Answered(Connector),
    /// The create's answer was lost (`lost` says how), but the connector it made was found.
    Recovered {
        connector: Connector,
        lost: ApiError,
    },
}

impl Created {
    pub fn connector(&self) -> &Connector {
        match self {
            Created::Answered(c) | Created::Recovered { connector: c, .. } => c,
        }
    }
}

/// Why [`ConductorOne::create_or_recover`] made no connector that it could return.
#[derive(Debug)]
pub enum CreateError {
    /// The app already has these live connectors of the same integration: nothing was sent.
    Exists(Vec<Connector>),
    /// The app has live connectors of the same catalog whose configuration neither the listing
    /// nor a GET of each showed: any may be of the same integration, so nothing was sent.
    Unconfirmed(Vec<Connector>),
    /// Listing the app's connectors, to look for one of the same integration, failed: nothing
    /// was sent.
    CheckFailed(ApiError),
    /// The create failed (`error`, its last attempt's), `sent` times in all; `lookup` is what
    /// looking for its connector found.
    Failed {
        error: ApiError,
        lookup: Lookup,
        sent: u32,
    },
}

/// What a look at the app's connectors after a failed create found.
#[derive(Debug)]
pub enum Lookup {
    /// The request was refused, or never reached the server: no connector can exist.
    NotNeeded,
    /// No connector this request could have made: it was not carried out (and the retry policy
    /// allowed no further attempt).
    NoneFound,
    /// No connector this request made yet, but the server may still commit it (our timeout, a
    /// 504, or a 2xx answer that could not be read): not sent again.
    MayStillAppear,
    /// Connectors that this request may have made (their IDs), none of which could be adopted
    /// or ruled out: several, or one whose configuration values the listing did not show.
    Ambiguous(Vec<String>),
    /// Listing the connectors failed as well.
    Failed(ApiError),
    /// None found among the first `listed` connectors, but the app has more than one lookup
    /// reads ([`LIST_MAX_PAGES`](super::endpoints::LIST_MAX_PAGES) pages): the connector may be among the rest.
    Incomplete { listed: usize },
}

/// One look after a failed create: the connector it made, or why none can be adopted.
enum Look {
    Found(Box<Connector>),
    Not(Lookup),
}

impl ConductorOne {
    /// Create a configured connector: one attempt, sent again by the HTTP layer only when the
    /// server provably did not act on it (a replayed create would make a second connector).
    /// See [`ConductorOne::create_or_recover`] for what to do when this fails.
    pub async fn create(&self, app_id: &str, new: &NewConnector) -> Result<Connector, ApiError> {
        self.create_once(app_id, new).await.map_err(|(e, _)| e)
    }

    /// [`ConductorOne::create`], and on failure the `Retry-After` its answer asked for.
    async fn create_once(
        &self,
        app_id: &str,
        new: &NewConnector,
    ) -> Result<Connector, (ApiError, Option<Duration>)> {
        let path = [
            "api",
            "v1",
            "apps",
            segment("app ID", app_id).map_err(|e| (e, None))?,
            "connectors",
            "create",
        ];
        let sent = new.secrets();
        let body = json_body(&new.to_json());
        match self
            .call_keeping_answer(
                Method::POST,
                self.url(&path),
                body,
                Replay::OnlyIfNotProcessed,
                &sent,
                None,
            )
            .await
        {
            Ok(resp) => read_connector(&resp, "the connector create", &sent).map_err(|e| (e, None)),
            Err((e, answer)) => Err((e, answer.as_ref().and_then(retry_after))),
        }
    }

    /// Create the connector `new` in `app_id` exactly once (see the module documentation):
    /// not when a live connector of the same catalog for which `same` holds exists already;
    /// after an ambiguous failure, the connector it made adopted, or the create sent again when
    /// it provably was not carried out.
    pub async fn create_or_recover(
        &self,
        app_id: &str,
        new: &NewConnector,
        same: &(dyn Fn(&Connector) -> bool + Send + Sync),
    ) -> Result<Created, CreateError> {
        // The check and the create of one integration, one at a time in this process.
        let lock = self.create_lock(integration_key(app_id, new));
        let _turn = lock.lock().await;
        let existing = self.list(app_id).await.map_err(CreateError::CheckFailed)?;
        let before: BTreeSet<String> = existing.connectors.iter().map(|c| c.id.clone()).collect();
        let mut twins = Vec::new();
        let mut unknown = Vec::new();
        let mut reads = 0usize;
        for c in existing.connectors.iter() {
            if c.is_deleted() || c.catalog_id != new.catalog_id {
                continue;
            }
            // A listing may leave `config` out: read the connector to learn it, at most one
            // lookup's worth of reads.
            let learned;
            let c = if shows_keys(c, new) || reads >= LIST_MAX_PAGES {
                c
            } else {
                reads += 1;
                match self.get(app_id, &c.id).await {
                    Ok(read) if !read.is_deleted() => {
                        learned = read;
                        &learned
                    }
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(app_id, id = %c.id, error = %e, "could not read a connector to learn its configuration");
                        c
                    }
                }
            };
            if same(c) {
                twins.push(c.clone());
            } else if !shows_keys(c, new) {
                unknown.push(c.clone());
            }
        }
        if !twins.is_empty() {
            tracing::info!(
                app_id,
                ids = %twins.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(","),
                "not creating: the app already has a connector of this integration"
            );
            return Err(CreateError::Exists(twins));
        }
        if !unknown.is_empty() {
            tracing::info!(
                app_id,
                ids = %unknown.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(","),
                "not creating: the app has connectors of this catalog whose configuration ConductorOne does not show"
            );
            return Err(CreateError::Unconfirmed(unknown));
        }
        if !existing.complete {
            tracing::warn!(
                app_id,
                "the app has more connectors than a lookup reads; creating without knowing whether one of this integration is among the rest"
            );
        }
        let policy = self.http().config().retry.clone();
        let stop = self.http().stop().clone();
        let first_sent = Instant::now();
        let mut sent = 0u32;
        loop {
            sent = sent.saturating_add(1);
            let (error, asked_wait) = match self.create_once(app_id, new).await {
                Ok(connector) => return Ok(Created::Answered(connector)),
                Err(e) => e,
            };
            if !may_have_acted(&error) {
                return Err(CreateError::Failed {
                    error,
                    lookup: Lookup::NotNeeded,
                    sent,
                });
            }
            let lookup = match self.look_for(app_id, new, &before, &error).await {
                Look::Found(connector) => {
                    return Ok(Created::Recovered {
                        connector: *connector,
                        lost: error,
                    })
                }
                Look::Not(Lookup::NoneFound) if !proven_by_absence(&error) => {
                    tracing::warn!(
                        app_id, error = %error,
                        "no connector made by the create was found, but the server may still commit it: not sending it again"
                    );
                    return Err(CreateError::Failed {
                        error,
                        lookup: Lookup::MayStillAppear,
                        sent,
                    });
                }
                Look::Not(lookup) => lookup,
            };
            let wait =
                asked_wait.unwrap_or_else(|| policy.backoff(sent, rand::thread_rng().gen::<f64>()));
            let again = matches!(lookup, Lookup::NoneFound)
                && policy.allows(sent, first_sent.elapsed(), wait)
                && !stop.is_requested();
            if !again {
                return Err(CreateError::Failed {
                    error,
                    lookup,
                    sent,
                });
            }
            tracing::info!(
                app_id, error = %error, attempt = sent,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "the create was not carried out (no connector it made exists); sending it again"
            );
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.requested() => {
                    tracing::info!(app_id, "not sending the create again: Terraform was interrupted");
                    return Err(CreateError::Failed { error, lookup, sent });
                }
            }
        }
    }

    /// Look for the connector that a create of `new` failing with `error` may have made, once,
    /// or twice when the server may still be working on it.
    async fn look_for(
        &self,
        app_id: &str,
        new: &NewConnector,
        before: &BTreeSet<String>,
        error: &ApiError,
    ) -> Look {
        let settle = self.http().config().attempt_timeout.min(MAX_SETTLE);
        let mut looks = if still_working(error) { 2 } else { 1 };
        // Part of finishing a create that reached ConductorOne: sent even after a stop.
        let client = self.finishing();
        loop {
            looks -= 1;
            tracing::info!(
                app_id, error = %error,
                "the connector create failed ambiguously; looking for the connector it may have made"
            );
            let all = match client.list(app_id).await {
                Err(e) => return Look::Not(Lookup::Failed(e)),
                Ok(all) => all,
            };
            let listed = all.connectors.len();
            let mut found: Vec<Connector> = all
                .connectors
                .into_iter()
                .filter(|c| candidate(c, new, before))
                .collect();
            // One candidate whose values the listing left out: read it to learn them.
            if let [only] = found.as_mut_slice() {
                if !shows_config(only, new) {
                    if let Ok(read) = client.get(app_id, &only.id).await {
                        if candidate(&read, new, before) {
                            *only = read;
                        } else {
                            found.clear();
                        }
                    }
                }
            }
            match found.len() {
                1 if found.first().is_some_and(|c| shows_config(c, new)) => {
                    let connector = found.remove(0);
                    tracing::warn!(
                        app_id, id = %connector.id,
                        "adopted the connector that the failed create made"
                    );
                    return Look::Found(Box::new(connector));
                }
                0 if looks > 0 => tokio::time::sleep(settle).await,
                0 if !all.complete => return Look::Not(Lookup::Incomplete { listed }),
                0 => return Look::Not(Lookup::NoneFound),
                _ => {
                    return Look::Not(Lookup::Ambiguous(found.into_iter().map(|c| c.id).collect()))
                }
            }
        }
    }
}

/// What tells one integration from another in [`ConductorOne::create_lock`]: the app, the
/// catalog and the plain config values (secrets left out, never kept in memory longer).
fn integration_key(app_id: &str, new: &NewConnector) -> String {
    let mut key = format!("{app_id}\n{}", new.catalog_id);
    for (k, v) in &new.config {
        if let ConfigValue::Plain(v) = v {
            key.push_str(&format!("\n{k}={}", v.trim().to_ascii_lowercase()));
        }
    }
    key
}

/// The `Retry-After` of an error answer, if it has a usable one.
fn retry_after(resp: &Response) -> Option<Duration> {
    resp.headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// Whether the server may have carried out a create that failed with `e`: anything but a refusal
/// (4xx), a request that never left (no token, invalid arguments, a stop) or a connection never
/// made.
pub(super) fn may_have_acted(e: &ApiError) -> bool {
    match e {
        ApiError::Http(
            HttpError::Connect { .. }
            | HttpError::Certificate { .. }
            | HttpError::Interrupted { .. },
        ) => false,
        ApiError::Http(_) | ApiError::Decode { .. } => true,
        ApiError::Status { status, .. } => *status >= 500,
        ApiError::Token(_) | ApiError::Invalid(_) | ApiError::Unproven { .. } => false,
    }
}

/// Whether a complete listing without the connector proves that a create failing with `e` was
/// not carried out: not when the server may still commit it ([`still_working`]) or when it
/// answered 2xx with a body we could not read (it made the connector).
pub(super) fn proven_by_absence(e: &ApiError) -> bool {
    !still_working(e) && !matches!(e, ApiError::Decode { .. })
}

/// Whether the server may still be working on a request that failed with `e`: we stopped
/// waiting, or a gateway did.
pub(super) fn still_working(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Http(HttpError::Timeout { .. }) | ApiError::Status { status: 504, .. }
    )
}

/// Whether `c` may be the connector that a create of `new` made: live, of the same catalog,
/// not in the listing made before the create (`before`), and with each plain config value sent
/// either absent from the answer or equal. Owners and creation time never rule it out.
fn candidate(c: &Connector, new: &NewConnector, before: &BTreeSet<String>) -> bool {
    if c.is_deleted() || c.catalog_id != new.catalog_id || before.contains(&c.id) {
        return false;
    }
    let Some(cfg) = c.config.as_ref() else {
        return true;
    };
    new.config.iter().all(|(key, value)| match value {
        ConfigValue::Plain(v) => cfg.values.get(key).is_none_or(|have| have == v),
        // Never returned by the API.
        ConfigValue::Secret(_) => true,
    })
}

/// Whether `c`'s answer shows a value for every plain config key of `new` (so that a
/// comparison can tell whether it is the same integration).
fn shows_keys(c: &Connector, new: &NewConnector) -> bool {
    c.config.as_ref().is_some_and(|cfg| {
        new.config.iter().all(|(key, value)| match value {
            ConfigValue::Plain(_) => cfg.values.contains_key(key),
            ConfigValue::Secret(_) => true,
        })
    })
}

/// Whether `c` shows every plain config value sent (and so is known to be this integration's,
/// not only not ruled out).
fn shows_config(c: &Connector, new: &NewConnector) -> bool {
    c.config.as_ref().is_some_and(|cfg| {
        new.config.iter().all(|(key, value)| match value {
            ConfigValue::Plain(v) => cfg.values.get(key) == Some(v),
            ConfigValue::Secret(_) => true,
        })
    })
}

#[cfg(test)]
mod tests;
