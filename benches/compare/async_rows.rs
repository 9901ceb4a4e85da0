//! The async rows: the same workloads as the blocking smolsock rows, written
//! as a user of `AsyncSocket` would write them, each run beside
//! `Stack::run(&timer, NoInterrupt)` on the same `Loopback` device and the
//! same wall clock (`StdClock`) as its blocking counterpart. The callers
//! interleave each async measurement with its blocking one and report the
//! ratio async / blocking.
//!
//! Executor: `futures_executor::block_on` over `futures_util`'s `select` and
//! `join!`: one thread (like the blocking rows), no heap per task, no
//! `'static` tasks to spawn. It re-polls every unfinished child of a `join`
//! and the runner on any wake-up, which is the harshest executor for the
//! core's wake policy (a future that finds nothing to do must not wake the
//! runner, or this spins); embassy-executor would poll only the woken task.

use crate::util::{ctx, sa, R};
use futures_util::future::{select, Either};
use smolsock::asynch::{AsyncSocket, NoInterrupt, Timer};
use smolsock::{Clock, Config, Domain, Stack, StackResources, StdClock, Type};
use smoltcp::phy::{Loopback, Medium};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// How often the runner was polled and its timer fired, in one measurement:
/// the async core's overhead in numbers.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub runner_polls: u64,
    pub timer_fires: u64,
}

/// A [`Timer`] on `StdClock`'s time line (the clock the blocking rows use,
/// which has no timer of its own). One helper thread sleeps on a condition
/// variable until the earliest instant asked for, then wakes the sleeper.
///
/// Only the runner sleeps on it (one sleeper at a time; a new sleep replaces
/// the last one's instant and waker, and an old sleep that fires wakes the
/// runner once for nothing, which `Timer` allows). The hot path never makes a
/// system call: a sleep registers under an uncontended mutex and signals the
/// thread only if it moved the instant earlier; on `Loopback` the runner is
/// woken by the socket calls, and the stack's timers (retransmission, 2 s
/// call deadlines) are far away.
pub struct WallTimer {
    shared: Arc<Shared>,
    /// The std instant of `StdClock`'s zero.
    base: Instant,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    fires: AtomicU64,
}

#[derive(Default)]
struct State {
    at: Option<Instant>,
    waker: Option<Waker>,
    stop: bool,
}

impl WallTimer {
    pub fn new(clock: &StdClock) -> Self {
        let since = Duration::from_micros(clock.now().total_micros() as u64);
        let base = Instant::now() - since;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
            fires: AtomicU64::new(0),
        });
        let sh = shared.clone();
        let thread = std::thread::spawn(move || {
            let mut g = sh.state.lock().expect("timer lock");
            loop {
                if g.stop {
                    return;
                }
                match g.at {
                    None => g = sh.cv.wait(g).expect("timer lock"),
                    Some(at) => {
                        let now = Instant::now();
                        if now >= at {
                            g.at = None;
                            if let Some(w) = g.waker.take() {
                                sh.fires.fetch_add(1, Ordering::Relaxed);
                                drop(g);
                                w.wake();
                                g = sh.state.lock().expect("timer lock");
                            }
                        } else {
                            g = sh.cv.wait_timeout(g, at - now).expect("timer lock").0;
                        }
                    }
                }
            }
        });
        WallTimer {
            shared,
            base,
            thread: Some(thread),
        }
    }

    pub fn fires(&self) -> u64 {
        self.shared.fires.load(Ordering::Relaxed)
    }
}

impl Drop for WallTimer {
    fn drop(&mut self) {
        if let Ok(mut g) = self.shared.state.lock() {
            g.stop = true;
        }
        self.shared.cv.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Timer for WallTimer {
    fn sleep_until(&self, at: smoltcp::time::Instant) -> impl Future<Output = ()> {
        let at = self.base + Duration::from_micros(at.total_micros().max(0) as u64);
        let mut registered = false;
        std::future::poll_fn(move |cx| {
            if Instant::now() >= at {
                return Poll::Ready(());
            }
            let mut g = self.shared.state.lock().expect("timer lock");
            let sooner = g.at.is_none_or(|cur| at < cur);
            if !registered || sooner {
                // A later instant than the thread waits for needs no
                // signal: it wakes at the old one, sees the new one, and
                // sleeps again.
                g.at = Some(at);
                registered = true;
            }
            match &g.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => g.waker = Some(cx.waker().clone()),
            }
            drop(g);
            if sooner {
                self.shared.cv.notify_one();
            }
            Poll::Pending
        })
    }
}

/// Run `work` to completion beside the stack's runner, on this thread.
/// Counts the runner's polls.
fn run<T>(stack: &Stack<'_>, timer: &WallTimer, work: impl Future<Output = T>) -> (T, Counts) {
    let polls = std::cell::Cell::new(0u64);
    let fires0 = timer.fires();
    let mut runner = pin!(stack.run(timer, NoInterrupt));
    let runner = std::future::poll_fn(|cx| {
        polls.set(polls.get() + 1);
        runner.as_mut().poll(cx)
    });
    let (runner, work) = (pin!(runner), pin!(work));
    let out = match futures_executor::block_on(select(runner, work)) {
        Either::Right((v, _)) => v,
        Either::Left((never, _)) => never,
    };
    let counts = Counts {
        runner_polls: polls.get(),
        timer_fires: timer.fires() - fires0,
    };
    (out, counts)
}

/// A listener, a client connected to it and the accepted server side, made
/// with the async calls (connect and accept joined).
async fn async_pair<'s, 'a>(
    stack: &'s Stack<'a>,
    port: u16,
) -> R<(
    AsyncSocket<'s, 'a>,
    AsyncSocket<'s, 'a>,
    AsyncSocket<'s, 'a>,
)> {
    let addr = sa(&format!("127.0.0.1:{port}"));
    let l = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).map_err(ctx("listener"))?;
    l.bind(addr).map_err(ctx("bind"))?;
    l.listen(1).map_err(ctx("listen"))?;
    let c = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).map_err(ctx("client"))?;
    for x in [&l, &c] {
        x.set_timeout(Some(Duration::from_secs(5)))
            .map_err(ctx("timeout"))?;
    }
    let (a, r) = futures_util::future::join(l.accept(), c.connect(addr)).await;
    r.map_err(ctx("connect"))?;
    let (s, _) = a.map_err(ctx("accept"))?;
    Ok((l, c, s))
}

/// Bulk throughput in Gbit/s: a sender task and a receiver task, 64 KiB user
/// buffers and socket buffers, as the blocking `send`/`recv` row.
pub fn throughput(total: usize, limit: Duration) -> R<(f64, Counts)> {
    use crate::util::BUF64K;
    let clock = StdClock::new();
    let timer = WallTimer::new(&clock);
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<4, BUF64K>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    let (r, counts) = run(&stack, &timer, async {
        let (_l, c, s) = async_pair(&stack, 5003).await?;
        // The blocking row has no call timeout; a hang is caught by `limit`
        // as a timeout on each call.
        for x in [&c, &s] {
            x.set_timeout(Some(limit)).map_err(ctx("timeout"))?;
        }
        let out = vec![0x5au8; BUF64K];
        let mut inb = vec![0u8; BUF64K];
        let start = Instant::now();
        let sender = async {
            let mut sent = 0;
            while sent < total {
                let n = (total - sent).min(out.len());
                sent += c.send(&out[..n]).await.map_err(ctx("send"))?;
            }
            R::Ok(())
        };
        let receiver = async {
            let mut got = 0;
            while got < total {
                match s.recv(&mut inb).await.map_err(ctx("recv"))? {
                    0 => return Err("recv: early end of stream".to_string()),
                    k => got += k,
                }
            }
            R::Ok(got)
        };
        let (a, b) = futures_util::future::join(sender, receiver).await;
        a?;
        let got = b?;
        Ok(crate::util::gbps(got, start.elapsed()))
    });
    r.map(|v| (v, counts))
}

const LINE: &[u8] = b"hello from the benchmark\r\n";

/// Connections per second, failed rounds, rounds: the blocking row's round
/// (connect, accept, one line, the server closes, the client reads end of
/// stream and closes) with `AsyncSocket`, connect and accept joined.
pub fn conn(time: Duration, call_timeout: Duration) -> R<(f64, u64, u64, Counts)> {
    let clock = StdClock::new();
    let timer = WallTimer::new(&clock);
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<8, 4096>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    let addr = sa("127.0.0.1:10002");
    let l = AsyncSocket::new(&stack, Domain::IPV4, Type::STREAM).map_err(ctx("listener"))?;
    l.set_reuse_address(true).map_err(ctx("reuse"))?;
    l.bind(addr).map_err(ctx("bind"))?;
    l.listen(1).map_err(ctx("listen"))?;
    l.set_timeout(Some(call_timeout)).map_err(ctx("timeout"))?;
    let start = Instant::now();
    let (r, counts) = run(&stack, &timer, async {
        let (mut ok, mut fails) = (0u64, 0u64);
        while start.elapsed() < time {
            match conn_round(&stack, &l, addr, call_timeout).await {
                Ok(()) => ok += 1,
                Err(e) => {
                    fails += 1;
                    if fails <= 5 {
                        eprintln!("  async round {}: {e}", ok + fails);
                    }
                    if fails >= 100 {
                        return Err(format!("{fails} failed rounds, last: {e}"));
                    }
                }
            }
        }
        Ok((ok, fails))
    });
    let (ok, fails) = r?;
    let n = ok + fails;
    Ok((n as f64 / start.elapsed().as_secs_f64(), fails, n, counts))
}

async fn conn_round(
    stack: &Stack<'_>,
    l: &AsyncSocket<'_, '_>,
    addr: smolsock::SockAddr,
    call_timeout: Duration,
) -> R<()> {
    let c = AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).map_err(ctx("socket"))?;
    c.set_timeout(Some(call_timeout)).map_err(ctx("timeout"))?;
    let (a, r) = futures_util::future::join(l.accept(), c.connect(addr)).await;
    r.map_err(ctx("connect"))?;
    let (s, _) = a.map_err(ctx("accept"))?;
    s.set_timeout(Some(call_timeout)).map_err(ctx("timeout"))?;
    c.send_all(LINE).await.map_err(ctx("send_all"))?;
    let mut buf = [0u8; 128];
    let mut got = 0;
    while !buf[..got].contains(&b'\n') {
        match s.recv(&mut buf[got..]).await.map_err(ctx("server recv"))? {
            0 => return Err("server: early end of stream".into()),
            n => got += n,
        }
    }
    if &buf[..got] != LINE {
        return Err("server: wrong line".into());
    }
    s.close().map_err(ctx("server close"))?;
    match c.recv(&mut buf).await.map_err(ctx("client recv"))? {
        0 => {}
        _ => return Err("client: data instead of end of stream".into()),
    }
    c.close().map_err(ctx("client close"))?;
    Ok(())
}

/// Round-trip times in µs (unsorted) of `samples` 1-byte echoes after
/// `warmup`: an echo task on the accepted socket and a client task timing
/// each send and the recv of its echo.
pub fn rtt(samples: usize, warmup: usize, limit: Duration) -> R<(Vec<f64>, Counts)> {
    let clock = StdClock::new();
    let timer = WallTimer::new(&clock);
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<4, 4096>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    let (r, counts) = run(&stack, &timer, async {
        let (_l, c, s) = async_pair(&stack, 8).await?;
        let echo = async {
            let mut b = [0u8; 1];
            loop {
                match s.recv(&mut b).await.map_err(ctx("echo recv"))? {
                    0 => return R::Ok(()),
                    n => s.send_all(&b[..n]).await.map_err(ctx("echo send"))?,
                }
            }
        };
        let client = async {
            let mut out = Vec::with_capacity(samples);
            let start = Instant::now();
            let mut b = [0u8; 1];
            for i in 0..warmup + samples {
                let t = Instant::now();
                c.send_all(&[i as u8]).await.map_err(ctx("client send"))?;
                if c.recv(&mut b).await.map_err(ctx("client recv"))? != 1 || b[0] != i as u8 {
                    return Err("client: wrong echo".to_string());
                }
                if i >= warmup {
                    out.push(t.elapsed().as_secs_f64() * 1e6);
                }
                if start.elapsed() > limit {
                    return Err("async rtt: time limit".into());
                }
            }
            c.shutdown(smolsock::Shutdown::Write)
                .map_err(ctx("shutdown"))?;
            Ok(out)
        };
        let (e, out) = futures_util::future::join(echo, client).await;
        let out = out?;
        e?;
        Ok(out)
    });
    r.map(|v| (v, counts))
}
