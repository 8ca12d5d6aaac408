//! Reading connectors: one by ID, the app's listing, and [`ConductorOne::read`], which says
//! whether a connector is gone only with proof.
//!
//! ## "Gone" needs proof
//!
//! ConductorOne deletes softly: a deleted connector keeps answering its GET, with `deletedAt`
//! set (reference §2.5). A GET that answers 404 with gRPC code 5 looks like "not found", but
//! ConductorOne's gateway gives exactly that answer for any path it has no route for (§2.6), so
//! a `server_url` with an extra `/api` gets it on every call; concluding "gone" from it would
//! drop a live connector from the state, and the next apply would create a second one. So a
//! connector is gone when it comes back with `deletedAt` set, or when its GET answers 404 with
//! code 5 **and** the app's connector listing answers (200, every page) without it. Anything
//! else is an error that names the status, host and path.

use reqwest::Method;

use super::wire::{
    connector_list_is_usable, connector_path, connector_view_is_usable, decode_error,
    read_connector, read_json, segment,
};
use crate::conductorone::client::ConductorOne;
use crate::conductorone::error::ApiError;
pub use crate::conductorone::model::ConnectorList;
use crate::conductorone::model::{decode_connector_list, Connector};
use crate::http::{Body, Replay};

/// Largest page of the connector list, and how many pages a lookup reads at most.
pub const LIST_PAGE_SIZE: u32 = 100;
pub const LIST_MAX_PAGES: usize = 50;

/// What [`ConductorOne::read`] found.
// Live is the common answer and moved once: boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Read {
    Live(Connector),
    Gone(Gone),
}

/// How a connector was proven gone.
#[derive(Debug)]
pub enum Gone {
    /// ConductorOne returned it with `deletedAt` set.
    Deleted(Box<Connector>),
    /// Its GET answered 404 with code 5, and the app's complete listing does not show it.
    NotListed,
}

impl ConductorOne {
    /// Read a connector as ConductorOne answers it: a deleted one comes back with `deleted_at`
    /// set; a 404 is an error, proof of nothing (see [`ConductorOne::read`]).
    pub async fn get(&self, app_id: &str, id: &str) -> Result<Connector, ApiError> {
        let path = connector_path(app_id, id)?;
        let resp = self
            .call(
                Method::GET,
                self.url(&path),
                Body::Empty,
                Replay::Safe,
                &[],
                Some(connector_view_is_usable),
            )
            .await?;
        read_connector(&resp, "the connector read", &[])
    }

    /// The connectors of an app that are not deleted: all pages, up to [`LIST_MAX_PAGES`] of
    /// [`LIST_PAGE_SIZE`]; [`ConnectorList::complete`] says whether that was all of them.
    pub async fn list(&self, app_id: &str) -> Result<ConnectorList, ApiError> {
        self.list_with(app_id, Replay::Safe).await
    }

    /// [`ConductorOne::list`] with each page sent as `replay` says: [`Replay::Once`] for a
    /// listing that is only a hint, one attempt per page and no retries.
    pub async fn list_with(&self, app_id: &str, replay: Replay) -> Result<ConnectorList, ApiError> {
        let path = [
            "api",
            "v1",
            "apps",
            segment("app ID", app_id)?,
            "connectors",
        ];
        let mut all = Vec::new();
        let mut token = String::new();
        for _ in 0..LIST_MAX_PAGES {
            let mut url = self.url(&path);
            url.query_pairs_mut()
                .append_pair("page_size", &LIST_PAGE_SIZE.to_string());
            if !token.is_empty() {
                url.query_pairs_mut().append_pair("page_token", &token);
            }
            let resp = self
                .call(
                    Method::GET,
                    url,
                    Body::Empty,
                    replay,
                    &[],
                    Some(connector_list_is_usable),
                )
                .await?;
            let (page, next) = read_json(&resp, "the connector list", &[]).and_then(|body| {
                decode_connector_list(&body)
                    .map_err(|d| decode_error(&resp, "the connector list", d, &[]))
            })?;
            all.extend(page);
            if next.is_empty() {
                return Ok(ConnectorList {
                    connectors: all,
                    complete: true,
                });
            }
            if next == token {
                // The server (or a proxy) ignored `page_token`: the pages after the first are
                // unknown, so "not listed" proves nothing.
                tracing::warn!(
                    app_id,
                    listed = all.len(),
                    "the connector list answered the same next page token again (page_token ignored?); treating the listing as incomplete"
                );
                return Ok(ConnectorList {
                    connectors: all,
                    complete: false,
                });
            }
            token = next;
        }
        tracing::warn!(
            app_id,
            listed = all.len(),
            "the connector list has more pages than a lookup reads"
        );
        Ok(ConnectorList {
            connectors: all,
            complete: false,
        })
    }

    /// Read a connector, and say it is gone only with proof (see the module documentation).
    pub async fn read(&self, app_id: &str, id: &str) -> Result<Read, ApiError> {
        match self.get(app_id, id).await {
            Ok(c) if c.is_deleted() => Ok(Read::Gone(Gone::Deleted(Box::new(c)))),
            Ok(c) => Ok(Read::Live(c)),
            Err(e) if e.is_not_found() => {
                self.prove_gone(app_id, id, e).await?;
                Ok(Read::Gone(Gone::NotListed))
            }
            Err(e) => Err(e),
        }
    }

    /// `Ok` when the app's listing answers, complete, without a live connector `id`; otherwise
    /// [`ApiError::Unproven`] around `not_found` (the GET's or DELETE's 404), saying why.
    pub(crate) async fn prove_gone(
        &self,
        app_id: &str,
        id: &str,
        not_found: ApiError,
    ) -> Result<(), ApiError> {
        let why = match self.list(app_id).await {
            Ok(all) if all.connectors.iter().any(|c| c.id == id && !c.is_deleted()) => {
                "the app's connector listing still shows it".to_owned()
            }
            Ok(all) if !all.complete => format!(
                "the app's connector listing stopped after {} connectors with pages left",
                all.connectors.len()
            ),
            Ok(_) => {
                tracing::info!(
                    app_id,
                    id,
                    "ConductorOne answered not found, and the app's connector listing does not show it: gone"
                );
                return Ok(());
            }
            Err(e) => format!("listing the app's connectors failed as well: {e}"),
        };
        Err(ApiError::Unproven {
            not_found: Box::new(not_found),
            why,
        })
    }
}
