//! Name resolution (Python's getaddrinfo / gaierror), distinct from socket errors.
use crate::common;
use common::*;
use smolsock::ResolveError;
use smoltcp::phy::{Loopback, Medium};
use smoltcp::time::Duration;
use smoltcp::wire::IpAddress;

#[test]
fn literals_and_localhost_need_no_dns() {
    with_stack::<2, _>(|stack, _| {
        assert_eq!(
            stack.resolve("127.0.0.1", None),
            Ok(IpAddress::v4(127, 0, 0, 1))
        );
        assert_eq!(
            stack.resolve("[::1]", None),
            Ok(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1))
        );
        assert_eq!(
            stack.resolve("localhost", None),
            Ok(IpAddress::v4(127, 0, 0, 1))
        );
    });
}

#[test]
fn a_name_without_a_dns_server_is_its_own_error() {
    with_stack::<2, _>(|stack, _| {
        assert_eq!(
            stack.resolve("example.com", None),
            Err(ResolveError::NoServer)
        );
        assert_eq!(stack.resolve("", None), Err(ResolveError::InvalidName));
        assert_eq!(
            stack.resolve("bad name", None),
            Err(ResolveError::InvalidName)
        );
    });
}

#[test]
fn a_silent_dns_server_times_out_at_the_deadline_and_gives_its_slot_back() {
    let clock = SimClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<3, 1024>::new());
    // Nobody answers on 127.0.0.1:53.
    let config = Config::loopback().with_dns_server(IpAddress::v4(127, 0, 0, 1));
    let stack = Stack::new(&mut dev, &clock, &mut res, config).expect("valid config");
    // Fill the pool: the query must borrow a free slot's place, and give it back.
    let a = tcp(&stack);
    let b = tcp(&stack);
    drop(b);
    let t0 = clock.now();
    assert_eq!(
        stack.resolve("example.com", Some(core::time::Duration::from_secs(3))),
        Err(ResolveError::TimedOut)
    );
    assert_eq!(clock.now() - t0, Duration::from_secs(3));
    let b = tcp(&stack);
    assert_eq!(
        Socket::new(&stack, Domain::IPV4, Type::STREAM).err(),
        Some(Error::NoBufferSpace)
    );
    drop((a, b));
    assert!(ResolveError::NotFound.to_string().contains("not known"));
}

// ---- a scripted DNS server on the same loopback stack -----------------------

use std::cell::RefCell;
use std::rc::Rc;

/// How the test's DNS server answers a query of type A (1) or AAAA (28).
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    Address([u8; 4]),
    NxDomain,
    NoData,
    ServFail,
    Garbage,
    Silent,
    /// The address, with the TC (truncated) bit set.
    Truncated([u8; 4]),
    /// The address, padded to this many bytes (a reply over 512 bytes).
    Oversized([u8; 4], usize),
    /// These addresses, in order: 4 bytes an A record, 16 an AAAA one.
    Records(&'static [&'static [u8]]),
}

/// A simulated clock whose idle hook serves a DNS server socket first.
struct DnsClock {
    sim: SimClock,
    serve: RefCell<Option<Box<dyn FnMut() -> bool>>>,
}

impl Clock for DnsClock {
    fn now(&self) -> smoltcp::time::Instant {
        self.sim.now()
    }
    fn idle(&self, until: Option<smoltcp::time::Instant>) -> Idle {
        let served = self.serve.borrow_mut().as_mut().is_some_and(|f| f());
        if served {
            Idle::Waited
        } else {
            self.sim.idle(until)
        }
    }
}

/// The reply to query `q` per `how`.
pub(crate) fn reply(q: &[u8], how: Answer) -> Option<Vec<u8>> {
    let mut i = 12;
    while *q.get(i)? != 0 {
        i += 1 + q[i] as usize;
    }
    let question = q.get(12..i + 5)?;
    let (rcode, ips): (u8, Vec<Vec<u8>>) = match how {
        Answer::Address(ip) => (0, vec![ip.to_vec()]),
        Answer::Records(ips) => (0, ips.iter().map(|ip| ip.to_vec()).collect()),
        Answer::NxDomain => (3, vec![]),
        Answer::NoData => (0, vec![]),
        Answer::ServFail => (2, vec![]),
        Answer::Garbage => return Some(b"\x00\x01not dns".to_vec()),
        Answer::Silent => return None,
        Answer::Truncated(ip) => {
            let mut r = reply(q, Answer::Address(ip))?;
            r[2] |= 0x02;
            return Some(r);
        }
        Answer::Oversized(ip, len) => {
            let mut r = reply(q, Answer::Address(ip))?;
            r.resize(len, 0);
            return Some(r);
        }
    };
    let mut r = vec![
        q[0],
        q[1],
        0x81,
        0x80 | rcode,
        0,
        1,
        0,
        ips.len() as u8,
        0,
        0,
        0,
        0,
    ];
    r.extend_from_slice(question);
    for ip in ips {
        let ty = if ip.len() == 16 { 28 } else { 1 };
        r.extend_from_slice(&[0xc0, 12, 0, ty, 0, 1, 0, 0, 0, 60, 0, ip.len() as u8]);
        r.extend_from_slice(&ip);
    }
    Some(r)
}

/// Run `f` on a loopback stack whose DNS server (127.0.0.1:53) answers A
/// queries per `a` and AAAA queries per `aaaa`; the query types it saw.
#[track_caller]
pub(crate) fn with_dns<R>(
    a: Answer,
    aaaa: Answer,
    f: impl FnOnce(&Stack<'_>, &SimClock) -> R,
) -> (R, Vec<u16>) {
    with_dns_on(Config::loopback(), a, aaaa, f)
}

/// [`with_dns`] on a stack with `config`'s addresses.
#[track_caller]
pub(crate) fn with_dns_on<R>(
    config: Config,
    a: Answer,
    aaaa: Answer,
    f: impl FnOnce(&Stack<'_>, &SimClock) -> R,
) -> (R, Vec<u16>) {
    let clock = Box::leak(Box::new(DnsClock {
        sim: SimClock::new(),
        serve: RefCell::new(None),
    }));
    let dev = Box::leak(Box::new(Loopback::new(Medium::Ip)));
    let res = Box::leak(Box::new(StackResources::<8, 1024>::new()));
    let config = config.with_dns_server(IpAddress::v4(127, 0, 0, 1));
    let stack: &'static Stack<'static> =
        Box::leak(Box::new(Stack::new(dev, &*clock, res, config).unwrap()));
    let server = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
    server.bind(addr("127.0.0.1:53")).unwrap();
    server.set_nonblocking(true).unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    *clock.serve.borrow_mut() = Some(Box::new(move || {
        let mut q = [0u8; 512];
        let mut any = false;
        while let Ok((n, from)) = server.recv_from(&mut q) {
            let ty = u16::from_be_bytes([q[n - 4], q[n - 3]]);
            log.borrow_mut().push(ty);
            if let Some(r) = reply(&q[..n], if ty == 1 { a } else { aaaa }) {
                server.send_to(&r, from).unwrap();
                any = true;
            }
        }
        any
    }));
    let r = f(stack, &clock.sim);
    let seen = seen.borrow().clone();
    (r, seen)
}

pub(crate) const SECS: fn(u64) -> Option<core::time::Duration> =
    |s| Some(core::time::Duration::from_secs(s));

#[test]
fn an_answer_resolves() {
    let (r, seen) = with_dns(Answer::Address([10, 1, 2, 3]), Answer::Silent, |s, _| {
        s.resolve("web.test", SECS(5))
    });
    assert_eq!(r, Ok(IpAddress::v4(10, 1, 2, 3)));
    assert_eq!(seen, [1], "one A query, no retry");
}

#[test]
fn nxdomain_is_not_found_at_once_after_both_families() {
    let (r, seen) = with_dns(Answer::NxDomain, Answer::NxDomain, |s, c| {
        (s.resolve("nx.test", SECS(20)), c.now())
    });
    assert_eq!(r.0, Err(ResolveError::NotFound));
    assert!(
        r.1 < smoltcp::time::Instant::from_secs(1),
        "answered, not timed out"
    );
    assert_eq!(seen, [1, 28]);
}

#[test]
fn servfail_and_garbage_are_their_own_errors() {
    let (r, _) = with_dns(Answer::ServFail, Answer::Silent, |s, _| {
        s.resolve("web.test", SECS(20))
    });
    assert_eq!(r, Err(ResolveError::ServerFailure));
    let (r, _) = with_dns(Answer::Garbage, Answer::Silent, |s, _| {
        s.resolve("web.test", SECS(20))
    });
    assert_eq!(r, Err(ResolveError::BadResponse));
}

/// Issue 18 (7): a reply with the TC bit is its own error (no retry over
/// TCP), and a reply larger than 512 bytes is `BadResponse` at once: it was
/// dropped unseen (too large for the resolver's buffer) and the lookup
/// timed out.
#[test]
fn truncated_and_oversized_answers_are_errors_not_time_outs() {
    let (r, seen) = with_dns(Answer::Truncated([10, 1, 2, 3]), Answer::Silent, |s, c| {
        (s.resolve("web.test", SECS(20)), c.now())
    });
    assert_eq!(r.0, Err(ResolveError::Truncated));
    assert!(
        r.1 < smoltcp::time::Instant::from_secs(1),
        "answered, not timed out"
    );
    assert_eq!(seen, [1], "not asked again");
    assert!(ResolveError::Truncated
        .to_string()
        .contains("answer truncated"));
    for len in [513, 1000] {
        let (r, _) = with_dns(
            Answer::Oversized([10, 1, 2, 3], len),
            Answer::Silent,
            |s, c| (s.resolve("web.test", SECS(20)), c.now()),
        );
        assert_eq!(r.0, Err(ResolveError::BadResponse), "{len} bytes");
        assert!(
            r.1 < smoltcp::time::Instant::from_secs(1),
            "{len} bytes: not timed out"
        );
    }
    let (r, _) = with_dns(
        Answer::Oversized([10, 1, 2, 3], 512),
        Answer::Silent,
        |s, _| s.resolve("web.test", SECS(20)),
    );
    assert_eq!(
        r,
        Ok(IpAddress::v4(10, 1, 2, 3)),
        "512 bytes is a classic reply"
    );
}

#[test]
fn one_deadline_bounds_both_queries() {
    // No A record (answered at once), AAAA never answered: the AAAA query
    // gets what is left of the 5 s, not 5 s more.
    let (r, seen) = with_dns(Answer::NoData, Answer::Silent, |s, c| {
        (s.resolve("v6only.test", SECS(5)), c.now())
    });
    assert_eq!(
        r,
        (
            Err(ResolveError::TimedOut),
            smoltcp::time::Instant::from_secs(5)
        )
    );
    assert_eq!(seen[0], 1);
    assert!(
        seen[1..].iter().all(|&t| t == 28) && seen.len() >= 3,
        "AAAA retried: {seen:?}"
    );
}

#[test]
fn a_silent_server_without_a_deadline_is_asked_three_times_then_times_out() {
    let (r, seen) = with_dns(Answer::Silent, Answer::Silent, |s, c| {
        (s.resolve("web.test", None), c.now())
    });
    // Waits of 1, 2 and 4 s: a time-out, never "not found".
    assert_eq!(
        r,
        (
            Err(ResolveError::TimedOut),
            smoltcp::time::Instant::from_secs(7)
        )
    );
    assert_eq!(seen, [1, 1, 1]);
}

#[test]
fn resolve_inside_a_closure_that_holds_the_stack_is_busy() {
    with_stack::<4, _>(|stack, _| {
        let (_l, a, b) = pair(stack, 11010);
        a.send_all(b"x").unwrap();
        let mut inner = None;
        b.recv_with(|d| {
            inner = Some(stack.resolve("example.com", None));
            d.len()
        })
        .unwrap();
        assert_eq!(inner, Some(Err(ResolveError::Busy)));
    });
}
