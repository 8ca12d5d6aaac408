//! Secret hygiene, end to end: the whole story of an integration with `TF_LOG=trace`, and not one
//! secret in anything Terraform printed or logged; then, from the stand-ins' request logs, each
//! secret only in the requests that need it.
//!
//! The story, with the real Terraform CLI (1.0.3) against the stand-ins, each run with
//! `TF_LOG=trace` and its own `TF_LOG_PATH`: create; update with a new Coupa client and secret
//! (ConductorOne auth by OIDC token exchange); refresh (static access token); `terraform show`;
//! `state rm` and `import`, then the apply that sends the secret again; both data sources; the
//! health data source over a connector whose `lastError` echoes the Coupa secret; three
//! failing runs (a wrong Coupa secret, a wrong ConductorOne client secret, and a ConductorOne
//! error whose message echoes the Coupa secret and the bearer token); destroy.
//!
//! Scanned: every byte of stdout, stderr and the trace log of every run. Searched for: each Coupa
//! client secret and the Basic header value of each client used; the ConductorOne client secret
//! (right and wrong), its JWK base64, and its `d` and `x` key material (base64url, base64, hex);
//! the OIDC token; every access token either stand-in issued (read from `/_standin/tokens`);
//! and anything shaped like a JWT, a `Bearer` value or a `Basic` value. The state file is not
//! scanned: Terraform stores sensitive values there by design.

use std::path::PathBuf;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use regex::Regex;
use serde_json::{json, Value};

mod graphql_echo;
mod health;

use testkit::secrets::Needles;
use testkit::{terraform, Rig, Run};

const ADDR: &str = "conductorone_coupa_integration.x";
const WRONG_COUPA_SECRET: &str = "wrong-coupa-secret-0123456789abcdef";

/// The variables, the integration, and (when `with_data`) both data sources.
fn config(with_data: bool) -> String {
    let mut main = r#"variable "app_id" {
  type = string
}

variable "coupa_client_id" {
  type = string
}

variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

resource "conductorone_coupa_integration" "x" {
  app_id        = var.app_id
  coupa_domain  = "https://acme.coupahost.com/session/new"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}

output "id" {
  value = conductorone_coupa_integration.x.id
}
"#
    .to_owned();
    if with_data {
        main.push_str(
            r#"
data "conductorone_coupa_groups" "g" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}

data "conductorone_coupa_roles" "r" {
  coupa_domain    = "acme.coupahost.com"
  client_id       = var.coupa_client_id
  client_secret   = var.coupa_client_secret
  name_regex      = "^Admin$"
  include_members = true
}

data "conductorone_coupa_users" "u" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
  login_regex   = "^j"
}

output "users" {
  value = data.conductorone_coupa_users.u.users[*].login
}

output "groups" {
  value = length(data.conductorone_coupa_groups.g.groups)
}

output "roles" {
  value = data.conductorone_coupa_roles.r.roles[*].name
}
"#,
        );
    }
    main
}

/// A ConductorOne client secret for `seed`, and its parts: the JWK base64 and the raw key.
struct C1Key {
    secret: String,
    jwk_b64: String,
    d: Vec<u8>,
    x: Vec<u8>,
}

impl C1Key {
    fn parse(secret: &str) -> C1Key {
        let jwk_b64 = secret.rsplit(':').next().unwrap().to_owned();
        let jwk: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&jwk_b64).unwrap()).unwrap();
        let raw = |k: &str| URL_SAFE_NO_PAD.decode(jwk[k].as_str().unwrap()).unwrap();
        C1Key {
            secret: secret.to_owned(),
            jwk_b64,
            d: raw("d"),
            x: raw("x"),
        }
    }

    fn generate(seed: [u8; 32]) -> C1Key {
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let jwk = json!({"kty": "OKP", "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            "d": URL_SAFE_NO_PAD.encode(seed)});
        C1Key::parse(&format!(
            "secret-token:conductorone.com:v1:{}",
            URL_SAFE_NO_PAD.encode(jwk.to_string())
        ))
    }

    /// Every spelling of this key worth searching for, labelled.
    fn needles(&self, label: &str) -> Vec<(String, String)> {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        vec![
            (format!("{label}: client secret"), self.secret.clone()),
            (format!("{label}: JWK base64"), self.jwk_b64.clone()),
            (
                format!("{label}: d (base64url)"),
                URL_SAFE_NO_PAD.encode(&self.d),
            ),
            (format!("{label}: d (base64)"), STANDARD.encode(&self.d)),
            (format!("{label}: d (hex)"), hex(&self.d)),
            (
                format!("{label}: x (base64url)"),
                URL_SAFE_NO_PAD.encode(&self.x),
            ),
            (format!("{label}: x (hex)"), hex(&self.x)),
        ]
    }
}

/// The story's rig, and every byte Terraform printed or logged in it, run by run.
struct Story {
    rig: Rig,
    logs: PathBuf,
    /// `(run label, text)`: stdout, stderr and the trace log of every run.
    captured: Vec<(String, String)>,
}

impl Story {
    /// The rig at `TF_LOG=trace`, its app in `var.app_id`; `None` without Terraform.
    fn start() -> Option<Story> {
        let mut rig = Rig::start(terraform!())?;
        let logs = rig.wd.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let app = rig.app();
        rig.set_var("app_id", &app);
        rig.wd.set_env("TF_LOG", "trace");
        Some(Story {
            rig,
            logs,
            captured: Vec::new(),
        })
    }

    /// `terraform <args>` with its own trace log; everything it printed and logged is kept.
    fn tf(&mut self, label: &str, args: &[&str]) -> Run {
        let n = self.captured.len() + 1;
        let log = self.logs.join(format!("{n:02}-{label}.log"));
        self.rig.wd.set_env("TF_LOG_PATH", log.to_str().unwrap());
        let run = self.rig.wd.run(args);
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            logged.contains("[TRACE]"),
            "{label}: no trace log was written to {}",
            log.display()
        );
        self.captured.push((
            format!("{n:02} {label}"),
            format!("{}\n{}\n{logged}", run.stdout, run.stderr),
        ));
        run
    }

    fn apply(&mut self, label: &str) -> Run {
        self.tf(
            label,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        )
    }

    /// `terraform output -json <name>`, through [`Story::tf`] like every other run.
    fn output(&mut self, name: &str) -> Value {
        let run = self.tf("output", &["output", "-json", name]);
        ok(&run, "terraform output");
        serde_json::from_str(&run.stdout).expect("output is JSON")
    }
}

/// `run` succeeded; on failure only the summary lines are shown (the output holds no secret,
/// which is what this test checks, but it is checked after the story).
#[track_caller]
fn ok(run: &Run, what: &str) {
    assert_eq!(run.code, 0, "{what} failed:\n{}", error_lines(run));
}

#[track_caller]
fn failed_with(run: &Run, what: &str, summary: &str) {
    assert_ne!(run.code, 0, "{what} unexpectedly succeeded");
    assert!(
        run.all().contains(&format!("Error: {summary}")),
        "{what}: no `{summary}` error:\n{}",
        error_lines(run)
    );
}

fn error_lines(run: &Run) -> String {
    run.all()
        .lines()
        .filter(|l| l.starts_with("Error: ") || l.contains("Resources:"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn strings(v: Value) -> Vec<String> {
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn no_secret_in_anything_terraform_prints_or_logs_at_trace_level() {
    let started = std::time::Instant::now();
    let Some(mut st) = Story::start() else {
        return;
    };
    let c1_key = C1Key::parse(&st.rig.standin.c1("client_secret"));
    let wrong_c1_key = C1Key::generate([9u8; 32]);

    // 1. Create (JWT client credentials).
    st.rig.wd.write_main(&config(false));
    ok(&st.apply("create"), "create");
    let id = st.output("id").as_str().expect("id").to_owned();
    ok(&st.tf("show", &["show", "-no-color"]), "show");

    // 2. Update: a new Coupa client and secret, checked against Coupa (OIDC token exchange).
    st.rig.auth_with_oidc_token();
    st.rig.use_coupa_client("full");
    let run = st.apply("update-secret");
    ok(&run, "update");
    assert!(run.stdout.contains("1 changed"), "{}", error_lines(&run));

    // 3. Refresh (static access token).
    st.rig.auth_with_access_token();
    ok(
        &st.tf("refresh", &["refresh", "-input=false", "-no-color"]),
        "refresh",
    );

    // 4. Import: forget it, import it, and apply (the secret cannot be imported: sent again).
    st.rig.auth_with_client_secret();
    ok(&st.tf("state-rm", &["state", "rm", ADDR]), "state rm");
    let import_id = format!("{}/{id}", st.rig.standin.c1("app_id"));
    ok(
        &st.tf(
            "import",
            &["import", "-input=false", "-no-color", ADDR, &import_id],
        ),
        "import",
    );
    ok(&st.apply("apply-after-import"), "apply after import");

    // 5. Both data sources.
    st.rig.wd.write_main(&config(true));
    ok(&st.apply("data-sources"), "data sources");
    assert_eq!(st.output("roles"), json!(["Admin"]));

    // 6. Failing runs: a wrong Coupa secret (refused at plan)...
    st.rig.set_var("coupa_client_secret", WRONG_COUPA_SECRET);
    let run = st.tf("wrong-coupa-secret", &["plan", "-input=false", "-no-color"]);
    failed_with(
        &run,
        "plan with a wrong Coupa secret",
        "Coupa Rejected the Client Credentials",
    );
    st.rig.use_coupa_client("full");

    // ...a wrong ConductorOne client secret (refused by the token endpoint)...
    st.rig
        .wd
        .set_env("CONDUCTORONE_CLIENT_SECRET", &wrong_c1_key.secret);
    let run = st.tf("wrong-c1-secret", &["plan", "-input=false", "-no-color"]);
    failed_with(
        &run,
        "plan with a wrong ConductorOne secret",
        "Unable to Read Coupa Integration",
    );
    assert!(
        run.stderr.contains("invalid_client"),
        "{}",
        error_lines(&run)
    );
    st.rig.auth_with_client_secret();

    // ...and a ConductorOne error whose message echoes what it was sent: the new Coupa secret
    // and the bearer token (static, so known in advance).
    st.rig.auth_with_access_token();
    st.rig.use_coupa_client("read_only");
    let echoed = format!(
        "invalid configuration oauth2_client_cred_grant_client_secret={} for Authorization: Bearer {} (request-id: 2echo)",
        st.rig.standin.coupa_client("read_only", "client_secret"),
        st.rig.standin.c1("access_token")
    );
    st.rig
        .standin
        .c1_fault(json!({
            "method": "POST",
            "path_prefix": format!("/api/v1/apps/{}/connectors/{id}", st.rig.standin.c1("app_id")),
            "status": 400,
            "count": 5,
            "body": {"code": 3, "message": echoed, "details": []},
        }))
        .await;
    let run = st.apply("c1-error");
    failed_with(
        &run,
        "apply against a failing ConductorOne",
        "Unable to Update Coupa Integration",
    );
    let shown = run.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        shown.contains("client_secret=<redacted> for Authorization: Bearer <redacted>"),
        "the echo reached the output, masked: {}",
        error_lines(&run)
    );
    st.rig.standin.clear_faults().await;

    // ...and Coupa's GraphQL `errors` (on a 200) echoing the Coupa client secret.
    graphql_echo::coupa_graphql_errors_are_masked(&mut st).await;
    // ...and a connector's `lastError` echoing it, read by the health data source.
    health::the_health_read_masks_an_echoed_secret(&mut st).await;

    // 7. Destroy.
    st.rig.auth_with_client_secret();
    st.rig.use_coupa_client("full");
    let run = st.tf(
        "destroy",
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    );
    ok(&run, "destroy");

    // --- The scan --------------------------------------------------------------------------
    let c1_tokens = strings(st.rig.standin.c1_get("tokens").await);
    let coupa_tokens = strings(st.rig.standin.coupa_get("tokens").await);
    assert!(
        c1_tokens.len() >= 4,
        "JWT, OIDC and static tokens: {}",
        c1_tokens.len()
    );
    assert!(!coupa_tokens.is_empty());

    let mut needles = Needles::default();
    let coupa_clients = ["full", "read_only", "no_common", "inactive"];
    for name in coupa_clients {
        let (cid, secret) = (
            st.rig.standin.coupa_client(name, "client_id"),
            st.rig.standin.coupa_client(name, "client_secret"),
        );
        needles
            .exact
            .push((format!("Coupa secret ({name})"), secret.clone()));
        needles.exact.push((
            format!("Coupa Basic credentials ({name})"),
            STANDARD.encode(format!("{cid}:{secret}")),
        ));
    }
    needles
        .exact
        .push(("wrong Coupa secret".into(), WRONG_COUPA_SECRET.into()));
    needles.exact.extend(c1_key.needles("ConductorOne key"));
    needles
        .exact
        .extend(wrong_c1_key.needles("wrong ConductorOne key"));
    needles
        .exact
        .push(("OIDC token".into(), st.rig.standin.c1("oidc_token")));
    for (i, t) in c1_tokens.iter().enumerate() {
        needles
            .exact
            .push((format!("ConductorOne access token #{i}"), t.clone()));
    }
    for (i, t) in coupa_tokens.iter().enumerate() {
        needles
            .exact
            .push((format!("Coupa access token #{i}"), t.clone()));
    }
    // Shapes looser than the kit's own: any separator after `Bearer` / `Basic`.
    needles.shapes = vec![
        (
            "a JWT".into(),
            Regex::new(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}").unwrap(),
        ),
        (
            "a Bearer value".into(),
            Regex::new(r#"(?i)bearer[\s:="']+[A-Za-z0-9._~+/=-]{16,}"#).unwrap(),
        ),
        (
            "a Basic value".into(),
            Regex::new(r#"(?i)basic[\s:="']+[A-Za-z0-9+/]{24,}={0,2}"#).unwrap(),
        ),
    ];

    let mut leaks = Vec::new();
    let mut bytes = 0;
    for (run, text) in &st.captured {
        bytes += text.len();
        for label in needles.find(text) {
            leaks.push(format!("{run}: {label}"));
        }
    }
    // The story really ran at trace level, through the provider too.
    let all: String = st.captured.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        all.contains("provider.terraform-provider-conductorone"),
        "no provider logs"
    );
    assert!(
        all.contains("http request") || all.contains("http "),
        "no request logs"
    );
    assert!(
        leaks.is_empty(),
        "secrets in Terraform's output or logs (values withheld):\n{}",
        leaks.join("\n")
    );

    // --- Where each secret travelled (the stand-ins' request logs) -------------------------
    let c1_log = st.rig.standin.c1_requests().await;
    let coupa_log = st.rig.standin.coupa_requests().await;
    let text = |r: &Value| r.to_string();
    let coupa_secrets: Vec<String> = coupa_clients
        .iter()
        .map(|n| st.rig.standin.coupa_client(n, "client_secret"))
        .chain([WRONG_COUPA_SECRET.to_owned()])
        .collect();

    // Coupa: the secret only in token requests, as Basic credentials (the log keeps only the
    // scheme), never in a form field, a query, a body or another header; API calls use Bearer.
    let mut coupa_token_requests = 0;
    for r in &coupa_log {
        for secret in &coupa_secrets {
            assert!(
                !text(r).contains(secret.as_str()),
                "Coupa request {} carries a Coupa secret",
                r["path"]
            );
        }
        if r["path"] == "/oauth2/token" {
            coupa_token_requests += 1;
            assert_eq!(r["auth_style"], "basic", "{}", r["path"]);
            assert_eq!(r["headers"]["authorization"], "Basic");
            assert!(
                r["body"].get("client_secret").is_none(),
                "secret in the form"
            );
        } else {
            assert_eq!(r["headers"]["authorization"], "Bearer", "{}", r["path"]);
        }
    }
    assert!(
        coupa_token_requests >= 4,
        "{coupa_token_requests} Coupa token requests"
    );

    // ConductorOne: the client secret and its key never on the wire (only the signed
    // assertion); API calls use Bearer; the Coupa secret only in the connector config of
    // create and update bodies.
    let mut config_writes = 0;
    let mut assertions = 0;
    for r in &c1_log {
        let t = text(r);
        for (label, needle) in c1_key
            .needles("key")
            .iter()
            .chain(&wrong_c1_key.needles("wrong key"))
        {
            assert!(
                !t.contains(needle.as_str()),
                "ConductorOne request {} carries {label}",
                r["path"]
            );
        }
        let path = r["path"].as_str().unwrap();
        if path == "/auth/v1/token" {
            assert!(
                r["body"].get("client_secret").is_none(),
                "client secret in the form"
            );
            if r["body"]["grant_type"] == "client_credentials" {
                assert_eq!(r["body"]["client_assertion"], "<redacted>");
                assert_eq!(
                    r["body"]["client_assertion_type"],
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                );
                assertions += 1;
            }
            continue;
        }
        assert_eq!(r["headers"]["authorization"], "Bearer", "{path}");
        let carries: Vec<&String> = coupa_secrets
            .iter()
            .filter(|s| t.contains(s.as_str()))
            .collect();
        if carries.is_empty() {
            continue;
        }
        let is_write = r["method"] == "POST"
            && (path.ends_with("/connectors/create")
                || path.ends_with(&format!("/connectors/{id}")));
        assert!(is_write, "{} {path} carries a Coupa secret", r["method"]);
        let body = &r["body"];
        let connector = body.get("connector").unwrap_or(body);
        let sent = &connector["config"]["configuration"]["oauth2_client_cred_grant_client_secret"]
            ["stringValue"];
        assert_eq!(carries.len(), 1);
        assert_eq!(
            sent.as_str(),
            Some(carries[0].as_str()),
            "the secret is only the config value"
        );
        let without = t.replacen(carries[0].as_str(), "", 1);
        assert!(
            !without.contains(carries[0].as_str()),
            "the secret appears twice in {path}"
        );
        config_writes += 1;
    }
    assert!(assertions >= 3, "{assertions} JWT client assertions");
    let exchanges = c1_log
        .iter()
        .filter(|r| r["body"]["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange")
        .count();
    assert!(
        exchanges >= 1,
        "the update authenticated by OIDC token exchange"
    );
    // create, update, apply after import, and the refused update.
    assert!(
        config_writes >= 4,
        "{config_writes} connector writes with a config"
    );

    // No token crossed over to the other API.
    for t in &c1_tokens {
        assert!(!coupa_log.iter().any(|r| text(r).contains(t.as_str())));
    }
    for t in &coupa_tokens {
        assert!(!c1_log.iter().any(|r| text(r).contains(t.as_str())));
    }

    let line = format!(
        "secret hygiene (tests/e2e/secret_hygiene.rs): {} terraform runs at TF_LOG=trace, {} KiB of output and logs scanned for {} secrets and 3 shapes: 0 found; {} ConductorOne and {} Coupa requests checked: each secret only where needed ({:.0?})",
        st.captured.len(),
        bytes / 1024,
        needles.exact.len(),
        c1_log.len(),
        coupa_log.len(),
        started.elapsed()
    );
    // Past the harness's capture, so `make test` shows it; and in `target/reliability/`.
    let runs: String = st
        .captured
        .iter()
        .map(|(run, t)| format!("{run}: {} bytes\n", t.len()))
        .collect();
    testkit::report::publish("secret-hygiene.txt", &line, &format!("{line}\n\n{runs}"));
}
