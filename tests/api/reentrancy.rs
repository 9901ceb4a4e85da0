//! Re-entrant calls: socket and stack calls made from inside the closures
//! that hold the stack (`recv_with`, `send_with`, `with_iface`) return
//! `Error::Busy` instead of panicking, and a socket closed or dropped there
//! is closed as soon as the closure returns. No safe sequence panics.
use crate::common;
use common::*;
use smolsock::{ResolveError, Shutdown};

/// Every call a program might make from inside a closure that holds the
/// stack: each must be `Busy` (or, for `poll`, do nothing).
#[track_caller]
fn assert_all_busy(stack: &Stack<'_>, s: &Socket<'_, '_>, other: &Socket<'_, '_>) {
    let mut buf = [0u8; 4];
    assert_eq!(s.send(b"x"), Err(Error::Busy));
    assert_eq!(s.send_all(b"x"), Err(Error::Busy));
    assert_eq!(other.recv(&mut buf), Err(Error::Busy));
    assert_eq!(other.recv_from(&mut buf), Err(Error::Busy));
    assert_eq!(other.recv_with(|d| d.len()), Err(Error::Busy));
    assert_eq!(other.send_with(|_| 0), Err(Error::Busy));
    assert_eq!(s.local_addr(), Err(Error::Busy));
    assert_eq!(s.peer_addr(), Err(Error::Busy));
    assert_eq!(s.set_timeout(None), Err(Error::Busy));
    assert_eq!(s.set_reuse_address(true), Err(Error::Busy));
    assert_eq!(s.set_tcp_nodelay(true), Err(Error::Busy));
    assert_eq!(s.shutdown(Shutdown::Write), Err(Error::Busy));
    assert_eq!(s.connect(addr("127.0.0.1:9")), Err(Error::Busy));
    assert_eq!(s.listen(1), Err(Error::Busy));
    assert_eq!(s.bind(addr("127.0.0.1:0")), Err(Error::Busy));
    assert!(matches!(s.accept(), Err(Error::Busy)));
    assert_eq!(
        Socket::new(stack, Domain::IPV4, Type::STREAM).err(),
        Some(Error::Busy)
    );
    assert_eq!(stack.with_iface(|_| ()), Err(Error::Busy));
    assert_eq!(stack.stats().err(), Some(Error::Busy));
    assert_eq!(stack.resolve("example.com", None), Err(ResolveError::Busy));
    assert!(!stack.poll(stack.now()), "a re-entrant poll does nothing");
    assert_eq!(stack.poll_at(), Some(stack.now()));
}

#[test]
fn calls_inside_recv_with_are_busy_and_the_echo_works_after() {
    with_stack::<6, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 12001);
        c.send_all(b"ping").unwrap();
        // The echo, written the tempting way: send inside the closure.
        let mut inner = None;
        let n = s
            .recv_with(|d| {
                inner = Some(s.send(d));
                assert_all_busy(stack, &s, &c);
                d.len()
            })
            .unwrap();
        assert_eq!((n, inner), (4, Some(Err(Error::Busy))));
        // Outside the closure the stack is free again.
        assert_eq!(s.send(b"pong"), Ok(4));
        let mut buf = [0u8; 8];
        assert_eq!(c.recv(&mut buf), Ok(4));
        assert_eq!(&buf[..4], b"pong");
    });
}

#[test]
fn calls_inside_send_with_and_with_iface_are_busy() {
    with_stack::<6, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 12002);
        let n = s
            .send_with(|room| {
                assert_all_busy(stack, &s, &c);
                room[..3].copy_from_slice(b"abc");
                3
            })
            .unwrap();
        assert_eq!(n, 3);
        let r = stack.with_iface(|iface| {
            assert_all_busy(stack, &s, &c);
            iface.ip_addrs().len()
        });
        assert_eq!(r, Ok(2));
        let mut buf = [0u8; 8];
        assert_eq!(c.recv(&mut buf), Ok(3));
    });
}

#[test]
fn a_socket_dropped_or_closed_inside_a_closure_is_closed_after_it() {
    with_stack::<6, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 12003);
        let (c2, s2) = {
            let c2 = start_connect(stack, 12003);
            let (s2, _) = _l.accept().unwrap();
            (c2, s2)
        };
        c.send_all(b"bye").unwrap();
        let before = stack.stats().unwrap();
        let mut s2 = Some(s2);
        let n = s
            .recv_with(|d| {
                drop(s2.take()); // Drop inside the closure: deferred, no panic.
                assert_eq!(c.close(), Ok(()), "close inside: deferred too");
                d.len()
            })
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            c.local_addr(),
            Err(Error::BadDescriptor),
            "the handle is closed"
        );
        // Both slots were closed when the closure returned: gracefully, so
        // both peers see end of stream.
        let after = stack.stats().unwrap();
        assert_eq!(after.user, before.user - 2);
        let mut buf = [0u8; 8];
        c2.set_timeout(Some(core::time::Duration::from_secs(1)))
            .unwrap();
        assert_eq!(c2.recv(&mut buf), Ok(0), "s2's close reached its peer");
        assert_eq!(s.recv(&mut buf), Ok(0), "c's close reached its peer");
    });
}

#[test]
fn a_panic_inside_a_closure_unwinds_through_drops_without_aborting() {
    with_stack::<6, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 12004);
        c.send_all(b"x").unwrap();
        let before = stack.stats().unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let doomed = Socket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
            s.recv_with(|_| {
                let _keep = &doomed;
                panic!("the user's closure panics");
            })
        }));
        assert!(r.is_err(), "the user's panic propagates");
        // The socket dropped while unwinding (inside the borrow) was closed
        // afterwards, and the stack works.
        assert_eq!(stack.stats().unwrap().user, before.user);
        let mut buf = [0u8; 2];
        assert_eq!(s.recv(&mut buf), Ok(1));
    });
}
