//! Starting both stand-ins: the [`Options`], the runtime of their own, and the ready line.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use serde::Serialize;

/// What to start.
#[derive(Clone, Debug)]
pub struct Options {
    /// Address both servers listen on.
    pub bind: String,
    /// 0: any free port.
    pub c1_port: u16,
    pub coupa_port: u16,
    /// User groups and roles the Coupa tenant is seeded with (projects come on top).
    pub groups: usize,
    pub roles: usize,
    /// People in the user directory (`/api/users`), at least 41; records that are not people
    /// (API users…) come on top.
    pub users: usize,
    /// Enforce Coupa's rate limit (25 requests/s, burst 20).
    pub coupa_rate_limit: bool,
    /// Latency added to every API answer of both servers.
    pub latency_ms: u64,
    /// How long a ConductorOne connector sync runs (`SYNC_STATUS_RUNNING`) before it ends; a
    /// sync also waits 200 ms in the queue first. Control: `POST /_standin/config`.
    pub sync_ms: u64,
    /// Serve HTTPS at `https://localhost:PORT`, with a certificate issued by an authority made
    /// at start; the ready line's `ca_file` names its PEM. See [`crate::tls`].
    pub tls: bool,
    /// Where to write that PEM (else a file in the temp directory).
    pub tls_ca_out: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bind: "127.0.0.1".into(),
            c1_port: 0,
            coupa_port: 0,
            groups: 137,
            roles: 23,
            users: crate::coupa::seed::DEFAULT_USERS,
            coupa_rate_limit: false,
            latency_ms: 0,
            sync_ms: 1000,
            tls: false,
            tls_ca_out: None,
        }
    }
}

/// Start both servers on a runtime of their own (so a test that blocks its own thread on a
/// Terraform run does not stall them) and return once they accept connections: the ready line,
/// the sender that stops them, and their thread. [`crate::start`] wraps these in a `Standin`.
pub(crate) fn launch(
    options: Options,
) -> anyhow::Result<(
    serde_json::Value,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
)> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("standin".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("standin-worker")
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(anyhow::Error::from(e)));
                    return;
                }
            };
            runtime.block_on(async move {
                match serve(&options).await {
                    Ok(ready) => {
                        let _ = ready_tx.send(Ok(ready));
                        let _ = stop_rx.await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
            // Dropping the runtime here ends every server task.
        })
        .context("spawning the stand-in thread")?;
    let ready = ready_rx
        .recv()
        .context("the stand-in thread ended before it was ready")??;
    Ok((ready, stop_tx, thread))
}

/// Bind both listeners, build both APIs, spawn their servers, and describe them.
async fn serve(options: &Options) -> anyhow::Result<serde_json::Value> {
    let bind = options.bind.as_str();
    let c1_listener = tokio::net::TcpListener::bind((bind, options.c1_port))
        .await
        .with_context(|| format!("binding {bind}:{}", options.c1_port))?;
    let coupa_listener = tokio::net::TcpListener::bind((bind, options.coupa_port))
        .await
        .with_context(|| format!("binding {bind}:{}", options.coupa_port))?;
    let tls = if options.tls {
        let ip = c1_listener.local_addr()?.ip();
        Some(crate::tls::setup(
            options.tls_ca_out.as_deref(),
            (!ip.is_loopback()).then_some(ip),
        )?)
    } else {
        None
    };
    // Over TLS, loopback is named `localhost`, as certificates name hosts.
    let named = |addr: std::net::SocketAddr| match &tls {
        Some(_) if addr.ip().is_loopback() => format!("localhost:{}", addr.port()),
        _ => host_port(addr),
    };
    let c1_host = named(c1_listener.local_addr()?);
    let coupa_host = named(coupa_listener.local_addr()?);
    let scheme = if tls.is_some() { "https" } else { "http" };

    let user_id = crate::util::ksuid();
    let others = vec![crate::util::ksuid(), crate::util::ksuid()];
    let auth = crate::conductorone::auth::C1Auth::new(&c1_host, user_id.clone());
    // ConductorOne's syncs ask the Coupa stand-in for a token, over HTTPS in `tls` mode.
    let mut probe_http = reqwest::Client::builder();
    if let Some(t) = &tls {
        let pem = std::fs::read(&t.ca_file).context("reading the stand-ins' CA")?;
        probe_http = probe_http.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
    }
    let probe = crate::conductorone::sync::CoupaProbe {
        url: format!("{scheme}://{coupa_host}"),
        http: probe_http.build()?,
    };
    let c1 = Arc::new(crate::conductorone::C1::new(
        auth,
        others.clone(),
        options.latency_ms,
        crate::conductorone::sync::SyncSettings::new(options.sync_ms),
        Some(probe),
    ));
    let coupa = Arc::new(crate::coupa::Coupa::new(
        options.groups,
        options.roles,
        options.users,
        options.coupa_rate_limit,
        options.latency_ms,
    ));

    let apps = c1.app_ids();
    let ready = Ready {
        conductorone_url: format!("{scheme}://{c1_host}"),
        coupa_url: format!("{scheme}://{coupa_host}"),
        ca_file: tls.as_ref().map(|t| t.ca_file.display().to_string()),
        conductorone: C1Creds {
            client_id: c1.auth.client.client_id.clone(),
            client_secret: c1.auth.client.client_secret.clone(),
            access_token: c1.auth.static_token.clone(),
            wfe_client_id: c1.auth.wfe_client_id.clone(),
            oidc_token: c1.auth.oidc_token.clone(),
            user_id,
            other_user_ids: others,
            app_id: apps[0].clone(),
            other_app_ids: apps[1..].to_vec(),
        },
        coupa: CoupaCreds {
            groups: options.groups,
            roles: options.roles,
            users: options.users,
            rate_limit: options.coupa_rate_limit,
            clients: coupa
                .auth
                .clients
                .iter()
                .map(|c| {
                    (
                        c.label,
                        CoupaClientCreds {
                            client_id: c.client_id.clone(),
                            client_secret: c.secret.clone(),
                            scopes: c.scopes.join(" "),
                            active: c.active,
                        },
                    )
                })
                .collect(),
        },
    };
    let acceptor = tls.map(|t| t.acceptor);
    tokio::spawn(crate::server::serve(c1_listener, c1, acceptor.clone()));
    tokio::spawn(crate::server::serve(coupa_listener, coupa, acceptor));
    Ok(serde_json::to_value(&ready)?)
}

/// The ready line: URLs and the freshly generated demo credentials.
#[derive(Serialize)]
struct Ready {
    conductorone_url: String,
    coupa_url: String,
    /// In `tls` mode: the PEM file of the authority that issued both servers' certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_file: Option<String>,
    conductorone: C1Creds,
    coupa: CoupaCreds,
}

#[derive(Serialize)]
struct C1Creds {
    client_id: String,
    client_secret: String,
    access_token: String,
    wfe_client_id: String,
    oidc_token: String,
    user_id: String,
    other_user_ids: Vec<String>,
    app_id: String,
    other_app_ids: Vec<String>,
}

#[derive(Serialize)]
struct CoupaCreds {
    groups: usize,
    roles: usize,
    users: usize,
    rate_limit: bool,
    clients: BTreeMap<&'static str, CoupaClientCreds>,
}

#[derive(Serialize)]
struct CoupaClientCreds {
    client_id: String,
    client_secret: String,
    scopes: String,
    active: bool,
}

/// `host:port` as it goes in a URL (IPv6 literals bracketed).
fn host_port(addr: std::net::SocketAddr) -> String {
    match addr {
        std::net::SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
        v4 => v4.to_string(),
    }
}
