use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use url::Url;

use super::client::location_for_humans;
use super::request::sensitive_values;
use super::*;

#[test]
fn user_agent_names_provider_and_terraform() {
    let ua = user_agent("1.0.3", Some(" ci-pipeline/7 "));
    assert_eq!(
        ua,
        format!(
            "terraform-provider-conductorone/{} Terraform/1.0.3 ci-pipeline/7",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(!user_agent("", None).contains("Terraform"));
}

#[test]
fn tuning_from_the_environment() {
    assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
    assert_eq!(parse_duration(" 500ms "), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    for bad in ["", "s", "-1s", "1h", "1e3", "fast"] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let c = HttpConfig::new("t")
        .with_env(&env(&[(ENV_TIMEOUT, "2s"), (ENV_RETRY_BUDGET, "5s")]))
        .unwrap();
    assert_eq!(c.attempt_timeout, Duration::from_secs(2));
    assert_eq!(c.retry.max_total, Duration::from_secs(5));
    assert_eq!(c.connect_timeout, Duration::from_secs(10), "default kept");
    let c = HttpConfig::new("t").with_env(&env(&[])).unwrap();
    assert_eq!(
        (c.connect_timeout, c.attempt_timeout, c.retry.max_total),
        (
            Duration::from_secs(10),
            Duration::from_secs(30),
            Duration::from_secs(60)
        ),
        "the production defaults"
    );
    for bad in ["0", "2h", "soon"] {
        let pairs: &'static [(&'static str, &'static str)] = match bad {
            "0" => &[(ENV_CONNECT_TIMEOUT, "0")],
            "2h" => &[(ENV_CONNECT_TIMEOUT, "2h")],
            _ => &[(ENV_CONNECT_TIMEOUT, "soon")],
        };
        let err = HttpConfig::new("t").with_env(&env(pairs)).unwrap_err();
        assert!(err.contains(ENV_CONNECT_TIMEOUT), "{err}");
    }
    assert_eq!(human_duration(Duration::from_millis(800)), "800 ms");
    assert_eq!(human_duration(Duration::from_secs(30)), "30 seconds");
    assert_eq!(human_duration(Duration::from_millis(1500)), "1.5 seconds");
}

#[test]
fn quoted_bodies_never_echo_sensitive_headers() {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode("client-id:coupa-secret-1234");
    let mut bearer = HeaderValue::from_static("Bearer tok-abcdef-123456");
    bearer.set_sensitive(true);
    let mut basic_value = HeaderValue::from_str(&format!("Basic {basic}")).unwrap();
    basic_value.set_sensitive(true);
    let plain = HeaderValue::from_static("application/json");
    let headers = vec![
        (reqwest::header::AUTHORIZATION, bearer),
        (reqwest::header::PROXY_AUTHORIZATION, basic_value),
        (reqwest::header::ACCEPT, plain),
    ];
    let resp = Response {
        status: 400,
        headers: HeaderMap::new(),
        body: format!("<html><title>bad tok-abcdef-123456</title>got Basic {basic}, i.e. coupa-secret-1234 for application/json</html>").into_bytes(),
        request_id: None,
        attempts: 1,
        echo_guard: sensitive_values(&headers),
    };
    for text in [resp.snippet(&[]), resp.html_title().unwrap()] {
        assert!(!text.contains("tok-abcdef-123456"), "{text}");
        assert!(!text.contains(&basic), "{text}");
        assert!(!text.contains("coupa-secret-1234"), "{text}");
    }
    assert!(
        resp.snippet(&[]).contains("application/json"),
        "non-sensitive headers are not masked"
    );
}

#[test]
fn redirect_locations_lose_path_and_query() {
    assert_eq!(
        location_for_humans("https://evil.example:8443/steal?token=abc"),
        "https://evil.example:8443"
    );
}

#[tokio::test]
async fn gives_up_on_a_closed_port_within_budget() {
    let mut cfg = HttpConfig::new("test");
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(2),
    };
    let client = HttpClient::new(cfg).unwrap();
    // Bind then drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/x")).unwrap();
    let started = Instant::now();
    let out = client.send(&Request::new(Method::GET, url)).await;
    assert!(matches!(out, Err(HttpError::Connect { .. })), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Stand-ins whose Coupa side answers every request to `/x` with 429, `retry_after` and a JSON
/// body; the URL to ask. The request IDs and the number of requests are in its log.
async fn always_429(standin: &standin::Standin, retry_after: &str) -> Url {
    standin.clear_faults().await;
    standin.clear_logs().await;
    standin
        .coupa_fault(
            serde_json::json!({"path_prefix": "/x", "status": 429, "count": 100,
            "retry_after": retry_after, "body": r#"{"message":"slow down"}"#}),
        )
        .await;
    Url::parse(&format!("{}/x", standin.coupa_url())).unwrap()
}

/// The `x-request-id`s the stand-in sent, in order.
async fn request_ids(standin: &standin::Standin) -> Vec<String> {
    standin
        .coupa_requests()
        .await
        .iter()
        .map(|r| r["request_id"].as_str().unwrap().to_owned())
        .collect()
}

fn quick_retries(max_total: Duration) -> HttpClient {
    let mut cfg = HttpConfig::new("test");
    cfg.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(10),
        max_total,
    };
    HttpClient::new(cfg).unwrap()
}

/// A `Retry-After` beyond the budget, however large or far away, is not slept through and does
/// not panic: the 429 itself comes back at once, after one attempt, with its body and request ID.
#[tokio::test]
async fn a_retry_after_beyond_the_budget_returns_the_429_at_once() {
    let client = quick_retries(Duration::from_secs(2));
    let standin = standin::Standin::start();
    for value in [
        "3",
        "86400",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999999999999999999999999999",
        "184467440737095516150.25",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let url = always_429(&standin, value).await;
        let started = Instant::now();
        let out = client.send(&Request::new(Method::GET, url)).await;
        let resp = out.unwrap_or_else(|e| panic!("Retry-After {value}: {e}"));
        assert_eq!(resp.status, 429, "Retry-After {value}");
        assert_eq!(resp.attempts, 1, "Retry-After {value}");
        let elapsed = started.elapsed();
        let sent = request_ids(&standin).await;
        assert_eq!(
            resp.request_id.as_deref(),
            sent.first().map(String::as_str),
            "Retry-After {value}"
        );
        assert_eq!(resp.body, br#"{"message":"slow down"}"#);
        assert_eq!(sent.len(), 1);
        assert!(
            elapsed < Duration::from_millis(500),
            "Retry-After {value} took {elapsed:?}"
        );
    }
}

/// Values that are no wait at all (negative, an exponent, NaN, garbage) fall back to the
/// backoff, and a date in the past means "now": retried until the attempts are used up, well
/// within the budget, and the last 429 is the outcome.
#[tokio::test]
async fn a_retry_after_that_is_no_wait_falls_back_to_the_backoff() {
    let client = quick_retries(Duration::from_secs(5));
    let standin = standin::Standin::start();
    for value in [
        "-1",
        "-99999999999999999999",
        "1e20",
        "NaN",
        "inf",
        "0x10",
        "soon",
        "0",
        "0.25",
        "Thu, 01 Jan 1970 00:00:00 GMT",
    ] {
        let url = always_429(&standin, value).await;
        let started = Instant::now();
        let resp = client
            .send(&Request::new(Method::GET, url))
            .await
            .unwrap_or_else(|e| panic!("Retry-After {value}: {e}"));
        assert_eq!(
            (resp.status, resp.attempts),
            (429, 4),
            "Retry-After {value}"
        );
        let elapsed = started.elapsed();
        let sent = request_ids(&standin).await;
        assert_eq!(
            resp.request_id.as_deref(),
            sent.get(3).map(String::as_str),
            "Retry-After {value}"
        );
        assert_eq!(sent.len(), 4);
        assert!(elapsed < Duration::from_secs(2), "Retry-After {value}");
    }
}

/// After a stop, no request starts: it fails at once with `Interrupted`, and the server sees
/// nothing; a request sent despite the stop (the lookup finishing a lost create) still goes.
#[tokio::test]
async fn after_a_stop_no_request_starts() {
    let standin = standin::Standin::start();
    standin.clear_logs().await;
    let stop = crate::stop::Stop::default();
    let client = quick_retries(Duration::from_secs(2)).with_stop(stop.clone());
    let url = Url::parse(&format!("{}/x", standin.coupa_url())).unwrap();
    stop.request();
    let out = client.send(&Request::new(Method::GET, url.clone())).await;
    match out {
        Err(e @ HttpError::Interrupted { after: None, .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("was not sent: Terraform was interrupted"),
                "{text}"
            );
            assert!(text.contains(&host_of(&url)), "{text}");
        }
        other => panic!("expected Interrupted, got {other:?}"),
    }
    assert!(
        standin.coupa_requests().await.is_empty(),
        "nothing was sent"
    );
    let mut finishing = Request::new(Method::GET, url);
    finishing.despite_stop = true;
    let resp = client.send(&finishing).await.unwrap();
    assert_eq!(resp.status, 404);
    assert_eq!(standin.coupa_requests().await.len(), 1);
}

/// A stop during the wait before a retry ends the wait at once and sends nothing more, however
/// long the `Retry-After`; the error says what the last attempt got.
#[tokio::test]
async fn a_stop_ends_the_wait_before_a_retry() {
    let standin = standin::Standin::start();
    let url = always_429(&standin, "30").await;
    let stop = crate::stop::Stop::default();
    let client = quick_retries(Duration::from_secs(120)).with_stop(stop.clone());
    let sending = {
        let client = client.clone();
        tokio::spawn(async move { client.send(&Request::new(Method::GET, url)).await })
    };
    // Once the first 429 is logged, the client is waiting out its 30 s.
    while standin.coupa_requests().await.is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.request();
    let out = sending.await.unwrap();
    match out {
        Err(HttpError::Interrupted { after: Some(a), .. }) => assert_eq!(a, "HTTP 429"),
        other => panic!("expected Interrupted after a 429, got {other:?}"),
    }
    assert_eq!(standin.coupa_requests().await.len(), 1, "no retry was sent");
}

/// An attempt under way when the stop comes is finished: its answer is returned. The stand-in
/// holds the answer until the test releases it, after the stop: no race with a delay.
#[tokio::test]
async fn an_attempt_under_way_is_finished() {
    let standin = standin::Standin::start();
    standin.clear_logs().await;
    standin
        .coupa_fault(serde_json::json!({"path_prefix": "/x", "kind": "hold"}))
        .await;
    let stop = crate::stop::Stop::default();
    let client = quick_retries(Duration::from_secs(2)).with_stop(stop.clone());
    let url = Url::parse(&format!("{}/x", standin.coupa_url())).unwrap();
    let sending = {
        let client = client.clone();
        tokio::spawn(async move { client.send(&Request::new(Method::GET, url)).await })
    };
    // The server logs the request, then holds its answer back: the attempt is under way.
    let hang = std::time::Instant::now();
    while standin.coupa_requests().await.is_empty() {
        assert!(hang.elapsed() < Duration::from_secs(120), "never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.request();
    // Not answered yet, whatever the machine's load: the answer waits for the release.
    assert!(!sending.is_finished());
    standin.release_held().await;
    let resp = tokio::time::timeout(Duration::from_secs(120), sending)
        .await
        .expect("the held answer arrives once released")
        .unwrap()
        .unwrap();
    assert_eq!(resp.status, 404, "the real answer, after the stop");
    assert_eq!(standin.coupa_requests().await.len(), 1, "sent once");
}
