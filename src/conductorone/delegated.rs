//! The delegated create: a connector **pending its configuration** (CreateDelegated, `POST
//! /api/v1/apps/{app_id}/connectors`, reference §2.2 and §2.7), whose owners then enter the Coupa
//! domain, client ID and secret in ConductorOne themselves. Its body is `catalogId`,
//! `displayName` and `userIds`; it has no `config` field, and none is sent.
//!
//! ## Exactly once, without a Coupa client to compare
//!
//! The rules of [`super::create`] apply where they make sense:
//! - no duplicate guard: a pending connector has no Coupa domain or client ID that would make
//!   two of them the same integration, so an app may hold several and none is refused for that;
//! - one create at a time per app, catalog and owners in this process
//!   ([`ConductorOne::create_lock`]), so the listing before one create shows the other's
//!   connector;
//! - sent once: the HTTP layer sends it again only when the server provably did not act on it
//!   (a 429, a connection never made), as for Create;
//! - an answer lost when the server may have acted (a broken connection, a timeout, a 5xx, an
//!   unreadable 2xx): the app's connectors are listed again and compared with the listing made
//!   just before the create. A **candidate** is a live connector of the same catalog that the
//!   first listing did not have, still pending (no configuration and no `configUpdatedAt`),
//!   whose display name, when shown, is the one sent, and whose owners, when shown, include
//!   every owner sent (a server may add the caller). Exactly one candidate that shows its
//!   owners is adopted ([`Created::Recovered`]); several, or one whose owners are not shown,
//!   are reported by ID ([`Lookup::Ambiguous`]); after a timeout or a 504 an empty look is
//!   followed by a second one a moment later.
//! - never sent again after an ambiguous failure, even when a complete listing shows no
//!   candidate ([`Lookup::NoneFound`] or, when the server may still commit it,
//!   [`Lookup::MayStillAppear`]): with no duplicate guard before the next create, a connector
//!   committed late would become a second one. The caller says so and names what to check.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Map, Value};

use super::client::ConductorOne;
use super::create::{
    may_have_acted, proven_by_absence, still_working, CreateError, Created, Lookup,
};
use super::endpoints::{json_body, read_connector, segment};
use super::error::ApiError;
use super::model::Connector;
use crate::http::Replay;

/// The longest pause before the second look after a timeout (as for Create).
const MAX_SETTLE: Duration = Duration::from_secs(5);

/// A connector to create pending its configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewDelegated {
    pub catalog_id: String,
    /// Sent as `displayName` when not empty (ConductorOne's own provider sends the catalog's
    /// name, `Coupa v2`).
    pub display_name: String,
    /// The owners who finish the setup; left out when empty, so the server applies its
    /// default (the caller).
    pub user_ids: Vec<String>,
}

impl NewDelegated {
    pub(crate) fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("catalogId".into(), json!(self.catalog_id));
        if !self.display_name.is_empty() {
            body.insert("displayName".into(), json!(self.display_name));
        }
        if !self.user_ids.is_empty() {
            body.insert("userIds".into(), json!(self.user_ids));
        }
        Value::Object(body)
    }
}

impl ConductorOne {
    /// Create the connector `new` in `app_id` pending its configuration, exactly once (see the
    /// module documentation). Never [`CreateError::Exists`] or [`CreateError::Unconfirmed`].
    pub async fn create_delegated(
        &self,
        app_id: &str,
        new: &NewDelegated,
    ) -> Result<Created, CreateError> {
        let lock = self.create_lock(format!(
            "{app_id}\n{}\ndelegated\n{}",
            new.catalog_id,
            new.user_ids.join(",")
        ));
        let _turn = lock.lock().await;
        let existing = self.list(app_id).await.map_err(CreateError::CheckFailed)?;
        let before: BTreeSet<String> = existing.connectors.into_iter().map(|c| c.id).collect();
        let error = match self.send_delegated(app_id, new).await {
            Ok(connector) => return Ok(Created::Answered(connector)),
            Err(e) => e,
        };
        let lookup = if !may_have_acted(&error) {
            Lookup::NotNeeded
        } else {
            match self.look_for_delegated(app_id, new, &before, &error).await {
                Ok(connector) => {
                    return Ok(Created::Recovered {
                        connector,
                        lost: error,
                    })
                }
                Err(Lookup::NoneFound) if !proven_by_absence(&error) => Lookup::MayStillAppear,
                Err(lookup) => lookup,
            }
        };
        Err(CreateError::Failed {
            error,
            lookup,
            sent: 1,
        })
    }

    async fn send_delegated(
        &self,
        app_id: &str,
        new: &NewDelegated,
    ) -> Result<Connector, ApiError> {
        let path = [
            "api",
            "v1",
            "apps",
            segment("app ID", app_id)?,
            "connectors",
        ];
        let resp = self
            .call(
                Method::POST,
                self.url(&path),
                json_body(&new.to_json()),
                Replay::OnlyIfNotProcessed,
                &[],
                None,
            )
            .await?;
        read_connector(&resp, "the delegated connector create", &[])
    }

    /// The connector a delegated create failing with `error` made, or what the look found.
    async fn look_for_delegated(
        &self,
        app_id: &str,
        new: &NewDelegated,
        before: &BTreeSet<String>,
        error: &ApiError,
    ) -> Result<Connector, Lookup> {
        let settle = self.http().config().attempt_timeout.min(MAX_SETTLE);
        let mut looks = if still_working(error) { 2 } else { 1 };
        // Part of finishing a create that reached ConductorOne: sent even after a stop.
        let client = self.finishing();
        loop {
            looks -= 1;
            tracing::info!(
                app_id, error = %error,
                "the delegated connector create failed ambiguously; looking for the connector it may have made"
            );
            let all = client.list(app_id).await.map_err(Lookup::Failed)?;
            let listed = all.connectors.len();
            let mut found: Vec<Connector> = all
                .connectors
                .into_iter()
                .filter(|c| delegated_candidate(c, new, before))
                .collect();
            match found.len() {
                1 if found.first().is_some_and(Connector::said_owners) => {
                    let connector = found.remove(0);
                    tracing::warn!(app_id, id = %connector.id, "adopted the pending connector that the failed delegated create made");
                    return Ok(connector);
                }
                0 if looks > 0 => tokio::time::sleep(settle).await,
                0 if !all.complete => return Err(Lookup::Incomplete { listed }),
                0 => return Err(Lookup::NoneFound),
                _ => return Err(Lookup::Ambiguous(found.into_iter().map(|c| c.id).collect())),
            }
        }
    }
}

impl Connector {
    fn said_owners(&self) -> bool {
        self.said("userIds")
    }
}

/// Whether `c` may be the connector a delegated create of `new` made (see the module
/// documentation).
fn delegated_candidate(c: &Connector, new: &NewDelegated, before: &BTreeSet<String>) -> bool {
    if c.is_deleted() || c.catalog_id != new.catalog_id || before.contains(&c.id) {
        return false;
    }
    let name_fits = c.display_name.is_empty()
        || new.display_name.is_empty()
        || c.display_name == new.display_name;
    let owners_fit = !c.said("userIds")
        || new
            .user_ids
            .iter()
            .all(|u| c.user_ids.iter().any(|h| h == u));
    !c.is_configured() && name_fits && owners_fit
}

#[cfg(test)]
mod tests;
