//! Connector syncs as ConductorOne runs them (reference §3.1): `force_sync` only queues one, a
//! sync takes time, and its end is told by `status` alone (`status`, `startedAt`,
//! `completedAt`, `updatedAt`, `lastError`) plus `syncDisabledAt` / `syncDisabledReason`:
//! exactly the fields the reference names, nothing more (no sync ID, no request time).
//!
//! A sync is queued by a create with a config, an update of the config, `force_sync` and
//! `resume`. It starts `queue_ms` later (or when the sync before it ends: one runs at a time, one
//! more may wait, and a request while one waits joins it), shows `SYNC_STATUS_RUNNING` for
//! `sync_ms`, then ends:
//! - `SYNC_STATUS_DONE`, when the Coupa stand-in gave a token to the stored domain's client ID
//!   and secret: the stand-in really asks it, over HTTP, as ConductorOne's connector would;
//! - `SYNC_STATUS_ERROR` with a `lastError` worded like ConductorOne's when it did not;
//! - `SYNC_STATUS_DISABLED` with a `syncDisabledReason`, when the `sync_ending` knob says so;
//! - never, when the knob says `never` (for timeout tests).
//!
//! States advance lazily, when a connector is read; only the Coupa check runs on its own task.

use crate::conductorone::model::{Connector, Status, Ts};
use crate::scopes::READ_ONLY_SCOPES;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::conductorone::sync_state::Verdict;
pub use crate::conductorone::sync_state::{
    Busy, By, CoupaProbe, Ending, Outcome, Run, SyncSettings, SYNC_ORIGIN, SYNC_ORIGIN_HEADER,
};

/// The wall-clock time of `at`.
fn ts_at(at: Instant) -> Ts {
    let (now_i, Ts(s, n)) = (Instant::now(), Ts::now());
    let nanos = i128::from(s) * 1_000_000_000 + i128::from(n);
    let then = nanos - now_i.saturating_duration_since(at).as_nanos() as i128
        + at.saturating_duration_since(now_i).as_nanos() as i128;
    Ts(
        then.div_euclid(1_000_000_000) as i64,
        then.rem_euclid(1_000_000_000) as u32,
    )
}

/// Asks for a sync of `c` on behalf of `by`. Syncing disabled (a paused connector syncs only
/// after `resume`): nothing. Otherwise, with a sync waiting or running, the `sync_busy` knob
/// decides (a waiting one is always joined); else a new one is queued. The Coupa check starts
/// now, on a task of its own. Every request is recorded in the connector's history.
pub fn queue(
    c: &mut Connector,
    settings: &SyncSettings,
    probe: Option<&CoupaProbe>,
    by: By,
) -> Outcome {
    let outcome = decide(c, settings, by);
    c.syncs.history.push(serde_json::json!({
        "event": "requested", "by": by, "outcome": outcome, "at": Ts::now(),
    }));
    if outcome == Outcome::Started {
        start_run(
            c,
            settings,
            probe,
            by,
            settings.sync_ms,
            settings.sync_ending.clone(),
        );
    }
    outcome
}

/// Starts a sync of `c` now, ahead of any queue, lasting `ms` (`None`: until
/// [`end_running`]), as a scheduled sync would: the control API's way to have an older sync
/// running when the provider writes.
/// `sync_error`, when not empty, is the `lastError` it ends with (the knob of that name).
pub fn start_now(c: &mut Connector, probe: Option<&CoupaProbe>, ms: Option<u64>, sync_error: &str) {
    c.syncs.runs.clear();
    let settings = SyncSettings {
        sync_queue_ms: 0,
        sync_error: sync_error.to_owned(),
        ..SyncSettings::new(ms.unwrap_or(0))
    };
    let ending = if ms.is_some() {
        Ending::Normal
    } else {
        Ending::Never
    };
    start_run(c, &settings, probe, By::Control, ms.unwrap_or(0), ending);
    c.syncs.history.push(serde_json::json!({
        "event": "requested", "by": By::Control, "outcome": Outcome::Started, "at": Ts::now(),
    }));
    advance(c, Instant::now());
}

/// Ends the running sync of `c` now (one started by [`start_now`] without an end).
pub fn end_running(c: &mut Connector) {
    if let Some(run) = c.syncs.runs.front_mut() {
        if let Some(started) = run.started {
            run.duration = Some(Instant::now().saturating_duration_since(started));
            run.ending = Ending::Normal;
        }
    }
    advance(c, Instant::now());
}

fn decide(c: &Connector, settings: &SyncSettings, by: By) -> Outcome {
    if c.sync_disabled_at.is_some() {
        return Outcome::Disabled;
    }
    if c.syncs.runs.back().is_some_and(|r| r.started.is_none()) {
        return Outcome::Merged;
    }
    if c.syncs.runs.is_empty() {
        return Outcome::Started;
    }
    match (settings.sync_busy, by) {
        (Busy::Queue, _) => Outcome::Started,
        (Busy::Refuse, By::ForceSync) => Outcome::Refused,
        (Busy::Merge | Busy::Refuse, _) => Outcome::Merged,
    }
}

fn start_run(
    c: &mut Connector,
    settings: &SyncSettings,
    probe: Option<&CoupaProbe>,
    by: By,
    ms: u64,
    ending: Ending,
) {
    let verdict: Verdict = Arc::new(Mutex::new(None));
    match (creds(c), probe, tokio::runtime::Handle::try_current()) {
        _ if !settings.sync_error.is_empty() => {
            *verdict.lock().unwrap() = Some(Err(settings.sync_error.clone()))
        }
        (Err(e), _, _) => *verdict.lock().unwrap() = Some(Err(e)),
        (Ok((domain, id, secret)), Some(probe), Ok(rt)) => {
            let (probe, slot, echo) = (
                probe.clone(),
                verdict.clone(),
                settings.sync_error_echoes_secret,
            );
            rt.spawn(async move {
                let answer = ask_coupa(&probe, &domain, &id, &secret, echo).await;
                *slot.lock().unwrap() = Some(answer);
            });
        }
        // No Coupa to ask (the unit tests): the credentials are taken as good.
        _ => *verdict.lock().unwrap() = Some(Ok(())),
    }
    c.syncs.runs.push_back(Run {
        not_before: Instant::now() + Duration::from_millis(settings.sync_queue_ms),
        duration: match ending {
            Ending::Never => None,
            _ => Some(Duration::from_millis(ms)),
        },
        ending,
        disabled_reason: settings.sync_disabled_reason.clone(),
        verdict,
        started: None,
        by,
        floor: {
            let Ts(secs, nanos) = Ts::now();
            (secs, nanos)
        },
    });
}

/// Brings `c.status` up to `now`: starts what may start, ends what has run its time and has
/// Coupa's answer (until then it keeps running).
pub fn advance(c: &mut Connector, now: Instant) {
    let mut free_at = None::<Instant>;
    while let Some(run) = c.syncs.runs.front_mut() {
        let start = match (run.started, free_at) {
            (Some(s), _) => s,
            (None, prev) => {
                let at = prev.map_or(run.not_before, |p| p.max(run.not_before));
                if now < at {
                    return;
                }
                run.started = Some(at);
                // Never shown before the request it answers, whatever the clock conversion.
                let t = later(ts_at(at), Ts(run.floor.0, run.floor.1));
                c.syncs.history.push(serde_json::json!({
                    "event": "started", "by": run.by, "at": t,
                }));
                c.status = Status {
                    status: "SYNC_STATUS_RUNNING",
                    started_at: Some(t),
                    completed_at: None,
                    updated_at: Some(t),
                    last_error: String::new(),
                };
                at
            }
        };
        let Some(duration) = run.duration else { return };
        let end = start + duration;
        if now < end {
            return;
        }
        let Some(verdict) = run.verdict.lock().unwrap().clone() else {
            return;
        };
        let done = c
            .status
            .started_at
            .map_or(ts_at(end), |s| later(ts_at(end), s));
        c.status.completed_at = Some(done);
        c.status.updated_at = Some(done);
        match (&run.ending, verdict) {
            (Ending::Disabled, _) => {
                c.status.status = "SYNC_STATUS_DISABLED";
                c.sync_disabled_at = Some(done);
                c.sync_disabled_reason = run.disabled_reason.clone();
                c.sync_disabled_category = "SYNC_DISABLED_CATEGORY_ADMIN".into();
                c.syncs.history.push(serde_json::json!({
                    "event": "ended", "by": run.by, "status": c.status.status,
                    "started_at": c.status.started_at, "at": done,
                }));
                c.syncs.runs.clear();
                return;
            }
            (_, Ok(())) => c.status.status = "SYNC_STATUS_DONE",
            (_, Err(e)) => {
                c.status.status = "SYNC_STATUS_ERROR";
                c.status.last_error = e;
            }
        }
        c.syncs.history.push(serde_json::json!({
            "event": "ended", "by": run.by, "status": c.status.status,
            "started_at": c.status.started_at, "at": done,
        }));
        c.syncs.runs.pop_front();
        free_at = Some(end);
    }
}

fn later(a: Ts, b: Ts) -> Ts {
    if (a.0, a.1) >= (b.0, b.1) {
        a
    } else {
        b
    }
}

/// The stored Coupa domain, client ID and secret, or the `lastError` of a sync without them.
fn creds(c: &Connector) -> Result<(String, String, String), String> {
    let entries = c
        .config
        .as_ref()
        .and_then(|cfg| cfg.get("configuration"))
        .and_then(|v| v.as_object());
    let get = |k: &str| {
        entries
            .and_then(|e| e.get(k))
            .and_then(|v| v.get("stringValue"))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let (domain, id, secret) = (
        get("coupa-domain"),
        get("oauth2_client_cred_grant_client_id"),
        get("oauth2_client_cred_grant_client_secret"),
    );
    if domain.is_empty() || id.is_empty() || secret.is_empty() {
        return Err("connector is not configured: rpc error: code = InvalidArgument desc = config: coupa-domain, oauth2_client_cred_grant_client_id and oauth2_client_cred_grant_client_secret are required".into());
    }
    Ok((domain, id, secret))
}

/// Asks the Coupa stand-in for a token as the Coupa connector would (client credentials, Basic
/// authentication, the read-only scopes), and words a refusal as ConductorOne's `lastError`.
async fn ask_coupa(
    probe: &CoupaProbe,
    domain: &str,
    client_id: &str,
    secret: &str,
    echo_secret: bool,
) -> Result<(), String> {
    let shown = format!("https://{domain}/oauth2/token");
    let sent = probe
        .http
        .post(format!("{}/oauth2/token", probe.url.trim_end_matches('/')))
        .header(SYNC_ORIGIN_HEADER, SYNC_ORIGIN)
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", READ_ONLY_SCOPES),
        ])
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    let mut why = match sent {
        Err(e) => format!("Post \"{shown}\": {}", e.without_url()),
        Ok(r) if r.status().is_success() => return Ok(()),
        Ok(r) => {
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            match (body["error"].as_str(), body["error_description"].as_str()) {
                (Some(code), Some(text)) => format!("oauth2: {code:?} {text:?}"),
                (Some(code), None) => format!("oauth2: {code:?}"),
                _ => format!("oauth2: cannot fetch token: {status}"),
            }
        }
    };
    if echo_secret {
        why.push_str(&format!(
            " (client_id={client_id:?} client_secret={secret:?})"
        ));
    }
    Err(format!(
        "sync failed: rpc error: code = Unknown desc = baton-coupa: failed to get an access token from {shown}: {why}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn configured() -> Connector {
        let mut c = Connector::new("app", "2rSHEoPoq5CS89JAUevDbYBS3uA", "Coupa v2", Ts::now());
        c.config = Some(
            json!({"@type": crate::conductorone::model::ENV_CONFIG, "configuration": {
            "coupa-domain": {"stringValue": "acme.coupahost.com"},
            "oauth2_client_cred_grant_client_id": {"stringValue": "cid"},
            "oauth2_client_cred_grant_client_secret": {"stringValue": "s"}}}),
        );
        c
    }

    fn settings(ending: Ending) -> SyncSettings {
        SyncSettings {
            sync_ms: 1000,
            sync_queue_ms: 100,
            sync_ending: ending,
            ..SyncSettings::new(0)
        }
    }

    #[test]
    fn queued_then_running_then_done_and_one_waits_behind() {
        let mut c = configured();
        let t0 = Instant::now();
        queue(&mut c, &settings(Ending::Normal), None, By::ForceSync);
        queue(&mut c, &settings(Ending::Normal), None, By::ForceSync);
        assert_eq!(c.syncs.runs.len(), 1, "a request joins the waiting sync");
        advance(&mut c, t0);
        assert_eq!(
            c.status.status, "SYNC_STATUS_UNSPECIFIED",
            "queued, not started"
        );
        advance(&mut c, t0 + Duration::from_millis(500));
        assert_eq!(c.status.status, "SYNC_STATUS_RUNNING");
        let first = c.status.started_at.unwrap();
        queue(&mut c, &settings(Ending::Normal), None, By::ForceSync);
        assert_eq!(
            c.syncs.runs.len(),
            2,
            "one more waits behind the running one"
        );
        advance(&mut c, t0 + Duration::from_millis(1200));
        assert_eq!(c.status.status, "SYNC_STATUS_RUNNING", "the second started");
        let second = c.status.started_at.unwrap();
        assert!((second.0, second.1) > (first.0, first.1));
        advance(&mut c, t0 + Duration::from_millis(2300));
        assert_eq!(c.status.status, "SYNC_STATUS_DONE");
        assert!(c.status.completed_at.is_some());
        assert!(c.syncs.runs.is_empty());
    }

    #[test]
    fn endings_disabled_never_and_unconfigured() {
        let late = Instant::now() + Duration::from_secs(60);
        let mut c = configured();
        queue(&mut c, &settings(Ending::Disabled), None, By::ForceSync);
        advance(&mut c, late);
        assert_eq!(c.status.status, "SYNC_STATUS_DISABLED");
        assert!(c.sync_disabled_at.is_some() && !c.sync_disabled_reason.is_empty());
        queue(&mut c, &settings(Ending::Normal), None, By::ForceSync);
        assert!(
            c.syncs.runs.is_empty(),
            "a disabled connector does not sync"
        );

        let mut c = configured();
        queue(&mut c, &settings(Ending::Never), None, By::ForceSync);
        advance(&mut c, late);
        assert_eq!(c.status.status, "SYNC_STATUS_RUNNING");

        let mut c = configured();
        c.config = None;
        queue(&mut c, &settings(Ending::Normal), None, By::ForceSync);
        advance(&mut c, late);
        assert_eq!(c.status.status, "SYNC_STATUS_ERROR");
        assert!(c.status.last_error.contains("not configured"));
    }
}
