use super::*;
use crate::conductorone::auth::C1Auth;
use crate::conductorone::sync::SyncSettings;
use crate::server::OutBody;

fn c1() -> C1 {
    C1::new(
        C1Auth::new("127.0.0.1:1", "2user".into()),
        vec!["2other".into()],
        0,
        SyncSettings {
            sync_queue_ms: 0,
            ..SyncSettings::new(0)
        },
        None,
    )
}

fn call(c: &C1, method: Method, path: &str, body: &str) -> (u16, Value) {
    let mut headers = hyper::HeaderMap::new();
    let auth = format!("Bearer {}", c.auth.static_token);
    headers.insert("authorization", auth.parse().unwrap());
    let req = Req {
        method,
        path: path.into(),
        query: String::new(),
        headers,
        body: body.as_bytes().to_vec().into(),
    };
    let ctx = Ctx {
        request_id: "01TEST".into(),
    };
    status_and_json(c.api(&req, &ctx).response)
}

/// The status and the JSON body of an answer (`null` when the body is not JSON).
fn status_and_json(r: hyper::Response<OutBody>) -> (u16, Value) {
    let status = r.status().as_u16();
    let OutBody::Full(b) = r.into_body() else {
        panic!()
    };
    (
        status,
        serde_json::from_slice(&b.unwrap_or_default()).unwrap_or(Value::Null),
    )
}

#[test]
fn connector_lifecycle() {
    let c = c1();
    let app = c.app_ids()[0].clone();
    let base = format!("/api/v1/apps/{app}/connectors");
    let create = r#"{"catalogId":"2rSHEoPoq5CS89JAUevDbYBS3uA","config":{"@type":"type.googleapis.com/c1.api.app.v1.EnvConfig","configuration":{"coupa-domain":{"stringValue":"a.coupahost.com"},"oauth2_client_cred_grant_client_id":{"stringValue":"cid"},"oauth2_client_cred_grant_client_secret":{"stringValue":"s"}}}}"#;
    let (st, v) = call(&c, Method::POST, &format!("{base}/create"), create);
    assert_eq!(st, 200);
    let conn = &v["connectorView"]["connector"];
    let id = conn["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 27);
    assert_eq!(conn["displayName"], "Coupa v2");
    assert_eq!(conn["userIds"], json!(["2user"]));
    assert_eq!(
        conn["status"]["status"], "SYNC_STATUS_UNSPECIFIED",
        "the first sync is queued, not started"
    );
    assert!(conn["config"]["configuration"]
        .get("oauth2_client_cred_grant_client_secret")
        .is_none());
    assert_eq!(v["expanded"], json!([]));

    let (_, v) = call(&c, Method::GET, &format!("{base}/{id}"), "");
    let got = &v["connectorView"]["connector"];
    assert_eq!(got["status"]["status"], "SYNC_STATUS_DONE");
    assert_eq!(
        got["updatedAt"], conn["updatedAt"],
        "the sync does not touch updatedAt"
    );

    let (st, v) = call(
        &c,
        Method::POST,
        &format!("{base}/{id}"),
        r#"{"connector":{"userIds":["2other"]}}"#,
    );
    assert_eq!((st, v["code"].clone()), (400, json!(3)));
    assert_eq!(v["message"], "update_mask is required (request-id: 01TEST)");
    let (st, v) = call(
        &c,
        Method::POST,
        &format!("{base}/{id}/delegated"),
        r#"{"connector":{"displayName":"Coupa v2","userIds":["2other"]},"updateMask":"displayName,userIds"}"#,
    );
    assert_eq!(st, 200);
    assert_eq!(
        v["connectorView"]["connector"]["userIds"],
        json!(["2other"])
    );

    let (st, v) = call(&c, Method::DELETE, &format!("{base}/{id}"), "{}");
    assert_eq!((st, v), (200, json!({})));
    let (st, v) = call(&c, Method::GET, &format!("{base}/{id}"), "");
    assert_eq!(st, 200);
    assert!(v["connectorView"]["connector"]["deletedAt"].is_string());
    assert_eq!(
        call(&c, Method::DELETE, &format!("{base}/{id}"), "{}").0,
        200
    );
    assert_eq!(call(&c, Method::GET, &format!("{base}/nope"), "").0, 404);
    assert_eq!(
        call(&c, Method::GET, "/api/v1/apps/nope/connectors", "").0,
        404
    );
    let (_, v) = call(&c, Method::GET, &base, "");
    assert_eq!(
        v,
        json!({"list": [], "nextPageToken": "", "expanded": []}),
        "deleted ones are not listed"
    );
}

#[test]
fn list_pages_until_the_token_is_empty() {
    let c = c1();
    let app = c.app_ids()[1].clone();
    let base = format!("/api/v1/apps/{app}/connectors");
    for _ in 0..5 {
        let (st, _) = call(
            &c,
            Method::POST,
            &base,
            r#"{"catalogId":"2rSHEoPoq5CS89JAUevDbYBS3uA"}"#,
        );
        assert_eq!(st, 200);
    }
    let mut token = String::new();
    let mut seen = 0;
    loop {
        let mut req_path = format!("{base}?page_size=2");
        if !token.is_empty() {
            req_path.push_str(&format!("&page_token={token}"));
        }
        let (path, query) = req_path.split_once('?').unwrap();
        let mut headers = hyper::HeaderMap::new();
        headers.insert(
            "authorization",
            format!("Bearer {}", c.auth.static_token).parse().unwrap(),
        );
        let req = Req {
            method: Method::GET,
            path: path.into(),
            query: query.into(),
            headers,
            body: Default::default(),
        };
        let r = c
            .api(
                &req,
                &Ctx {
                    request_id: "x".into(),
                },
            )
            .response;
        let OutBody::Full(Some(b)) = r.into_body() else {
            panic!()
        };
        let v: Value = serde_json::from_slice(&b).unwrap();
        seen += v["list"].as_array().unwrap().len();
        token = v["nextPageToken"].as_str().unwrap().to_string();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen, 5);
}

/// A control request to the stand-in, as the test kit sends it.
fn control(c: &C1, path: &str, body: &str) -> (u16, Value) {
    let req = Req {
        method: Method::POST,
        path: format!("/_standin/{path}"),
        query: String::new(),
        headers: hyper::HeaderMap::new(),
        body: body.as_bytes().to_vec().into(),
    };
    status_and_json(c.control(&req))
}

#[test]
fn delegated_create_is_pending_until_its_owner_configures_it() {
    let c = c1();
    let app = c.app_ids()[0].clone();
    let base = format!("/api/v1/apps/{app}/connectors");
    let (st, v) = call(
        &c,
        Method::POST,
        &base,
        r#"{"catalogId":"2rSHEoPoq5CS89JAUevDbYBS3uA","displayName":"Coupa v2","userIds":["2other"],"config":{"@type":"type.googleapis.com/c1.api.app.v1.EnvConfig"}}"#,
    );
    assert_eq!((st, v["code"].clone()), (400, json!(3)), "{v}");
    assert!(v["message"].as_str().unwrap().contains("config"));
    assert_eq!(c.committed().len(), 0, "a refused create makes nothing");

    let (st, v) = call(
        &c,
        Method::POST,
        &base,
        r#"{"catalogId":"2rSHEoPoq5CS89JAUevDbYBS3uA","displayName":"Coupa v2","userIds":["2other"]}"#,
    );
    assert_eq!(st, 200);
    let conn = &v["connectorView"]["connector"];
    let id = conn["id"].as_str().unwrap().to_string();
    assert_eq!(conn["config"], Value::Null);
    assert_eq!(conn["userIds"], json!(["2other"]));
    assert_eq!(conn["status"]["status"], "SYNC_STATUS_UNSPECIFIED");
    let (_, v) = call(&c, Method::GET, &format!("{base}/{id}"), "");
    assert_eq!(
        v["connectorView"]["connector"]["status"]["status"], "SYNC_STATUS_UNSPECIFIED",
        "a pending connector does not sync"
    );

    // protojson's way: no `config`, no `status` at all.
    assert_eq!(
        control(&c, "config/connectors", r#"{"pending_omits_empty":true}"#).0,
        200
    );
    let (_, v) = call(&c, Method::GET, &format!("{base}/{id}"), "");
    let conn = v["connectorView"]["connector"].as_object().unwrap();
    assert!(
        !conn.contains_key("config") && !conn.contains_key("status"),
        "{v}"
    );
    let (_, v) = call(&c, Method::GET, &base, "");
    let listed = v["list"][0]["connector"].as_object().unwrap();
    assert!(!listed.contains_key("status"));

    // The owner saves domain, client ID and secret; a sync starts, and with `sync_error` fails.
    let (st, _) = control(&c, "config", r#"{"sync_error":"sync failed: boom"}"#);
    assert_eq!(st, 200);
    let (st, v) = control(
        &c,
        &format!("connectors/{id}/configure"),
        r#"{"coupa_domain":"a.coupahost.com","client_id":"cid","client_secret":"s3cr3t-value"}"#,
    );
    assert_eq!(st, 200, "{v}");
    let (_, v) = call(&c, Method::GET, &format!("{base}/{id}"), "");
    let conn = &v["connectorView"]["connector"];
    assert_eq!(
        conn["config"]["configuration"]["coupa-domain"]["stringValue"],
        "a.coupahost.com"
    );
    assert!(conn["config"]["configuration"]
        .get("oauth2_client_cred_grant_client_secret")
        .is_none());
    assert!(conn["configUpdatedAt"].is_string());
    assert_eq!(conn["status"]["status"], "SYNC_STATUS_ERROR");
    assert_eq!(conn["status"]["lastError"], "sync failed: boom");

    let (st, _) = control(&c, "config", r#"{"sync_error":""}"#);
    assert_eq!(st, 200);
    control(
        &c,
        &format!("connectors/{id}/configure"),
        r#"{"coupa_domain":"a.coupahost.com","client_id":"cid","client_secret":"s3cr3t-value"}"#,
    );
    let (_, v) = call(&c, Method::GET, &format!("{base}/{id}"), "");
    assert_eq!(
        v["connectorView"]["connector"]["status"]["status"],
        "SYNC_STATUS_DONE"
    );
    let (st, _) = control(
        &c,
        &format!("connectors/{id}/configure"),
        r#"{"coupa_domain":"x"}"#,
    );
    assert_eq!(st, 400, "all three are needed");
}
