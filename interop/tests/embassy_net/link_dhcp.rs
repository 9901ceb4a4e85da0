//! The blocking front end on an embassy driver, and the link state: smolsock
//! on one end of an embassy-net-driver-channel device, the scripted DHCP
//! server of `tests/dhcp` on the other, served from the clock's idle hook
//! on simulated time. Link down: the lease's address is removed, sockets
//! keep their state and nothing is sent; link up: DHCP starts over at once
//! and the same socket sends again.

use super::MTU;
use crate::server::{Server, Wire, CLIENT_MAC, LEASED_IP, SERVER_IP};
use embassy_net_driver::LinkState;
use embassy_net_driver_channel as ch;
use smolsock::smoltcp::time::Instant;
use smolsock::smoltcp::wire::DhcpMessageType;
use smolsock::{
    Clock, Config, Domain, EmbassyDriver, Error, Idle, SimClock, SockAddr, Socket, Stack,
    StackResources, Type,
};
use std::cell::RefCell;
use std::time::Duration;

/// Simulated time; its idle hook carries frames between the channel and
/// the scripted server first, and only lets time jump when nothing moved.
struct ServedClock<'d> {
    sim: SimClock,
    server: RefCell<Server>,
    runner: RefCell<ch::Runner<'d, MTU>>,
}

impl ServedClock<'_> {
    /// Carry frames both ways and let the server answer; true if any moved.
    fn carry(&self) -> bool {
        let mut runner = self.runner.borrow_mut();
        let mut server = self.server.borrow_mut();
        let mut moved = false;
        while let Some(frame) = runner.try_tx_buf() {
            server.wire.borrow_mut().to_server.push_back(frame.to_vec());
            runner.tx_done();
            moved = true;
        }
        server.serve(self.sim.now());
        loop {
            let Some(frame) = server.wire.borrow_mut().to_client.pop_front() else {
                break;
            };
            let Some(buf) = runner.try_rx_buf() else {
                server.wire.borrow_mut().to_client.push_front(frame);
                break;
            };
            buf[..frame.len()].copy_from_slice(&frame);
            runner.rx_done(frame.len());
            moved = true;
        }
        moved
    }

    fn seen(&self) -> Vec<DhcpMessageType> {
        self.server.borrow().seen.iter().map(|m| m.kind).collect()
    }
}

impl Clock for ServedClock<'_> {
    fn now(&self) -> Instant {
        self.sim.now()
    }
    fn idle(&self, until: Option<Instant>) -> Idle {
        if self.carry() {
            return Idle::Waited;
        }
        self.sim.idle(until)
    }
}

/// Poll and carry until nothing moves (ARP, then the datagram).
fn settle(stack: &Stack<'_>, clock: &ServedClock<'_>) {
    for _ in 0..10 {
        stack.poll(clock.now());
        if !clock.carry() {
            stack.poll(clock.now());
            return;
        }
    }
}

fn secs(s: u64) -> Option<Duration> {
    Some(Duration::from_secs(s))
}

#[test]
fn link_down_keeps_sockets_sends_nothing_and_drops_the_lease_link_up_starts_dhcp_over() {
    let mut state = ch::State::<MTU, 4, 4>::new();
    let (runner, device) = ch::new(
        &mut state,
        embassy_net_driver::HardwareAddress::Ethernet(CLIENT_MAC),
    );
    let link = runner.state_runner();
    let clock = ServedClock {
        sim: SimClock::new(),
        server: RefCell::new(Server::new(Wire::default(), 1000, None, None)),
        runner: RefCell::new(runner),
    };
    let mut dev = EmbassyDriver::new(device);
    let mut res = Box::new(StackResources::<4, 1024>::new());
    // The MAC comes from the driver.
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::ip().with_dhcp()).unwrap();

    // The channel starts with its link down: no DHCP, nothing sent.
    assert_eq!(stack.wait_link_up(secs(5)), Err(Error::TimedOut));
    assert!(!stack.is_link_up());
    assert_eq!(stack.wait_config_up(secs(5)), Err(Error::TimedOut));
    assert!(
        clock.seen().is_empty(),
        "sent while the link was down: {:?}",
        clock.seen()
    );

    link.set_link_state(LinkState::Up);
    stack.wait_link_up(secs(1)).expect("link up");
    let v4 = stack
        .wait_config_up(secs(5))
        .expect("a lease once the link is up");
    assert_eq!(v4.address.address(), LEASED_IP);
    assert_eq!(
        clock.seen(),
        vec![DhcpMessageType::Discover, DhcpMessageType::Request]
    );

    let udp = Socket::new(&stack, Domain::IPV4, Type::DGRAM).unwrap();
    udp.bind("0.0.0.0:5000".parse().unwrap()).unwrap();
    let peer = SockAddr::from((SERVER_IP, 7));
    udp.send_to(b"before", peer).unwrap();
    settle(&stack, &clock);
    assert_eq!(clock.server.borrow().other_udp, vec![(SERVER_IP, 7)]);

    // Link down: the address goes at the next poll; the socket stays bound,
    // and nothing leaves.
    link.set_link_state(LinkState::Down);
    stack.poll(clock.now());
    assert!(!stack.is_link_up());
    assert_eq!(stack.ipv4_config(), None, "lease dropped with the link");
    // No address left to send from (Linux says ENETUNREACH there).
    assert_eq!(
        udp.send_to(b"while down", peer),
        Err(Error::AddrNotAvailable)
    );
    let before = clock.seen().len();
    assert_eq!(stack.wait_link_up(secs(30)), Err(Error::TimedOut));
    assert_eq!(
        clock.seen().len(),
        before,
        "DHCP sent while the link was down"
    );
    assert_eq!(
        clock.server.borrow().other_udp.len(),
        1,
        "UDP sent while down"
    );
    assert_eq!(
        udp.local_addr().unwrap().port(),
        5000,
        "the socket kept its state"
    );

    // Link up: DHCP starts over at once (a DISCOVER, not a renewal), and
    // the same socket sends again.
    link.set_link_state(LinkState::Up);
    let up_at = clock.now();
    let v4 = stack.wait_config_up(secs(5)).expect("a new lease");
    assert_eq!(clock.now(), up_at, "no wait: DISCOVER at once");
    assert_eq!(v4.address.address(), LEASED_IP);
    let seen = clock.seen();
    assert_eq!(
        &seen[before..],
        &[DhcpMessageType::Discover, DhcpMessageType::Request]
    );
    udp.send_to(b"after", peer).unwrap();
    settle(&stack, &clock);
    assert_eq!(clock.server.borrow().other_udp, vec![(SERVER_IP, 7); 2]);
}

/// The scripted server on the far end of `runner`, fed by an async task:
/// every frame smolsock sends is served, every reply queued back.
async fn serve_async(runner: ch::Runner<'_, MTU>, server: &RefCell<Server>, clock: &SimClock) {
    let (state, mut rx, mut tx) = runner.split();
    state.set_link_state(LinkState::Up);
    loop {
        let frame = tx.tx_buf().await.to_vec();
        tx.tx_done();
        let replies: Vec<Vec<u8>> = {
            let mut s = server.borrow_mut();
            s.wire.borrow_mut().to_server.push_back(frame);
            s.serve(clock.now());
            let mut w = s.wire.borrow_mut();
            w.to_client.drain(..).collect()
        };
        for r in replies {
            let buf = rx.rx_buf().await;
            buf[..r.len()].copy_from_slice(&r);
            rx.rx_done(r.len());
        }
    }
}

#[test]
fn wait_config_up_async_gets_the_lease_from_the_runner() {
    let mut state = ch::State::<MTU, 4, 4>::new();
    let (runner, device) = ch::new(
        &mut state,
        embassy_net_driver::HardwareAddress::Ethernet(CLIENT_MAC),
    );
    let clock = SimClock::new();
    let server = RefCell::new(Server::new(Wire::default(), 1000, None, None));
    let mut dev = EmbassyDriver::new(device);
    let mut res = Box::new(StackResources::<4, 1024>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::ip().with_dhcp()).unwrap();
    let work = async {
        let v4 = stack
            .wait_config_up_async(secs(30))
            .await
            .expect("a lease, waited for on the runner");
        assert_eq!(v4.address.address(), LEASED_IP);
        assert_eq!(v4.gateway, Some(SERVER_IP));
        assert_eq!(stack.ipv4_config(), Some(v4));
    };
    // The runner beside these, on simulated time (block_on_sim).
    let serve = serve_async(runner, &server, &clock);
    smolsock::asynch::block_on_sim(&stack, &clock, async {
        futures_util::pin_mut!(work, serve);
        futures_util::future::select(work, serve).await;
    })
    .expect("not stalled");
    // No simulated time passed: the exchange needed no timer.
    assert_eq!(clock.now(), Instant::ZERO);
    assert_eq!(
        server
            .borrow()
            .seen
            .iter()
            .map(|m| m.kind)
            .collect::<Vec<_>>(),
        vec![DhcpMessageType::Discover, DhcpMessageType::Request]
    );
}

#[test]
fn the_medium_and_the_address_come_from_the_driver() {
    let clock = SimClock::new();
    // An IP-medium driver (a PPP or TUN-like one) with an Ethernet Config:
    // the driver's says, so DHCP (Ethernet only) is refused.
    let mut state = ch::State::<MTU, 2, 2>::new();
    let (_r, device) = ch::new(&mut state, embassy_net_driver::HardwareAddress::Ip);
    let mut dev = EmbassyDriver::new(device);
    let mut res = StackResources::<2, 256>::new();
    assert_eq!(
        Stack::new(&mut dev, &clock, &mut res, Config::dhcp(CLIENT_MAC)).err(),
        Some(smolsock::ConfigError::DhcpNeedsEthernet)
    );
    // Without DHCP it runs on the IP medium.
    let mut state = ch::State::<MTU, 2, 2>::new();
    let (_r, device) = ch::new(&mut state, embassy_net_driver::HardwareAddress::Ip);
    let mut dev = EmbassyDriver::new(device);
    let mut res = StackResources::<2, 256>::new();
    let cfg = Config::ethernet(CLIENT_MAC)
        .with_address(smolsock::smoltcp::wire::IpCidr::new(LEASED_IP.into(), 24));
    // (smoltcp's Interface::new panics on a MAC for an IP-medium device:
    // the driver's `Ip` replaced it.)
    let stack = Stack::new(&mut dev, &clock, &mut res, cfg).expect("an IP-medium stack");
    assert_eq!(
        stack.ipv4_config().map(|c| c.address.address()),
        Some(LEASED_IP)
    );
    drop(stack);
    // 802.15.4 is no medium of this build.
    let mut state = ch::State::<MTU, 2, 2>::new();
    let (_r, device) = ch::new(
        &mut state,
        embassy_net_driver::HardwareAddress::Ieee802154([2; 8]),
    );
    let mut dev = EmbassyDriver::new(device);
    let mut res = StackResources::<2, 256>::new();
    assert_eq!(
        Stack::new(&mut dev, &clock, &mut res, Config::ip()).err(),
        Some(smolsock::ConfigError::UnsupportedMedium)
    );
    // An Ethernet driver's MAC replaces the Config's.
    let mut state = ch::State::<MTU, 2, 2>::new();
    let (_r, device) = ch::new(
        &mut state,
        embassy_net_driver::HardwareAddress::Ethernet([0x02, 9, 9, 9, 9, 9]),
    );
    let mut dev = EmbassyDriver::new(device);
    let mut res = StackResources::<2, 256>::new();
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::dhcp(CLIENT_MAC)).unwrap();
    let hw = stack.with_iface(|i| i.hardware_addr()).unwrap();
    assert_eq!(
        hw,
        smolsock::smoltcp::wire::HardwareAddress::Ethernet(
            smolsock::smoltcp::wire::EthernetAddress([0x02, 9, 9, 9, 9, 9])
        )
    );
}
