//! The HTTP(S) server both fakes run on: hyper, HTTP/1.1 and HTTP/2, on 127.0.0.1 with an
//! ephemeral port, optional TLS, accepted connections counted, shut down on drop.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;

/// The response body type of the fakes.
pub type FakeBody = BoxBody<Bytes, io::Error>;

/// A boxed future returned by a handler.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Response<FakeBody>> + Send>>;

/// A request handler.
pub(crate) type Handler = Arc<dyn Fn(Request<Incoming>) -> HandlerFuture + Send + Sync>;

/// A whole body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> FakeBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// A body fed through a channel: `Ok` chunks are sent as they come; an `Err` aborts the
/// connection (the peer sees a broken stream, not a clean end).
pub(crate) struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
}

impl ChannelBody {
    pub(crate) fn channel(capacity: usize) -> (mpsc::Sender<Result<Bytes, io::Error>>, FakeBody) {
        let (tx, rx) = mpsc::channel(capacity);
        (tx, ChannelBody { rx }.boxed())
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx.poll_recv(cx).map(|chunk| chunk.map(|result| result.map(Frame::data)))
    }
}

/// A running server. Dropping it stops accepting and closes every connection.
pub(crate) struct RunningServer {
    pub(crate) addr: SocketAddr,
    pub(crate) tls: bool,
    pub(crate) connections: Arc<AtomicUsize>,
    pub(crate) open: Arc<AtomicUsize>,
    shutdown: watch::Sender<bool>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT` (TLS certificates name `localhost`
    /// and `127.0.0.1`; `localhost` is used so the name check is exercised).
    pub(crate) fn origin(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://127.0.0.1:{}", self.addr.port())
        }
    }

    pub(crate) fn accepted_connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub(crate) fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Binds 127.0.0.1 on an ephemeral port and serves `handler` until the returned server drops.
pub(crate) async fn serve(handler: Handler, tls: Option<TlsAcceptor>) -> io::Result<RunningServer> {
    serve_on(SocketAddr::from(([127, 0, 0, 1], 0)), handler, tls).await
}

/// Serves on a given loopback address (the binary uses fixed ports when asked).
pub(crate) async fn serve_on(
    addr: SocketAddr,
    handler: Handler,
    tls: Option<TlsAcceptor>,
) -> io::Result<RunningServer> {
    if !addr.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the fakes only listen on loopback addresses",
        ));
    }
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let connections = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(AtomicUsize::new(0));
    let open_gauge = open.clone();
    let (shutdown, mut stop) = watch::channel(false);
    let is_tls = tls.is_some();
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.changed() => break,
            };
            let Ok((stream, _)) = accepted else { continue };
            // As real servers do: a small reply must not wait for the peer's delayed ACK
            // (Nagle), or every short request costs ~40 ms of idle time.
            let _ = stream.set_nodelay(true);
            counter.fetch_add(1, Ordering::SeqCst);
            open_gauge.fetch_add(1, Ordering::SeqCst);
            let open_gauge = open_gauge.clone();
            let handler = handler.clone();
            let tls = tls.clone();
            let mut stop = stop.clone();
            tokio::spawn(async move {
                // Counts the connection as closed however this task ends.
                struct Closed(Arc<AtomicUsize>);
                impl Drop for Closed {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let _closed = Closed(open_gauge);
                let service = service_fn(move |request| {
                    let handler = handler.clone();
                    async move { Ok::<_, Infallible>(handler(request).await) }
                });
                let builder = auto::Builder::new(TokioExecutor::new());
                match tls {
                    Some(acceptor) => {
                        let Ok(stream) = acceptor.accept(stream).await else { return };
                        let connection = builder.serve_connection(TokioIo::new(stream), service);
                        tokio::select! {
                            _ = connection => {}
                            _ = stop.changed() => {}
                        }
                    }
                    None => {
                        let connection = builder.serve_connection(TokioIo::new(stream), service);
                        tokio::select! {
                            _ = connection => {}
                            _ = stop.changed() => {}
                        }
                    }
                }
            });
        }
    });
    Ok(RunningServer { addr, tls: is_tls, connections, open, shutdown })
}

/// Reads a request body whole (requests are small).
pub(crate) async fn read_body(body: Incoming) -> Bytes {
    body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default()
}
