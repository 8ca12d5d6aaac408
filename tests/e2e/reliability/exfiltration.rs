//! Exfiltration guard: redirects to another host are never followed, credentials go only where
//! they belong, and foreign hosts are refused before any request.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::COUPA_VARIABLES;

use super::*;

/// Another host: a listener that answers `200` with an empty body and counts connections.
struct Trap {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Trap {
    fn start() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                );
            }
        });
        Trap { port, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn redirects_to_another_host_are_never_followed_with_credentials() {
    let Some(rig) = rig(true) else { return };
    let standin = &rig.standin;
    let trap = Trap::start();
    let app = standin.c1("app_id");
    let wd = &rig.wd;
    let clear = || async {
        let http = crate::http_client();
        for base in [standin.c1_url(), standin.coupa_url()] {
            http.delete(format!("{base}/_standin/faults"))
                .send()
                .await
                .unwrap();
        }
    };

    // The trap works: a client that follows redirects lands on it.
    standin
        .coupa_fault(
            json!({"path_prefix": "/oauth2/token", "kind": "redirect", "status": 307,
                            "location": trap.url("/oauth2/token"), "count": 1}),
        )
        .await;
    let follower = crate::http_client();
    follower
        .post(format!("{}/oauth2/token", standin.coupa_url()))
        .basic_auth("probe", Some("probe"))
        .send()
        .await
        .unwrap();
    assert_eq!(trap.hits(), 1, "a following client reaches the trap");

    let mut figures = vec![];
    let scenarios: [(&str, &str, Value, String); 4] = [
        (
            "Coupa token endpoint (plan)",
            "coupa",
            json!({"path_prefix": "/oauth2/token", "kind": "redirect", "status": 307,
                   "location": trap.url("/oauth2/token"), "count": 1000}),
            format!(
                "{COUPA_VARIABLES}{}",
                integration("x", &app, "acme.coupahost.com")
            ),
        ),
        (
            "Coupa API (data source)",
            "coupa",
            json!({"path_prefix": "/api/user_groups", "kind": "redirect", "status": 302,
                   "location": trap.url("/api/user_groups"), "count": 1000}),
            format!("{COUPA_VARIABLES}{}", listings()),
        ),
        (
            "ConductorOne token endpoint (apply)",
            "c1",
            json!({"path_prefix": "/auth/v1/token", "kind": "redirect", "status": 307,
                   "location": trap.url("/auth/v1/token"), "count": 1000}),
            format!(
                "{COUPA_VARIABLES}{}",
                integration("x", &app, "acme.coupahost.com")
            ),
        ),
        (
            "ConductorOne API (create)",
            "c1",
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                   "kind": "redirect", "status": 307,
                   "location": trap.url(&format!("/api/v1/apps/{app}/connectors/create")),
                   "count": 1000}),
            format!(
                "{COUPA_VARIABLES}{}",
                integration("x", &app, "acme.coupahost.com")
            ),
        ),
    ];
    for (what, api, fault, config) in scenarios {
        clear().await;
        let before = trap.hits();
        if api == "coupa" {
            standin.coupa_fault(fault).await;
        } else {
            standin.c1_fault(fault).await;
        }
        wd.write_main(&config);
        let run = wd.apply();
        rig.needles.assert_absent(&run.all(), what);
        run.assert_failed(what);
        let out = run.flat();
        assert!(
            out.contains("redirects are never followed, so that credentials only go to the host you configured"),
            "{what}: {out}"
        );
        assert!(
            out.contains(&format!("to http://127.0.0.1:{}", trap.port)),
            "{what}: the diagnostic names where it was sent: {out}"
        );
        assert_eq!(
            trap.hits(),
            before,
            "{what}: the other host received a request"
        );
        assert!(
            standin.live_connectors(&app).await.is_empty(),
            "{what}: no connector made"
        );
        figures.push(format!(
            "  {what}: refused, the other host received nothing"
        ));
    }
    publish(
        "redirects.txt",
        &format!(
            "Redirects to another host (tests/e2e/reliability/): 4 tried, 4 refused without a request to it\n{}",
            figures.join("\n")
        ),
    );
}

#[tokio::test]
async fn credentials_go_only_where_they_belong_and_foreign_hosts_are_refused() {
    let Some(mut rig) = rig(true) else { return };
    let standin = &rig.standin;
    let app = standin.c1("app_id");
    let coupa_secret = standin.coupa_client("read_only", "client_secret");
    let wd = &mut rig.wd;
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}{}",
        integration("x", &app, "acme.coupahost.com"),
        listings()
    ));
    let apply = wd.apply();
    rig.needles.assert_absent(&apply.all(), "apply");
    apply.assert_ok("apply");

    // Coupa: Basic credentials only on the token endpoint; the secret in no body.
    let coupa = standin.coupa_requests().await;
    assert!(!coupa.is_empty());
    for r in &coupa {
        let auth = r["headers"]["authorization"].as_str().unwrap_or("");
        let path = r["path"].as_str().unwrap();
        if auth == "Basic" {
            assert_eq!(
                (r["method"].as_str(), path),
                (Some("POST"), "/oauth2/token")
            );
        } else {
            assert_eq!(auth, "Bearer", "{path}");
            assert!(path.starts_with("/api/"), "{path}");
        }
        assert!(!r.to_string().contains(&coupa_secret), "{path}");
        assert_ne!(
            path, "/auth/v1/token",
            "a ConductorOne request went to Coupa"
        );
    }
    // ConductorOne: the Coupa secret only as the connector's configuration, in the create; the
    // ConductorOne secret never (a signed assertion stands for it).
    for r in standin.c1_requests().await {
        let path = r["path"].as_str().unwrap();
        assert_ne!(
            path, "/oauth2/token",
            "a Coupa request went to ConductorOne"
        );
        if r.to_string().contains(&coupa_secret) {
            assert!(path.ends_with("/connectors/create"), "{path}");
        }
        assert!(!r.to_string().contains(&standin.c1("client_secret")));
    }
    wd.destroy().assert_ok("destroy");

    // Refused before any request: a host that is not Coupa's, plain http to a remote host.
    standin.clear_logs().await;
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com.evil.example")
    ));
    let run = wd.plan();
    assert_eq!(run.code, 1);
    assert!(run.flat().contains("Invalid Coupa Domain"), "{}", run.all());

    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    ));
    wd.set_env(
        "CONDUCTORONE_COUPA_ENDPOINT",
        "http://coupa-proxy.example.com",
    );
    let run = wd.plan();
    assert_eq!(run.code, 1);
    assert!(
        run.flat().contains("Invalid Coupa Endpoint")
            && run
                .flat()
                .contains("plain http to a host that is not loopback"),
        "{}",
        run.all()
    );
    wd.set_env("CONDUCTORONE_COUPA_ENDPOINT", &standin.coupa_url());
    wd.set_env("CONDUCTORONE_SERVER_URL", "http://c1.example.com");
    let run = wd.plan();
    assert_eq!(run.code, 1);
    assert!(
        run.flat().contains("Invalid Server URL")
            && run
                .flat()
                .contains("plain http to a host that is not loopback"),
        "{}",
        run.all()
    );
    assert!(standin.c1_requests().await.is_empty());
    assert!(standin.coupa_requests().await.is_empty());
}
