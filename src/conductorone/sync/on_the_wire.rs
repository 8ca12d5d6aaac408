//! The wait against the ConductorOne stand-in, in each sync lifecycle it can play: a sync the
//! config write starts by itself, `force_sync` merged into an older running sync or refused
//! while it runs (HTTP 400 code 9, 409 or 429), update answers without `status`, and a stop request. Each
//! waits on the stand-in's own events (its request log), never on a clock.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use standin::Standin;

use super::*;
use crate::conductorone::catalog::{CATALOG_ID, KEY_CLIENT_ID, KEY_CLIENT_SECRET, KEY_DOMAIN};
use crate::conductorone::client::tests::client;
use crate::conductorone::{ConfigValue, ConnectorUpdate, NewConnector};

const BACKOFF: Backoff = Backoff {
    first: Duration::from_millis(50),
    max: Duration::from_millis(200),
};

fn config(standin: &Standin) -> BTreeMap<String, ConfigValue> {
    BTreeMap::from([
        (
            KEY_DOMAIN.to_owned(),
            ConfigValue::from("acme.coupahost.com"),
        ),
        (
            KEY_CLIENT_ID.to_owned(),
            ConfigValue::from(standin.coupa_client("read_only", "client_id")),
        ),
        (
            KEY_CLIENT_SECRET.to_owned(),
            ConfigValue::from(Secret::new(
                standin.coupa_client("read_only", "client_secret"),
            )),
        ),
    ])
}

async fn force_syncs(standin: &Standin) -> Vec<Value> {
    standin
        .c1_requests()
        .await
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").ends_with("/force_sync"))
        .collect()
}

/// The wait these tests run: a limit no test reaches, the quick backoff, no secrets sent.
fn wait_for<'a>(app_id: &'a str, written: &'a Connector, wrote_config: bool) -> WaitFor<'a> {
    WaitFor {
        app_id,
        written,
        limit: Duration::from_secs(600),
        backoff: BACKOFF,
        secrets: &[],
        wrote_config,
    }
}

/// The wait after a config write, on a task of its own, answering to `stop`.
fn spawn_wait(
    client: &ConductorOne,
    app: &str,
    written: &Connector,
    stop: &Stop,
) -> tokio::task::JoinHandle<SyncWait> {
    let (client, app, written, stop) = (
        client.clone(),
        app.to_owned(),
        written.clone(),
        stop.clone(),
    );
    tokio::spawn(async move {
        client
            .sync_and_wait(wait_for(&app, &written, true), &stop)
            .await
    })
}

/// Until the stand-in has logged `n` force_sync requests.
async fn until_force_syncs(standin: &Standin, n: usize) {
    while force_syncs(standin).await.len() < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A configured connector whose first sync has ended; `knobs` set afterwards.
async fn synced(standin: &Standin, client: &ConductorOne, knobs: Value) -> Connector {
    standin
        .c1_post("config", json!({"sync_ms": 200, "sync_queue_ms": 0}))
        .await;
    let app = standin.c1("app_id");
    let new = NewConnector {
        catalog_id: CATALOG_ID.into(),
        user_ids: vec![],
        config: config(standin),
    };
    let c = client.create(&app, &new).await.unwrap();
    loop {
        let now = client.get(&app, &c.id).await.unwrap();
        if status_of(&now) == STATUS_DONE {
            standin.c1_post("config", knobs).await;
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn update(standin: &Standin) -> ConnectorUpdate {
    ConnectorUpdate {
        catalog_id: CATALOG_ID.into(),
        user_ids: None,
        config: Some(config(standin)),
    }
}

/// A connector synced once, with `knobs` set; then an older sync started and held until the
/// test ends it, and the config written while it runs (the request log cleared). The connector
/// as first synced, and the update's answer.
async fn written_during_an_older_sync(
    standin: &Standin,
    client: &ConductorOne,
    knobs: Value,
) -> (Connector, Connector) {
    let app = standin.c1("app_id");
    let c = synced(standin, client, knobs).await;
    standin
        .c1_post(&format!("connectors/{}/sync", c.id), json!({}))
        .await;
    let written = client.update(&app, &c.id, &update(standin)).await.unwrap();
    standin.clear_logs().await;
    (c, written)
}

/// The config is rewritten while an older sync runs and takes every request into itself (or
/// refuses `force_sync`): the wait follows the older sync, asks again once it has ended, and
/// ends on the sync that started after the write.
#[tokio::test]
async fn a_merged_or_refused_force_sync_is_asked_again_after_the_older_sync() {
    // Refused with every plausible shape of ConductorOne's undocumented "a sync is already
    // running": 400 code 9 (FAILED_PRECONDITION, the default) or code 10 or 6 saying so, a 409
    // (ABORTED, or ALREADY_EXISTS), and a 429 (RESOURCE_EXHAUSTED).
    for (busy, refuse_status, code, message) in [
        ("merge", 400, None, None),
        ("refuse", 400, None, None),
        (
            "refuse",
            400,
            Some(10),
            Some("Sync is RUNNING for this connector"),
        ),
        ("refuse", 400, Some(6), Some("sync already exists")),
        ("refuse", 409, None, None),
        ("refuse", 409, Some(6), Some("already exists")),
        ("refuse", 429, None, None),
    ] {
        let busy_name = format!("{busy} {refuse_status} {code:?} {message:?}");
        let busy_name = busy_name.as_str();
        let standin = Standin::start();
        let client = client(&standin);
        let app = standin.c1("app_id");
        let (c, written) = written_during_an_older_sync(
            &standin,
            &client,
            json!({"sync_busy": busy, "sync_refuse_status": refuse_status,
                   "sync_refuse_code": code, "sync_refuse_message": message}),
        )
        .await;
        let stop = Stop::default();
        let wait = spawn_wait(&client, &app, &written, &stop);
        until_force_syncs(&standin, 1).await;
        let first = &force_syncs(&standin).await[0];
        let expected = if busy == "refuse" { refuse_status } else { 200 };
        assert_eq!(first["status"], expected, "{busy_name}: {first}");
        standin
            .c1_post(&format!("connectors/{}/sync_end", c.id), json!({}))
            .await;
        let end = wait.await.unwrap();
        let SyncWait::Done(done) = end else {
            panic!("{busy_name}: {end:?}")
        };
        let from = Ours::from_written(&written).unwrap();
        assert!(from.counts(started_at(&done)), "{busy_name}: {done:?}");
        let asked = force_syncs(&standin).await;
        if refuse_status == 429 {
            // The HTTP layer retries a 429 itself, as often as its budget allows before the
            // older sync ends: some refusals, then the one that is served.
            assert!(asked.len() >= 2, "{busy_name}: {asked:?}");
            assert_eq!(
                asked.last().unwrap()["status"],
                200,
                "{busy_name}: {asked:?}"
            );
        } else {
            assert_eq!(asked.len(), 2, "{busy_name}: asked again once");
        }
    }
}

/// A `force_sync` refused with another 400 (code 3, INVALID_ARGUMENT; or code 9 with a message
/// that says nothing of a running sync) is a failure, not "a sync is running": the wait ends at
/// once with ConductorOne's status, message and request ID, after one request.
#[tokio::test]
async fn another_400_to_force_sync_fails_the_wait_at_once() {
    for (code, message) in [(3, "invalid connector state"), (9, "connector is paused")] {
        let standin = Standin::start();
        let client = client(&standin);
        let app = standin.c1("app_id");
        // An older sync runs, so the force_sync is refused.
        let (c, written) = written_during_an_older_sync(
            &standin,
            &client,
            json!({"sync_busy": "refuse", "sync_refuse_status": 400,
                   "sync_refuse_code": code, "sync_refuse_message": message}),
        )
        .await;
        let stop = Stop::default();
        let end = tokio::time::timeout(
            Duration::from_secs(120),
            spawn_wait(&client, &app, &written, &stop),
        )
        .await
        .expect("the wait ended")
        .unwrap();
        let SyncWait::Failed { error, .. } = end else {
            panic!("code {code}: {end:?}")
        };
        let asked = force_syncs(&standin).await;
        assert_eq!(asked.len(), 1, "code {code}: asked once");
        let text = error.to_string();
        assert_eq!(error.status(), Some(400), "{text}");
        assert!(text.contains(message), "{text}");
        let request_id = asked[0]["request_id"].as_str().unwrap();
        assert!(text.contains(request_id), "{text}");
        standin
            .c1_post(&format!("connectors/{}/sync_end", c.id), json!({}))
            .await;
    }
}

/// Update answers without `status`, a config write that starts the sync by itself and a
/// `force_sync` merged into it: the previous DONE on show never counts, the write's sync does.
#[tokio::test]
async fn an_update_answer_without_status_never_lets_an_older_done_count() {
    let standin = Standin::start();
    let client = client(&standin);
    let app = standin.c1("app_id");
    let c = synced(
        &standin,
        &client,
        json!({"update_omits_status": true, "sync_busy": "merge", "sync_queue_ms": 300}),
    )
    .await;
    let mut written = client.update(&app, &c.id, &update(&standin)).await.unwrap();
    assert!(written.status.is_none() && !written.said("status"));
    // force_sync and the reads go to the app of the configuration, whatever the answer says.
    written.app_id = "2anAppTheAnswerNames".into();
    let w = wait_for(&app, &written, true);
    let end = client.sync_and_wait(w, &Stop::default()).await;
    let SyncWait::Done(done) = end else {
        panic!("{end:?}")
    };
    assert!(
        started_at(&done) > started_at(&c),
        "a new sync, not the old DONE"
    );
    let syncs = standin.c1_get("syncs").await;
    let started = syncs[&c.id]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "started")
        .count();
    assert_eq!(started, 2, "the first sync and the write's: {syncs}");
}

/// A stop request ends a wait that could otherwise only time out.
#[tokio::test]
async fn a_stop_request_ends_the_wait() {
    let standin = Standin::start();
    let client = client(&standin);
    let app = standin.c1("app_id");
    let c = synced(&standin, &client, json!({"sync_ending": "never"})).await;
    let written = client.update(&app, &c.id, &update(&standin)).await.unwrap();
    standin.clear_logs().await;
    let stop = Stop::default();
    let wait = spawn_wait(&client, &app, &written, &stop);
    until_force_syncs(&standin, 1).await;
    stop.request();
    let end = wait.await.unwrap();
    assert!(matches!(end, SyncWait::Interrupted { .. }), "{end:?}");
}

/// A sync asked again without a write (after a failed wait): the last sync's verdict, which
/// started after the config was written, does not count; a new one does.
#[tokio::test]
async fn a_sync_asked_again_without_a_write_waits_for_a_new_one() {
    let standin = Standin::start();
    let client = client(&standin);
    let app = standin.c1("app_id");
    let c = synced(&standin, &client, json!({})).await;
    let w = wait_for(&app, &c, false);
    let end = client.sync_and_wait(w, &Stop::default()).await;
    let SyncWait::Done(done) = end else {
        panic!("{end:?}")
    };
    assert!(started_at(&done) > started_at(&c), "a new sync: {done:?}");
}
