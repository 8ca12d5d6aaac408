//! Logs in the shape Terraform understands, on stderr, never on stdout.
//!
//! Terraform reads a plugin's stderr through go-plugin, which parses each line that is an hclog
//! JSON object (`@level`, `@message`, `@timestamp`, `@module`, plus fields) and re-emits it at that
//! level, so `TF_LOG=debug terraform plan` shows `[DEBUG] provider.terraform-provider-conductorone:
//! http request: method=GET …`. Stdout belongs to the plugin handshake.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` (Terraform passes its environment to the
//! plugin), default `info`. Other crates (h2, hyper, rustls, tonic) are held at `warn`: their
//! trace output is noise, and frame dumps are where a header could slip out.
//!
//! `PLUGIN_LOG_FILE` would make tf-provider install its own global subscriber, which panics when
//! one is already set. We honour the variable ourselves (same format, into that file) and remove it
//! from the environment before `serve` reads it.
//!
//! The subscriber also carries the layer that hears Terraform's StopProvider call
//! ([`crate::stop::heard`]), under its own filter: it sees one span of tf-provider's server and
//! prints nothing, whatever `TF_LOG` says.

use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::fmt::{format::Writer, FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::stop::Stop;

/// Install the subscriber: the log output, and beside it the layer that hears Terraform's
/// StopProvider call and requests `stop` ([`crate::stop::heard`]). Each has its own filter, so
/// the level the user sets decides what is printed and nothing else. Call once, first thing in
/// `main`, before the runtime starts.
pub fn init(stop: &Stop) {
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
        std::env::var("TF_LOG").ok().as_deref(),
    );
    let mut writer = BoxMakeWriter::new(std::io::stderr);
    if let Some(path) = std::env::var_os("PLUGIN_LOG_FILE") {
        // SAFETY of the env change: main calls this before any other thread exists.
        std::env::remove_var("PLUGIN_LOG_FILE");
        if let Ok(file) = std::fs::File::create(path) {
            writer = BoxMakeWriter::new(std::sync::Mutex::new(file));
        }
    }
    let _ = subscriber(level, writer, stop).try_init();
}

/// The subscriber [`init`] installs, composed here so that tests build the very same one: the
/// log output into `writer`, filtered at `level` for this crate and `warn` for the others, and
/// beside it, under its own filter, the layer that hears StopProvider and requests `stop`.
pub(crate) fn subscriber(
    level: LevelFilter,
    writer: tracing_subscriber::fmt::writer::BoxMakeWriter,
    stop: &Stop,
) -> impl Subscriber + Send + Sync + 'static {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::Layer as _;

    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .parse_lossy(format!(
            "warn,tfp_conductorone={level},terraform_provider_conductorone={level}"
        ));
    let output = tracing_subscriber::fmt::layer()
        .event_format(HclogJson)
        .with_writer(writer)
        .with_filter(filter);
    tracing_subscriber::registry()
        .with(output)
        .with(crate::stop::heard::layer(stop.clone()))
}

/// Map Terraform's log level names to ours. `JSON` is Terraform's "trace, as JSON".
pub fn level_from_env(provider: Option<&str>, global: Option<&str>) -> LevelFilter {
    let raw = provider
        .filter(|s| !s.trim().is_empty())
        .or(global.filter(|s| !s.trim().is_empty()));
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("trace") | Some("json") => LevelFilter::TRACE,
        Some("debug") => LevelFilter::DEBUG,
        Some("info") => LevelFilter::INFO,
        Some("warn") => LevelFilter::WARN,
        Some("error") => LevelFilter::ERROR,
        Some("off") => LevelFilter::OFF,
        _ => LevelFilter::INFO,
    }
}

/// One hclog JSON object per event.
struct HclogJson;

impl<S, N> FormatEvent<S, N> for HclogJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let mut line = serde_json::Map::new();
        line.insert("@level".into(), hclog_level(meta.level()).into());
        line.insert("@message".into(), fields.message.unwrap_or_default().into());
        line.insert("@module".into(), "conductorone".into());
        line.insert("@timestamp".into(), timestamp().into());
        for (k, v) in fields.rest {
            line.insert(k, v);
        }
        let text = serde_json::Value::Object(line).to_string();
        writer.write_str(&text)?;
        writer.write_char('\n')
    }
}

fn hclog_level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// The last second an RFC 3339 timestamp can name, 9999-12-31T23:59:59Z, in Unix seconds.
const LAST_SECOND: u64 = 253_402_300_799;

/// RFC 3339 with microseconds, in UTC, without pulling in a date crate.
fn timestamp() -> String {
    format_timestamp(std::time::SystemTime::now())
}

/// `now` as [`timestamp`] writes it. A clock before 1970 shows as 1970, one past 9999 as the
/// last second of 9999: four-digit years, and no arithmetic that could overflow.
fn format_timestamp(now: std::time::SystemTime) -> String {
    let since_epoch = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since_epoch.as_secs().min(LAST_SECOND);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        since_epoch.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm, for days from 1970
/// on (so in unsigned numbers, without casts). No step overflows for days up to 9999-12-31.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    rest: Vec<(String, serde_json::Value)>,
}

impl Visit for JsonFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

impl JsonFields {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.rest.push((field.name().to_owned(), value));
        }
    }
}

/// Flush stderr; used before exiting on a fatal error.
pub fn flush() {
    let _ = std::io::stderr().flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_levels_map_to_filters() {
        assert_eq!(level_from_env(None, None), LevelFilter::INFO);
        assert_eq!(level_from_env(None, Some("DEBUG")), LevelFilter::DEBUG);
        assert_eq!(
            level_from_env(Some("trace"), Some("error")),
            LevelFilter::TRACE
        );
        assert_eq!(level_from_env(Some(" "), Some("json")), LevelFilter::TRACE);
        assert_eq!(level_from_env(None, Some("bogus")), LevelFilter::INFO);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(LAST_SECOND / 86_400), (9999, 12, 31));
    }

    /// Clocks at the extremes never panic and always give a four-digit year.
    #[test]
    fn timestamps_at_any_clock() {
        use std::time::{Duration, UNIX_EPOCH};
        let at = |secs: u64, micros: u32| {
            format_timestamp(UNIX_EPOCH + Duration::new(secs, micros * 1000))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(1_795_000_000, 123_456), "2026-11-18T11:06:40.123456Z");
        assert_eq!(at(LAST_SECOND, 999_999), "9999-12-31T23:59:59.999999Z");
        let latest = UNIX_EPOCH.checked_add(Duration::from_secs(i64::MAX.unsigned_abs()));
        assert_eq!(
            format_timestamp(latest.unwrap()),
            "9999-12-31T23:59:59.000000Z"
        );
        assert_eq!(
            format_timestamp(UNIX_EPOCH - Duration::from_secs(86_400)),
            "1970-01-01T00:00:00.000000Z"
        );
    }
}
