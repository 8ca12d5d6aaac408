//! The connector ("integration") endpoints: create, get, list, update, delete, and the recovery
//! of a create whose answer was lost.
//!
//! Paths are `/api/v1/apps/{app_id}/connectors/…`. Two traps from the API: a create goes to
//! `…/connectors/create` (a POST to the collection is a different operation that takes no
//! config), and an update is a POST to the object with a comma-separated `updateMask`.
//!
//! Creating one is in [`super::create`]: the check for an existing connector of the same
//! integration, and what to do when the create's answer is lost.

use reqwest::Method;
use serde_json::Value;

use super::client::ConductorOne;
use super::error::ApiError;
use super::model::{decode_connector_list, decode_connector_view, Connector, ConnectorUpdate};
use crate::http::{Body, Replay, Response};
use crate::secret::{scrub, Secret};

/// Largest page of the connector list, and how many pages a lookup reads at most.
pub const LIST_PAGE_SIZE: u32 = 100;
pub const LIST_MAX_PAGES: usize = 50;

/// One look at an app's connectors: all of them, or the first pages when the app has more than
/// a lookup reads.
#[derive(Debug)]
pub struct ConnectorList {
    pub connectors: Vec<Connector>,
    /// False when the listing stopped at [`LIST_MAX_PAGES`] with pages left.
    pub complete: bool,
}

/// The connector operations, on the client itself (connectors are all it serves today).
impl ConductorOne {
    /// Read a connector. A missing one is an error for which [`ApiError::is_not_found`] holds;
    /// a deleted one usually comes back with `deleted_at` set instead.
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
                    Replay::Safe,
                    &[],
                    Some(connector_list_is_usable),
                )
                .await?;
            let (page, next) = read_json(&resp, "the connector list", &[]).and_then(|body| {
                decode_connector_list(&body)
                    .map_err(|d| decode_error(&resp, "the connector list", d, &[]))
            })?;
            all.extend(page);
            if next.is_empty() || next == token {
                return Ok(ConnectorList {
                    connectors: all,
                    complete: true,
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
            .call(
                Method::POST,
                self.url(&path),
                body,
                Replay::Safe,
                &sent,
                Some(connector_view_is_usable),
            )
            .await?;
        read_connector(&resp, "the connector update", &sent)
    }

    /// Delete a connector. One that is already gone counts as deleted. The answer must be the
    /// API's JSON object (`{}`): a 2xx page from something else (a proxy, a captive portal) is
    /// no proof of deletion, and trusting it would drop from the state a connector that remains.
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
pub(super) fn segment<'s>(what: &str, value: &'s str) -> Result<&'s str, ApiError> {
    if value.trim().is_empty() || value == "." || value == ".." {
        return Err(ApiError::Invalid(format!(
            "the {what} is empty or not an ID"
        )));
    }
    Ok(value)
}

pub(super) fn json_body(value: &Value) -> Body {
    Body::Json(value.to_string().into_bytes())
}

fn decode_error(resp: &Response, what: &str, detail: String, sent: &[&Secret]) -> ApiError {
    ApiError::Decode {
        what: what.to_owned(),
        detail: scrub(&detail, sent),
        status: resp.status,
        request_id: resp.request_id.clone(),
    }
}

/// The JSON of a 2xx answer, or a typed decode error that quotes nothing we sent.
fn read_json(resp: &Response, what: &str, sent: &[&Secret]) -> Result<Value, ApiError> {
    serde_json::from_slice(&resp.body).map_err(|_| {
        let content_type = resp
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none");
        let detail = match resp.html_title() {
            Some(title) => format!("the answer is an HTML page titled {title:?}, not JSON"),
            None => format!(
                "the answer is not JSON (content type {content_type}): {}",
                resp.snippet(sent)
            ),
        };
        decode_error(resp, what, detail, sent)
    })
}

/// The connector in a 2xx answer, or a typed decode error that quotes nothing we sent.
pub(crate) fn read_connector(
    resp: &Response,
    what: &str,
    sent: &[&Secret],
) -> Result<Connector, ApiError> {
    let body = read_json(resp, what, sent)?;
    decode_connector_view(&body).map_err(|d| decode_error(resp, what, d, sent))
}

fn connector_view_is_usable(body: &[u8]) -> bool {
    serde_json::from_slice(body)
        .ok()
        .is_some_and(|json| decode_connector_view(&json).is_ok())
}

fn is_json_object(body: &[u8]) -> bool {
    matches!(serde_json::from_slice(body), Ok(Value::Object(_)))
}

fn connector_list_is_usable(body: &[u8]) -> bool {
    serde_json::from_slice(body)
        .ok()
        .is_some_and(|json| decode_connector_list(&json).is_ok())
}

#[cfg(test)]
mod on_the_wire;
