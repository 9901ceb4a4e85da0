//! `recv`/`send` flags: `MSG_PEEK`, `MSG_WAITALL`, `MSG_DONTWAIT`, `MSG_OOB`,
//! on simulated time. Where Linux's answer is not obvious, a `linux_` test
//! asks the kernel on 127.0.0.1 (socket2) and pins it.

use crate::common;

use common::act_clock::world;
use common::*;
use core::time::Duration;
use smolsock::MsgFlags;
use smoltcp::time::Duration as SmolDuration;

#[test]
fn peek_leaves_the_bytes_for_the_next_call() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7201);
        c.send_all(b"hello").unwrap();
        let mut buf = [0u8; 3];
        assert_eq!(s.peek(&mut buf), Ok(3));
        assert_eq!(&buf, b"hel");
        let mut all = [0u8; 8];
        assert_eq!(s.recv_with_flags(&mut all, MsgFlags::PEEK), Ok(5));
        assert_eq!(s.recv(&mut all), Ok(5));
        assert_eq!(&all[..5], b"hello");
    });
}

#[test]
fn peek_at_end_of_stream_is_zero_and_only_there() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7202);
        s.set_timeout(Some(Duration::from_secs(1))).unwrap();
        let mut buf = [0u8; 4];
        // Nothing yet: a timeout, never Ok(0).
        assert_eq!(s.peek(&mut buf), Err(Error::TimedOut));
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(s.peek(&mut buf), Ok(0));
        assert_eq!(s.peek(&mut buf), Ok(0));
        assert_eq!(s.recv(&mut buf), Ok(0));
    });
}

#[test]
fn peek_on_udp_keeps_the_datagram_and_truncates_as_usual() {
    with_stack::<4, _>(|stack, _| {
        let a = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        a.bind(addr("127.0.0.1:9201")).unwrap();
        let b = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        b.bind(addr("127.0.0.1:9202")).unwrap();
        b.send_to(b"datagram", addr("127.0.0.1:9201")).unwrap();
        let mut small = [0u8; 4];
        assert_eq!(
            a.recv_from_with_flags(&mut small, MsgFlags::PEEK),
            Ok((4, addr("127.0.0.1:9202")))
        );
        assert_eq!(&small, b"data");
        let mut buf = [0u8; 16];
        assert_eq!(a.recv(&mut buf), Ok(8));
        assert_eq!(&buf[..8], b"datagram");
        assert_eq!(
            a.recv_with_flags(&mut buf, MsgFlags::DONTWAIT),
            Err(Error::WouldBlock)
        );
    });
}

#[test]
fn dontwait_does_not_wait_on_a_blocking_socket() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, c, s) = pair(stack, 7203);
        let start = clock.now();
        let mut buf = [0u8; 4];
        assert_eq!(
            s.recv_with_flags(&mut buf, MsgFlags::DONTWAIT),
            Err(Error::WouldBlock)
        );
        assert_eq!(
            s.recv_with_flags(&mut buf, MsgFlags::PEEK | MsgFlags::DONTWAIT),
            Err(Error::WouldBlock)
        );
        assert_eq!(clock.now(), start);
        assert_eq!(s.timeout(), None); // the socket's mode is untouched
                                       // send: DONTWAIT until the buffer is full, then WouldBlock at once.
        let chunk = [1u8; 700];
        let mut refused = false;
        for _ in 0..64 {
            match c.send_with_flags(&chunk, MsgFlags::DONTWAIT) {
                Ok(n) => assert!(n > 0),
                Err(e) => {
                    assert_eq!(e, Error::WouldBlock);
                    refused = true;
                    break;
                }
            }
        }
        assert!(refused);
        assert_eq!(clock.now(), start);
    });
}

#[test]
fn waitall_fills_the_buffer_across_segments_that_come_apart() {
    let (stack, clock) = world::<4>();
    let (_l, c, s) = pair(stack, 7204);
    let c: &'static Socket = Box::leak(Box::new(c));
    c.send_all(&[b'a'; 1000]).unwrap();
    let start = clock.now();
    clock.at(start + SmolDuration::from_millis(100), move || {
        c.send_all(&[b'b'; 1000]).unwrap();
    });
    let mut buf = [0u8; 2000];
    assert_eq!(s.recv_with_flags(&mut buf, MsgFlags::WAITALL), Ok(2000));
    assert_eq!(clock.now(), start + SmolDuration::from_millis(100));
    assert!(buf[..1000].iter().all(|b| *b == b'a'));
    assert!(buf[1000..].iter().all(|b| *b == b'b'));
}

#[test]
fn waitall_larger_than_the_receive_buffer_still_fills() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7205);
        // Fill the peer's 2 KiB receive buffer and our send buffer: more
        // than the receive buffer holds, so the window must reopen while
        // the call waits.
        c.set_nonblocking(true).unwrap();
        let data: Vec<u8> = (0..8000u32).map(|k| (k % 251) as u8).collect();
        let mut sent = 0;
        while let Ok(n) = c.send(&data[sent..]) {
            sent += n;
            stack.poll(stack.now());
        }
        assert!(sent > 2048, "{sent}");
        let mut buf = vec![0u8; sent];
        assert_eq!(s.recv_with_flags(&mut buf, MsgFlags::WAITALL), Ok(sent));
        assert_eq!(buf, data[..sent]);
    });
}

#[test]
fn waitall_cut_short_by_the_timeout_returns_what_came() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, c, s) = pair(stack, 7206);
        s.set_timeout(Some(Duration::from_secs(1))).unwrap();
        let mut buf = [0u8; 10];
        let start = clock.now();
        // Nothing at all: TimedOut, at exactly the timeout.
        assert_eq!(
            s.recv_with_flags(&mut buf, MsgFlags::WAITALL),
            Err(Error::TimedOut)
        );
        assert_eq!(clock.now(), start + SmolDuration::from_secs(1));
        c.send_all(b"abc").unwrap();
        assert_eq!(s.recv_with_flags(&mut buf, MsgFlags::WAITALL), Ok(3));
        assert_eq!(clock.now(), start + SmolDuration::from_secs(2));
        // The stream ending: what came, then Ok(0).
        c.send_all(b"de").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(s.recv_with_flags(&mut buf, MsgFlags::WAITALL), Ok(2));
        assert_eq!(s.recv_with_flags(&mut buf, MsgFlags::WAITALL), Ok(0));
    });
}

#[test]
fn waitall_cut_short_by_a_reset_returns_what_came_then_the_reset() {
    let (stack, clock) = world::<4>();
    let (_l, c, s) = pair(stack, 7210);
    let c: &'static Socket = Box::leak(Box::new(c));
    c.send_all(b"abc").unwrap();
    let start = clock.now();
    clock.at(start + SmolDuration::from_millis(20), move || {
        c.set_linger(Some(Duration::ZERO)).unwrap();
        c.close().unwrap(); // an RST
    });
    let mut buf = [0u8; 10];
    assert_eq!(s.recv_with_flags(&mut buf, MsgFlags::WAITALL), Ok(3));
    assert_eq!(&buf[..3], b"abc");
    assert_eq!(s.recv(&mut buf), Err(Error::ConnectionReset));
}

#[test]
fn peek_with_waitall_waits_for_the_whole_buffer_and_keeps_it() {
    let (stack, clock) = world::<4>();
    let (_l, c, s) = pair(stack, 7207);
    let c: &'static Socket = Box::leak(Box::new(c));
    c.send_all(b"abc").unwrap();
    let start = clock.now();
    clock.at(start + SmolDuration::from_millis(50), move || {
        c.send_all(b"def").unwrap();
    });
    let mut buf = [0u8; 6];
    assert_eq!(
        s.recv_with_flags(&mut buf, MsgFlags::PEEK | MsgFlags::WAITALL),
        Ok(6)
    );
    assert_eq!(clock.now(), start + SmolDuration::from_millis(50));
    assert_eq!(s.recv(&mut buf), Ok(6));
    assert_eq!(&buf, b"abcdef");
}

#[test]
fn oob_is_unsupported_never_ignored() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7208);
        let mut buf = [0u8; 4];
        assert_eq!(
            s.recv_with_flags(&mut buf, MsgFlags::OOB),
            Err(Error::Unsupported)
        );
        assert_eq!(
            c.send_with_flags(b"x", MsgFlags::OOB),
            Err(Error::Unsupported)
        );
    });
}

// ---- the async counterparts ------------------------------------------------------

#[test]
fn async_peek_waitall_and_dontwait() {
    use common::async_util::{async_listener, connect_pair};
    use common::sim_exec::{block_on_sim, sleep_ms};
    use futures_util::future::join;
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 7209, 1);
        block_on_sim(stack, clock, async {
            let (c, s) = connect_pair(&l, 7209).await;
            let mut buf = [0u8; 6];
            assert_eq!(
                s.recv_with_flags(&mut buf, MsgFlags::DONTWAIT).await,
                Err(Error::WouldBlock)
            );
            c.send_all(b"abc").await.unwrap();
            let start = clock.now();
            let later = async {
                sleep_ms(clock, 40).await;
                c.send_all(b"def").await.unwrap();
            };
            let ((), n) = join(later, s.recv_with_flags(&mut buf, MsgFlags::WAITALL)).await;
            assert_eq!(n, Ok(6));
            assert_eq!(&buf, b"abcdef");
            assert_eq!(clock.now(), start + SmolDuration::from_millis(40));
            c.send_all(b"zz").await.unwrap();
            let mut two = [0u8; 2];
            assert_eq!(s.peek(&mut two).await, Ok(2));
            assert_eq!(s.recv(&mut two).await, Ok(2));
            assert_eq!(
                c.send_with_flags(b"x", MsgFlags::OOB).await,
                Err(Error::Unsupported)
            );
        });
    });
}

// ---- what the kernel does (socket2 on 127.0.0.1) ------------------------------

mod linux {
    use socket2::{Domain, Socket, Type};
    use std::mem::MaybeUninit;
    use std::net::SocketAddr;
    use std::time::Duration;

    fn tcp_pair() -> (Socket, Socket) {
        let l = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        l.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        l.listen(1).unwrap();
        let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        c.connect(&l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        (c, s)
    }

    fn buf(n: usize) -> Vec<MaybeUninit<u8>> {
        vec![MaybeUninit::new(0); n]
    }

    /// Pins: `MSG_PEEK` at end of stream returns 0 (EOF), again and again.
    #[test]
    fn linux_peek_at_end_of_stream_is_zero() {
        let (c, s) = tcp_pair();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let mut b = buf(4);
        assert_eq!(s.peek(&mut b).unwrap(), 0);
        assert_eq!(s.peek(&mut b).unwrap(), 0);
    }

    /// Pins: `MSG_WAITALL` cut short by the receive timeout returns the
    /// bytes that came (not an error).
    #[test]
    fn linux_waitall_cut_short_by_a_timeout_returns_what_came() {
        let (c, s) = tcp_pair();
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        c.send(b"abc").unwrap();
        let mut b = buf(10);
        assert_eq!(s.recv_with_flags(&mut b, libc::MSG_WAITALL).unwrap(), 3);
    }

    /// Pins: `MSG_PEEK` on UDP truncates to the buffer and keeps the
    /// datagram whole for the next call.
    #[test]
    fn linux_udp_peek_truncates_and_keeps_the_datagram() {
        let a = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
        a.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        let b = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
        b.send_to(b"datagram", &a.local_addr().unwrap()).unwrap();
        let mut small = buf(4);
        assert_eq!(a.peek(&mut small).unwrap(), 4);
        let mut all = buf(16);
        assert_eq!(a.recv(&mut all).unwrap(), 8);
    }
}
