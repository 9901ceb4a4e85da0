//! Each waiting call's operation, for either kind of socket: what the
//! blocking methods (`mod.rs`) run through `Stack::block` and the async ones
//! (`crate::asynch`) through `Stack::wait_async`. The socket rules live in
//! `tcp.rs`, `udp.rs` and the core; here the socket's kind picks the form.

use super::Socket;
use crate::addr::SockAddr;
use crate::error::Result;
#[cfg(feature = "udp")]
use crate::inner::Inner;
use crate::slot::Kind;
#[cfg(feature = "udp")]
use crate::stack::{one_of, OneOf};
use crate::stack::{Op, Step};

/// The operation of the socket's kind: `$tcp` for a stream socket, `$udp`
/// for a datagram socket (compiled only with the feature `udp`).
macro_rules! by_kind {
    ($kind:expr, $tcp:expr, $udp:expr) => {{
        #[cfg(feature = "udp")]
        let op = match $kind {
            Kind::Tcp => one_of(OneOf::First($tcp)),
            Kind::Udp => one_of(OneOf::Second($udp)),
        };
        #[cfg(not(feature = "udp"))]
        let op = {
            let Kind::Tcp = $kind;
            $tcp
        };
        op
    }};
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

    /// `recv_from`: bytes or a datagram, with the sender.
    pub(crate) fn recv_from_op<'b>(
        &'b self,
        buf: &'b mut [u8],
    ) -> Op<impl Step<'a, (usize, SockAddr)> + 'b> {
        by_kind!(self.kind, self.tcp_recv_op(buf), self.udp_recv_op(buf))
    }

    /// `send`: to the peer (a UDP socket's default one).
    pub(crate) fn send_op<'b>(&self, data: &'b [u8]) -> Result<Op<impl Step<'a, usize> + 'b>>
    where
        'a: 'b,
    {
        Ok(by_kind!(
            self.kind,
            self.tcp_send_op(data),
            self.udp_send_op(data, self.udp_default_destination()?)
        ))
    }

    /// `send_to`: one datagram; on a stream socket, as on Linux, the
    /// address is ignored and it is `send` (`BrokenPipe` when not connected).
    pub(crate) fn send_to_op<'b>(
        &self,
        data: &'b [u8],
        addr: SockAddr,
    ) -> Result<Op<impl Step<'a, usize> + 'b>>
    where
        'a: 'b,
    {
        let _ = addr;
        Ok(by_kind!(
            self.kind,
            self.tcp_send_op(data),
            self.udp_send_op(data, self.udp_destination(addr)?)
        ))
    }

    /// `send_all`: all of `data` (a datagram is sent whole or not at all).
    pub(crate) fn send_all_op<'b>(&self, data: &'b [u8]) -> Result<Op<impl Step<'a, ()> + 'b>>
    where
        'a: 'b,
    {
        Ok(by_kind!(
            self.kind,
            self.tcp_send_all_op(data),
            self.send_op(data)?.map(|_| ())
        ))
    }

    /// `flush`: until every byte sent is acknowledged (a datagram socket has
    /// nothing to flush).
    pub(crate) fn flush_op(&self) -> Op<impl Step<'a, ()>> {
        by_kind!(self.kind, self.tcp_flush_op(), {
            let id = self.id.get();
            Op::write(move |i: &mut Inner<'a>| i.slot(id).map(|_| Some(())))
        })
    }
}
