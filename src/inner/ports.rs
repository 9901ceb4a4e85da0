//! Ports: ephemeral port choice and Linux's bind-conflict rule.

use super::Inner;
use crate::error::{Error, Result};
use crate::slot::{flag, Kind, Owner, Slot};
use smoltcp::wire::IpListenEndpoint;

/// First and last ephemeral port: Linux's default `ip_local_port_range`.
const EPHEMERAL: (u16, u16) = (32768, 60999);

/// Where the ephemeral port search starts: a point of the range picked by
/// the stack's random seed (mixed, so it is not smoltcp's first random
/// number too), as Linux starts at a random offset; then on in order.
pub(super) fn first_ephemeral(seed: u64) -> u16 {
    let span = u64::from(EPHEMERAL.1 - EPHEMERAL.0) + 1;
    EPHEMERAL.0 + (mix(seed) % span) as u16
}

/// SplitMix64's finalizer: every bit of `x` moves every bit of the result.
fn mix(x: u64) -> u64 {
    let x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The next port from `*next` on (wrapping in the ephemeral range) that is
/// not `in_use`; `*next` moves past it. `None` when every port is taken.
fn next_free(next: &mut u16, in_use: impl Fn(u16) -> bool) -> Option<u16> {
    for _ in EPHEMERAL.0..=EPHEMERAL.1 {
        let p = *next;
        *next = if p >= EPHEMERAL.1 { EPHEMERAL.0 } else { p + 1 };
        if !in_use(p) {
            return Some(p);
        }
    }
    None
}

/// Linux's rule: two sockets may share an address and port only if both
/// set `SO_REUSEADDR` and neither listens (for UDP: both set it).
fn conflict(slots: &[Slot], me: usize, ep: IpListenEndpoint) -> bool {
    let Some(mine) = slots.get(me) else {
        return true;
    };
    slots.iter().enumerate().any(|(j, s)| {
        j != me
            && s.kind == mine.kind
            && s.owner != Owner::Free
            && s.port == ep.port
            && (s.addr.is_none() || ep.addr.is_none() || s.addr == ep.addr)
            && !(mine.has(flag::REUSE) && s.has(flag::REUSE) && !(is_tcp(s) && s.is_listening()))
    })
}

fn is_tcp(s: &Slot) -> bool {
    s.kind == Some(Kind::Tcp)
}

impl Inner<'_> {
    /// An unused ephemeral port for a socket of `kind`.
    pub fn ephemeral_port(&mut self, kind: Kind) -> Result<u16> {
        let slots = &*self.slots;
        let in_use = |p| {
            slots
                .iter()
                .any(|s| s.kind == Some(kind) && s.owner != Owner::Free && s.port == p)
        };
        next_free(&mut self.next_port, in_use).ok_or(Error::AddrInUse)
    }

    /// Would slot `me` binding `ep` conflict with another socket?
    pub fn bind_conflict(&self, me: usize, ep: IpListenEndpoint) -> bool {
        conflict(self.slots, me, ep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::wire::IpAddress;

    fn slot(kind: Kind, owner: Owner, port: u16, flags: u8, backlog: u8) -> Slot {
        Slot {
            kind: Some(kind),
            owner,
            port,
            flags,
            backlog,
            ..Slot::UNUSED
        }
    }

    fn ep(port: u16) -> IpListenEndpoint {
        IpListenEndpoint { addr: None, port }
    }

    #[test]
    fn ephemeral_ports_wrap_and_skip_used_ones() {
        let mut next = EPHEMERAL.1 - 1;
        assert_eq!(next_free(&mut next, |p| p == EPHEMERAL.1), Some(60998));
        assert_eq!(next_free(&mut next, |p| p == EPHEMERAL.1), Some(32768));
        assert_eq!(next, 32769);
        assert_eq!(next_free(&mut next, |_| true), None, "all taken");
    }

    #[test]
    fn the_first_ephemeral_port_is_a_seeded_point_of_linuxs_range() {
        let firsts: std::vec::Vec<u16> = (0..64).map(first_ephemeral).collect();
        assert!(firsts.iter().all(|p| (32768..=60999).contains(p)));
        // Neighbouring seeds land far apart, not on neighbouring ports.
        let mut sorted = firsts.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert!(sorted.len() > 60, "{firsts:?}");
        assert!(sorted[sorted.len() - 1] - sorted[0] > 20000, "{firsts:?}");
        assert_eq!(first_ephemeral(7), first_ephemeral(7));
    }

    #[test]
    fn bind_conflicts_follow_linux() {
        let tcp = |owner, port, flags, backlog| slot(Kind::Tcp, owner, port, flags, backlog);
        // Port held by a connected socket: conflict unless both reuse.
        let mut slots = [
            tcp(Owner::User, 80, 0, 0),
            tcp(Owner::User, 0, flag::REUSE, 0),
        ];
        assert!(conflict(&slots, 1, ep(80)));
        slots[0].flags = flag::REUSE;
        assert!(!conflict(&slots, 1, ep(80)));
        // A listener (or its armed member) keeps its port even with reuse.
        slots[0].backlog = 5;
        assert!(conflict(&slots, 1, ep(80)));
        slots[0] = tcp(Owner::Member(3), 80, flag::REUSE, 0);
        assert!(conflict(&slots, 1, ep(80)));
        // Free slots, other ports and other addresses never conflict.
        slots[0] = tcp(Owner::Free, 80, 0, 0);
        assert!(!conflict(&slots, 1, ep(80)));
        slots[0] = tcp(Owner::User, 81, 0, 0);
        assert!(!conflict(&slots, 1, ep(80)));
        slots[0].addr = Some(IpAddress::v4(10, 0, 0, 1));
        let other = IpListenEndpoint {
            addr: Some(IpAddress::v4(10, 0, 0, 2)),
            port: 81,
        };
        assert!(!conflict(&slots, 1, other));
        assert!(conflict(&slots, 1, ep(81)), "any-address overlaps");
    }

    #[cfg(feature = "udp")]
    #[test]
    fn udp_and_tcp_ports_are_separate_and_udp_reuse_is_shared() {
        let mut slots = [
            slot(Kind::Udp, Owner::User, 53, flag::REUSE, 0),
            slot(Kind::Tcp, Owner::User, 0, 0, 0),
            slot(Kind::Udp, Owner::User, 0, flag::REUSE, 0),
        ];
        assert!(!conflict(&slots, 1, ep(53)), "TCP and UDP ports differ");
        assert!(!conflict(&slots, 2, ep(53)), "both UDP sockets reuse");
        slots[2].flags = 0;
        assert!(conflict(&slots, 2, ep(53)));
    }
}
