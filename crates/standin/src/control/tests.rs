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
