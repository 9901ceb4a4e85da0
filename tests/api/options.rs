//! Socket options: keep-alive, linger, TTL, buffer sizes, `SO_ERROR`, and
//! `Stack::create_connection`, on
//! simulated time, over a loopback that records every packet and can go
//! silent (a peer that stops answering).

use crate::common;

use common::hooked_loopback::HookedLoopback;
use common::*;
use core::time::Duration;
use smolsock::{ConnectError, ResolveError, TcpKeepalive};
use smoltcp::time::Duration as SmolDuration;
use smoltcp::wire::{Ipv4Packet, TcpPacket, UdpPacket};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

type Seen = Rc<RefCell<Vec<Vec<u8>>>>;

/// Run `f` with a stack on a recording loopback that can be cut: (stack, clock, packets seen, cut switch).
fn with_tap<R>(f: impl FnOnce(&Stack<'_>, &SimClock, &Seen, &Cell<bool>) -> R) -> R {
    let seen: Seen = Rc::default();
    let cut = Rc::new(Cell::new(false));
    let (log, off) = (seen.clone(), cut.clone());
    // Keep a copy of every packet sent; drop everything while `cut` is set.
    let mut dev = HookedLoopback::new(move |p: &[u8]| {
        log.borrow_mut().push(p.to_vec());
        !off.get()
    });
    let clock = SimClock::new();
    let mut res = Box::new(StackResources::<6, 2048>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    f(&stack, &clock, &seen, &cut)
}

/// (TTL, source port, payload length) of each IPv4 TCP or UDP packet seen.
fn headers(seen: &Seen) -> Vec<(u8, u16, usize)> {
    seen.borrow()
        .iter()
        .filter_map(|p| {
            let ip = Ipv4Packet::new_checked(&p[..]).ok()?;
            let ttl = ip.hop_limit();
            match ip.next_header() {
                smoltcp::wire::IpProtocol::Tcp => {
                    let t = TcpPacket::new_checked(ip.payload()).ok()?;
                    Some((ttl, t.src_port(), t.payload().len()))
                }
                smoltcp::wire::IpProtocol::Udp => {
                    let u = UdpPacket::new_checked(ip.payload()).ok()?;
                    Some((ttl, u.src_port(), u.payload().len()))
                }
                _ => None,
            }
        })
        .collect()
}

fn port(s: &Socket) -> u16 {
    s.local_addr().unwrap().port()
}

#[test]
fn ttl_is_in_the_ip_header_of_sent_packets() {
    with_tap(|stack, _, seen, _| {
        let (_l, c, s) = pair(stack, 7301);
        assert_eq!(c.ttl(), Ok(64));
        c.set_ttl(5).unwrap();
        assert_eq!(c.ttl(), Ok(5));
        seen.borrow_mut().clear();
        c.send_all(b"hello").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Ok(5));
        let h = headers(seen);
        let ours: Vec<_> = h
            .iter()
            .filter(|(_, p, n)| *p == port(&c) && *n == 5)
            .collect();
        assert_eq!(ours.len(), 1, "{h:?}");
        assert_eq!(ours[0].0, 5);
        // The peer's ACK keeps the default.
        assert!(
            h.iter().any(|(ttl, p, _)| *p == 7301 && *ttl == 64),
            "{h:?}"
        );

        let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        u.bind(addr("127.0.0.1:9301")).unwrap();
        u.set_ttl(200).unwrap();
        seen.borrow_mut().clear();
        u.send_to(b"d", addr("127.0.0.1:9301")).unwrap();
        stack.poll(stack.now());
        assert_eq!(headers(seen), [(200, 9301, 1)]);
    });
}

#[test]
fn ttl_out_of_range_is_invalid_and_hops_v6_need_an_ipv6_socket() {
    with_stack::<4, _>(|stack, _| {
        let c = tcp(stack);
        assert_eq!(c.set_ttl(0), Err(Error::InvalidInput));
        assert_eq!(c.set_ttl(256), Err(Error::InvalidInput));
        assert_eq!(c.unicast_hops_v6(), Err(Error::InvalidInput));
        let v6 = Socket::new(stack, Domain::IPV6, Type::STREAM).unwrap();
        assert_eq!(v6.unicast_hops_v6(), Ok(64));
        v6.set_unicast_hops_v6(9).unwrap();
        assert_eq!(v6.unicast_hops_v6(), Ok(9));
    });
}

#[test]
fn a_reused_slot_starts_with_default_options() {
    with_stack::<2, _>(|stack, _| {
        let c = tcp(stack);
        c.set_ttl(3).unwrap();
        c.set_keepalive(true).unwrap();
        c.set_linger(Some(Duration::ZERO)).unwrap();
        drop(c);
        let d = tcp(stack);
        assert_eq!(d.ttl(), Ok(64));
        assert_eq!(d.keepalive(), Ok(false));
        assert_eq!(d.linger(), Ok(None));
    });
}

#[test]
fn linger_zero_closes_with_a_reset_the_peer_sees() {
    with_tap(|stack, _, _, _| {
        let (_l, c, s) = pair(stack, 7302);
        c.set_linger(Some(Duration::ZERO)).unwrap();
        assert_eq!(c.linger(), Ok(Some(Duration::ZERO)));
        c.close().unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(s.recv(&mut buf), Err(Error::ConnectionReset));
    });
}

#[test]
fn linger_without_it_the_peer_sees_end_of_stream() {
    with_tap(|stack, _, _, _| {
        let (_l, c, s) = pair(stack, 7303);
        assert_eq!(c.linger(), Ok(None));
        c.close().unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(s.recv(&mut buf), Ok(0));
    });
}

#[test]
fn linger_t_makes_close_wait_up_to_t_for_the_acknowledgement() {
    with_tap(|stack, clock, _, cut| {
        let (_l, c, _s) = pair(stack, 7304);
        c.set_linger(Some(Duration::from_secs(2))).unwrap();
        cut.set(true);
        c.send_all(b"never acknowledged").unwrap();
        let start = clock.now();
        c.close().unwrap();
        assert_eq!(clock.now(), start + SmolDuration::from_secs(2));
    });
    with_tap(|stack, clock, _, _| {
        let (_l, c, s) = pair(stack, 7305);
        c.set_linger(Some(Duration::from_secs(2))).unwrap();
        c.send_all(b"acknowledged").unwrap();
        let start = clock.now();
        c.close().unwrap();
        assert_eq!(clock.now(), start); // acknowledged at once on a loopback
        let mut buf = [0u8; 16];
        assert_eq!(s.recv(&mut buf), Ok(12));
    });
}

#[test]
fn keepalive_detects_a_silent_peer_on_simulated_time() {
    with_tap(|stack, clock, seen, cut| {
        let (_l, c, _s) = pair(stack, 7306);
        let k = TcpKeepalive::new()
            .with_time(Duration::from_secs(10))
            .with_interval(Duration::from_secs(2))
            .with_retries(3);
        c.set_tcp_keepalive(&k).unwrap();
        assert_eq!(c.keepalive(), Ok(true));
        let start = clock.now();
        cut.set(true);
        seen.borrow_mut().clear();
        let mut buf = [0u8; 4];
        // Silent for time + interval × retries = 16 s: the blocked call ends.
        assert_eq!(c.recv(&mut buf), Err(Error::TimedOut));
        assert_eq!(clock.now(), start + SmolDuration::from_secs(16));
        // A probe went out after 10 s of silence.
        assert!(headers(seen).iter().any(|(_, p, _)| *p == port(&c)));
        // Reported once, then the connection is gone (end of stream, and a
        // send is a broken pipe), as on Linux after ETIMEDOUT.
        assert_eq!(c.take_error(), Ok(None));
        assert_eq!(c.recv(&mut buf), Ok(0));
        assert_eq!(c.send(b"x"), Err(Error::BrokenPipe));
    });
}

#[test]
fn keepalive_answered_keeps_an_idle_connection_open() {
    with_tap(|stack, clock, seen, _| {
        let (_l, c, s) = pair(stack, 7307);
        c.set_tcp_keepalive(
            &TcpKeepalive::new()
                .with_time(Duration::from_secs(10))
                .with_interval(Duration::from_secs(2))
                .with_retries(3),
        )
        .unwrap();
        seen.borrow_mut().clear();
        c.set_timeout(Some(Duration::from_secs(100))).unwrap();
        let start = clock.now();
        let mut buf = [0u8; 4];
        assert_eq!(c.recv(&mut buf), Err(Error::TimedOut));
        assert_eq!(clock.now(), start + SmolDuration::from_secs(100));
        // Probes went out and were answered: still connected both ways.
        let probes = headers(seen)
            .iter()
            .filter(|(_, p, _)| *p == port(&c))
            .count();
        assert!(probes >= 9, "{probes} probes");
        s.send_all(b"ok").unwrap();
        assert_eq!(c.recv(&mut buf), Ok(2));
        assert_eq!(c.take_error(), Ok(None));
    });
}

#[test]
fn accepted_sockets_inherit_keepalive_linger_and_ttl() {
    with_stack::<4, _>(|stack, _| {
        let l = tcp(stack);
        l.bind(addr("127.0.0.1:7308")).unwrap();
        l.set_keepalive(true).unwrap();
        l.set_linger(Some(Duration::from_secs(3))).unwrap();
        l.set_ttl(7).unwrap();
        l.listen(1).unwrap();
        let c = start_connect(stack, 7308);
        let (s, _) = l.accept().unwrap();
        assert_eq!(s.keepalive(), Ok(true));
        assert_eq!(s.linger(), Ok(Some(Duration::from_secs(3))));
        assert_eq!(s.ttl(), Ok(7));
        assert_eq!(c.keepalive(), Ok(false));
    });
}

#[test]
fn buffer_sizes_are_the_slots() {
    with_stack_buf::<4, 4096, _>(|stack, _| {
        let c = tcp(stack);
        assert_eq!(c.recv_buffer_size(), Ok(4096));
        assert_eq!(c.send_buffer_size(), Ok(4096));
        let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert!(u.recv_buffer_size().unwrap() > 0);
    });
}

#[test]
fn take_error_is_none_without_a_background_error() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, _s) = pair(stack, 7309);
        assert_eq!(c.take_error(), Ok(None));
        c.close().unwrap();
        assert_eq!(c.take_error(), Err(Error::BadDescriptor));
    });
}

// ---- create_connection: Python's socket.create_connection ----------------------

#[test]
fn connects_to_a_literal_and_keeps_the_timeout() {
    with_stack::<4, _>(|stack, _| {
        let l = listener(stack, 7401, 1);
        let t = Some(Duration::from_secs(3));
        let c = stack.create_connection("127.0.0.1", 7401, t).unwrap();
        assert_eq!(c.timeout(), t);
        assert_eq!(c.peer_addr(), Ok(addr("127.0.0.1:7401")));
        let (s, _) = l.accept().unwrap();
        c.send_all(b"hi").unwrap();
        let mut buf = [0u8; 2];
        assert_eq!(s.recv(&mut buf), Ok(2));
    });
}

#[test]
fn a_refused_connection_is_a_socket_error() {
    with_stack::<4, _>(|stack, _| {
        assert_eq!(
            stack
                .create_connection("127.0.0.1", 7402, None)
                .unwrap_err(),
            ConnectError::Socket(Error::ConnectionRefused)
        );
        // Nothing is left behind.
        assert_eq!(stack.stats().unwrap().user, 0);
    });
}

#[test]
fn a_name_error_stays_a_resolve_error() {
    with_stack::<4, _>(|stack, _| {
        // Config::loopback() has no DNS server.
        assert_eq!(
            stack
                .create_connection("example.com", 80, Some(Duration::from_secs(1)))
                .unwrap_err(),
            ConnectError::Resolve(ResolveError::NoServer)
        );
        assert_eq!(
            stack.create_connection("bad..name", 80, None).unwrap_err(),
            ConnectError::Resolve(ResolveError::InvalidName)
        );
        let e = ConnectError::Resolve(ResolveError::NoServer);
        assert!(e.to_string().contains("resolving"), "{e}");
    });
}

#[test]
fn one_deadline_bounds_the_call_when_nobody_answers() {
    with_tap(|stack, clock, _, cut| {
        cut.set(true); // the SYN is lost, nobody answers
        let start = clock.now();
        let r = stack.create_connection("127.0.0.1", 7403, Some(Duration::from_millis(1500)));
        assert_eq!(r.unwrap_err(), ConnectError::Socket(Error::TimedOut));
        assert_eq!(clock.now(), start + SmolDuration::from_millis(1500));
        assert_eq!(stack.stats().unwrap().user, 0);
    });
}

// ---- what the kernel does (socket2 on 127.0.0.1) ------------------------------

/// Pins: with `SO_LINGER` 0 Linux's `close` sends an RST and the peer's
/// `recv` fails with `ECONNRESET`; the default TTL is 64.
#[test]
fn linux_linger_zero_resets_the_peer() {
    use socket2::{Domain, Socket, Type};
    let l = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    l.bind(
        &"127.0.0.1:0"
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into(),
    )
    .unwrap();
    l.listen(1).unwrap();
    let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    c.connect(&l.local_addr().unwrap()).unwrap();
    assert_eq!(c.ttl_v4().unwrap(), 64);
    let (s, _) = l.accept().unwrap();
    c.set_linger(Some(Duration::ZERO)).unwrap();
    drop(c);
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut b = [std::mem::MaybeUninit::new(0u8); 4];
    let e = s.recv(&mut b).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
}
