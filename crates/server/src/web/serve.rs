//! Serving HTTP so that clients who send nothing cannot take the server from everyone else
//! (`axum::serve` has no timeouts: idle sockets piled up to the process's file limit, and then
//! `/healthz` and every customer were refused).
//!
//! - A client has `header_timeout` to send a request's headers, waiting between keep-alive
//!   requests included; then its connection is closed.
//! - At most `max_connections` are open (by default a margin under the file limit). A new
//!   connection past that closes the connection that has been idle the longest — one with no
//!   request in progress, which loses nothing — and is itself refused only when every open
//!   connection is in the middle of a request.
//! - A request body that stops arriving for `header_timeout` ends its request.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt as _;
use tower_http::timeout::TimeoutBody;

/// What the server allows each client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub max_connections: usize,
}

/// Descriptors kept free for everything else the process opens: database connections, blob
/// files, mail servers, the listener itself.
const RESERVED_FILES: u64 = 128;

/// The connection cap when none is configured: the file limit (raised to its hard maximum first)
/// minus what the rest of the process needs, and at least a few.
pub fn default_max_connections() -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(_) => rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft),
    };
    let room = if limit > 2 * RESERVED_FILES {
        limit - RESERVED_FILES
    } else {
        limit / 2
    };
    usize::try_from(room.max(8)).unwrap_or(usize::MAX)
}

/// One open connection, as the accept loop sees it.
struct Conn {
    /// Requests in progress (until their response has been written out).
    busy: AtomicUsize,
    /// When the connection last finished a request, or opened (milliseconds since `epoch`).
    idle_since: AtomicU64,
    close: Notify,
}

/// The open connections; a new one past the cap closes the one idle the longest.
struct Connections {
    open: Mutex<BTreeMap<u64, Arc<Conn>>>,
    max: usize,
    epoch: Instant,
}

impl Connections {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Registers connection `id`, making room if needed; None when every slot is busy.
    fn admit(&self, id: u64) -> Option<Arc<Conn>> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.len() >= self.max {
            let idlest = open
                .iter()
                .filter(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, c)| c.idle_since.load(Ordering::Acquire))
                .map(|(id, _)| *id)?;
            if let Some(evicted) = open.remove(&idlest) {
                evicted.close.notify_one();
            }
        }
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.now()),
            close: Notify::new(),
        });
        open.insert(id, Arc::clone(&conn));
        Some(conn)
    }

    fn leave(&self, id: u64) {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }

    fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// Marks its connection busy from the moment a request's headers are read until its response
/// body has been sent (or dropped).
struct Busy {
    conn: Arc<Conn>,
    connections: Arc<Connections>,
}

impl Busy {
    fn enter(conn: &Arc<Conn>, connections: &Arc<Connections>) -> Busy {
        conn.busy.fetch_add(1, Ordering::AcqRel);
        Busy {
            conn: Arc::clone(conn),
            connections: Arc::clone(connections),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn.idle_since.store(self.connections.now(), Ordering::Release);
        self.conn.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its connection marked busy while it is being written.
struct Tracked {
    inner: Body,
    _busy: Busy,
}

impl http_body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the requests in progress
/// finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::new(Connections {
        open: Mutex::new(BTreeMap::new()),
        max: limits.max_connections.max(1),
        epoch: Instant::now(),
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut next_id = 0u64;
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or the like: pause rather than spin; the cap should
                    // keep this from happening.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while tasks.try_join_next().is_some() {}
        next_id += 1;
        let id = next_id;
        let Some(conn) = connections.admit(id) else {
            tracing::warn!(open = connections.len(), "every connection is busy: refusing one");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (router, connections, builder, mut stopping) = (
            router.clone(),
            Arc::clone(&connections),
            Arc::clone(&builder),
            stopping.clone(),
        );
        tasks.spawn(async move {
            let timeout = limits.header_timeout;
            serve_one(
                stream,
                peer,
                router,
                timeout,
                &builder,
                &conn,
                &connections,
                &mut stopping,
            )
            .await;
            connections.leave(id);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Connections waiting for the next request close now; those in a request finish it.
    while tasks.join_next().await.is_some() {}
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn serve_one(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    body_timeout: Duration,
    builder: &hyper_util::server::conn::auto::Builder<TokioExecutor>,
    conn: &Arc<Conn>,
    connections: &Arc<Connections>,
    stopping: &mut tokio::sync::watch::Receiver<bool>,
) {
    let (for_service, connections) = (Arc::clone(conn), Arc::clone(connections));
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = Busy::enter(&for_service, &connections);
        // A body that stops arriving ends its request (wrapped here rather than as a layer of
        // every route, which would cost each request a boxed service more).
        let mut request = request.map(|body| TimeoutBody::new(body_timeout, body));
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await?;
            Ok::<_, Infallible>(response.map(|inner| Tracked { inner, _busy: busy }))
        }
    });
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => {
            if let Err(e) = served {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        }
        // Evicted while idle: nothing is in progress, so closing loses nothing.
        () = conn.close.notified() => {}
        () = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
