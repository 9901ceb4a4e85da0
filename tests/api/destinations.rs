//! Issue 18, item 3: special destinations are refused at once, as Linux
//! refuses them, and nothing goes on the wire: TCP to multicast and
//! broadcast (`ENETUNREACH`), UDP to broadcast without `SO_BROADCAST`
//! (`EACCES`), a loopback address on a stack without one (`ENETUNREACH`,
//! `EADDRNOTAVAIL` for `::1`), and, on Ethernet, the stack's own address
//! (`ECONNREFUSED` with nothing listening). The kernel's answers are pinned
//! beside them.

use crate::common::*;
use crate::record::Recorder;
use smoltcp::wire::{IpAddress, IpCidr, Ipv4Address, Ipv6Address};
use std::io::ErrorKind;

const TIMEOUT: core::time::Duration = core::time::Duration::from_secs(5);

/// A TAP-like stack (Ethernet, 192.168.69.2/24 and fd00::2/64, a gateway
/// that never answers) on a recording device; `f` runs on it, then every
/// frame it sent is checked: none to a loopback address, no TCP at all.
fn on_silent_tap(f: impl FnOnce(&Stack<'_>, &SimClock)) -> Recorder {
    let clock = SimClock::new();
    let mut dev = Recorder::silent_ethernet();
    let mut res = Box::new(StackResources::<6, 1024>::new());
    let cfg = Config::ethernet([0x02, 0, 0, 0, 0, 2])
        .with_address(IpCidr::new(IpAddress::v4(192, 168, 69, 2), 24))
        .with_address(IpCidr::new(IpAddress::v6(0xfd00, 0, 0, 0, 0, 0, 0, 2), 64))
        .with_gateway(Ipv4Address::new(192, 168, 69, 1).into())
        .with_gateway(Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 1).into());
    {
        let stack = Stack::new(&mut dev, &clock, &mut res, cfg).expect("valid config");
        f(&stack, &clock);
    }
    for (dst, tcp) in dev.packets() {
        let looped = match dst {
            IpAddress::Ipv4(a) => a.is_loopback(),
            IpAddress::Ipv6(a) => a.is_loopback(),
        };
        assert!(!looped, "a packet to {dst} left the host");
        assert!(tcp.is_none(), "a TCP segment to {dst} was sent: {tcp:?}");
    }
    dev
}

/// `connect` to `to` on a blocking socket with a timeout and on a
/// non-blocking one: the same error both times, with no time passing.
#[track_caller]
fn tcp_refused_at_once(stack: &Stack<'_>, clock: &SimClock, to: &str) -> Error {
    let v6 = to.starts_with('[');
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let before = clock.now();
    let s = Socket::new(stack, domain, Type::STREAM).unwrap();
    s.set_timeout(Some(TIMEOUT)).unwrap();
    let blocking = s.connect(addr(to)).expect_err(to);
    let n = Socket::new(stack, domain, Type::STREAM).unwrap();
    n.set_nonblocking(true).unwrap();
    assert_eq!(n.connect(addr(to)), Err(blocking), "{to}: non-blocking");
    assert_eq!(clock.now(), before, "{to}: no time waited");
    blocking
}

#[track_caller]
fn udp_send_to(stack: &Stack<'_>, to: &str) -> Result<usize, Error> {
    let domain = if to.starts_with('[') {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let u = Socket::new(stack, domain, Type::DGRAM).unwrap();
    u.set_timeout(Some(TIMEOUT)).unwrap();
    u.send_to(b"x", addr(to))
}

#[test]
fn tcp_to_multicast_and_broadcast_is_network_unreachable() {
    on_silent_tap(|stack, clock| {
        for to in [
            "224.0.0.1:80",
            "239.1.2.3:80",
            "255.255.255.255:80",
            "192.168.69.255:80",
            "[ff02::1]:80",
        ] {
            assert_eq!(
                tcp_refused_at_once(stack, clock, to),
                Error::NetworkUnreachable,
                "{to}"
            );
        }
    });
}

#[test]
fn loopback_on_a_stack_without_one_never_leaves() {
    on_silent_tap(|stack, clock| {
        for to in ["127.0.0.1:80", "127.1.2.3:10001"] {
            assert_eq!(
                tcp_refused_at_once(stack, clock, to),
                Error::NetworkUnreachable,
                "{to}"
            );
            assert_eq!(
                udp_send_to(stack, to),
                Err(Error::NetworkUnreachable),
                "{to}"
            );
        }
        assert_eq!(
            tcp_refused_at_once(stack, clock, "[::1]:80"),
            Error::AddrNotAvailable
        );
        assert_eq!(udp_send_to(stack, "[::1]:80"), Err(Error::AddrNotAvailable));
        // Let the stack run a while: nothing queued for 127/8 leaks later.
        clock.advance(smoltcp::time::Duration::from_secs(10));
        stack.poll(stack.now());
    });
}

#[test]
fn own_address_on_ethernet_is_refused_at_once() {
    on_silent_tap(|stack, clock| {
        let to = "192.168.69.2:80";
        assert_eq!(
            tcp_refused_at_once(stack, clock, to),
            Error::ConnectionRefused
        );
        assert_eq!(
            tcp_refused_at_once(stack, clock, "[fd00::2]:80"),
            Error::ConnectionRefused
        );
        // A listener there: smoltcp has no path to it from the same stack.
        let l = tcp(stack);
        l.bind(addr("0.0.0.0:80")).unwrap();
        l.listen(1).unwrap();
        assert_eq!(tcp_refused_at_once(stack, clock, to), Error::Unsupported);
        // Another port is still refused.
        assert_eq!(
            tcp_refused_at_once(stack, clock, "192.168.69.2:81"),
            Error::ConnectionRefused
        );
    });
}

#[test]
fn udp_to_broadcast_is_permission_denied_multicast_goes_out() {
    let dev = on_silent_tap(|stack, _| {
        for to in ["255.255.255.255:9", "192.168.69.255:9"] {
            assert_eq!(udp_send_to(stack, to), Err(Error::PermissionDenied), "{to}");
            let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
            assert_eq!(u.connect(addr(to)), Err(Error::PermissionDenied), "{to}");
        }
        // Linux sends a datagram to a multicast group without asking (and
        // one queued when its socket closes still leaves).
        assert_eq!(udp_send_to(stack, "224.0.0.1:9"), Ok(1));
        stack.poll(stack.now());
    });
    let sent: Vec<IpAddress> = dev.packets().into_iter().map(|(d, _)| d).collect();
    assert_eq!(
        sent,
        vec![IpAddress::v4(224, 0, 0, 1)],
        "only the multicast datagram"
    );
}

#[test]
fn a_loopback_dns_server_is_refused_or_never_asked() {
    // In the configuration: Stack::new says why (a copied resolv.conf's
    // 127.0.0.53 on a TAP stack).
    let clock = SimClock::new();
    let mut dev = Recorder::silent_ethernet();
    let mut res = Box::new(StackResources::<2, 512>::new());
    let stub = IpAddress::v4(127, 0, 0, 53);
    let cfg = Config::ethernet([0x02, 0, 0, 0, 0, 2])
        .with_address(IpCidr::new(IpAddress::v4(192, 168, 69, 2), 24))
        .with_dns_server(stub);
    let r = Stack::new(&mut dev, &clock, &mut res, cfg).map(|_| ());
    assert_eq!(r, Err(smolsock::ConfigError::DnsServerNotReachable(stub)));
    // Set later: the resolution times out and no query leaves (the
    // recorder's check in `on_silent_tap`).
    let dev = on_silent_tap(|stack, _| {
        stack.set_dns_servers(&[stub]).unwrap();
        let r = stack.resolve("example.com", Some(core::time::Duration::from_secs(2)));
        assert_eq!(r, Err(smolsock::ResolveError::TimedOut));
    });
    // Not even an ARP for the gateway it would have gone through.
    assert!(
        dev.hook.sent.is_empty(),
        "{} frames sent",
        dev.hook.sent.len()
    );
    // A loopback stack may use one.
    let mut lo = smoltcp::phy::Loopback::new(smoltcp::phy::Medium::Ip);
    let mut res = Box::new(StackResources::<2, 512>::new());
    let cfg = Config::loopback().with_dns_server(stub);
    assert!(Stack::new(&mut lo, &clock, &mut res, cfg).is_ok());
}

#[test]
fn a_loopback_stack_still_reaches_itself() {
    with_stack::<5, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 80);
        c.send_all(b"hi").unwrap();
        let mut buf = [0u8; 2];
        assert_eq!(s.recv(&mut buf), Ok(2));
        let r = tcp(stack);
        assert_eq!(
            r.connect(addr("127.0.0.1:81")),
            Err(Error::ConnectionRefused)
        );
    });
}

/// The kernel's answers, which the errors above follow (their
/// `std::io::ErrorKind`s must match). Nothing leaves the host: Linux
/// refuses all of these before routing a packet.
#[test]
fn linux_refuses_the_same_way() {
    let kernel_tcp = |to: &str| {
        std::net::TcpStream::connect_timeout(&to.parse().unwrap(), TIMEOUT).expect_err(to)
    };
    for to in ["224.0.0.1:80", "255.255.255.255:80"] {
        let e = kernel_tcp(to);
        assert_eq!(e.raw_os_error(), Some(101), "{to}: ENETUNREACH, {e}");
        let ours = std::io::Error::from(Error::NetworkUnreachable);
        assert_eq!(ours.kind(), e.kind(), "{to}");
        assert_eq!(e.kind(), ErrorKind::NetworkUnreachable);
    }
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let e = udp
        .send_to(b"x", "255.255.255.255:9")
        .expect_err("broadcast");
    assert_eq!(
        e.raw_os_error(),
        Some(13),
        "EACCES without SO_BROADCAST: {e}"
    );
    assert_eq!(
        std::io::Error::from(Error::PermissionDenied).kind(),
        e.kind()
    );
    assert_eq!(Error::PermissionDenied.python_name(), "PermissionError");
}
