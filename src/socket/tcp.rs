//! TCP: connect, recv, send, send_all, shutdown, close.

use super::Socket;
use crate::addr::{self, SockAddr};
use crate::inner::Inner;
use crate::slot::{flag, Slot};
use crate::{Error, Result, Shutdown};
use smoltcp::socket::tcp::{self, State};
use smoltcp::wire::IpListenEndpoint;

/// How long a blocking `connect` without a timeout waits for an answer
/// (Linux gives up after 6 SYN retries, about 127 s).
pub const CONNECT_GIVE_UP: core::time::Duration = core::time::Duration::from_secs(127);

/// The background error (a refused or timed-out connect), reported once.
fn take_pending(s: &mut Slot) -> Option<Error> {
    let e = s.pending.take()?;
    s.set(flag::CONNECTING, false);
    Some(e)
}

/// A user's slot and TCP socket, after reporting (once) an error from the
/// background, such as a refused connect, first.
fn ready_socket<'s, 'a>(
    i: &'s mut Inner<'a>,
    id: crate::slot::SlotId,
) -> Result<(&'s mut Slot, &'s mut tcp::Socket<'a>)> {
    let (s, t) = i.tcp(id)?;
    match take_pending(s) {
        Some(e) => Err(e),
        None => Ok((s, t)),
    }
}

/// The outcome, if any yet, of a socket's connection attempt.
fn connect_outcome(s: &mut Slot, t: &tcp::Socket) -> Option<Result<()>> {
    if let Some(e) = take_pending(s) {
        return Some(Err(e));
    }
    match t.state() {
        State::SynSent | State::SynReceived => None,
        State::Closed if s.has(flag::RESET) => Some(Err(Error::ConnectionReset)),
        State::Closed => Some(Err(Error::ConnectionRefused)),
        _ => Some(Ok(())),
    }
}

impl Socket<'_, '_> {
    pub(super) fn tcp_connect(&self, to: SockAddr) -> Result<()> {
        let remote = addr::endpoint(to)?;
        if remote.port == 0 || remote.addr.is_unspecified() {
            return Err(Error::AddrNotAvailable);
        }
        self.autobind()?;
        let started = self.stack.with_mut(|i| {
            let (s, t) = i.tcp(self.id.get())?;
            if s.has(flag::V6) != to.is_ipv6() || s.is_listener() {
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
            let (s, t, cx) = i.tcp_cx(self.id.get())?;
            t.connect(cx, remote, local)
                .map_err(|_| Error::AddrNotAvailable)?;
            // Unanswered SYNs give up like Linux's, blocking or not.
            t.set_timeout(Some(smoltcp::time::Duration::from_micros(
                CONNECT_GIVE_UP.as_micros() as u64,
            )));
            s.set(flag::CONNECTED | flag::CONNECTING, true);
            s.set(flag::RESET, false);
            s.last = State::SynSent;
            Ok(true)
        })?;
        if started && self.timeout.get().is_some_and(|t| t.is_zero()) {
            // Like Linux: the SYN is on its way, EINPROGRESS.
            return Err(Error::WouldBlock);
        }
        let r = self.stack.wait(self.timeout.get(), |i| {
            let (s, t) = match i.tcp(self.id.get()) {
                Ok(x) => x,
                Err(e) => return Some(Err(e)),
            };
            let r = connect_outcome(s, t);
            if r.is_some() {
                s.set(flag::CONNECTING, false);
            }
            r
        });
        if r == Err(Error::TimedOut) || (r == Err(Error::Stalled) && started) {
            // Give up the attempt so the socket can be reused or closed cleanly.
            self.stack.with_mut(|i| {
                if let Ok((s, t)) = i.tcp(self.id.get()) {
                    t.abort();
                    s.last = State::Closed;
                    s.set(flag::CONNECTING | flag::CONNECTED, false);
                }
            });
        }
        r
    }

    pub(super) fn tcp_recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.stack.wait(self.timeout.get(), |i| {
            Self::try_recv(i, self.id.get(), buf.is_empty(), |t| {
                t.recv_slice(buf).map_err(|_| Error::NotConnected)
            })
        })
    }

    /// Zero-copy `recv`: waits like [`recv`](Self::recv), then calls `f` once
    /// with received bytes in place (a contiguous part of the receive buffer;
    /// call again for more). `f` returns how many it consumed, which is
    /// returned. At end of stream `f` is not called and the result is `Ok(0)`.
    pub fn recv_with(&self, f: impl FnOnce(&[u8]) -> usize) -> Result<usize> {
        if self.kind != crate::slot::Kind::Tcp {
            return Err(Error::Unsupported);
        }
        let mut f = Some(f);
        self.stack.wait(self.timeout.get(), |i| {
            Self::try_recv(i, self.id.get(), false, |t| {
                let Some(f) = f.take() else { return Ok(0) };
                t.recv(|data| {
                    let n = f(data).min(data.len());
                    (n, n)
                })
                .map_err(|_| Error::NotConnected)
            })
        })
    }

    /// Zero-copy `send`: waits like [`send`](Self::send) for room, then calls
    /// `f` once with free space of the send buffer; `f` writes into it and
    /// returns how many bytes it wrote, which is returned.
    pub fn send_with(&self, f: impl FnOnce(&mut [u8]) -> usize) -> Result<usize> {
        if self.kind != crate::slot::Kind::Tcp {
            return Err(Error::Unsupported);
        }
        let mut f = Some(f);
        self.stack.wait(self.timeout.get(), |i| {
            Self::try_send_with(i, self.id.get(), |t| {
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
        })
    }

    /// What `recv` does once the stack is polled: `Some(result)` or `None` (wait).
    fn try_recv(
        i: &mut Inner<'_>,
        id: crate::slot::SlotId,
        empty: bool,
        read: impl FnOnce(&mut tcp::Socket<'_>) -> Result<usize>,
    ) -> Option<Result<usize>> {
        let (s, t) = match ready_socket(i, id) {
            Ok(x) => x,
            Err(e) => return Some(Err(e)),
        };
        if s.is_listener() || !s.has(flag::CONNECTED) {
            return Some(Err(Error::NotConnected));
        }
        if s.has(flag::SHUT_RD) || empty {
            return Some(Ok(0));
        }
        if t.can_recv() {
            return Some(read(t));
        }
        match t.state() {
            State::CloseWait | State::LastAck | State::Closing | State::TimeWait => Some(Ok(0)),
            State::Closed if s.has(flag::RESET) => Some(Err(Error::ConnectionReset)),
            State::Closed => Some(Ok(0)),
            State::Listen => Some(Err(Error::NotConnected)),
            _ => None,
        }
    }

    /// Try to queue `data` now: `Some(Ok(n))` with n > 0, `Some(Err)`, or `None` (wait).
    fn try_send(i: &mut Inner<'_>, id: crate::slot::SlotId, data: &[u8]) -> Option<Result<usize>> {
        Self::try_send_with(i, id, |t| match t.send_slice(data) {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(n)),
            Err(_) => Err(Error::BrokenPipe),
        })
    }

    /// What `send` does once the stack is polled; `write` returns the count
    /// queued, or `None`: no room yet, wait.
    fn try_send_with(
        i: &mut Inner<'_>,
        id: crate::slot::SlotId,
        write: impl FnOnce(&mut tcp::Socket<'_>) -> Result<Option<usize>>,
    ) -> Option<Result<usize>> {
        let (s, t) = match ready_socket(i, id) {
            Ok(x) => x,
            Err(e) => return Some(Err(e)),
        };
        if s.has(flag::SHUT_WR) || s.is_listener() || !s.has(flag::CONNECTED) {
            return Some(Err(Error::BrokenPipe));
        }
        match t.state() {
            State::Established | State::CloseWait => write(t).transpose(),
            State::SynSent | State::SynReceived => None,
            State::Closed if s.has(flag::RESET) => Some(Err(Error::ConnectionReset)),
            _ => Some(Err(Error::BrokenPipe)),
        }
    }

    pub(super) fn tcp_send(&self, data: &[u8]) -> Result<usize> {
        if data.is_empty() {
            return self.stack.with_mut(|i| i.tcp(self.id.get()).map(|_| 0));
        }
        self.stack.wait(self.timeout.get(), |i| {
            Self::try_send(i, self.id.get(), data)
        })
    }

    pub(super) fn tcp_send_all(&self, data: &[u8]) -> Result<()> {
        let mut sent = 0;
        self.stack.with_mut(|i| i.tcp(self.id.get()).map(|_| ()))?;
        self.stack.wait(self.timeout.get(), |i| {
            while sent < data.len() {
                match Self::try_send(i, self.id.get(), data.get(sent..).unwrap_or_default())? {
                    Ok(n) => sent += n,
                    Err(e) => return Some(Err(e)),
                }
            }
            Some(Ok(()))
        })
    }

    pub(super) fn tcp_shutdown(&self, how: Shutdown) -> Result<()> {
        let now = self.stack.now();
        self.stack.with_mut(|i| {
            let (s, t) = i.tcp(self.id.get())?;
            if s.is_listener() || !s.has(flag::CONNECTED) {
                return Err(Error::NotConnected);
            }
            if t.state() == State::Closed {
                return Err(Error::NotConnected);
            }
            if matches!(how, Shutdown::Read | Shutdown::Both) {
                s.set(flag::SHUT_RD, true);
            }
            if matches!(how, Shutdown::Write | Shutdown::Both) {
                s.set(flag::SHUT_WR, true);
                t.close();
            }
            i.poll(now);
            Ok(())
        })
    }
}

/// Close a user's TCP slot: a listener takes its armed sockets with it
/// (resetting connections still waiting); unread data resets the peer;
/// otherwise the connection closes gracefully in the background.
pub(super) fn close(i: &mut Inner<'_>, index: usize) {
    let Some(&slot) = i.slots.get(index) else {
        return;
    };
    if slot.is_listener() {
        while let Some(m) = i.other_member(index, |_| true) {
            i.abort(m);
            i.release(m);
        }
    }
    let graceful = match i.tcp_at(index) {
        Ok(t) => {
            let open = matches!(t.state(), State::Established | State::CloseWait)
                || (slot.has(flag::SHUT_WR)
                    && matches!(
                        t.state(),
                        State::FinWait1
                            | State::FinWait2
                            | State::Closing
                            | State::LastAck
                            | State::TimeWait
                    ));
            if open && !t.can_recv() && !slot.is_listener() {
                t.close();
                true
            } else {
                t.abort();
                false
            }
        }
        Err(_) => false,
    };
    if graceful {
        i.orphan(index);
    } else {
        i.release(index);
    }
}
