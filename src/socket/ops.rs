//! Each waiting call's operation, for either kind of socket: what the
//! blocking methods (`mod.rs`) run through `Stack::block` and the async ones
//! (`crate::asynch`) through `Stack::wait_async`. Each is one closure that
//! matches on the socket's kind; the rules of each kind live in `tcp.rs`
//! and `udp.rs` (their steps) and in the core.

use super::flags::MsgFlags;
#[cfg(feature = "udp")]
use super::udp;
use super::{tcp, Socket};
use crate::addr::SockAddr;
use crate::error::Result;
use crate::inner::Inner;
use crate::slot::Kind;
use crate::stack::{Op, TryResult};
#[cfg(feature = "udp")]
use smoltcp::wire::IpEndpoint;

/// Where a send goes, fixed before its wait: a stream has its connection;
/// a datagram its destination, checked and with the socket bound.
#[derive(Clone, Copy)]
enum SendTo {
    Stream,
    #[cfg(feature = "udp")]
    Datagram(IpEndpoint),
}

/// A stream's data calls try once before any poll and send at once what
/// they queued (see [`Op`]); a datagram socket's poll first, as they always did.
fn stream_data<F>(kind: Kind, op: Op<F>, transmit: bool) -> Op<F> {
    match kind {
        Kind::Tcp => op.data(transmit),
        #[cfg(feature = "udp")]
        Kind::Udp => op,
    }
}

impl<'a> Socket<'_, 'a> {
    /// The slot's index (where its async waiters are kept).
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn slot_index(&self) -> u16 {
        self.id.get().index
    }

    /// `connect`'s first step: `Ok(None)` when done at once (UDP: the
    /// default peer is set), `Ok(Some(started))` when a TCP connection is
    /// to be waited for, [`Error::WouldBlock`](crate::Error::WouldBlock) for a non-blocking socket
    /// whose SYN just left.
    pub(crate) fn connect_begin(&self, addr: SockAddr) -> Result<Option<bool>> {
        match self.kind {
            #[cfg(feature = "udp")]
            Kind::Udp => self.udp_connect(addr).map(|()| None),
            Kind::Tcp => self.tcp_connect_begin(addr).map(Some),
        }
    }

    /// `recv_from`: bytes or a datagram, with the sender; with
    /// [`MsgFlags::PEEK`] they stay (`MSG_PEEK | MSG_WAITALL` on a stream:
    /// until `buf` can be filled).
    pub(crate) fn recv_from_op<'b>(
        &self,
        buf: &'b mut [u8],
        flags: MsgFlags,
    ) -> Op<impl FnMut(&mut Inner<'a>) -> TryResult<(usize, SockAddr)> + 'b> {
        let (id, kind) = (self.id.get(), self.kind);
        let peek = flags.contains(MsgFlags::PEEK);
        let take = match (peek, flags.contains(MsgFlags::WAITALL)) {
            (false, _) => tcp::RecvMode::Consume,
            (true, false) => tcp::RecvMode::Peek,
            (true, true) => tcp::RecvMode::PeekAll,
        };
        let op = Op::read(move |core: &mut Inner<'a>| match kind {
            Kind::Tcp => tcp::recv_from(core, id, buf, take),
            #[cfg(feature = "udp")]
            Kind::Udp => udp::recv_from(core, id, buf, peek),
        });
        stream_data(kind, op, false)
    }

    /// `recv` with `MSG_WAITALL` on a stream: `buf` filled, `got` counting.
    pub(crate) fn recv_all_op<'b>(
        &self,
        buf: &'b mut [u8],
        got: &'b core::cell::Cell<usize>,
    ) -> Op<impl FnMut(&mut Inner<'a>) -> TryResult<(usize, SockAddr)> + 'b> {
        let id = self.id.get();
        Op::read(move |core: &mut Inner<'a>| tcp::recv_all(core, id, buf, got)).data(false)
    }

    /// Where a send goes: a datagram to `to`, else to the default peer
    /// (`NotConnected` without one). A stream socket ignores `to`, as
    /// Linux does (without the feature `udp` every socket is a stream one).
    #[cfg_attr(not(feature = "udp"), allow(unused_variables))]
    fn destination(&self, to: Option<SockAddr>) -> Result<SendTo> {
        Ok(match self.kind {
            Kind::Tcp => SendTo::Stream,
            #[cfg(feature = "udp")]
            Kind::Udp => {
                let to = match to {
                    Some(to) => to,
                    // Linux binds a port before it finds there is no peer
                    // (`EDESTADDRREQ`, here `NotConnected`).
                    None => {
                        self.autobind()?;
                        self.udp_peer()?
                    }
                };
                SendTo::Datagram(self.udp_destination(to)?)
            }
        })
    }

    /// `send`: to the peer (a UDP socket's default one).
    pub(crate) fn send_op<'b>(
        &self,
        data: &'b [u8],
    ) -> Result<Op<impl FnMut(&mut Inner<'a>) -> TryResult<usize> + 'b>> {
        self.send_op_to(data, None)
    }

    /// `send_to`: one datagram; on a stream socket, as on Linux, the
    /// address is ignored and it is `send` (`BrokenPipe` when not connected).
    pub(crate) fn send_to_op<'b>(
        &self,
        data: &'b [u8],
        addr: SockAddr,
    ) -> Result<Op<impl FnMut(&mut Inner<'a>) -> TryResult<usize> + 'b>> {
        self.send_op_to(data, Some(addr))
    }

    /// `send` and `send_to`: `to` (`None`: the peer), see [`destination`](Self::destination).
    fn send_op_to<'b>(
        &self,
        bytes: &'b [u8],
        to: Option<SockAddr>,
    ) -> Result<Op<impl FnMut(&mut Inner<'a>) -> TryResult<usize> + 'b>> {
        let (id, to) = (self.id.get(), self.destination(to)?);
        let op = Op::write(move |core: &mut Inner<'a>| match to {
            SendTo::Stream => tcp::send(core, id, bytes),
            #[cfg(feature = "udp")]
            SendTo::Datagram(remote) => udp::send(core, id, bytes, remote),
        });
        Ok(stream_data(self.kind, op, true))
    }

    /// `send_all`: all of `data` (a datagram is sent whole or not at all).
    pub(crate) fn send_all_op<'b>(
        &self,
        bytes: &'b [u8],
    ) -> Result<Op<impl FnMut(&mut Inner<'a>) -> TryResult<()> + 'b>> {
        let (id, to) = (self.id.get(), self.destination(None)?);
        let mut sent = 0;
        let op = Op::write(move |core: &mut Inner<'a>| match to {
            SendTo::Stream => tcp::send_all(core, id, bytes, &mut sent),
            #[cfg(feature = "udp")]
            SendTo::Datagram(remote) => udp::send(core, id, bytes, remote).map(|r| r.map(|_| ())),
        });
        Ok(stream_data(self.kind, op, true))
    }

    /// `flush`: until every byte sent is acknowledged (a datagram socket has
    /// nothing to flush).
    pub(crate) fn flush_op(&self) -> Op<impl FnMut(&mut Inner<'a>) -> TryResult<()>> {
        let (id, kind) = (self.id.get(), self.kind);
        Op::write(move |core: &mut Inner<'a>| match kind {
            Kind::Tcp => tcp::flush(core, id),
            #[cfg(feature = "udp")]
            Kind::Udp => core.slot(id).map(|_| Some(())),
        })
    }
}
