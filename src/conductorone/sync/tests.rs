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

#[test]
fn only_a_sync_started_after_the_baseline_counts() {
    let secret = Secret::new("hunter2hunter2");
    let s = [&secret];
    let before = started_at(&conn(STATUS_ERROR, Some("2026-01-01T10:00:00.500Z")));
    // The previous sync's verdict is still on show: not ours.
    let old = conn(STATUS_ERROR, Some("2026-01-01T10:00:00.500Z"));
    assert!(verdict(&old, before, &s).is_none());
    // Ours is running.
    let running = conn("SYNC_STATUS_RUNNING", Some("2026-01-01T10:00:00.700Z"));
    assert!(verdict(&running, before, &s).is_none());
    // Ours ended, in the same second, in another offset.
    let done = conn(STATUS_DONE, Some("2026-01-01T11:00:00.7+01:00"));
    assert!(matches!(
        verdict(&done, before, &s),
        Some(SyncWait::Done(_))
    ));
    let err = conn(STATUS_ERROR, Some("2026-01-01T10:00:01Z"));
    match verdict(&err, before, &s) {
        Some(SyncWait::Error { last_error, .. }) => {
            assert!(!last_error.contains("hunter2"), "{last_error}");
            assert!(last_error.starts_with("bad secret"));
        }
        other => panic!("{other:?}"),
    }
    // No sync seen before: any sync with a start counts; one without a start does not.
    assert!(verdict(&done, None, &s).is_some());
    assert!(verdict(&conn(STATUS_DONE, None), None, &s).is_none());
    // Disabled is an answer whenever it shows.
    assert!(matches!(
        verdict(&conn(STATUS_DISABLED, None), before, &s),
        Some(SyncWait::Disabled { .. })
    ));
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
