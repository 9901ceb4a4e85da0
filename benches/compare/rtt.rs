//! Figure 4: 1-byte echo round trip. smolsock: client and accepted socket on
//! one stack, blocking calls, one thread (send, the server's recv and echo,
//! the client's recv). Kernel: an echo server thread and the client in this
//! thread (the usual `std::net` shape); the same loop in one thread is shown
//! too.

use crate::report::Report;
use crate::util::{ctx, io_ctx, quantile, smol_pair, R};
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
    match smolsock(plan.rtt_samples, plan.limit) {
        Ok(s) => {
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
        Err(e) => report.error("smolsock rtt", &e),
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
