//! Property tests of the retry arithmetic on what servers send: `Retry-After` of any size, sign
//! or shape never panics, and a wait past the retry budget is never begun.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;

use super::retry::{parse_retry_after, RetryPolicy};
use super::{parse_duration, parse_endpoint, Response};
use crate::test_support::extreme_number_text;

/// The last second an HTTP date can name (9999-12-31 23:59:59 UTC).
const LAST_HTTP_DATE: u64 = 253_402_300_799;

/// `Retry-After` values: extreme numbers, HTTP dates from 1970 to 9999, and anything.
fn arb_retry_after() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => extreme_number_text(),
        1 => (0..=LAST_HTTP_DATE)
            .prop_map(|s| httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(s))),
        1 => ".{0,40}",
    ]
}

fn arb_policy() -> impl Strategy<Value = RetryPolicy> {
    (0u32..10, 0u64..100_000, 0u64..100_000, 1u64..3_600_000).prop_map(
        |(max_attempts, base, max, total)| RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(base),
            max_delay: Duration::from_millis(max),
            max_total: Duration::from_millis(total),
        },
    )
}

fn arb_now() -> impl Strategy<Value = SystemTime> {
    (0..=LAST_HTTP_DATE).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

proptest! {
    /// Whatever the header says, parsing it does not panic, and the retry decision on what it
    /// gives does not either: a wait that would end past the budget is refused, whatever its size.
    #[test]
    fn retry_after_never_panics_and_never_outlasts_the_budget(
        value in arb_retry_after(),
        now in arb_now(),
        policy in arb_policy(),
        elapsed_ms in 0u64..4_000_000,
    ) {
        let elapsed = Duration::from_millis(elapsed_ms);
        if let Some(wait) = parse_retry_after(&value, now) {
            if policy.allows(1, elapsed, wait) {
                prop_assert!(elapsed + wait <= policy.max_total);
            }
            if wait > policy.max_total {
                prop_assert!(!policy.allows(1, Duration::ZERO, wait), "{} allowed", value);
            }
        }
    }

    /// Delta-seconds mean exactly that many seconds, up to the longest `Duration` (more digits
    /// than a `u64` holds saturate rather than fall back to the backoff); a sign, an exponent or
    /// a word is no wait at all.
    #[test]
    fn retry_after_seconds_are_read_exactly_or_ignored(value in extreme_number_text(), now in arb_now()) {
        let got = parse_retry_after(&value, now);
        let text = value.trim();
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if digits(text) {
            let want = text.parse::<u64>().map_or(Duration::MAX, Duration::from_secs);
            prop_assert_eq!(got, Some(want));
        } else if text.split_once('.').is_some_and(|(w, f)| digits(w) && digits(f)) {
            let secs: f64 = text.parse().unwrap();
            let got = got.unwrap();
            prop_assert!(got == Duration::MAX || (got.as_secs_f64() - secs).abs() <= secs * 1e-9 + 1e-9);
        } else {
            prop_assert_eq!(got, None, "{:?}", value);
        }
    }

    /// A date means the time until it, and a date in the past means now.
    #[test]
    fn retry_after_dates_are_read_relative_to_now(when in 0..=LAST_HTTP_DATE, now in arb_now()) {
        let header = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(when));
        let now_secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let want = Duration::from_secs(when.saturating_sub(now_secs));
        prop_assert_eq!(parse_retry_after(&header, now), Some(want));
    }

    /// The backoff never panics, even on jitter outside [0, 1] or NaN, and never exceeds the cap.
    #[test]
    fn backoff_never_panics_and_stays_under_the_cap(
        policy in arb_policy(),
        attempt in any::<u32>(),
        jitter in prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), Just(-0.0)],
    ) {
        prop_assert!(policy.backoff(attempt, jitter) <= policy.max_delay);
    }

    /// The budget check holds for any durations, `Duration::MAX` included.
    #[test]
    fn the_budget_check_never_panics(
        attempts in any::<u32>(),
        elapsed in prop_oneof![Just(Duration::MAX), (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n))],
        wait in prop_oneof![Just(Duration::MAX), (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n))],
        policy in arb_policy(),
    ) {
        // In nanoseconds as u128, which no two durations overflow.
        let end = elapsed.as_nanos() + wait.as_nanos();
        prop_assert_eq!(
            policy.allows(attempts, elapsed, wait),
            attempts < policy.max_attempts && end <= policy.max_total.as_nanos()
        );
    }

    /// The text helpers that cut strings (an HTML page's title, a duration's unit, a URL's user
    /// info) never cut inside a character, whatever the text: multi-byte characters right at
    /// the places they cut.
    #[test]
    fn text_helpers_never_cut_inside_a_character(
        before in "(.|é|𝄞){0,12}",
        inner in "(.|é|𝄞|<|>){0,12}",
        tag in prop::sample::select(&["title", "TITLE", "h1", "H1", "tItLe"][..]),
        duration in "[0-9.]{0,4}(.|é|𝄞){0,4}",
        url in "(https?://)?(.|é|𝄞|@|:|/){0,20}",
    ) {
        let body = format!("{before}<{tag}é>{inner}</{tag}𝄞>");
        let resp = Response {
            status: 502,
            headers: Default::default(),
            body: body.into_bytes(),
            request_id: None,
            attempts: 1,
            echo_guard: Vec::new(),
        };
        let _ = resp.html_title();
        let _ = parse_duration(&duration);
        if let Err(e) = parse_endpoint(&url) {
            let _ = e.to_string();
        }
    }
}
