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
use crate::slot::Kind;
use crate::stack::{Op, Stack, WaitEnd};
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

/// The record types asked for, in order: the next only when the one before
/// found no such name.
const QUERY_TYPES: &[DnsQueryType] = &[
    #[cfg(feature = "proto-ipv4")]
    DnsQueryType::A,
    #[cfg(feature = "proto-ipv6")]
    DnsQueryType::Aaaa,
];

/// The one body of a resolution, for both front ends: `$wait` waits for the
/// answer `$answer` (an `Op`) for at most `$left` (it ends in `.await` in the
/// async one). Literals need no query; the A query, then (only if that name
/// has no A record) the AAAA one, each server in turn with its retries, all
/// under one deadline.
macro_rules! resolution {
    ($stack:expr, $name:expr, $timeout:expr, |$answer:ident, $left:ident| $wait:expr) => {{
        let stack = $stack;
        let mut encoded = [0; MAX_NAME];
        let (name, deadline) = match prepare(stack, $name, $timeout, &mut encoded)? {
            Prepared::Literal(ip) => return Ok(ip),
            Prepared::Name(name, deadline) => (name, deadline),
        };
        let query = Lease::take(stack)?;
        let mut r = Err(ResolveError::NotFound);
        for &ty in QUERY_TYPES {
            let mut tries = Tries::new(&query.servers, deadline);
            r = loop {
                let (to, $left) = match tries.next(stack.now()) {
                    Ok(t) => t,
                    Err(e) => break Err(e),
                };
                let id = stack.with(|i| send(i, query.h, to, name, ty))?;
                let $answer = Op::read(|i: &mut Inner<'_>| receive(i, query.h, to, id, ty));
                match $wait {
                    Err(ResolveError::TimedOut) => {}
                    r => break r,
                }
            };
            if r != Err(ResolveError::NotFound) {
                break;
            }
        }
        r
    }};
}

impl Stack<'_> {
    /// Resolve `name` to an address (Python's `getaddrinfo`, first answer).
    /// IP literals need no DNS. `timeout` bounds the whole resolution, every
    /// query included (`None`: until the DNS servers have all been tried;
    /// `Some(0)`: literals only, a name is [`ResolveError::TimedOut`](crate::ResolveError::TimedOut)).
    /// A name with no DNS server configured is
    /// [`ResolveError::NoServer`](crate::ResolveError::NoServer), whatever the timeout.
    pub fn resolve(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
    ) -> Result<IpAddress, ResolveError> {
        resolution!(self, name, timeout, |answer, left| self
            .block(Some(left), answer))
    }

    /// [`resolve`](Self::resolve) as a future (feature `async`): the same
    /// queries, retries and one deadline, waiting on the runner
    /// ([`Stack::run`]) instead of polling. One resolution at a time per
    /// stack: the resolver has one socket (a second one is
    /// [`ResolveError::NoBufferSpace`](crate::ResolveError::NoBufferSpace)).
    #[cfg(feature = "async")]
    pub async fn resolve_async(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
    ) -> Result<IpAddress, ResolveError> {
        use crate::waiters::Waiter;
        resolution!(self, name, timeout, |answer, left| self
            .wait_async(Waiter::Dns, Some(left), answer)
            .await)
    }
}

enum Prepared<'n> {
    Literal(IpAddress),
    /// The name in DNS form, and the deadline of the whole resolution.
    Name(&'n [u8], Option<Instant>),
}

/// A literal needs no query; a name is checked and encoded into `buf`.
fn prepare<'n>(
    stack: &Stack<'_>,
    name: &str,
    timeout: Option<core::time::Duration>,
    buf: &'n mut [u8; MAX_NAME],
) -> Result<Prepared<'n>, ResolveError> {
    if let Some(ip) = parse_literal(name) {
        return Ok(Prepared::Literal(ip));
    }
    let len = message::encode_name(name, buf)?;
    let name = buf.get(..len).ok_or(ResolveError::InvalidName)?;
    Ok(Prepared::Name(name, time::deadline(stack.now(), timeout)))
}

/// The resolver's socket, lent for one resolution and given back when
/// dropped (a resolution cut short, such as a dropped future, included).
struct Lease<'s, 'a> {
    stack: &'s Stack<'a>,
    h: SocketHandle,
    servers: crate::inner::Servers,
}

impl<'s, 'a> Lease<'s, 'a> {
    fn take(stack: &'s Stack<'a>) -> Result<Self, ResolveError> {
        let (h, servers) = stack.with(|i| i.dns_begin())?;
        Ok(Lease { stack, h, servers })
    }
}

impl Drop for Lease<'_, '_> {
    fn drop(&mut self) {
        let h = self.h;
        let _ = self.stack.try_with(|i| i.dns_end(h));
    }
}

/// The tries of one query: each server in turn, the wait doubling per round
/// up to `MAX_RETRY`, until the deadline or (with none) `ROUNDS` rounds. A
/// silent server is `TimedOut`, never `NotFound`.
struct Tries<'s> {
    servers: &'s [IpAddress],
    deadline: Option<Instant>,
    wait: Duration,
    round: u32,
    next: usize,
}

impl<'s> Tries<'s> {
    fn new(servers: &'s [IpAddress], deadline: Option<Instant>) -> Self {
        Tries {
            servers,
            deadline,
            wait: FIRST_RETRY,
            round: 0,
            next: 0,
        }
    }

    /// The next try at `now`: whom to ask, and how long to wait for the
    /// answer; `TimedOut` when no try is left.
    fn next(&mut self, now: Instant) -> Result<(IpEndpoint, core::time::Duration), ResolveError> {
        if self.next >= self.servers.len() {
            self.next = 0;
            self.round += 1;
            self.wait = (self.wait * 2).min(MAX_RETRY);
        }
        let server = self.servers.get(self.next).ok_or(ResolveError::NoServer)?;
        if self.deadline.is_none() && self.round >= ROUNDS {
            return Err(ResolveError::TimedOut);
        }
        self.next += 1;
        let until = match self.deadline {
            Some(d) if d <= now => return Err(ResolveError::TimedOut),
            Some(d) => d.min(now + self.wait),
            None => now + self.wait,
        };
        Ok((IpEndpoint::new(*server, PORT), time::from_smol(until - now)))
    }
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
    // A server the stack must not send to (a loopback address set by
    // `set_dns_servers` on a stack without one) is never asked: the try
    // passes unanswered, as for a silent server.
    if i.check_destination(Kind::Udp, to.addr, to.port).is_err() {
        return Ok(id);
    }
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
