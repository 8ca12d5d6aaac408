//! `conductorone-standin`: the stand-ins of this crate as a program, for `make demo` and for
//! trying the provider by hand.
//!
//! It starts both servers, prints one line of JSON to stdout (URLs and freshly generated
//! credentials) and then serves until SIGTERM/SIGINT, or until stdin closes when
//! `--exit-on-stdin-eof` is given, so a harness that dies never leaves it running. Nothing else is
//! ever written to stdout; a human summary without secrets goes to stderr.

use std::io::Write as _;

use anyhow::{bail, Context as _};
use standin::Options;

const USAGE: &str =
    "usage: conductorone-standin [--bind 127.0.0.1] [--c1-port 0] [--coupa-port 0] \
[--groups 137] [--roles 23] [--users 180] [--coupa-rate-limit] [--latency-ms 0] [--exit-on-stdin-eof] \
[--tls [--tls-ca-out FILE]]";

struct Args {
    options: Options,
    exit_on_stdin_eof: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut a = Args {
        options: Options::default(),
        exit_on_stdin_eof: false,
    };
    let o = &mut a.options;
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
            "--bind" => o.bind = value()?,
            "--c1-port" => o.c1_port = value()?.parse().context("--c1-port")?,
            "--coupa-port" => o.coupa_port = value()?.parse().context("--coupa-port")?,
            "--groups" => o.groups = value()?.parse().context("--groups")?,
            "--roles" => o.roles = value()?.parse().context("--roles")?,
            "--users" => o.users = value()?.parse().context("--users")?,
            "--latency-ms" => o.latency_ms = value()?.parse().context("--latency-ms")?,
            "--coupa-rate-limit" => o.coupa_rate_limit = true,
            "--exit-on-stdin-eof" => a.exit_on_stdin_eof = true,
            "--tls" => o.tls = true,
            "--tls-ca-out" => o.tls_ca_out = Some(value()?.into()),
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    if a.options.tls_ca_out.is_some() && !a.options.tls {
        bail!("--tls-ca-out needs --tls\n{USAGE}");
    }
    Ok(a)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("conductorone-standin: {e:#}");
        std::process::exit(2);
    }
}

async fn run() -> anyhow::Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    let standin = standin::start(args.options.clone())?;
    let ready = &standin.ready;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{ready}")?;
    out.flush()?;
    drop(out);

    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    eprintln!("conductorone-standin ready");
    eprintln!(
        "  ConductorOne  {}  client {}  wfe client {}  app {}",
        text(&ready["conductorone_url"]),
        text(&ready["conductorone"]["client_id"]),
        text(&ready["conductorone"]["wfe_client_id"]),
        text(&ready["conductorone"]["app_id"]),
    );
    let o = &args.options;
    eprintln!(
        "  Coupa         {}  {} groups, {} roles, {} users, rate limit {}",
        text(&ready["coupa_url"]),
        o.groups,
        o.roles,
        o.users,
        if o.coupa_rate_limit { "on" } else { "off" }
    );
    if let Some(ca) = ready["ca_file"].as_str() {
        eprintln!("  TLS           certificate authority in {ca}");
    }
    if let Some(clients) = ready["coupa"]["clients"].as_object() {
        for (label, c) in clients {
            let inactive = if c["active"] == false {
                " (inactive)"
            } else {
                ""
            };
            eprintln!("    {label:<10} {}{inactive}", text(&c["client_id"]));
        }
    }

    if args.exit_on_stdin_eof {
        // A plain thread: a blocking read of stdin must not hold the runtime.
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
    drop(standin);
    Ok(())
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
            (
                a.options.c1_port,
                a.options.coupa_port,
                a.options.groups,
                a.options.roles
            ),
            (8080, 8081, 10, 23)
        );
        assert!(a.options.coupa_rate_limit && !a.exit_on_stdin_eof);
        assert_eq!(a.options.latency_ms, 5);
        assert_eq!(a.options.bind, "127.0.0.1");
        assert!(args("--bogus").is_err());
        assert!(args("--groups").is_err());
        assert!(args("--groups x").is_err());
    }

    #[test]
    fn tls_flags() {
        let a = args("--tls --tls-ca-out /tmp/ca.pem").unwrap();
        assert!(a.options.tls && a.options.tls_ca_out.unwrap().ends_with("ca.pem"));
        assert!(!args("").unwrap().options.tls);
        assert!(args("--tls-ca-out /tmp/ca.pem").is_err(), "needs --tls");
    }
}
