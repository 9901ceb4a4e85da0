//! SPEC §3 in async form: `AsyncSocket` on a loopback stack, its runner
//! beside it on simulated time (`block_on_sim`), and blocking sockets on the
//! same stack at once. The wakers, cancellation, spinning and re-entrancy
//! are in `async_wakers.rs`.
use crate::common;
use common::async_util::{async_listener, connect_pair, stream};
use common::sim_exec::{block_on_sim, sleep_ms};
use common::*;
use futures_util::future::join_all;
use smolsock::asynch::AsyncSocket;
use std::time::Duration;

#[test]
fn listen_5_with_7_clients_connecting_at_once() {
    with_stack::<16, _>(|stack, clock| {
        let l = async_listener(stack, 12001, 5);
        let clients: Vec<_> = (0..7).map(|_| stream(stack)).collect();
        block_on_sim(stack, clock, async {
            // Seven connects at once; the server is busy elsewhere (no accept).
            let outcomes =
                join_all(clients.iter().map(|c| c.connect(addr("127.0.0.1:12001")))).await;
            assert_eq!(ok_and_refused(&outcomes), (5, 2), "{outcomes:?}");
            let (waiting, refused) = split_by_outcome(&clients, &outcomes);
            for (k, c) in waiting.iter().enumerate() {
                c.send_all(format!("early {k}\n").as_bytes()).await.unwrap();
            }
            // Accepted in arrival order, early data intact.
            for (k, c) in waiting.iter().enumerate() {
                let (s, peer) = l.accept().await.unwrap();
                assert_eq!(peer, c.local_addr().unwrap(), "arrival order");
                let mut buf = [0u8; 32];
                let n = s.recv(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], format!("early {k}\n").as_bytes());
            }
            // Nothing else is waiting: a non-blocking accept says so.
            l.set_nonblocking(true).unwrap();
            assert!(matches!(l.accept().await, Err(Error::WouldBlock)));
            l.set_nonblocking(false).unwrap();
            // The refused clients' slots are reusable; the server still serves.
            for c in refused {
                c.close().unwrap();
            }
            let (late, s) = connect_pair(&l, 12001).await;
            late.send_all(b"late").await.unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(s.recv(&mut buf).await, Ok(4));
        });
    });
}

#[test]
fn eof_is_sticky_after_the_peers_shutdown_write() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 12002, 1);
        block_on_sim(stack, clock, async {
            let (c, s) = connect_pair(&l, 12002).await;
            c.send_all(b"last words").await.unwrap();
            c.shutdown(Shutdown::Write).unwrap();
            let mut buf = [0u8; 32];
            let n = s.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"last words");
            for _ in 0..3 {
                assert_eq!(s.recv(&mut buf).await, Ok(0));
            }
            // Half-closed: the other direction still works.
            s.send_all(b"reply").await.unwrap();
            let n = c.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"reply");
            assert_eq!(c.send(b"more").await, Err(Error::BrokenPipe));
            s.close().unwrap();
            assert_eq!(c.recv(&mut buf).await, Ok(0));
            assert_eq!(c.recv(&mut buf).await, Ok(0));
        });
    });
}

#[test]
fn a_timeout_is_timed_out_at_the_deadline_and_non_blocking_is_would_block_at_once() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 12003, 1);
        block_on_sim(stack, clock, async {
            let (c, s) = connect_pair(&l, 12003).await;
            let mut buf = [0u8; 8];
            // Timeout: TimedOut exactly at the deadline, never WouldBlock.
            s.set_timeout(Some(Duration::from_millis(2500))).unwrap();
            let t0 = clock.now();
            assert_eq!(s.recv(&mut buf).await, Err(Error::TimedOut));
            assert_eq!((clock.now() - t0).total_millis(), 2500);
            l.set_timeout(Some(Duration::from_secs(1))).unwrap();
            let t0 = clock.now();
            assert!(matches!(l.accept().await, Err(Error::TimedOut)));
            assert_eq!((clock.now() - t0).total_millis(), 1000);
            // Non-blocking: WouldBlock at once, time does not move.
            s.set_nonblocking(true).unwrap();
            l.set_nonblocking(true).unwrap();
            let t0 = clock.now();
            assert_eq!(s.recv(&mut buf).await, Err(Error::WouldBlock));
            assert!(matches!(l.accept().await, Err(Error::WouldBlock)));
            let nb = stream(stack);
            nb.set_nonblocking(true).unwrap();
            assert_eq!(
                nb.connect(addr("127.0.0.1:12003")).await,
                Err(Error::WouldBlock)
            );
            assert_eq!(clock.now(), t0);
            // ... and once the handshake ran, the outcome: connected.
            sleep_ms(clock, 10).await;
            assert_eq!(nb.connect(addr("127.0.0.1:12003")).await, Ok(()));
            // Data that is there is returned at once, even non-blocking.
            c.send_all(b"data").await.unwrap();
            sleep_ms(clock, 1).await;
            assert_eq!(s.recv(&mut buf).await, Ok(4));
            assert_eq!(s.recv(&mut buf).await, Err(Error::WouldBlock));
        });
    });
}

#[test]
fn a_deadline_bounds_a_whole_send_all_into_a_full_window() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 12004, 1);
        block_on_sim(stack, clock, async {
            let (c, s) = connect_pair(&l, 12004).await;
            // The server never reads: its window and the client's buffer fill.
            c.set_timeout(Some(Duration::from_secs(3))).unwrap();
            let big = vec![7u8; 64 * 1024];
            let t0 = clock.now();
            assert_eq!(c.send_all(&big).await, Err(Error::TimedOut));
            assert_eq!((clock.now() - t0).total_millis(), 3000);
            // What was queued before the deadline arrives, in order.
            let mut buf = [0u8; 512];
            let n = s.recv(&mut buf).await.unwrap();
            assert!(n > 0 && buf[..n].iter().all(|&b| b == 7));
            // Non-blocking on a full window: WouldBlock, time stands still.
            c.set_nonblocking(true).unwrap();
            let mut queued = 0;
            let t0 = clock.now();
            let r = loop {
                match c.send(&big).await {
                    Ok(n) => queued += n,
                    e => break e,
                }
                assert!(queued < big.len(), "the window never filled");
            };
            assert_eq!(r, Err(Error::WouldBlock));
            assert_eq!(clock.now(), t0);
        });
    });
}

#[test]
fn thousand_connect_close_cycles_on_a_4_slot_pool_leak_nothing() {
    with_stack::<4, _>(|stack, clock| {
        let l = async_listener(stack, 12005, 1);
        let baseline = stack.stats().unwrap();
        block_on_sim(stack, clock, async {
            for i in 0..1000 {
                let c = stream(stack);
                let (a, r) =
                    futures_util::future::join(l.accept(), c.connect(addr("127.0.0.1:12005")))
                        .await;
                r.unwrap_or_else(|e| panic!("cycle {i}: connect: {e}"));
                let (s, _) = a.unwrap_or_else(|e| panic!("cycle {i}: accept: {e}"));
                c.send_all(b"x").await.unwrap();
                let mut buf = [0u8; 1];
                assert_eq!(s.recv(&mut buf).await, Ok(1), "cycle {i}");
                // Alternate the side that closes first: TIME-WAIT lands on both.
                let (first, second) = if i % 2 == 0 { (&c, &s) } else { (&s, &c) };
                first.close().unwrap();
                assert_eq!(second.recv(&mut buf).await, Ok(0), "cycle {i}");
                second.close().unwrap();
            }
        });
        // Bounded simulated time: no cycle waited for a TIME-WAIT to expire.
        assert!(
            clock.now() < smoltcp::time::Instant::from_secs(60),
            "1,000 cycles took {} of simulated time",
            clock.now()
        );
        // Once the last closes have finished, the pool is back to baseline.
        block_on_sim(stack, clock, sleep_ms(clock, 120_000));
        let end = stack.stats().unwrap();
        assert_eq!(end.user, baseline.user, "{end:?}");
        assert_eq!(end.backlog, baseline.backlog, "{end:?}");
        assert_eq!(end.closing, 0, "{end:?}");
        assert_eq!(end.free + end.unused, baseline.free + baseline.unused);
    });
}

#[test]
fn an_async_server_and_a_blocking_client_in_one_future() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 12006, 1);
        block_on_sim(stack, clock, async {
            // The blocking client drives the stack itself; the backlog
            // completes the handshake without the server's future.
            let c = tcp(stack);
            c.connect(addr("127.0.0.1:12006")).unwrap();
            c.send_all(b"from blocking").unwrap();
            let (s, peer) = l.accept().await.unwrap();
            assert_eq!(peer, c.local_addr().unwrap());
            let mut buf = [0u8; 32];
            let n = s.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"from blocking");
            s.send_all(b"from async").await.unwrap();
            let n = c.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"from async");
        });
    });
}

#[test]
fn a_non_blocking_socket_driven_from_a_task_beside_an_async_server() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 12007, 1);
        let c = tcp(stack);
        c.set_nonblocking(true).unwrap();
        block_on_sim(stack, clock, async {
            let server = async {
                let (s, _) = l.accept().await.unwrap();
                let mut buf = [0u8; 16];
                let n = s.recv(&mut buf).await.unwrap();
                s.send_all(&buf[..n]).await.unwrap();
                s.shutdown(Shutdown::Write).unwrap();
            };
            let client = async {
                // A super-loop client: try, and on WouldBlock yield a tick.
                let mut r = c.connect(addr("127.0.0.1:12007"));
                while r == Err(Error::WouldBlock) {
                    sleep_ms(clock, 1).await;
                    r = c.connect(addr("127.0.0.1:12007"));
                }
                r.unwrap();
                assert_eq!(c.send(b"echo me"), Ok(7));
                let mut got = Vec::new();
                let mut buf = [0u8; 16];
                loop {
                    match c.recv(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                        Err(Error::WouldBlock) => sleep_ms(clock, 1).await,
                        Err(e) => panic!("{e}"),
                    }
                }
                assert_eq!(got, b"echo me");
            };
            futures_util::future::join(server, client).await;
        });
    });
}

#[test]
fn into_blocking_and_from_socket_share_the_connection() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 12008, 1);
        // A blocking `Socket` made async.
        let c = AsyncSocket::from(tcp(stack));
        let s = block_on_sim(stack, clock, async {
            let (a, r) =
                futures_util::future::join(l.accept(), c.connect(addr("127.0.0.1:12008"))).await;
            r.unwrap();
            a.unwrap().0
        });
        // The accepted async socket as a blocking one, and back.
        assert_eq!(s.as_blocking().timeout(), None, "accepted sockets block");
        let s = s.into_blocking();
        let c = c.into_blocking();
        c.send_all(b"blocking").unwrap();
        let mut buf = [0u8; 16];
        let n = s.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"blocking");
        let s = AsyncSocket::from(s);
        block_on_sim(stack, clock, async {
            s.send_all(b"async again").await.unwrap();
        });
        let n = c.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"async again");
    });
}

#[test]
fn udp_send_to_and_recv_from_round_trip_and_recv_from_times_out() {
    with_stack::<6, _>(|stack, clock| {
        let a = AsyncSocket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        let b = AsyncSocket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        a.bind(addr("127.0.0.1:12009")).unwrap();
        b.bind(addr("127.0.0.1:12010")).unwrap();
        block_on_sim(stack, clock, async {
            let mut buf = [0u8; 32];
            // The receiver waits first; the datagram wakes it.
            let (got, sent) = futures_util::future::join(
                b.recv_from(&mut buf),
                a.send_to(b"ping", addr("127.0.0.1:12010")),
            )
            .await;
            assert_eq!(sent, Ok(4));
            assert_eq!(got, Ok((4, addr("127.0.0.1:12009"))));
            assert_eq!(&buf[..4], b"ping");
            assert_eq!(b.send_to(b"pong!", addr("127.0.0.1:12009")).await, Ok(5));
            let mut small = [0u8; 3];
            // Truncated to the buffer, the rest dropped (as Python).
            assert_eq!(
                a.recv_from(&mut small).await,
                Ok((3, addr("127.0.0.1:12010")))
            );
            assert_eq!(&small, b"pon");
            a.set_timeout(Some(Duration::from_millis(700))).unwrap();
            let t0 = clock.now();
            assert_eq!(a.recv_from(&mut buf).await, Err(Error::TimedOut));
            assert_eq!((clock.now() - t0).total_millis(), 700);
            a.set_nonblocking(true).unwrap();
            assert_eq!(a.recv_from(&mut buf).await, Err(Error::WouldBlock));
        });
    });
}
