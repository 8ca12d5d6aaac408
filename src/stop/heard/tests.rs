//! The seam, driven by tower-http's own `TraceLayer::new_for_grpc()` (the version tf-provider
//! builds): a call to StopProvider requests the stop, any other call does not, and a span of
//! the same name elsewhere does not either. Should tower-http's span change name, target,
//! level or fields, or a `max_level_*` feature compile it out, the first test fails.

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::task::{Context, Poll};

use tower_layer::Layer as _;
use tower_service::Service;
use tracing_subscriber::layer::SubscriberExt as _;

use super::{layer, names_stop_provider, SPAN_NAME, SPAN_TARGET};
use crate::stop::Stop;

/// A gRPC service that answers every call with an empty body.
#[derive(Clone)]
struct Answer;

impl Service<http::Request<String>> for Answer {
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: http::Request<String>) -> Self::Future {
        ready(Ok(http::Response::new(String::new())))
    }
}

/// Send one call through tf-provider's trace layer (the span opens in `call`) with a
/// subscriber holding only the stop layer, and say whether the stop was requested.
fn call_through_trace_layer(uri: &str) -> bool {
    call_through_trace_layer_with(uri, |stop| {
        tracing_subscriber::registry().with(layer(stop.clone()))
    })
}

/// [`call_through_trace_layer`] with the subscriber that `make` builds around the stop.
fn call_through_trace_layer_with<S>(uri: &str, make: impl FnOnce(&Stop) -> S) -> bool
where
    S: tracing::Subscriber + Send + Sync + 'static,
{
    let stop = Stop::default();
    let subscriber = make(&stop);
    tracing::subscriber::with_default(subscriber, || {
        let mut service = tower_http::trace::TraceLayer::new_for_grpc().layer(Answer);
        let request = http::Request::post(uri)
            .header("content-type", "application/grpc")
            .body(String::new())
            .unwrap();
        drop(service.call(request));
    });
    stop.is_requested()
}

#[test]
fn a_stop_provider_call_requests_the_stop() {
    // HTTP/2 gives the server the whole URI: scheme, authority and path.
    assert!(call_through_trace_layer(
        "https://127.0.0.1:10000/tfplugin6.Provider/StopProvider"
    ));
    assert!(call_through_trace_layer("/tfplugin6.Provider/StopProvider"));
}

/// The subscriber `logging::init` installs, whose output layer is filtered by an `EnvFilter` at
/// the user's level (`TF_LOG=warn`, `TF_LOG=off`, or the default): a per-layer filter that
/// turns tower-http's DEBUG span off for the output must not turn it off for the stop layer.
#[test]
fn a_stop_provider_call_requests_the_stop_under_the_real_logging_subscriber() {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;

    for level in [LevelFilter::WARN, LevelFilter::OFF, LevelFilter::INFO] {
        let uri = "https://127.0.0.1:10000/tfplugin6.Provider/StopProvider";
        let heard = call_through_trace_layer_with(uri, |stop| {
            crate::logging::subscriber(level, BoxMakeWriter::new(std::io::sink), stop)
        });
        assert!(heard, "output filtered at {level}");
        let other = "https://127.0.0.1:10000/tfplugin6.Provider/ApplyResourceChange";
        let heard = call_through_trace_layer_with(other, |stop| {
            crate::logging::subscriber(level, BoxMakeWriter::new(std::io::sink), stop)
        });
        assert!(!heard, "output filtered at {level}: another call");
    }
}

#[test]
fn other_calls_do_not() {
    for rpc in [
        "ApplyResourceChange",
        "PlanResourceChange",
        "GetProviderSchema",
        "StopProviderNot",
    ] {
        let uri = format!("https://127.0.0.1:10000/tfplugin6.Provider/{rpc}");
        assert!(!call_through_trace_layer(&uri), "{rpc}");
    }
    assert!(!call_through_trace_layer(
        "https://127.0.0.1:10000/plugin.GRPCController/Shutdown"
    ));
}

/// A span named like tower-http's, carrying the StopProvider URI, but made elsewhere: the
/// layer's filter and its target check keep it out.
#[test]
fn a_span_of_another_target_is_not_heard() {
    let stop = Stop::default();
    let subscriber = tracing_subscriber::registry().with(layer(stop.clone()));
    tracing::subscriber::with_default(subscriber, || {
        let _span = tracing::debug_span!(
            "request",
            uri = %"https://127.0.0.1:1/tfplugin6.Provider/StopProvider"
        );
    });
    assert!(!stop.is_requested());
    assert_eq!(
        (SPAN_NAME, SPAN_TARGET),
        ("request", "tower_http::trace::make_span")
    );
}

#[test]
fn the_path_is_what_counts() {
    assert!(names_stop_provider(
        "http://[::1]:1/tfplugin6.Provider/StopProvider?x=1"
    ));
    assert!(!names_stop_provider(
        "/tfplugin6.Provider/StopProvider/more"
    ));
    assert!(!names_stop_provider("/tfplugin5.Provider/Stop"));
    assert!(!names_stop_provider(""));
}
