//! A real listen backlog on smoltcp, where one socket is one connection.
//!
//! `listen(n)` keeps `n` slots for the listener: those in LISTEN catch new
//! handshakes, those past it wait for `accept`. Each leaves LISTEN with an
//! arrival number; `accept` hands out the oldest established one and re-arms
//! a free slot at once. When all `n` are taken, no socket matches a new SYN
//! and smoltcp answers it with RST: the attempt is refused and nothing else
//! changes. A pending connection that dies is re-armed where it stands.

use super::Socket;
use crate::addr::{self, SockAddr};
use crate::inner::Inner;
use crate::slot::{flag, Kind, SlotId, Use};
use crate::{Error, Result};
use smoltcp::socket::tcp::State;

/// Most connections a listener keeps (Linux's `somaxconn` plays this role).
pub const MAX_BACKLOG: usize = 255;

impl<'s, 'a> Socket<'s, 'a> {
    /// Python's `listen(backlog)`: up to `backlog` connections complete their
    /// handshake and wait for [`accept`](Self::accept); more are refused.
    /// `backlog` 0 means 1; it is capped at [`MAX_BACKLOG`] and by the free
    /// slots (slots freed later are armed then). The backlog only uses spare
    /// slots: a new socket takes back an armed slot still in LISTEN when the
    /// pool is otherwise full. Binds an ephemeral port if
    /// the socket is not bound. Calling it again changes the backlog.
    pub fn listen(&self, backlog: usize) -> Result<()> {
        if self.kind != Kind::Tcp {
            return Err(Error::Unsupported);
        }
        self.autobind()?;
        let now = self.stack.now();
        self.stack.with_mut(|i| {
            let index = self.id.get().index as usize;
            let (s, t) = i.tcp(self.id.get())?;
            if s.has(flag::CONNECTED) {
                return Err(Error::InvalidInput);
            }
            let closed = t.state() == State::Closed;
            let ep = i.listen_endpoint(index);
            if closed && !i.arm(index, ep) {
                return Err(Error::InvalidInput);
            }
            let backlog = backlog.clamp(1, MAX_BACKLOG);
            i.edit(index, |s| s.backlog = backlog as u8);
            // A smaller backlog drops armed sockets still in LISTEN.
            let mut extra = i.member_count(index).saturating_sub(backlog);
            while extra > 0 {
                let Some(m) = i.other_member(index, |st| st == Some(State::Listen)) else {
                    break;
                };
                i.abort(m);
                i.release(m);
                extra -= 1;
            }
            i.rearm(index);
            i.poll(now);
            Ok(())
        })
    }

    /// Python's `accept()`: the oldest waiting connection, with any data it
    /// already sent, as a blocking socket, and the peer's address.
    pub fn accept(&self) -> Result<(Socket<'s, 'a>, SockAddr)> {
        let stack = self.stack;
        let (id, peer) = stack.wait(self.timeout.get(), |i| try_accept(i, self.id.get()))?;
        Ok((Socket::from_slot(stack, id, Kind::Tcp), peer))
    }
}

fn try_accept(i: &mut Inner<'_>, head_id: SlotId) -> Option<Result<(SlotId, SockAddr)>> {
    let head = head_id.index as usize;
    match i.slot(head_id) {
        Ok(s) if s.is_listener() => {}
        Ok(_) => return Some(Err(Error::InvalidInput)),
        Err(e) => return Some(Err(e)),
    }
    // The oldest connection past the handshake.
    let mut ready: Option<(u32, usize)> = None;
    for m in 0..i.slots.len() {
        if !i.is_member(head, m) {
            continue;
        }
        if matches!(i.tcp_state(m), Some(State::Established | State::CloseWait)) {
            let seq = i.slots.get(m).map_or(0, |s| s.seq);
            if ready.is_none_or(|(q, _)| (seq.wrapping_sub(q) as i32) < 0) {
                ready = Some((seq, m));
            }
        }
    }
    let (_, r) = ready?;
    // The accepted socket needs a slot other than the listener's own: if the
    // connection sits in the head slot, move it (swap the smoltcp sockets)
    // into a free slot, or into another member's slot.
    let d = if r != head {
        r
    } else {
        let spare = match i.alloc(Kind::Tcp, Use::Free) {
            Ok(f) => f,
            Err(_) => match i.other_member(head, |_| true) {
                Some(m) => m,
                None => return Some(Err(Error::NoBufferSpace)),
            },
        };
        i.swap_sockets(head, spare);
        spare
    };
    let Some(&h) = i.slots.get(head) else {
        return Some(Err(Error::BadDescriptor));
    };
    let Some(s) = i.slots.get_mut(d) else {
        return Some(Err(Error::BadDescriptor));
    };
    s.reuse(crate::slot::Use::User);
    (s.addr, s.port) = (h.addr, h.port);
    s.flags = (h.flags & (flag::REUSE | flag::V6 | flag::NODELAY)) | flag::CONNECTED;
    s.last = State::Established;
    let id = SlotId {
        index: d as u16,
        gen: s.gen,
    };
    let peer = i.tcp_at(d).ok().and_then(|t| t.remote_endpoint());
    let Ok(last) = i.tcp_at(d).map(|t| t.state()) else {
        return Some(Err(Error::BadDescriptor));
    };
    i.edit(d, |s| s.last = last);
    // Like Linux, an accepted socket inherits TCP_NODELAY from its listener.
    if let Ok(t) = i.tcp_at(d) {
        t.set_nagle_enabled(!h.has(flag::NODELAY));
    }
    i.rearm(head);
    match peer {
        Some(p) => Some(Ok((id, addr::sockaddr(p)))),
        None => Some(Err(Error::ConnectionReset)),
    }
}
