//! A real listen backlog on smoltcp, where one socket is one connection.
//!
//! `listen(n)` keeps `n` slots for the listener (its head slot and
//! `Member(head)` slots): those in LISTEN catch new handshakes, those past it
//! wait for `accept`. `observe` gives each an arrival number as it leaves
//! LISTEN; `accept` hands out the oldest established one and re-arms a slot
//! at once. When all `n` are taken, no socket matches a new SYN and smoltcp
//! answers it with RST: the attempt is refused and nothing else changes.

use super::Inner;
use crate::error::{Error, Result};
use crate::slot::{flag, Kind, Owner, Slot, SlotId};
use smoltcp::socket::tcp::State;
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};

/// Most connections a listener keeps (Linux's `somaxconn` plays this role).
pub const MAX_BACKLOG: usize = 255;

impl Inner<'_> {
    pub fn is_member(&self, head: usize, m: usize) -> bool {
        m == head
            || self
                .slots
                .get(m)
                .is_some_and(|s| s.owner == Owner::Member(head as u16))
    }

    fn member_count(&self, head: usize) -> usize {
        (0..self.slots.len())
            .filter(|m| self.is_member(head, *m))
            .count()
    }

    /// A member of `head`'s listener other than the head, whose state passes `pick`.
    pub fn other_member(&self, head: usize, pick: impl Fn(Option<State>) -> bool) -> Option<usize> {
        (0..self.slots.len())
            .find(|m| *m != head && self.is_member(head, *m) && pick(self.tcp_state(*m)))
    }

    /// Put slot `index`'s TCP socket in LISTEN on `ep`; false if smoltcp refuses.
    pub fn arm(&mut self, index: usize, ep: IpListenEndpoint) -> bool {
        let ok = self.tcp_at(index).is_ok_and(|t| t.listen(ep).is_ok());
        self.edit(index, |s| {
            s.last_state = if ok { State::Listen } else { State::Closed }
        });
        self.retime(index);
        ok
    }

    pub fn listen_endpoint(&self, head: usize) -> IpListenEndpoint {
        let s = self.slots.get(head).copied().unwrap_or(Slot::UNUSED);
        IpListenEndpoint {
            addr: s.addr,
            port: s.port,
        }
    }

    /// Make the user's socket `id` a listener with `backlog` slots (clamped
    /// to 1..=[`MAX_BACKLOG`]), or change its backlog; the backlog granted.
    pub fn listen(&mut self, id: SlotId, backlog: usize) -> Result<usize> {
        let head = id.index as usize;
        let (s, t) = self.tcp(id)?;
        if s.has(flag::CONNECTED) {
            return Err(Error::InvalidInput);
        }
        let closed = t.state() == State::Closed;
        let ep = self.listen_endpoint(head);
        if closed && !self.arm(head, ep) {
            return Err(Error::InvalidInput);
        }
        let backlog = backlog.clamp(1, MAX_BACKLOG);
        self.edit(head, |s| s.backlog = backlog as u8);
        // A smaller backlog drops armed sockets still in LISTEN.
        let mut extra = self.member_count(head).saturating_sub(backlog);
        while extra > 0 {
            let Some(m) = self.other_member(head, |st| st == Some(State::Listen)) else {
                break;
            };
            self.abort(m);
            self.release(m);
            extra -= 1;
        }
        self.rearm(head);
        Ok(self.member_count(head))
    }

    /// Arm free slots until the listener holds `backlog` sockets.
    pub(super) fn rearm(&mut self, head: usize) {
        let Some(h) = self.slots.get(head).copied() else {
            return;
        };
        let ep = self.listen_endpoint(head);
        if self.tcp_state(head) == Some(State::Closed) {
            self.arm(head, ep);
        }
        let have = self.member_count(head);
        for _ in have..h.backlog as usize {
            let Ok(index) = self.claim(Kind::Tcp, Owner::Member(head as u16)) else {
                self.rearm_pending = true;
                return;
            };
            if !self.arm(index, ep) {
                self.release(index);
                return;
            }
            self.edit(index, |s| {
                (s.addr, s.port) = (h.addr, h.port);
                s.flags = h.flags & flag::REUSE;
            });
        }
    }

    pub(super) fn rearm_all(&mut self) {
        self.rearm_pending = false;
        for head in 0..self.slots.len() {
            if self.slots.get(head).is_some_and(|s| s.is_listener()) {
                self.rearm(head);
            }
        }
    }

    /// Exchange the smoltcp sockets (and their tracking) behind two slots.
    fn swap_sockets(&mut self, a: usize, b: usize) {
        let (Some(&x), Some(&y)) = (self.slots.get(a), self.slots.get(b)) else {
            return;
        };
        self.edit(a, |s| {
            (s.handle, s.last_state, s.seq) = (y.handle, y.last_state, y.seq)
        });
        self.edit(b, |s| {
            (s.handle, s.last_state, s.seq) = (x.handle, x.last_state, x.seq)
        });
    }

    /// The listener's member that got past the handshake first.
    fn oldest_ready(&self, head: usize) -> Option<usize> {
        let mut ready: Option<(u32, usize)> = None;
        for m in (0..self.slots.len()).filter(|m| self.is_member(head, *m)) {
            if matches!(
                self.tcp_state(m),
                Some(State::Established | State::CloseWait)
            ) {
                let seq = self.slots.get(m).map_or(0, |s| s.seq);
                if ready.is_none_or(|(q, _)| (seq.wrapping_sub(q) as i32) < 0) {
                    ready = Some((seq, m));
                }
            }
        }
        ready.map(|(_, m)| m)
    }

    /// Would `accept` on the listener `head_id` return at once: is an
    /// established connection waiting?
    pub fn accept_ready(&self, head_id: SlotId) -> bool {
        self.oldest_ready(head_id.index as usize).is_some()
    }

    /// `accept` on the listener `head_id`: the oldest established connection
    /// as a new user slot and its peer, or `Ok(None)` if none is ready yet.
    pub fn accept(&mut self, head_id: SlotId) -> Result<Option<(SlotId, IpEndpoint)>> {
        if !self.slot(head_id)?.is_listener() {
            return Err(Error::InvalidInput);
        }
        let head = head_id.index as usize;
        let Some(r) = self.oldest_ready(head) else {
            return Ok(None);
        };
        let Some(peer) = self.tcp_ref(r).and_then(|t| t.remote_endpoint()) else {
            // Gone between the handshake and now: re-arm it where it stands.
            self.abort(r);
            self.arm(r, self.listen_endpoint(head));
            return Ok(None);
        };
        // The accepted socket needs a slot other than the listener's own: if
        // the connection sits in the head slot, move it (swap the smoltcp
        // sockets) into a free slot, or into another member's slot.
        let d = if r != head {
            r
        } else {
            let spare = match self.claim(Kind::Tcp, Owner::Free) {
                Ok(f) => f,
                Err(_) => self
                    .other_member(head, |_| true)
                    .ok_or(Error::NoBufferSpace)?,
            };
            self.swap_sockets(head, spare);
            spare
        };
        let id = self.adopt(head, d, peer);
        self.rearm(head);
        Ok(Some((id, peer)))
    }
}
