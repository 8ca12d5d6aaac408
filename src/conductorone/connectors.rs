//! The connector ("integration") endpoints: create, get, update, delete.
//!
//! Paths are `/api/v1/apps/{app_id}/connectors/…`. Two traps from the API: a create goes to
//! `…/connectors/create` (a POST to the collection is a different operation that takes no
//! config), and an update is a POST to the object with a comma-separated `updateMask`.

use reqwest::Method;
use serde_json::Value;

use super::error::snippet;
use super::model::{decode_connector_view, Connector, ConnectorUpdate, NewConnector};
use super::{ApiError, ConductorOne};
use crate::http::{Body, Replay, Response};
use crate::secret::{scrub, Secret};

/// The connector operations, on the client itself (connectors are all it serves today).
impl ConductorOne {
    /// Create a configured connector. Sent once unless the server provably did not act on it:
    /// a replayed create would make a second connector.
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
            .call(Method::POST, &path, body, Replay::OnlyIfNotProcessed, &sent)
            .await?;
        read_connector(&resp, "the connector create", &sent)
    }

    /// Read a connector. A missing one is an error for which [`ApiError::is_not_found`] holds;
    /// a deleted one usually comes back with `deleted_at` set instead.
    pub async fn get(&self, app_id: &str, id: &str) -> Result<Connector, ApiError> {
        let path = connector_path(app_id, id)?;
        let resp = self
            .call(Method::GET, &path, Body::Empty, Replay::Safe, &[])
            .await?;
        read_connector(&resp, "the connector read", &[])
    }

    /// Change the fields set in `update`. With nothing to change, no update is sent and the
    /// connector is read instead.
    pub async fn update(
        &self,
        app_id: &str,
        id: &str,
        update: &ConnectorUpdate,
    ) -> Result<Connector, ApiError> {
        if update.is_empty() {
            return self.get(app_id, id).await;
        }
        let path = connector_path(app_id, id)?;
        let sent = update.secrets();
        let body = json_body(&update.to_json(app_id, id));
        // Each masked field carries its full desired value, so sending twice is harmless.
        let resp = self
            .call(Method::POST, &path, body, Replay::Safe, &sent)
            .await?;
        read_connector(&resp, "the connector update", &sent)
    }

    /// Delete a connector. One that is already gone counts as deleted.
    pub async fn delete(&self, app_id: &str, id: &str) -> Result<(), ApiError> {
        let path = connector_path(app_id, id)?;
        let body = Body::Json(b"{}".to_vec());
        match self
            .call(Method::DELETE, &path, body, Replay::Safe, &[])
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn connector_path<'s>(app_id: &'s str, id: &'s str) -> Result<[&'s str; 6], ApiError> {
    Ok([
        "api",
        "v1",
        "apps",
        segment("app ID", app_id)?,
        "connectors",
        segment("connector ID", id)?,
    ])
}

/// An ID as a path segment. An empty one would turn `…/connectors/{id}` into the collection
/// path, which the server answers as a different operation.
fn segment<'s>(what: &str, value: &'s str) -> Result<&'s str, ApiError> {
    if value.trim().is_empty() || value == "." || value == ".." {
        return Err(ApiError::Invalid(format!(
            "the {what} is empty or not an ID"
        )));
    }
    Ok(value)
}

fn json_body(value: &Value) -> Body {
    Body::Json(value.to_string().into_bytes())
}

/// The connector in a 2xx answer, or a typed decode error that quotes nothing we sent.
fn read_connector(resp: &Response, what: &str, sent: &[&Secret]) -> Result<Connector, ApiError> {
    let decode_error = |detail: String| ApiError::Decode {
        what: what.to_owned(),
        detail: scrub(&detail, sent),
        status: resp.status,
        request_id: resp.request_id.clone(),
    };
    let body: Value = match serde_json::from_slice(&resp.body) {
        Ok(body) => body,
        Err(_) => {
            let content_type = resp
                .headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none");
            return Err(decode_error(format!(
                "the answer is not JSON (content type {content_type}): {}",
                snippet(resp, sent)
            )));
        }
    };
    decode_connector_view(&body).map_err(decode_error)
}
