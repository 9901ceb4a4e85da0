//! Helpers shared by the sections.

use smolsock::{Domain, Error, SockAddr, Socket, Stack, Type};
use std::time::{Duration, Instant};

pub type R<T> = Result<T, String>;

/// Socket buffer size used by every throughput run (each direction).
pub const BUF64K: usize = 64 * 1024;

pub fn sa(s: &str) -> SockAddr {
    s.parse().expect("benchmark address")
}

/// An error with what was being done.
pub fn ctx(what: &'static str) -> impl Fn(Error) -> String {
    move |e| format!("{what}: {e:?}")
}

pub fn io_ctx(what: &'static str) -> impl Fn(std::io::Error) -> String {
    move |e| format!("{what}: {e}")
}

/// For profiling one variant: `COMPARE_ONLY=<part of its name>` skips the
/// others.
pub fn skip(what: &str) -> bool {
    std::env::var("COMPARE_ONLY").is_ok_and(|o| !what.contains(o.as_str()))
}

/// Fails once `limit` has passed since `start` (every loop is bounded in time).
pub fn check_limit(start: Instant, limit: Duration, what: &str) -> R<()> {
    if start.elapsed() > limit {
        Err(format!("{what}: still running after {limit:?}, gave up"))
    } else {
        Ok(())
    }
}

/// A listener on 127.0.0.1:`port`, a client connected to it, and the accepted
/// server side; all three blocking. Uses only the public API, as a user would:
/// a non-blocking connect (one thread drives both ends), then `accept`.
pub fn smol_pair<'s, 'a>(
    stack: &'s Stack<'a>,
    port: u16,
) -> R<(Socket<'s, 'a>, Socket<'s, 'a>, Socket<'s, 'a>)> {
    let addr = sa(&format!("127.0.0.1:{port}"));
    let l = Socket::new(stack, Domain::IPV4, Type::STREAM).map_err(ctx("listener"))?;
    l.bind(addr).map_err(ctx("bind"))?;
    l.listen(1).map_err(ctx("listen"))?;
    l.set_timeout(Some(Duration::from_secs(5)))
        .map_err(ctx("timeout"))?;
    let c = Socket::new(stack, Domain::IPV4, Type::STREAM).map_err(ctx("client"))?;
    c.set_nonblocking(true).map_err(ctx("nonblocking"))?;
    match c.connect(addr) {
        Err(Error::WouldBlock) | Ok(()) => {}
        Err(e) => return Err(format!("connect: {e:?}")),
    }
    let (s, _) = l.accept().map_err(ctx("accept"))?;
    c.set_timeout(Some(Duration::from_secs(5)))
        .map_err(ctx("timeout"))?;
    c.connect(addr).map_err(ctx("connect outcome"))?;
    Ok((l, c, s))
}

/// Set a kernel socket's `SO_SNDBUF` and `SO_RCVBUF` (Linux doubles the value
/// for its own bookkeeping, as `socket(7)` says).
#[cfg(target_os = "linux")]
pub fn set_kernel_bufs(fd: &impl std::os::fd::AsRawFd, bytes: usize) -> R<()> {
    use std::os::raw::{c_int, c_void};
    extern "C" {
        fn setsockopt(fd: c_int, level: c_int, name: c_int, val: *const c_void, len: u32) -> c_int;
    }
    const SOL_SOCKET: c_int = 1;
    const SO_SNDBUF: c_int = 7;
    const SO_RCVBUF: c_int = 8;
    let v: c_int = bytes as c_int;
    for opt in [SO_SNDBUF, SO_RCVBUF] {
        // SAFETY: a valid fd, a pointer to a live c_int and its size.
        let r = unsafe {
            setsockopt(
                fd.as_raw_fd(),
                SOL_SOCKET,
                opt,
                (&v as *const c_int).cast(),
                std::mem::size_of::<c_int>() as u32,
            )
        };
        if r != 0 {
            return Err(format!("setsockopt: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn set_kernel_bufs<T>(_fd: &T, _bytes: usize) -> R<()> {
    Ok(())
}

/// The `q`-quantile (0..=1) of sorted samples.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn gbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 * 8.0 / d.as_secs_f64() / 1e9
}

/// The median of `v` (`None` if empty).
pub fn median(v: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

/// The smallest and largest of `v`.
pub fn spread(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}
