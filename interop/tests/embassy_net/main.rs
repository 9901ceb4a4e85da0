//! smolsock against embassy-net 0.9 itself, each on one end of an
//! embassy-net-driver-channel pair (smolsock's end through `EmbassyDriver`):
//! an embassy-net client to a smolsock listener with a backlog, a smolsock
//! client to an embassy-net listener, 1 MiB byte-exact each way on both,
//! UDP both ways, and the link going down and up under a DHCP lease.
//!
//! One thread, one executor (futures-executor, which parks between
//! wake-ups): the frame pump, both stacks' runners and the test body. Time
//! is embassy-time's std driver (smolsock's `EmbassyClock`), and every test
//! is bounded by a deadline.

mod link;
mod link_dhcp;
#[path = "../../../tests/dhcp/server.rs"]
mod server;

use embassy_futures::select::{select, select3, Either};
use embassy_net::tcp::TcpSocket;
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net_driver_channel as ch;
use embedded_io_async::Write as _;
use smolsock::asynch::{AsyncSocket, EmbassyClock, NoInterrupt};
use smolsock::{Config, Domain, EmbassyDriver, Shutdown, SockAddr, StackResources, Type};
use std::net::Ipv4Addr;

pub const MTU: usize = 1514;
const SMOL_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const EMB_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 2];
const SMOL_IP: Ipv4Addr = Ipv4Addr::new(10, 7, 0, 1);
const EMB_IP: Ipv4Addr = Ipv4Addr::new(10, 7, 0, 2);
/// Each way, on every TCP test.
const MIB: usize = 1 << 20;
/// Socket buffers on both stacks.
const BUF: usize = 16 * 1024;
/// No test takes longer than this.
const DEADLINE: embassy_time::Duration = embassy_time::Duration::from_secs(60);

fn byte(i: usize, seed: u8) -> u8 {
    (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8
}

fn smol_addr(port: u16) -> SockAddr {
    SockAddr::from((SMOL_IP, port))
}

/// What a test body may do to the cable.
struct Control<'d> {
    /// The link state smolsock's driver reports.
    smol_link: ch::StateRunner<'d>,
    wire: &'d link::Wire,
}

/// The two stacks on one channel pair, the pump and both runners beside
/// `body`; panics if `body` is not done within [`DEADLINE`].
fn with_pair(body: impl AsyncFnOnce(&smolsock::Stack<'_>, embassy_net::Stack<'_>, &Control<'_>)) {
    let mut smol_state = ch::State::<MTU, 8, 8>::new();
    let mut emb_state = ch::State::<MTU, 8, 8>::new();
    let (smol_runner, smol_dev) = ch::new(
        &mut smol_state,
        embassy_net_driver::HardwareAddress::Ethernet(SMOL_MAC),
    );
    let (emb_runner, emb_dev) = ch::new(
        &mut emb_state,
        embassy_net_driver::HardwareAddress::Ethernet(EMB_MAC),
    );

    let clock = EmbassyClock;
    let mut dev = EmbassyDriver::new(smol_dev);
    let mut res = Box::new(StackResources::<8, BUF>::new());
    let cfg = Config::ip().with_address(smolsock::smoltcp::wire::IpCidr::new(SMOL_IP.into(), 24));
    let stack = smolsock::Stack::new(&mut dev, &clock, &mut res, cfg).expect("smolsock stack");

    let mut emb_res = Box::new(embassy_net::StackResources::<6>::new());
    let emb_cfg = embassy_net::Config::ipv4_static(embassy_net::StaticConfigV4 {
        address: embassy_net::Ipv4Cidr::new(EMB_IP, 24),
        gateway: None,
        dns_servers: Default::default(),
    });
    let (emb_stack, mut emb_run) = embassy_net::new(emb_dev, emb_cfg, &mut emb_res, 0x1234_5678);

    let wire = link::Wire::default();
    let control = Control {
        smol_link: smol_runner.state_runner(),
        wire: &wire,
    };
    futures_executor::block_on(async {
        let background = select3(
            link::pump(smol_runner, emb_runner, &wire),
            stack.run(&clock, NoInterrupt),
            emb_run.run(),
        );
        let bounded = select(
            body(&stack, emb_stack, &control),
            embassy_time::Timer::after(DEADLINE),
        );
        match select(bounded, background).await {
            Either::First(Either::First(())) => {}
            Either::First(Either::Second(())) => panic!("test not done in {DEADLINE:?}"),
            Either::Second(_) => unreachable!("the pump and runners never end"),
        }
    });
}

/// Write `MIB` pattern bytes through `write`, 4 KiB at a time.
async fn send_pattern(seed: u8, mut write: impl AsyncFnMut(&[u8])) {
    let mut chunk = [0; 4096];
    let mut at = 0;
    while at < MIB {
        let n = chunk.len().min(MIB - at);
        for (k, b) in chunk[..n].iter_mut().enumerate() {
            *b = byte(at + k, seed);
        }
        write(&chunk[..n]).await;
        at += n;
    }
}

/// Read through `read` to EOF (0): exactly `MIB` bytes of the pattern.
async fn recv_pattern(seed: u8, who: &str, mut read: impl AsyncFnMut(&mut [u8]) -> usize) {
    let mut buf = [0; 4096];
    let mut at = 0;
    loop {
        let n = read(&mut buf).await;
        if n == 0 {
            break;
        }
        for (k, b) in buf[..n].iter().enumerate() {
            assert_eq!(
                *b,
                byte(at + k, seed),
                "{who} got a wrong byte at {}",
                at + k
            );
        }
        at += n;
    }
    assert_eq!(at, MIB, "{who} read to EOF");
}

/// `MIB` bytes each way through smolsock's `s`, both directions at once.
async fn smol_both_ways(s: &AsyncSocket<'_, '_>, out_seed: u8, in_seed: u8) {
    let send = async {
        send_pattern(out_seed, async |c| {
            s.send_all(c).await.expect("smolsock send_all")
        })
        .await;
        s.shutdown(Shutdown::Write)
            .expect("smolsock shutdown(Write)");
    };
    let recv = recv_pattern(in_seed, "smolsock", async |b| {
        s.recv(b).await.expect("smolsock recv")
    });
    futures_util::future::join(send, recv).await;
}

/// The same on embassy-net's side, then its FIN (embassy-net's close is a
/// half-close).
async fn emb_both_ways(s: &mut TcpSocket<'_>, out_seed: u8, in_seed: u8) {
    let (mut rd, mut wr) = s.split();
    let send = async {
        send_pattern(out_seed, async |c| {
            wr.write_all(c).await.expect("embassy-net write_all")
        })
        .await;
        wr.flush().await.expect("embassy-net flush");
    };
    let recv = recv_pattern(in_seed, "embassy-net", async |b| {
        rd.read(b).await.expect("embassy-net read")
    });
    futures_util::future::join(send, recv).await;
    s.close();
    s.flush().await.expect("embassy-net FIN");
}

#[test]
fn embassy_net_clients_to_a_smolsock_listener_with_a_backlog() {
    with_pair(async |stack, emb, _| {
        let listener = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
        listener.bind(smol_addr(7000)).unwrap();
        listener.listen(3).unwrap();
        // Three clients connect before smolsock accepts any: the backlog
        // completes their handshakes.
        let mut bufs: Vec<(Vec<u8>, Vec<u8>)> =
            (0..3).map(|_| (vec![0; BUF], vec![0; BUF])).collect();
        let mut clients: Vec<TcpSocket<'_>> = bufs
            .iter_mut()
            .map(|(rx, tx)| TcpSocket::new(emb, rx, tx))
            .collect();
        for c in clients.iter_mut() {
            c.connect((SMOL_IP, 7000))
                .await
                .expect("embassy-net connect to the backlog");
        }
        let mut accepted = Vec::new();
        for _ in 0..3 {
            let (conn, peer) = listener.accept().await.expect("accept");
            assert_eq!(peer.ip(), std::net::IpAddr::V4(EMB_IP));
            accepted.push((conn, peer));
        }
        // Accept order is arrival order: the ports match the clients'.
        for (c, (_, peer)) in clients.iter().zip(&accepted) {
            let local = c.local_endpoint().expect("bound");
            assert_eq!(local.port, peer.port());
        }
        // 1 MiB each way on the first connection, both directions at once.
        let (conn, _) = &accepted[0];
        futures_util::future::join(
            smol_both_ways(conn, 1, 2),
            emb_both_ways(&mut clients[0], 2, 1),
        )
        .await;
    });
}

#[test]
fn a_smolsock_client_to_an_embassy_net_listener() {
    with_pair(async |stack, emb, _| {
        let (mut rx, mut tx) = (vec![0; BUF], vec![0; BUF]);
        let mut server = TcpSocket::new(emb, &mut rx, &mut tx);
        let client = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
        let (accepted, connected) = futures_util::future::join(
            server.accept(7001),
            client.connect(SockAddr::from((EMB_IP, 7001))),
        )
        .await;
        accepted.expect("embassy-net accept");
        connected.expect("smolsock connect");
        assert_eq!(client.peer_addr().unwrap(), SockAddr::from((EMB_IP, 7001)));
        futures_util::future::join(
            smol_both_ways(&client, 3, 4),
            emb_both_ways(&mut server, 4, 3),
        )
        .await;
    });
}

#[test]
fn udp_both_ways() {
    with_pair(async |stack, emb, _| {
        let (mut rm, mut rb, mut tm, mut tb) = (
            [PacketMetadata::EMPTY; 8],
            vec![0; 4096],
            [PacketMetadata::EMPTY; 8],
            vec![0; 4096],
        );
        let mut e = UdpSocket::new(emb, &mut rm, &mut rb, &mut tm, &mut tb);
        e.bind(9000).unwrap();
        let s = AsyncSocket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        s.bind(smol_addr(9001)).unwrap();
        for i in 0..20u8 {
            // smolsock -> embassy-net
            let msg = [i; 700];
            let sent = s
                .send_to(&msg, SockAddr::from((EMB_IP, 9000)))
                .await
                .unwrap();
            assert_eq!(sent, msg.len());
            let mut buf = [0; 1024];
            let (n, meta) = e.recv_from(&mut buf).await.expect("embassy-net recv_from");
            assert_eq!(&buf[..n], &msg[..]);
            assert_eq!(meta.endpoint.port, 9001);
            // embassy-net -> smolsock
            let reply = [i ^ 0xff; 300];
            e.send_to(&reply, (SMOL_IP, 9001))
                .await
                .expect("embassy-net send_to");
            let (n, from) = s.recv_from(&mut buf).await.expect("smolsock recv_from");
            assert_eq!(&buf[..n], &reply[..]);
            assert_eq!(from, SockAddr::from((EMB_IP, 9000)));
        }
    });
}

#[test]
fn a_connection_survives_the_link_going_down_and_up() {
    with_pair(async |stack, emb, ctl| {
        let (mut rx, mut tx) = (vec![0; BUF], vec![0; BUF]);
        let mut server = TcpSocket::new(emb, &mut rx, &mut tx);
        let client = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
        let (a, c) = futures_util::future::join(
            server.accept(7002),
            client.connect(SockAddr::from((EMB_IP, 7002))),
        )
        .await;
        a.expect("accept");
        c.expect("connect");
        assert!(stack.is_link_up());

        // The driver's link change wakes smolsock's runner by itself.
        ctl.smol_link
            .set_link_state(embassy_net_driver::LinkState::Down);
        embassy_time::Timer::after_millis(50).await;
        assert!(!stack.is_link_up(), "the runner saw the link go down");
        assert_eq!(
            stack
                .wait_link_up_async(Some(std::time::Duration::from_millis(100)))
                .await,
            Err(smolsock::Error::TimedOut)
        );
        let before = ctl.wire.a_to_b.get();
        client.send_all(b"queued while down").await.expect("queued");
        embassy_time::Timer::after_millis(300).await;
        assert_eq!(
            ctl.wire.a_to_b.get(),
            before,
            "a frame left while the link was down"
        );

        ctl.smol_link
            .set_link_state(embassy_net_driver::LinkState::Up);
        stack
            .wait_link_up_async(Some(std::time::Duration::from_secs(1)))
            .await
            .expect("link up");
        let mut buf = [0; 64];
        let mut got = Vec::new();
        while got.len() < 17 {
            let n = server.read(&mut buf).await.expect("embassy-net read");
            assert!(n > 0, "EOF before the queued bytes");
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(&got[..], b"queued while down");
        // And the other way, on the same connection.
        server.write_all(b"still here").await.unwrap();
        server.flush().await.unwrap();
        let n = client.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"still here");
    });
}
