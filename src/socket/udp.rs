//! UDP: datagrams with Python's `sendto` / `recvfrom` semantics.

use super::events::Events;
use super::Socket;
use crate::addr::{self, SockAddr};
use crate::error::{Error, Result};
use crate::inner::Inner;
use crate::slot::{flag, Kind, SlotId};
use crate::socket::Shutdown;
use crate::stack::TryResult;
use smoltcp::socket::udp::{RecvError, SendError};
use smoltcp::wire::IpEndpoint;

impl<'a> Socket<'_, 'a> {
    fn check_family(&self, to: SockAddr) -> Result<()> {
        let v6 = self
            .stack
            .with_core(|core| core.slot(self.id.get()).map(|s| s.has(flag::V6)))??;
        if v6 != to.is_ipv6() {
            Err(Error::InvalidInput)
        } else {
            Ok(())
        }
    }

    pub(super) fn udp_connect(&self, to: SockAddr) -> Result<()> {
        self.check_family(to)?;
        let remote = addr::endpoint(to)?;
        self.stack
            .with_core(|core| core.check_destination(Kind::Udp, remote.addr, remote.port))??;
        self.autobind()?;
        self.stack.with_core(|core| {
            let s = core.slot_mut(self.id.get())?;
            s.set(flag::CONNECTED, true);
            s.peer = Some(remote);
            Ok(())
        })?
    }

    pub(super) fn udp_peer(&self) -> Result<SockAddr> {
        self.stack.with_core(|core| {
            core.slot(self.id.get())?
                .peer
                .map(addr::sockaddr)
                .ok_or(Error::NotConnected)
        })?
    }

    /// Check `to` and bind if needed: the endpoint a datagram goes to.
    pub(super) fn udp_destination(&self, to: SockAddr) -> Result<IpEndpoint> {
        self.check_family(to)?;
        let remote = addr::endpoint(to)?;
        // Linux binds a port before it looks at the destination.
        self.autobind()?;
        if remote.port == 0 {
            // Linux: EINVAL for a datagram to port 0.
            return Err(Error::InvalidInput);
        }
        if remote.addr.is_unspecified() {
            return Err(Error::AddrNotAvailable);
        }
        // Broadcast (no SO_BROADCAST), loopback without one: as Linux, at once.
        self.stack
            .with_core(|core| core.check_destination(Kind::Udp, remote.addr, remote.port))??;
        Ok(remote)
    }

    pub(super) fn udp_shutdown(&self, how: Shutdown) -> Result<()> {
        self.stack.with_core(|core| {
            let s = core.slot_mut(self.id.get())?;
            if matches!(how, Shutdown::Read | Shutdown::Both) {
                s.set(flag::SHUT_RD, true);
            }
            if matches!(how, Shutdown::Write | Shutdown::Both) {
                s.set(flag::SHUT_WR, true);
            }
            // Linux marks the halves shut even here, and says ENOTCONN.
            if !s.has(flag::CONNECTED) {
                return Err(Error::NotConnected);
            }
            Ok(())
        })?
    }
}

/// `send`'s step: one datagram to `remote` (from
/// [`udp_destination`](Socket::udp_destination)).
pub(super) fn send(
    core: &mut Inner<'_>,
    id: SlotId,
    data: &[u8],
    remote: IpEndpoint,
) -> TryResult<usize> {
    if !core.has_source_for(&remote.addr) {
        return Err(Error::AddrNotAvailable);
    }
    let (s, u) = core.udp(id)?;
    if s.has(flag::SHUT_WR) {
        return Err(Error::BrokenPipe);
    }
    if data.len() > u.payload_send_capacity() {
        // Larger than the buffer can ever hold: Python's EMSGSIZE.
        return Err(Error::InvalidInput);
    }
    match u.send_slice(data, remote) {
        Ok(()) => Ok(Some(data.len())),
        Err(SendError::BufferFull) => Ok(None),
        Err(SendError::Unaddressable) => Err(Error::AddrNotAvailable),
    }
}

/// What a UDP socket is ready for now: READ with a datagram waiting (or
/// after `shutdown(Read)`), WRITE with room for a datagram (or after
/// `shutdown(Write)`: the send fails at once), HANGUP when both directions
/// are shut down (as Linux's `udp_poll`).
pub(super) fn events(core: &mut Inner<'_>, id: SlotId) -> Result<Events> {
    let (s, u) = core.udp(id)?;
    let mut ev = Events::EMPTY;
    if u.can_recv() || s.has(flag::SHUT_RD) {
        ev |= Events::READ;
    }
    if u.can_send() || s.has(flag::SHUT_WR) {
        ev |= Events::WRITE;
    }
    if s.has(flag::SHUT_RD) && s.has(flag::SHUT_WR) {
        ev |= Events::HANGUP;
    }
    Ok(ev)
}

/// `recv`'s step: one datagram into `buf`, truncated; on a connected
/// socket, datagrams from other than the peer are dropped (as Linux does).
/// With `peek` the datagram stays for the next call (`MSG_PEEK`).
pub(super) fn recv_from(
    core: &mut Inner<'_>,
    id: SlotId,
    buf: &mut [u8],
    peek: bool,
) -> TryResult<(usize, SockAddr)> {
    let (s, u) = core.udp(id)?;
    if s.has(flag::SHUT_RD) {
        return Ok(Some((0, addr::unspecified(s.has(flag::V6), 0))));
    }
    let peer: Option<IpEndpoint> = s.peer;
    loop {
        let next = if peek {
            u.peek().map(|(d, m)| (d, *m))
        } else {
            u.recv()
        };
        match next {
            Ok((data, meta)) => {
                if peer.is_some_and(|p| p != meta.endpoint) {
                    if peek {
                        // Not the peer's: drop it, look at the next.
                        let _ = u.recv();
                    }
                    continue;
                }
                let n = data.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), data.get(..n)) {
                    dst.copy_from_slice(src);
                }
                return Ok(Some((n, addr::sockaddr(meta.endpoint))));
            }
            Err(RecvError::Exhausted) => return Ok(None),
            Err(RecvError::Truncated) => return Err(Error::InvalidInput),
        }
    }
}
