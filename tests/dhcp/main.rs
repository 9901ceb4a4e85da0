//! DHCPv4 on simulated time against a scripted server: the lease applied,
//! renewal at exactly T1 (unicast), rebinding at exactly T2 (broadcast),
//! the address removed at exactly the lease's end, a NAK, a server that
//! never answers, the host name option, the lease's DNS server used.

mod server;

use server::{Answer, PipeDevice, Server, Wire, CLIENT_MAC, LEASED_IP, SERVER_IP};
use smolsock::smoltcp::time::{Duration, Instant};
use smolsock::smoltcp::wire::{DhcpMessageType, Ipv4Address, Ipv4Cidr};
use smolsock::{
    Clock, Config, Domain, Error, Idle, ResolveError, SimClock, Socket, Stack, StackResources, Type,
};
use std::cell::RefCell;

/// Simulated time whose idle hook lets the server answer first: time only
/// jumps when the server has nothing to say.
struct ServedClock {
    sim: SimClock,
    server: RefCell<Server>,
}

impl Clock for ServedClock {
    fn now(&self) -> Instant {
        self.sim.now()
    }
    fn idle(&self, until: Option<Instant>) -> Idle {
        if self.server.borrow_mut().serve(self.sim.now()) {
            return Idle::Waited;
        }
        self.sim.idle(until)
    }
}

fn secs(s: u64) -> Option<core::time::Duration> {
    Some(core::time::Duration::from_secs(s))
}

/// Run `f` with a DHCP stack beside a scripted server (lease, T1, T2).
fn with_dhcp<R>(
    lease: (u32, Option<u32>, Option<u32>),
    config: Config,
    f: impl FnOnce(&Stack<'_>, &ServedClock) -> R,
) -> R {
    let wire = Wire::default();
    let clock = ServedClock {
        sim: SimClock::new(),
        server: RefCell::new(Server::new(wire.clone(), lease.0, lease.1, lease.2)),
    };
    let mut dev = PipeDevice(wire);
    let mut res = Box::new(StackResources::<4, 1024>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, config).expect("valid config");
    f(&stack, &clock)
}

/// Let simulated time run to `at`, the stack polling (and the server
/// answering) at every timer on the way.
fn run_until(stack: &Stack<'_>, clock: &ServedClock, at: Instant) {
    let s = Socket::new(stack, Domain::IPV4, Type::DGRAM).expect("udp socket");
    s.bind("0.0.0.0:9".parse().unwrap()).expect("bind");
    let left = at - clock.now();
    s.set_timeout(Some(core::time::Duration::from_micros(left.total_micros())))
        .unwrap();
    let mut buf = [0; 16];
    assert_eq!(s.recv_from(&mut buf).map(|_| ()), Err(Error::TimedOut));
    assert_eq!(clock.now(), at);
}

fn kinds(clock: &ServedClock) -> Vec<(i64, DhcpMessageType, Ipv4Address)> {
    let s = clock.server.borrow();
    s.seen
        .iter()
        .map(|m| (m.at.total_millis(), m.kind, m.dst))
        .collect()
}

fn leased() -> Ipv4Cidr {
    Ipv4Cidr::new(LEASED_IP, 24)
}

#[test]
fn lease_is_applied_with_gateway_and_dns() {
    with_dhcp(
        (1000, None, None),
        Config::dhcp(CLIENT_MAC),
        |stack, clock| {
            assert_eq!(stack.ipv4_config(), None, "no address before the lease");
            let v4 = stack.wait_config_up(secs(5)).expect("a lease at once");
            assert!(v4.from_dhcp);
            assert_eq!(v4.address, leased());
            assert_eq!(v4.gateway, Some(SERVER_IP));
            assert_eq!(v4.dns_servers.as_slice(), &[SERVER_IP]);
            assert_eq!(stack.ipv4_config(), Some(v4));
            // The interface really has it.
            let addrs = stack
                .with_iface(|i| i.ip_addrs().to_vec())
                .expect("not busy");
            assert!(addrs.contains(&leased().into()), "{addrs:?}");
            // DISCOVER, REQUEST, both broadcast, at time zero.
            let seen = kinds(clock);
            assert_eq!(
                seen,
                vec![
                    (0, DhcpMessageType::Discover, Ipv4Address::BROADCAST),
                    (0, DhcpMessageType::Request, Ipv4Address::BROADCAST),
                ]
            );
        },
    );
}

#[test]
fn renews_at_t1_rebinds_at_t2_and_drops_the_address_at_expiry() {
    // T1 and T2 from the server: 400 s and 700 s of a 1000 s lease.
    with_dhcp(
        (1000, Some(400), Some(700)),
        Config::dhcp(CLIENT_MAC),
        |stack, clock| {
            stack.wait_config_up(secs(5)).expect("lease");
            let t0 = clock.now();
            clock.server.borrow_mut().answer = Answer::Silent;
            run_until(stack, clock, t0 + Duration::from_millis(999_999));
            assert!(
                stack.ipv4_config().is_some(),
                "still leased just before expiry"
            );
            run_until(stack, clock, t0 + Duration::from_secs(1000));
            assert_eq!(stack.ipv4_config(), None, "address removed at expiry");
            let addrs = stack.with_iface(|i| i.ip_addrs().to_vec()).unwrap();
            assert!(addrs.is_empty(), "{addrs:?}");
            // The client starts over with a DISCOVER on the next poll.
            stack.poll(clock.now());
            clock.server.borrow_mut().serve(clock.now());
            let seen = kinds(clock);
            let after: Vec<_> = seen.iter().skip(2).collect();
            // Renewing and rebinding requests carry the leased address.
            for m in clock.server.borrow().seen.iter().skip(2) {
                if m.kind == DhcpMessageType::Request {
                    assert_eq!(m.client_ip, LEASED_IP, "{m:?}");
                }
            }
            // First renewal: at exactly T1, unicast to the server.
            assert_eq!(
                after.first().map(|m| (m.0, m.1, m.2)),
                Some((400_000, DhcpMessageType::Request, SERVER_IP))
            );
            // Every request before T2 is unicast, every one from T2 on is a
            // broadcast, and the first broadcast is at exactly T2.
            for m in &after {
                if m.1 == DhcpMessageType::Request {
                    let unicast = m.2 == SERVER_IP;
                    assert_eq!(unicast, m.0 < 700_000, "{m:?}");
                }
            }
            let first_rebind = after
                .iter()
                .find(|m| m.2 == Ipv4Address::BROADCAST)
                .map(|m| m.0);
            assert_eq!(first_rebind, Some(700_000));
            assert_eq!(
                seen.last().map(|m| (m.0, m.1)),
                Some((1_000_000, DhcpMessageType::Discover))
            );
        },
    );
}

#[test]
fn a_renewed_lease_keeps_the_address_past_its_first_expiry() {
    with_dhcp(
        (100, None, None),
        Config::dhcp(CLIENT_MAC),
        |stack, clock| {
            stack.wait_config_up(secs(5)).expect("lease");
            run_until(stack, clock, Instant::from_secs(150));
            assert_eq!(
                stack.ipv4_config().map(|c| c.address),
                Some(leased()),
                "renewed at T1 (50 s): leased until 150 s"
            );
            let seen = kinds(clock);
            // Default T1 = half the lease: renewals at 50 s and 100 s, unicast.
            assert_eq!(
                seen.get(2..4),
                Some(
                    &[
                        (50_000, DhcpMessageType::Request, SERVER_IP),
                        (100_000, DhcpMessageType::Request, SERVER_IP),
                    ][..]
                )
            );
        },
    );
}

#[test]
fn a_nak_at_renewal_removes_the_address_and_starts_over() {
    with_dhcp(
        (1000, None, None),
        Config::dhcp(CLIENT_MAC),
        |stack, clock| {
            stack.wait_config_up(secs(5)).expect("lease");
            {
                let mut s = clock.server.borrow_mut();
                s.answer = Answer::Nak;
                s.offer = false;
            }
            run_until(stack, clock, Instant::from_secs(501));
            assert_eq!(
                stack.ipv4_config(),
                None,
                "NAK at T1 (500 s) ends the lease"
            );
            let seen = kinds(clock);
            assert_eq!(
                seen.get(2..4),
                Some(
                    &[
                        (500_000, DhcpMessageType::Request, SERVER_IP),
                        (500_000, DhcpMessageType::Discover, Ipv4Address::BROADCAST),
                    ][..]
                )
            );
        },
    );
}

#[test]
fn no_server_times_out_at_the_deadline_discovering_every_10_s() {
    with_dhcp(
        (1000, None, None),
        Config::dhcp(CLIENT_MAC),
        |stack, clock| {
            clock.server.borrow_mut().offer = false;
            assert_eq!(stack.wait_config_up(secs(30)), Err(Error::TimedOut));
            assert_eq!(
                clock.now(),
                Instant::from_secs(30),
                "the whole call's deadline"
            );
            // The last DISCOVER went out at the deadline's poll.
            clock.server.borrow_mut().serve(clock.now());
            let at: Vec<i64> = kinds(clock).iter().map(|m| m.0).collect();
            assert_eq!(at, vec![0, 10_000, 20_000, 30_000]);
            assert_eq!(stack.ipv4_config(), None);
        },
    );
}

#[test]
fn the_host_name_goes_out_as_option_12() {
    let cfg = Config::dhcp(CLIENT_MAC).with_host_name("board-7");
    with_dhcp((1000, None, None), cfg, |stack, clock| {
        stack.wait_config_up(secs(5)).expect("lease");
        let s = clock.server.borrow();
        assert!(s.seen.len() >= 2);
        for m in &s.seen {
            assert_eq!(m.host_name.as_deref(), Some(&b"board-7"[..]), "{m:?}");
        }
    });
}

#[test]
fn the_resolver_asks_the_leases_dns_server() {
    with_dhcp(
        (1000, None, None),
        Config::dhcp(CLIENT_MAC),
        |stack, clock| {
            assert_eq!(
                stack.resolve("example.com", secs(1)),
                Err(ResolveError::NoServer),
                "no server before the lease"
            );
            stack.wait_config_up(secs(5)).expect("lease");
            // The scripted server answers no DNS: the query times out, but it
            // went to the lease's server.
            assert_eq!(
                stack.resolve("example.com", secs(2)),
                Err(ResolveError::TimedOut)
            );
            let other = clock.server.borrow().other_udp.clone();
            assert!(other.contains(&(SERVER_IP, 53)), "{other:?}");
        },
    );
}

#[test]
fn dhcp_takes_one_entry_of_the_set() {
    with_dhcp((1000, None, None), Config::dhcp(CLIENT_MAC), |stack, _| {
        // 4 entries: the resolver's, the DHCP client's, and 2 for sockets.
        let mut socks = Vec::new();
        let err = loop {
            let r = Socket::new(stack, Domain::IPV4, Type::DGRAM).and_then(|s| {
                s.bind(format!("0.0.0.0:{}", 100 + socks.len()).parse().unwrap())?;
                Ok(s)
            });
            match r {
                Ok(s) if socks.len() < 10 => socks.push(s),
                Ok(_) => panic!("more sockets than entries"),
                Err(e) => break e,
            }
        };
        assert_eq!((socks.len(), err), (2, Error::NoBufferSpace));
    });
}

#[test]
fn bad_dhcp_configs_are_refused() {
    let clock = SimClock::new();
    let mut dev = smolsock::smoltcp::phy::Loopback::new(smolsock::smoltcp::phy::Medium::Ip);
    let mut res = StackResources::<2, 256>::new();
    let mut cfg = Config::ip();
    cfg.dhcp = Config::dhcp(CLIENT_MAC).dhcp;
    assert_eq!(
        Stack::new(&mut dev, &clock, &mut res, cfg).err(),
        Some(smolsock::ConfigError::DhcpNeedsEthernet)
    );
    for bad in ["", "no spaces", "a.b"] {
        let mut res = StackResources::<2, 256>::new();
        let cfg = Config::dhcp(CLIENT_MAC).with_host_name(bad);
        let mut dev = server::PipeDevice(Wire::default());
        assert_eq!(
            Stack::new(&mut dev, &clock, &mut res, cfg).err(),
            Some(smolsock::ConfigError::BadHostName),
            "{bad:?}"
        );
    }
}
