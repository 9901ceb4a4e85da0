//! No clock value panics the stack (issue 18, item 4): every public call with
//! the simulated clock walked to its limits (zero, just below the stack's
//! `TIME_LIMIT`, the issue's `u64::MAX / 2` µs jump, `i64::MAX` µs), and
//! sensible errors there: what completes at once completes, what must wait
//! is `TimedOut` (a clock at the limit cannot move on for the stack).

use crate::common::sim_exec::block_on_sim;
use crate::common::*;
use smolsock::asynch::AsyncSocket;
use smolsock::ResolveError;
const TIME_LIMIT: Instant = Instant::from_micros_const(i64::MAX / 4);
use smoltcp::phy::{Loopback, Medium};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::Ipv4Address;

const SEC: core::time::Duration = core::time::Duration::from_secs(1);

/// The clock jumps the test makes after the stack is built (µs).
const JUMPS: [u64; 4] = [
    0,
    (i64::MAX / 4) as u64 - 1_000_000, // one second below TIME_LIMIT
    u64::MAX / 2,                      // the jump: i64::MAX µs
    u64::MAX,                          // saturates at i64::MAX µs
];

/// A loopback stack with a silent DNS server (nothing answers on
/// 127.0.0.53:53), its clock jumped by `jump` µs after it was built.
fn at_jump<R>(jump: u64, f: impl FnOnce(&Stack<'_>, &SimClock) -> R) -> R {
    let clock = SimClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<8, 2048>::new());
    let cfg = Config::loopback()
        .with_random_seed(1)
        .with_dns_server(Ipv4Address::new(127, 0, 0, 53).into());
    let stack = Stack::new(&mut dev, &clock, &mut res, cfg).expect("valid config");
    clock.advance(Duration::from_micros(jump));
    f(&stack, &clock)
}

/// At the limit, a call that has to wait cannot: `TimedOut` after its try.
fn at_limit(stack: &Stack<'_>) -> bool {
    stack.now() >= TIME_LIMIT
}

#[test]
fn the_stack_reads_the_clock_clamped() {
    for jump in JUMPS {
        at_jump(jump, |stack, clock| {
            let expect =
                Instant::from_micros(clock.now().total_micros().min(TIME_LIMIT.total_micros()));
            assert_eq!(stack.now(), expect, "jump {jump}");
            // poll and poll_at at any clock (and at any instant handed in).
            stack.poll(stack.now());
            stack.poll(Instant::from_micros(i64::MAX));
            stack.poll(Instant::from_micros(i64::MIN));
            let _ = stack.poll_at();
        });
    }
}

#[test]
fn connect_accept_send_recv_at_every_clock() {
    for jump in JUMPS {
        at_jump(jump, |stack, _| {
            let l = listener(stack, 80, 2);
            l.set_timeout(Some(SEC)).unwrap();
            // Nothing to accept: a timeout, never a hang or a panic.
            assert_eq!(l.accept().map(|_| ()), Err(Error::TimedOut), "jump {jump}");
            // A loopback connect completes within the one poll it gets.
            let c = tcp(stack);
            c.set_timeout(Some(SEC)).unwrap();
            assert_eq!(c.connect(addr("127.0.0.1:80")), Ok(()), "jump {jump}");
            let (s, _) = l.accept().expect("accept");
            s.set_timeout(Some(SEC)).unwrap();
            let mut buf = [0u8; 16];
            assert_eq!(
                s.recv(&mut buf),
                Err(Error::TimedOut),
                "jump {jump}: no data yet"
            );
            assert_eq!(c.send(b"ab"), Ok(2));
            c.send_all(b"cd").expect("send_all");
            c.flush().expect("flush");
            let mut got = Vec::new();
            while got.len() < 4 {
                let n = s.recv(&mut buf).expect("recv");
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, b"abcd");
            // A closed port is refused at once, at any clock.
            let r = tcp(stack);
            r.set_timeout(Some(SEC)).unwrap();
            assert_eq!(
                r.connect(addr("127.0.0.1:81")),
                Err(Error::ConnectionRefused)
            );
            // Blocking without a timeout: at the limit the wait is over at
            // once; below it, a simulated clock with nothing due stalls.
            s.set_timeout(None).unwrap();
            let end = s.recv(&mut buf);
            if at_limit(stack) {
                assert_eq!(end, Err(Error::TimedOut), "jump {jump}");
            } else {
                assert_eq!(end, Err(Error::Stalled), "jump {jump}");
            }
            // Closing after all that, and the next poll, do not panic either.
            drop((c, s, r));
            stack.poll(stack.now());
        });
    }
}

#[test]
fn a_timeout_that_runs_past_the_limit_ends_there() {
    // Half a second below the limit, a 1 s timeout: TimedOut at the limit,
    // never Stalled (no deadline) and never a wait past it.
    at_jump((i64::MAX / 4) as u64 - 500_000, |stack, _| {
        let (_l, _c, s) = pair(stack, 80);
        s.set_timeout(Some(SEC)).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(s.recv(&mut buf), Err(Error::TimedOut));
        assert_eq!(stack.now(), TIME_LIMIT);
    });
}

#[test]
fn connect_to_a_silent_host_times_out_at_every_clock() {
    for jump in JUMPS {
        at_jump(jump, |stack, clock| {
            // Blackholed: an address of no interface, over Loopback nobody
            // answers (smoltcp drops it on the way back in).
            stack
                .with_iface(|i| {
                    i.routes_mut()
                        .add_default_ipv4_route(Ipv4Address::new(127, 0, 0, 1))
                        .unwrap();
                })
                .unwrap();
            let c = tcp(stack);
            c.set_timeout(Some(SEC)).unwrap();
            let before = stack.now();
            assert_eq!(
                c.connect(addr("10.1.2.3:80")),
                Err(Error::TimedOut),
                "jump {jump}"
            );
            if !at_limit(stack) {
                assert!(
                    stack.now() - before >= Duration::from_secs(1),
                    "the whole timeout"
                );
            }
            // Another jump while the SYN's timers are armed.
            clock.advance(Duration::from_micros(u64::MAX));
            stack.poll(stack.now());
            assert!(c.connect(addr("10.1.2.3:80")).is_err());
        });
    }
}

#[test]
fn resolve_times_out_at_every_clock() {
    for jump in JUMPS {
        at_jump(jump, |stack, _| {
            assert_eq!(
                stack.resolve("example.com", Some(SEC)),
                Err(ResolveError::TimedOut),
                "jump {jump}"
            );
            // A literal needs no clock.
            assert!(stack.resolve("127.0.0.1", Some(SEC)).is_ok());
            // A huge timeout is no deadline; at the limit it still ends.
            let huge = stack.resolve("example.com", Some(core::time::Duration::MAX));
            assert_eq!(huge, Err(ResolveError::TimedOut), "jump {jump}");
        });
    }
}

#[test]
fn async_calls_at_every_clock() {
    for jump in JUMPS {
        at_jump(jump, |stack, clock| {
            let l = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
            l.bind(addr("127.0.0.1:80")).unwrap();
            l.listen(1).unwrap();
            l.set_timeout(Some(SEC)).unwrap();
            let r = block_on_sim(stack, clock, l.accept());
            assert_eq!(r.map(|_| ()), Err(Error::TimedOut), "jump {jump}");
            let c = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
            c.set_timeout(Some(SEC)).unwrap();
            let connected = block_on_sim(stack, clock, c.connect(addr("127.0.0.1:80")));
            if at_limit(stack) {
                // A future's one try does not poll (the runner does): at
                // the limit, the SYN's answer is not in yet, and the wait
                // is over.
                assert_eq!(connected, Err(Error::TimedOut), "jump {jump}");
                let r = block_on_sim(stack, clock, stack.resolve_async("example.com", Some(SEC)));
                assert_eq!(r, Err(ResolveError::TimedOut), "jump {jump}");
                return;
            }
            assert_eq!(connected, Ok(()), "jump {jump}");
            let (s, _) = block_on_sim(stack, clock, l.accept()).expect("accept");
            s.set_timeout(Some(SEC)).unwrap();
            let mut buf = [0u8; 4];
            let r = block_on_sim(stack, clock, s.recv(&mut buf));
            assert_eq!(r, Err(Error::TimedOut), "jump {jump}");
            block_on_sim(stack, clock, c.send_all(b"hi")).expect("send_all");
            let n = block_on_sim(stack, clock, s.recv(&mut buf)).expect("recv");
            assert_eq!(&buf[..n], b"hi");
            let r = block_on_sim(stack, clock, stack.resolve_async("example.com", Some(SEC)));
            assert_eq!(r, Err(ResolveError::TimedOut), "jump {jump}");
        });
    }
}

#[test]
fn select_and_create_connection_at_every_clock() {
    use smolsock::{ConnectError, Events, Interest};
    for jump in JUMPS {
        at_jump(jump, |stack, clock| {
            let (l, c, s) = pair(stack, 80);
            // Nothing to read: select times out (0 ready), blocking and async.
            let mut set = [Interest::new(&s, Events::READ)];
            assert_eq!(stack.select(&mut set, Some(SEC)), Ok(0), "jump {jump}");
            let mut set = [Interest::new(&s, Events::READ)];
            let r = block_on_sim(stack, clock, stack.select_async(&mut set, Some(SEC)));
            assert_eq!(r, Ok(0), "jump {jump}");
            // No timeout: at the limit the wait is over at once.
            let mut set = [Interest::new(&s, Events::READ)];
            let r = stack.select(&mut set, None);
            if at_limit(stack) {
                assert_eq!(r, Ok(0), "jump {jump}");
                let mut set = [Interest::new(&s, Events::READ)];
                let r = block_on_sim(stack, clock, stack.select_async(&mut set, None));
                assert_eq!(r, Ok(0), "jump {jump}: async, no timeout");
            } else {
                assert_eq!(r, Err(Error::Stalled), "jump {jump}");
            }
            // Data ready: found at any clock.
            c.send_all(b"x").unwrap();
            let mut set = [Interest::new(&s, Events::READ)];
            assert_eq!(stack.select(&mut set, Some(SEC)), Ok(1), "jump {jump}");
            drop((c, s));
            let r = stack
                .create_connection("127.0.0.1", 80, Some(SEC))
                .map(|_| ());
            if at_limit(stack) {
                // The whole call's deadline is the limit, already reached.
                assert_eq!(r, Err(ConnectError::Socket(Error::TimedOut)), "jump {jump}");
            } else {
                assert_eq!(r, Ok(()), "jump {jump}");
            }
            drop(l);
        });
    }
}
