//! Figure 6: a socket call finds its socket in O(1). One non-blocking
//! 1-byte `recv` with bytes already buffered (the call looks its socket up
//! by handle and takes a byte, without polling) on a stack with 8 slots in
//! use and on one with 1,024 in use: the ratio of the two times is near
//! 1.0. A `recv` that finds nothing (`WouldBlock`) polls the stack once,
//! and a poll looks at every socket (smoltcp's egress, `observe`): that
//! ratio is printed beside it, to show what does grow with the slots.

use crate::report::Report;
use crate::util::{ctx, smol_pair, R};
use crate::Plan;
use smolsock::{Config, Domain, Error, Socket, Stack, StackResources, StdClock, Type};
use smoltcp::phy::{Loopback, Medium};
use std::time::{Duration, Instant};

const SECTION: &str = "6. one recv, 8 vs 1,024 slots in use";
/// Slots in use on the big stack (the small one has 8); both have room for
/// this many and the pair's three.
const MANY: usize = 1024;
const FEW: usize = 8;
const BUF: usize = 512;
/// No UDP-capable slots: every one is a stream socket here.
type Resources<'a> = StackResources<'a, { MANY + 8 }, BUF, 0>;

pub fn run(plan: &Plan, report: &mut Report) {
    let (per_round, blocked) = if plan.quick {
        (200_000, 2_000)
    } else {
        (2_000_000, 20_000)
    };
    println!("[lookup] {per_round} 1-byte recvs and {blocked} WouldBlock recvs per round");
    match measure(plan, per_round, blocked) {
        Ok(m) => {
            report.ratio(
                SECTION,
                "recv_1024_vs_8_slots",
                "non-blocking 1-byte recv (bytes buffered), time with 1,024 slots in use / with 8",
                &m.ready_ratios,
            );
            report.extra(SECTION, "  1-byte recv, 8 slots in use", m.ready_ns.0, "ns");
            report.extra(
                SECTION,
                "  1-byte recv, 1,024 slots in use",
                m.ready_ns.1,
                "ns",
            );
            report.extra(
                SECTION,
                "WouldBlock recv (one poll), 1,024 slots / 8",
                m.blocked_ns.1 / m.blocked_ns.0,
                "x",
            );
            report.extra(
                SECTION,
                "  WouldBlock recv, 8 slots in use",
                m.blocked_ns.0,
                "ns",
            );
            report.extra(
                SECTION,
                "  WouldBlock recv, 1,024 slots in use",
                m.blocked_ns.1,
                "ns",
            );
        }
        Err(e) => report.error("lookup", &e),
    }
}

struct Measured {
    ready_ratios: Vec<f64>,
    /// Median ns per call: (8 slots, 1,024 slots).
    ready_ns: (f64, f64),
    blocked_ns: (f64, f64),
}

/// One stack with `in_use` slots held: the connected pair's three and
/// idle stream sockets for the rest.
struct Bed<'s, 'a> {
    client: Socket<'s, 'a>,
    server: Socket<'s, 'a>,
    _held: Vec<Socket<'s, 'a>>,
    _listener: Socket<'s, 'a>,
}

fn bed<'s, 'a>(stack: &'s Stack<'a>, in_use: usize, port: u16) -> R<Bed<'s, 'a>> {
    // The idle sockets first: the pair's come last in smoltcp's set, where
    // a lookup that searched the set would find them last.
    let mut held = Vec::with_capacity(in_use);
    for _ in 3..in_use {
        held.push(Socket::new(stack, Domain::IPV4, Type::STREAM).map_err(ctx("fill"))?);
    }
    let (l, c, s) = smol_pair(stack, port)?;
    s.set_nonblocking(true).map_err(ctx("nonblocking"))?;
    let user = stack.stats().map_err(ctx("stats"))?.user;
    if user != in_use {
        return Err(format!("{user} slots in use, wanted {in_use}"));
    }
    Ok(Bed {
        client: c,
        server: s,
        _held: held,
        _listener: l,
    })
}

/// Seconds spent in `n` 1-byte non-blocking recvs that each find a byte
/// (refilling the receive buffer between batches, outside the timing).
fn ready(b: &Bed<'_, '_>, n: usize, limit: Duration) -> R<Duration> {
    let fill = [7u8; BUF];
    let (mut spent, mut done) = (Duration::ZERO, 0);
    let start = Instant::now();
    let mut byte = [0u8; 1];
    while done < n {
        b.client.send_all(&fill).map_err(ctx("fill send"))?;
        b.client.flush().map_err(ctx("fill flush"))?;
        let batch = BUF.min(n - done);
        let t = Instant::now();
        for _ in 0..batch {
            if b.server.recv(&mut byte).map_err(ctx("recv"))? != 1 {
                return Err("recv: end of stream".into());
            }
        }
        spent += t.elapsed();
        // What is left of this fill, outside the timing.
        for _ in batch..BUF {
            b.server.recv(&mut byte).map_err(ctx("drain"))?;
        }
        done += batch;
        if start.elapsed() > limit {
            return Err("lookup: time limit".into());
        }
    }
    Ok(spent)
}

/// Time of `n` non-blocking recvs that find nothing.
fn blocked(b: &Bed<'_, '_>, n: usize) -> R<Duration> {
    let mut byte = [0u8; 1];
    let t = Instant::now();
    for _ in 0..n {
        match b.server.recv(&mut byte) {
            Err(Error::WouldBlock) => {}
            r => return Err(format!("recv on an empty socket: {r:?}")),
        }
    }
    Ok(t.elapsed())
}

fn ns(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

fn measure(plan: &Plan, per_round: usize, blocked_n: usize) -> R<Measured> {
    let clock = StdClock::new();
    let (mut dev_few, mut dev_many) = (Loopback::new(Medium::Ip), Loopback::new(Medium::Ip));
    let mut res_few: Box<Resources<'_>> = Box::default();
    let mut res_many: Box<Resources<'_>> = Box::default();
    let few = Stack::new(&mut dev_few, &clock, &mut res_few, Config::loopback())
        .map_err(|e| format!("stack: {e}"))?;
    let many = Stack::new(&mut dev_many, &clock, &mut res_many, Config::loopback())
        .map_err(|e| format!("stack: {e}"))?;
    let (a, b) = (bed(&few, FEW, 9)?, bed(&many, MANY, 9)?);
    let rounds = plan.reps.max(3);
    let (mut ratios, mut ready_few, mut ready_many) = (vec![], vec![], vec![]);
    let (mut blk_few, mut blk_many) = (vec![], vec![]);
    for _ in 0..rounds {
        let x = ns(ready(&a, per_round, plan.limit)?, per_round);
        let y = ns(ready(&b, per_round, plan.limit)?, per_round);
        ratios.push(y / x);
        ready_few.push(x);
        ready_many.push(y);
        blk_few.push(ns(blocked(&a, blocked_n)?, blocked_n));
        blk_many.push(ns(blocked(&b, blocked_n)?, blocked_n));
    }
    let med = |v: &[f64]| crate::util::median(v).unwrap_or(f64::NAN);
    Ok(Measured {
        ready_ratios: ratios,
        ready_ns: (med(&ready_few), med(&ready_many)),
        blocked_ns: (med(&blk_few), med(&blk_many)),
    })
}
