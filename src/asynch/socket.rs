//! `AsyncSocket`: the socket's calls as futures. Each one runs the same
//! operation as the blocking call of the same name (`socket/ops.rs`), driven
//! by `Stack::wait_async` instead of the wait loop.

use crate::addr::SockAddr;
use crate::error::Result;
use crate::socket::flags::call_timeout;
use crate::socket::{Domain, MsgFlags, Shutdown, Socket, Type};
use crate::stack::Stack;
use crate::waiters::{Dir, Waiter};
use core::time::Duration;

/// A [`Socket`] whose waiting calls are `async`: `accept`, `connect`,
/// `recv`, `recv_from`, `send`, `send_to`, `send_all`, `flush`. The calls
/// that never wait (`bind`, `listen`, `shutdown`, `close`, the options) are
/// plain functions, as on [`Socket`].
///
/// Same semantics as the blocking calls (Python's): the socket's timeout
/// bounds each call as a whole ([`Error::TimedOut`](crate::Error::TimedOut)),
/// a non-blocking socket answers [`Error::WouldBlock`](crate::Error::WouldBlock)
/// at once, `recv` gives `Ok(0)` only at end of stream.
///
/// **The runner.** Futures make progress while [`Stack::run`] runs beside
/// them: it moves the packets and it is what wakes a future at its deadline.
/// Without it a waiting call never completes, its timeout included (a
/// non-blocking call still answers at once: it polls the stack itself).
/// On [`SimClock`](crate::SimClock), run both with
/// `asynch::block_on_sim` (feature `std`), which also
/// makes simulated time pass.
///
/// **Cancellation.** Dropping a future gives up the wait and nothing else:
/// bytes already queued by a `send_all` stay queued (as with a timeout), a
/// connect under way goes on (call `connect` again for its outcome).
///
/// Several futures may wait on one socket at once: a reader and a writer,
/// or several tasks in `accept` on one listener (each connection goes to
/// one of them). Each is woken when the stack makes progress.
pub struct AsyncSocket<'s, 'a> {
    socket: Socket<'s, 'a>,
}

impl core::fmt::Debug for AsyncSocket<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("AsyncSocket").field(&self.socket).finish()
    }
}

impl<'s, 'a> From<Socket<'s, 'a>> for AsyncSocket<'s, 'a> {
    fn from(socket: Socket<'s, 'a>) -> Self {
        AsyncSocket { socket }
    }
}

impl<'s, 'a> AsyncSocket<'s, 'a> {
    /// Python's `socket.socket(family, type)`, as [`Socket::new`].
    pub fn new(stack: &'s Stack<'a>, domain: Domain, ty: Type) -> Result<Self> {
        Socket::new(stack, domain, ty).map(Self::from)
    }

    /// The blocking socket underneath (its waiting calls block the task).
    pub fn into_blocking(self) -> Socket<'s, 'a> {
        self.socket
    }

    /// The blocking socket underneath, borrowed.
    pub fn as_blocking(&self) -> &Socket<'s, 'a> {
        &self.socket
    }

    fn waiter(&self, dir: Dir) -> Waiter {
        Waiter::Slot(self.socket.slot_index(), dir)
    }

    /// Python's `accept()`: the oldest waiting connection, and its peer.
    pub async fn accept(&self) -> Result<(AsyncSocket<'s, 'a>, SockAddr)> {
        let s = &self.socket;
        let op = s.accept_op();
        let r = s
            .stack()
            .wait_async(self.waiter(op.dir), s.timeout(), op)
            .await;
        s.accepted(r).map(|(c, peer)| (c.into(), peer))
    }

    /// Python's `connect((host, port))`, as [`Socket::connect`]: a
    /// non-blocking socket answers `WouldBlock` once the SYN is sent.
    pub async fn connect(&self, addr: SockAddr) -> Result<()> {
        let s = &self.socket;
        let Some(started) = s.connect_begin(addr)? else {
            return Ok(());
        };
        let op = s.connect_op();
        let r = s
            .stack()
            .wait_async(self.waiter(op.dir), s.timeout(), op)
            .await;
        s.connect_end(r, started)
    }

    /// tokio's `readable`: resolves when a `recv` (or a listener's
    /// `accept`) would not wait: data, end of stream, an error to report, a
    /// connection waiting ([`Events::READ`](crate::Events::READ) of
    /// [`Stack::select`]). Waits for ever, whatever the socket's timeout.
    pub async fn readable(&self) -> Result<()> {
        self.ready(crate::Events::READ).await
    }

    /// tokio's `writable`: resolves when a `send` would not wait: room in
    /// the send buffer, a non-blocking `connect` finished (then
    /// [`Socket::take_error`] tells how), an error to report
    /// ([`Events::WRITE`](crate::Events::WRITE) of [`Stack::select`]).
    pub async fn writable(&self) -> Result<()> {
        self.ready(crate::Events::WRITE).await
    }

    async fn ready(&self, want: crate::Events) -> Result<()> {
        let s = &self.socket;
        let op = s.ready_op(want);
        s.stack().wait_async(self.waiter(op.dir), None, op).await
    }

    /// Python's `recv(bufsize)`: `Ok(0)` only at end of stream (or for an
    /// empty `buf`).
    pub async fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_from(buf).await.map(|(n, _)| n)
    }

    /// Python's `recvfrom(bufsize)`, as [`Socket::recv_from`].
    pub async fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SockAddr)> {
        let s = &self.socket;
        let op = s.recv_from_op(buf, crate::socket::MsgFlags::EMPTY);
        s.stack()
            .wait_async(self.waiter(op.dir), s.timeout(), op)
            .await
    }

    /// Python's `recv(bufsize, flags)`, as [`Socket::recv_with_flags`].
    pub async fn recv_with_flags(&self, buf: &mut [u8], flags: MsgFlags) -> Result<usize> {
        self.recv_from_with_flags(buf, flags).await.map(|(n, _)| n)
    }

    /// Python's `recvfrom(bufsize, flags)`, as [`Socket::recv_from_with_flags`].
    pub async fn recv_from_with_flags(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> Result<(usize, SockAddr)> {
        let s = &self.socket;
        let timeout = call_timeout(flags, s.timeout())?;
        let all = flags.contains(MsgFlags::WAITALL) && s.is_stream();
        if all && !flags.contains(MsgFlags::PEEK) {
            let got = core::cell::Cell::new(0);
            let op = s.recv_all_op(buf, &got);
            let r = s.stack().wait_async(self.waiter(op.dir), timeout, op).await;
            return s.recv_all_end(r, got.get());
        }
        let op = s.recv_from_op(buf, flags);
        let r = s.stack().wait_async(self.waiter(op.dir), timeout, op).await;
        match r {
            // `PEEK | WAITALL` cut short: what is there, as Linux.
            Err(crate::Error::TimedOut) if all => {
                s.recv_from_with_flags(buf, MsgFlags::PEEK | MsgFlags::DONTWAIT)
            }
            r => r,
        }
    }

    /// socket2's `peek`, as [`Socket::peek`].
    pub async fn peek(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_with_flags(buf, MsgFlags::PEEK).await
    }

    /// Python's `send(data, flags)`, as [`Socket::send_with_flags`].
    pub async fn send_with_flags(&self, data: &[u8], flags: MsgFlags) -> Result<usize> {
        let s = &self.socket;
        let timeout = call_timeout(flags, s.timeout())?;
        let op = s.send_op(data)?;
        s.stack().wait_async(self.waiter(op.dir), timeout, op).await
    }

    /// Python's `send(data)`: the count queued (maybe less than `data.len()`).
    pub async fn send(&self, data: &[u8]) -> Result<usize> {
        let s = &self.socket;
        let op = s.send_op(data)?;
        s.stack()
            .wait_async(self.waiter(op.dir), s.timeout(), op)
            .await
    }

    /// Python's `sendto(data, address)`, as [`Socket::send_to`] (a stream
    /// socket ignores the address, as on Linux).
    pub async fn send_to(&self, data: &[u8], addr: SockAddr) -> Result<usize> {
        let s = &self.socket;
        let op = s.send_to_op(data, addr)?;
        s.stack()
            .wait_async(self.waiter(op.dir), s.timeout(), op)
            .await
    }

    /// Python's `sendall(data)`: everything is queued, or an error; the
    /// socket's timeout bounds the whole call.
    pub async fn send_all(&self, data: &[u8]) -> Result<()> {
        let s = &self.socket;
        let op = s.send_all_op(data)?;
        s.stack()
            .wait_async(self.waiter(op.dir), s.timeout(), op)
            .await
    }

    /// Until the peer has acknowledged every byte sent, as [`Socket::flush`].
    pub async fn flush(&self) -> Result<()> {
        let s = &self.socket;
        let op = s.flush_op();
        s.stack()
            .wait_async(self.waiter(op.dir), s.timeout(), op)
            .await
    }

    /// Python's `bind((host, port))`, as [`Socket::bind`].
    pub fn bind(&self, addr: SockAddr) -> Result<()> {
        self.socket.bind(addr)
    }

    /// Python's `listen(backlog)`, as [`Socket::listen`]: the count granted.
    pub fn listen(&self, backlog: usize) -> Result<usize> {
        self.socket.listen(backlog)
    }

    /// Python's `shutdown(how)`, as [`Socket::shutdown`] (it never waits;
    /// a future waiting on this socket looks again).
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        self.socket.shutdown(how)
    }

    /// Python's `close()`, as [`Socket::close`].
    pub fn close(&self) -> Result<()> {
        self.socket.close()
    }

    /// Python's `settimeout(seconds)`: bounds each async call too.
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.socket.set_timeout(timeout)
    }

    /// Python's `gettimeout()`.
    pub fn timeout(&self) -> Option<Duration> {
        self.socket.timeout()
    }

    /// Python's `setblocking(flag)`, as [`Socket::set_nonblocking`].
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.socket.set_nonblocking(nonblocking)
    }

    /// `SO_REUSEADDR`, as [`Socket::set_reuse_address`].
    pub fn set_reuse_address(&self, on: bool) -> Result<()> {
        self.socket.set_reuse_address(on)
    }

    /// `TCP_NODELAY`, as [`Socket::set_tcp_nodelay`].
    pub fn set_tcp_nodelay(&self, nodelay: bool) -> Result<()> {
        self.socket.set_tcp_nodelay(nodelay)
    }

    /// Python's `getsockname()`.
    pub fn local_addr(&self) -> Result<SockAddr> {
        self.socket.local_addr()
    }

    /// Python's `getpeername()`.
    pub fn peer_addr(&self) -> Result<SockAddr> {
        self.socket.peer_addr()
    }

    /// The stack this socket lives on.
    pub fn stack(&self) -> &'s Stack<'a> {
        self.socket.stack()
    }
}
