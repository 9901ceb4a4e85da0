//! DNS answers into the resolver: a loopback stack whose DNS server
//! (127.0.0.1:53) is the fuzzer. Every query the resolver sends is answered
//! with the next fuzz record (raw, with the query's ID patched in, or behind
//! a well-formed header and the query's question; sometimes twice). The
//! resolver must return (an address or a `ResolveError`), never panic, and
//! give back the slot its query borrowed: pool usage returns to its baseline.
//!
//! Input: records `[op][len u16][bytes]` (see `smolsock_fuzz::net::dns_payload`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smolsock::smoltcp::phy::Medium;
use smolsock::smoltcp::wire::IpAddress;
use smolsock::{Clock, Config, Domain, SimClock, Socket, Stack, StackResources, Type};
use smolsock_fuzz::net::{records, wire, FuzzDevice};
use std::time::Duration;

const NAMES: [&str; 3] = ["web.test", "a.b.example", "x"];

fuzz_target!(|data: &[u8]| {
    let w = wire(Medium::Ip, true);
    w.borrow_mut().dns = records(data);
    let clock = SimClock::new();
    let mut dev = FuzzDevice(w.clone());
    let mut res = Box::new(StackResources::<3, 1024>::new());
    // A fixed seed: the same input replays the same run (query ids, ports).
    let config = Config::loopback()
        .with_random_seed(0x5eed)
        .with_dns_server(IpAddress::v4(127, 0, 0, 1));
    let stack = Stack::new(&mut dev, &clock, &mut res, config).expect("valid config");
    // One slot in use, so a query may have to borrow a free one's place.
    let _held = Socket::new(&stack, Domain::IPV4, Type::DGRAM).expect("udp");
    let baseline = stack.stats().expect("not busy");
    for name in NAMES {
        let r = stack.resolve(name, Some(Duration::from_secs(4)));
        if std::env::var_os("FUZZ_DEBUG").is_some() {
            eprintln!("{name}: {r:?} at {}", clock.now());
        }
        if let Ok(ip) = r {
            // The resolver cannot invent an address: its bytes were in an answer.
            let octets: Vec<u8> = match ip {
                IpAddress::Ipv4(a) => a.octets().to_vec(),
                IpAddress::Ipv6(a) => a.octets().to_vec(),
            };
            let w = w.borrow();
            assert!(
                w.dns_sent
                    .iter()
                    .any(|p| p.windows(octets.len()).any(|x| x == octets.as_slice())),
                "{name} resolved to {ip}, which no answer held"
            );
        }
        assert_eq!(stack.stats().expect("not busy"), baseline, "{name}: {r:?}");
        // Late or duplicate answers with no query pending are ignored.
        stack.poll(clock.now());
        assert_eq!(stack.stats().expect("not busy"), baseline);
        if w.borrow().dns.is_empty() {
            break;
        }
    }
});
