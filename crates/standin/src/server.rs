//! HTTP/1 serving on hyper directly, with the two abilities fault injection needs and a router
//! framework hides: dropping a connection without any response (a `reset`), and sending a body
//! shorter than its `Content-Length` (a `truncate`).
//!
//! Each stand-in is an [`App`]: it gets the whole request (body already read) and answers with an
//! [`Outcome`]. Returning [`Outcome::Reset`] makes the service fail, which hyper answers by closing
//! the connection without writing a byte; the socket is set to linger 0 first, so the close is a
//! TCP RST and the client sees "connection reset" rather than a tidy EOF.
//!
//! With a TLS acceptor (`--tls`, see [`crate::tls`]) each connection is a TLS session first; a
//! reset then drops the TLS session and its TCP connection the same way.

use http_body::{Body, Frame, SizeHint};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{server::TlsStream, TlsAcceptor};

/// Requests larger than this are refused with 413; nothing legitimate comes close.
const MAX_REQUEST_BODY: usize = 16 << 20;

/// A request with its body fully read.
pub struct Req {
    pub method: Method,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The raw query string, without `?`, `""` when absent.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What an app wants done with a request.
pub enum Outcome {
    Reply(Response<OutBody>),
    /// Close the connection without an HTTP response.
    Reset,
}

/// The response bodies the stand-ins send.
pub enum OutBody {
    Full(Option<Bytes>),
    /// Sends these bytes, waits a moment (so hyper flushes them), then ends. The size hint is
    /// unknown, so hyper trusts the `Content-Length` header the app set, notices the body ended
    /// early, and closes the connection: the client gets the head and part of the body.
    Short(Option<Bytes>, Option<Pin<Box<tokio::time::Sleep>>>),
    /// `prefix`, then `filler` bytes of `x`, then `suffix`, streamed in 64 KiB chunks and sent
    /// chunked, so 64 MiB never sits in memory and the client must enforce its own limit.
    Huge {
        prefix: Option<Bytes>,
        filler: u64,
        suffix: Option<Bytes>,
    },
}

impl OutBody {
    pub fn full(b: impl Into<Bytes>) -> Self {
        let b = b.into();
        OutBody::Full(if b.is_empty() { None } else { Some(b) })
    }
}

const CHUNK: usize = 64 << 10;
static FILLER: [u8; CHUNK] = [b'x'; CHUNK];

impl Body for OutBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let next = match this {
            OutBody::Full(b) => b.take(),
            OutBody::Short(b, pause) => match b.take() {
                Some(data) => {
                    *pause = Some(Box::pin(tokio::time::sleep(
                        std::time::Duration::from_millis(100),
                    )));
                    Some(data)
                }
                None => {
                    if let Some(p) = pause.as_mut() {
                        std::task::ready!(p.as_mut().poll(cx));
                    }
                    None
                }
            },
            OutBody::Huge {
                prefix,
                filler,
                suffix,
            } => {
                if let Some(p) = prefix.take() {
                    Some(p)
                } else if *filler > 0 {
                    let n = (*filler).min(CHUNK as u64) as usize;
                    *filler -= n as u64;
                    Some(Bytes::from_static(&FILLER[..n]))
                } else {
                    suffix.take()
                }
            }
        };
        Poll::Ready(next.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            OutBody::Full(b) => b.is_none(),
            OutBody::Short(..) | OutBody::Huge { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            OutBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            _ => SizeHint::default(),
        }
    }
}

/// A response with a complete body.
pub fn reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<OutBody> {
    let mut r = Response::new(OutBody::full(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

/// A JSON response (`application/json`, as ConductorOne's gateway sends it).
pub fn json(status: u16, value: &serde_json::Value) -> Response<OutBody> {
    reply(status, "application/json", value.to_string())
}

/// Sets a header, ignoring values that are not valid header text.
pub fn set_header(r: &mut Response<OutBody>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// One of the two stand-ins.
pub trait App: Send + Sync + 'static {
    fn handle(self: Arc<Self>, req: Req) -> impl Future<Output = Outcome> + Send;
}

/// The error a service returns to make hyper drop the connection.
#[derive(Debug)]
struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ResetConnection {}

/// Accepts connections forever, one task per connection, each a TLS session when `tls` is given.
pub async fn serve<A: App>(listener: TcpListener, app: Arc<A>, tls: Option<TlsAcceptor>) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                eprintln!("standin: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let stream = match tls {
                None => Stream::Plain(stream),
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => Stream::Tls(Box::new(s)),
                    // A client that does not trust our authority hangs up here: expected.
                    Err(_) => return,
                },
            };
            let reset = Arc::new(AtomicBool::new(false));
            let io = TokioIo::new(ConnIo {
                stream,
                reset: reset.clone(),
            });
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let app = app.clone();
                let reset = reset.clone();
                async move {
                    let req = match read_request(req).await {
                        Ok(r) => r,
                        Err(resp) => return Ok(resp),
                    };
                    match app.handle(req).await {
                        Outcome::Reply(r) => Ok(r),
                        Outcome::Reset => {
                            reset.store(true, Ordering::SeqCst);
                            Err(ResetConnection)
                        }
                    }
                }
            });
            // Errors here are the client hanging up, a truncated body or a reset: all expected.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, svc)
                .await;
        });
    }
}

async fn read_request(req: Request<Incoming>) -> Result<Req, Response<OutBody>> {
    let (parts, mut body) = req.into_parts();
    let mut buf = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| reply(400, "text/plain", "bad request body"))?;
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
            if buf.len() > MAX_REQUEST_BODY {
                return Err(reply(413, "text/plain", "request body too large"));
            }
        }
    }
    Ok(Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body: Bytes::from(buf),
    })
}

/// The TCP stream of one connection. When a reset was asked for, it skips the graceful shutdown
/// (no FIN) and sets linger 0 before the socket closes, so the kernel sends RST.
struct ConnIo {
    stream: Stream,
    reset: Arc<AtomicBool>,
}

/// A connection as accepted: plain, or a TLS session over it.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.tcp().set_zero_linger();
        }
    }
}

/// Forwards an I/O call to the plain or the TLS stream.
macro_rules! forward {
    ($stream:expr, $method:ident($($arg:expr),*)) => {
        match $stream {
            Stream::Plain(s) => Pin::new(s).$method($($arg),*),
            Stream::Tls(s) => Pin::new(&mut **s).$method($($arg),*),
        }
    };
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        forward!(&mut self.get_mut().stream, poll_read(cx, buf))
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        forward!(&mut self.get_mut().stream, poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        forward!(&mut self.get_mut().stream, poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.reset.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        forward!(&mut this.stream, poll_shutdown(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    /// `/reset` drops the connection, `/short` sends half a body, anything else answers `ok`.
    struct Faulty;

    impl App for Faulty {
        async fn handle(self: Arc<Self>, req: Req) -> Outcome {
            match req.path.as_str() {
                "/reset" => Outcome::Reset,
                "/short" => {
                    let mut r = Response::new(OutBody::Short(Some(Bytes::from("{\"a\":")), None));
                    set_header(&mut r, "content-length", "20");
                    Outcome::Reply(r)
                }
                _ => Outcome::Reply(reply(200, "text/plain", "ok")),
            }
        }
    }

    /// Sends one request on a fresh connection; returns what came back and how reading ended.
    fn exchange(addr: std::net::SocketAddr, path: &str) -> (String, io::Result<()>) {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        let end = loop {
            match s.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    if path == "/ok" && got.ends_with(b"ok") {
                        break Ok(());
                    }
                }
                Err(e) => break Err(e),
            }
        };
        (String::from_utf8_lossy(&got).into_owned(), end)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reset_sends_rst_and_short_body_is_cut() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, Arc::new(Faulty), None));
        let (reset, short, ok) = tokio::task::spawn_blocking(move || {
            (
                exchange(addr, "/reset"),
                exchange(addr, "/short"),
                exchange(addr, "/ok"),
            )
        })
        .await
        .unwrap();
        assert_eq!(reset.0, "", "no HTTP response at all");
        assert_eq!(reset.1.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
        assert!(short.0.starts_with("HTTP/1.1 200 OK"), "{}", short.0);
        assert!(short.0.contains("content-length: 20"));
        assert!(short.0.ends_with("\r\n\r\n{\"a\":"), "{:?}", short.0);
        assert!(ok.0.ends_with("ok"));
    }
}
