//! embedded-nal 0.9 on a smolsock stack: each trait contract, one test each.
use crate::common;
use common::*;
use embedded_nal::{
    nb, AddrType, Dns, TcpClientStack, TcpError, TcpErrorKind, TcpFullStack, UdpClientStack,
    UdpFullStack,
};
use smolsock::io::{NalSocket, NalStack};
use smolsock::ResolveError;

type Tcp<'s, 'a> = NalSocket<'s, 'a>;

/// A nal listener on `port`.
#[track_caller]
fn nal_listener<'s, 'a>(nal: &mut NalStack<'s, 'a>, port: u16) -> Tcp<'s, 'a> {
    let mut l = TcpClientStack::socket(nal).unwrap();
    TcpFullStack::bind(nal, &mut l, port).unwrap();
    nal.listen(&mut l).unwrap();
    l
}

/// Connect through nal, driving the handshake as a nal client does: call
/// `connect` until it is `Ok`.
#[track_caller]
fn nal_connect<'s, 'a>(nal: &mut NalStack<'s, 'a>, to: SockAddr) -> Tcp<'s, 'a> {
    let mut c = TcpClientStack::socket(nal).unwrap();
    assert_eq!(
        TcpClientStack::connect(nal, &mut c, to),
        Err(nb::Error::WouldBlock),
        "handshake started"
    );
    for _ in 0..10 {
        match TcpClientStack::connect(nal, &mut c, to) {
            Ok(()) => return c,
            Err(nb::Error::WouldBlock) => {
                nal.stack().poll(nal.stack().now());
            }
            Err(nb::Error::Other(e)) => panic!("connect: {e}"),
        }
    }
    panic!("no connection");
}

#[track_caller]
fn nal_accept<'s, 'a>(nal: &mut NalStack<'s, 'a>, l: &mut Tcp<'s, 'a>) -> (Tcp<'s, 'a>, SockAddr) {
    nal.accept(l).expect("a connection is waiting")
}

#[test]
fn connect_is_would_block_then_ok_and_stays_ok() {
    with_stack::<4, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        let mut l = nal_listener(&mut nal, 9000);
        let to = addr("127.0.0.1:9000");
        let mut c = nal_connect(&mut nal, to);
        for _ in 0..3 {
            assert_eq!(TcpClientStack::connect(&mut nal, &mut c, to), Ok(()));
        }
        // Connected to a different peer is still an error.
        assert_eq!(
            TcpClientStack::connect(&mut nal, &mut c, addr("127.0.0.1:9001")),
            Err(nb::Error::Other(Error::AlreadyConnected))
        );
        let (_s, peer) = nal_accept(&mut nal, &mut l);
        assert_eq!(peer, c.socket().local_addr().unwrap());
        assert_eq!(c.socket().timeout(), Some(core::time::Duration::ZERO));
    });
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    with_stack::<4, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        let mut c = TcpClientStack::socket(&mut nal).unwrap();
        let to = addr("127.0.0.1:9002");
        assert_eq!(
            TcpClientStack::connect(&mut nal, &mut c, to),
            Err(nb::Error::WouldBlock)
        );
        stack.poll(stack.now());
        let e = TcpClientStack::connect(&mut nal, &mut c, to);
        assert_eq!(e, Err(nb::Error::Other(Error::ConnectionRefused)));
        assert_eq!(Error::ConnectionRefused.kind(), TcpErrorKind::Other);
    });
}

#[test]
fn receive_is_would_block_without_data_and_pipe_closed_at_end_of_stream() {
    with_stack::<4, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        let mut l = nal_listener(&mut nal, 9003);
        let mut c = nal_connect(&mut nal, addr("127.0.0.1:9003"));
        let (mut s, _) = nal_accept(&mut nal, &mut l);
        let mut buf = [0u8; 16];
        assert_eq!(
            TcpClientStack::receive(&mut nal, &mut s, &mut buf),
            Err(nb::Error::WouldBlock),
            "no data yet is WouldBlock, never Ok(0)"
        );
        assert_eq!(TcpClientStack::send(&mut nal, &mut c, b"bye"), Ok(3));
        c.socket().shutdown(Shutdown::Write).unwrap();
        assert_eq!(TcpClientStack::receive(&mut nal, &mut s, &mut buf), Ok(3));
        assert_eq!(&buf[..3], b"bye");
        for _ in 0..2 {
            match TcpClientStack::receive(&mut nal, &mut s, &mut buf) {
                Err(nb::Error::Other(e)) => {
                    assert_eq!(e, Error::BrokenPipe);
                    assert_eq!(e.kind(), TcpErrorKind::PipeClosed);
                }
                r => panic!("end of stream must be PipeClosed, got {r:?}"),
            }
        }
        assert_eq!(
            TcpClientStack::receive(&mut nal, &mut s, &mut []),
            Ok(0),
            "an empty buffer"
        );
    });
}

#[test]
fn a_reset_is_pipe_closed() {
    with_stack::<4, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        let mut l = nal_listener(&mut nal, 9004);
        let mut c = nal_connect(&mut nal, addr("127.0.0.1:9004"));
        let (s, _) = nal_accept(&mut nal, &mut l);
        assert_eq!(TcpClientStack::send(&mut nal, &mut c, b"unread"), Ok(6));
        stack.poll(stack.now());
        TcpClientStack::close(&mut nal, s).unwrap(); // unread data: RST
        let mut buf = [0u8; 8];
        let e = TcpClientStack::receive(&mut nal, &mut c, &mut buf);
        assert_eq!(e, Err(nb::Error::Other(Error::ConnectionReset)));
        assert_eq!(Error::ConnectionReset.kind(), TcpErrorKind::PipeClosed);
        // The reset is reported once; then the pipe is broken (Linux).
        assert_eq!(
            TcpClientStack::send(&mut nal, &mut c, b"x"),
            Err(nb::Error::Other(Error::BrokenPipe))
        );
    });
}

#[test]
fn send_is_would_block_when_the_buffer_is_full_and_never_zero() {
    with_stack_buf::<4, 1024, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        let mut l = nal_listener(&mut nal, 9005);
        let mut c = nal_connect(&mut nal, addr("127.0.0.1:9005"));
        let (_s, _) = nal_accept(&mut nal, &mut l);
        let mut queued = 0;
        loop {
            match TcpClientStack::send(&mut nal, &mut c, &[3u8; 700]) {
                Ok(n) => {
                    assert!(n > 0);
                    queued += n;
                }
                Err(e) => {
                    assert_eq!(e, nb::Error::WouldBlock);
                    break;
                }
            }
        }
        assert_eq!(queued, 2048);
    });
}

#[test]
fn listen_uses_the_real_backlog_and_accept_is_would_block_when_empty() {
    with_stack::<12, _>(|stack, _| {
        let mut nal = NalStack::new(stack).with_backlog(2);
        let mut l = nal_listener(&mut nal, 9006);
        assert!(matches!(nal.accept(&mut l), Err(nb::Error::WouldBlock)));
        let to = addr("127.0.0.1:9006");
        let mut clients: Vec<_> = (0..3)
            .map(|_| {
                let mut c = TcpClientStack::socket(&mut nal).unwrap();
                let _ = TcpClientStack::connect(&mut nal, &mut c, to);
                c
            })
            .collect();
        stack.poll(stack.now());
        let outcomes: Vec<_> = clients
            .iter_mut()
            .map(|c| TcpClientStack::connect(&mut nal, c, to))
            .collect();
        assert_eq!(
            outcomes,
            vec![
                Ok(()),
                Ok(()),
                Err(nb::Error::Other(Error::ConnectionRefused))
            ],
            "two wait in the backlog, the third is refused"
        );
        for c in &clients[..2] {
            let (s, peer) = nal_accept(&mut nal, &mut l);
            assert_eq!(peer, c.socket().local_addr().unwrap(), "arrival order");
            assert_eq!(s.socket().timeout(), Some(core::time::Duration::ZERO));
        }
        assert!(matches!(nal.accept(&mut l), Err(nb::Error::WouldBlock)));
    });
}

#[test]
fn close_gives_the_slot_back() {
    with_stack::<3, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        let a = TcpClientStack::socket(&mut nal).unwrap();
        let b = UdpClientStack::socket(&mut nal).unwrap();
        assert_eq!(
            TcpClientStack::socket(&mut nal).map(|_| ()),
            Err(Error::NoBufferSpace)
        );
        TcpClientStack::close(&mut nal, a).unwrap();
        UdpClientStack::close(&mut nal, b).unwrap();
        assert_eq!(stack.stats().unwrap().user, 0);
        let _c = TcpClientStack::socket(&mut nal).unwrap();
    });
}

#[test]
fn tcp_over_ipv6_reopens_a_fresh_socket_in_that_family() {
    with_stack::<4, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        let l = Socket::new(stack, Domain::IPV6, Type::STREAM).unwrap();
        l.bind(addr("[::1]:9007")).unwrap();
        l.listen(1).unwrap();
        let mut c = nal_connect(&mut nal, addr("[::1]:9007"));
        let (s, _) = l.accept().unwrap();
        assert_eq!(TcpClientStack::send(&mut nal, &mut c, b"v6"), Ok(2));
        let mut buf = [0u8; 4];
        assert_eq!(s.recv(&mut buf), Ok(2));
        assert_eq!(
            stack.stats().unwrap().user,
            3,
            "the IPv4 socket was given back"
        );
    });
}

#[test]
fn udp_send_to_receive_connect_and_send() {
    with_stack::<6, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        let mut server = UdpClientStack::socket(&mut nal).unwrap();
        UdpFullStack::bind(&mut nal, &mut server, 9008).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            UdpClientStack::receive(&mut nal, &mut server, &mut buf),
            Err(nb::Error::WouldBlock)
        );
        let mut client = UdpClientStack::socket(&mut nal).unwrap();
        let to = addr("127.0.0.1:9008");
        UdpFullStack::send_to(&mut nal, &mut client, to, b"one").unwrap();
        let from = client.socket().local_addr().unwrap().port();
        let (n, peer) = UdpClientStack::receive(&mut nal, &mut server, &mut buf).unwrap();
        assert_eq!((&buf[..n], peer.port()), (&b"one"[..], from));
        let mut connected = UdpClientStack::socket(&mut nal).unwrap();
        UdpClientStack::connect(&mut nal, &mut connected, to).unwrap();
        UdpClientStack::send(&mut nal, &mut connected, b"two").unwrap();
        let (n, _) = UdpClientStack::receive(&mut nal, &mut server, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"two");
        // A fresh socket sending to IPv6 becomes an IPv6 socket.
        let mut v6 = UdpClientStack::socket(&mut nal).unwrap();
        let v6_server = Socket::new(stack, Domain::IPV6, Type::DGRAM).unwrap();
        v6_server.bind(addr("[::1]:9009")).unwrap();
        UdpFullStack::send_to(&mut nal, &mut v6, addr("[::1]:9009"), b"six").unwrap();
        let (n, _) = v6_server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"six");
    });
}

#[test]
fn dns_literals_families_and_errors() {
    with_stack::<4, _>(|stack, _| {
        let mut nal = NalStack::new(stack);
        assert_eq!(
            nal.get_host_by_name("127.0.0.1", AddrType::Either),
            Ok("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            nal.get_host_by_name("::1", AddrType::IPv6),
            Ok("::1".parse().unwrap())
        );
        assert_eq!(
            nal.get_host_by_name("127.0.0.1", AddrType::IPv6),
            Err(nb::Error::Other(ResolveError::NotFound)),
            "an answer of the wrong family"
        );
        assert_eq!(
            nal.get_host_by_name("example.com", AddrType::Either),
            Err(nb::Error::Other(ResolveError::NoServer))
        );
        let mut out = [0u8; 64];
        assert_eq!(
            nal.get_host_by_address("127.0.0.1".parse().unwrap(), &mut out),
            Err(nb::Error::Other(ResolveError::NotFound))
        );
    });
}
