//! The one policy for smoltcp's per-socket timeout (`tcp::Socket::set_timeout`:
//! give up on a connection after this long with nothing heard from the
//! peer): a function of the slot's owner and the socket's state, applied by
//! [`Inner::retime`] wherever either changes (claim, connect, arm, adopt,
//! orphan, a keep-alive option set, and every state change `observe` sees).

use super::Inner;
use crate::slot::{Owner, Slot};
use smoltcp::socket::tcp::State;
use smoltcp::time::Duration;

/// An unanswered SYN: Linux gives up after 6 SYN retries, about 127 s.
const CONNECT_GIVE_UP: Duration = Duration::from_secs(127);

/// A half-open connection (SYN-RECEIVED: our SYN-ACK unanswered) keeps its
/// backlog place this long: Linux gives up after 5 SYN-ACK retries, about
/// 63 s. Without it, spoofed SYNs would hold the backlog for ever.
const SYN_RECEIVED_GIVE_UP: Duration = Duration::from_secs(63);

/// How long a user's connection may wait with its FIN unacknowledged
/// (FIN-WAIT-1, CLOSING, LAST-ACK) and nothing heard from the peer: 15
/// minutes, as Linux gives up after its retries (`tcp_retries2`); a live
/// peer answers one of smoltcp's retransmissions (at most 60 s apart) long
/// before. smoltcp 0.14 can lose track of a FIN (a fast retransmit with no
/// data left leaves its timer idle) and would then wait for ever; this ends
/// the wait with `TimedOut`.
const FIN_GIVE_UP: Duration = Duration::from_secs(900);

/// How long an orphan (closed by the user) may linger in FIN-WAIT-2 or
/// wait for ACKs.
const ORPHAN_GIVE_UP: Duration = Duration::from_secs(60);

/// Our FIN is sent and not acknowledged yet.
pub(super) fn fin_unacked(state: State) -> bool {
    matches!(state, State::FinWait1 | State::Closing | State::LastAck)
}

/// What smoltcp's timeout should be for slot `s` whose socket is in `state`
/// (`None`: none, wait as long as the peer is silent).
fn give_up_after(s: &Slot, state: State) -> Option<Duration> {
    match (s.owner, state) {
        (Owner::Free, _) => None,
        (Owner::Orphan, _) => Some(ORPHAN_GIVE_UP),
        // A backlog's place: armed (a head is armed before its backlog is
        // set, so LISTEN alone says it) or half-open.
        (_, State::Listen) => Some(SYN_RECEIVED_GIVE_UP),
        (_, State::SynReceived) if s.is_listening() => Some(SYN_RECEIVED_GIVE_UP),
        // A connect under way (a simultaneous open passes SYN-RECEIVED).
        (Owner::User, State::SynSent | State::SynReceived) => Some(CONNECT_GIVE_UP),
        (Owner::User, st) if fin_unacked(st) => Some(FIN_GIVE_UP),
        // Otherwise a user's connection gives up only through its
        // keep-alive (`SO_KEEPALIVE`, when on): `keep_idle + keep_intvl ×
        // keep_cnt` of silence, as on Linux.
        (Owner::User, _) => s.opts.keepalive_timers().1,
        _ => None,
    }
}

impl Inner<'_> {
    /// Set slot `index`'s smoltcp timeout to what its owner and state call for
    /// (a slot without a TCP socket has none to set).
    pub fn retime(&mut self, index: usize) {
        let Some(&s) = self.slots.get(index) else {
            return;
        };
        if let Ok(t) = self.tcp_at(index) {
            t.set_timeout(give_up_after(&s, t.state()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(owner: Owner, backlog: u8) -> Slot {
        Slot {
            owner,
            backlog,
            ..Slot::UNUSED
        }
    }

    #[test]
    fn each_owner_and_state_has_its_linux_give_up() {
        let user = slot(Owner::User, 0);
        let head = slot(Owner::User, 4);
        let member = slot(Owner::Member(0), 0);
        assert_eq!(give_up_after(&user, State::SynSent), Some(CONNECT_GIVE_UP));
        assert_eq!(
            give_up_after(&user, State::SynReceived),
            Some(CONNECT_GIVE_UP)
        );
        assert_eq!(give_up_after(&user, State::Established), None);
        assert_eq!(give_up_after(&user, State::CloseWait), None);
        for st in [State::FinWait1, State::Closing, State::LastAck] {
            assert_eq!(give_up_after(&user, st), Some(FIN_GIVE_UP));
        }
        assert_eq!(give_up_after(&user, State::FinWait2), None);
        for s in [head, member, user] {
            assert_eq!(give_up_after(&s, State::Listen), Some(SYN_RECEIVED_GIVE_UP));
        }
        for s in [head, member] {
            assert_eq!(
                give_up_after(&s, State::SynReceived),
                Some(SYN_RECEIVED_GIVE_UP)
            );
            assert_eq!(give_up_after(&s, State::Established), None);
        }
        let orphan = slot(Owner::Orphan, 0);
        for st in [
            State::FinWait1,
            State::FinWait2,
            State::TimeWait,
            State::LastAck,
        ] {
            assert_eq!(give_up_after(&orphan, st), Some(ORPHAN_GIVE_UP));
        }
        assert_eq!(give_up_after(&slot(Owner::Free, 0), State::Closed), None);
    }
}
