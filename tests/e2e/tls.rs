//! End-to-end: corporate TLS. The stand-ins serve HTTPS under a certificate authority made at
//! their start (`--tls`), as a TLS-inspecting proxy or a private CA would: the provider refuses
//! them until `SSL_CERT_FILE` or `SSL_CERT_DIR` names that authority, and `HTTPS_PROXY` /
//! `NO_PROXY` still decide which way the requests go.
//!
//! `make test` runs these; alone: `TERRAFORM_BIN=… REQUIRE_TERRAFORM=1 cargo test --test e2e tls::`.

use std::sync::{Arc, Mutex};

use testkit::{terraform, Rig, Standin, StandinOptions, COUPA_VARIABLES};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// An integration whose plan checks the credentials against Coupa (`validate_credentials`
/// defaults to true) and whose apply creates the connector in ConductorOne: both APIs.
fn integration(app_id: &str, validate: bool) -> String {
    format!(
        r#"{COUPA_VARIABLES}
resource "conductorone_coupa_integration" "c" {{
  app_id               = "{app_id}"
  coupa_domain         = "acme.coupahost.com"
  client_id            = var.coupa_client_id
  client_secret        = var.coupa_client_secret
  validate_credentials = {validate}
}}
"#
    )
}

/// A listing that reads Coupa in every plan (the integration's credential check runs only when
/// something changes).
const ROLES: &str = r#"
data "conductorone_coupa_roles" "r" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}
"#;

fn https_standin() -> (Standin, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("standin-ca.pem");
    let standin = Standin::start_with(StandinOptions {
        tls: true,
        tls_ca_out: Some(ca),
        ..Default::default()
    });
    assert!(standin.c1_url().starts_with("https://localhost:"));
    assert!(standin.coupa_url().starts_with("https://localhost:"));
    (standin, dir)
}

/// `host:port` of a stand-in URL.
fn host(url: &str) -> &str {
    url.trim_start_matches("https://")
}

/// Terraform's output with its line wrapping undone.
fn unwrapped(output: &str) -> String {
    output.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[track_caller]
fn assert_untrusted(output: &str, host: &str) {
    let output = &unwrapped(output);
    for part in [
        &format!("could not connect securely to {host}"),
        "UnknownIssuer",
        "set SSL_CERT_FILE to a PEM file",
        "SSL_CERT_DIR",
        "install it in the system's certificate store",
    ] {
        assert!(output.contains(part), "{part:?} missing from:\n{output}");
    }
    assert!(!output.contains("panicked"), "{output}");
}

#[tokio::test]
async fn a_private_ca_is_refused_until_ssl_cert_file_or_dir_names_it() {
    let Some(tf) = terraform!() else { return };
    let (standin, ca_dir) = https_standin();
    let mut rig = Rig::with_standin(tf, standin);
    let standin = &rig.standin;
    let wd = &mut rig.wd;
    let app = standin.c1("app_id");

    // Without the authority: Coupa is refused at plan, ConductorOne at apply, and neither
    // stand-in saw a single HTTP request.
    wd.write_main(&integration(&app, true));
    let plan = wd.plan();
    plan.assert_failed("plan without the CA");
    assert_untrusted(&plan.all(), host(&standin.coupa_url()));
    wd.write_main(&integration(&app, false));
    let apply = wd.apply();
    apply.assert_failed("apply without the CA");
    assert_untrusted(&apply.all(), host(&standin.c1_url()));
    assert!(standin.coupa_requests().await.is_empty());
    assert!(standin.c1_requests().await.is_empty());

    // A file that is not there is an error naming the variable, not a panic.
    let missing = ca_dir.path().join("missing.pem");
    wd.set_env("SSL_CERT_FILE", missing.to_str().unwrap());
    let plan = wd.plan();
    plan.assert_failed("plan with a missing SSL_CERT_FILE");
    let out = unwrapped(&plan.all());
    assert!(
        out.contains("Error: Cannot Read Trusted Certificates"),
        "{out}"
    );
    assert!(
        out.contains(&format!("SSL_CERT_FILE names `{}`", missing.display())),
        "{out}"
    );
    assert!(!out.contains("panicked"), "{out}");

    // SSL_CERT_FILE naming the authority: both APIs accepted.
    wd.set_env("SSL_CERT_FILE", &standin.ca_file());
    wd.write_main(&integration(&app, true));
    wd.apply().assert_ok("apply with SSL_CERT_FILE");
    assert!(!standin.coupa_requests().await.is_empty(), "Coupa reached");
    let c1 = standin.c1_requests().await;
    assert!(
        c1.iter().any(
            |r| r["path"].as_str().unwrap().ends_with("/connectors/create") && r["status"] == 200
        ),
        "ConductorOne reached: {c1:#?}"
    );

    // SSL_CERT_DIR naming a directory that holds it works as well.
    wd.env.retain(|(k, _)| k != "SSL_CERT_FILE");
    wd.set_env("SSL_CERT_DIR", ca_dir.path().to_str().unwrap());
    wd.write_main(&(integration(&app, true) + ROLES));
    standin.clear_logs().await;
    let plan = wd.plan();
    assert_eq!(plan.code, 0, "no changes:\n{}", plan.all());
    assert!(!standin.coupa_requests().await.is_empty(), "Coupa reached");
    assert!(!standin.c1_requests().await.is_empty(), "ConductorOne read");
    wd.destroy().assert_ok("destroy with SSL_CERT_DIR");
}

/// A forward proxy that only knows `CONNECT` (what HTTPS through a proxy uses): it records each
/// target and relays bytes, so TLS stays end to end between the provider and the stand-in.
async fn connect_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut client = BufReader::new(client);
                let mut head = String::new();
                client.read_line(&mut head).await.ok()?;
                let target = head.strip_prefix("CONNECT ")?.split(' ').next()?.to_owned();
                let mut line = String::new();
                while client.read_line(&mut line).await.ok()? > 2 {
                    line.clear();
                }
                log.lock().unwrap().push(target.clone());
                let mut upstream = tokio::net::TcpStream::connect(&target).await.ok()?;
                let mut client = client.into_inner();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .ok()?;
                tokio::io::copy_bidirectional(&mut client, &mut upstream)
                    .await
                    .ok()
            });
        }
    });
    (port, seen)
}

// Multi-threaded: Terraform runs block this test's thread while the proxy relays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_carries_the_requests_and_no_proxy_bypasses_it() {
    let Some(tf) = terraform!() else { return };
    let (standin, _ca_dir) = https_standin();
    let (proxy_port, seen) = connect_proxy().await;
    let mut rig = Rig::with_standin(tf, standin);
    let standin = &rig.standin;
    let wd = &mut rig.wd;
    wd.set_env("SSL_CERT_FILE", &standin.ca_file());
    wd.set_env("HTTPS_PROXY", &format!("http://127.0.0.1:{proxy_port}"));
    wd.set_env("NO_PROXY", "");
    wd.write_main(&integration(&standin.c1("app_id"), true));
    wd.apply().assert_ok("apply through the proxy");
    let targets = seen.lock().unwrap().clone();
    for url in [standin.coupa_url(), standin.c1_url()] {
        assert!(
            targets.iter().any(|t| t == host(&url)),
            "the proxy carried {url}: {targets:?}"
        );
    }

    seen.lock().unwrap().clear();
    standin.clear_logs().await;
    wd.set_env("NO_PROXY", "localhost");
    wd.write_main(&(integration(&standin.c1("app_id"), true) + ROLES));
    let plan = wd.plan();
    assert_eq!(plan.code, 0, "no changes:\n{}", plan.all());
    assert!(!standin.coupa_requests().await.is_empty(), "Coupa reached");
    assert!(!standin.c1_requests().await.is_empty(), "ConductorOne read");
    assert!(
        seen.lock().unwrap().is_empty(),
        "NO_PROXY=localhost bypasses the proxy: {:?}",
        seen.lock().unwrap()
    );
    wd.destroy().assert_ok("destroy");
}
