//! What every connector endpoint shares on the wire: paths, JSON bodies, and reading answers
//! into typed errors that quote nothing we sent. A leaf: it imports nothing else of `endpoints`.

use serde_json::Value;

use crate::conductorone::error::ApiError;
use crate::conductorone::model::{decode_connector_list, decode_connector_view, Connector};
use crate::http::{Body, Response};
use crate::secret::{scrub, Secret};

pub(super) fn connector_path<'s>(app_id: &'s str, id: &'s str) -> Result<[&'s str; 6], ApiError> {
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
pub(crate) fn segment<'s>(what: &str, value: &'s str) -> Result<&'s str, ApiError> {
    if value.trim().is_empty() || value == "." || value == ".." {
        return Err(ApiError::Invalid(format!(
            "the {what} is empty or not an ID"
        )));
    }
    Ok(value)
}

pub(crate) fn json_body(value: &Value) -> Body {
    Body::Json(value.to_string().into_bytes())
}

pub(super) fn decode_error(
    resp: &Response,
    what: &str,
    detail: String,
    sent: &[&Secret],
) -> ApiError {
    ApiError::Decode {
        what: what.to_owned(),
        detail: scrub(&detail, sent),
        status: resp.status,
        request_id: resp.request_id.clone(),
    }
}

/// The JSON of a 2xx answer, or a typed decode error that quotes nothing we sent.
pub(super) fn read_json(resp: &Response, what: &str, sent: &[&Secret]) -> Result<Value, ApiError> {
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

pub(super) fn connector_view_is_usable(body: &[u8]) -> bool {
    serde_json::from_slice(body)
        .ok()
        .is_some_and(|json| decode_connector_view(&json).is_ok())
}

pub(super) fn is_json_object(body: &[u8]) -> bool {
    matches!(serde_json::from_slice(body), Ok(Value::Object(_)))
}

pub(super) fn connector_list_is_usable(body: &[u8]) -> bool {
    serde_json::from_slice(body)
        .ok()
        .is_some_and(|json| decode_connector_list(&json).is_ok())
}
