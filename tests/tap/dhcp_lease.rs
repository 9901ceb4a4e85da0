//! A real lease's life against dnsmasq, on wall-clock time: dnsmasq's
//! shortest lease is 2 minutes, so T1 is at 60 s. One test renews (~62 s);
//! one stops dnsmasq and sees the address removed at the lease's end
//! (~2 min; the same rules at exact instants, T2 included, are
//! `tests/dhcp` on simulated time).
//!
//! Each test re-runs itself inside the namespace it made (`ip netns exec NS
//! <this binary> --exact NAME`, with `SMOLSOCK_DHCP_INSIDE=1`): there it
//! starts dnsmasq and opens the TAP device with the library (`device::Tap`).
//! Root only (`-- --ignored`); bounded; the namespace dies with the test.

use super::dhcp_tap::{dnsmasq_args, wait_started, DNSMASQ};
use crate::netns::{self, Guard};
use smolsock::device::Tap;
use smolsock::{Config, Domain, Error, Ipv4Config, Socket, Stack, StackResources, Type};
use std::process::Stdio;
use std::time::{Duration, Instant};

const INSIDE: &str = "SMOLSOCK_DHCP_INSIDE";

fn inside_or_rerun(name: &str, limit: Duration) -> bool {
    netns::rerun_inside(INSIDE, name, limit)
}

/// dnsmasq with 2-minute leases, started from inside the namespace.
pub(super) fn dnsmasq(log: &std::path::Path) -> Guard {
    let child = std::process::Command::new(DNSMASQ)
        .args(dnsmasq_args("2m", log))
        .arg("--dhcp-leasefile=/dev/null")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn dnsmasq");
    wait_started(log);
    Guard(child)
}

/// Run the stack (a blocking wait that nothing ends) for `d`.
fn run_for(stack: &Stack<'_>, d: Duration) {
    let s = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
    s.bind("0.0.0.0:9".parse().unwrap()).unwrap();
    s.set_timeout(Some(d)).unwrap();
    let mut buf = [0; 8];
    assert_eq!(s.recv_from(&mut buf).map(|_| ()), Err(Error::TimedOut));
}

/// The lease from dnsmasq, with a fresh stack on tap0.
pub(super) fn with_lease(f: impl FnOnce(&Stack<'_>, Ipv4Config, Instant)) {
    let mut tap = Tap::open(netns::TAP).expect("open tap0");
    let clock = tap.clock();
    let mut res = Box::new(StackResources::<4, 1024>::new());
    let stack = Stack::new(
        &mut tap,
        &clock,
        &mut res,
        Config::dhcp([0x02, 0, 0, 0, 0, 7]),
    )
    .unwrap();
    // 30 s: smoltcp repeats a DISCOVER every 10 s, and a first one can go
    // unanswered on a loaded machine.
    let lease = stack
        .wait_config_up(Some(Duration::from_secs(30)))
        .expect("a lease from dnsmasq");
    f(&stack, lease, Instant::now())
}

fn acks(log: &std::path::Path, ip: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches(&format!("DHCPACK(tap0) {ip} "))
        .count()
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored (about 65 s)"]
fn a_two_minute_lease_is_renewed_at_t1() {
    if !inside_or_rerun(
        "dhcp_lease::a_two_minute_lease_is_renewed_at_t1",
        Duration::from_secs(130),
    ) {
        return;
    }
    let log = std::env::temp_dir().join(format!("smolsock-renew-{}.log", std::process::id()));
    let _d = dnsmasq(&log);
    with_lease(|stack, lease, t0| {
        let ip = lease.address.address().to_string();
        assert_eq!(acks(&log, &ip), 1);
        run_for(stack, Duration::from_secs(58));
        assert_eq!(acks(&log, &ip), 1, "renewed before T1 (60 s)");
        run_for(stack, Duration::from_secs(5));
        assert_eq!(
            acks(&log, &ip),
            2,
            "renewed at T1: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        assert!(t0.elapsed() < Duration::from_secs(70));
        assert_eq!(stack.ipv4_config(), Some(lease), "the same lease, renewed");
    });
    let _ = std::fs::remove_file(&log);
}

#[test]
#[ignore = "TAP: needs root and /dev/net/tun; run as root with -- --ignored (about 2 min)"]
fn with_dnsmasq_gone_the_address_is_removed_at_the_end_of_the_lease() {
    if !inside_or_rerun(
        "dhcp_lease::with_dnsmasq_gone_the_address_is_removed_at_the_end_of_the_lease",
        Duration::from_secs(190),
    ) {
        return;
    }
    let log = std::env::temp_dir().join(format!("smolsock-expire-{}.log", std::process::id()));
    let d = dnsmasq(&log);
    with_lease(|stack, lease, t0| {
        drop(d); // no renewal (T1), no rebind (T2) answered
        run_for(stack, Duration::from_secs(118) - t0.elapsed());
        assert_eq!(stack.ipv4_config(), Some(lease), "leased until 120 s");
        run_for(stack, Duration::from_secs(123) - t0.elapsed());
        assert_eq!(
            stack.ipv4_config(),
            None,
            "address removed at the lease's end"
        );
        let addrs = stack.with_iface(|i| i.ip_addrs().to_vec()).unwrap();
        assert!(addrs.is_empty(), "{addrs:?}");
    });
    let _ = std::fs::remove_file(&log);
}
