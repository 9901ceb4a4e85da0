//! Addresses: `core::net::SocketAddr` outside, smoltcp endpoints inside.

use crate::error::{Error, Result};
use core::net::{IpAddr, SocketAddr};
use smoltcp::wire::{IpAddress, IpCidr, IpEndpoint};

/// A socket address, as Python's `(host, port)` tuple: `core::net::SocketAddr`.
pub type SockAddr = SocketAddr;

/// Is `a` a loopback address (127.0.0.0/8, `::1`)?
pub(crate) fn is_loopback(a: &IpAddress) -> bool {
    match a {
        #[cfg(feature = "proto-ipv4")]
        IpAddress::Ipv4(a) => a.is_loopback(),
        #[cfg(feature = "proto-ipv6")]
        IpAddress::Ipv6(a) => a.is_loopback(),
    }
}

/// A loopback address `dst` no interface address of `cidrs` holds: packets
/// to it would leave on the link, which they never may (RFC 1122 §3.2.1.3).
/// (smoltcp's `Loopback` stack holds 127.0.0.1/8 and `::1`.)
pub(crate) fn foreign_loopback(dst: &IpAddress, cidrs: &[IpCidr]) -> bool {
    is_loopback(dst)
        && !cidrs
            .iter()
            .any(|c| c.contains_addr(dst) && is_loopback(&c.address()))
}

/// smoltcp's address for `ip`; `Unsupported` when this build lacks its family.
pub(crate) fn to_smol(ip: IpAddr) -> Result<IpAddress> {
    match ip {
        #[cfg(feature = "proto-ipv4")]
        IpAddr::V4(a) => Ok(IpAddress::Ipv4(a)),
        #[cfg(feature = "proto-ipv6")]
        IpAddr::V6(a) => Ok(IpAddress::Ipv6(a)),
        #[allow(unreachable_patterns)]
        _ => Err(Error::Unsupported),
    }
}

/// The address, or `None` for the unspecified address (bind to any).
pub(crate) fn bind_addr(ip: IpAddr) -> Result<Option<IpAddress>> {
    Ok(if ip.is_unspecified() {
        None
    } else {
        Some(to_smol(ip)?)
    })
}

pub(crate) fn endpoint(a: SocketAddr) -> Result<IpEndpoint> {
    Ok(IpEndpoint::new(to_smol(a.ip())?, a.port()))
}

pub(crate) fn sockaddr(ep: IpEndpoint) -> SocketAddr {
    SocketAddr::new(ep.addr.into(), ep.port)
}

/// The unspecified address of a domain, with a port.
pub(crate) fn unspecified(v6: bool, port: u16) -> SocketAddr {
    if v6 {
        SocketAddr::new(IpAddr::V6(core::net::Ipv6Addr::UNSPECIFIED), port)
    } else {
        SocketAddr::new(IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED), port)
    }
}
