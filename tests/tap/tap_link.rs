//! A TAP device's link as Linux sets it: `ip link set tap0 down` with a
//! lease from dnsmasq → the stack sees the link down and removes the
//! address (no panic, sends fail with an error); `up` → a new lease.
//!
//! Each test re-runs itself inside the namespace it made (see
//! `dhcp_lease`); root only (`-- --ignored`); bounded; the namespace dies
//! with the test.

use super::dhcp_lease::{self, dnsmasq};
use crate::netns;
use smolsock::{Domain, Ipv4Config, Socket, Stack, Type};
use std::time::{Duration, Instant};

const INSIDE: &str = "SMOLSOCK_LINK_INSIDE";

fn ip_link(state: &str) {
    let o = std::process::Command::new("ip")
        .args(["link", "set", netns::TAP, state])
        .output()
        .expect("run ip");
    assert!(o.status.success(), "ip link set tap0 {state}: {o:?}");
}

/// Poll `stack` until `done` (at most 5 s); true if it came.
fn poll_until(stack: &Stack<'_>, mut done: impl FnMut(&Stack<'_>) -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        stack.poll(stack.now());
        if done(stack) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// dnsmasq, then a stack with a lease on tap0 (link up), then `f`.
fn with_lease(test: &str, f: impl FnOnce(&Stack<'_>, Ipv4Config)) {
    let log = std::env::temp_dir().join(format!("smolsock-{test}-{}.log", std::process::id()));
    let _d = dnsmasq(&log);
    dhcp_lease::with_lease(|stack, lease, _| {
        assert!(stack.is_link_up());
        f(stack, lease)
    });
    let _ = std::fs::remove_file(&log);
}

fn ipv4_addrs(stack: &Stack<'_>) -> usize {
    stack
        .with_iface(|i| {
            i.ip_addrs()
                .iter()
                .filter(|a| a.address().version() == smolsock::smoltcp::wire::IpVersion::Ipv4)
                .count()
        })
        .unwrap()
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored (about 5 s)"]
fn tap_set_down_drops_the_address_and_up_brings_a_new_lease() {
    if !netns::rerun_inside(
        INSIDE,
        "tap_link::tap_set_down_drops_the_address_and_up_brings_a_new_lease",
        Duration::from_secs(90),
    ) {
        return;
    }
    with_lease("link-down-up", |stack, lease| {
        let s = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        ip_link("down");
        assert!(
            poll_until(stack, |s| !s.is_link_up()),
            "the stack never saw tap0 go down"
        );
        assert_eq!(stack.ipv4_config(), None, "address kept with the link down");
        assert_eq!(ipv4_addrs(stack), 0);
        // A send while the link is down: an error, no panic.
        let to = format!("{}:9", netns::LINUX_IP).parse().unwrap();
        assert!(
            s.send_to(b"down", to).is_err(),
            "send_to with the link down succeeded"
        );
        ip_link("up");
        let again = stack
            .wait_config_up(Some(Duration::from_secs(30)))
            .expect("a new lease after ip link set tap0 up");
        assert!(stack.is_link_up());
        assert_eq!(
            again.address, lease.address,
            "dnsmasq gives the same address"
        );
        assert_eq!(ipv4_addrs(stack), 1);
        // And the link works again: a datagram reaches the Linux side's
        // UDP discard port (sent without an error).
        assert_eq!(s.send_to(b"up", to), Ok(2));
    });
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored (about 5 s)"]
fn writes_right_after_the_tap_goes_down_are_dropped_not_a_panic() {
    if !netns::rerun_inside(
        INSIDE,
        "tap_link::writes_right_after_the_tap_goes_down_are_dropped_not_a_panic",
        Duration::from_secs(90),
    ) {
        return;
    }
    with_lease("write-down", |stack, _| {
        let s = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        let to = format!("{}:9", netns::LINUX_IP).parse().unwrap();
        assert_eq!(s.send_to(b"first", to), Ok(5));
        ip_link("down");
        // At once, before the stack's next look at the link: these frames
        // reach a device that is down (Linux answers the write with EIO);
        // each is dropped, and the failed write makes the stack look.
        let mut sent = 0;
        let mut refused = 0;
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end && refused == 0 {
            match s.send_to(b"while down", to) {
                Ok(_) => sent += 1,
                Err(_) => refused += 1,
            }
            stack.poll(stack.now());
        }
        assert!(refused > 0, "{sent} sends, none refused with the link down");
        assert!(!stack.is_link_up());
        assert_eq!(stack.ipv4_config(), None);
        ip_link("up");
        stack
            .wait_config_up(Some(Duration::from_secs(30)))
            .expect("a new lease after ip link set tap0 up");
    });
}
