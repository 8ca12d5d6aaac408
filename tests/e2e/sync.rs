//! End-to-end with the Terraform CLI: `wait_for_sync`. The ConductorOne stand-in syncs like the
//! service: `force_sync` queues a sync, which waits in the queue (the previous status still on
//! show), runs for a while, and ends by really asking the Coupa stand-in for a token.
//! - an apply that waits lasts at least the sync time and records `SYNC_STATUS_DONE`, with its
//!   progress in the logs at INFO and no secret anywhere;
//! - a sync error fails the apply quoting ConductorOne's message with the secret masked, keeps the
//!   connector in the state, and fixing the secret converges to one connector and an empty plan;
//!   the same on the update path, where an apply without a fix asks for a sync again;
//! - running out of time names the last status seen; a disabled sync quotes the reason;
//! - without `wait_for_sync` no sync is asked for and no extra request is made, and turning it on
//!   alone sends nothing;
//! - each sync lifecycle the stand-in can play (the write starts the sync, `force_sync` merged or
//!   refused while one runs, update answers without `status`) ends `SYNC_STATUS_DONE` on create
//!   and on update.

use std::time::{Duration, Instant};

use serde_json::json;
use testkit::{terraform, Rig, Run, COUPA_VARIABLES};

const ADDR: &str = "conductorone_coupa_integration.x";
/// The stand-in's sync time in these tests.
const SYNC_MS: u64 = 1500;

fn integration(app_id: &str, extra: &str) -> String {
    format!(
        r#"{COUPA_VARIABLES}
resource "conductorone_coupa_integration" "x" {{
  app_id        = "{app_id}"
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
{extra}
}}
"#
    )
}

/// A rig whose provider reads every 200 ms to 1 s (not 1 s to 15 s), over stand-ins whose syncs
/// run [`SYNC_MS`] after 300 ms in the queue.
async fn rig() -> Option<Rig> {
    let mut rig = Rig::start(terraform!())?;
    rig.wd.set_env("CONDUCTORONE_SYNC_POLL_FIRST", "200ms");
    rig.wd.set_env("CONDUCTORONE_SYNC_POLL_MAX", "1s");
    rig.standin
        .c1_post(
            "config",
            json!({"sync_ms": SYNC_MS, "sync_queue_ms": 300, "sync_error_echoes_secret": true}),
        )
        .await;
    Some(rig)
}

fn timed(run: impl FnOnce() -> Run) -> (Run, Duration) {
    let started = Instant::now();
    let r = run();
    (r, started.elapsed())
}

fn sync_status(rig: &Rig) -> String {
    rig.wd.state_attributes(ADDR).expect("in state")["sync_status"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// The methods and paths of the logged connector requests (token requests left out).
async fn connector_calls(rig: &Rig) -> Vec<String> {
    rig.c1_requests_to("/connectors")
        .await
        .iter()
        .map(|r| {
            let path = r["path"].as_str().unwrap_or("");
            let tail = path.rsplit_once("/connectors").map_or(path, |(_, t)| t);
            format!("{} {tail}", r["method"].as_str().unwrap_or(""))
        })
        .collect()
}

#[tokio::test]
async fn without_wait_for_sync_nothing_changes_and_turning_it_on_sends_nothing() {
    let Some(rig) = rig().await else { return };
    let app = rig.app();
    rig.write(&integration(&app, ""));
    rig.standin.clear_logs().await;
    rig.apply_and_converge();
    let calls = connector_calls(&rig).await;
    let id = rig.state_id(ADDR).expect("created");
    // The check for an existing connector (the list), the create, then the reads of the plan
    // that follows (with the one listing its refresh looks for a twin in): no force_sync, no
    // read in between.
    assert_eq!(
        calls.get(..2),
        Some(&["GET ".to_owned(), "POST /create".to_owned()][..]),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .skip(2)
            .all(|c| c == &format!("GET /{id}") || c == "GET "),
        "{calls:?}"
    );
    assert!(rig.c1_requests_to("force_sync").await.is_empty());

    // Turning it on (with a timeouts block) changes nothing in ConductorOne.
    rig.write(&integration(
        &app,
        "  wait_for_sync = true\n  timeouts {\n    create = \"30m\"\n  }",
    ));
    rig.plan()
        .assert_says(&["wait_for_sync", "1 to change"])
        .assert_never_says(&["sync_status", "known after apply"]);
    rig.standin.clear_logs().await;
    rig.apply_and_converge();
    let calls = connector_calls(&rig).await;
    assert!(calls.iter().all(|c| c.starts_with("GET ")), "{calls:?}");
    assert_eq!(rig.live_ids(&app).await, [id]);
}

#[tokio::test]
async fn an_apply_that_waits_lasts_the_sync_and_ends_done() {
    let Some(mut rig) = rig().await else { return };
    let app = rig.app();
    rig.wd.set_env("TF_LOG", "info");
    rig.write(&integration(&app, "  wait_for_sync = true"));
    let (apply, took) = timed(|| rig.apply());
    apply.assert_ok("apply with wait_for_sync");
    assert!(took >= Duration::from_millis(SYNC_MS), "{took:?}");
    assert_eq!(sync_status(&rig), "SYNC_STATUS_DONE");
    // Progress at INFO (and Rig searched all of it for secrets).
    apply.assert_says(&[
        "asked ConductorOne for a sync",
        "read the connector while waiting for ConductorOne's sync",
        "SYNC_STATUS_RUNNING",
    ]);
    assert_eq!(rig.c1_requests_to("force_sync").await.len(), 1);
    // ConductorOne's sync really asked the Coupa stand-in.
    let stats = rig.standin.coupa_get("stats").await;
    assert!(stats["sync_token_requests"].as_u64() >= Some(1), "{stats}");
    rig.wd.unset_env(&["TF_LOG"]);
    rig.plan().assert_no_changes("the plan after");

    // An update of the secret waits for a new sync, although the last one's DONE is still on
    // show while the new one waits in the queue.
    rig.use_coupa_client("full");
    rig.standin.clear_logs().await;
    let (apply, took) = timed(|| rig.apply());
    apply.assert_ok("update with wait_for_sync");
    assert!(took >= Duration::from_millis(SYNC_MS), "{took:?}");
    assert_eq!(sync_status(&rig), "SYNC_STATUS_DONE");
    assert_eq!(rig.c1_requests_to("force_sync").await.len(), 1);
    // One GET per read: reads are the GETs between the update and the end of the apply.
    let calls = connector_calls(&rig).await;
    let gets_after_force = calls
        .iter()
        .skip_while(|c| !c.ends_with("/force_sync"))
        .skip(1)
        .filter(|c| c.starts_with("GET "))
        .count();
    assert!((2..=12).contains(&gets_after_force), "{calls:?}");
    rig.plan().assert_no_changes("the plan after the update");
    assert_eq!(rig.live_ids(&app).await.len(), 1);
}

const WRONG: &str = "wrong-secret-3f9c0a7d5e";

#[tokio::test]
async fn a_sync_error_fails_with_conductorones_message_and_no_secret() {
    let Some(mut rig) = rig().await else { return };
    let app = rig.app();
    rig.needles.add("wrong Coupa secret", WRONG);
    let good = rig.standin.coupa_client("read_only", "client_secret");
    // The plan-time check would catch the secret first: it is off, as when Coupa cannot be
    // reached from the pipeline.
    let body = integration(
        &app,
        "  wait_for_sync = true\n  validate_credentials = false",
    );
    rig.write(&body);
    rig.wd.set_env("TF_VAR_coupa_client_secret", WRONG);
    let apply = rig.apply();
    apply
        .assert_failed("a sync that ends in error")
        .assert_says(&[
            "Coupa Integration Sync Failed",
            "SYNC_STATUS_ERROR",
            "ConductorOne says:",
            "invalid_client",
            "client_secret=",
            "recorded in the state",
            "terraform untaint",
        ]);
    let id = rig
        .state_id(ADDR)
        .expect("the connector stays in the state");
    assert_eq!(rig.live_ids(&app).await, std::slice::from_ref(&id));
    assert_eq!(sync_status(&rig), "SYNC_STATUS_ERROR");

    // Fixing the secret converges to one connector (the tainted one is replaced).
    rig.wd.set_env("TF_VAR_coupa_client_secret", &good);
    rig.apply_and_converge();
    let fixed = rig.state_id(ADDR).expect("in state");
    assert_eq!(rig.live_ids(&app).await, std::slice::from_ref(&fixed));
    assert_eq!(sync_status(&rig), "SYNC_STATUS_DONE");

    // On the update path: the connector keeps its ID throughout; an apply without a fix asks
    // for a sync again instead of planning nothing over a broken integration.
    rig.wd.set_env("TF_VAR_coupa_client_secret", WRONG);
    rig.apply()
        .assert_failed("an update whose sync fails")
        .assert_says(&["Coupa Integration Sync Failed", "invalid_client"]);
    assert_eq!(rig.state_id(ADDR).as_deref(), Some(fixed.as_str()));
    rig.plan().assert_says(&["sync_status", "1 to change"]);
    rig.apply()
        .assert_failed("asked again, still failing")
        .assert_says(&["Coupa Integration Sync Failed"]);
    rig.wd.set_env("TF_VAR_coupa_client_secret", &good);
    rig.apply_and_converge();
    assert_eq!(rig.live_ids(&app).await, [fixed]);
    assert_eq!(sync_status(&rig), "SYNC_STATUS_DONE");
}

#[tokio::test]
async fn running_out_of_time_names_the_last_status_and_disabled_quotes_the_reason() {
    let Some(rig) = rig().await else { return };
    let app = rig.app();
    rig.standin
        .c1_post("config", json!({"sync_ending": "never"}))
        .await;
    rig.write(&integration(
        &app,
        "  wait_for_sync = true\n  timeouts {\n    create = \"3s\"\n  }",
    ));
    let (apply, took) = timed(|| rig.apply());
    apply.assert_failed("a sync that never ends").assert_says(&[
        "Timed Out Waiting for Coupa Integration Sync",
        "within 3s",
        "the last status seen was `SYNC_STATUS_RUNNING`",
        "timeouts { create = ",
    ]);
    assert!(took < Duration::from_secs(30), "{took:?}");
    let id = rig
        .state_id(ADDR)
        .expect("the connector stays in the state");
    assert_eq!(rig.live_ids(&app).await, [id]);

    // Syncs end again; the tainted connector is replaced and synced.
    rig.standin
        .c1_post("config", json!({"sync_ending": "normal"}))
        .await;
    rig.apply_and_converge();
    let id = rig.state_id(ADDR).expect("in state");
    assert_eq!(rig.live_ids(&app).await, std::slice::from_ref(&id));

    // A sync that ends disabled fails the update with ConductorOne's reason.
    rig.standin
        .c1_post(
            "config",
            json!({"sync_ending": "disabled", "sync_disabled_reason": "Paused by the Coupa owner"}),
        )
        .await;
    let mut rig = rig;
    rig.use_coupa_client("full");
    rig.apply().assert_failed("a disabled sync").assert_says(&[
        "Coupa Integration Sync Disabled",
        "Paused by the Coupa owner",
        "Resume syncing",
    ]);
    assert_eq!(rig.state_id(ADDR).as_deref(), Some(id.as_str()));
    assert_eq!(sync_status(&rig), "SYNC_STATUS_DISABLED");
}

/// The sync's events in the stand-in for connector `id`.
async fn sync_events(rig: &Rig, id: &str) -> Vec<serde_json::Value> {
    rig.standin.c1_get("syncs").await[id]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The stored connector's `configUpdatedAt` and the `started_at` of the last sync that ended.
async fn written_and_last_ended(rig: &Rig, id: &str) -> (String, String, String) {
    let stored = rig
        .standin
        .connectors()
        .await
        .into_iter()
        .find(|c| c["id"] == id)
        .expect("stored");
    let events = sync_events(rig, id).await;
    let last = events
        .iter()
        .rev()
        .find(|e| e["event"] == "ended")
        .expect("a sync ended");
    (
        stored["configUpdatedAt"].as_str().unwrap_or("").to_owned(),
        last["started_at"].as_str().unwrap_or("").to_owned(),
        last["status"].as_str().unwrap_or("").to_owned(),
    )
}

/// Each sync lifecycle ConductorOne may have (issue 17, item 5) with `wait_for_sync = true`, on
/// create and on update: the config write starts the sync by itself and `force_sync` is merged
/// into a running sync; `force_sync` is refused while one runs (HTTP 400, code 9); update
/// answers carry no `status`. Each apply ends with `SYNC_STATUS_DONE` on the sync that started
/// once the config was written (the stand-in's events say which), not by running out its
/// two minutes (that would fail the apply), and the plan after is empty.
#[tokio::test]
async fn every_sync_lifecycle_ends_done_on_create_and_update() {
    for (case, knobs) in [
        ("merged", json!({"sync_busy": "merge", "sync_queue_ms": 0})),
        (
            "refused",
            json!({"sync_busy": "refuse", "sync_queue_ms": 0}),
        ),
        ("no status", json!({"update_omits_status": true})),
    ] {
        let Some(mut rig) = rig().await else { return };
        let app = rig.app();
        rig.standin.c1_post("config", knobs).await;
        rig.write(&integration(
            &app,
            "  wait_for_sync = true\n  timeouts {\n    create = \"2m\"\n    update = \"2m\"\n  }",
        ));
        rig.apply().assert_ok(case);
        assert_eq!(sync_status(&rig), "SYNC_STATUS_DONE", "{case}: create");
        let id = rig.state_id(ADDR).expect("created");
        let (written, started, status) = written_and_last_ended(&rig, &id).await;
        assert!(started >= written, "{case}: {started} < {written}");
        assert_eq!(status, "SYNC_STATUS_DONE", "{case}");
        rig.plan().assert_no_changes(case);

        // An older sync runs while the update writes (as a scheduled one would).
        rig.standin
            .c1_post(&format!("connectors/{id}/sync"), json!({"ms": SYNC_MS * 2}))
            .await;
        rig.use_coupa_client("full");
        rig.standin.clear_logs().await;
        rig.apply().assert_ok(case);
        assert_eq!(sync_status(&rig), "SYNC_STATUS_DONE", "{case}: update");
        let (written, started, status) = written_and_last_ended(&rig, &id).await;
        assert!(started >= written, "{case}: {started} < {written}");
        assert_eq!(status, "SYNC_STATUS_DONE", "{case}");
        let asked = rig.c1_requests_to("force_sync").await.len();
        assert!(
            (1..=3).contains(&asked),
            "{case}: {asked} force_sync requests"
        );
        rig.plan().assert_no_changes(case);
        assert_eq!(rig.live_ids(&app).await, [id]);
    }
}
