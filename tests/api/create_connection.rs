//! Issue 20: `Stack::create_connection` is Python's
//! `socket.create_connection` (CPython 3.11 `Lib/socket.py`): every address
//! `getaddrinfo` gives is tried in order, the first connect that succeeds
//! wins, and if all fail the last error is raised (`all_errors=False`); a
//! name error is `gaierror`, not `OSError`. One difference, smolsock's rule:
//! the timeout is one deadline for the whole call (Python gives every
//! attempt the whole timeout again). The names are served by the scripted
//! DNS server of `resolve.rs`.
use crate::common::*;
use crate::resolve::{with_dns, with_dns_on, Answer, SECS};
use smolsock::{ConnectError, ResolveError};
use smoltcp::time::Instant;
use smoltcp::wire::IpAddress;

const LO1: &[u8] = &[127, 0, 0, 1];
const LO2: &[u8] = &[127, 0, 0, 2];
/// On the loopback net, but nobody's: a SYN to it is dropped unanswered.
const SILENT: &[u8] = &[127, 0, 0, 9];
/// TCP to multicast is refused at once (Linux: `ENETUNREACH`).
const MULTICAST: &[u8] = &[224, 0, 0, 1];
const V6_LO: &[u8] = &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// Two IPv4 loopback addresses and no IPv6 one (smoltcp's interface holds
/// two addresses).
fn two_v4() -> Config {
    let lo = |last| smoltcp::wire::IpCidr::new(IpAddress::v4(127, 0, 0, last), 8);
    Config::ip().with_address(lo(1)).with_address(lo(2))
}

/// A listener on `ip:port`, backlog 1, non-blocking.
fn listen_on<'s, 'a>(stack: &'s Stack<'a>, ip: &str, port: u16) -> Socket<'s, 'a> {
    let l = Socket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
    l.bind(addr(&format!("{ip}:{port}"))).unwrap();
    l.listen(1).unwrap();
    l.set_nonblocking(true).unwrap();
    l
}

#[test]
fn resolve_all_gives_the_a_answers_then_the_aaaa_ones() {
    let (r, seen) = with_dns(
        Answer::Records(&[LO2, LO1]),
        Answer::Records(&[V6_LO]),
        |s, _| s.resolve_all("dual.test", SECS(5)),
    );
    let want = [
        IpAddress::v4(127, 0, 0, 2),
        IpAddress::v4(127, 0, 0, 1),
        IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1),
    ];
    assert_eq!(r.as_ref().map(|v| v.as_slice()), Ok(&want[..]));
    assert_eq!(seen, [1, 28], "both families asked");
    // `resolve` keeps its behaviour: the first A answer, AAAA not asked.
    let (r, seen) = with_dns(
        Answer::Records(&[LO2, LO1]),
        Answer::Records(&[V6_LO]),
        |s, _| s.resolve("dual.test", SECS(5)),
    );
    assert_eq!(r, Ok(IpAddress::v4(127, 0, 0, 2)));
    assert_eq!(seen, [1]);
}

#[test]
fn resolve_all_keeps_the_a_answers_when_aaaa_fails_or_is_silent() {
    let (r, _) = with_dns(Answer::Records(&[LO1]), Answer::ServFail, |s, _| {
        s.resolve_all("v4.test", SECS(5))
    });
    assert_eq!(r.map(|v| v.len()), Ok(1));
    // A silent AAAA query holds the answer up for its first try only (1 s).
    let (r, _) = with_dns(Answer::Records(&[LO1]), Answer::Silent, |s, c| {
        (s.resolve_all("v4.test", SECS(5)).map(|v| v.len()), c.now())
    });
    assert_eq!(r, (Ok(1), Instant::from_secs(1)));
    // Neither family: not found.
    let (r, _) = with_dns(Answer::NoData, Answer::NxDomain, |s, _| {
        s.resolve_all("none.test", SECS(5))
    });
    assert_eq!(r, Err(ResolveError::NotFound));
}

#[test]
fn the_first_address_refuses_and_the_second_accepts() {
    let (r, _) = with_dns_on(
        two_v4(),
        Answer::Records(&[LO1, LO2]),
        Answer::NoData,
        |s, c| {
            // Listening on 127.0.0.2 only: 127.0.0.1:7070 refuses.
            let l = listen_on(s, "127.0.0.2", 7070);
            let c2 = s.create_connection("two.test", 7070, SECS(5)).unwrap();
            assert_eq!(c2.peer_addr().unwrap(), addr("127.0.0.2:7070"));
            assert_eq!(c2.timeout(), SECS(5));
            assert!(l.accept().is_ok(), "the listener has the connection");
            c.now()
        },
    );
    assert!(r < Instant::from_secs(1), "refused at once, not timed out");
}

#[test]
fn when_every_address_fails_the_last_error_is_the_calls() {
    let (r, _) = with_dns(
        Answer::Records(&[MULTICAST, LO1]),
        Answer::NoData,
        |s, _| s.create_connection("all.test", 7071, SECS(5)).err(),
    );
    assert_eq!(r, Some(ConnectError::Socket(Error::ConnectionRefused)));
    let (r, _) = with_dns(
        Answer::Records(&[LO1, MULTICAST]),
        Answer::NoData,
        |s, _| s.create_connection("all.test", 7071, SECS(5)).err(),
    );
    assert_eq!(r, Some(ConnectError::Socket(Error::NetworkUnreachable)));
    // Across families: the A address first, the AAAA one last.
    let (r, _) = with_dns(
        Answer::Records(&[MULTICAST]),
        Answer::Records(&[V6_LO]),
        |s, _| s.create_connection("all.test", 7071, SECS(5)).err(),
    );
    assert_eq!(r, Some(ConnectError::Socket(Error::ConnectionRefused)));
    // A family the stack has no address of: tried, and failed at once as
    // Linux fails `::1` without one (`EADDRNOTAVAIL`); the last error.
    let (r, _) = with_dns_on(
        two_v4(),
        Answer::Records(&[LO1]),
        Answer::Records(&[V6_LO]),
        |s, c| {
            (
                s.create_connection("all.test", 7071, SECS(5)).err(),
                c.now(),
            )
        },
    );
    assert_eq!(r.0, Some(ConnectError::Socket(Error::AddrNotAvailable)));
    assert!(r.1 < Instant::from_secs(1), "no time lost");
}

#[test]
fn one_deadline_for_the_whole_call_a_silent_first_address_eats_it() {
    let (r, _) = with_dns_on(
        two_v4(),
        Answer::Records(&[SILENT, LO2]),
        Answer::NoData,
        |s, c| {
            let l = listen_on(s, "127.0.0.2", 7072);
            let r = s.create_connection("slow.test", 7072, SECS(5)).err();
            // Python would give 127.0.0.2 5 s more and connect; here it gets
            // what is left, nothing.
            assert_eq!(l.accept().err(), Some(Error::WouldBlock), "never tried");
            (r, c.now())
        },
    );
    assert_eq!(
        r,
        (
            Some(ConnectError::Socket(Error::TimedOut)),
            Instant::from_secs(5)
        )
    );
}

#[test]
fn a_name_error_stays_a_resolve_error() {
    let (r, _) = with_dns(Answer::NxDomain, Answer::NxDomain, |s, _| {
        s.create_connection("nx.test", 80, SECS(5)).err()
    });
    assert_eq!(r, Some(ConnectError::Resolve(ResolveError::NotFound)));
    let (r, _) = with_dns(Answer::Silent, Answer::Silent, |s, c| {
        (s.create_connection("mute.test", 80, SECS(3)).err(), c.now())
    });
    assert_eq!(
        r,
        (
            Some(ConnectError::Resolve(ResolveError::TimedOut)),
            Instant::from_secs(3)
        )
    );
}

/// The async resolver shares the state machine: the same list, in the same
/// order, served by a DNS server task.
#[test]
fn resolve_all_async_gives_the_same_list() {
    use crate::common::sim_exec::block_on_sim;
    use futures_util::future::{select, Either};
    use smolsock::asynch::AsyncSocket;
    use std::pin::pin;
    let clock = SimClock::new();
    let mut dev = smoltcp::phy::Loopback::new(smoltcp::phy::Medium::Ip);
    let mut res = Box::new(StackResources::<4, 1024>::new());
    let config = Config::loopback().with_dns_server(IpAddress::v4(127, 0, 0, 1));
    let stack = Stack::new(&mut dev, &clock, &mut res, config).expect("valid config");
    let server = AsyncSocket::new(&stack, Domain::IPV4, Type::DGRAM).unwrap();
    server.bind(addr("127.0.0.1:53")).unwrap();
    let serve = async {
        let mut q = [0u8; 512];
        loop {
            let (n, from) = server.recv_from(&mut q).await.unwrap();
            let ty = u16::from_be_bytes([q[n - 4], q[n - 3]]);
            let how = if ty == 1 {
                Answer::Records(&[LO2, LO1])
            } else {
                Answer::Records(&[V6_LO])
            };
            if let Some(r) = crate::resolve::reply(&q[..n], how) {
                server.send_to(&r, from).await.unwrap();
            }
        }
    };
    let r = block_on_sim(&stack, &clock, async {
        match select(
            pin!(stack.resolve_all_async("dual.test", SECS(5))),
            pin!(serve),
        )
        .await
        {
            Either::Left((r, _)) => r,
            Either::Right(..) => unreachable!("the server serves forever"),
        }
    });
    let want = [
        IpAddress::v4(127, 0, 0, 2),
        IpAddress::v4(127, 0, 0, 1),
        IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1),
    ];
    assert_eq!(r.as_ref().map(|v| v.as_slice()), Ok(&want[..]));
}
