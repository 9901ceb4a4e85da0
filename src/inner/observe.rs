//! What a TCP slot's state change means, looked at after packets move:
//! arrivals at listeners, resets, refused or timed-out connects, finished
//! orphans, data for a socket the user closed.

use super::timeout::fin_unacked;
use super::Inner;
use crate::error::Error;
use crate::slot::{flag, Kind, Owner, Slot};
use smoltcp::socket::tcp::{self, State};

/// After what `observe` runs, which decides what a change means and who is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// After one ingress packet: only listeners, so arrivals keep their order.
    Packet,
    /// After a batch of ingress packets: everyone.
    Ingress,
    /// After egress: a SYN-SENT socket closed here hit smoltcp's connect
    /// timeout (an RST would have come in through ingress).
    Egress,
}

/// Whether `observe` has anything to do for slot `s` whose socket is `t`.
fn worth_a_look(s: &Slot, t: &tcp::Socket<'_>, phase: Phase) -> bool {
    if s.kind != Some(Kind::Tcp) || s.owner == Owner::Free {
        return false;
    }
    if phase == Phase::Packet && !s.is_listening() {
        return false;
    }
    let state = t.state();
    state != s.last_state
        || (s.owner == Owner::Orphan && (state == State::CloseWait || t.can_recv()))
        || data_after_shutdown(s, state, t.recv_queue())
}

/// Data arrived for a user's socket shut in both directions (FIN sent and
/// reading shut): Linux resets the connection (RFC 1122's "MUST send a
/// reset"); the user's next call reports it.
fn data_after_shutdown(s: &Slot, state: State, queued: usize) -> bool {
    s.owner == Owner::User
        && s.has(flag::SHUT_RD)
        && !s.is_listening()
        && queued > s.seq as usize
        && matches!(state, State::FinWait1 | State::FinWait2)
}

/// Note slot `index` in a [`Inner::to_observe`] result.
fn mark(mask: &mut u64, beyond: &mut bool, index: usize) {
    match u32::try_from(index) {
        Ok(b) if b < 64 => *mask |= 1 << b,
        _ => *beyond = true,
    }
}

impl Inner<'_> {
    /// Which slots `observe` must look at, in one pass over the slots:
    /// a bit per slot for the first 64, and whether any beyond them. The
    /// common case (the data calls poll often) is no change anywhere.
    fn to_observe(&self, phase: Phase) -> (u64, bool) {
        let (mut mask, mut beyond) = (0u64, false);
        for (index, s) in self.slots.iter().enumerate() {
            // (After each packet, `worth_a_look` passes listeners only.)
            let look = super::socket_ref::<tcp::Socket>(&self.set, s)
                .is_some_and(|t| worth_a_look(s, t, phase));
            if look {
                mark(&mut mask, &mut beyond, index);
            }
        }
        (mask, beyond)
    }

    /// Look at every TCP slot's state change since the last look.
    pub(super) fn observe(&mut self, phase: Phase) {
        let (mask, beyond) = self.to_observe(phase);
        if mask == 0 && !beyond {
            return;
        }
        for index in 0..self.slots.len() {
            let flagged = match u32::try_from(index) {
                Ok(b) if b < 64 => mask & (1 << b) != 0,
                _ => beyond,
            };
            if !flagged {
                continue;
            }
            let Some(s) = self.slots.get(index) else {
                continue;
            };
            if s.kind != Some(Kind::Tcp) || s.owner == Owner::Free {
                continue;
            }
            if phase == Phase::Packet && !s.is_listening() {
                continue;
            }
            let s = *s;
            let Some((state, unread, queued)) = self
                .tcp_ref(index)
                .map(|t| (t.state(), t.can_recv(), t.recv_queue()))
            else {
                continue;
            };
            // Data for a socket the user closed: reset the peer, as Linux does.
            if s.owner == Owner::Orphan && (state == State::CloseWait || unread) {
                self.abort(index);
                self.release(index);
                continue;
            }
            if data_after_shutdown(&s, state, queued) {
                // Reported once by the next send (recv stays at EOF).
                self.abort(index);
                self.edit(index, |s| {
                    s.set(flag::RESET, true);
                    s.pending = Some(Error::ConnectionReset);
                });
                continue;
            }
            if state == s.last_state {
                continue;
            }
            if s.is_listening() {
                if s.last_state == State::Listen && state != State::Closed {
                    let seq = self.next_seq();
                    self.edit(index, |s| s.seq = seq);
                }
                if state == State::Closed {
                    // A pending connection died before accept: re-arm at once.
                    let head = match s.owner {
                        Owner::Member(h) => h as usize,
                        _ => index,
                    };
                    self.arm(index, self.listen_endpoint(head));
                    continue;
                }
            } else if s.owner == Owner::User && state == State::Closed {
                match s.last_state {
                    // An RST answers the SYN (ingress): refused. smoltcp's
                    // connect timeout fires in egress: timed out.
                    State::SynSent => {
                        let e = if phase == Phase::Egress {
                            Error::TimedOut
                        } else {
                            Error::ConnectionRefused
                        };
                        self.edit(index, |s| {
                            s.pending = Some(e);
                            s.set(flag::CONNECTED, false);
                        });
                    }
                    // FIN_GIVE_UP ran out (egress): reported once, then EOF.
                    st if fin_unacked(st) && phase == Phase::Egress => {
                        self.edit(index, |s| s.pending = Some(Error::TimedOut));
                    }
                    State::TimeWait | State::LastAck | State::Closing | State::Listen => {}
                    // smoltcp's timeout closed it in egress: the keep-alive
                    // heard nothing back (Linux's ETIMEDOUT), reported once.
                    _ if phase == Phase::Egress => {
                        self.edit(index, |s| s.pending = Some(Error::TimedOut));
                    }
                    // Reported once (Linux's sk_err), then EOF / broken
                    // pipe. After the peer's FIN (CLOSE-WAIT) Linux reports
                    // it as EPIPE: EOF stays EOF, send is a broken pipe.
                    last => self.edit(index, |s| {
                        s.set(flag::RESET, true);
                        if last != State::CloseWait {
                            s.pending = Some(Error::ConnectionReset);
                        }
                    }),
                }
            } else if s.owner == Owner::Orphan && state == State::Closed {
                self.release(index);
                continue;
            }
            // Past the handshake, connected, FIN sent or acknowledged: the
            // give-up that applies now (`timeout.rs`).
            self.retime(index);
            self.edit(index, |s| s.last_state = state);
        }
    }
}
