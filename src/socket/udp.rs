//! UDP: datagrams with Python's `sendto` / `recvfrom` semantics.

use super::Socket;
use crate::addr::{self, SockAddr};
use crate::error::{Error, Result};
use crate::inner::Inner;
use crate::slot::{flag, SlotId};
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
        if remote.port == 0 || remote.addr.is_unspecified() {
            return Err(Error::AddrNotAvailable);
        }
        self.autobind()?;
        Ok(remote)
    }

    pub(super) fn udp_shutdown(&self, how: Shutdown) -> Result<()> {
        self.stack.with_core(|core| {
            let s = core.slot_mut(self.id.get())?;
            if !s.has(flag::CONNECTED) {
                return Err(Error::NotConnected);
            }
            if matches!(how, Shutdown::Read | Shutdown::Both) {
                s.set(flag::SHUT_RD, true);
            }
            if matches!(how, Shutdown::Write | Shutdown::Both) {
                s.set(flag::SHUT_WR, true);
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

/// `recv`'s step: one datagram into `buf`, truncated; on a connected
/// socket, datagrams from other than the peer are dropped (as Linux does).
pub(super) fn recv_from(
    core: &mut Inner<'_>,
    id: SlotId,
    buf: &mut [u8],
) -> TryResult<(usize, SockAddr)> {
    let (s, u) = core.udp(id)?;
    if s.has(flag::SHUT_RD) {
        return Ok(Some((0, addr::unspecified(s.has(flag::V6), 0))));
    }
    let peer: Option<IpEndpoint> = s.peer;
    loop {
        match u.recv() {
            Ok((data, meta)) => {
                if peer.is_some_and(|p| p != meta.endpoint) {
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
