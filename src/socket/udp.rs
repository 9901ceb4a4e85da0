//! UDP: datagrams with Python's `sendto` / `recvfrom` semantics.

use super::Socket;
use crate::addr::{self, SockAddr};
use crate::error::{Error, Result};
use crate::inner::Inner;
use crate::slot::flag;
use crate::socket::Shutdown;
use crate::stack::{Op, Step};
use smoltcp::socket::udp::{RecvError, SendError};
use smoltcp::wire::IpEndpoint;

impl<'a> Socket<'_, 'a> {
    fn check_family(&self, to: SockAddr) -> Result<()> {
        let v6 = self
            .stack
            .with(|i| i.slot(self.id.get()).map(|s| s.has(flag::V6)))?;
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
        self.stack.with(|i| {
            let s = i.slot_mut(self.id.get())?;
            s.set(flag::CONNECTED, true);
            s.peer = Some(remote);
            Ok(())
        })
    }

    pub(super) fn udp_peer(&self) -> Result<SockAddr> {
        self.stack.with(|i| {
            i.slot(self.id.get())?
                .peer
                .map(addr::sockaddr)
                .ok_or(Error::NotConnected)
        })
    }

    /// The default peer of `send`: bound first, as Linux binds a port
    /// before it finds there is no peer (`EDESTADDRREQ`, here
    /// [`Error::NotConnected`]).
    pub(super) fn udp_default_destination(&self) -> Result<IpEndpoint> {
        self.autobind()?;
        self.udp_destination(self.udp_peer()?)
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
        Ok(remote)
    }

    /// One datagram to `remote` (from [`udp_destination`](Self::udp_destination)).
    pub(super) fn udp_send_op<'b>(
        &self,
        data: &'b [u8],
        remote: IpEndpoint,
    ) -> Op<impl Step<'a, usize> + 'b> {
        let id = self.id.get();
        Op::write(move |i: &mut Inner<'a>| {
            if !i.has_source_for(&remote.addr) {
                return Err(Error::AddrNotAvailable);
            }
            let (s, u) = i.udp(id)?;
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
        })
    }

    /// One datagram into `buf`, truncated; on a connected socket, datagrams
    /// from other than the peer are dropped (as Linux does).
    pub(super) fn udp_recv_op<'b>(
        &self,
        buf: &'b mut [u8],
    ) -> Op<impl Step<'a, (usize, SockAddr)> + 'b> {
        let id = self.id.get();
        Op::read(move |i: &mut Inner<'a>| {
            let (s, u) = i.udp(id)?;
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
        })
    }

    pub(super) fn udp_shutdown(&self, how: Shutdown) -> Result<()> {
        self.stack.with(|i| {
            let s = i.slot_mut(self.id.get())?;
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
        })
    }
}
