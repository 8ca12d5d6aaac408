//! How the Coupa stand-in answers: JSON and XML documents, and Coupa's error bodies. A leaf, so
//! that both the API ([`crate::coupa`]) and the token endpoint ([`crate::coupa::auth`]) use it.

use crate::server::{reply, OutBody};
use hyper::Response;
use serde_json::json;

pub(crate) const JSON_TYPE: &str = "application/json; charset=utf-8";
pub(crate) const XML_TYPE: &str = "application/xml; charset=utf-8";

pub(crate) fn scopes_of(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

pub(crate) fn errors_body(status: u16, msg: &str) -> Response<OutBody> {
    json_doc(status, &json!({"errors": {"base": [msg]}}).to_string())
}

pub(crate) fn json_doc(status: u16, text: &str) -> Response<OutBody> {
    reply(status, JSON_TYPE, text.to_string())
}

pub(crate) fn xml_errors(status: u16, msg: &str) -> Response<OutBody> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error>{}</error>\n</errors>\n",
        msg.replace('&', "&amp;").replace('<', "&lt;")
    );
    reply(status, XML_TYPE, body)
}
