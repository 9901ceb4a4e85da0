//! TCP: connect, recv, send, send_all, shutdown.

use super::events::Events;
use super::Socket;
use crate::addr::{self, SockAddr};
use crate::error::{Error, Result};
use crate::inner::Inner;
use crate::slot::{flag, Kind, Slot, SlotId};
use crate::socket::Shutdown;
use crate::stack::{Op, TryResult};
use smoltcp::socket::tcp::{self, State};
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};

/// The background error (a refused or timed-out connect), reported once.
/// A reset is not taken here: it comes after the bytes that arrived before
/// it (`recv_state`, `send_state` report it).
pub(super) fn take_pending(s: &mut Slot) -> Option<Error> {
    if s.pending == Some(Error::ConnectionReset) {
        return None;
    }
    let e = s.pending.take()?;
    s.set(flag::CONNECTING, false);
    Some(e)
}

/// A user's slot and TCP socket, after reporting (once) an error from the
/// background, such as a refused connect, first.
fn ready_socket<'s, 'a>(
    core: &'s mut Inner<'a>,
    id: SlotId,
) -> Result<(&'s mut Slot, &'s mut tcp::Socket<'a>)> {
    let (s, t) = core.tcp(id)?;
    match take_pending(s) {
        Some(e) => Err(e),
        None => Ok((s, t)),
    }
}

/// The outcome, if any yet, of a socket's connection attempt.
fn connect_outcome(s: &mut Slot, t: &tcp::Socket) -> TryResult<()> {
    if let Some(e) = take_pending(s) {
        return Err(e);
    }
    match t.state() {
        State::SynSent | State::SynReceived => Ok(None),
        State::Closed if s.has(flag::RESET) => Err(Error::ConnectionReset),
        State::Closed => Err(Error::ConnectionRefused),
        _ => Ok(Some(())),
    }
}

/// Where a stream stands for reading: `Some(true)` bytes to read,
/// `Some(false)` end of stream, an error, or `None`: nothing yet.
fn recv_state(s: &Slot, t: &tcp::Socket) -> Result<Option<bool>> {
    if s.is_listener() {
        return Err(Error::NotConnected);
    }
    // Shut for reading (even before any connection, as on Linux): EOF.
    if s.has(flag::SHUT_RD) {
        return Ok(Some(false));
    }
    if !s.has(flag::CONNECTED) {
        return Err(Error::NotConnected);
    }
    if t.can_recv() {
        return Ok(Some(true));
    }
    match t.state() {
        State::CloseWait | State::LastAck | State::Closing | State::TimeWait => Ok(Some(false)),
        State::Closed if reset_unreported(s) => Err(Error::ConnectionReset),
        State::Closed => Ok(Some(false)),
        State::Listen => Err(Error::NotConnected),
        _ => Ok(None),
    }
}

/// Where a stream stands for writing: `Some(())` open for data (room aside),
/// an error, or `None`: the handshake is not done yet.
fn send_state(s: &Slot, t: &tcp::Socket) -> Result<Option<()>> {
    // As Linux's tcp_sendmsg: the pending error before the shutdown.
    if t.state() == State::Closed && reset_unreported(s) {
        return Err(Error::ConnectionReset);
    }
    if s.has(flag::SHUT_WR) || s.is_listener() || !s.has(flag::CONNECTED) {
        return Err(Error::BrokenPipe);
    }
    match t.state() {
        State::Established | State::CloseWait => Ok(Some(())),
        State::SynSent | State::SynReceived => Ok(None),
        _ => Err(Error::BrokenPipe),
    }
}

/// The peer's reset is yet to be reported (once: then `recv` reads end of
/// stream and `send` is a broken pipe, as on Linux).
fn reset_unreported(s: &Slot) -> bool {
    s.has(flag::RESET) && s.pending == Some(Error::ConnectionReset)
}

/// A reset just reported by `r` is reported.
fn reported<T>(s: &mut Slot, r: Result<T>) -> Result<T> {
    if r.as_ref().err() == Some(&Error::ConnectionReset) {
        s.pending = None;
    }
    r
}

/// What `recv` does once the stack is polled: bytes (with the peer they came
/// from), end of stream, an error, or `Ok(None)`: wait.
fn try_recv(
    core: &mut Inner<'_>,
    id: SlotId,
    empty: bool,
    read: impl FnOnce(&mut tcp::Socket<'_>) -> Result<usize>,
) -> TryResult<(usize, IpEndpoint)> {
    let (s, t) = ready_socket(core, id)?;
    if s.is_listener() || !(s.has(flag::CONNECTED) || s.has(flag::SHUT_RD)) {
        return Err(Error::NotConnected);
    }
    // Kept in the slot: after a reset smoltcp forgets the remote end, but the
    // bytes that came before it are still the peer's.
    let peer = match s.peer.or_else(|| t.remote_endpoint()) {
        Some(p) => p,
        // Shut for reading before any connection: EOF, from nobody.
        None if s.has(flag::SHUT_RD) => addr::endpoint(addr::unspecified(s.has(flag::V6), 0))?,
        None => return Err(Error::NotConnected),
    };
    if empty {
        return Ok(Some((0, peer)));
    }
    match reported(s, recv_state(s, t))? {
        Some(true) => read(t).map(|n| Some((n, peer))),
        Some(false) => Ok(Some((0, peer))),
        None => Ok(None),
    }
}

/// What `send` does once the stack is polled; `write` returns the count
/// queued, or `Ok(None)`: no room yet, wait.
fn try_send_with(
    core: &mut Inner<'_>,
    id: SlotId,
    write: impl FnOnce(&mut tcp::Socket<'_>) -> Result<Option<usize>>,
) -> TryResult<usize> {
    let (s, t) = ready_socket(core, id)?;
    match reported(s, send_state(s, t))? {
        Some(()) => write(t),
        None => Ok(None),
    }
}

/// Try to queue `data` now: `Some(n)` with n > 0, or `None` (wait).
fn try_send(core: &mut Inner<'_>, id: SlotId, data: &[u8]) -> TryResult<usize> {
    try_send_with(core, id, |t| match t.send_slice(data) {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(Error::BrokenPipe),
    })
}

/// What a TCP socket is ready for now (poll(2)'s answer, Linux's
/// `tcp_poll`): a listener is readable with a connection waiting; otherwise
/// READ when a `recv` would not block, WRITE when a `send` would not block
/// (an error to report counts for both), ERROR with a pending error or a
/// reset, HANGUP when both directions are closed or the socket is closed.
pub(super) fn events(core: &mut Inner<'_>, id: SlotId) -> Result<Events> {
    if core.slot(id)?.is_listener() {
        return Ok(if core.accept_ready(id) {
            Events::READ
        } else {
            Events::EMPTY
        });
    }
    let (s, t) = core.tcp(id)?;
    let mut ev = Events::EMPTY;
    let reset = s.has(flag::RESET) && t.state() == State::Closed;
    if s.pending.is_some() || reset {
        ev |= Events::ERROR | Events::READ | Events::WRITE;
    }
    if !matches!(recv_state(s, t), Ok(None)) {
        ev |= Events::READ;
    }
    match send_state(s, t) {
        Ok(Some(())) if t.can_send() => ev |= Events::WRITE,
        Ok(_) => {}
        Err(_) => ev |= Events::WRITE,
    }
    let peer_done = matches!(
        t.state(),
        State::CloseWait | State::LastAck | State::Closing | State::TimeWait
    );
    let both_shut = (peer_done || s.has(flag::SHUT_RD)) && s.has(flag::SHUT_WR);
    if both_shut || t.state() == State::Closed {
        ev |= Events::HANGUP;
    }
    Ok(ev)
}

/// How a `recv` treats the bytes: taken, left (`MSG_PEEK`), or left once
/// `buf` can be filled or the stream ends (`MSG_PEEK | MSG_WAITALL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RecvMode {
    Consume,
    Peek,
    PeekAll,
}

/// `recv`'s step: bytes, with the peer they came from.
pub(super) fn recv_from(
    core: &mut Inner<'_>,
    id: SlotId,
    buf: &mut [u8],
    take: RecvMode,
) -> TryResult<(usize, SockAddr)> {
    if take == RecvMode::PeekAll {
        let (s, t) = core.tcp(id)?;
        let short = t.recv_queue() < buf.len() && t.may_recv();
        if short && s.pending.is_none() && !s.has(flag::SHUT_RD) {
            return Ok(None);
        }
    }
    let r = try_recv(core, id, buf.is_empty(), |t| {
        if take == RecvMode::Consume {
            t.recv_slice(buf)
        } else {
            t.peek_slice(buf)
        }
        .map_err(|_| Error::NotConnected)
    })?;
    Ok(r.map(|(n, peer)| (n, addr::sockaddr(peer))))
}

/// `recv`'s step with `MSG_WAITALL`: fill `buf` (`got` counts what came so
/// far) until it is full or the stream ends; the caller returns `got` when
/// the wait ends early with something received, as Linux does.
pub(super) fn recv_all(
    core: &mut Inner<'_>,
    id: SlotId,
    buf: &mut [u8],
    got: &core::cell::Cell<usize>,
) -> TryResult<(usize, SockAddr)> {
    loop {
        let n = got.get();
        // An error from the background after some bytes: they come first,
        // the error stays for the next call (as Linux's `sk_err`).
        let s = core.slot(id)?;
        if let (true, Some(_), Some(peer)) = (n > 0, s.pending, s.peer) {
            return Ok(Some((n, addr::sockaddr(peer))));
        }
        let rest = buf.get_mut(n..).unwrap_or_default();
        let r = try_recv(core, id, rest.is_empty(), |t| {
            t.recv_slice(rest).map_err(|_| Error::NotConnected)
        })?;
        match r {
            // Full, or end of stream.
            Some((0, peer)) => return Ok(Some((n, addr::sockaddr(peer)))),
            // More may be buffered (the ring buffer wrapped).
            Some((k, _)) => got.set(n + k),
            None => return Ok(None),
        }
    }
}

/// `send`'s step: queue what fits of `data` (nothing to wait for when empty).
pub(super) fn send(core: &mut Inner<'_>, id: SlotId, data: &[u8]) -> TryResult<usize> {
    if data.is_empty() {
        // Linux's send(b""): the socket's state decides (an error, or 0 at
        // once, even before the handshake is done).
        return try_send_with(core, id, |_| Ok(Some(0))).map(|n| Some(n.unwrap_or(0)));
    }
    try_send(core, id, data)
}

/// `send_all`'s step: queue the rest of `data` after the `sent` bytes
/// already queued, as room frees up.
pub(super) fn send_all(
    core: &mut Inner<'_>,
    id: SlotId,
    data: &[u8],
    sent: &mut usize,
) -> TryResult<()> {
    if data.is_empty() {
        // Python's sendall(b"") is one send(b"").
        return try_send_with(core, id, |_| Ok(Some(0))).map(|_| Some(()));
    }
    while let Some(rest) = data.get(*sent..).filter(|r| !r.is_empty()) {
        match try_send(core, id, rest)? {
            Some(n) => *sent += n,
            None => return Ok(None),
        }
    }
    Ok(Some(()))
}

/// `flush`'s step: done when the peer has acknowledged every byte sent.
pub(super) fn flush(core: &mut Inner<'_>, id: SlotId) -> TryResult<()> {
    let (s, t) = ready_socket(core, id)?;
    match t.state() {
        _ if s.is_listener() || !s.has(flag::CONNECTED) => Err(Error::BrokenPipe),
        State::Closed if s.has(flag::RESET) => Err(Error::ConnectionReset),
        _ if t.send_queue() == 0 => Ok(Some(())),
        State::Closed | State::TimeWait => Err(Error::BrokenPipe),
        _ => Ok(None),
    }
}

impl<'a> Socket<'_, 'a> {
    /// Start a connection: `Ok(true)` if this call sent the SYN, `Ok(false)`
    /// if one is already under way (a second `connect` learns its outcome);
    /// [`Error::WouldBlock`] once started on a non-blocking socket (Linux's
    /// `EINPROGRESS`).
    pub(super) fn tcp_connect_begin(&self, to: SockAddr) -> Result<bool> {
        // The socket's state before the address, as Linux: a listener or a
        // connected socket is EISCONN whatever the address.
        // A connection that has ended (reset, closed) is still EISCONN: a
        // socket connects once, as on Linux (a refused attempt may retry).
        self.stack.with_core(|core| {
            let (s, t) = core.tcp(self.id.get())?;
            if s.is_listener() || (s.has(flag::CONNECTED) && !s.has(flag::CONNECTING)) {
                return Err(Error::AlreadyConnected);
            }
            if s.has(flag::RESET) && t.state() == State::Closed {
                // Connected (its outcome never asked for), then reset: the
                // reset is this call's answer, as Linux's pending error.
                s.set(flag::CONNECTING, false);
                return Err(match s.pending.take() {
                    Some(e) => e,
                    None => Error::AlreadyConnected,
                });
            }
            Ok(())
        })??;
        let remote = addr::endpoint(to)?;
        if remote.port == 0 || remote.addr.is_unspecified() {
            return Err(Error::AddrNotAvailable);
        }
        // Multicast, broadcast, loopback without one, our own address on
        // Ethernet: Linux's answer at once, nothing on the wire.
        self.stack
            .with_core(|core| core.check_destination(Kind::Tcp, remote.addr, remote.port))??;
        self.autobind()?;
        let id = self.id.get();
        let started = self.stack.with_core(|core| {
            let (s, t) = core.tcp(id)?;
            if s.has(flag::V6) != to.is_ipv6() {
                return Err(Error::InvalidInput);
            }
            if let Some(e) = take_pending(s) {
                return Err(e);
            }
            match t.state() {
                State::Closed => {}
                _ if s.has(flag::CONNECTING) => return Ok(false),
                _ => return Err(Error::AlreadyConnected),
            }
            let local = IpListenEndpoint {
                addr: s.addr,
                port: s.port,
            };
            if local.addr.is_none() && !core.has_source_for(&remote.addr) {
                return Err(Error::AddrNotAvailable);
            }
            let (s, t, cx) = core.tcp_cx(id)?;
            // smoltcp refuses a connect with no source address for the
            // destination (e.g. IPv6 on a stack with no IPv6 address).
            t.connect(cx, remote, local)
                .map_err(|_| Error::AddrNotAvailable)?;
            s.set(flag::CONNECTED | flag::CONNECTING, true);
            s.set(flag::RESET, false);
            s.last_state = State::SynSent;
            s.peer = Some(remote);
            // Unanswered SYNs give up like Linux's, blocking or not.
            core.retime(id.index as usize);
            Ok(true)
        })??;
        if started && self.timeout.get().is_some_and(|t| t.is_zero()) {
            // Like Linux: the SYN is on its way, EINPROGRESS.
            return Err(Error::WouldBlock);
        }
        Ok(started)
    }

    /// Waiting for a TCP connection's outcome (`connect`'s second step;
    /// the first is `connect_begin`).
    pub(crate) fn connect_op(&self) -> Op<impl FnMut(&mut Inner<'a>) -> TryResult<()>> {
        let id = self.id.get();
        Op::write(move |core: &mut Inner<'a>| {
            let (s, t) = core.tcp(id)?;
            let r = connect_outcome(s, t);
            if !matches!(r, Ok(None)) {
                s.set(flag::CONNECTING, false);
            }
            r
        })
    }

    /// After the wait: a connect that gave up is aborted, so the socket can
    /// be reused or closed cleanly.
    pub(crate) fn connect_end(&self, r: Result<()>, started: bool) -> Result<()> {
        if r == Err(Error::TimedOut) || (r == Err(Error::Stalled) && started) {
            let id = self.id.get();
            let _ = self.stack.with_core(|core| core.abort_connect(id));
        }
        r
    }

    /// Zero-copy `recv`: waits like [`recv`](Self::recv), then calls `f` once
    /// with received bytes in place (a contiguous part of the receive buffer;
    /// call again for more). `f` returns how many it consumed, which is
    /// returned. At end of stream `f` is not called and the result is `Ok(0)`.
    ///
    /// `f` runs while the stack is borrowed: a socket call inside it returns
    /// [`Error::Busy`]; closing or dropping a socket there is deferred until
    /// `f` returns.
    pub fn recv_with(&self, f: impl FnOnce(&[u8]) -> usize) -> Result<usize> {
        self.recv_with_in(self.timeout.get(), f)
    }

    /// [`recv_with`](Self::recv_with) within `timeout` instead of the
    /// socket's own (`Some(0)`: this call only does not wait).
    pub(crate) fn recv_with_in(
        &self,
        timeout: crate::stack::Timeout,
        f: impl FnOnce(&[u8]) -> usize,
    ) -> Result<usize> {
        if self.kind != Kind::Tcp {
            return Err(Error::Unsupported);
        }
        let mut f = Some(f);
        let op = Op::read(|core: &mut Inner<'a>| {
            try_recv(core, self.id.get(), false, |t| {
                let Some(f) = f.take() else { return Ok(0) };
                t.recv(|data| {
                    let n = f(data).min(data.len());
                    (n, n)
                })
                .map_err(|_| Error::NotConnected)
            })
        });
        self.stack.block(timeout, op.data(false)).map(|(n, _)| n)
    }

    /// Zero-copy `send`: waits like [`send`](Self::send) for room, then calls
    /// `f` once with free space of the send buffer; `f` writes into it and
    /// returns how many bytes it wrote, which is returned.
    ///
    /// `f` runs while the stack is borrowed: a socket call inside it returns
    /// [`Error::Busy`]; closing or dropping a socket there is deferred until
    /// `f` returns.
    pub fn send_with(&self, f: impl FnOnce(&mut [u8]) -> usize) -> Result<usize> {
        self.send_with_in(self.timeout.get(), f)
    }

    /// [`send_with`](Self::send_with) within `timeout` instead of the
    /// socket's own (`Some(0)`: this call only does not wait).
    pub(crate) fn send_with_in(
        &self,
        timeout: crate::stack::Timeout,
        f: impl FnOnce(&mut [u8]) -> usize,
    ) -> Result<usize> {
        if self.kind != Kind::Tcp {
            return Err(Error::Unsupported);
        }
        let mut f = Some(f);
        let op = Op::write(|core: &mut Inner<'a>| {
            try_send_with(core, self.id.get(), |t| {
                if t.send_queue() >= t.send_capacity() {
                    return Ok(None);
                }
                let Some(f) = f.take() else {
                    return Ok(Some(0));
                };
                t.send(|room| {
                    let n = f(room).min(room.len());
                    (n, Some(n))
                })
                .map_err(|_| Error::BrokenPipe)
            })
        });
        self.stack.block(timeout, op.data(true))
    }

    /// Would a `recv` (`write == false`) or a `send` return at once, with
    /// data or end of stream? The error it would return is returned. Polls
    /// once and looks, taking nothing: an error from the background (a
    /// refused connect) stays for the call that reports it, and counts as
    /// ready. (embedded-io's `ReadReady`/`WriteReady`.)
    #[cfg(feature = "embedded-io")]
    pub(crate) fn tcp_ready(&self, write: bool) -> Result<bool> {
        let now = self.stack.now();
        self.stack.with_core(|core| {
            core.poll(now);
            let (s, t) = core.tcp(self.id.get())?;
            // A pending reset is the state's to report (below).
            if s.pending.is_some_and(|e| e != Error::ConnectionReset) {
                return Ok(true);
            }
            if write {
                Ok(send_state(s, t)?.is_some() && t.can_send())
            } else {
                Ok(recv_state(s, t)?.is_some())
            }
        })?
    }

    pub(super) fn tcp_shutdown(&self, how: Shutdown) -> Result<()> {
        let now = self.stack.now();
        self.stack.with_core(|core| {
            // What has arrived by now came before the shutdown (Linux has
            // taken it in already on a loopback).
            core.poll(now);
            let (s, t) = core.tcp(self.id.get())?;
            if s.is_listener() {
                return Err(Error::NotConnected);
            }
            if !s.has(flag::CONNECTED) || t.state() == State::Closed {
                // Linux marks the halves shut even here, and says ENOTCONN:
                // a later connection keeps them shut.
                if matches!(how, Shutdown::Read | Shutdown::Both) {
                    s.set(flag::SHUT_RD, true);
                }
                if matches!(how, Shutdown::Write | Shutdown::Both) {
                    s.set(flag::SHUT_WR, true);
                }
                return Err(Error::NotConnected);
            }
            if matches!(how, Shutdown::Read | Shutdown::Both) {
                s.set(flag::SHUT_RD, true);
            }
            if matches!(how, Shutdown::Write | Shutdown::Both) {
                s.set(flag::SHUT_WR, true);
                t.close();
            }
            // What is queued now came before this shutdown: only more than
            // this, once reading is shut and our FIN sent, resets (`observe`).
            s.seq = u32::try_from(t.recv_queue()).unwrap_or(u32::MAX);
            core.poll(now);
            Ok(())
        })?
    }
}
