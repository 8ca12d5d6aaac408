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
//! - one delegated create at a time per app and catalog in this process, whatever its owners
//!   ([`ConductorOne::create_lock`], a key of its own, apart from the configured creates'), so
//!   the listing before one create shows every connector a sibling made in this process, and
//!   its lookup never takes a sibling's for its own (one with owners `[u1, u2]` would pass for
//!   a create of `[u1]`: the display name is always the same). A create in another plugin
//!   process shares no lock: its connector can still be a candidate, and is then adopted only
//!   when it is the one candidate that shows owners fitting the ones sent;
//! - sent once: the HTTP layer sends it again only when the server provably did not act on it
//!   (a 429, a connection never made), as for Create;
//! - after any failure that does not prove the create was not made (the proofs of
//!   [`super::create`]: a connection never made, a 429, another 4xx), the lookup of
//!   [`super::create`], with its settle pauses and its bound after a stop: the app's connectors
//!   are listed again and compared with the listing made just before the create. A
//!   **candidate** is a live connector of the same catalog that the first listing did not
//!   have, still pending (no configuration and no `configUpdatedAt`), whose display name, when
//!   shown, is the one sent, and whose owners, when shown, include every owner sent (a server
//!   may add the caller). Exactly one candidate that shows its owners (in the listing, or else
//!   when read) is adopted ([`Created::Recovered`]); several, or one whose owners are not
//!   shown, are reported by ID ([`Lookup::Ambiguous`]).
//! - never sent again after such a failure, even when no candidate appears
//!   ([`Lookup::NotFound`]): with no duplicate guard before the next create, a connector
//!   committed late would become a second one. The caller says so and names what to check.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Map, Value};

use super::client::ConductorOne;
use super::create::{may_have_acted, CreateError, Created, Look, Lookup, Sought};
use super::endpoints::{json_body, read_connector, segment};
use super::error::ApiError;
use super::model::Connector;
use crate::http::Replay;

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
        // By app and catalog only: delegated creates with other owners take turns too, so the
        // listing before each one shows its siblings' connectors, which its lookup then skips.
        let lock = self.create_lock(format!("{app_id}\n{}\ndelegated", new.catalog_id));
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
            match self.look_for(app_id, &Pending(new), &before, &error).await {
                Look::Found(connector) => {
                    return Ok(Created::Recovered {
                        connector: *connector,
                        lost: error,
                    })
                }
                Look::Not(lookup) => lookup,
            }
        };
        Err(CreateError::Failed { error, lookup })
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
}

impl Connector {
    fn said_owners(&self) -> bool {
        self.said("userIds")
    }
}

/// The pending connector a delegated create of `.0` may have made, as the lookup of
/// [`super::create`] looks for it.
struct Pending<'a>(&'a NewDelegated);

impl Sought for Pending<'_> {
    fn may_be(&self, c: &Connector) -> bool {
        // The lookup leaves out those listed before the create itself.
        delegated_candidate(c, self.0, &BTreeSet::new())
    }

    fn shows(&self, c: &Connector) -> bool {
        c.said_owners()
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
