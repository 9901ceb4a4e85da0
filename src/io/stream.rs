//! The byte-stream operations behind the `embedded-io` and `std::io` impls,
//! built on the public `Socket` API (plus one look at the smoltcp socket for
//! `flush`).

use crate::slot::{flag, Kind, Use};
use crate::{Error, Result, SockAddr, Socket};
use core::time::Duration;
use smoltcp::socket::tcp::State;

/// Run `f` with the socket non-blocking, then restore its timeout.
fn at_once<R>(s: &Socket<'_, '_>, f: impl FnOnce(&Socket<'_, '_>) -> Result<R>) -> Result<R> {
    let saved = s.timeout();
    s.set_timeout(Some(Duration::ZERO))?;
    let r = f(s);
    // Only a closed handle refuses; `r` already says so.
    let _ = s.set_timeout(saved);
    r
}

/// `read`: some bytes, `Ok(0)` only at end of stream or for an empty `buf`.
/// A datagram socket is [`Error::Unsupported`].
pub(crate) fn read(s: &Socket<'_, '_>, buf: &mut [u8]) -> Result<usize> {
    if buf.is_empty() {
        // Never blocks: only report what a read would fail with now.
        return match at_once(s, |s| s.recv_with(|_| 0)) {
            Ok(_) | Err(Error::WouldBlock) => Ok(0),
            Err(e) => Err(e),
        };
    }
    // `recv_with` refuses datagram sockets and, like `recv`, gives `Ok(0)`
    // only at end of stream.
    s.recv_with(|data| {
        let n = data.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        n
    })
}

/// `write`: at least one byte of a non-empty `buf` queued, or an error.
pub(crate) fn write(s: &Socket<'_, '_>, buf: &[u8]) -> Result<usize> {
    if buf.is_empty() {
        return match at_once(s, |s| s.send_with(|_| 0)) {
            Ok(_) | Err(Error::WouldBlock) => Ok(0),
            Err(e) => Err(e),
        };
    }
    let n = s.send_with(|room| {
        let n = room.len().min(buf.len());
        if let (Some(dst), Some(src)) = (room.get_mut(..n), buf.get(..n)) {
            dst.copy_from_slice(src);
        }
        n
    })?;
    if n == 0 {
        // `send_with` waits for room, so this does not happen; `send` never
        // returns 0 for non-empty data, so the contract holds regardless.
        return s.send(buf);
    }
    Ok(n)
}

/// `read_ready`: `Ok(true)` when a `read` would not block (data, end of
/// stream); an error a `read` would return now is returned here.
pub(crate) fn read_ready(s: &Socket<'_, '_>) -> Result<bool> {
    match at_once(s, |s| s.recv_with(|_| 0)) {
        Ok(_) => Ok(true),
        Err(Error::WouldBlock) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `write_ready`: `Ok(true)` when a `write` would not block (room in the send
/// buffer); an error a `write` would return now is returned here.
pub(crate) fn write_ready(s: &Socket<'_, '_>) -> Result<bool> {
    match at_once(s, |s| s.send_with(|_| 0)) {
        Ok(_) => Ok(true),
        Err(Error::WouldBlock) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The slot (index, generation) of the user's TCP connection `local`–`peer`:
/// a connection's address pair is unique among the user's sockets.
fn locate(s: &Socket<'_, '_>, local: SockAddr, peer: SockAddr) -> Option<(usize, u16)> {
    s.stack().with_mut(|i| {
        for idx in 0..i.slots.len() {
            let Some(&slot) = i.slots.get(idx) else {
                continue;
            };
            if slot.use_ != Use::User || slot.kind != Kind::Tcp {
                continue;
            }
            let Ok(t) = i.tcp_at(idx) else { continue };
            let ours = t.local_endpoint().map(crate::addr::sockaddr) == Some(local)
                && t.remote_endpoint().map(crate::addr::sockaddr) == Some(peer);
            if ours {
                return Some((idx, slot.gen));
            }
        }
        None
    })
}

/// `flush`: wait, within the socket's timeout, until the peer has
/// acknowledged every byte written (smoltcp keeps a byte in the send buffer
/// until it is acknowledged). Datagram sockets have nothing to flush.
pub(crate) fn flush(s: &Socket<'_, '_>) -> Result<()> {
    let found = match (s.local_addr(), s.peer_addr()) {
        (Ok(local), Ok(peer)) => locate(s, local, peer),
        (Err(e), _) => return Err(e),
        (Ok(_), Err(_)) => None,
    };
    let Some((idx, gen)) = found else {
        // No connection: a datagram socket (nothing to flush), or a stream
        // socket whose connection is gone: report what a write would.
        return match at_once(s, |s| s.send_with(|_| 0)) {
            Err(Error::Unsupported) => Ok(()),
            Ok(_) | Err(Error::WouldBlock) => Err(Error::NotConnected),
            Err(e) => Err(e),
        };
    };
    s.stack().wait(s.timeout(), |i| {
        let reset = match i.slots.get(idx) {
            Some(slot) if slot.gen == gen && slot.use_ == Use::User => slot.has(flag::RESET),
            _ => return Some(Err(Error::BadDescriptor)),
        };
        let t = match i.tcp_at(idx) {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };
        if t.send_queue() == 0 {
            return Some(Ok(()));
        }
        match t.state() {
            State::Closed if reset => Some(Err(Error::ConnectionReset)),
            State::Closed | State::TimeWait => Some(Err(Error::BrokenPipe)),
            _ => None,
        }
    })
}
