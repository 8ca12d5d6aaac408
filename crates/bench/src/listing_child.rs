//! The child process of a listing run (`provider-bench --child-listing MODE`): one listing, then
//! one JSON line on stdout, with the runtime shape of a plugin process.
//!
//! `MODE`: `offset` (the groups data source's `read`), `members` (the same with
//! `include_members = true`, which also reads every user), `users` (the users data source's
//! `read`, every person), `keyset` (the sequential `id[gt]` pager over groups, the baseline).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde::Serialize;
use serde_json::{json, Value};
use tf_provider::value::{Value as TfValue, ValueEmpty};
use tf_provider::{DataSource, Diagnostics, Provider};

use tfp_conductorone::coupa::{CoupaDomain, Credentials};
use tfp_conductorone::data_sources::coupa_groups::{self, CoupaGroups};
use tfp_conductorone::data_sources::coupa_users::{self, CoupaUsers};
use tfp_conductorone::provider::settings::ProviderConfig;
use tfp_conductorone::provider::ConductorOneProvider;
use tfp_conductorone::secret::Secret;

const DOMAIN: &str = "acme.coupahost.com";

pub fn child(mode: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (elapsed, mut report) = runtime.block_on(child_listing(mode))?;
    report["mode"] = json!(mode);
    report["seconds"] = json!(elapsed.as_secs_f64());
    report["vm_hwm_kib"] = json!(proc_status_kib("self", "VmHWM").unwrap_or(0));
    println!("{report}");
    Ok(())
}

/// Times `read` and encodes its answer as msgpack, as tf-provider then sends it to Terraform.
async fn timed_read<D>(
    data_source: &D,
    diags: &mut Diagnostics,
    input: D::State<'static>,
) -> anyhow::Result<(Duration, D::State<'static>)>
where
    D: DataSource<ProviderMetaState<'static> = ValueEmpty>,
    D::State<'static>: Serialize,
{
    let start = Instant::now();
    let state = data_source.read(diags, input, ValueEmpty::default()).await;
    let elapsed = start.elapsed();
    let Some(state) = state else {
        bail!("the data source's read failed: {}", summaries(diags));
    };
    let encoded = rmp_serde::to_vec_named(&state).context("msgpack")?;
    std::hint::black_box(&encoded);
    Ok((elapsed, state))
}

async fn child_listing(mode: &str) -> anyhow::Result<(Duration, Value)> {
    let env = |k: &str| std::env::var(k).with_context(|| format!("{k} is not set"));
    let provider = ConductorOneProvider::new();
    let mut diags = Diagnostics::default();
    let config = ProviderConfig {
        server_url: TfValue::Value(env("BENCH_C1_URL")?),
        client_id: TfValue::Value(env("BENCH_C1_CLIENT_ID")?),
        client_secret: TfValue::Value(env("BENCH_C1_CLIENT_SECRET")?),
        coupa_endpoint: TfValue::Value(env("BENCH_COUPA_URL")?),
        ..Default::default()
    };
    if provider
        .configure(&mut diags, "1.0.3".into(), config)
        .await
        .is_none()
    {
        bail!("configure failed: {}", summaries(&diags));
    }
    let client_id = env("BENCH_COUPA_CLIENT_ID")?;
    let secret = env("BENCH_COUPA_CLIENT_SECRET")?;
    match mode {
        "offset" | "members" => {
            let data_source = CoupaGroups::new(provider.shared().clone());
            let input = coupa_groups::State {
                coupa_domain: TfValue::Value(DOMAIN.into()),
                client_id: TfValue::Value(client_id),
                client_secret: TfValue::Value(secret),
                include_members: TfValue::Value(mode == "members"),
                ..Default::default()
            };
            let (elapsed, state) = timed_read(&data_source, &mut diags, input).await?;
            let groups = state.groups.as_ref_option().map_or(&[][..], Vec::as_slice);
            let members: usize = groups
                .iter()
                .map(|g| g.user_ids.as_ref_option().map_or(0, Vec::len))
                .sum();
            Ok((elapsed, json!({ "rows": groups.len(), "members": members })))
        }
        "users" => {
            // Everyone, inactive people included: the most a `read` of this data source puts in
            // the state.
            let data_source = CoupaUsers::new(provider.shared().clone());
            let input = coupa_users::State {
                coupa_domain: TfValue::Value(DOMAIN.into()),
                client_id: TfValue::Value(client_id),
                client_secret: TfValue::Value(secret),
                active_only: TfValue::Value(false),
                ..Default::default()
            };
            let (elapsed, state) = timed_read(&data_source, &mut diags, input).await?;
            Ok((elapsed, users_digest(&state)))
        }
        "keyset" => {
            let clients = provider
                .shared()
                .get(&mut diags)
                .context("provider not configured")?;
            let domain = CoupaDomain::parse(DOMAIN)?;
            let credentials = Credentials::new(domain, client_id, Secret::new(secret));
            let tenant = clients.coupa.tenant(&credentials);
            let start = Instant::now();
            let groups = tenant.user_groups_sequential_keyset().await?;
            Ok((start.elapsed(), json!({ "rows": groups.len() })))
        }
        other => bail!("unknown listing mode {other:?}"),
    }
}

/// What the bench checks against the stand-in's directory: how many people, the sum of their
/// IDs, and for each license `[holders, sum of their IDs]`, sorted by value (the answer names
/// licenses by ConductorOne's IDs, the directory by Coupa's flags; the values must match).
fn users_digest(state: &coupa_users::State) -> Value {
    let mut licenses: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for u in state.users.as_ref_option().into_iter().flatten() {
        let Some(id) = u.id.as_ref_option().and_then(|i| i.parse::<u64>().ok()) else {
            continue;
        };
        ids.insert(id);
        for l in u.license_ids.as_ref_option().into_iter().flatten() {
            let e = licenses
                .entry(l.as_ref_option().cloned().unwrap_or_default())
                .or_default();
            e.0 += 1;
            e.1 += id;
        }
    }
    let mut per_license: Vec<(u64, u64)> = licenses.into_values().filter(|v| v.0 > 0).collect();
    per_license.sort_unstable();
    json!({ "people": ids.len(), "id_sum": ids.iter().sum::<u64>(), "licenses": per_license })
}

fn summaries(diags: &Diagnostics) -> String {
    diags
        .errors
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in KiB.
pub fn proc_status_kib(pid: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}
