//! Divergences from Linux that the conformance harness (tests/conformance,
//! CONFORMANCE.md) found and that are fixed: each test pins smolsock's
//! answer, and where the kernel's answer is quick to ask, the kernel's too
//! (socket2 / std on 127.0.0.1).
use crate::common;
use common::*;
use smolsock::MsgFlags;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};

/// Linux: a connected pair on 127.0.0.1 (client, accepted side).
fn linux_pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let c = TcpStream::connect(l.local_addr().expect("addr")).expect("connect");
    let (s, _) = l.accept().expect("accept");
    (c, s)
}

fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(20));
}

#[test]
fn a_reset_is_reported_once_then_end_of_stream_and_broken_pipe() {
    // Linux: close with unread data resets the peer; ECONNRESET once.
    let (mut lc, ls) = linux_pair();
    lc.write_all(b"unread").unwrap();
    settle();
    drop(ls);
    settle();
    let mut buf = [0u8; 8];
    assert_eq!(
        lc.read(&mut buf).unwrap_err().kind(),
        ErrorKind::ConnectionReset
    );
    assert_eq!(lc.read(&mut buf).unwrap(), 0);
    assert_eq!(lc.write(b"x").unwrap_err().kind(), ErrorKind::BrokenPipe);

    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 12001);
        c.send_all(b"unread").unwrap();
        stack.poll(stack.now());
        s.close().unwrap();
        stack.poll(stack.now());
        assert_eq!(c.recv(&mut buf), Err(Error::ConnectionReset));
        assert_eq!(c.recv(&mut buf), Ok(0));
        assert_eq!(c.send(b"x"), Err(Error::BrokenPipe));
        assert_eq!(c.send(b"x"), Err(Error::BrokenPipe));
    });
}

#[test]
fn data_after_shutdown_both_resets_the_connection() {
    // Linux: the side that shut both halves resets on data (RFC 1122).
    let (lc, mut ls) = linux_pair();
    lc.shutdown(std::net::Shutdown::Both).unwrap();
    settle();
    ls.write_all(b"late").unwrap();
    settle();
    assert_eq!(
        (&lc).write(b"x").unwrap_err().kind(),
        ErrorKind::ConnectionReset
    );
    assert_eq!((&lc).write(b"x").unwrap_err().kind(), ErrorKind::BrokenPipe);
    let mut buf = [0u8; 8];
    // The peer: end of stream (our FIN), then the reset on its next write.
    assert_eq!(ls.read(&mut buf).unwrap(), 0);
    assert_eq!(ls.write(b"y").unwrap_err().kind(), ErrorKind::BrokenPipe);

    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 12002);
        c.shutdown(Shutdown::Both).unwrap();
        s.send_all(b"late").unwrap();
        stack.poll(stack.now());
        assert_eq!(c.send(b"x"), Err(Error::ConnectionReset));
        assert_eq!(c.send(b"x"), Err(Error::BrokenPipe));
        assert_eq!(c.recv(&mut buf), Ok(0));
        assert_eq!(s.recv(&mut buf), Ok(0));
        assert_eq!(s.send(b"y"), Err(Error::BrokenPipe));
    });
}

#[test]
fn data_queued_before_shutdown_both_does_not_reset() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 12003);
        s.send_all(b"early").unwrap();
        c.shutdown(Shutdown::Both).unwrap();
        stack.poll(stack.now());
        assert_eq!(c.send(b"x"), Err(Error::BrokenPipe));
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Ok(0), "the peer reads our FIN, no reset");
    });
}

#[test]
fn an_empty_send_checks_the_socket_state() {
    // Python on Linux: send(b"") / sendall(b"") unconnected is EPIPE.
    let l = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    assert_eq!(l.send(b"").unwrap_err().kind(), ErrorKind::BrokenPipe);
    with_stack::<5, _>(|stack, _| {
        let t = tcp(stack);
        assert_eq!(t.send(b""), Err(Error::BrokenPipe));
        assert_eq!(t.send_all(b""), Err(Error::BrokenPipe));
        assert_eq!(t.send_to(b"", addr("127.0.0.1:1")), Err(Error::BrokenPipe));
        let (_l, c, _s) = pair(stack, 12004);
        assert_eq!(c.send(b""), Ok(0));
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(c.send(b""), Err(Error::BrokenPipe));
    });
}

#[test]
fn recv_into_an_empty_buffer_is_pythons_recv_0() {
    with_stack::<4, _>(|stack, _| {
        let t = tcp(stack);
        assert_eq!(t.recv(&mut []), Ok(0), "unconnected TCP: b''");
        let a = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        a.bind(addr("127.0.0.1:12005")).unwrap();
        let b = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        b.send_to(b"kept", addr("127.0.0.1:12005")).unwrap();
        stack.poll(stack.now());
        assert_eq!(a.recv(&mut []), Ok(0));
        let mut buf = [0u8; 8];
        assert_eq!(a.recv(&mut buf), Ok(4), "the datagram stayed queued");
        a.close().unwrap();
        assert_eq!(a.recv(&mut []), Err(Error::BadDescriptor));
    });
}

#[test]
fn accept_on_a_datagram_socket_is_unsupported() {
    let u = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    assert_eq!(u.accept().unwrap_err().raw_os_error(), Some(95)); // EOPNOTSUPP
    with_stack::<4, _>(|stack, _| {
        let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert!(matches!(u.accept(), Err(Error::Unsupported)));
        u.close().unwrap();
        assert!(matches!(u.accept(), Err(Error::BadDescriptor)));
        assert_eq!(u.listen(1), Err(Error::BadDescriptor));
    });
}

#[test]
fn listen_after_connect_and_connect_on_a_listener_are_refused() {
    with_stack::<4, _>(|stack, _| {
        let l = listener(stack, 12006, 1);
        // Linux: EISCONN, whatever the address.
        assert_eq!(
            l.connect(addr("127.0.0.1:12006")),
            Err(Error::AlreadyConnected)
        );
        assert_eq!(l.connect(addr("0.0.0.0:0")), Err(Error::AlreadyConnected));
        assert_eq!(l.peer_addr(), Err(Error::NotConnected));
        let c = start_connect(stack, 12006);
        assert_eq!(c.listen(1), Err(Error::InvalidInput)); // EINVAL
        let (s, _) = l.accept().unwrap();
        assert_eq!(l.peer_addr(), Err(Error::NotConnected));
        assert_eq!(
            s.connect(addr("127.0.0.1:12006")),
            Err(Error::AlreadyConnected)
        );
    });
}

#[test]
fn a_listener_on_any_address_keeps_reporting_it() {
    with_stack::<4, _>(|stack, _| {
        let l = tcp(stack);
        l.bind(addr("0.0.0.0:12007")).unwrap();
        l.listen(2).unwrap();
        let _c = start_connect(stack, 12007);
        stack.poll(stack.now());
        assert_eq!(l.local_addr(), Ok(addr("0.0.0.0:12007")));
        let (s, _) = l.accept().unwrap();
        assert_eq!(l.local_addr(), Ok(addr("0.0.0.0:12007")));
        assert_eq!(s.local_addr(), Ok(addr("127.0.0.1:12007")));
    });
}

#[test]
fn shutdown_of_an_unconnected_socket_still_shuts_the_halves() {
    // Linux: ENOTCONN, but SEND_SHUTDOWN sticks: send after connect is EPIPE.
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    let r = socket2::SockRef::from(&u);
    assert_eq!(
        r.shutdown(std::net::Shutdown::Write)
            .unwrap_err()
            .raw_os_error(),
        Some(107)
    );
    u.connect("127.0.0.1:9").unwrap();
    assert_eq!(u.send(b"x").unwrap_err().kind(), ErrorKind::BrokenPipe);
    with_stack::<4, _>(|stack, _| {
        let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert_eq!(u.shutdown(Shutdown::Write), Err(Error::NotConnected));
        u.connect(addr("127.0.0.1:9")).unwrap();
        assert_eq!(u.send(b"x"), Err(Error::BrokenPipe));
        let t = tcp(stack);
        assert_eq!(t.shutdown(Shutdown::Read), Err(Error::NotConnected));
        let mut buf = [0u8; 4];
        assert_eq!(t.recv(&mut buf), Ok(0), "shut for reading: b''");
    });
}

#[test]
fn datagrams_bind_before_the_destination_is_checked() {
    // Linux: a port is bound, then EINVAL (port 0) / EDESTADDRREQ (no peer).
    let u = UdpSocket::bind("0.0.0.0:0").unwrap();
    assert_eq!(
        u.send_to(b"x", "127.0.0.1:0").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    with_stack::<4, _>(|stack, _| {
        let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert_eq!(
            u.send_to(b"x", addr("127.0.0.1:0")),
            Err(Error::InvalidInput)
        );
        assert_ne!(u.local_addr().unwrap().port(), 0, "bound by the send");
        let v = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert_eq!(v.send(b"x"), Err(Error::NotConnected));
        assert_ne!(v.local_addr().unwrap().port(), 0, "bound by the send");
    });
}

#[test]
fn a_nonblocking_send_after_shutdown_during_connect_never_times_out() {
    with_stack::<4, _>(|stack, _| {
        let _l = listener(stack, 12008, 1);
        let c = start_connect(stack, 12008);
        let r = c.shutdown(Shutdown::Write);
        assert!(matches!(r, Ok(()) | Err(Error::NotConnected)), "{r:?}");
        for _ in 0..3 {
            let r = c.send(b"x");
            assert!(
                matches!(r, Err(Error::BrokenPipe | Error::WouldBlock)),
                "{r:?}"
            );
        }
    });
}

#[test]
fn connect_after_a_reset_reports_the_reset() {
    with_stack::<4, _>(|stack, _| {
        let l = listener(stack, 12009, 1);
        let c = start_connect(stack, 12009); // outcome never asked for
        let (s, _) = l.accept().unwrap();
        c.send_all(b"unread").unwrap();
        stack.poll(stack.now());
        s.close().unwrap(); // unread data: RST
        stack.poll(stack.now());
        // Linux: the pending ECONNRESET, then EISCONN (never a new attempt).
        assert_eq!(
            c.connect(addr("127.0.0.1:12009")),
            Err(Error::ConnectionReset)
        );
        assert_eq!(
            c.connect(addr("127.0.0.1:12009")),
            Err(Error::AlreadyConnected)
        );
    });
}

#[test]
fn linger_on_a_datagram_socket_is_accepted_and_recv_0_with_flags_is_empty() {
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket2::SockRef::from(&u)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    with_stack::<4, _>(|stack, _| {
        let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        assert_eq!(u.set_linger(Some(std::time::Duration::ZERO)), Ok(()));
        let t = tcp(stack);
        assert_eq!(t.recv_with_flags(&mut [], MsgFlags::DONTWAIT), Ok(0));
    });
}

#[test]
fn data_between_shutdown_read_and_shutdown_write_does_not_reset() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 12010);
        s.shutdown(Shutdown::Read).unwrap();
        c.send_all(b"x").unwrap();
        stack.poll(stack.now());
        s.shutdown(Shutdown::Both).unwrap(); // the byte came before our FIN
        stack.poll(stack.now());
        assert_eq!(c.send(b""), Ok(0), "the client is not reset");
        let mut buf = [0u8; 4];
        assert_eq!(c.recv(&mut buf), Ok(0), "it reads our FIN");
    });
}
