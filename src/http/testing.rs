//! Test doubles of the HTTP layer for the tests above it: a client whose retries are quick, and an
//! answer built by hand.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

use super::response::Response;
use super::retry::RetryPolicy;
use super::{HttpClient, HttpConfig};

/// `config` with quick retries (`max_attempts`, a few milliseconds apart, 2 s in all), so tests
/// of retried statuses stay fast.
pub(crate) fn quick_http(mut config: HttpConfig, max_attempts: u32) -> HttpClient {
    config.retry = RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(2),
    };
    HttpClient::new(config).unwrap()
}

/// An answer as the HTTP layer hands it over, without a request ID.
pub(crate) fn response(status: u16, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Response {
        status,
        headers,
        body,
        request_id: None,
        attempts: 1,
        echo_guard: Vec::new(),
    }
}
