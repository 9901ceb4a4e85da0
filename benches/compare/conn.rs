//! Figure 2: connection rate. Each round: connect, accept, the client sends
//! one line, the server reads it and closes, the client reads end of stream
//! and closes. smolsock runs through an 8-slot pool (the TIME-WAIT orphans
//! the closes leave are reclaimed by the pool); the kernel runs the same
//! loop, in one thread too, over 127.0.0.1.

use crate::async_rows;
use crate::report::Report;
use crate::util::{ctx, io_ctx, sa, R};
use crate::Plan;
use smolsock::{Config, Domain, Error, Socket, Stack, StackResources, StdClock, Type};
use smoltcp::phy::{Loopback, Medium};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const SECTION: &str = "2. Connection rate (connect, accept, one line, close)";
const LINE: &[u8] = b"hello from the benchmark\r\n";
/// Per-call timeout: a stuck round fails instead of hanging.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

pub fn run(plan: &Plan, report: &mut Report) {
    println!(
        "[conn] {:.0} s each, smolsock through an 8-slot pool (blocking and async in {} interleaved rounds)",
        plan.conn_time.as_secs_f64(),
        plan.reps.max(3)
    );
    // smolsock's blocking and async loops alternate in `reps` short rounds
    // that together last `conn_time` each, so a burst of load from other
    // programs hits both; the ratio is the median of the per-round ratios.
    let rounds = plan.reps.max(3) as u32;
    let part = plan.conn_time / rounds;
    let (mut b_n, mut b_t, mut b_fails, mut b_ok) = (0u64, 0f64, 0u64, true);
    let (mut a_n, mut a_t, mut a_fails, mut a_ok) = (0u64, 0f64, 0u64, true);
    let mut ratios = vec![];
    let mut counts = async_rows::Counts::default();
    for _ in 0..rounds {
        let b = match smolsock(part) {
            Ok((rate, fails, n)) => {
                (b_n, b_t, b_fails) = (b_n + n, b_t + n as f64 / rate, b_fails + fails);
                Some(rate)
            }
            Err(e) => {
                report.error("smolsock connection rate", &e);
                b_ok = false;
                None
            }
        };
        let a = match async_rows::conn(part, CALL_TIMEOUT) {
            Ok((rate, fails, n, c)) => {
                (a_n, a_t, a_fails) = (a_n + n, a_t + n as f64 / rate, a_fails + fails);
                counts.runner_polls += c.runner_polls;
                counts.timer_fires += c.timer_fires;
                Some(rate)
            }
            Err(e) => {
                report.error("smolsock async connection rate", &e);
                a_ok = false;
                None
            }
        };
        if let (Some(a), Some(b)) = (a, b) {
            ratios.push(a / b);
        }
    }
    if b_ok && b_n > 0 {
        let rate = b_n as f64 / b_t;
        println!("  smolsock: {b_n} connections, {rate:.0}/s, {b_fails} failures");
        report.result(
            SECTION,
            "conn_per_s_smolsock",
            "smolsock, 8-slot pool, one thread",
            rate,
            "conn/s",
        );
        report.result(
            SECTION,
            "conn_failures",
            "smolsock failed rounds (target 0)",
            b_fails as f64,
            "",
        );
    }
    if a_ok && a_n > 0 {
        let rate = a_n as f64 / a_t;
        println!("  smolsock async: {a_n} connections, {rate:.0}/s, {a_fails} failures");
        report.result(
            SECTION,
            "conn_per_s_async",
            "smolsock async: AsyncSocket, connect and accept joined, beside Stack::run",
            rate,
            "conn/s",
        );
        report.result(
            SECTION,
            "conn_failures_async",
            "smolsock async failed rounds (target 0)",
            a_fails as f64,
            "",
        );
        report.async_counts(
            SECTION,
            "connection",
            counts.runner_polls as f64 / a_n as f64,
            counts,
        );
    }
    report.ratio(
        SECTION,
        "conn_ratio_async_vs_blocking",
        "smolsock async / blocking",
        &ratios,
    );
    match kernel(plan.conn_time) {
        Ok((rate, fails, n)) => {
            println!("  kernel: {n} connections, {rate:.0}/s, {fails} failures");
            report.result(
                SECTION,
                "conn_per_s_kernel",
                "Linux TCP 127.0.0.1, same loop, one thread",
                rate,
                "conn/s",
            );
            if fails > 0 {
                report.extra(SECTION, "kernel failed rounds", fails as f64, "");
            }
        }
        Err(e) => report.error("kernel connection rate", &e),
    }
    if let (Some(s), Some(k)) = (
        report.get("conn_per_s_smolsock"),
        report.get("conn_per_s_kernel"),
    ) {
        report.extra(SECTION, "ratio smolsock / kernel (target >= 1)", s / k, "x");
    }
}

/// Rounds per second, failed rounds, rounds.
fn smolsock(time: Duration) -> R<(f64, u64, u64)> {
    let clock = StdClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<8, 4096>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    let addr = sa("127.0.0.1:10001");
    let l = Socket::new(&stack, Domain::IPV4, Type::STREAM).map_err(ctx("listener"))?;
    l.set_reuse_address(true).map_err(ctx("reuse"))?;
    l.bind(addr).map_err(ctx("bind"))?;
    l.listen(1).map_err(ctx("listen"))?;
    l.set_timeout(Some(CALL_TIMEOUT)).map_err(ctx("timeout"))?;
    let (mut ok, mut fails) = (0u64, 0u64);
    let start = Instant::now();
    while start.elapsed() < time {
        match smol_round(&stack, &l, addr) {
            Ok(()) => ok += 1,
            Err(e) => {
                fails += 1;
                if fails <= 5 {
                    eprintln!("  smolsock round {}: {e}", ok + fails);
                }
                if fails >= 100 {
                    return Err(format!("{fails} failed rounds, last: {e}"));
                }
            }
        }
    }
    let n = ok + fails;
    Ok((n as f64 / start.elapsed().as_secs_f64(), fails, n))
}

fn smol_round(stack: &Stack<'_>, l: &Socket<'_, '_>, addr: smolsock::SockAddr) -> R<()> {
    let c = Socket::new(stack, Domain::IPV4, Type::STREAM).map_err(ctx("socket"))?;
    c.set_nonblocking(true).map_err(ctx("nonblocking"))?;
    match c.connect(addr) {
        Err(Error::WouldBlock) | Ok(()) => {}
        Err(e) => return Err(format!("connect: {e:?}")),
    }
    let (s, _) = l.accept().map_err(ctx("accept"))?;
    s.set_timeout(Some(CALL_TIMEOUT)).map_err(ctx("timeout"))?;
    c.set_timeout(Some(CALL_TIMEOUT)).map_err(ctx("timeout"))?;
    c.connect(addr).map_err(ctx("connect outcome"))?;
    c.send_all(LINE).map_err(ctx("send_all"))?;
    let mut buf = [0u8; 128];
    let mut got = 0;
    while !buf[..got].contains(&b'\n') {
        match s.recv(&mut buf[got..]).map_err(ctx("server recv"))? {
            0 => return Err("server: early end of stream".into()),
            n => got += n,
        }
    }
    if &buf[..got] != LINE {
        return Err("server: wrong line".into());
    }
    s.close().map_err(ctx("server close"))?;
    match c.recv(&mut buf).map_err(ctx("client recv"))? {
        0 => {}
        _ => return Err("client: data instead of end of stream".into()),
    }
    c.close().map_err(ctx("client close"))?;
    Ok(())
}

fn kernel(time: Duration) -> R<(f64, u64, u64)> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(io_ctx("bind"))?;
    let addr = l.local_addr().map_err(io_ctx("local_addr"))?;
    let (mut ok, mut fails) = (0u64, 0u64);
    let start = Instant::now();
    while start.elapsed() < time {
        match kernel_round(&l, addr) {
            Ok(()) => ok += 1,
            Err(e) => {
                fails += 1;
                if fails <= 5 {
                    eprintln!("  kernel round {}: {e}", ok + fails);
                }
                if fails >= 100 {
                    return Err(format!("{fails} failed rounds, last: {e}"));
                }
            }
        }
    }
    let n = ok + fails;
    Ok((n as f64 / start.elapsed().as_secs_f64(), fails, n))
}

fn kernel_round(l: &TcpListener, addr: std::net::SocketAddr) -> R<()> {
    let mut c = TcpStream::connect(addr).map_err(io_ctx("connect"))?;
    let (mut s, _) = l.accept().map_err(io_ctx("accept"))?;
    s.set_read_timeout(Some(CALL_TIMEOUT))
        .map_err(io_ctx("timeout"))?;
    c.set_read_timeout(Some(CALL_TIMEOUT))
        .map_err(io_ctx("timeout"))?;
    c.write_all(LINE).map_err(io_ctx("write"))?;
    let mut buf = [0u8; 128];
    let mut got = 0;
    while !buf[..got].contains(&b'\n') {
        match s.read(&mut buf[got..]).map_err(io_ctx("server read"))? {
            0 => return Err("server: early end of stream".into()),
            n => got += n,
        }
    }
    if &buf[..got] != LINE {
        return Err("server: wrong line".into());
    }
    drop(s);
    match c.read(&mut buf).map_err(io_ctx("client read"))? {
        0 => Ok(()),
        _ => Err("client: data instead of end of stream".into()),
    }
}
