//! TCP plumbing of the fake: a listener that counts accepted connections and numbers them, and a
//! stream wrapper that a handler can kill to simulate a connection reset.
//!
//! Why our own listener: spotctl promises "at most `--concurrency` TCP connections for a whole
//! run" and connection reuse, which only a count of `accept`s can check; and the reset faults
//! must break the real socket (the client has to see an I/O error, not an HTTP response), which
//! only the owner of the socket can do.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Shared flag: once set, every I/O call on the connection fails and the socket is closed with
/// an RST (zero linger), which the client reports as "connection reset".
#[derive(Clone, Debug, Default)]
pub(crate) struct KillSwitch(Arc<AtomicBool>);

impl KillSwitch {
    pub(crate) fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_killed(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What a handler learns about its connection through `ConnectInfo<ConnInfo>`.
#[derive(Clone, Debug)]
pub(crate) struct ConnInfo {
    /// 1 for the first connection accepted, 2 for the next, ...
    pub id: u64,
    pub kill: KillSwitch,
}

impl Connected<IncomingStream<'_, CountingListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, CountingListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// `tokio::net::TcpListener` that counts and numbers the connections it accepts.
pub(crate) struct CountingListener {
    inner: TcpListener,
    accepted: Arc<AtomicUsize>,
}

impl CountingListener {
    pub(crate) fn new(inner: TcpListener, accepted: Arc<AtomicUsize>) -> Self {
        CountingListener { inner, accepted }
    }
}

impl Listener for CountingListener {
    type Io = KillableStream;
    type Addr = ConnInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _peer)) => {
                    let id = self.accepted.fetch_add(1, Ordering::SeqCst) as u64 + 1;
                    // Small JSON responses must not wait for Nagle: latency tests measure us.
                    let _ = stream.set_nodelay(true);
                    let kill = KillSwitch::default();
                    let io = KillableStream {
                        inner: stream,
                        kill: kill.clone(),
                    };
                    return (io, ConnInfo { id, kill });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        // axum only uses this for `Serve::local_addr`, which the fake never calls; the port is
        // known from the std listener before the server starts.
        let _: SocketAddr = self.inner.local_addr()?;
        Ok(ConnInfo {
            id: 0,
            kill: KillSwitch::default(),
        })
    }
}

/// A `TcpStream` whose I/O fails with `ConnectionReset` once its [`KillSwitch`] is set.
pub(crate) struct KillableStream {
    inner: TcpStream,
    kill: KillSwitch,
}

impl KillableStream {
    /// On the first call after a kill, arm SO_LINGER=0 so that hyper dropping the socket (which
    /// it does on the I/O error we return) sends RST rather than an orderly FIN.
    fn killed(&mut self) -> Option<io::Error> {
        if !self.kill.is_killed() {
            return None;
        }
        let _ = self.inner.set_zero_linger();
        Some(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection killed by an injected fault",
        ))
    }
}

impl Drop for KillableStream {
    /// hyper may drop a killed connection without touching its I/O again (a body stream that
    /// fails ends it that way): reset it here too, so the client never sees a clean close.
    fn drop(&mut self) {
        if self.kill.is_killed() {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
