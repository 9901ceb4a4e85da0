//! What a TCP slot's state change means, looked at after packets move:
//! arrivals at listeners, resets, refused or timed-out connects, finished
//! orphans, data for a socket the user closed.

use super::Inner;
use crate::error::Error;
use crate::slot::{flag, Kind, Owner, Slot};
use smoltcp::socket::tcp::{self, State};
use smoltcp::socket::AnySocket;

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
    if s.kind != Some(Kind::Tcp) || matches!(s.owner, Owner::Free | Owner::Parked) {
        return false;
    }
    if phase == Phase::Packet && !s.is_listening() {
        return false;
    }
    let state = t.state();
    state != s.last_state
        || (s.owner == Owner::Orphan && (state == State::CloseWait || t.can_recv()))
}

impl Inner<'_> {
    /// The common case first: one pass over the socket set, no change
    /// anywhere, nothing to do (the data calls poll often).
    fn anything_to_observe(&self, phase: Phase) -> bool {
        if phase == Phase::Packet {
            // After each packet: the listeners' slots only (few).
            return self.slots.iter().any(|s| {
                s.is_listening()
                    && s.handle
                        .and_then(|h| super::socket_ref::<tcp::Socket>(&self.set, h))
                        .is_some_and(|t| worth_a_look(s, t, phase))
            });
        }
        self.set.iter().any(|(h, sock)| {
            let Some(t) = tcp::Socket::downcast(sock) else {
                return false;
            };
            self.slots
                .iter()
                .find(|s| s.handle == Some(h))
                .is_some_and(|s| worth_a_look(s, t, phase))
        })
    }

    /// Look at every TCP slot's state change since the last look.
    pub(super) fn observe(&mut self, phase: Phase) {
        if !self.anything_to_observe(phase) {
            return;
        }
        for i in 0..self.slots.len() {
            let Some(s) = self.slots.get(i) else {
                continue;
            };
            if s.kind != Some(Kind::Tcp) || matches!(s.owner, Owner::Free | Owner::Parked) {
                continue;
            }
            if phase == Phase::Packet && !s.is_listening() {
                continue;
            }
            let s = *s;
            let Some((state, unread)) = self.tcp_ref(i).map(|t| (t.state(), t.can_recv())) else {
                continue;
            };
            // Data for a socket the user closed: reset the peer, as Linux does.
            if s.owner == Owner::Orphan && (state == State::CloseWait || unread) {
                self.abort(i);
                self.release(i);
                continue;
            }
            if state == s.last_state {
                continue;
            }
            if s.is_listening() {
                if s.last_state == State::Listen && state != State::Closed {
                    let seq = self.next_seq();
                    self.edit(i, |s| s.seq = seq);
                }
                if !matches!(state, State::Listen | State::SynReceived | State::Closed) {
                    // Past the handshake: the half-open give-up no longer
                    // applies (a connection may wait for accept as long as it likes).
                    if let Ok(t) = self.tcp_at(i) {
                        t.set_timeout(None);
                    }
                }
                if state == State::Closed {
                    // A pending connection died before accept: re-arm at once.
                    let head = match s.owner {
                        Owner::Member(h) => h as usize,
                        _ => i,
                    };
                    self.arm(i, self.listen_endpoint(head));
                    continue;
                }
            } else if s.owner == Owner::User
                && s.last_state == State::SynSent
                && state != State::Closed
            {
                // Connected: the connect give-up timer no longer applies.
                if let Ok(t) = self.tcp_at(i) {
                    t.set_timeout(None);
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
                        self.edit(i, |s| {
                            s.pending = Some(e);
                            s.set(flag::CONNECTED, false);
                        });
                    }
                    State::TimeWait | State::LastAck | State::Closing | State::Listen => {}
                    _ => self.edit(i, |s| s.set(flag::RESET, true)),
                }
            } else if s.owner == Owner::Orphan && state == State::Closed {
                self.release(i);
                continue;
            }
            self.edit(i, |s| s.last_state = state);
        }
    }
}
