//! `listen` and `accept`: the socket side of the backlog, which lives in the
//! core (`inner/backlog.rs`): this file only asks.

use super::Socket;
use crate::addr::{self, SockAddr};
use crate::error::{Error, Result};
use crate::inner::Inner;
use crate::slot::{flag, Kind, SlotId};
use crate::stack::{Op, TryResult};
use smoltcp::wire::IpEndpoint;

impl<'s, 'a> Socket<'s, 'a> {
    /// Python's `listen(backlog)`: up to `backlog` connections complete their
    /// handshake and wait for [`accept`](Self::accept); more are refused.
    /// `backlog` 0 means 1; it is capped at [`MAX_BACKLOG`](crate::MAX_BACKLOG)
    /// and by the free slots (slots freed later are armed then). The backlog
    /// only uses spare slots: a new socket takes back an armed slot still in
    /// LISTEN when the pool is otherwise full. Binds an ephemeral port if
    /// the socket is not bound. Calling it again changes the backlog.
    ///
    /// Returns how many slots are armed now (at most the backlog asked for):
    /// a program can report what it was granted.
    pub fn listen(&self, backlog: usize) -> Result<usize> {
        // A closed handle first, then the kind (Linux: EBADF, EOPNOTSUPP),
        // then a connection started on it (EINVAL).
        let s = self
            .stack
            .with_core(|core| core.slot(self.id.get()).copied())??;
        if self.kind != Kind::Tcp {
            return Err(Error::Unsupported);
        }
        if s.has(flag::CONNECTED) && !s.is_listener() {
            return Err(Error::InvalidInput);
        }
        self.autobind()?;
        let now = self.stack.now();
        self.stack.with_core(|core| {
            let granted = core.listen(self.id.get(), backlog)?;
            core.poll(now);
            Ok(granted)
        })?
    }

    /// Python's `accept()`: the oldest waiting connection, with any data it
    /// already sent, as a blocking socket, and the peer's address.
    pub fn accept(&self) -> Result<(Socket<'s, 'a>, SockAddr)> {
        self.stack
            .with_core(|core| core.slot(self.id.get()).map(|_| ()))??;
        if self.kind != Kind::Tcp {
            // Linux: EOPNOTSUPP on a datagram socket.
            return Err(Error::Unsupported);
        }
        let accepted = self.stack.block(self.timeout.get(), self.accept_op());
        self.accepted(accepted)
    }

    /// Waiting for the oldest established member of the backlog.
    pub(crate) fn accept_op(
        &self,
    ) -> Op<impl FnMut(&mut Inner<'a>) -> TryResult<(SlotId, IpEndpoint)>> {
        let id = self.id.get();
        Op::read(move |core: &mut Inner<'a>| core.accept(id))
    }

    /// The accepted connection as a (blocking) socket, and its peer.
    pub(crate) fn accepted(
        &self,
        r: Result<(SlotId, IpEndpoint)>,
    ) -> Result<(Socket<'s, 'a>, SockAddr)> {
        let (id, peer) = r?;
        Ok((
            Socket::from_slot(self.stack, id, Kind::Tcp),
            addr::sockaddr(peer),
        ))
    }
}
