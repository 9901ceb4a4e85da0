//! Figure 1: bulk TCP throughput with 64 KiB socket buffers.
//!
//! (a) smolsock's API copying into a user buffer over smoltcp's `Loopback`
//! (`Medium::Ip`), one thread driving both ends; (b) raw smoltcp on the same
//! device and settings with zero-copy closures (as smoltcp's
//! `examples/loopback_benchmark.rs`); (c) the kernel over 127.0.0.1, sender
//! and receiver in two threads.

use crate::async_rows;
use crate::report::Report;
use crate::util::{
    check_limit, ctx, gbps, io_ctx, median, set_kernel_bufs, smol_pair, spread, BUF64K, R,
};
use crate::Plan;
use smolsock::{Config, Error, Stack, StackResources, StdClock};
use smoltcp::iface::{Interface, SocketSet, SocketStorage};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::socket::tcp;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const SECTION: &str = "1. Bulk TCP throughput, 64 KiB socket buffers";

pub fn run(plan: &Plan, report: &mut Report) {
    let total = plan.bulk_bytes;
    // Each smolsock/raw pair runs back to back, in `reps` short rounds that
    // together move `total` bytes per variant, so a burst of load from
    // other programs hits both sides of a ratio alike; the ratio reported is
    // the median of the per-round ratios.
    let rounds = plan.reps.max(3);
    let part = (total / rounds).max(1 << 20);
    println!(
        "[throughput] {} MiB per variant in {rounds} interleaved rounds of {} MiB, 64 KiB socket buffers",
        total >> 20,
        part >> 20
    );
    let (mut smol, mut raw_copy, mut smol_zc, mut raw) = (vec![], vec![], vec![], vec![]);
    let (mut r_copy, mut r_zc, mut r_raw) = (vec![], vec![], vec![]);
    let (mut kern, mut r_kern) = (vec![], vec![]);
    let (mut asy, mut r_async) = (vec![], vec![]);
    let mut counts = async_rows::Counts::default();
    let mut async_bytes = 0usize;
    for _ in 0..rounds {
        let s = measure(report, "smolsock blocking send/recv", || {
            smolsock(part, false, plan.limit)
        });
        // Right after its blocking counterpart, so both see the same load.
        let a = measure(report, "smolsock async send/recv (2 tasks)", || {
            async_rows::throughput(part, plan.limit).map(|(v, c)| {
                counts.runner_polls += c.runner_polls;
                counts.timer_fires += c.timer_fires;
                async_bytes += part;
                v
            })
        });
        if let (Some(a), Some(s)) = (a, s) {
            r_async.push(a / s);
        }
        asy.extend(a);
        let rc = measure(report, "raw smoltcp, copying", || {
            raw_smoltcp(part, true, plan.limit)
        });
        let z = measure(report, "smolsock zero-copy", || {
            smolsock_mode(part, true, true, plan.limit)
        });
        let r = measure(report, "raw smoltcp zero-copy", || {
            raw_smoltcp(part, false, plan.limit)
        });
        // The kernel swings most with the machine's load: its ratio is taken
        // per round too.
        let k = measure(report, "kernel", || {
            kernel_tcp(part, Some(BUF64K), plan.limit)
        });
        if let (Some(s), Some(k)) = (s, k) {
            r_kern.push(s / k);
        }
        kern.extend(k);
        if let (Some(s), Some(rc)) = (s, rc) {
            r_copy.push(s / rc);
        }
        if let (Some(z), Some(r)) = (z, r) {
            r_zc.push(z / r);
        }
        if let (Some(s), Some(r)) = (s, r) {
            r_raw.push(s / r);
        }
        smol.extend(s);
        raw_copy.extend(rc);
        smol_zc.extend(z);
        raw.extend(r);
    }
    let smol_nb = measure(report, "smolsock non-blocking", || {
        smolsock(total, true, plan.limit)
    });
    let kernel = median(&kern);
    let kernel_auto = measure(report, "kernel (default buffers)", || {
        kernel_tcp(total, None, plan.limit)
    });
    let smol = median(&smol);
    if let Some(v) = smol {
        report.result(
            SECTION,
            "throughput_gbps_smolsock",
            "smolsock, blocking send/recv, 64 KiB user buffer, Loopback(Ip) (median)",
            v,
            "Gbit/s",
        );
    }
    if let Some(v) = median(&asy) {
        report.result(
            SECTION,
            "throughput_gbps_async",
            "smolsock async: AsyncSocket sender task + receiver task beside Stack::run, \
             futures_executor::block_on, same buffers (median)",
            v,
            "Gbit/s",
        );
        if async_bytes > 0 {
            let mib = (async_bytes >> 20).max(1) as f64;
            report.async_counts(
                SECTION,
                "MiB moved",
                counts.runner_polls as f64 / mib,
                counts,
            );
        }
    }
    if let Some(v) = smol_nb {
        report.extra(
            SECTION,
            "smolsock, non-blocking send/recv (same otherwise)",
            v,
            "Gbit/s",
        );
    }
    if let Some(v) = median(&smol_zc) {
        report.extra(
            SECTION,
            "smolsock, non-blocking send_with/recv_with (zero-copy, as raw smoltcp) (median)",
            v,
            "Gbit/s",
        );
    }
    let raw = median(&raw);
    if let Some(v) = raw {
        report.result(
            SECTION,
            "throughput_gbps_raw_smoltcp",
            "raw smoltcp, zero-copy closures, same device and settings (median)",
            v,
            "Gbit/s",
        );
    }
    if let Some(v) = median(&raw_copy) {
        report.extra(
            SECTION,
            "raw smoltcp, copying through 64 KiB user buffers (send_slice/recv_slice) (median)",
            v,
            "Gbit/s",
        );
    }
    if let Some(v) = kernel {
        report.result(
            SECTION,
            "throughput_gbps_kernel",
            "Linux TCP 127.0.0.1, 2 threads, SO_SNDBUF/SO_RCVBUF 64 KiB (median)",
            v,
            "Gbit/s",
        );
    }
    if let Some(v) = kernel_auto {
        report.extra(
            SECTION,
            "Linux TCP 127.0.0.1, 2 threads, default (autotuned) buffers",
            v,
            "Gbit/s",
        );
    }
    ratio(
        report,
        "throughput_ratio_copy_vs_raw_copy",
        "smolsock send/recv / raw smoltcp send_slice/recv_slice (target >= 0.95)",
        &r_copy,
    );
    ratio(
        report,
        "throughput_ratio_zerocopy_vs_raw",
        "smolsock send_with/recv_with / raw smoltcp closures (target >= 0.95)",
        &r_zc,
    );
    ratio(
        report,
        "throughput_ratio_vs_raw",
        "smolsock send/recv (copying) / raw smoltcp zero-copy",
        &r_raw,
    );
    ratio(
        report,
        "throughput_ratio_async_vs_blocking",
        "smolsock async send/recv (2 tasks) / blocking send/recv (one thread)",
        &r_async,
    );
    ratio(
        report,
        "throughput_ratio_vs_kernel",
        "smolsock send/recv / Linux 127.0.0.1 (target >= 1.2)",
        &r_kern,
    );
}

/// A `RESULT` ratio: the median of per-round ratios, with their spread.
fn ratio(report: &mut Report, name: &'static str, label: &str, rounds: &[f64]) {
    let Some(m) = median(rounds) else { return };
    let (lo, hi) = spread(rounds);
    report.result(
        SECTION,
        name,
        format!("{label}; median of {} rounds", rounds.len()),
        m,
        "x",
    );
    report.extra(SECTION, format!("  spread of `{name}` (min)"), lo, "x");
    report.extra(SECTION, format!("  spread of `{name}` (max)"), hi, "x");
}

fn measure(report: &mut Report, what: &str, f: impl FnOnce() -> R<f64>) -> Option<f64> {
    // For profiling one variant: COMPARE_ONLY=<part of its name>.
    if crate::util::skip(what) {
        return None;
    }
    match f() {
        Ok(v) => {
            println!("  {what:<44} {v:>14.3} Gbit/s");
            Some(v)
        }
        Err(e) => {
            report.error(what, &e);
            None
        }
    }
}

/// smolsock: one thread, client and server sockets on one stack. Blocking:
/// each `send` returns as soon as it queued something, each `recv` as soon
/// as it got something, so the two alternate without a deadlock.
/// Non-blocking: the same loop where either call may say `WouldBlock`.
fn smolsock(total: usize, nonblocking: bool, limit: Duration) -> R<f64> {
    smolsock_mode(total, nonblocking, false, limit)
}

/// `zero_copy`: `send_with`/`recv_with` (the payload is not touched, as in
/// raw smoltcp's zero-copy loop) instead of `send`/`recv` into user buffers.
fn smolsock_mode(total: usize, nonblocking: bool, zero_copy: bool, limit: Duration) -> R<f64> {
    let clock = StdClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<4, BUF64K>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    let (_l, c, s) = smol_pair(&stack, 5001)?;
    if nonblocking {
        c.set_nonblocking(true).map_err(ctx("nonblocking"))?;
        s.set_nonblocking(true).map_err(ctx("nonblocking"))?;
    }
    let out = vec![0x5au8; BUF64K];
    let mut inb = vec![0u8; BUF64K];
    let (mut sent, mut got) = (0usize, 0usize);
    let start = Instant::now();
    let mut rounds = 0u64;
    while got < total {
        if sent < total {
            let n = (total - sent).min(out.len());
            let r = if zero_copy {
                // Fill both contiguous parts of the free space (the ring
                // buffer wraps), as raw smoltcp's `while can_send()` loop
                // does: at most two calls, not a third that only learns
                // "no room" (that one would run the stack for nothing).
                let mut k = 0;
                let mut r = Err(Error::WouldBlock);
                for _ in 0..2 {
                    r = match c.send_with(|room| room.len().min(n - k)) {
                        Ok(m) if m > 0 => {
                            k += m;
                            Ok(k)
                        }
                        Err(Error::WouldBlock) if k > 0 => break,
                        r => r,
                    };
                    if r.is_err() || k >= n {
                        break;
                    }
                }
                r
            } else {
                c.send(&out[..n])
            };
            match r {
                Ok(k) => sent += k,
                Err(Error::WouldBlock) => {}
                Err(e) => return Err(format!("send: {e:?}")),
            }
        }
        let r = if zero_copy {
            // Drain both contiguous parts (the ring buffer wraps), as raw
            // smoltcp's `while can_recv()` loop does, so the window reopens
            // in full: at most two calls, not a third that only learns
            // "nothing more" (that one would run the stack for nothing).
            let mut k = 0;
            let mut r = Err(Error::WouldBlock);
            for _ in 0..2 {
                r = match s.recv_with(|data| data.len()) {
                    Ok(n) if n > 0 => {
                        k += n;
                        Ok(k)
                    }
                    Err(Error::WouldBlock) if k > 0 => break,
                    r => r,
                };
                if r.is_err() {
                    break;
                }
            }
            r
        } else {
            s.recv(&mut inb)
        };
        match r {
            Ok(0) => return Err("recv: early end of stream".into()),
            Ok(k) => got += k,
            Err(Error::WouldBlock) => {}
            Err(e) => return Err(format!("recv: {e:?}")),
        }
        rounds += 1;
        if rounds.is_multiple_of(1024) {
            check_limit(start, limit, "smolsock throughput")?;
        }
    }
    Ok(gbps(got, start.elapsed()))
}

/// Raw smoltcp, written as its `loopback_benchmark` example: poll, then let
/// the receiver consume and the sender produce in place. With `copy`, the
/// data goes through user buffers with `send_slice`/`recv_slice` instead, the
/// copies smolsock's `send`/`recv` make (to tell the copies from the rest).
fn raw_smoltcp(total: usize, copy: bool, limit: Duration) -> R<f64> {
    let t0 = Instant::now();
    let now = || smoltcp::time::Instant::from_micros(t0.elapsed().as_micros() as i64);
    let mut dev = Loopback::new(Medium::Ip);
    let mut iface = Interface::new(
        smoltcp::iface::Config::new(HardwareAddress::Ip),
        &mut dev,
        now(),
    );
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(IpAddress::v4(127, 0, 0, 1), 8));
    });
    // The same TCP settings as smolsock's sockets (no delayed ACK).
    let sock = || {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; BUF64K]),
            tcp::SocketBuffer::new(vec![0; BUF64K]),
        );
        s.set_ack_delay(None);
        s
    };
    let mut storage: [SocketStorage; 2] = Default::default();
    let mut set = SocketSet::new(&mut storage[..]);
    let server = set.add(sock());
    let client = set.add(sock());
    set.get_mut::<tcp::Socket>(server)
        .listen(5002)
        .map_err(|e| format!("listen: {e:?}"))?;
    set.get_mut::<tcp::Socket>(client)
        .connect(iface.context(), (IpAddress::v4(127, 0, 0, 1), 5002), 49152)
        .map_err(|e| format!("connect: {e:?}"))?;
    let out = vec![0x5au8; BUF64K];
    let mut inb = vec![0u8; BUF64K];
    let (mut sent, mut got) = (0usize, 0usize);
    let mut start = None;
    let mut rounds = 0u64;
    while got < total {
        iface.poll(now(), &mut dev, &mut set);
        let s = set.get_mut::<tcp::Socket>(server);
        while s.can_recv() {
            got += if copy {
                s.recv_slice(&mut inb)
            } else {
                s.recv(|b| (b.len(), b.len()))
            }
            .map_err(|e| format!("recv: {e:?}"))?;
        }
        let c = set.get_mut::<tcp::Socket>(client);
        if c.may_send() && start.is_none() {
            start = Some(Instant::now());
        }
        while c.can_send() && sent < total {
            let n = (total - sent).min(out.len());
            sent += if copy {
                c.send_slice(&out[..n])
            } else {
                c.send(|b| {
                    let k = b.len().min(n);
                    (k, k)
                })
            }
            .map_err(|e| format!("send: {e:?}"))?;
        }
        rounds += 1;
        if rounds.is_multiple_of(1024) {
            check_limit(t0, limit, "raw smoltcp throughput")?;
        }
    }
    Ok(gbps(got, start.unwrap_or(t0).elapsed()))
}

/// The kernel: a receiver thread and a sending thread (this one).
fn kernel_tcp(total: usize, bufs: Option<usize>, limit: Duration) -> R<f64> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(io_ctx("bind"))?;
    if let Some(b) = bufs {
        set_kernel_bufs(&l, b)?;
    }
    let addr = l.local_addr().map_err(io_ctx("local_addr"))?;
    let rx = std::thread::spawn(move || -> R<usize> {
        let (mut s, _) = l.accept().map_err(io_ctx("accept"))?;
        s.set_read_timeout(Some(limit)).map_err(io_ctx("timeout"))?;
        let mut buf = vec![0u8; BUF64K];
        let mut got = 0;
        while got < total {
            match s.read(&mut buf).map_err(io_ctx("read"))? {
                0 => return Err("early end of stream".into()),
                n => got += n,
            }
        }
        Ok(got)
    });
    let mut c = TcpStream::connect(addr).map_err(io_ctx("connect"))?;
    if let Some(b) = bufs {
        set_kernel_bufs(&c, b)?;
    }
    c.set_write_timeout(Some(limit))
        .map_err(io_ctx("timeout"))?;
    let out = vec![0x5au8; BUF64K];
    let start = Instant::now();
    let mut sent = 0;
    while sent < total {
        let n = (total - sent).min(out.len());
        c.write_all(&out[..n]).map_err(io_ctx("write"))?;
        sent += n;
        check_limit(start, limit, "kernel throughput")?;
    }
    let got = rx.join().map_err(|_| "receiver panicked".to_string())??;
    Ok(gbps(got, start.elapsed()))
}
