//! `conductorone-standin`: local stand-ins of the ConductorOne API and the Coupa API, on loopback,
//! for tests, demos and benchmarks.
//!
//! It starts both servers, prints one line of JSON to stdout (URLs and freshly generated
//! credentials) and then serves until SIGTERM/SIGINT, or until stdin closes when
//! `--exit-on-stdin-eof` is given, so a test harness that dies never leaves it running.
//! Nothing else is ever written to stdout; a human summary without secrets goes to stderr.
//!
//! With `--tls` both serve HTTPS at `https://localhost:PORT`, with a certificate issued by an
//! authority made at start; the ready line's `ca_file` names its PEM (`--tls-ca-out`, or a file in
//! the temp directory). See [`tls`].
//!
//! The stand-in shares no code with the provider library (`tfp_conductorone`): it is written from
//! the API references, so a wire-format bug cannot hide on both sides.
//!
//! Control endpoints (no auth, each port controls its own API; not logged, no faults):
//! - both: `GET|DELETE /_standin/requests`, `GET|POST|DELETE /_standin/faults`,
//!   `POST /_standin/latency`, `GET /_standin/health`, `GET /_standin/tokens` (every access
//!   token issued, for the secret-hygiene test);
//! - ConductorOne: `GET /_standin/connectors`, `POST /_standin/connectors/{id}/{delete|purge|
//!   rotate_secret|owners|status}`, `POST /_standin/config` (`token_expires_in`, `hard_delete`),
//!   `GET /_standin/stats`, `GET|POST /_standin/apps`;
//! - Coupa: `POST /_standin/rate_limit`, `GET|POST /_standin/tenant`, `POST /_standin/config`
//!   (`token_expires_in`), `GET /_standin/stats`.
//!
//! Modules: [`server`] (HTTP plumbing able to reset and truncate), [`control`] (request log,
//! faults, latency), [`conductorone`] with [`c1_auth`], [`c1_model`] and [`c1_control`],
//! [`coupa`] with [`coupa_auth`], [`coupa_query`], [`coupa_seed`], [`coupa_doc`] and
//! [`ratelimit`], [`tls`] and [`util`].

mod c1_auth;
mod c1_control;
mod c1_model;
mod conductorone;
mod control;
mod coupa;
mod coupa_auth;
mod coupa_doc;
mod coupa_query;
mod coupa_seed;
mod ratelimit;
mod server;
mod tls;
mod util;

use anyhow::{bail, Context as _};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;

const USAGE: &str =
    "usage: conductorone-standin [--bind 127.0.0.1] [--c1-port 0] [--coupa-port 0] \
[--groups 137] [--roles 23] [--coupa-rate-limit] [--latency-ms 0] [--exit-on-stdin-eof] \
[--tls [--tls-ca-out FILE]]";

struct Args {
    bind: String,
    c1_port: u16,
    coupa_port: u16,
    groups: usize,
    roles: usize,
    coupa_rate_limit: bool,
    latency_ms: u64,
    exit_on_stdin_eof: bool,
    tls: bool,
    tls_ca_out: Option<std::path::PathBuf>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut a = Args {
        bind: "127.0.0.1".into(),
        c1_port: 0,
        coupa_port: 0,
        groups: 137,
        roles: 23,
        coupa_rate_limit: false,
        latency_ms: 0,
        exit_on_stdin_eof: false,
        tls: false,
        tls_ca_out: None,
    };
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || -> anyhow::Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().with_context(|| format!("{name} needs a value")),
            }
        };
        match name.as_str() {
            "--bind" => a.bind = value()?,
            "--c1-port" => a.c1_port = value()?.parse().context("--c1-port")?,
            "--coupa-port" => a.coupa_port = value()?.parse().context("--coupa-port")?,
            "--groups" => a.groups = value()?.parse().context("--groups")?,
            "--roles" => a.roles = value()?.parse().context("--roles")?,
            "--latency-ms" => a.latency_ms = value()?.parse().context("--latency-ms")?,
            "--coupa-rate-limit" => a.coupa_rate_limit = true,
            "--exit-on-stdin-eof" => a.exit_on_stdin_eof = true,
            "--tls" => a.tls = true,
            "--tls-ca-out" => a.tls_ca_out = Some(value()?.into()),
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    if a.tls_ca_out.is_some() && !a.tls {
        bail!("--tls-ca-out needs --tls\n{USAGE}");
    }
    Ok(a)
}

#[derive(Serialize)]
struct Ready {
    conductorone_url: String,
    coupa_url: String,
    /// With `--tls`: the PEM file of the authority that issued both servers' certificate.
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
    clients: BTreeMap<&'static str, CoupaClientCreds>,
}

#[derive(Serialize)]
struct CoupaClientCreds {
    client_id: String,
    client_secret: String,
    scopes: String,
}

/// `host:port` as it goes in a URL (IPv6 literals bracketed).
fn host_port(addr: std::net::SocketAddr) -> String {
    match addr {
        std::net::SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
        v4 => v4.to_string(),
    }
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("conductorone-standin: {e:#}");
        std::process::exit(2);
    }
}

async fn run() -> anyhow::Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    let c1_listener = tokio::net::TcpListener::bind((args.bind.as_str(), args.c1_port))
        .await
        .with_context(|| format!("binding {}:{}", args.bind, args.c1_port))?;
    let coupa_listener = tokio::net::TcpListener::bind((args.bind.as_str(), args.coupa_port))
        .await
        .with_context(|| format!("binding {}:{}", args.bind, args.coupa_port))?;
    let tls = if args.tls {
        let ip = c1_listener.local_addr()?.ip();
        Some(tls::setup(
            args.tls_ca_out.as_deref(),
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

    let user_id = util::ksuid();
    let others = vec![util::ksuid(), util::ksuid()];
    let auth = c1_auth::C1Auth::new(&c1_host, user_id.clone());
    let c1 = Arc::new(conductorone::C1::new(auth, others.clone(), args.latency_ms));
    let coupa = Arc::new(coupa::Coupa::new(
        args.groups,
        args.roles,
        args.coupa_rate_limit,
        args.latency_ms,
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
            clients: coupa
                .clients
                .iter()
                .map(|c| {
                    (
                        c.label,
                        CoupaClientCreds {
                            client_id: c.client_id.clone(),
                            client_secret: c.secret.clone(),
                            scopes: c.scopes.join(" "),
                        },
                    )
                })
                .collect(),
        },
    };

    let acceptor = tls.map(|t| t.acceptor);
    tokio::spawn(server::serve(c1_listener, c1.clone(), acceptor.clone()));
    tokio::spawn(server::serve(coupa_listener, coupa.clone(), acceptor));

    // The servers accept from here on (the listeners were bound above), so announce.
    let line = serde_json::to_string(&ready)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    drop(out);

    eprintln!("conductorone-standin ready");
    eprintln!(
        "  ConductorOne  {}  client {}  wfe client {}  app {}",
        ready.conductorone_url,
        ready.conductorone.client_id,
        ready.conductorone.wfe_client_id,
        ready.conductorone.app_id
    );
    eprintln!(
        "  Coupa         {}  {} groups, {} roles, rate limit {}",
        ready.coupa_url,
        args.groups,
        args.roles,
        if args.coupa_rate_limit { "on" } else { "off" }
    );
    if let Some(ca) = &ready.ca_file {
        eprintln!("  TLS           certificate authority in {ca}");
    }
    for c in &coupa.clients {
        eprintln!(
            "    {:<10} {}{}",
            c.label,
            c.client_id,
            if c.active { "" } else { " (inactive)" }
        );
    }

    if args.exit_on_stdin_eof {
        // A plain thread: a blocking read of stdin must not hold a runtime worker.
        std::thread::spawn(|| {
            let mut buf = [0u8; 4096];
            loop {
                match std::io::Read::read(&mut std::io::stdin(), &mut buf) {
                    Ok(0) | Err(_) => std::process::exit(0),
                    Ok(_) => {}
                }
            }
        });
    }

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    std::process::exit(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> anyhow::Result<Args> {
        parse_args(s.split_whitespace().map(String::from))
    }

    #[test]
    fn flags_parse_in_both_spellings() {
        let a =
            args("--c1-port 8080 --coupa-port=8081 --groups 10 --coupa-rate-limit --latency-ms=5")
                .unwrap();
        assert_eq!(
            (a.c1_port, a.coupa_port, a.groups, a.roles),
            (8080, 8081, 10, 23)
        );
        assert!(a.coupa_rate_limit && !a.exit_on_stdin_eof);
        assert_eq!(a.latency_ms, 5);
        assert_eq!(a.bind, "127.0.0.1");
        assert!(args("--bogus").is_err());
        assert!(args("--groups").is_err());
        assert!(args("--groups x").is_err());
        let a = args("--tls --tls-ca-out /tmp/ca.pem").unwrap();
        assert!(a.tls && a.tls_ca_out.unwrap().ends_with("ca.pem"));
        assert!(!args("").unwrap().tls);
        assert!(args("--tls-ca-out /tmp/ca.pem").is_err(), "needs --tls");
    }
}
