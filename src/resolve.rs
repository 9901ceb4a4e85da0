//! Names to addresses through smoltcp's DNS socket (Python's `getaddrinfo`).
//!
//! The DNS socket sits outside the socket set between queries; a query
//! borrows a place in the set (lending out a free slot's socket if needed)
//! and gives it back when it ends, whatever the outcome.

use crate::inner::Inner;
use crate::slot::Use;
use crate::{ResolveError, Stack};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::dns::{self, GetQueryResultError, QueryHandle, StartQueryError};
use smoltcp::socket::{AnySocket, Socket as AnySock};
use smoltcp::wire::{DnsQueryType, IpAddress};

/// An IP literal (`127.0.0.1`, `::1`, `[::1]`) or `localhost`, without DNS.
pub fn parse_literal(name: &str) -> Option<IpAddress> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    if let Ok(ip) = bare.parse::<core::net::IpAddr>() {
        return match ip {
            #[cfg(feature = "proto-ipv4")]
            core::net::IpAddr::V4(v4) => Some(IpAddress::Ipv4(v4)),
            #[cfg(feature = "proto-ipv6")]
            core::net::IpAddr::V6(v6) => Some(IpAddress::Ipv6(v6)),
            #[allow(unreachable_patterns)]
            _ => None,
        };
    }
    if name.eq_ignore_ascii_case("localhost") {
        #[cfg(feature = "proto-ipv4")]
        return Some(IpAddress::v4(127, 0, 0, 1));
        #[cfg(not(feature = "proto-ipv4"))]
        return Some(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1));
    }
    None
}

pub(crate) fn resolve(
    stack: &Stack<'_>,
    name: &str,
    timeout: Option<core::time::Duration>,
) -> Result<IpAddress, ResolveError> {
    if let Some(ip) = parse_literal(name) {
        return Ok(ip);
    }
    if name.is_empty() || name.len() > 253 || name.bytes().any(|b| b <= b' ' || b == b'/') {
        return Err(ResolveError::InvalidName);
    }
    #[cfg(feature = "proto-ipv4")]
    let first = DnsQueryType::A;
    #[cfg(not(feature = "proto-ipv4"))]
    let first = DnsQueryType::Aaaa;
    let h = stack.with_mut(|i| begin(i))?;
    let r = query(stack, h, name, first, timeout);
    #[cfg(all(feature = "proto-ipv4", feature = "proto-ipv6"))]
    let r = match r {
        Err(ResolveError::NotFound) => query(stack, h, name, DnsQueryType::Aaaa, timeout),
        r => r,
    };
    stack.with_mut(|i| end(i, h));
    r
}

fn dns_of<'s, 'a>(i: &'s mut Inner<'a>, h: SocketHandle) -> Option<&'s mut dns::Socket<'a>> {
    i.set
        .iter_mut()
        .find(|(x, _)| *x == h)
        .and_then(|(_, s)| dns::Socket::downcast_mut(s))
}

fn query(
    stack: &Stack<'_>,
    h: SocketHandle,
    name: &str,
    ty: DnsQueryType,
    timeout: Option<core::time::Duration>,
) -> Result<IpAddress, ResolveError> {
    let q: QueryHandle = stack.with_mut(|i| {
        let (iface, set) = (&mut i.iface, &mut i.set);
        let d = set
            .iter_mut()
            .find(|(x, _)| *x == h)
            .and_then(|(_, s)| dns::Socket::downcast_mut(s))
            .ok_or(ResolveError::NoBufferSpace)?;
        d.start_query(iface.context(), name, ty)
            .map_err(|e| match e {
                StartQueryError::NoFreeSlot => ResolveError::NoBufferSpace,
                StartQueryError::InvalidName | StartQueryError::NameTooLong => {
                    ResolveError::InvalidName
                }
            })
    })?;
    let timeout = match timeout {
        Some(t) if t.is_zero() => None,
        t => t,
    };
    let r = stack.wait(timeout, |i| {
        let d = dns_of(i, h)?;
        match d.get_query_result(q) {
            Ok(addrs) => Some(addrs.first().copied().ok_or(ResolveError::NotFound)),
            Err(GetQueryResultError::Pending) => None,
            Err(GetQueryResultError::Failed) => Some(Err(ResolveError::NotFound)),
        }
    });
    // A query that ended (answer or failure) has freed its slot already; only
    // one still pending is cancelled.
    if matches!(r, Err(ResolveError::TimedOut | ResolveError::Stalled)) {
        stack.with_mut(|i| {
            if let Some(d) = dns_of(i, h) {
                d.cancel_query(q);
            }
        });
    }
    r
}

/// Put the DNS socket into the set, lending out a free slot's socket if the
/// set is full.
fn begin(i: &mut Inner<'_>) -> Result<SocketHandle, ResolveError> {
    if i.dns_servers == 0 {
        return Err(ResolveError::NoServer);
    }
    if i.set.iter().count() >= i.slots.len() {
        let idx = i
            .slots
            .iter()
            .position(|s| s.use_ == Use::Free && s.handle.is_some())
            .ok_or(ResolveError::NoBufferSpace)?;
        let slot = i.slots.get_mut(idx).ok_or(ResolveError::NoBufferSpace)?;
        let h = slot.handle.take().ok_or(ResolveError::NoBufferSpace)?;
        slot.use_ = Use::Parked;
        let sock = i.set.remove(h);
        i.parked = Some((idx as u16, sock));
    }
    let d = i.dns.take().ok_or(ResolveError::NoBufferSpace)?;
    Ok(i.set.add(d))
}

/// Take the DNS socket out of the set and put back what was lent.
fn end(i: &mut Inner<'_>, h: SocketHandle) {
    if let AnySock::Dns(d) = i.set.remove(h) {
        i.dns = Some(d);
    }
    if let Some((idx, sock)) = i.parked.take() {
        let nh = i.set.add(sock);
        if let Some(s) = i.slots.get_mut(idx as usize) {
            s.handle = Some(nh);
            s.use_ = Use::Free;
        }
    }
}
