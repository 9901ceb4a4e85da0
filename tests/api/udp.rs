//! SPEC §3, datagram sockets.
use crate::common;
use common::*;
use smoltcp::time::Duration;

#[track_caller]
fn udp<'s, 'a>(stack: &'s Stack<'a>, at: &str) -> Socket<'s, 'a> {
    let u = Socket::new(stack, Domain::for_address(addr(at)), Type::DGRAM).unwrap();
    u.bind(addr(at)).unwrap();
    u
}

#[test]
fn send_to_and_recv_from_round_trip() {
    with_stack::<4, _>(|stack, _| {
        let a = udp(stack, "127.0.0.1:5000");
        let b = udp(stack, "127.0.0.1:5001");
        assert_eq!(a.send_to(b"ping", addr("127.0.0.1:5001")), Ok(4));
        let mut buf = [0u8; 16];
        assert_eq!(b.recv_from(&mut buf), Ok((4, addr("127.0.0.1:5000"))));
        assert_eq!(&buf[..4], b"ping");
        b.send_to(b"pong", addr("127.0.0.1:5000")).unwrap();
        assert_eq!(a.recv_from(&mut buf), Ok((4, addr("127.0.0.1:5001"))));
    });
}

#[test]
fn an_oversized_datagram_is_truncated_and_the_rest_dropped() {
    with_stack::<4, _>(|stack, _| {
        let a = udp(stack, "127.0.0.1:5002");
        let b = udp(stack, "127.0.0.1:5003");
        let data: Vec<u8> = (0..100).collect();
        a.send_to(&data, addr("127.0.0.1:5003")).unwrap();
        a.send_to(b"next", addr("127.0.0.1:5003")).unwrap();
        let mut small = [0u8; 10];
        assert_eq!(b.recv_from(&mut small), Ok((10, addr("127.0.0.1:5002"))));
        assert_eq!(&small[..], &data[..10]);
        // The next read is the next datagram, not the rest of the first.
        let mut buf = [0u8; 100];
        assert_eq!(b.recv_from(&mut buf).map(|(n, _)| n), Ok(4));
        assert_eq!(&buf[..4], b"next");
    });
}

#[test]
fn unbound_send_to_picks_an_ephemeral_port() {
    with_stack::<4, _>(|stack, _| {
        let a = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        let b = udp(stack, "127.0.0.1:5004");
        a.send_to(b"hi", addr("127.0.0.1:5004")).unwrap();
        let mut buf = [0u8; 4];
        let (n, from) = b.recv_from(&mut buf).unwrap();
        assert_eq!(n, 2);
        assert!((32768..=60999).contains(&from.port()), "{from}");
    });
}

#[test]
fn recv_from_modes() {
    with_stack::<4, _>(|stack, clock| {
        let b = udp(stack, "127.0.0.1:5005");
        let mut buf = [0u8; 4];
        b.set_timeout(Some(core::time::Duration::from_secs(1)))
            .unwrap();
        let t0 = clock.now();
        assert_eq!(b.recv_from(&mut buf), Err(Error::TimedOut));
        assert_eq!(clock.now() - t0, Duration::from_secs(1));
        b.set_nonblocking(true).unwrap();
        assert_eq!(b.recv_from(&mut buf), Err(Error::WouldBlock));
    });
}

#[test]
fn connected_udp_sends_to_its_peer_and_hears_only_it() {
    with_stack::<4, _>(|stack, _| {
        let a = udp(stack, "127.0.0.1:5006");
        let b = udp(stack, "127.0.0.1:5007");
        let other = udp(stack, "127.0.0.1:5008");
        let mut buf = [0u8; 8];
        assert_eq!(
            a.send(b"x"),
            Err(Error::NotConnected),
            "no peer: EDESTADDRREQ-like"
        );
        a.connect(addr("127.0.0.1:5007")).unwrap();
        assert_eq!(a.peer_addr(), Ok(addr("127.0.0.1:5007")));
        a.send(b"hello").unwrap();
        assert_eq!(b.recv(&mut buf), Ok(5));
        other.send_to(b"noise", addr("127.0.0.1:5006")).unwrap();
        b.send_to(b"reply", addr("127.0.0.1:5006")).unwrap();
        assert_eq!(a.recv(&mut buf), Ok(5));
        assert_eq!(&buf[..5], b"reply");
    });
}

#[test]
fn udp_over_ipv6_and_bind_conflicts() {
    with_stack::<4, _>(|stack, _| {
        let a = udp(stack, "[::1]:5009");
        let b = udp(stack, "[::1]:5010");
        a.send_to(b"six", addr("[::1]:5010")).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(b.recv_from(&mut buf), Ok((3, addr("[::1]:5009"))));
        let c = Socket::new(stack, Domain::IPV6, Type::DGRAM).unwrap();
        assert_eq!(c.bind(addr("[::1]:5009")), Err(Error::AddrInUse));
        assert_eq!(
            c.send_to(b"x", addr("127.0.0.1:5009")),
            Err(Error::InvalidInput)
        );
    });
}

#[test]
fn a_datagram_larger_than_the_buffer_is_an_error_not_a_panic() {
    with_stack_buf::<2, 512, _>(|stack, _| {
        let a = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert_eq!(
            a.send_to(&[0u8; 2000], addr("127.0.0.1:5011")),
            Err(Error::InvalidInput)
        );
    });
}
