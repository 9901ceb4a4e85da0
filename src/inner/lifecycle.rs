//! Every change of a slot's owner, in one place:
//!
//! ```text
//!          claim                close (graceful)        FIN/TIME-WAIT done
//!   Free ─────────► User ───────────────────► Orphan ─────────────────► Free
//!    ▲               ▲   close (abort, unread data) / release             ▲
//!    │               └────────────────────────────────────────────────────┘
//!    │    claim(Member) ◄── rearm              adopt (accept)
//!      └──────────────── Member(head) ──────────────────────► User
//! ```
//! A slot whose smoltcp socket is not made yet has `kind == None`; `claim`
//! makes it on first use, and it keeps that kind.

use super::{owned, Inner};
use crate::error::{Error, Result};
use crate::log;
use crate::resources::SlotBufs;
use crate::slot::{flag, Kind, Owner, Slot, SlotId};
use smoltcp::socket::tcp::{self, State};
use smoltcp::time::Duration;

/// Delayed ACKs off: smoltcp's 10 ms delay stalls a window update when a
/// full receive buffer drains, and meets Nagle in a 10 ms stall on every
/// second small write (Linux avoids both with "quick ACK" mode).
const ACK_DELAY: Option<Duration> = None;

/// Which orphan to reclaim first: TIME-WAIT before FIN-WAIT-2, then the
/// oldest close. Others (still sending, or waiting on the peer) are kept.
fn reclaim_rank(state: State) -> Option<u8> {
    match state {
        State::TimeWait => Some(0),
        State::FinWait2 => Some(1),
        _ => None,
    }
}

/// The best orphan to reclaim among `(index, state, close order)`.
fn pick_reclaim(orphans: impl Iterator<Item = (usize, State, u32)>) -> Option<usize> {
    orphans
        .filter_map(|(index, st, seq)| Some((reclaim_rank(st)?, seq, index)))
        .min_by_key(|&(rank, seq, _)| (rank, seq))
        .map(|(_, _, index)| index)
}

impl<'a> Inner<'a> {
    /// Hand out a slot of `kind` to `owner`: a free one, else a never-used one
    /// (its socket is made now), else (TCP) the oldest orphan in TIME-WAIT or
    /// FIN-WAIT-2 is reclaimed, as lwIP does, else (TCP, not for a listener's
    /// own re-arming) an idle armed slot of a listener's backlog is taken back:
    /// a backlog uses spare slots, it never starves the program's own sockets.
    /// Never panics: `NoBufferSpace`.
    pub fn claim(&mut self, kind: Kind, owner: Owner) -> Result<usize> {
        let index = match self.slots.iter().position(|s| s.is_free(kind)) {
            Some(index) => index,
            None => match self.create(kind) {
                Some(index) => index,
                None => {
                    let index = match self.reclaim(kind) {
                        Some(index) => index,
                        None if matches!(owner, Owner::Member(_)) => {
                            return Err(Error::NoBufferSpace)
                        }
                        None => self.take_armed(kind).ok_or(Error::NoBufferSpace)?,
                    };
                    // Send the aborted connection's RST now, so nothing of it
                    // is left in the socket for its next owner.
                    self.flush_egress(self.now);
                    index
                }
            },
        };
        self.edit(index, |s| s.reuse(owner));
        // A reused smoltcp socket keeps its options: give each owner defaults.
        match kind {
            Kind::Tcp => {
                if let Ok(t) = self.tcp_at(index) {
                    defaults(t);
                }
            }
            #[cfg(feature = "udp")]
            Kind::Udp => {
                let slot = self.slots.get(index).copied().unwrap_or(Slot::UNUSED);
                if let Some(u) =
                    super::socket_mut::<smoltcp::socket::udp::Socket>(&mut self.set, &slot)
                {
                    u.set_hop_limit(None);
                }
            }
        }
        self.retime(index);
        Ok(index)
    }

    /// Make the smoltcp socket of a never-used slot, if buffers and a place
    /// in the set remain.
    fn create(&mut self, kind: Kind) -> Option<usize> {
        let index = self.slots.iter().position(|s| s.kind.is_none())?;
        let handle = match kind {
            Kind::Tcp => {
                let SlotBufs { rx, tx } = self.pool.take()?;
                self.set.add(tcp::Socket::new(
                    tcp::SocketBuffer::new(rx),
                    tcp::SocketBuffer::new(tx),
                ))
            }
            #[cfg(feature = "udp")]
            Kind::Udp => {
                // Packet metadata first: only the UDP-capable slots have it,
                // and nothing may be carved off when it has run out.
                let (rx_meta, tx_meta) = self.pool.take_meta()?;
                let SlotBufs { rx, tx } = self.pool.take()?;
                self.set.add(smoltcp::socket::udp::Socket::new(
                    smoltcp::socket::udp::PacketBuffer::new(rx_meta, rx),
                    smoltcp::socket::udp::PacketBuffer::new(tx_meta, tx),
                ))
            }
        };
        self.edit(index, |s| {
            *s = Slot {
                kind: Some(kind),
                handle: Some(handle),
                ..Slot::UNUSED
            }
        });
        Some(index)
    }

    fn reclaim(&mut self, kind: Kind) -> Option<usize> {
        if kind != Kind::Tcp {
            return None;
        }
        let orphans = (0..self.slots.len()).filter_map(|index| {
            let s = self.slots.get(index)?;
            (s.owner == Owner::Orphan).then_some((index, self.tcp_state(index)?, s.seq))
        });
        let index = pick_reclaim(orphans)?;
        log::net_debug!("reclaiming orphan slot {} for a new socket", index);
        self.abort(index);
        Some(index)
    }

    /// Take back a listener's armed slot that is still in LISTEN (never a head).
    fn take_armed(&mut self, kind: Kind) -> Option<usize> {
        if kind != Kind::Tcp {
            return None;
        }
        let index = (0..self.slots.len()).find(|&index| {
            self.slots
                .get(index)
                .is_some_and(|s| matches!(s.owner, Owner::Member(_)))
                && self.tcp_state(index) == Some(State::Listen)
        })?;
        self.abort(index);
        self.rearm_pending = true;
        Some(index)
    }

    /// The id a user holds for slot `index` (indices fit in `u16`: `StackResources`
    /// bounds the slot count at compile time).
    pub fn id_of(&self, index: usize) -> SlotId {
        SlotId {
            index: index as u16,
            gen: self.slots.get(index).map_or(0, |s| s.gen),
        }
    }

    /// Abort slot `index`'s TCP connection (an RST goes out on the next egress).
    pub fn abort(&mut self, index: usize) {
        if let Ok(t) = self.tcp_at(index) {
            t.abort();
        }
        self.edit(index, |s| s.last_state = State::Closed);
    }

    /// Give up a user's connection attempt (timed out), keeping the socket.
    pub fn abort_connect(&mut self, id: SlotId) {
        let index = id.index as usize;
        if owned(self.slots, id).is_ok() {
            self.abort(index);
            self.edit(index, |s| s.set(flag::CONNECTING | flag::CONNECTED, false));
        }
    }

    /// Return a slot to the pool (its socket already closed or aborted).
    pub fn release(&mut self, index: usize) {
        self.edit(index, |s| s.reuse(Owner::Free));
        self.rearm_pending = true;
    }

    /// Keep a closed connection's slot until its close handshake ends.
    fn orphan(&mut self, index: usize) {
        let seq = self.next_seq();
        self.edit(index, |s| {
            let keep = (s.addr, s.port, s.flags & flag::REUSE, s.last_state);
            s.reuse(Owner::Orphan);
            (s.addr, s.port, s.flags, s.last_state) = keep;
            s.seq = seq;
        });
        self.retime(index);
    }

    /// A user closes slot `index`. UDP: released at once. TCP: a listener takes
    /// its armed sockets with it (resetting connections still waiting);
    /// unread data resets the peer; otherwise the connection closes
    /// gracefully in the background as an orphan.
    pub fn close(&mut self, index: usize) {
        let Some(&slot) = self.slots.get(index) else {
            return;
        };
        if slot.owner != Owner::User {
            return;
        }
        match slot.kind {
            Some(Kind::Tcp) => {}
            #[cfg(feature = "udp")]
            Some(Kind::Udp) => {
                // Datagrams queued but not yet sent leave first, as Linux
                // sends what `sendto` accepted before `close`.
                let queued = super::socket_ref::<smoltcp::socket::udp::Socket>(&self.set, &slot)
                    .is_some_and(|u| u.send_queue() > 0);
                if queued {
                    self.flush_egress(self.now);
                }
                if let Some(u) =
                    super::socket_mut::<smoltcp::socket::udp::Socket>(&mut self.set, &slot)
                {
                    u.close();
                }
                self.release(index);
                return;
            }
            None => return self.release(index),
        }
        if slot.is_listener() {
            while let Some(m) = self.other_member(index, |_| true) {
                self.abort(m);
                self.release(m);
            }
        }
        let graceful = match self.tcp_at(index) {
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
            self.orphan(index);
        } else {
            self.release(index);
        }
    }

    /// An established member `d` of the listener at `head` becomes a user's
    /// socket, with the listener's options. Infallible: the caller has looked
    /// up everything that can fail first, so no slot changes owner on an
    /// error path.
    pub fn adopt(&mut self, head: usize, d: usize, peer: smoltcp::wire::IpEndpoint) -> SlotId {
        let h = self.slots.get(head).copied().unwrap_or(Slot::UNUSED);
        let state = self.tcp_state(d).unwrap_or(State::Closed);
        self.edit(d, |s| {
            s.reuse(Owner::User);
            (s.addr, s.port) = (h.addr, h.port);
            s.flags = (h.flags & (flag::REUSE | flag::V6 | flag::NODELAY)) | flag::CONNECTED;
            s.last_state = state;
            s.peer = Some(peer);
            s.opts = h.opts;
        });
        // Like Linux, an accepted socket inherits TCP_NODELAY, keep-alive,
        // linger and TTL from its listener.
        if let Ok(t) = self.tcp_at(d) {
            t.set_nagle_enabled(!h.has(flag::NODELAY));
            t.set_keep_alive(h.opts.keepalive_timers().0);
            t.set_hop_limit(h.opts.hop_limit());
        }
        self.retime(d);
        self.id_of(d)
    }
}

/// The options every new owner of a TCP socket starts with.
/// (Its timeout is the owner's: `retime`.)
fn defaults(t: &mut tcp::Socket<'_>) {
    t.set_keep_alive(None);
    t.set_hop_limit(None);
    t.set_nagle_enabled(true);
    t.set_ack_delay(ACK_DELAY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclaim_prefers_time_wait_then_the_oldest_close() {
        let orphans = [
            (0, State::FinWait2, 1),
            (1, State::TimeWait, 7),
            (2, State::TimeWait, 3),
            (3, State::LastAck, 0),
        ];
        assert_eq!(pick_reclaim(orphans.into_iter()), Some(2));
        // Without TIME-WAIT, FIN-WAIT-2; never one still closing actively.
        let orphans = [(3, State::LastAck, 0), (0, State::FinWait2, 9)];
        assert_eq!(pick_reclaim(orphans.into_iter()), Some(0));
        let orphans = [(3, State::FinWait1, 0), (4, State::Closing, 1)];
        assert_eq!(pick_reclaim(orphans.into_iter()), None);
    }
}
