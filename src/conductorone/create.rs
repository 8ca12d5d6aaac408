//! Creating a connector: never a second one for the same integration, never one that no state
//! records, and a create sent again only on proof that it was not made.
//!
//! ## Before the create: is there one already?
//!
//! A run killed at the wrong moment (`kill -9`, an OOM kill, a runner without a grace period, a
//! second Ctrl-C) can leave a connector that ConductorOne made and no state recorded, and
//! another workspace may have made one for the same Coupa client. So
//! [`ConductorOne::create_or_recover`] first lists the app's connectors
//! ([`ConductorOne::twins`]: one listing, at most [`LIST_MAX_PAGES`](super::endpoints::LIST_MAX_PAGES) pages) and, when a live
//! connector of the same integration ([`Identity`]: the catalog and the plain config values, in
//! the caller's comparable form) exists, sends nothing and returns [`CreateError::Exists`]
//! naming it, for the caller to point at `terraform import`. A listing may leave `config` out:
//! each such connector is read to learn it, and one whose configuration stays unknown is a
//! possible twin: nothing is sent ([`CreateError::Unconfirmed`]). A listing that fails sends
//! nothing ([`CreateError::CheckFailed`]), and neither does one that stops at its page cap with
//! pages left, or whose server ignored `page_token` ([`CreateError::Incomplete`]): the
//! connectors not seen may hold the twin, and an app of more than 5,000 connectors, or a server
//! that ignores paging, is far rarer than the duplicate a blind create would risk.
//!
//! Creates of one integration in one plugin process take turns ([`ConductorOne::create_lock`]),
//! so two resource blocks for one Coupa client make one connector and an error. An update that
//! moves a connector onto another Coupa client takes the same turn, through its check and its
//! write ([`ConductorOne::integration_turn`]), so it and a create of that client in one apply
//! also make one connector and an error. Two plugin
//! processes (two workspaces applying at once) share no lock: both checks may find nothing and
//! both creates go out. What catches that case is the next look: the check before any later
//! create, and the twin a refresh finds beside a managed connector.
//!
//! ## What proves a create was not made
//!
//! A create is a POST that makes a new connector each time it is carried out. It is sent again
//! only when the failure itself proves that ConductorOne did not carry it out:
//!
//! - no connection was made: refused, unreachable, a failed TLS handshake or certificate
//!   (`HttpError::Connect`, `HttpError::Certificate`): not one byte of the request was sent;
//!   the HTTP layer sends it again within its retry policy;
//! - a 429: rate limited before the request was served (ConductorOne's own provider retries
//!   only this status, creates included: reference §4); the HTTP layer sends it again;
//! - a 401: the token was refused before the request was served; sent again once, with a new
//!   token (the auth floor);
//! - any other 4xx (400 InvalidArgument, 403, 404 code 5 from a gateway without the route,
//!   409): a refusal in place of a result; not sent again, nothing to look for;
//! - a request never sent (no token, invalid arguments, a stop before it started).
//!
//! ConductorOne documents no answer that its gateway gives before the backend other than the
//! 404 of a path it has no route for (reference §2.6). The published OpenAPI document declares
//! only the `200` of each operation: no 5xx, no "unavailable before the backend". So every
//! other failure counts as "may have been made": a 500, 502 or 503 (a proxy's, or a gateway's
//! that lost the backend's answer), a 504, a reset or a cut after the request went out, our own
//! timeout, a redirect, and a 2xx whose body is cut short, unreadable or too large.
//!
//! ## A create that may have been made
//!
//! The app's connectors are listed again and compared with the listing made before the create.
//! A **candidate** is a live connector of the same catalog that the first listing did not have
//! and that shows no plain value other than the ones sent ([`Identity::may_be`]). A server can
//! commit late (the connector shows in the listing seconds after the error), so an empty look
//! is followed by more, after pauses of [`SETTLE`] (7 seconds in all).
//!
//! - Exactly one candidate showing the values sent (in the listing, or else when read): adopted
//!   ([`Created::Recovered`]).
//! - A candidate that cannot be ruled out but not adopted either (its values not shown, or
//!   several): reported by ID ([`Lookup::Ambiguous`]).
//! - None after the last look: [`Lookup::NotFound`]; a listing that failed or was incomplete at
//!   the last look: [`Lookup::Failed`], [`Lookup::Incomplete`].
//!
//! In none of these is the create sent again: the caller fails naming what to check, and the
//! next apply's check before creating decides (it finds the connector if it was made).
//!
//! The lookup is part of finishing a create that reached ConductorOne, so it is sent even after
//! a stop ([`ConductorOne::finishing`], which also gets and renews its token despite the stop).
//! A stop bounds it: it ends at most [`LOOKUP_AFTER_STOP`] after the stop or after the lookup
//! began, whichever is later ([`Lookup::Interrupted`]), settle pauses and listings included.

mod twins;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::Method;

use super::client::ConductorOne;
use super::endpoints::{json_body, read_connector, segment};
use super::error::ApiError;
use super::model::{Connector, NewConnector};
use crate::http::{HttpError, Replay};

pub use twins::{Comparable, Identity, Twins};

/// The pauses between the looks for a create that may have been made: looks at once, then
/// 1, 3 and 7 seconds after the first.
pub const SETTLE: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// How long a lookup may go on after a stop (or after it began, when the stop came first).
pub const LOOKUP_AFTER_STOP: Duration = Duration::from_secs(10);

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
    /// The listing stopped after `listed` connectors with more left (or its server ignored
    /// `page_token`): the twin may be among the rest, so nothing was sent.
    Incomplete { listed: usize },
    /// The create failed with `error`; `lookup` is what looking for its connector found.
    Failed { error: ApiError, lookup: Lookup },
}

/// What a look at the app's connectors after a failed create found.
#[derive(Debug)]
pub enum Lookup {
    /// The failure proves the create was not carried out (refused, or never sent).
    NotNeeded,
    /// No connector this request may have made, in complete listings over `settled` after the
    /// failure: perhaps not made, perhaps committed later still.
    NotFound { settled: Duration },
    /// Connectors that this request may have made (their IDs), none of which could be adopted
    /// or ruled out: several, or one whose configuration values were not shown.
    Ambiguous(Vec<String>),
    /// Listing the connectors failed as well, at the last look.
    Failed(ApiError),
    /// None found among the first `listed` connectors, but the app has more than one lookup
    /// reads ([`LIST_MAX_PAGES`](super::endpoints::LIST_MAX_PAGES) pages): the connector may be among the rest.
    Incomplete { listed: usize },
    /// A stop ended the lookup ([`LOOKUP_AFTER_STOP`]) before it found the connector.
    Interrupted,
}

/// What the lookup after a create that may have been made looks for: a Coupa integration
/// ([`Identity`]), or the delegated create's pending connector (`super::delegated`).
pub(super) trait Sought: Send + Sync {
    /// Whether `c`, a connector the listing before the create did not have, may be the one the
    /// create made: nothing it shows rules it out.
    fn may_be(&self, c: &Connector) -> bool;
    /// Whether `c` shows enough to be adopted as that connector.
    fn shows(&self, c: &Connector) -> bool;
}

impl Sought for Identity {
    fn may_be(&self, c: &Connector) -> bool {
        Identity::may_be(self, c)
    }

    fn shows(&self, c: &Connector) -> bool {
        self.is_twin(c)
    }
}

/// One look after a failed create: the connector it made, or why none can be adopted.
pub(super) enum Look {
    Found(Box<Connector>),
    Not(Lookup),
}

/// A turn at the integration of [`ConductorOne::integration_turn`], held until dropped.
pub type Turn = tokio::sync::OwnedMutexGuard<()>;

impl ConductorOne {
    /// Wait for this process's turn at the integration `identity` in `app_id`
    /// ([`ConductorOne::create_lock`], keyed by [`Identity::lock_key`]): taken by each create of
    /// it, through its check and its create, and by each update that moves a connector onto
    /// it, through its check and its write.
    pub async fn integration_turn(&self, app_id: &str, identity: &Identity) -> Turn {
        self.create_lock(identity.lock_key(app_id))
            .lock_owned()
            .await
    }

    /// Create a configured connector: one attempt, sent again by the HTTP layer only when the
    /// server provably did not act on it (a replayed create would make a second connector).
    /// See [`ConductorOne::create_or_recover`] for what to do when this fails.
    pub async fn create(&self, app_id: &str, new: &NewConnector) -> Result<Connector, ApiError> {
        let path = [
            "api",
            "v1",
            "apps",
            segment("app ID", app_id)?,
            "connectors",
            "create",
        ];
        let sent = new.secrets();
        let body = json_body(&new.to_json());
        let resp = self
            .call(
                Method::POST,
                self.url(&path),
                body,
                Replay::OnlyIfNotProcessed,
                &sent,
                None,
            )
            .await?;
        read_connector(&resp, "the connector create", &sent)
    }

    /// Create the connector `new` in `app_id` exactly once (see the module documentation): not
    /// when the app has a live connector of the same integration (`comparable` gives each
    /// plain value the form it is compared in); after a failure that does not prove the create
    /// was not made, the connector it made adopted, or the failure reported, never the create
    /// sent again.
    pub async fn create_or_recover(
        &self,
        app_id: &str,
        new: &NewConnector,
        comparable: Comparable,
    ) -> Result<Created, CreateError> {
        let identity = Identity::new(&new.catalog_id, &new.config, comparable);
        // The check and the create of one integration, one at a time in this process.
        let _turn = self.integration_turn(app_id, &identity).await;
        let found = self
            .twins(app_id, &identity, None)
            .await
            .map_err(CreateError::CheckFailed)?;
        let ids = |cs: &[Connector]| {
            cs.iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        if !found.twins.is_empty() {
            tracing::info!(app_id, ids = %ids(&found.twins), "not creating: the app already has a connector of this integration");
            return Err(CreateError::Exists(found.twins));
        }
        if !found.unknown.is_empty() {
            tracing::info!(app_id, ids = %ids(&found.unknown), "not creating: the app has connectors of this catalog whose configuration ConductorOne does not show");
            return Err(CreateError::Unconfirmed(found.unknown));
        }
        if !found.complete {
            tracing::warn!(app_id, listed = found.listed, "not creating: the app's connector listing is incomplete, and a connector of this integration may be among the rest");
            return Err(CreateError::Incomplete {
                listed: found.listed,
            });
        }
        let error = match self.create(app_id, new).await {
            Ok(connector) => return Ok(Created::Answered(connector)),
            Err(e) => e,
        };
        if !may_have_acted(&error) {
            return Err(CreateError::Failed {
                error,
                lookup: Lookup::NotNeeded,
            });
        }
        match self.look_for(app_id, &identity, &found.ids, &error).await {
            Look::Found(connector) => Ok(Created::Recovered {
                connector: *connector,
                lost: error,
            }),
            Look::Not(lookup) => {
                tracing::warn!(app_id, error = %error, lookup = ?lookup, "the create may have been carried out, and its connector was not found: not sending it again");
                Err(CreateError::Failed { error, lookup })
            }
        }
    }

    /// Look for the connector (`sought`) that a create failing with `error` may have made: at
    /// once, then after each pause of [`SETTLE`] while none is found; ended by a stop at most
    /// [`LOOKUP_AFTER_STOP`] later.
    pub(super) async fn look_for(
        &self,
        app_id: &str,
        sought: &dyn Sought,
        before: &BTreeSet<String>,
        error: &ApiError,
    ) -> Look {
        let stop = self.http().stop().clone();
        let bound = async {
            stop.requested().await;
            tokio::time::sleep(LOOKUP_AFTER_STOP).await;
        };
        tokio::select! {
            look = self.settled_look(app_id, sought, before, error) => look,
            () = bound => {
                tracing::info!(app_id, "the lookup after the create was ended by the stop");
                Look::Not(Lookup::Interrupted)
            }
        }
    }

    async fn settled_look(
        &self,
        app_id: &str,
        sought: &dyn Sought,
        before: &BTreeSet<String>,
        error: &ApiError,
    ) -> Look {
        // Part of finishing a create that reached ConductorOne: sent even after a stop.
        let client = self.finishing();
        let started = Instant::now();
        let mut pauses = SETTLE.iter();
        loop {
            tracing::info!(app_id, error = %error, "the connector create may have been carried out; looking for the connector it may have made");
            let last = match client.look_once(app_id, sought, before).await {
                Ok(found) => return found,
                Err(last) => last,
            };
            match pauses.next() {
                Some(pause) => tokio::time::sleep(*pause).await,
                None => {
                    return Look::Not(match last {
                        Lookup::NotFound { .. } => Lookup::NotFound {
                            settled: started.elapsed(),
                        },
                        other => other,
                    })
                }
            }
        }
    }

    /// One look: `Ok` with the answer when it is final (a connector found, or candidates that
    /// more looks cannot settle), `Err` with what this look saw when another may see more.
    async fn look_once(
        &self,
        app_id: &str,
        sought: &dyn Sought,
        before: &BTreeSet<String>,
    ) -> Result<Look, Lookup> {
        let all = self.list(app_id).await.map_err(Lookup::Failed)?;
        let listed = all.connectors.len();
        let mut found: Vec<Connector> = all
            .connectors
            .into_iter()
            .filter(|c| !before.contains(&c.id) && sought.may_be(c))
            .collect();
        // One candidate whose values the listing left out: read it to learn them.
        if let [only] = found.as_mut_slice() {
            if !sought.shows(only) {
                if let Ok(read) = self.get(app_id, &only.id).await {
                    if sought.may_be(&read) {
                        *only = read;
                    } else {
                        found.clear();
                    }
                }
            }
        }
        match found.len() {
            1 if found.first().is_some_and(|c| sought.shows(c)) => {
                let connector = found.remove(0);
                tracing::warn!(app_id, id = %connector.id, "adopted the connector that the failed create made");
                Ok(Look::Found(Box::new(connector)))
            }
            0 if !all.complete => Err(Lookup::Incomplete { listed }),
            0 => Err(Lookup::NotFound {
                settled: Duration::ZERO,
            }),
            _ => Ok(Look::Not(Lookup::Ambiguous(
                found.into_iter().map(|c| c.id).collect(),
            ))),
        }
    }
}

/// Whether ConductorOne may have carried out a create that failed with `e`: anything but the
/// proofs of the module documentation (a 4xx, a connection never made, a request never sent).
pub(super) fn may_have_acted(e: &ApiError) -> bool {
    match e {
        ApiError::Http(
            HttpError::Connect { .. }
            | HttpError::Certificate { .. }
            | HttpError::Interrupted { .. }
            | HttpError::Setup(_),
        ) => false,
        ApiError::Http(_) | ApiError::Decode { .. } => true,
        ApiError::Status { status, .. } => !(400..500).contains(status),
        ApiError::Token(_) | ApiError::Invalid(_) | ApiError::Unproven { .. } => false,
    }
}

#[cfg(test)]
mod tests;
