//! Changing connectors: the update (config through the plain update, owners through the
//! delegated one, reference §2.6) and the delete.

use reqwest::Method;
use serde_json::Value;

use super::wire::{
    connector_path, connector_view_is_usable, decode_error, is_json_object, json_body,
    read_connector, read_json,
};
use crate::conductorone::client::ConductorOne;
use crate::conductorone::error::ApiError;
use crate::conductorone::model::{Connector, ConnectorUpdate};
use crate::http::{Body, Replay};

/// A failed [`ConductorOne::update`]. `written` is the connector as the config update answered
/// when that first call succeeded and the owners' call then failed: the config is changed in
/// ConductorOne, the owners are not, and the state must say so.
#[derive(Debug)]
pub struct UpdateError {
    pub error: ApiError,
    pub written: Option<Connector>,
}

impl From<ApiError> for UpdateError {
    fn from(error: ApiError) -> Self {
        UpdateError {
            error,
            written: None,
        }
    }
}

impl ConductorOne {
    /// Change what `update` sets: the config first, through the plain update with mask
    /// `config`; then the owners, through the delegated update with mask `displayName,userIds`.
    /// That mask names the display name, so the owners call carries the connector's current
    /// name from a fresh read: the config update's answer, or else a read of the connector just
    /// before (never a name from the prior state, which may be stale or empty and would rename
    /// the connector). With nothing to change, no update is sent and the connector is read
    /// instead. Each call carries the full desired value of what its mask names, so sending one
    /// twice is harmless.
    ///
    /// Once the config update went out, the rest of the update finishes even after a stop (the
    /// read for the name and the owners call are sent despite it, through
    /// [`ConductorOne::finishing`]): a stop never leaves a connector with the new config and the
    /// old owners because of the stop. Before the config update, or for owners alone, a stop
    /// sends nothing more: nothing was written.
    pub async fn update(
        &self,
        app_id: &str,
        id: &str,
        update: &ConnectorUpdate,
    ) -> Result<Connector, UpdateError> {
        if update.is_empty() {
            return Ok(self.get(app_id, id).await?);
        }
        let path = connector_path(app_id, id)?;
        let sent = update.secrets();
        let mut written = None;
        if let Some(body) = update.config_json(app_id, id) {
            let resp = self
                .call(
                    Method::POST,
                    self.url(&path),
                    json_body(&body),
                    Replay::Safe,
                    &sent,
                    Some(connector_view_is_usable),
                )
                .await?;
            written = Some(read_connector(&resp, "the connector update", &sent)?);
        }
        let client = if written.is_some() {
            self.finishing()
        } else {
            self.clone()
        };
        let answered_name = written
            .as_ref()
            .map(|c| c.display_name.clone())
            .filter(|n| !n.is_empty());
        let owners = async {
            if !update.sets_owners() {
                return Ok(None);
            }
            let name = match answered_name {
                Some(name) => name,
                None => client.get(app_id, id).await?.display_name,
            };
            let Some(body) = update.owners_json(app_id, id, &name) else {
                return Ok(None);
            };
            let [api, v1, apps, app, connectors, connector] = path;
            let delegated = client.url(&[api, v1, apps, app, connectors, connector, "delegated"]);
            let resp = client
                .call(
                    Method::POST,
                    delegated,
                    json_body(&body),
                    Replay::Safe,
                    &[],
                    Some(connector_view_is_usable),
                )
                .await?;
            read_connector(&resp, "the connector owners update", &[]).map(Some)
        };
        match owners.await {
            Ok(Some(c)) => Ok(c),
            // Nothing to send for the owners: the config update's answer.
            Ok(None) => written.ok_or_else(|| {
                ApiError::Invalid("the update has neither a config nor owners".into()).into()
            }),
            Err(error) => Err(UpdateError { error, written }),
        }
    }

    /// Delete a connector. One proven gone (see [`ConductorOne::read`]) counts as deleted. The
    /// answer must be the API's JSON object (`{}`): a 2xx page from something else (a proxy, a
    /// captive portal) is no proof of deletion, and trusting it would drop from the state a
    /// connector that remains.
    pub async fn delete(&self, app_id: &str, id: &str) -> Result<(), ApiError> {
        let path = connector_path(app_id, id)?;
        let body = Body::Json(b"{}".to_vec());
        match self
            .call(
                Method::DELETE,
                self.url(&path),
                body,
                Replay::Safe,
                &[],
                Some(is_json_object),
            )
            .await
        {
            Ok(resp) => match read_json(&resp, "the connector delete", &[])? {
                Value::Object(_) => Ok(()),
                _ => Err(decode_error(
                    &resp,
                    "the connector delete",
                    "the answer is not a JSON object".into(),
                    &[],
                )),
            },
            Err(e) if e.is_not_found() => self.prove_gone(app_id, id, e).await,
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
