use super::*;
use crate::conductorone::ConnectorStatus;

#[test]
fn backoff_goes_from_one_second_to_fifteen() {
    let b = Backoff::default();
    let secs: Vec<u64> = (0..8).map(|n| b.delay(n).as_secs()).collect();
    assert_eq!(secs, [1, 2, 4, 8, 15, 15, 15, 15]);
    assert_eq!(b.delay(u32::MAX), POLL_MAX, "no overflow");
    // Twenty minutes is about 85 reads, not thousands.
    let mut total = Duration::ZERO;
    let mut reads = 0;
    while total < Duration::from_secs(1200) {
        total += b.delay(reads);
        reads += 1;
    }
    assert!((80..=90).contains(&reads), "{reads}");
}

fn conn(status: &str, started: Option<&str>) -> Connector {
    Connector {
        id: "c".into(),
        app_id: "a".into(),
        status: Some(ConnectorStatus {
            status: status.into(),
            started_at: started.map(Into::into),
            last_error: "bad secret hunter2hunter2".into(),
            ..Default::default()
        }),
        sync_disabled_reason: "paused".into(),
        ..Default::default()
    }
}

fn ended(status: &str, started: &str, completed: Option<&str>) -> Connector {
    let mut c = conn(status, Some(started));
    if let Some(s) = c.status.as_mut() {
        s.completed_at = completed.map(Into::into);
    }
    c
}

/// The config was written at 10:00:00.500 on ConductorOne's clock.
fn written() -> Ours {
    let c = Connector {
        config_updated_at: Some("2026-01-01T10:00:00.500Z".into()),
        ..Default::default()
    };
    Ours::from_written(&c).unwrap()
}

#[test]
fn a_sync_counts_when_it_started_at_or_after_the_config_was_written() {
    let secret = Secret::new("hunter2hunter2");
    let s = [&secret];
    let ours = written();
    // An older sync's verdict is still on show: not ours.
    let old = conn(STATUS_DONE, Some("2026-01-01T10:00:00.499Z"));
    assert!(verdict(&old, ours, &s).is_none());
    // One the write itself started, at the very same instant: ours.
    let same = conn(STATUS_DONE, Some("2026-01-01T10:00:00.5Z"));
    assert!(matches!(verdict(&same, ours, &s), Some(SyncWait::Done(_))));
    // Ours is running.
    let running = conn("SYNC_STATUS_RUNNING", Some("2026-01-01T10:00:00.700Z"));
    assert!(verdict(&running, ours, &s).is_none());
    // Ours ended, in another offset.
    let done = conn(STATUS_DONE, Some("2026-01-01T11:00:00.7+01:00"));
    assert!(matches!(verdict(&done, ours, &s), Some(SyncWait::Done(_))));
    let err = conn(STATUS_ERROR, Some("2026-01-01T10:00:01Z"));
    match verdict(&err, ours, &s) {
        Some(SyncWait::Error { last_error, .. }) => {
            assert!(!last_error.contains("hunter2"), "{last_error}");
            assert!(last_error.starts_with("bad secret"));
        }
        other => panic!("{other:?}"),
    }
    // A status without a start or an end, or no status at all, is never an answer.
    assert!(verdict(&conn(STATUS_DONE, None), ours, &s).is_none());
    // Without a start, an end at or after the write counts; an earlier end does not.
    let unstarted = |completed: &str| {
        let mut c = conn(STATUS_DONE, None);
        if let Some(st) = c.status.as_mut() {
            st.completed_at = Some(completed.into());
        }
        c
    };
    assert!(matches!(
        verdict(&unstarted("2026-01-01T10:00:00.500Z"), ours, &s),
        Some(SyncWait::Done(_))
    ));
    assert!(verdict(&unstarted("2026-01-01T10:00:00.499Z"), ours, &s).is_none());
    // Against a start baseline (no `configUpdatedAt`), an end alone proves nothing.
    let baseline = Ours::from_read(&conn(STATUS_DONE, Some("2026-01-01T09:00:00Z")));
    assert!(verdict(&unstarted("2026-01-01T10:00:00Z"), baseline, &s).is_none());
    let bare = Connector {
        status: None,
        ..conn(STATUS_DONE, None)
    };
    assert!(verdict(&bare, ours, &s).is_none());
    // Disabled is an answer whenever it shows.
    assert!(matches!(
        verdict(&conn(STATUS_DISABLED, None), ours, &s),
        Some(SyncWait::Disabled { .. })
    ));
}

#[test]
fn without_config_updated_at_a_sync_after_the_one_on_show_counts() {
    let s: [&Secret; 0] = [];
    let read = conn(STATUS_DONE, Some("2026-01-01T10:00:00.500Z"));
    let ours = Ours::from_read(&read);
    assert!(verdict(&read, ours, &s).is_none(), "the one on show");
    let next = conn(STATUS_DONE, Some("2026-01-01T10:00:00.501Z"));
    assert!(verdict(&next, ours, &s).is_some());
    // Nothing on show: any sync that started counts.
    let ours = Ours::from_read(&Connector::default());
    assert!(verdict(&next, ours, &s).is_some());
}

#[test]
fn the_wait_asks_again_once_after_an_older_sync_that_may_have_taken_the_request() {
    let ours = written();
    // An older sync ended before the config was written: force_sync started or queued ours.
    let before = ended(
        STATUS_DONE,
        "2026-01-01T09:00:00Z",
        Some("2026-01-01T09:30:00Z"),
    );
    assert_eq!(ask_again(&before, ours, false, None), None);
    // ... unless force_sync was refused.
    let started = started_at(&before);
    assert_eq!(ask_again(&before, ours, true, None), Some(started));
    // An older sync that was still running when the config was written: ours may be merged.
    let merged = ended(
        STATUS_ERROR,
        "2026-01-01T09:59:00Z",
        Some("2026-01-01T10:00:03Z"),
    );
    let older = started_at(&merged);
    assert_eq!(ask_again(&merged, ours, false, None), Some(older));
    // Once per older sync.
    assert_eq!(ask_again(&merged, ours, false, Some(older)), None);
    // An end not told: perhaps merged.
    let unknown_end = ended(STATUS_DONE, "2026-01-01T09:59:00Z", None);
    assert!(ask_again(&unknown_end, ours, false, None).is_some());
    // Still running, or ours: nothing to ask.
    let running = ended("SYNC_STATUS_RUNNING", "2026-01-01T09:59:00Z", None);
    assert_eq!(ask_again(&running, ours, true, None), None);
    let mine = ended(
        STATUS_DONE,
        "2026-01-01T10:00:01Z",
        Some("2026-01-01T10:00:02Z"),
    );
    assert_eq!(ask_again(&mine, ours, true, None), None);
}

#[test]
fn fractions_and_offsets_compare() {
    let at = |t: &str| started_at(&conn(STATUS_DONE, Some(t)));
    assert_eq!(at("2026-01-01T10:00:00Z"), Some((1_767_261_600, 0)));
    assert_eq!(
        at("2026-01-01T10:00:00.5Z"),
        Some((1_767_261_600, 500_000_000))
    );
    assert_eq!(
        at("2026-01-01T10:00:00.123456789123Z"),
        Some((1_767_261_600, 123_456_789))
    );
    assert!(at("2026-01-01T10:00:00.1Z") < at("2026-01-01T10:00:00.10000001Z"));
    assert_eq!(at("garbage"), None);
}
