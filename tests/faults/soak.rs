//! Soak on the simulated clock, against fixed pools, through the line
//! server: 100,000 sequential connections, 1,000 bursts of clients beyond
//! its backlog, and 10,000 clients of mixed behaviour (a line, half a line,
//! `disconnect`, silence until the idle timeout). Every line arrives exactly
//! once and in order, every extra client is refused, no slot leaks (pool
//! usage returns to its baseline: `Stack::stats`), nothing panics, and the
//! server still answers at the end.
//!
//! The full counts run in `cargo test` (debug: about 12 s, 3 s and 3 s on
//! an idle 2-vCPU machine; release: 0.7 s, 0.2 s, 0.2 s). The loopback never
//! has to wait, so no simulated time passes except for idle timeouts and
//! where the tests let TIME-WAIT expire.

use crate::common;
use common::*;
use smolsock::line::{CloseReason, Event, LineConfig, LineServer, Status};
use smolsock::Stats;
use smoltcp::time::Duration;
use std::time::Instant as WallClock;

const SEQUENTIAL: usize = 100_000;
const BURSTS: usize = 1_000;
/// Clients per burst: the backlog (5) plus three that must be refused.
const BURST: usize = 8;

/// What the line server reported.
#[derive(Default)]
struct Log {
    lines: Vec<String>,
    closes: Vec<CloseReason>,
}

impl Log {
    fn handler(&mut self) -> impl FnMut(Event<'_>) + '_ {
        move |e| match e {
            Event::Line(_, l) => self
                .lines
                .push(String::from_utf8_lossy(l.as_bytes()).into_owned()),
            Event::Closed(_, why) => self.closes.push(why),
            Event::Opened(_) => {}
        }
    }
}

/// Poll the stack and the server until `closes` sessions have closed in all.
fn serve_until(stack: &Stack<'_>, server: &mut LineServer<'_, '_>, log: &mut Log, closes: usize) {
    for _ in 0..1000 {
        stack.poll(stack.now());
        assert_eq!(server.poll(&mut log.handler()), Ok(Status::Running));
        if log.closes.len() >= closes {
            return;
        }
    }
    panic!(
        "the server did not finish: {} of {closes} sessions closed",
        log.closes.len()
    );
}

/// After the soak: one more client is served, and the pool is back to its
/// baseline before and after it.
#[track_caller]
fn assert_still_serves(
    stack: &Stack<'_>,
    clock: &SimClock,
    server: &mut LineServer<'_, '_>,
    log: &mut Log,
    baseline: Usage,
) {
    assert_eq!(settle(stack, clock), baseline, "pool back to its baseline");
    one_connection(stack, "still here\r\n");
    let closes = log.closes.len();
    serve_until(stack, server, log, closes + 1);
    assert_eq!(log.lines.last().unwrap(), "still here");
    assert_eq!(settle(stack, clock), baseline);
}

/// One client: connect, say `line`, close.
fn one_connection(stack: &Stack<'_>, line: &str) {
    let c = start_connect(stack, 10001);
    stack.poll(stack.now());
    assert_eq!(c.connect(addr("127.0.0.1:10001")), Ok(()));
    c.set_nonblocking(false).unwrap();
    c.send_all(line.as_bytes()).unwrap();
    c.close().unwrap();
}

/// Pool usage: (user, backlog, closing, available). A never-used slot and
/// a made-and-freed one are both available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Usage {
    user: usize,
    backlog: usize,
    closing: usize,
    available: usize,
}

fn usage(s: Stats) -> Usage {
    assert_eq!(s.user + s.backlog + s.closing + s.free + s.unused, s.slots);
    Usage {
        user: s.user,
        backlog: s.backlog,
        closing: s.closing,
        available: s.free + s.unused,
    }
}

/// Let every TIME-WAIT and closing connection finish: the pool usage then.
fn settle(stack: &Stack<'_>, clock: &SimClock) -> Usage {
    for _ in 0..4 {
        clock.advance(Duration::from_secs(60));
        stack.poll(clock.now());
    }
    usage(stack.stats().expect("not busy"))
}

#[test]
fn sequential_connections_leave_no_slot_behind() {
    let n = SEQUENTIAL;
    let wall = WallClock::now();
    // The README's connection benchmark pool: 8 slots.
    with_stack_buf::<8, 1024, _>(|stack, clock| {
        let mut server: LineServer = LineServer::new(stack, LineConfig::default()).unwrap();
        let mut log = Log::default();
        // Warm up (slots made once), then the baseline.
        for i in 0..8 {
            one_connection(stack, &format!("warm {i}\r\n"));
            serve_until(stack, &mut server, &mut log, i + 1);
        }
        let baseline = settle(stack, clock);
        assert_eq!(baseline.closing, 0);
        let (lines0, closes0) = (log.lines.len(), log.closes.len());
        let t0 = clock.now();

        for i in 0..n {
            one_connection(stack, &format!("conn {i}\r\n"));
            serve_until(stack, &mut server, &mut log, closes0 + i + 1);
            // Never more than one connection's worth of slots in use.
            let s = stack.stats().expect("not busy");
            assert!(s.closing <= 2, "connection {i}: {s:?}");
        }
        let sim = clock.now() - t0;

        // Exactly once, in order, each closed by its end of stream.
        assert_eq!(log.lines.len() - lines0, n);
        for (i, l) in log.lines[lines0..].iter().enumerate() {
            assert_eq!(l, &format!("conn {i}"));
        }
        assert!(log.closes[closes0..].iter().all(|c| *c == CloseReason::Eof));
        assert_still_serves(stack, clock, &mut server, &mut log, baseline);
        println!(
            "SOAK sequential connections={n} simulated={sim} wall={:.2?}",
            wall.elapsed()
        );
    });
}

#[test]
fn bursts_beyond_the_backlog_are_refused_and_leave_no_slot_behind() {
    let wall = WallClock::now();
    // Listener + backlog 5 + a burst of 8 clients + their TIME-WAITs.
    with_stack_buf::<16, 1024, _>(|stack, clock| {
        let mut server: LineServer = LineServer::new(stack, LineConfig::default()).unwrap();
        assert_eq!(server.config().backlog, 5);
        let mut log = Log::default();
        let burst = |b: usize, log: &mut Log, server: &mut LineServer<'_, '_>| {
            let before = log.closes.len();
            let lines_before = log.lines.len();
            // The server is busy: eight clients arrive in the same instant,
            // one after the other (each SYN leaves at its own poll: in one
            // poll they would leave in slot order, not in connect order).
            let clients: Vec<_> = (0..BURST)
                .map(|_| {
                    let c = start_connect(stack, 10001);
                    stack.poll(stack.now());
                    c
                })
                .collect();
            let outcomes: Vec<_> = clients
                .iter()
                .map(|c| c.connect(addr("127.0.0.1:10001")))
                .collect();
            let mut want = vec![Ok(()); 5];
            want.extend([Err(Error::ConnectionRefused); BURST - 5]);
            assert_eq!(
                outcomes, want,
                "burst {b}: the first five wait, the rest are refused"
            );
            for (k, c) in clients.iter().enumerate().take(5) {
                c.set_nonblocking(false).unwrap();
                c.send_all(format!("burst {b} client {k}\r\n").as_bytes())
                    .unwrap();
            }
            drop(clients); // graceful close (nothing unread), refused ones freed
            serve_until(stack, server, log, before + 5);
            let got = &log.lines[lines_before..];
            let want: Vec<String> = (0..5).map(|k| format!("burst {b} client {k}")).collect();
            assert_eq!(
                got,
                want.as_slice(),
                "burst {b}: once each, in arrival order"
            );
        };
        burst(0, &mut log, &mut server);
        let baseline = settle(stack, clock);
        let t0 = clock.now();
        for b in 1..=BURSTS {
            burst(b, &mut log, &mut server);
        }
        let sim = clock.now() - t0;
        assert_still_serves(stack, clock, &mut server, &mut log, baseline);
        println!(
            "SOAK bursts={BURSTS} clients_per_burst={BURST} backlog=5 simulated={sim} wall={:.2?}",
            wall.elapsed()
        );
    });
}

/// How a client of the mixed soak behaves.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// One line, then close.
    Line,
    /// Half a line, then close: the server prints it at end of stream.
    Partial,
    /// `disconnect`: the server closes first.
    Disconnect,
    /// Says nothing: the server's 5 s idle timeout closes it.
    Silent,
}

const MIXED: usize = 10_000;

#[test]
fn mixed_client_behaviours_leave_no_slot_behind() {
    let wall = WallClock::now();
    with_stack_buf::<8, 1024, _>(|stack, clock| {
        let mut server: LineServer = LineServer::new(stack, LineConfig::default()).unwrap();
        let mut log = Log::default();
        let mut rng = 0x2545_f491_u32;
        let mut counts = [0usize; 4];
        let run = |i: usize, b: Behaviour, log: &mut Log, server: &mut LineServer<'_, '_>| {
            let closes = log.closes.len();
            let lines = log.lines.len();
            let c = start_connect(stack, 10001);
            stack.poll(stack.now());
            assert_eq!(c.connect(addr("127.0.0.1:10001")), Ok(()));
            c.set_nonblocking(false).unwrap();
            let (want_line, want_close) = match b {
                Behaviour::Line => {
                    c.send_all(format!("line {i}\r\n").as_bytes()).unwrap();
                    c.close().unwrap();
                    (Some(format!("line {i}")), CloseReason::Eof)
                }
                Behaviour::Partial => {
                    c.send_all(format!("partial {i}").as_bytes()).unwrap();
                    c.close().unwrap();
                    (Some(format!("partial {i}")), CloseReason::Eof)
                }
                Behaviour::Disconnect => {
                    c.send_all(b"disconnect\r\n").unwrap();
                    serve_until(stack, server, log, closes + 1);
                    let mut buf = [0u8; 8];
                    assert_eq!(c.recv(&mut buf), Ok(0), "the server closed first");
                    c.close().unwrap();
                    (None, CloseReason::Disconnect)
                }
                Behaviour::Silent => {
                    stack.poll(stack.now());
                    assert_eq!(server.poll(&mut log.handler()), Ok(Status::Running));
                    clock.advance(Duration::from_secs(5));
                    serve_until(stack, server, log, closes + 1);
                    let mut buf = [0u8; 8];
                    assert_eq!(c.recv(&mut buf), Ok(0), "the idle timeout closed it");
                    c.close().unwrap();
                    (None, CloseReason::IdleTimeout)
                }
            };
            serve_until(stack, server, log, closes + 1);
            assert_eq!(log.closes[closes..], [want_close], "client {i} ({b:?})");
            let got: Vec<&String> = log.lines[lines..].iter().collect();
            assert_eq!(
                got,
                want_line.iter().collect::<Vec<_>>(),
                "client {i} ({b:?})"
            );
        };
        let all = [
            Behaviour::Line,
            Behaviour::Partial,
            Behaviour::Disconnect,
            Behaviour::Silent,
        ];
        for (i, b) in all.into_iter().enumerate() {
            run(i, b, &mut log, &mut server);
        }
        let baseline = settle(stack, clock);
        let t0 = clock.now();
        for i in 0..MIXED {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            let k = rng as usize % 4;
            counts[k] += 1;
            run(i, all[k], &mut log, &mut server);
        }
        let sim = clock.now() - t0;
        assert_still_serves(stack, clock, &mut server, &mut log, baseline);
        println!(
            "SOAK mixed clients={MIXED} line/partial/disconnect/silent={counts:?} simulated={sim} wall={:.2?}",
            wall.elapsed()
        );
    });
}
