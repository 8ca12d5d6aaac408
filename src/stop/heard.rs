//! How Terraform's StopProvider call becomes a [`Stop`] request, without a patch of
//! tf-provider.
//!
//! When a run is stopped through Terraform's process alone (`docker stop` and a Kubernetes pod
//! termination signal PID 1; `kill -TERM <terraform's pid>`), no signal reaches this plugin:
//! Terraform calls the plugin's StopProvider RPC instead. tf-provider 0.2.2 answers that call by
//! cancelling its server's shutdown token and passes it to no resource (tf-provider.md §5.1),
//! so a `wait_for_sync` would run on to its timeout while the container platform's grace period
//! runs out.
//!
//! The seam: tf-provider's server wraps its gRPC services in tower-http's
//! `TraceLayer::new_for_grpc()`, whose default span (name `request`, level DEBUG, target
//! `tower_http::trace::make_span`) opens for every call before the call's handler runs, with
//! the call's `uri` (`…/tfplugin6.Provider/StopProvider`) among its fields. [`layer`] is a
//! `tracing_subscriber` layer of the provider's own that watches those spans open and requests
//! the stop when one names StopProvider: exactly what the first SIGINT or SIGTERM does (see the
//! plugin binary), so a wait ends within moments, no new request starts, and what reached
//! ConductorOne is finished and returned.
//!
//! Why this design rather than another:
//! - no copy or patch of tf-provider, and nothing of it that is private: only the span that a
//!   public dependency makes by default;
//! - cheap at start-up and per call: the layer has its own per-layer filter (a target list, so
//!   tracing caches the answer per call site), which enables only that span: the log filter the
//!   user sets through `TF_LOG` is unchanged and nothing extra is printed, and no other span or
//!   event ever reaches the layer; one span per gRPC call is a few allocations next to the call;
//! - the `tracing` crates' static level features (`max_level_*`, `release_max_level_*`) would
//!   compile a DEBUG span out: no crate of the dependency tree enables one (checked with
//!   `cargo tree -e features -i tracing`), and the unit tests beside this file drive the layer
//!   with tower-http's real `TraceLayer::new_for_grpc()` (the version tf-provider builds), so a
//!   build with the span compiled out, or a tower-http that renames the span, its target or its
//!   `uri` field, fails them; the end-to-end tests that signal Terraform alone
//!   (`reliability::interrupts::sig*_to_terraform_alone_during_a_wait_records_the_connector`)
//!   fail too, on the plugin's log line, if tf-provider stops wrapping its server in that layer.
//!
//! The other half of StopProvider: tf-provider cancels the server's graceful shutdown. tonic
//! then accepts no new connection, but lets every call in flight finish and send its answer
//! before `serve` returns, so the ApplyResourceChange that the stop interrupted still returns
//! its state to Terraform (the end-to-end test checks the connector is in the state).

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Filter, Layer};

use super::Stop;

/// The target of tower-http's default span (the module that makes it).
pub const SPAN_TARGET: &str = "tower_http::trace::make_span";
/// The name of that span.
pub const SPAN_NAME: &str = "request";
/// The path of the RPC that asks a provider to stop (Terraform's plugin protocol 6).
pub const STOP_PROVIDER_PATH: &str = "/tfplugin6.Provider/StopProvider";

/// The layer that requests `stop` when a StopProvider call comes in, with its own filter: add
/// it to the process's subscriber beside the log output (the logging module does).
pub fn layer<S>(stop: Stop) -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    StopProviderHeard { stop }.with_filter(filter())
}

/// Only tower-http's span module, at any level (its default is DEBUG; a change of level in a
/// later tower-http is still seen).
fn filter<S>() -> impl Filter<S> {
    Targets::new().with_target(SPAN_TARGET, Level::TRACE)
}

struct StopProviderHeard {
    stop: Stop,
}

impl<S: Subscriber> Layer<S> for StopProviderHeard {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        if meta.name() != SPAN_NAME || meta.target() != SPAN_TARGET {
            return;
        }
        let mut uri = UriField(None);
        attrs.record(&mut uri);
        if uri.0.as_deref().is_some_and(names_stop_provider) && !self.stop.is_requested() {
            tracing::info!(
                "Terraform asked the provider to stop (StopProvider): no new request starts; what already reached ConductorOne is finished and returned to Terraform"
            );
            self.stop.request();
        }
    }
}

/// The `uri` field of a span, as text.
struct UriField(Option<String>);

impl Visit for UriField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "uri" {
            self.0 = Some(value.to_owned());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // tower-http records the URI with `%`, whose Debug is the URI's Display.
        if field.name() == "uri" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// Whether `uri` (a full URI, as HTTP/2 gives it, or a bare path) is the StopProvider call.
fn names_stop_provider(uri: &str) -> bool {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    path.ends_with(STOP_PROVIDER_PATH)
}

#[cfg(test)]
mod tests;
