//! `embedded-io-async` 0.7 for stream sockets (feature `async`): `Read`,
//! `Write`, `ReadReady` and `WriteReady` on [`AsyncSocket`] and
//! `&AsyncSocket`, with the contracts of the blocking impls on
//! [`Socket`](crate::Socket) (see the [module docs](super)):
//!
//! - `read` returns `Ok(0)` only at end of stream (and keeps returning it)
//!   or for an empty buffer, which never waits;
//! - `write` never returns `Ok(0)` for non-empty data; an empty buffer never
//!   waits;
//! - `flush` returns once the peer has acknowledged every byte written;
//! - `read_ready()` / `write_ready()` `== Ok(true)`: the next `read` /
//!   `write` completes without waiting;
//! - a datagram socket is not a byte stream: [`Error::Unsupported`].
//!
//! The waiting calls are [`AsyncSocket::recv`], [`AsyncSocket::send`] and
//! [`AsyncSocket::flush`], so the socket's timeout
//! ([`Error::TimedOut`]) and non-blocking mode ([`Error::WouldBlock`])
//! apply as they do to those.
//!
//! ```
//! use embedded_io_async::{Read, Write};
//! use smolsock::asynch::{AsyncSocket, NoInterrupt};
//! use smolsock::{Config, Domain, SimClock, Stack, StackResources, Type};
//! use smolsock::smoltcp::phy::{Loopback, Medium};
//!
//! let clock = SimClock::new();
//! let mut dev = Loopback::new(Medium::Ip);
//! let mut res = StackResources::<4, 1024>::new();
//! let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
//! let server = AsyncSocket::new(&stack, Domain::IPV4, Type::STREAM)?;
//! server.bind("127.0.0.1:7".parse().unwrap())?;
//! server.listen(1)?;
//! let mut client = AsyncSocket::new(&stack, Domain::IPV4, Type::STREAM)?;
//!
//! let work = async {
//!     let (a, c) = futures_util::future::join(server.accept(), client.connect("127.0.0.1:7".parse().unwrap())).await;
//!     c?;
//!     let (mut conn, _) = a?;
//!     client.write_all(b"ping").await?;
//!     client.flush().await?; // the peer has acknowledged all four bytes
//!     let mut buf = [0u8; 4];
//!     conn.read_exact(&mut buf).await.expect("four bytes");
//!     assert_eq!(&buf, b"ping");
//!     Ok::<(), smolsock::Error>(())
//! };
//! let runner = stack.run(&clock, NoInterrupt);
//! futures_executor::block_on(async {
//!     futures_util::pin_mut!(work, runner);
//!     match futures_util::future::select(work, runner).await {
//!         futures_util::future::Either::Left((r, _)) => r,
//!     }
//! })?;
//! # Ok::<(), smolsock::Error>(())
//! ```

use super::stream;
use crate::asynch::AsyncSocket;
use crate::Error;

/// `read`: some bytes, `Ok(0)` only at end of stream or for an empty `buf`.
async fn read(s: &AsyncSocket<'_, '_>, buf: &mut [u8]) -> Result<usize, Error> {
    let b = s.as_blocking();
    if buf.is_empty() || !b.is_stream() {
        // Never waits: an empty buffer only reports what a read would fail
        // with now; a datagram socket is refused at once.
        return stream::read(b, buf);
    }
    // `recv` gives `Ok(0)` only at end of stream, sticky.
    s.recv(buf).await
}

/// `write`: at least one byte of a non-empty `buf` queued, or an error.
async fn write(s: &AsyncSocket<'_, '_>, buf: &[u8]) -> Result<usize, Error> {
    let b = s.as_blocking();
    if buf.is_empty() || !b.is_stream() {
        // As `read`: never waits.
        return stream::write(b, buf);
    }
    match s.send(buf).await {
        // `send` waits for room, so this does not happen; if it did, one
        // more `send` keeps the contract (it never returns 0 for data).
        Ok(0) => s.send(buf).await,
        r => r,
    }
}

/// `flush`: until the peer has acknowledged every byte (a datagram socket
/// has nothing to flush, as with [`Socket::flush`](crate::Socket::flush)).
async fn flush(s: &AsyncSocket<'_, '_>) -> Result<(), Error> {
    s.flush().await
}

impl embedded_io_async::ErrorType for AsyncSocket<'_, '_> {
    type Error = Error;
}

/// `read` returns `Ok(0)` only at end of stream (and keeps returning it) or
/// for an empty buffer, which never waits.
impl embedded_io_async::Read for AsyncSocket<'_, '_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        read(self, buf).await
    }
}

/// `write` queues at least one byte of a non-empty buffer or fails; `flush`
/// waits until the peer has acknowledged everything written, bounded by the
/// socket's timeout.
impl embedded_io_async::Write for AsyncSocket<'_, '_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        write(self, buf).await
    }

    async fn flush(&mut self) -> Result<(), Error> {
        flush(self).await
    }
}

/// `Ok(true)`: received data or end of stream is there, the next `read`
/// completes without waiting. It polls the stack once and looks.
impl embedded_io_async::ReadReady for AsyncSocket<'_, '_> {
    fn read_ready(&mut self) -> Result<bool, Error> {
        stream::read_ready(self.as_blocking())
    }
}

/// `Ok(true)`: the send buffer has room, the next `write` completes without
/// waiting. It polls the stack once and looks.
impl embedded_io_async::WriteReady for AsyncSocket<'_, '_> {
    fn write_ready(&mut self) -> Result<bool, Error> {
        stream::write_ready(self.as_blocking())
    }
}

/// As for `AsyncSocket`: a shared reference reads and writes too, so a
/// reader task and a writer task can share one socket (one reader and one
/// writer at a time, see [`AsyncSocket`]).
impl embedded_io_async::ErrorType for &AsyncSocket<'_, '_> {
    type Error = Error;
}

/// As for `AsyncSocket`.
impl embedded_io_async::Read for &AsyncSocket<'_, '_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        read(self, buf).await
    }
}

/// As for `AsyncSocket`.
impl embedded_io_async::Write for &AsyncSocket<'_, '_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        write(self, buf).await
    }

    async fn flush(&mut self) -> Result<(), Error> {
        flush(self).await
    }
}

/// As for `AsyncSocket`.
impl embedded_io_async::ReadReady for &AsyncSocket<'_, '_> {
    fn read_ready(&mut self) -> Result<bool, Error> {
        stream::read_ready(self.as_blocking())
    }
}

/// As for `AsyncSocket`.
impl embedded_io_async::WriteReady for &AsyncSocket<'_, '_> {
    fn write_ready(&mut self) -> Result<bool, Error> {
        stream::write_ready(self.as_blocking())
    }
}
