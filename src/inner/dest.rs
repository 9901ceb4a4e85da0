//! Special destinations, refused at once as Linux refuses them, before any
//! packet is made: multicast and broadcast for TCP, broadcast for UDP
//! (no `SO_BROADCAST`), loopback addresses on a stack without one (they must
//! never reach the wire, RFC 1122 §3.2.1.3), and, on Ethernet, the stack's
//! own address (smoltcp has no path from a socket back to its own interface).

use super::Inner;
use crate::addr::foreign_loopback;
use crate::error::{Error, Result};
use crate::slot::Kind;
use smoltcp::phy::Medium;
use smoltcp::wire::{IpAddress, IpCidr};

/// What a destination is, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Multicast,
    Broadcast,
    /// A loopback address the interface does not have.
    ForeignLoopback,
    /// One of the interface's own addresses.
    Own,
    Other,
}

/// The limited broadcast, or the directed broadcast of one of `cidrs`
/// (IPv6 has no broadcast).
fn is_broadcast(a: &IpAddress, cidrs: &[IpCidr]) -> bool {
    match a {
        #[cfg(feature = "proto-ipv4")]
        IpAddress::Ipv4(v4) => {
            v4.is_broadcast()
                || cidrs
                    .iter()
                    .any(|c| matches!(c, IpCidr::Ipv4(c) if c.broadcast() == Some(*v4)))
        }
        #[cfg(feature = "proto-ipv6")]
        IpAddress::Ipv6(_) => {
            let _ = cidrs;
            false
        }
    }
}

fn classify(dst: &IpAddress, cidrs: &[IpCidr]) -> Dest {
    let own = |a: &IpAddress| cidrs.iter().any(|c| c.address() == *a);
    if dst.is_multicast() {
        Dest::Multicast
    } else if is_broadcast(dst, cidrs) {
        Dest::Broadcast
    } else if foreign_loopback(dst, cidrs) {
        // 127.0.0.1 on a stack with 127.0.0.1/8 (smoltcp's `Loopback`) is
        // its own, as any address of the 127.0.0.0/8 net it holds.
        Dest::ForeignLoopback
    } else if own(dst) {
        Dest::Own
    } else {
        Dest::Other
    }
}

/// Linux's answer for a loopback address it has no loopback interface for:
/// `ENETUNREACH` for IPv4, `EADDRNOTAVAIL` for `::1` (checked on Linux 6,
/// `lo` down).
fn loopback_error(dst: &IpAddress) -> Error {
    match dst {
        #[cfg(feature = "proto-ipv4")]
        IpAddress::Ipv4(_) => Error::NetworkUnreachable,
        #[cfg(feature = "proto-ipv6")]
        IpAddress::Ipv6(_) => Error::AddrNotAvailable,
    }
}

impl Inner<'_> {
    /// May a socket of `kind` send to `dst` (port `port`)? An error is the
    /// answer Linux gives at once; `Ok` leaves the rest to smoltcp.
    pub fn check_destination(&self, kind: Kind, dst: IpAddress, port: u16) -> Result<()> {
        let ethernet = self.device.medium() == Medium::Ethernet;
        match (classify(&dst, self.iface.ip_addrs()), kind) {
            // TCP is one-to-one: Linux's tcp_v4_connect refuses a multicast
            // or broadcast route with ENETUNREACH.
            (Dest::Multicast | Dest::Broadcast, Kind::Tcp) => Err(Error::NetworkUnreachable),
            #[cfg(feature = "udp")]
            (Dest::Broadcast, Kind::Udp) => Err(Error::PermissionDenied),
            (Dest::ForeignLoopback, _) => Err(loopback_error(&dst)),
            // On Ethernet a segment to ourselves would only ARP for our own
            // address. With nothing listening, that is Linux's answer (its
            // RST over `lo`); with a listener, smolsock cannot loop it.
            (Dest::Own, Kind::Tcp) if ethernet => {
                if self.listening_on(dst, port) {
                    Err(Error::Unsupported)
                } else {
                    Err(Error::ConnectionRefused)
                }
            }
            _ => Ok(()),
        }
    }

    /// Does a listener of this stack take connections to `addr:port`?
    fn listening_on(&self, addr: IpAddress, port: u16) -> bool {
        self.slots.iter().any(|s| {
            s.kind == Some(Kind::Tcp)
                && s.is_listening()
                && s.port == port
                && s.addr.is_none_or(|a| a == addr)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "proto-ipv4")]
    #[test]
    fn ipv4_destinations_are_classified() {
        let cidrs = [IpCidr::new(IpAddress::v4(192, 168, 69, 2), 24)];
        let c = |a, b, c_, d| classify(&IpAddress::v4(a, b, c_, d), &cidrs);
        assert_eq!(c(224, 0, 0, 1), Dest::Multicast);
        assert_eq!(c(239, 1, 2, 3), Dest::Multicast);
        assert_eq!(c(255, 255, 255, 255), Dest::Broadcast);
        assert_eq!(c(192, 168, 69, 255), Dest::Broadcast, "directed");
        assert_eq!(c(192, 168, 70, 255), Dest::Other, "another net's");
        assert_eq!(c(127, 0, 0, 1), Dest::ForeignLoopback);
        assert_eq!(c(127, 1, 2, 3), Dest::ForeignLoopback);
        assert_eq!(c(192, 168, 69, 2), Dest::Own);
        assert_eq!(c(192, 168, 69, 1), Dest::Other);
        let lo = [IpCidr::new(IpAddress::v4(127, 0, 0, 1), 8)];
        // A loopback stack's own (smoltcp's `Loopback` carries it there).
        assert_eq!(classify(&IpAddress::v4(127, 0, 0, 1), &lo), Dest::Own);
        assert_eq!(classify(&IpAddress::v4(127, 0, 0, 9), &lo), Dest::Other);
    }

    #[cfg(feature = "proto-ipv6")]
    #[test]
    fn ipv6_destinations_are_classified() {
        let cidrs = [IpCidr::new(IpAddress::v6(0xfd00, 0, 0, 0, 0, 0, 0, 2), 64)];
        let c = |a: IpAddress| classify(&a, &cidrs);
        assert_eq!(
            c(IpAddress::v6(0xff02, 0, 0, 0, 0, 0, 0, 1)),
            Dest::Multicast
        );
        assert_eq!(
            c(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1)),
            Dest::ForeignLoopback
        );
        assert_eq!(c(IpAddress::v6(0xfd00, 0, 0, 0, 0, 0, 0, 2)), Dest::Own);
        let lo = [IpCidr::new(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1), 128)];
        assert_eq!(
            classify(&IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1), &lo),
            Dest::Own
        );
    }
}
