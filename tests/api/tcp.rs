//! SPEC §3, stream sockets: modes, recv/send, EOF, half-close, reset, close.
use crate::common;
use common::*;
use core::time::Duration as StdDuration;

use smoltcp::time::{Duration, Instant};

fn secs(s: u64) -> Option<StdDuration> {
    Some(StdDuration::from_secs(s))
}

#[test]
fn new_sockets_block_and_blocking_calls_wait_in_simulated_time() {
    with_delay_stack::<4, _>(10, |stack, clock| {
        let l = listener(stack, 7000, 1);
        assert_eq!(l.timeout(), None, "new sockets block");
        let c = start_connect(stack, 7000);
        // SYN arrives at 10 ms, SYN-ACK at 20 ms, the final ACK at 30 ms.
        let (s, _) = l.accept().unwrap();
        assert_eq!(clock.now(), Instant::from_millis(30));
        assert_eq!(s.timeout(), None, "an accepted socket is blocking");
        c.set_nonblocking(false).unwrap();
        assert_eq!(c.connect(addr("127.0.0.1:7000")), Ok(()));
        assert_eq!(c.send(b"hi").unwrap(), 2);
        let t0 = clock.now();
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"hi");
        assert_eq!(
            clock.now() - t0,
            Duration::from_millis(10),
            "recv waited for the packet"
        );
    });
}

#[test]
fn blocking_call_with_nothing_to_wait_for_reports_stall_not_hang() {
    with_stack::<4, _>(|stack, _| {
        let (_l, _c, s) = pair(stack, 7001);
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Err(Error::Stalled));
    });
}

#[test]
fn timeout_mode_returns_timed_out_at_the_simulated_deadline() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, c, s) = pair(stack, 7002);
        s.set_timeout(secs(5)).unwrap();
        let t0 = clock.now();
        let mut buf = [0u8; 8];
        assert_eq!(
            s.recv(&mut buf),
            Err(Error::TimedOut),
            "TimedOut, never WouldBlock"
        );
        assert_eq!(clock.now() - t0, Duration::from_secs(5));
        // The timeout applies to each call: a second call waits 5 s again.
        assert_eq!(s.recv(&mut buf), Err(Error::TimedOut));
        assert_eq!(clock.now() - t0, Duration::from_secs(10));
        // Data that is there is returned at once.
        c.send_all(b"x").unwrap();
        assert_eq!(s.recv(&mut buf), Ok(1));
    });
}

#[test]
fn nonblocking_accept_recv_send_return_would_block_at_once() {
    with_stack_buf::<4, 1024, _>(|stack, clock| {
        let l = listener(stack, 7003, 1);
        l.set_nonblocking(true).unwrap();
        let t0 = clock.now();
        assert_eq!(l.accept().map(|_| ()), Err(Error::WouldBlock));
        let c = start_connect(stack, 7003);
        let (s, _) = l.accept().unwrap();
        s.set_timeout(Some(StdDuration::ZERO)).unwrap(); // same as set_nonblocking(true)
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Err(Error::WouldBlock));
        // Fill the peer's window and our send buffer: send cannot proceed.
        let big = [7u8; 4096];
        let mut queued = 0;
        loop {
            match c.send(&big) {
                Ok(n) => {
                    assert!(n > 0);
                    queued += n;
                }
                Err(e) => {
                    assert_eq!(e, Error::WouldBlock);
                    break;
                }
            }
        }
        assert!(queued >= 1024, "queued {queued}");
        assert_eq!(c.send_all(&big), Err(Error::WouldBlock));
        assert_eq!(clock.now(), t0, "no call waited");
    });
}

#[test]
fn send_returns_the_count_queued_which_may_be_partial() {
    with_stack_buf::<4, 1024, _>(|stack, _| {
        let (_l, c, _s) = pair(stack, 7004);
        let data = [1u8; 10_000];
        let n = c.send(&data).unwrap();
        assert!(n > 0 && n < data.len(), "partial send, got {n}");
        assert_eq!(c.send(&[]), Ok(0));
    });
}

#[test]
fn send_all_deadline_is_the_total_for_the_call() {
    // 1 s each way: acknowledgements free the send buffer at t0 + 2 s,
    // so progress happens mid-call; the deadline still counts from the start.
    with_delay_stack::<4, _>(1000, |stack, clock| {
        let (_l, c, _s) = pair(stack, 7005);
        c.set_timeout(secs(3)).unwrap();
        let t0 = clock.now();
        assert_eq!(c.send_all(&[9u8; 16 * 1024]), Err(Error::TimedOut));
        assert_eq!(clock.now() - t0, Duration::from_secs(3));
    });
}

#[test]
fn send_all_delivers_everything_through_small_buffers() {
    with_stack_buf::<4, 512, _>(|stack, clock| {
        let (_l, c, s) = pair(stack, 7006);
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        // Alternate: the sender fills what it can, the receiver drains.
        c.set_nonblocking(true).unwrap();
        s.set_nonblocking(true).unwrap();
        let (mut sent, mut got) = (0, Vec::new());
        let mut buf = [0u8; 300];
        for _ in 0..100_000 {
            if got.len() >= data.len() {
                break;
            }
            // A super-loop's time moves on: delayed ACKs and window updates fire.
            clock.advance(Duration::from_millis(1));
            if sent < data.len() {
                if let Ok(n) = c.send(&data[sent..]) {
                    sent += n;
                }
            }
            match s.recv(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(Error::WouldBlock) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, data);
    });
}

#[test]
fn recv_returns_zero_only_at_eof_and_keeps_returning_it() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7007);
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            s.recv(&mut buf),
            Err(Error::WouldBlock),
            "no data yet is not EOF"
        );
        c.send_all(b"ab").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(s.recv(&mut buf), Ok(2));
        for _ in 0..3 {
            assert_eq!(s.recv(&mut buf), Ok(0), "sticky EOF");
        }
        s.set_nonblocking(false).unwrap();
        assert_eq!(
            s.recv(&mut buf),
            Ok(0),
            "blocking recv at EOF returns at once"
        );
    });
}

#[test]
fn half_close_round_trip() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7008);
        c.send_all(b"request").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(
            c.send(b"more"),
            Err(Error::BrokenPipe),
            "send after SHUT_WR"
        );
        let mut buf = [0u8; 32];
        let mut got = Vec::new();
        loop {
            let n = s.recv(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"request");
        // The server can still answer on its open half.
        s.send_all(b"response").unwrap();
        s.close().unwrap();
        let mut got = Vec::new();
        loop {
            let n = c.recv(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"response");
        assert_eq!(c.recv(&mut buf), Ok(0));
    });
}

#[test]
fn shutdown_read_and_both() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7009);
        c.send_all(b"pending").unwrap();
        s.shutdown(Shutdown::Read).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Ok(0), "SHUT_RD: recv returns 0 at once");
        s.send_all(b"still can send").unwrap();
        c.shutdown(Shutdown::Both).unwrap();
        assert_eq!(c.recv(&mut buf), Ok(0));
        assert_eq!(c.send(b"x"), Err(Error::BrokenPipe));
    });
}

#[test]
fn close_with_unread_data_resets_the_peer() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7010);
        c.send_all(b"unread").unwrap();
        stack.poll(stack.now());
        s.close().unwrap();
        let mut buf = [0u8; 8];
        // Reported once, as Linux's sk_err; then end of stream, broken pipe.
        assert_eq!(c.recv(&mut buf), Err(Error::ConnectionReset));
        assert_eq!(c.recv(&mut buf), Ok(0));
        assert_eq!(c.send(b"x"), Err(Error::BrokenPipe));
    });
}

#[test]
fn data_received_before_a_reset_is_still_readable() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7011);
        s.send_all(b"last words").unwrap();
        c.send_all(b"unread").unwrap();
        stack.poll(stack.now());
        s.close().unwrap(); // unread data: RST
        let mut buf = [0u8; 32];
        assert_eq!(c.recv(&mut buf), Ok(10));
        assert_eq!(&buf[..10], b"last words");
        assert_eq!(c.recv(&mut buf), Err(Error::ConnectionReset));
    });
}

#[test]
fn unconnected_stream_socket() {
    with_stack::<2, _>(|stack, _| {
        let s = tcp(stack);
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Err(Error::NotConnected));
        assert_eq!(s.shutdown(Shutdown::Write), Err(Error::NotConnected));
        assert_eq!(s.send(b"x"), Err(Error::BrokenPipe));
        assert_eq!(s.peer_addr(), Err(Error::NotConnected));
    });
}

#[test]
fn using_a_closed_socket_is_an_error_and_close_twice_is_fine() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, _s) = pair(stack, 7012);
        c.close().unwrap();
        c.close().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(c.recv(&mut buf), Err(Error::BadDescriptor));
        assert_eq!(c.send(b"x"), Err(Error::BadDescriptor));
        assert_eq!(c.shutdown(Shutdown::Both), Err(Error::BadDescriptor));
        assert_eq!(c.local_addr(), Err(Error::BadDescriptor));
        assert_eq!(c.set_nonblocking(true), Err(Error::BadDescriptor));
    });
}

#[test]
fn pool_exhaustion_is_an_error_and_close_frees_the_slot() {
    with_stack::<3, _>(|stack, _| {
        let a = tcp(stack);
        let _b = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert_eq!(
            Socket::new(stack, Domain::IPV4, Type::STREAM).err(),
            Some(Error::NoBufferSpace)
        );
        a.close().unwrap();
        assert!(Socket::new(stack, Domain::IPV4, Type::STREAM).is_ok());
        // A slot that became UDP stays UDP: no TCP slot is left.
        drop(a);
    });
}

#[test]
fn connect_to_a_closed_port_is_refused_and_leaks_no_slot() {
    with_stack::<3, _>(|stack, _| {
        for _ in 0..200 {
            let c = tcp(stack);
            assert_eq!(
                c.connect(addr("127.0.0.1:9")),
                Err(Error::ConnectionRefused)
            );
        }
        // Non-blocking: in progress first, the outcome on the next call.
        let c = start_connect(stack, 9);
        stack.poll(stack.now());
        assert_eq!(
            c.connect(addr("127.0.0.1:9")),
            Err(Error::ConnectionRefused)
        );
        // Reported once; afterwards the socket is simply not connected.
        let mut buf = [0u8; 4];
        assert_eq!(c.recv(&mut buf), Err(Error::NotConnected));
        assert_eq!(c.send(b"x"), Err(Error::BrokenPipe));
        // A refused attempt reported by recv, as Linux's SO_ERROR.
        let d = start_connect(stack, 9);
        stack.poll(stack.now());
        assert_eq!(d.recv(&mut buf), Err(Error::ConnectionRefused));
        assert_eq!(d.recv(&mut buf), Err(Error::NotConnected));
    });
}

#[test]
fn connect_to_a_silent_host_times_out() {
    with_stack::<2, _>(|stack, clock| {
        let c = tcp(stack);
        c.set_timeout(secs(3)).unwrap();
        let t0 = clock.now();
        // 127.0.0.2 is not this interface's address: nobody answers.
        assert_eq!(c.connect(addr("127.0.0.2:80")), Err(Error::TimedOut));
        assert_eq!(clock.now() - t0, Duration::from_secs(3));
        // The attempt was abandoned: the socket can try again.
        assert_eq!(
            c.connect(addr("127.0.0.1:9")),
            Err(Error::ConnectionRefused)
        );
    });
}

#[test]
fn bind_conflicts_and_address_reuse() {
    with_stack::<6, _>(|stack, _| {
        let a = tcp(stack);
        a.bind(addr("127.0.0.1:8000")).unwrap();
        let b = tcp(stack);
        assert_eq!(b.bind(addr("127.0.0.1:8000")), Err(Error::AddrInUse));
        assert_eq!(
            b.bind(addr("0.0.0.0:8000")),
            Err(Error::AddrInUse),
            "any overlaps"
        );
        a.set_reuse_address(true).unwrap();
        b.set_reuse_address(true).unwrap();
        b.bind(addr("127.0.0.1:8000")).unwrap();
        drop(b);
        a.listen(1).unwrap();
        let c = tcp(stack);
        c.set_reuse_address(true).unwrap();
        assert_eq!(
            c.bind(addr("127.0.0.1:8000")),
            Err(Error::AddrInUse),
            "a listener is never shared"
        );
        assert_eq!(c.bind(addr("127.0.0.2:8001")), Err(Error::AddrNotAvailable));
        assert_eq!(
            c.bind(addr("[::1]:8001")),
            Err(Error::InvalidInput),
            "family mismatch"
        );
        c.bind(addr("127.0.0.1:0")).unwrap();
        assert_ne!(
            c.local_addr().unwrap().port(),
            0,
            "port 0 picks an ephemeral port"
        );
    });
}

#[test]
fn server_restart_needs_reuse_address_while_time_wait_holds_the_port() {
    with_stack::<6, _>(|stack, _| {
        {
            let l = tcp(stack);
            l.set_reuse_address(true).unwrap();
            l.bind(addr("127.0.0.1:10001")).unwrap();
            l.listen(1).unwrap();
            let c = start_connect(stack, 10001);
            let (s, _) = l.accept().unwrap();
            s.close().unwrap(); // server closes first: its side goes to TIME-WAIT
            let mut buf = [0u8; 1];
            c.set_nonblocking(false).unwrap();
            assert_eq!(c.recv(&mut buf), Ok(0));
        }
        let plain = tcp(stack);
        assert_eq!(plain.bind(addr("127.0.0.1:10001")), Err(Error::AddrInUse));
        let l = tcp(stack);
        l.set_reuse_address(true).unwrap();
        l.bind(addr("127.0.0.1:10001")).unwrap();
        l.listen(5).unwrap();
    });
}

#[test]
fn unix_domain_is_unsupported() {
    with_stack::<2, _>(|stack, _| {
        assert_eq!(
            Socket::new(stack, Domain::UNIX, Type::STREAM).err(),
            Some(Error::Unsupported)
        );
        assert_eq!(
            Socket::new(stack, Domain::UNIX, Type::DGRAM).err(),
            Some(Error::Unsupported)
        );
        let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert_eq!(u.listen(1), Err(Error::Unsupported));
    });
}

#[test]
fn ipv6_stream_round_trip_and_addresses() {
    with_stack::<5, _>(|stack, _| {
        let l = Socket::new(stack, Domain::IPV6, Type::STREAM).unwrap();
        l.bind(addr("[::1]:7100")).unwrap();
        l.listen(1).unwrap();
        let c = Socket::new(stack, Domain::IPV6, Type::STREAM).unwrap();
        c.set_nonblocking(true).unwrap();
        assert_eq!(c.connect(addr("[::1]:7100")), Err(Error::WouldBlock));
        let (s, peer) = l.accept().unwrap();
        assert_eq!(peer, c.local_addr().unwrap());
        assert_eq!(s.local_addr().unwrap(), addr("[::1]:7100"));
        assert_eq!(c.peer_addr().unwrap(), addr("[::1]:7100"));
        c.send_all(b"six").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Ok(3));
        let v4 = tcp(stack);
        assert_eq!(v4.connect(addr("[::1]:7100")), Err(Error::InvalidInput));
    });
}

#[test]
fn python_names_of_errors() {
    assert_eq!(Error::WouldBlock.python_name(), "BlockingIOError");
    assert_eq!(Error::ConnectionReset.python_name(), "ConnectionResetError");
    assert_eq!(Error::TimedOut.to_string(), "timed out");
    let io: std::io::Error = Error::ConnectionRefused.into();
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn nodelay_sends_small_writes_at_once() {
    // 10 ms each way: with Nagle (the default) the second small write waits
    // for the first one's ACK; with TCP_NODELAY both leave at once.
    with_delay_stack::<4, _>(10, |stack, clock| {
        let (_l, c, s) = pair(stack, 7200);
        let mut buf = [0u8; 8];
        c.send_all(b"a").unwrap();
        c.send_all(b"b").unwrap();
        let t0 = clock.now();
        assert_eq!(s.recv(&mut buf), Ok(1));
        assert_eq!(s.recv(&mut buf), Ok(1));
        assert_eq!(
            clock.now() - t0,
            Duration::from_millis(30),
            "b waited a round trip"
        );
        c.set_tcp_nodelay(true).unwrap();
        c.send_all(b"c").unwrap();
        c.send_all(b"d").unwrap();
        let t1 = clock.now();
        assert_eq!(s.recv(&mut buf), Ok(2), "both went out at once");
        assert!(clock.now() - t1 <= Duration::from_millis(10));
    });
}

#[test]
fn blocking_connect_without_timeout_gives_up_like_linux() {
    with_stack::<2, _>(|stack, clock| {
        let c = tcp(stack);
        let t0 = clock.now();
        assert_eq!(c.connect(addr("127.0.0.2:80")), Err(Error::TimedOut));
        assert_eq!(clock.now() - t0, Duration::from_secs(127));
    });
}

#[test]
fn zero_copy_send_with_and_recv_with() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7300);
        let n = c
            .send_with(|room| {
                room[..5].copy_from_slice(b"hello");
                5
            })
            .unwrap();
        assert_eq!(n, 5);
        let mut got = Vec::new();
        let n = s.recv_with(|data| {
            got.extend_from_slice(&data[..3]);
            3
        });
        assert_eq!(n, Ok(3));
        assert_eq!(got, b"hel");
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Ok(2), "the rest stays queued");
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(s.recv_with(|_| panic!("not called at EOF")), Ok(0));
        assert_eq!(c.send_with(|_| 1), Err(Error::BrokenPipe));
    });
}

#[test]
fn recv_from_returns_data_that_arrived_before_a_reset_with_its_sender() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 13001);
        let client = c.local_addr().unwrap();
        s.send_all(b"unread").unwrap(); // c never reads it: its close resets
        c.send_all(b"data").unwrap();
        stack.poll(stack.now());
        c.close().unwrap();
        stack.poll(stack.now());
        let mut buf = [0u8; 16];
        assert_eq!(
            s.recv_from(&mut buf),
            Ok((4, client)),
            "bytes before the RST"
        );
        assert_eq!(&buf[..4], b"data");
        assert_eq!(s.recv_from(&mut buf), Err(Error::ConnectionReset));
    });
}

#[test]
fn connect_without_a_source_address_of_that_family_says_so_at_once() {
    // A stack with an IPv4 address only: an IPv6 destination has no source.
    let clock = SimClock::new();
    let mut dev = smoltcp::phy::Loopback::new(smoltcp::phy::Medium::Ip);
    let mut res = StackResources::<2, 1024>::new();
    let v4 = smoltcp::wire::IpCidr::new(smoltcp::wire::IpAddress::v4(127, 0, 0, 1), 8);
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::ip().with_address(v4)).unwrap();
    let s = Socket::new(&stack, Domain::IPV6, Type::STREAM).unwrap();
    s.set_timeout(Some(core::time::Duration::from_secs(20)))
        .unwrap();
    assert_eq!(s.connect(addr("[::1]:8000")), Err(Error::AddrNotAvailable));
    assert_eq!(
        clock.now(),
        smoltcp::time::Instant::ZERO,
        "at once, not after 20 s"
    );
}

#[test]
fn send_to_on_a_stream_socket_ignores_the_address_as_linux_does() {
    with_stack::<5, _>(|stack, _| {
        let unconnected = Socket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
        assert_eq!(
            unconnected.send_to(b"x", addr("127.0.0.1:9")),
            Err(Error::BrokenPipe)
        );
        let l = Socket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
        l.bind(addr("127.0.0.1:7200")).unwrap();
        l.listen(1).unwrap();
        let c = Socket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
        c.set_nonblocking(true).unwrap();
        let _ = c.connect(addr("127.0.0.1:7200"));
        let (s, _) = l.accept().unwrap();
        c.set_nonblocking(false).unwrap();
        // Another address entirely: ignored, the bytes go to the peer.
        assert_eq!(c.send_to(b"hello", addr("10.9.9.9:1")), Ok(5));
        let mut buf = [0; 8];
        assert_eq!(s.recv(&mut buf), Ok(5));
        assert_eq!(&buf[..5], b"hello");
    });
}
