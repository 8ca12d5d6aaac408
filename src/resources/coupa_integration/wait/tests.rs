use super::super::state::Timeouts;
use super::*;

#[test]
fn timeouts_parse_like_terraform() {
    let d = |s: &str| parse_timeout(s).map(|d| d.as_millis());
    assert_eq!(d("30m"), Some(1_800_000));
    assert_eq!(d("1h30m"), Some(5_400_000));
    assert_eq!(d("90s"), Some(90_000));
    assert_eq!(d(" 2h "), Some(7_200_000));
    assert_eq!(d("1500ms"), Some(1500));
    for bad in [
        "",
        "30",
        "m",
        "1.5h",
        "-1m",
        "0s",
        "10 m",
        "1d",
        "99999999999999999999h",
    ] {
        assert_eq!(d(bad), None, "{bad:?}");
    }
    assert_eq!(human(Duration::from_secs(1200)), "20m");
    assert_eq!(human(Duration::from_secs(5400)), "1h30m");
    assert_eq!(human(Duration::from_millis(1500)), "1s");
}

#[test]
fn limits_default_to_twenty_minutes_per_operation() {
    let mut s = State::default();
    assert_eq!(limit(&s, Op::Create), DEFAULT_TIMEOUT);
    s.timeouts = Value::Value(Timeouts {
        create: Value::Value("2s".into()),
        update: Value::Null,
    });
    assert_eq!(limit(&s, Op::Create), Duration::from_secs(2));
    assert_eq!(limit(&s, Op::Update), DEFAULT_TIMEOUT);
}

#[test]
fn bad_timeouts_point_at_the_attribute() {
    let s = State {
        timeouts: Value::Value(Timeouts {
            create: Value::Value("soon".into()),
            update: Value::Unknown,
        }),
        ..Default::default()
    };
    let mut diags = Diagnostics::default();
    check_config(&mut diags, &s);
    assert_eq!(diags.errors.len(), 1);
    assert_eq!(
        diags.errors[0].attribute,
        AttributePath::new("timeouts").index(0).attribute("create")
    );
    assert!(diags.errors[0].detail.contains("`30m`"));
}

#[test]
fn old_states_without_the_new_fields_decode() {
    // A state written before `wait_for_sync` and `timeouts` existed, as Terraform stores it.
    let old = serde_json::json!({"id": "c", "app_id": "a", "coupa_domain": "acme.coupahost.com",
        "client_id": "i", "client_secret": "s", "access_mode": "read_only", "user_ids": ["u"],
        "validate_credentials": true, "coupa_url": "https://acme.coupahost.com",
        "display_name": "Coupa v2", "sync_status": "SYNC_STATUS_DONE",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
    let s: State = serde_json::from_value(old).unwrap();
    assert!(s.wait_for_sync.is_null() && s.timeouts.is_null());
    let mut null_block = serde_json::to_value(State::default()).unwrap();
    null_block["timeouts"] = serde_json::Value::Null;
    let s: State = serde_json::from_value(null_block).unwrap();
    assert!(s.timeouts.is_null());
    let p: Private =
        serde_json::from_value(serde_json::json!({"config_updated_at": "x", "validated": null}))
            .unwrap();
    assert!(p.sync_failed.is_null());
}

#[test]
fn an_unknown_wait_for_sync_may_wait() {
    let mut s = State::default();
    assert!(!may_want(&s));
    s.wait_for_sync = Value::Unknown;
    assert!(may_want(&s) && !wanted(&s));
    s.wait_for_sync = Value::Value(true);
    assert!(may_want(&s) && wanted(&s));
}
