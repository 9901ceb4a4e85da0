//! embedded-nal-async 0.9 on a `Stack`: `TcpConnect`, `UdpStack`, `Dns`, on
//! Loopback and simulated time (`block_on_sim`).
use crate::common;
use common::async_util::async_listener_at;
use common::sim_exec::block_on_sim;
use common::*;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use embedded_io_async::{Read, Write};
use embedded_nal_async::{AddrType, ConnectedUdp, Dns, TcpConnect, UdpStack, UnconnectedUdp};
use smolsock::ResolveError;

#[test]
fn tcp_connect_gives_a_connected_embedded_io_async_stream() {
    with_stack::<4, _>(|stack, clock| {
        let l = async_listener_at(stack, "127.0.0.1:8100", 2);
        block_on_sim(stack, clock, async {
            let (conn, acc) = futures_util::future::join(
                TcpConnect::connect(stack, addr("127.0.0.1:8100")),
                l.accept(),
            )
            .await;
            let mut conn = conn.unwrap();
            let (mut srv, peer) = acc.unwrap();
            assert_eq!(peer, conn.local_addr().unwrap());
            assert_eq!(conn.peer_addr(), Ok(addr("127.0.0.1:8100")));
            conn.write_all(b"hello").await.unwrap();
            let mut buf = [0u8; 5];
            srv.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello");
            srv.write_all(b"bye").await.unwrap();
            srv.shutdown(Shutdown::Write).unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(conn.read(&mut buf).await, Ok(3));
            assert_eq!(conn.read(&mut buf).await, Ok(0));
        });
        // Dropping the connections freed their slots: the listener is left.
        assert_eq!(stack.stats().unwrap().user, 1);
    });
}

#[test]
fn tcp_connect_takes_the_family_of_the_remote_address() {
    with_stack::<4, _>(|stack, clock| {
        let l = async_listener_at(stack, "[::1]:8101", 2);
        block_on_sim(stack, clock, async {
            // Through `&Stack` (embedded-nal-async's blanket impl) as well.
            let by_ref = &stack;
            let (conn, acc) = futures_util::future::join(
                TcpConnect::connect(by_ref, addr("[::1]:8101")),
                l.accept(),
            )
            .await;
            let conn = conn.unwrap();
            assert!(conn.local_addr().unwrap().is_ipv6());
            assert_eq!(acc.unwrap().1, conn.local_addr().unwrap());
        });
    });
}

#[test]
fn tcp_connect_to_a_closed_port_is_refused_and_frees_its_slot() {
    with_stack::<2, _>(|stack, clock| {
        block_on_sim(stack, clock, async {
            // More attempts than slots: a refused connection leaks nothing.
            for _ in 0..5 {
                let r = TcpConnect::connect(stack, addr("127.0.0.1:8102")).await;
                assert_eq!(r.err(), Some(Error::ConnectionRefused));
            }
        });
        assert_eq!(stack.stats().unwrap().user, 0);
    });
}

#[test]
fn udp_connect_and_bind_single_round_trip() {
    with_stack::<4, _>(|stack, clock| {
        let udp = stack; // `UdpStack` is on `&Stack`
        block_on_sim(stack, clock, async {
            // bind_single on the unspecified address picks the interface's.
            let (srv_local, mut srv) = udp.bind_single(addr("0.0.0.0:8103")).await.unwrap();
            assert_eq!(srv_local, addr("127.0.0.1:8103"));
            let (cli_local, mut cli) = UdpStack::connect(&udp, srv_local).await.unwrap();
            assert_eq!(
                cli_local.ip(),
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                "the source IP"
            );
            assert_ne!(cli_local.port(), 0, "an ephemeral port");
            ConnectedUdp::send(&mut cli, b"question").await.unwrap();
            let mut buf = [0u8; 32];
            let (n, local, remote) = UnconnectedUdp::receive_into(&mut srv, &mut buf)
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"question");
            assert_eq!((local, remote), (srv_local, cli_local));
            UnconnectedUdp::send(&mut srv, local, remote, b"answer")
                .await
                .unwrap();
            let n = ConnectedUdp::receive_into(&mut cli, &mut buf)
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"answer");
            // A local port other than the socket's is refused.
            assert_eq!(
                UnconnectedUdp::send(&mut srv, addr("127.0.0.1:1"), remote, b"x").await,
                Err(Error::InvalidInput)
            );
        });
    });
}

#[test]
fn udp_connect_from_binds_the_given_local_address_and_checks_families() {
    with_stack::<4, _>(|stack, clock| {
        let udp = stack;
        block_on_sim(stack, clock, async {
            let (l, _s) = udp
                .connect_from(addr("[::]:8104"), addr("[::1]:9"))
                .await
                .unwrap();
            assert_eq!(l, SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 8104));
            assert_eq!(
                udp.connect_from(addr("0.0.0.0:0"), addr("[::1]:9"))
                    .await
                    .err(),
                Some(Error::InvalidInput),
                "a local IPv4 address for an IPv6 peer"
            );
            assert_eq!(stack.stats().unwrap().user, 1, "no socket left behind");
            // The port is taken by the first socket.
            assert_eq!(
                udp.connect_from(addr("[::1]:8104"), addr("[::1]:9"))
                    .await
                    .err(),
                Some(Error::AddrInUse)
            );
            assert_eq!(
                stack.stats().unwrap().user,
                1,
                "the refused socket was closed"
            );
        });
    });
}

#[test]
fn udp_bind_multiple_reports_the_local_address_a_reply_leaves_from() {
    with_stack::<4, _>(|stack, clock| {
        let udp = stack;
        block_on_sim(stack, clock, async {
            let mut srv = udp.bind_multiple(addr("0.0.0.0:8105")).await.unwrap();
            assert_eq!(srv.socket().local_addr(), Ok(addr("0.0.0.0:8105")));
            let (cli_local, mut cli) = UdpStack::connect(&udp, addr("127.0.0.1:8105"))
                .await
                .unwrap();
            ConnectedUdp::send(&mut cli, b"ping").await.unwrap();
            let mut buf = [0u8; 2];
            let (n, local, remote) = UnconnectedUdp::receive_into(&mut srv, &mut buf)
                .await
                .unwrap();
            assert_eq!(n, 2, "truncated to the buffer (the count stored)");
            assert_eq!(&buf, b"pi");
            assert_eq!((local, remote), (addr("127.0.0.1:8105"), cli_local));
            // A reply from the unspecified address or the reported one goes out...
            UnconnectedUdp::send(&mut srv, addr("0.0.0.0:0"), remote, b"one")
                .await
                .unwrap();
            UnconnectedUdp::send(&mut srv, local, remote, b"two")
                .await
                .unwrap();
            let mut buf = [0u8; 8];
            for want in [&b"one"[..], b"two"] {
                let n = ConnectedUdp::receive_into(&mut cli, &mut buf)
                    .await
                    .unwrap();
                assert_eq!(&buf[..n], want);
            }
            // ...but smolsock cannot pick another source address per datagram.
            assert_eq!(
                UnconnectedUdp::send(&mut srv, addr("127.0.0.2:8105"), remote, b"x").await,
                Err(Error::Unsupported)
            );
        });
    });
}

#[test]
fn dns_resolves_literals_without_a_server_and_honours_the_address_type() {
    with_stack::<4, _>(|stack, clock| {
        block_on_sim(stack, clock, async {
            let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
            let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
            assert_eq!(
                stack.get_host_by_name("127.0.0.1", AddrType::Either).await,
                Ok(v4)
            );
            assert_eq!(
                stack.get_host_by_name("127.0.0.1", AddrType::IPv4).await,
                Ok(v4)
            );
            assert_eq!(
                stack.get_host_by_name("127.0.0.1", AddrType::IPv6).await,
                Err(ResolveError::NotFound)
            );
            assert_eq!(stack.get_host_by_name("::1", AddrType::IPv6).await, Ok(v6));
            assert_eq!(
                stack.get_host_by_name("[::1]", AddrType::Either).await,
                Ok(v6)
            );
            assert_eq!(
                stack.get_host_by_name("localhost", AddrType::Either).await,
                Ok(v4)
            );
            assert_eq!(
                stack.get_host_by_name("localhost", AddrType::IPv6).await,
                Ok(v6)
            );
            let mut name = [0u8; 255];
            assert_eq!(
                stack.get_host_by_address(v4, &mut name).await,
                Err(ResolveError::NotFound),
                "no reverse lookups"
            );
        });
    });
}

#[test]
fn dns_for_a_name_without_a_server_is_no_server() {
    with_stack::<4, _>(|stack, clock| {
        let t0 = clock.now();
        let r = block_on_sim(
            stack,
            clock,
            (&stack).get_host_by_name("example.com", AddrType::Either),
        );
        assert_eq!(r, Err(ResolveError::NoServer));
        assert_eq!(clock.now(), t0, "nothing to wait for");
    });
}
