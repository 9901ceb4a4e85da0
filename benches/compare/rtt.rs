//! Figure 4: 1-byte echo round trip. smolsock: client and accepted socket on
//! one stack, blocking calls, one thread (send, the server's recv and echo,
//! the client's recv). Kernel: an echo server thread and the client in this
//! thread (the usual `std::net` shape); the same loop in one thread is shown
//! too.

use crate::async_rows;
use crate::report::Report;
use crate::util::{ctx, io_ctx, quantile, skip, smol_pair, R};
use crate::Plan;
use smolsock::{Config, Stack, StackResources, StdClock};
use smoltcp::phy::{Loopback, Medium};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const SECTION: &str = "4. 1-byte echo round trip";
const WARMUP: usize = 1000;

pub fn run(plan: &Plan, report: &mut Report) {
    println!(
        "[rtt] {} round trips after {WARMUP} warm-up",
        plan.rtt_samples
    );
    // Blocking and async alternate in `reps` rounds of equal size (each
    // with its own warm-up); the ratio is the median of per-round p50 ratios.
    let rounds = plan.reps.max(3);
    let per = (plan.rtt_samples / rounds).max(1);
    let (mut blk, mut asy, mut ratios) = (vec![], vec![], vec![]);
    let (skip_b, skip_a) = (skip("smolsock blocking rtt"), skip("smolsock async rtt"));
    let (mut b_ok, mut a_ok) = (!skip_b, !skip_a);
    let mut counts = async_rows::Counts::default();
    for _ in 0..rounds {
        let b = match (!skip_b).then(|| smolsock(per, plan.limit)) {
            None => None,
            Some(Ok(s)) => {
                let p = quantile(&s, 0.5);
                blk.extend(s);
                Some(p)
            }
            Some(Err(e)) => {
                report.error("smolsock rtt", &e);
                b_ok = false;
                None
            }
        };
        let a = match (!skip_a).then(|| async_rows::rtt(per, WARMUP, plan.limit)) {
            None => None,
            Some(Ok((s, c))) => {
                counts.runner_polls += c.runner_polls;
                counts.timer_fires += c.timer_fires;
                let s = finish(s);
                let p = quantile(&s, 0.5);
                asy.extend(s);
                Some(p)
            }
            Some(Err(e)) => {
                report.error("smolsock async rtt", &e);
                a_ok = false;
                None
            }
        };
        if let (Some(a), Some(b)) = (a, b) {
            ratios.push(a / b);
        }
    }
    if b_ok {
        let s = finish(blk);
        report.result(
            SECTION,
            "rtt_us_p50_smolsock",
            "smolsock median, one thread, blocking calls",
            quantile(&s, 0.5),
            "us",
        );
        report.result(
            SECTION,
            "rtt_us_p99_smolsock",
            "smolsock p99",
            quantile(&s, 0.99),
            "us",
        );
    }
    if a_ok {
        let s = finish(asy);
        report.result(
            SECTION,
            "rtt_us_p50_async",
            "smolsock async median: echo task + client task beside Stack::run",
            quantile(&s, 0.5),
            "us",
        );
        report.result(
            SECTION,
            "rtt_us_p99_async",
            "smolsock async p99",
            quantile(&s, 0.99),
            "us",
        );
        report.async_counts(
            SECTION,
            "round trip",
            counts.runner_polls as f64 / (rounds * (per + WARMUP)) as f64,
            counts,
        );
    }
    report.ratio(
        SECTION,
        "rtt_ratio_async_vs_blocking",
        "p50 smolsock async / blocking",
        &ratios,
    );
    if skip("kernel rtt") {
        return;
    }
    match kernel_threads(plan.rtt_samples, plan.limit) {
        Ok(s) => {
            report.result(
                SECTION,
                "rtt_us_p50_kernel",
                "Linux TCP median, echo thread + client thread",
                quantile(&s, 0.5),
                "us",
            );
            report.extra(
                SECTION,
                "Linux TCP p99, 2 threads",
                quantile(&s, 0.99),
                "us",
            );
        }
        Err(e) => report.error("kernel rtt", &e),
    }
    match kernel_one_thread(plan.rtt_samples, plan.limit) {
        Ok(s) => {
            report.extra(
                SECTION,
                "Linux TCP median, same loop in one thread",
                quantile(&s, 0.5),
                "us",
            );
            report.extra(
                SECTION,
                "Linux TCP p99, one thread",
                quantile(&s, 0.99),
                "us",
            );
        }
        Err(e) => report.error("kernel rtt (one thread)", &e),
    }
}

fn finish(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Sorted round-trip times in microseconds.
fn smolsock(samples: usize, limit: Duration) -> R<Vec<f64>> {
    let clock = StdClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<4, 4096>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    let (_l, c, s) = smol_pair(&stack, 7)?;
    let mut out = Vec::with_capacity(samples);
    let start = Instant::now();
    let mut b = [0u8; 1];
    for i in 0..WARMUP + samples {
        let t = Instant::now();
        c.send(&[i as u8]).map_err(ctx("client send"))?;
        if s.recv(&mut b).map_err(ctx("server recv"))? != 1 {
            return Err("server: end of stream".into());
        }
        s.send(&b).map_err(ctx("server send"))?;
        if c.recv(&mut b).map_err(ctx("client recv"))? != 1 || b[0] != i as u8 {
            return Err("client: wrong echo".into());
        }
        if i >= WARMUP {
            out.push(t.elapsed().as_secs_f64() * 1e6);
        }
        if start.elapsed() > limit {
            return Err("smolsock rtt: time limit".into());
        }
    }
    Ok(finish(out))
}

fn kernel_threads(samples: usize, limit: Duration) -> R<Vec<f64>> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(io_ctx("bind"))?;
    let addr = l.local_addr().map_err(io_ctx("local_addr"))?;
    let echo = std::thread::spawn(move || -> R<()> {
        let (mut s, _) = l.accept().map_err(io_ctx("accept"))?;
        s.set_read_timeout(Some(limit)).map_err(io_ctx("timeout"))?;
        let mut b = [0u8; 1];
        loop {
            match s.read(&mut b).map_err(io_ctx("echo read"))? {
                0 => return Ok(()),
                _ => s.write_all(&b).map_err(io_ctx("echo write"))?,
            }
        }
    });
    let mut c = TcpStream::connect(addr).map_err(io_ctx("connect"))?;
    c.set_read_timeout(Some(limit)).map_err(io_ctx("timeout"))?;
    let mut out = Vec::with_capacity(samples);
    let start = Instant::now();
    let mut b = [0u8; 1];
    for i in 0..WARMUP + samples {
        let t = Instant::now();
        c.write_all(&[i as u8]).map_err(io_ctx("client write"))?;
        c.read_exact(&mut b).map_err(io_ctx("client read"))?;
        if b[0] != i as u8 {
            return Err("client: wrong echo".into());
        }
        if i >= WARMUP {
            out.push(t.elapsed().as_secs_f64() * 1e6);
        }
        if start.elapsed() > limit {
            return Err("kernel rtt: time limit".into());
        }
    }
    drop(c);
    echo.join()
        .map_err(|_| "echo thread panicked".to_string())??;
    Ok(finish(out))
}

fn kernel_one_thread(samples: usize, limit: Duration) -> R<Vec<f64>> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(io_ctx("bind"))?;
    let addr = l.local_addr().map_err(io_ctx("local_addr"))?;
    let mut c = TcpStream::connect(addr).map_err(io_ctx("connect"))?;
    let (mut s, _) = l.accept().map_err(io_ctx("accept"))?;
    for x in [&c, &s] {
        x.set_read_timeout(Some(limit)).map_err(io_ctx("timeout"))?;
    }
    let mut out = Vec::with_capacity(samples);
    let start = Instant::now();
    let mut b = [0u8; 1];
    for i in 0..WARMUP + samples {
        let t = Instant::now();
        c.write_all(&[i as u8]).map_err(io_ctx("client write"))?;
        s.read_exact(&mut b).map_err(io_ctx("server read"))?;
        s.write_all(&b).map_err(io_ctx("server write"))?;
        c.read_exact(&mut b).map_err(io_ctx("client read"))?;
        if b[0] != i as u8 {
            return Err("client: wrong echo".into());
        }
        if i >= WARMUP {
            out.push(t.elapsed().as_secs_f64() * 1e6);
        }
        if start.elapsed() > limit {
            return Err("kernel rtt: time limit".into());
        }
    }
    Ok(finish(out))
}
