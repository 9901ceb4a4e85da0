//! Raw frames (Ethernet or IP) into a stack that runs the line server and an
//! HTTP client at once. The stack is 10.0.0.2/24 and fd00::2/64; the
//! fuzzer plays the peer 10.0.0.1 (02:00:00:00:00:01). The line server
//! listens on port 10001 (backlog 2, two sessions); the HTTP client GETs
//! `http://10.0.0.1/` (or `[fd00::1]`) with a 3 s deadline. While the
//! client waits, each record is played as the next event on the wire:
//! a raw frame, a frame with fixed checksums, a reply to the stack's last
//! TCP segment (ports, addresses, ACK and sequence numbers filled in), or
//! time passing. The records the client leaves are then played to the line
//! server's poll loop. (One thread: while the blocking client runs, the line
//! server's listener and backlog are live in the stack — handshakes and
//! early data complete into the backlog — and its own poll loop runs after.) Nothing may panic; once every socket is dropped no
//! slot is held by a user or a backlog, and ten silent minutes later none is
//! still closing.
//!
//! Input: byte 0: bit 0 Ethernet (else IP medium), bit 1 IPv6 target;
//! then records `[op][len u16][bytes]`, `op % 4`: 0 raw, 1 fix checksums,
//! 2 reply to the last TCP segment, 3 advance 50 ms × (`bytes[0]` + 1).
#![no_main]

use core::ops::ControlFlow;
use libfuzzer_sys::fuzz_target;
use smolsock::http::{Client, Part, ResponseParser};
use smolsock::line::{Event, LineConfig, LineServer};
use smolsock::smoltcp::phy::Medium;
use smolsock::smoltcp::time::Duration as SimDuration;
use smolsock::smoltcp::wire::{IpAddress, IpCidr};
use smolsock::{Clock, Config, SimClock, Stack, StackResources};
use smolsock_fuzz::net::{records, wire, FuzzClock, FuzzDevice};
use std::cell::RefCell;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let [flags, rest @ ..] = data else {
        return;
    };
    let eth = flags & 1 != 0;
    let v6 = flags & 2 != 0;
    let medium = if eth { Medium::Ethernet } else { Medium::Ip };
    let w = wire(medium, false);
    let clock = FuzzClock {
        sim: SimClock::new(),
        wire: w.clone(),
        records: RefCell::new(records(rest)),
    };
    let mut dev = FuzzDevice(w.clone());
    let mut res = Box::new(StackResources::<6, 2048>::new());
    let base = if eth {
        Config::ethernet([2, 0, 0, 0, 0, 2])
    } else {
        Config::ip()
    };
    // A fixed seed: the same input replays the same run (ISNs, ports).
    let config = base
        .with_random_seed(0x5eed)
        .with_address(IpCidr::new(IpAddress::v4(10, 0, 0, 2), 24))
        .with_address(IpCidr::new(IpAddress::v6(0xfd00, 0, 0, 0, 0, 0, 0, 2), 64))
        .with_gateway(IpAddress::v4(10, 0, 0, 1));
    let stack = Stack::new(&mut dev, &clock, &mut res, config).expect("valid config");

    let line_config = LineConfig::default()
        .with_backlog(2)
        .with_max_sessions(2)
        .with_max_line(64);
    let mut lines = 0usize;
    let mut handler = |e: Event<'_>| {
        if let Event::Line(_, l) = e {
            assert!(l.as_bytes().len() <= 64);
            lines += 1;
        }
    };
    {
        let mut server: LineServer<'_, '_, 2, 64> =
            LineServer::new(&stack, line_config).expect("line server");

        // The client first: the line server's listener is live meanwhile
        // (the stack completes handshakes into its backlog).
        let url = if v6 {
            "http://[fd00::1]/"
        } else {
            "http://10.0.0.1/"
        };
        let client = Client::new(&stack).with_timeout(Duration::from_secs(3));
        let mut parser = ResponseParser::<512>::new();
        let mut body = 0usize;
        let r = client.get(url, &mut parser, |part| {
            if let Part::Body(b) = part {
                body += b.len();
            }
            ControlFlow::Continue(())
        });
        if let Ok(n) = r {
            assert_eq!(n, body as u64);
        }
        if debug() {
            eprintln!("client: {r:?}, body {body}, records left {}", clock.left());
        }

        // Then the line server, one record per round.
        loop {
            let more = clock.play();
            stack.poll(clock.now());
            if server.poll(&mut handler).is_err() {
                break;
            }
            if !more {
                break;
            }
        }
        // Idle sessions time out.
        clock.sim.advance(SimDuration::from_secs(6));
        stack.poll(clock.now());
        let _ = server.poll(&mut handler);
    }
    stack.poll(clock.now());
    let stats = stack.stats().expect("not busy");
    if debug() {
        eprintln!(
            "lines: {lines}, frames sent: {}, {stats:?}",
            w.borrow().sent
        );
    }
    assert_eq!(
        (stats.user, stats.backlog),
        (0, 0),
        "every socket dropped: {stats:?}"
    );
    // Closing connections end within the orphan timeout (60 s), TIME-WAIT
    // sooner, whatever the peer does: ten silent minutes free every slot.
    for _ in 0..20 {
        clock.sim.advance(SimDuration::from_secs(30));
        stack.poll(clock.now());
    }
    let stats = stack.stats().expect("not busy");
    assert_eq!(
        (stats.user, stats.backlog, stats.closing),
        (0, 0, 0),
        "ten minutes later: {stats:?}"
    );
});

/// `FUZZ_DEBUG=1`: say what happened (to check that seeds get deep).
fn debug() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("FUZZ_DEBUG").is_some())
}
