//! Names to addresses (Python's `getaddrinfo`): a small stub resolver over a
//! UDP socket of its own, so that every outcome is told apart — no such
//! name, a failing server, an unreadable answer, no answer in time — and one
//! deadline bounds the whole resolution, the A and AAAA queries and every
//! retry included.
//!
//! The resolver's socket (its own entry of the socket set, for the stack's
//! whole life) is the core's business (`inner/dns.rs`); this module speaks
//! DNS over it.

mod message;

use crate::error::ResolveError;
use crate::inner::Inner;
use crate::slot::Kind;
use crate::stack::{Op, Stack, TryResult, WaitEnd};
use crate::time;
pub use message::{Addresses, MAX_ADDRESSES};
use message::{Reply, MAX_NAME, MAX_QUERY};
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

impl Stack<'_> {
    /// Resolve `name` to an address (Python's `getaddrinfo`, first answer).
    /// IP literals need no DNS. `timeout` bounds the whole resolution, every
    /// query included (`None`: until the DNS servers have all been tried;
    /// `Some(0)`: literals only, a name is [`ResolveError::TimedOut`](crate::ResolveError::TimedOut)).
    /// A name with no DNS server configured is
    /// [`ResolveError::NoServer`](crate::ResolveError::NoServer), whatever the timeout.
    /// The A query comes first; AAAA is asked only if the name has no A
    /// record. [`resolve_all`](Self::resolve_all) gives every address.
    pub fn resolve(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
    ) -> Result<IpAddress, ResolveError> {
        first(self.resolve_with(name, timeout, false))
    }

    /// Every address of `name`, in the order to try them (Python's
    /// `getaddrinfo` list, as glibc orders it for a dual-stack host): the A
    /// answers, then the AAAA ones, at most [`MAX_ADDRESSES`] in all
    /// (more are dropped). Both queries are asked, under the one deadline of
    /// `timeout`, as in [`resolve`](Self::resolve). When the A query has
    /// answered, a failing or silent AAAA query (one try's wait, at most
    /// 1 s) leaves the A answers as the result; a name with neither is
    /// [`ResolveError::NotFound`](crate::ResolveError::NotFound). A literal is
    /// a list of one.
    ///
    /// ```
    /// use smolsock::{Config, SimClock, Stack, StackResources};
    /// use smolsock::smoltcp::phy::{Loopback, Medium};
    /// use smolsock::smoltcp::wire::IpAddress;
    ///
    /// let clock = SimClock::new();
    /// let mut dev = Loopback::new(Medium::Ip);
    /// let mut res = StackResources::<2, 1024>::new();
    /// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    /// let all = stack.resolve_all("127.0.0.1", None).expect("a literal");
    /// assert_eq!(all.as_slice(), [IpAddress::v4(127, 0, 0, 1)]);
    /// ```
    pub fn resolve_all(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
    ) -> Result<Addresses, ResolveError> {
        self.resolve_with(name, timeout, true)
    }

    /// The blocking driver of a [`Resolution`]: the first answer, or (`all`)
    /// every one.
    fn resolve_with(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
        all: bool,
    ) -> Result<Addresses, ResolveError> {
        if let Some(ip) = parse_literal(name) {
            return Ok(literal(ip));
        }
        let mut encoded = [0; MAX_NAME];
        let mut r = Resolution::start(self, name, timeout, all, &mut encoded)?;
        loop {
            let q = r.next_query()?;
            if let Some(done) = r.on_outcome(self.block(Some(q.wait), q.answer())) {
                return done;
            }
        }
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
        first(self.resolve_with_async(name, timeout, false).await)
    }

    /// [`resolve_all`](Self::resolve_all) as a future (feature `async`),
    /// as [`resolve_async`](Self::resolve_async) is `resolve`'s.
    #[cfg(feature = "async")]
    pub async fn resolve_all_async(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
    ) -> Result<Addresses, ResolveError> {
        self.resolve_with_async(name, timeout, true).await
    }

    /// The async driver of a [`Resolution`], as [`resolve_with`](Self::resolve_with).
    #[cfg(feature = "async")]
    async fn resolve_with_async(
        &self,
        name: &str,
        timeout: Option<core::time::Duration>,
        all: bool,
    ) -> Result<Addresses, ResolveError> {
        use crate::waiters::Waiter;
        if let Some(ip) = parse_literal(name) {
            return Ok(literal(ip));
        }
        let mut encoded = [0; MAX_NAME];
        let mut r = Resolution::start(self, name, timeout, all, &mut encoded)?;
        loop {
            let q = r.next_query()?;
            let outcome = self.wait_async(Waiter::Dns, Some(q.wait), q.answer()).await;
            if let Some(done) = r.on_outcome(outcome) {
                return done;
            }
        }
    }
}

/// A literal as a list of one.
fn literal(ip: IpAddress) -> Addresses {
    core::iter::once(ip).collect()
}

/// The first address of a resolution.
fn first(r: Result<Addresses, ResolveError>) -> Result<IpAddress, ResolveError> {
    r?.first().copied().ok_or(ResolveError::NotFound)
}

/// One resolution as a small state machine, driven by a loop in each front
/// end: [`next_query`](Self::next_query) sends the next query (whom to ask,
/// how long to wait), [`on_outcome`](Self::on_outcome) says what its answer
/// or its silence means. The A query, then the AAAA one (only if that name
/// has no A record, unless `all`), each server in turn with its retries,
/// all under one deadline.
struct Resolution<'s, 'a, 'n> {
    /// The resolver, held until the resolution is dropped.
    query: Resolving<'s, 'a>,
    /// The name in DNS form.
    name: &'n [u8],
    /// Of the whole resolution.
    deadline: Option<Instant>,
    /// Which of [`QUERY_TYPES`] is asked now.
    ty: usize,
    tries: Tries,
    /// Every record type is asked ([`Stack::resolve_all`]), not only until
    /// the first answer.
    all: bool,
    /// The answers so far (with `all`).
    found: Addresses,
}

impl<'s, 'a, 'n> Resolution<'s, 'a, 'n> {
    /// `name` (not a literal) checked and encoded into `buf`, with the
    /// resolver's socket taken for it.
    fn start(
        stack: &'s Stack<'a>,
        name: &str,
        timeout: Option<core::time::Duration>,
        all: bool,
        buf: &'n mut [u8; MAX_NAME],
    ) -> Result<Self, ResolveError> {
        let len = message::encode_name(name, buf)?;
        let name = buf.get(..len).ok_or(ResolveError::InvalidName)?;
        let deadline = time::deadline(stack.now(), timeout);
        Ok(Resolution {
            query: Resolving::start(stack)?,
            name,
            deadline,
            ty: 0,
            tries: Tries::new(),
            all,
            found: Addresses::new(),
        })
    }

    /// Send the next query (its answer is awaited as [`Query::answer`],
    /// for at most [`Query::wait`]); `TimedOut` when no try is left.
    fn next_query(&mut self) -> Result<Query, ResolveError> {
        let stack = self.query.stack;
        let ty = *QUERY_TYPES.get(self.ty).ok_or(ResolveError::NotFound)?;
        let (to, wait) = self
            .tries
            .next(&self.query.servers, self.deadline, stack.now())?;
        let name = self.name;
        let id = stack.with_core(|core| send(core, to, name, ty))??;
        Ok(Query { to, id, ty, wait })
    }

    /// Add `more` to the answers found, as far as they fit.
    fn keep(&mut self, more: Addresses) {
        for ip in more {
            let _ = self.found.push(ip);
        }
    }

    /// The end of the resolution on `r`: with answers found already
    /// (`all`, the A query answered), those, whatever `r` says.
    fn end(
        &mut self,
        r: Result<Addresses, ResolveError>,
    ) -> Option<Result<Addresses, ResolveError>> {
        match r {
            Ok(more) => {
                self.keep(more);
                Some(Ok(core::mem::take(&mut self.found)))
            }
            Err(_) if !self.found.is_empty() => Some(Ok(core::mem::take(&mut self.found))),
            Err(e) => Some(Err(e)),
        }
    }

    /// What the wait for an answer ended with: `Some`, the resolution's
    /// outcome; `None`, ask again ([`next_query`](Self::next_query)).
    fn on_outcome(
        &mut self,
        r: Result<Addresses, ResolveError>,
    ) -> Option<Result<Addresses, ResolveError>> {
        match r {
            Err(ResolveError::TimedOut) => self.on_timeout(),
            r => self.on_reply(r),
        }
    }

    /// No answer in time: the next try (`next_query` says when none is
    /// left), unless answers were found already: a silent AAAA query does
    /// not hold up the A answers beyond its first try.
    fn on_timeout(&mut self) -> Option<Result<Addresses, ResolveError>> {
        if self.found.is_empty() {
            None
        } else {
            self.end(Err(ResolveError::TimedOut))
        }
    }

    /// A reply: addresses, or an error, end the resolution, except no such
    /// name for one record type, which asks for the next type, and (with
    /// `all`) addresses, which are kept and ask for the next type too.
    fn on_reply(
        &mut self,
        r: Result<Addresses, ResolveError>,
    ) -> Option<Result<Addresses, ResolveError>> {
        let next = self.ty + 1 < QUERY_TYPES.len();
        // With the deadline passed, the answers so far are the result.
        let now = self.query.stack.now();
        let time_left = self.deadline.is_none_or(|d| d > now);
        match r {
            Err(ResolveError::NotFound) if next => {}
            Ok(more) if self.all && next && time_left => self.keep(more),
            r => return self.end(r),
        }
        self.ty += 1;
        self.tries = Tries::new();
        None
    }
}

/// One resolution holding the resolver's socket (one at a time), until
/// dropped: a resolution cut short (a dropped future) frees it too.
struct Resolving<'s, 'a> {
    stack: &'s Stack<'a>,
    servers: crate::inner::Servers,
}

impl<'s, 'a> Resolving<'s, 'a> {
    fn start(stack: &'s Stack<'a>) -> Result<Self, ResolveError> {
        let servers = stack.with_core(|core| core.start_resolution())??;
        Ok(Resolving { stack, servers })
    }
}

impl Drop for Resolving<'_, '_> {
    fn drop(&mut self) {
        let _ = self.stack.with_core(|core| core.end_resolution());
    }
}

/// One query sent: where, with which id and type, and how long its answer
/// is waited for.
struct Query {
    to: IpEndpoint,
    id: u16,
    ty: DnsQueryType,
    wait: core::time::Duration,
}

impl Query {
    /// Waiting for the answer (an `Op`, for either front end).
    fn answer<'a>(&self) -> Op<impl FnMut(&mut Inner<'a>) -> TryResult<Addresses, ResolveError>> {
        let Query { to, id, ty, .. } = *self;
        Op::read(move |core: &mut Inner<'a>| receive(core, to, id, ty))
    }
}

/// The tries of one query: each server in turn, the wait doubling per round
/// up to `MAX_RETRY`, until the deadline or (with none) `ROUNDS` rounds. A
/// silent server is `TimedOut`, never `NotFound`.
struct Tries {
    wait: Duration,
    round: u32,
    next: usize,
}

impl Tries {
    fn new() -> Self {
        Tries {
            wait: FIRST_RETRY,
            round: 0,
            next: 0,
        }
    }

    /// The next try at `now`: whom of `servers` to ask, and how long to
    /// wait for the answer; `TimedOut` when no try is left.
    fn next(
        &mut self,
        servers: &[IpAddress],
        deadline: Option<Instant>,
        now: Instant,
    ) -> Result<(IpEndpoint, core::time::Duration), ResolveError> {
        if self.next >= servers.len() {
            self.next = 0;
            self.round += 1;
            self.wait = (self.wait * 2).min(MAX_RETRY);
        }
        let server = servers.get(self.next).ok_or(ResolveError::NoServer)?;
        if deadline.is_none() && self.round >= ROUNDS {
            return Err(ResolveError::TimedOut);
        }
        self.next += 1;
        let until = match deadline {
            Some(d) if d <= now => return Err(ResolveError::TimedOut),
            Some(d) => d.min(now + self.wait),
            None => now + self.wait,
        };
        Ok((IpEndpoint::new(*server, PORT), time::from_smol(until - now)))
    }
}

/// Send one query; its transaction id.
fn send(
    core: &mut Inner<'_>,
    to: IpEndpoint,
    name: &[u8],
    ty: DnsQueryType,
) -> Result<u16, ResolveError> {
    let id = core.resolver.next_id();
    let mut buf = [0; MAX_QUERY];
    let len = message::query(id, name, ty, &mut buf).ok_or(ResolveError::InvalidName)?;
    let data = buf.get(..len).ok_or(ResolveError::InvalidName)?;
    // A server the stack must not send to (a loopback address set by
    // `set_dns_servers` on a stack without one) is never asked: the try
    // passes unanswered, as for a silent server.
    if core.check_destination(Kind::Udp, to.addr, to.port).is_err() {
        return Ok(id);
    }
    let s = core.dns_socket();
    // A full buffer (the previous try still queued) just skips this try.
    let _ = s.send_slice(data, to);
    Ok(id)
}

/// The answer among datagrams received so far, if any.
fn receive(
    core: &mut Inner<'_>,
    from: IpEndpoint,
    id: u16,
    ty: DnsQueryType,
) -> Result<Option<Addresses>, ResolveError> {
    let s = core.dns_socket();
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
            Reply::Addresses(a) => return Ok(Some(a)),
            Reply::NotFound => return Err(ResolveError::NotFound),
            Reply::Failed(e) => return Err(e),
        }
    }
}
