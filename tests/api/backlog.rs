//! SPEC §3, the listen backlog and the socket pool.
use crate::common;
use common::*;
use smoltcp::time::Duration;

#[test]
fn listen_5_with_7_clients_arriving_at_once() {
    with_stack::<16, _>(|stack, _| {
        let l = listener(stack, 10001, 5);
        // Seven clients start their handshakes in the same instant; the server is busy.
        let clients: Vec<_> = (0..7).map(|_| start_connect(stack, 10001)).collect();
        stack.poll(stack.now());
        let outcomes: Vec<_> = clients
            .iter()
            .map(|c| c.connect(addr("127.0.0.1:10001")))
            .collect();
        assert_eq!(ok_and_refused(&outcomes), (5, 2), "{outcomes:?}");
        // The waiting clients send early data before they are accepted.
        let (waiting, refused) = split_by_outcome(&clients, &outcomes);
        for (k, c) in waiting.iter().enumerate() {
            c.send_all(format!("early {k}\n").as_bytes()).unwrap();
        }
        stack.poll(stack.now());
        // Accepted in arrival order, data intact.
        for (k, c) in waiting.iter().enumerate() {
            let (s, peer) = l.accept().unwrap();
            assert_eq!(peer, c.local_addr().unwrap(), "arrival order");
            let mut buf = [0u8; 32];
            let n = s.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], format!("early {k}\n").as_bytes());
        }
        // The refused clients' slots are reusable, and the server still serves.
        for c in refused {
            c.close().unwrap();
        }
        let late = start_connect(stack, 10001);
        let (s, _) = l.accept().unwrap();
        late.set_nonblocking(false).unwrap();
        late.send_all(b"late").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Ok(4));
    });
}

#[test]
fn a_burst_of_backlog_size_is_absorbed_with_no_reset_and_rearmed_after_accept() {
    with_stack::<12, _>(|stack, _| {
        let l = listener(stack, 10002, 3);
        for round in 0..3 {
            let cs: Vec<_> = (0..3).map(|_| start_connect(stack, 10002)).collect();
            stack.poll(stack.now());
            for c in &cs {
                assert_eq!(c.connect(addr("127.0.0.1:10002")), Ok(()), "round {round}");
            }
            let accepted: Vec<_> = cs.iter().map(|_| l.accept().unwrap()).collect();
            assert_eq!(accepted.len(), 3);
        }
    });
}

#[test]
fn closing_a_listener_resets_connections_still_waiting() {
    with_stack::<8, _>(|stack, _| {
        let l = listener(stack, 10003, 2);
        let c = start_connect(stack, 10003);
        stack.poll(stack.now());
        assert_eq!(c.connect(addr("127.0.0.1:10003")), Ok(()));
        l.close().unwrap();
        let mut buf = [0u8; 4];
        c.set_nonblocking(false).unwrap();
        assert_eq!(c.recv(&mut buf), Err(Error::ConnectionReset));
        // The port is free again and nothing leaked.
        let l2 = listener(stack, 10003, 2);
        drop(l2);
    });
}

#[test]
fn thousand_connect_close_cycles_on_a_4_slot_pool() {
    with_stack::<4, _>(|stack, clock| {
        let l = listener(stack, 10004, 1);
        for i in 0..1000 {
            let c = start_connect(stack, 10004);
            let (s, _) = l
                .accept()
                .unwrap_or_else(|e| panic!("cycle {i}: accept: {e}"));
            c.set_nonblocking(false).unwrap();
            c.send_all(b"x").unwrap();
            let mut buf = [0u8; 1];
            assert_eq!(s.recv(&mut buf), Ok(1), "cycle {i}");
            // Alternate the side that closes first, so TIME-WAIT lands on both.
            if i % 2 == 0 {
                c.close().unwrap();
                assert_eq!(s.recv(&mut buf), Ok(0));
                s.close().unwrap();
            } else {
                s.close().unwrap();
                assert_eq!(c.recv(&mut buf), Ok(0));
                c.close().unwrap();
            }
            clock.advance(Duration::from_millis(1));
        }
    });
}

#[test]
fn time_wait_is_reclaimed_when_the_pool_is_otherwise_full() {
    with_stack::<4, _>(|stack, _| {
        leave_time_wait(stack, 10005);
        // Three fresh sockets: one of them takes the TIME-WAIT slot.
        let a = tcp(stack);
        let b = tcp(stack);
        let d = tcp(stack);
        assert_eq!(
            Socket::new(stack, Domain::IPV4, Type::STREAM).err(),
            Some(Error::NoBufferSpace)
        );
        drop((a, b, d));
    });
}

#[test]
fn listen_takes_what_slots_there_are_and_accept_on_a_full_pool_errors_cleanly() {
    with_stack::<4, _>(|stack, _| {
        let c = tcp(stack);
        let extra = tcp(stack);
        let l = listener(stack, 10006, 5); // one slot left: the backlog is clamped to it
        c.set_nonblocking(true).unwrap();
        assert_eq!(c.connect(addr("127.0.0.1:10006")), Err(Error::WouldBlock));
        stack.poll(stack.now());
        c.send_all(b"x").unwrap();
        // The connection sits in the listener's own slot and no slot is free.
        assert_eq!(l.accept().err(), Some(Error::NoBufferSpace));
        drop(extra);
        // Once a slot frees up, accept works, and the early data is there.
        let (s, _) = l.accept().unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(s.recv(&mut buf), Ok(1));
    });
}

#[test]
fn nonblocking_accept_and_timeout_accept() {
    with_stack::<4, _>(|stack, clock| {
        let l = listener(stack, 10007, 1);
        l.set_timeout(Some(core::time::Duration::from_secs(2)))
            .unwrap();
        let t0 = clock.now();
        assert_eq!(l.accept().err(), Some(Error::TimedOut));
        assert_eq!(clock.now() - t0, Duration::from_secs(2));
        l.set_nonblocking(true).unwrap();
        assert_eq!(l.accept().err(), Some(Error::WouldBlock));
        assert_eq!(clock.now() - t0, Duration::from_secs(2));
    });
}

// ---- a spoofed SYN flood ---------------------------------------------------

use crate::common::hooked_loopback::HookedLoopback;
use std::cell::Cell;
use std::rc::Rc;

fn is_bare_syn(p: &[u8]) -> bool {
    let ihl = (p.first().copied().unwrap_or(0) & 0x0f) as usize * 4;
    p.get(9) == Some(&6) && p.get(ihl + 13).is_some_and(|f| f & 0x12 == 0x02)
}

#[test]
fn half_open_connections_from_a_syn_flood_give_their_backlog_place_back() {
    let flood = Rc::new(Cell::new(true));
    // While `flood` is on, only bare SYNs are delivered: the SYN-ACKs, RSTs
    // and retries of the flooding "clients" go nowhere, as they would for
    // SYNs with spoofed sources.
    let on = flood.clone();
    let mut dev = HookedLoopback::new(move |p: &[u8]| !on.get() || is_bare_syn(p));
    let clock = SimClock::new();
    let mut res = Box::new(StackResources::<12, 1024>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
    let l = listener(&stack, 10050, 3);
    // Three SYNs whose senders never answer: the backlog fills with
    // half-open connections.
    for _ in 0..3 {
        let c = tcp(&stack);
        c.set_nonblocking(true).unwrap();
        assert_eq!(c.connect(addr("127.0.0.1:10050")), Err(Error::WouldBlock));
        stack.poll(clock.now());
        drop(c);
    }
    stack.poll(clock.now());
    // Linux gives a half-open connection up after its SYN-ACK retries
    // (about 63 s); so does the backlog, and a real client is served again.
    clock.advance(Duration::from_secs(64));
    stack.poll(clock.now());
    flood.set(false);
    let c = tcp(&stack);
    c.set_timeout(Some(core::time::Duration::from_secs(5)))
        .unwrap();
    assert_eq!(c.connect(addr("127.0.0.1:10050")), Ok(()));
    let (s, peer) = l.accept().unwrap();
    assert_eq!(peer, c.local_addr().unwrap());
    // And an accepted-but-idle connection is not given up the same way.
    clock.advance(Duration::from_secs(600));
    stack.poll(clock.now());
    c.send_all(b"still here").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.recv(&mut buf), Ok(10));
}
