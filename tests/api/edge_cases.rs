//! Edge cases found in review (each was a bug once): huge timeouts, stale
//! handles, reused sockets, data for closed sockets, connect give-up.
use crate::common;
use common::*;
use core::time::Duration as StdDuration;
use smoltcp::time::Duration;

#[test]
fn reclaimed_time_wait_socket_does_not_leak_the_old_connection() {
    with_stack::<4, _>(|stack, _| {
        leave_time_wait(stack, 11001);
        // Three fresh sockets: the last one takes the TIME-WAIT slot.
        let socks = [tcp(stack), tcp(stack), tcp(stack)];
        for x in &socks {
            assert_eq!(
                x.peer_addr(),
                Err(Error::NotConnected),
                "new socket has no peer"
            );
            assert_eq!(
                x.local_addr().unwrap(),
                addr("0.0.0.0:0"),
                "new socket is unbound"
            );
        }
    });
}

#[test]
fn a_timeout_too_large_for_the_clock_waits_like_no_timeout() {
    // i64::MAX µs (~292,000 years), 2^44 s, Duration::MAX: no Instant can hold
    // the deadline. Each must block until data comes (never an instant
    // TimedOut, never an overflow panic), and with nothing coming behave as
    // a blocking call: on the simulated clock, Stalled.
    let huge = [
        StdDuration::from_micros(i64::MAX as u64),
        StdDuration::from_secs(1 << 44),
        StdDuration::MAX,
    ];
    for t in huge {
        with_delay_stack::<4, _>(100, |stack, clock| {
            let (_l, c, s) = pair(stack, 11002);
            s.set_timeout(Some(t)).unwrap();
            assert_eq!(s.timeout(), Some(t));
            c.send_all(b"late").unwrap();
            let t0 = clock.now();
            let mut buf = [0u8; 8];
            assert_eq!(s.recv(&mut buf), Ok(4), "timeout {t:?}");
            assert_eq!(
                clock.now() - t0,
                Duration::from_millis(100),
                "waited for the data"
            );
            assert_eq!(s.recv(&mut buf), Err(Error::Stalled), "timeout {t:?}");
        });
    }
}

#[test]
fn a_closed_handle_stays_closed_however_often_the_slot_is_reused() {
    with_stack::<2, _>(|stack, _| {
        let old = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        old.close().unwrap();
        assert_eq!(old.local_addr(), Err(Error::BadDescriptor));
        let mut hit = None;
        for k in 0..40_000u32 {
            let x = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
            if old.local_addr().is_ok() {
                hit = Some((k, x));
                break;
            }
        }
        if let Some((k, x)) = hit {
            // The stale handle now names the new socket: closing it closes x.
            drop(old);
            panic!(
                "stale handle valid again after {k} reuses; x now: {:?}",
                x.local_addr()
            );
        }
    });
}

#[test]
fn data_arriving_after_close_resets_the_peer() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 11004);
        s.close().unwrap(); // graceful: nothing unread; FIN to the client
        stack.poll(stack.now());
        // Linux answers data for a closed (orphaned) socket with RST.
        c.send_all(b"late").unwrap();
        stack.poll(stack.now());
        let mut buf = [0u8; 8];
        // The reset came after the server's FIN (CLOSE-WAIT): Linux reports
        // it as EPIPE, so end of stream stays end of stream and send fails.
        assert_eq!(c.recv(&mut buf), Ok(0));
        assert_eq!(c.send(b"more"), Err(Error::BrokenPipe));
    });
}

#[test]
fn accepted_sockets_inherit_nodelay_from_the_listener() {
    with_stack::<8, _>(|stack, clock| {
        let l = tcp(stack);
        l.bind(addr("127.0.0.1:11005")).unwrap();
        l.set_tcp_nodelay(true).unwrap();
        l.listen(3).unwrap();
        let cs: Vec<_> = (0..3).map(|_| start_connect(stack, 11005)).collect();
        stack.poll(clock.now());
        for (k, c) in cs.iter().enumerate() {
            let (s, _) = l.accept().unwrap();
            c.set_nonblocking(true).unwrap();
            let mut buf = [0u8; 8];
            s.send_all(b"a").unwrap();
            s.send_all(b"b").unwrap();
            stack.poll(clock.now());
            assert_eq!(
                c.recv(&mut buf),
                Ok(2),
                "accepted socket {k}: Nagle still on"
            );
            clock.advance(Duration::from_millis(50));
            stack.poll(clock.now());
        }
    });
}

#[test]
fn a_nonblocking_connect_to_a_silent_host_gives_up_like_linux() {
    with_stack::<2, _>(|stack, clock| {
        let c = tcp(stack);
        c.set_nonblocking(true).unwrap();
        // 127.0.0.2 is not this interface's address: nobody answers.
        assert_eq!(c.connect(addr("127.0.0.2:80")), Err(Error::WouldBlock));
        for _ in 0..300 {
            clock.advance(Duration::from_secs(1));
            stack.poll(clock.now());
        }
        // Linux gives up after its SYN retries (~127 s): SO_ERROR is ETIMEDOUT.
        assert_eq!(c.connect(addr("127.0.0.2:80")), Err(Error::TimedOut));
    });
}

#[test]
fn resolve_on_a_full_set_gives_the_lent_slot_back() {
    let clock = SimClock::new();
    let mut dev = smoltcp::phy::Loopback::new(smoltcp::phy::Medium::Ip);
    let mut res = Box::new(StackResources::<3, 1024>::new());
    let cfg = Config::loopback().with_dns_server(smoltcp::wire::IpAddress::v4(127, 0, 0, 1));
    let stack = Stack::new(&mut dev, &clock, &mut res, cfg).expect("valid config");
    drop((tcp(&stack), tcp(&stack)));
    let r = stack.resolve("example.com", Some(StdDuration::from_secs(30)));
    // Nobody answers on 127.0.0.1:53: the whole resolution times out, at its deadline.
    assert_eq!(r, Err(smolsock::ResolveError::TimedOut), "the query ran");
    assert_eq!(clock.now(), smoltcp::time::Instant::from_secs(30));
    let (_l, _c, _s) = (listener(&stack, 11006, 1), tcp(&stack), ());
    assert_eq!(
        Socket::new(&stack, Domain::IPV4, Type::STREAM).err(),
        Some(Error::NoBufferSpace)
    );
}

#[test]
fn non_unicast_interface_address_is_an_error_not_a_panic() {
    use smolsock::ConfigError;
    use smoltcp::phy::{Loopback, Medium};
    use smoltcp::wire::{IpAddress, IpCidr};
    let clock = SimClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = StackResources::<2, 256>::new();
    let group = IpAddress::v4(224, 0, 0, 1);
    let cfg = Config::ip().with_address(IpCidr::new(group, 24));
    let r = Stack::new(&mut dev, &clock, &mut res, cfg);
    assert_eq!(r.err(), Some(ConfigError::AddressNotUnicast(group)));
    let mut res = StackResources::<2, 256>::new();
    let cfg = Config::ethernet([0x01, 0, 0x5e, 0, 0, 1]);
    let r = Stack::new(&mut dev, &clock, &mut res, cfg);
    assert_eq!(r.err(), Some(ConfigError::HardwareAddressNotUnicast));
}
