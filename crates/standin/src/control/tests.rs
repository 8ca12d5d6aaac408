use super::*;

fn req(method: Method, path: &str, ct: &str, body: &str) -> Req {
    let mut headers = hyper::HeaderMap::new();
    headers.insert("content-type", ct.parse().unwrap());
    headers.insert(
        "authorization",
        "Basic c2VjcmV0OnNlY3JldA==".parse().unwrap(),
    );
    Req {
        method,
        path: path.into(),
        query: String::new(),
        headers,
        body: body.as_bytes().to_vec().into(),
    }
}

#[test]
fn log_keeps_json_verbatim_and_redacts_secrets() {
    let r = req(
        Method::POST,
        "/x",
        "application/json",
        "{\"b\":1,\"a\":[2]}",
    );
    assert!(matches!(logged_body(&r), LoggedBody::RawJson(s) if s == "{\"b\":1,\"a\":[2]}"));
    let r = req(
        Method::POST,
        "/t",
        "application/x-www-form-urlencoded",
        "client_id=a&client_secret=b&subject_token=c&scope=x+y",
    );
    let LoggedBody::Form(v) = logged_body(&r) else {
        panic!()
    };
    assert_eq!(
        v,
        json!({"client_id":"a","client_secret":"<redacted>","subject_token":"<redacted>","scope":"x y"})
    );
    assert_eq!(logged_headers(&r)["authorization"], "Basic");
}

#[test]
fn faults_match_method_and_prefix() {
    let f: Fault =
        serde_json::from_value(json!({"method":"post","path_prefix":"/api/v1/apps"})).unwrap();
    let at = |method: Method, path: &str| req(method, path, "application/json", "{}");
    assert!(f.matches(&at(Method::POST, "/api/v1/apps/x/connectors")));
    assert!(!f.matches(&at(Method::GET, "/api/v1/apps/x/connectors")));
    assert!(!f.matches(&at(Method::POST, "/auth/v1/token")));
    assert_eq!(f.count, 1);
    assert_eq!(f.kind, FaultKind::Status);
    assert!(serde_json::from_value::<Fault>(json!({"kind":"explode"})).is_err());
}

#[test]
fn faults_match_form_fields() {
    let f: Fault =
        serde_json::from_value(json!({"path_prefix":"/oauth2/token","form":{"scope":"b"}}))
            .unwrap();
    let form = "application/x-www-form-urlencoded";
    assert!(f.matches(&req(
        Method::POST,
        "/oauth2/token",
        form,
        "grant_type=x&scope=b"
    )));
    assert!(!f.matches(&req(Method::POST, "/oauth2/token", form, "scope=a+b")));
    assert!(!f.matches(&req(Method::POST, "/oauth2/token", form, "grant_type=x")));
}

fn post_fault(ctl: &Control, fault: Value) {
    let r = req(
        Method::POST,
        "/_standin/faults",
        "application/json",
        &fault.to_string(),
    );
    assert_eq!(ctl.handle_control(&r).unwrap().status(), 200);
}

async fn status_of(ctl: &Control, path: &str) -> u16 {
    let out = ctl
        .run(
            req(Method::GET, path, "application/json", ""),
            |_, _| async { ApiReply::new(reply(200, "application/json", "{}")) },
        )
        .await;
    match out {
        Outcome::Reply(r) => r.status().as_u16(),
        Outcome::Reset => 0,
    }
}

#[tokio::test]
async fn a_fault_with_skip_lets_that_many_requests_through_first() {
    let ctl = Control::new(Flavor::ConductorOne, 0);
    post_fault(
        &ctl,
        json!({"path_prefix": "/x", "status": 503, "count": 1, "skip": 2}),
    );
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(status_of(&ctl, "/x").await);
    }
    assert_eq!(seen, [200, 200, 503, 200]);
}

/// A held answer is logged before it is sent: a test sees the request carried out while the
/// client still waits.
#[tokio::test]
async fn a_held_answer_is_logged_before_it_is_sent() {
    let ctl = std::sync::Arc::new(Control::new(Flavor::ConductorOne, 0));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = {
        let ctl = ctl.clone();
        tokio::spawn(async move {
            ctl.run(
                req(Method::POST, "/c", "application/json", "{}"),
                |_, _| async {
                    ApiReply::new(reply(200, "application/json", "{}"))
                        .hold(Duration::from_secs(600))
                },
            )
            .await;
            let _ = tx.send(());
        })
    };
    let log = loop {
        let r = req(Method::GET, "/_standin/requests", "application/json", "");
        let resp = ctl.handle_control(&r).unwrap();
        let body = match resp.into_body() {
            OutBody::Full(Some(b)) => b.to_vec(),
            _ => Vec::new(),
        };
        let v: Value = serde_json::from_slice(&body).unwrap_or_default();
        if v.as_array().is_some_and(|a| !a.is_empty()) {
            break v;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(log[0]["path"], "/c");
    assert!(log[0]["note"].as_str().unwrap().contains("held 600000ms"));
    running.abort();
    assert!(rx.await.is_err(), "the answer was still held back");
}
