//! Figure 3: line rate through the line server. smolsock: `LineServer` in
//! its poll-driven (super-loop) form, and a non-blocking client socket on the
//! same stack, one thread. Kernel: a `std::net` + `BufReader` line server
//! thread and a client thread over 127.0.0.1.

use crate::report::Report;
use crate::util::{check_limit, ctx, io_ctx, median, sa, spread, R};
use crate::Plan;
use smolsock::line::{CloseReason, Line, LineConfig, LineHandler, LineServer, SessionInfo, Status};
use smolsock::{Config, Domain, Error, Socket, Stack, StackResources, StdClock, Type};
use smoltcp::phy::{Loopback, Medium};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const SECTION: &str = "3. Line rate (32-byte lines through the line server)";
/// One 32-byte line: 30 bytes of text and CR LF.
const LINE: &[u8; 32] = b"the quick brown fox jumps over\r\n";
/// Lines per client write.
const BLOCK_LINES: usize = 2048;
/// smolsock socket buffers for this figure (each direction).
const BUF: usize = 65536;

pub fn run(plan: &Plan, report: &mut Report) {
    println!(
        "[lines] {} lines of {} bytes, {} interleaved rounds",
        plan.lines,
        LINE.len(),
        plan.reps
    );
    let (mut smol, mut kern, mut ratios) = (vec![], vec![], vec![]);
    for _ in 0..plan.reps {
        let s = match smolsock(plan.lines, plan.limit) {
            Ok((rate, d)) => {
                println!("  smolsock: {:.0} lines/s ({d:.2?})", rate);
                Some(rate)
            }
            Err(e) => {
                report.error("smolsock line rate", &e);
                None
            }
        };
        let k = match kernel(plan.lines, plan.limit) {
            Ok((rate, d)) => {
                println!("  kernel: {:.0} lines/s ({d:.2?})", rate);
                Some(rate)
            }
            Err(e) => {
                report.error("kernel line rate", &e);
                None
            }
        };
        if let (Some(s), Some(k)) = (s, k) {
            ratios.push(s / k);
        }
        smol.extend(s);
        kern.extend(k);
    }
    if let Some(v) = median(&smol) {
        report.result(
            SECTION,
            "lines_per_s_smolsock",
            "smolsock LineServer (poll form), one thread, 64 KiB buffers (median)",
            v,
            "lines/s",
        );
    }
    if let Some(v) = median(&kern) {
        report.result(
            SECTION,
            "lines_per_s_kernel",
            "std::net + BufReader server, 2 threads, 127.0.0.1 (median)",
            v,
            "lines/s",
        );
    }
    if let Some(m) = median(&ratios) {
        let (lo, hi) = spread(&ratios);
        report.result(
            SECTION,
            "lines_per_s_ratio_vs_kernel",
            format!(
                "ratio smolsock / kernel (target >= 1, stretch 2); median of {} rounds",
                ratios.len()
            ),
            m,
            "x",
        );
        report.extra(SECTION, "  spread (min)", lo, "x");
        report.extra(SECTION, "  spread (max)", hi, "x");
    }
}

fn block() -> Vec<u8> {
    LINE.iter()
        .copied()
        .cycle()
        .take(LINE.len() * BLOCK_LINES)
        .collect()
}

/// Lines per second and the time taken.
fn smolsock(lines: usize, limit: Duration) -> R<(f64, Duration)> {
    let clock = StdClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<8, BUF>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    let config = LineConfig::default()
        .with_port(10001)
        .with_idle_timeout(None);
    let mut server: LineServer = LineServer::new(&stack, config).map_err(ctx("server"))?;

    let c = Socket::new(&stack, Domain::IPV4, Type::STREAM).map_err(ctx("client"))?;
    c.set_nonblocking(true).map_err(ctx("nonblocking"))?;
    match c.connect(sa("127.0.0.1:10001")) {
        Err(Error::WouldBlock) | Ok(()) => {}
        Err(e) => return Err(format!("connect: {e:?}")),
    }
    let data = block();
    let total = lines * LINE.len();
    let mut sent = 0usize;
    let mut count = Count::default();
    let start = Instant::now();
    let mut shut = false;
    let mut rounds = 0u64;
    while count.closed.is_none() {
        // The client: queue what fits, then end the stream.
        if sent < total {
            let off = sent % data.len();
            let n = (total - sent).min(data.len() - off);
            match c.send(&data[off..off + n]) {
                Ok(k) => sent += k,
                Err(Error::WouldBlock) => {}
                Err(e) => return Err(format!("send: {e:?}")),
            }
        } else if !shut {
            c.close().map_err(ctx("close"))?;
            shut = true;
        }
        // The server, as the documented super-loop runs it.
        stack.poll(clock_now(&stack));
        if server.poll(&mut count).map_err(ctx("server poll"))? == Status::Stopped {
            return Err("server stopped".into());
        }
        rounds += 1;
        if rounds.is_multiple_of(256) {
            check_limit(start, limit, "smolsock line rate")?;
        }
    }
    let d = start.elapsed();
    let Count { got, bad, closed } = count;
    if closed != Some(CloseReason::Eof) || got != lines || bad != 0 {
        return Err(format!(
            "got {got} lines ({bad} wrong), closed {closed:?}, expected {lines} and Eof"
        ));
    }
    Ok((lines as f64 / d.as_secs_f64(), d))
}

/// The handler: counts lines, checks their length, notes the close.
#[derive(Default)]
struct Count {
    got: usize,
    bad: usize,
    closed: Option<CloseReason>,
}

impl LineHandler for Count {
    fn line(&mut self, _s: &SessionInfo, line: Line<'_>) {
        self.got += 1;
        if line.as_bytes().len() != LINE.len() - 2 {
            self.bad += 1;
        }
    }
    fn closed(&mut self, _s: &SessionInfo, why: CloseReason) {
        self.closed = Some(why);
    }
}

fn clock_now(stack: &Stack<'_>) -> smoltcp::time::Instant {
    stack.now()
}

fn kernel(lines: usize, limit: Duration) -> R<(f64, Duration)> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(io_ctx("bind"))?;
    let addr = l.local_addr().map_err(io_ctx("local_addr"))?;
    let server = std::thread::spawn(move || -> R<(usize, usize)> {
        let (s, _) = l.accept().map_err(io_ctx("accept"))?;
        s.set_read_timeout(Some(limit)).map_err(io_ctx("timeout"))?;
        let mut r = BufReader::new(s);
        let mut line = Vec::with_capacity(1024);
        let (mut got, mut bad) = (0, 0);
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line).map_err(io_ctx("read"))? == 0 {
                return Ok((got, bad));
            }
            got += 1;
            if line.trim_ascii().len() != LINE.len() - 2 {
                bad += 1;
            }
        }
    });
    let data = block();
    let total = lines * LINE.len();
    let start = Instant::now();
    let mut c = TcpStream::connect(addr).map_err(io_ctx("connect"))?;
    let mut sent = 0;
    while sent < total {
        let n = (total - sent).min(data.len());
        c.write_all(&data[..n]).map_err(io_ctx("write"))?;
        sent += n;
        check_limit(start, limit, "kernel line rate")?;
    }
    drop(c);
    let (got, bad) = server.join().map_err(|_| "server panicked".to_string())??;
    let d = start.elapsed();
    if got != lines || bad != 0 {
        return Err(format!("got {got} lines ({bad} wrong), expected {lines}"));
    }
    Ok((lines as f64 / d.as_secs_f64(), d))
}
