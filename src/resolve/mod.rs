//! Names to addresses (Python's `getaddrinfo`): a small stub resolver over a
//! UDP socket of its own, so that every outcome is told apart — no such
//! name, a failing server, an unreadable answer, no answer in time — and one
//! deadline bounds the whole resolution, the A and AAAA queries and every
//! retry included.
//!
//! The resolver's socket and its place in the socket set are the core's
//! business (`inner/dns.rs`); this module speaks DNS over it.

mod message;

use crate::error::ResolveError;
use crate::inner::Inner;
use crate::stack::{Stack, WaitEnd};
use crate::time;
use message::{Reply, MAX_NAME, MAX_QUERY};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{DnsQueryType, IpAddress, IpEndpoint};

/// The DNS port.
const PORT: u16 = 53;
/// First wait for an answer; doubled per round over all servers, up to
/// `MAX_RETRY`. Without a deadline, `ROUNDS` rounds are tried.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(4);
const ROUNDS: u32 = 3;

impl From<WaitEnd> for ResolveError {
    fn from(w: WaitEnd) -> Self {
        match w {
            WaitEnd::WouldBlock | WaitEnd::TimedOut => ResolveError::TimedOut,
            WaitEnd::Stalled => ResolveError::Stalled,
            WaitEnd::Busy => ResolveError::Busy,
        }
    }
}

/// An IP literal (`127.0.0.1`, `::1`, `[::1]`) or `localhost`, without DNS.
pub fn parse_literal(name: &str) -> Option<IpAddress> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    if let Ok(ip) = bare.parse::<core::net::IpAddr>() {
        return crate::addr::to_smol(ip).ok();
    }
    if name.eq_ignore_ascii_case("localhost") {
        #[cfg(feature = "proto-ipv4")]
        return Some(IpAddress::v4(127, 0, 0, 1));
        #[cfg(not(feature = "proto-ipv4"))]
        return Some(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1));
    }
    None
}

impl Stack<'_> {
    /// Resolve `name` to an address (Python's `getaddrinfo`, first answer).
    /// IP literals need no DNS. `timeout` bounds the whole resolution, every
    /// query included (`None`: until the DNS servers have all been tried;
    /// `Some(0)`: literals only, a name is [`ResolveError::TimedOut`](crate::ResolveError::TimedOut)).
    pub fn resolve(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
    ) -> Result<IpAddress, crate::error::ResolveError> {
        resolve(self, name, timeout)
    }
}

fn resolve(
    stack: &Stack<'_>,
    name: &str,
    timeout: Option<core::time::Duration>,
) -> Result<IpAddress, ResolveError> {
    if let Some(ip) = parse_literal(name) {
        return Ok(ip);
    }
    let mut encoded = [0; MAX_NAME];
    let len = message::encode_name(name, &mut encoded)?;
    let name = encoded.get(..len).ok_or(ResolveError::InvalidName)?;
    let deadline = time::deadline(stack.now(), timeout);
    let (h, servers) = stack.with(|i| i.dns_begin())?;
    #[cfg(feature = "proto-ipv4")]
    let r = query(stack, h, &servers, name, DnsQueryType::A, deadline);
    #[cfg(all(feature = "proto-ipv4", feature = "proto-ipv6"))]
    let r = match r {
        Err(ResolveError::NotFound) => {
            query(stack, h, &servers, name, DnsQueryType::Aaaa, deadline)
        }
        r => r,
    };
    #[cfg(not(feature = "proto-ipv4"))]
    let r = query(stack, h, &servers, name, DnsQueryType::Aaaa, deadline);
    let _ = stack.try_with(|i| i.dns_end(h));
    r
}

/// Ask for `name`'s `ty` record: each server in turn, waits doubling per
/// round, until an answer, the deadline, or (with no deadline) `ROUNDS`
/// rounds. A silent server is `TimedOut`, never `NotFound`.
fn query(
    stack: &Stack<'_>,
    h: SocketHandle,
    servers: &[IpAddress],
    name: &[u8],
    ty: DnsQueryType,
    deadline: Option<Instant>,
) -> Result<IpAddress, ResolveError> {
    let mut wait = FIRST_RETRY;
    for round in 0.. {
        if deadline.is_none() && round >= ROUNDS {
            break;
        }
        for &server in servers {
            let to = IpEndpoint::new(server, PORT);
            let id = stack.with(|i| send(i, h, to, name, ty))?;
            let now = stack.now();
            let until = match deadline {
                Some(d) if d <= now => return Err(ResolveError::TimedOut),
                Some(d) => d.min(now + wait),
                None => now + wait,
            };
            let left = time::from_smol(until - now);
            match stack.wait(Some(left), |i| receive(i, h, to, id, ty)) {
                Ok(addr) => return Ok(addr),
                Err(ResolveError::TimedOut) => {}
                Err(e) => return Err(e),
            }
        }
        wait = (wait * 2).min(MAX_RETRY);
    }
    Err(ResolveError::TimedOut)
}

/// Send one query; its transaction id.
fn send(
    i: &mut Inner<'_>,
    h: SocketHandle,
    to: IpEndpoint,
    name: &[u8],
    ty: DnsQueryType,
) -> Result<u16, ResolveError> {
    let id = i.resolver.next_id();
    let mut buf = [0; MAX_QUERY];
    let len = message::query(id, name, ty, &mut buf).ok_or(ResolveError::InvalidName)?;
    let data = buf.get(..len).ok_or(ResolveError::InvalidName)?;
    let s = i.dns_socket(h).ok_or(ResolveError::NoBufferSpace)?;
    // A full buffer (the previous try still queued) just skips this try.
    let _ = s.send_slice(data, to);
    Ok(id)
}

/// The answer among datagrams received so far, if any.
fn receive(
    i: &mut Inner<'_>,
    h: SocketHandle,
    from: IpEndpoint,
    id: u16,
    ty: DnsQueryType,
) -> Result<Option<IpAddress>, ResolveError> {
    let s = i.dns_socket(h).ok_or(ResolveError::NoBufferSpace)?;
    loop {
        let (data, meta) = match s.recv() {
            Ok(x) => x,
            Err(udp::RecvError::Exhausted) => return Ok(None),
            // Too long for the buffer: smoltcp has dropped it already.
            Err(udp::RecvError::Truncated) => continue,
        };
        if meta.endpoint != from {
            continue;
        }
        match message::parse_reply(data, id, ty) {
            Reply::Unrelated => continue,
            Reply::Address(a) => return Ok(Some(a)),
            Reply::NotFound => return Err(ResolveError::NotFound),
            Reply::Failed(e) => return Err(e),
        }
    }
}
