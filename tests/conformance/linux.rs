//! The program on Linux through socket2 on 127.0.0.1 (and ::1), modelling
//! the layer Python puts over the system calls:
//! - every fd is `O_NONBLOCK` (Python's timeout modes); a timeout-mode call
//!   retries until its deadline, then `TimedOut` (`socket.timeout`); a
//!   timeout-mode `connect` that gets `EINPROGRESS` waits, then reads
//!   `SO_ERROR`, as `sock_connect` does;
//! - a closed socket is fd -1: `EBADF` for everything, `close` again is fine;
//! - `sendall` loops over `send`, one deadline for the whole call;
//! - `recv(0)` returns `b''` without a system call (even on a closed socket);
//! - `recvfrom` on a stream socket reports the address as `None`.
//!
//! `settle` sleeps a little: loopback delivery happens inside the sending
//! system call, so no step depends on wall-clock luck; only timers could
//! (delayed ACKs, SYN retries), and no step's outcome waits for one.

use crate::gen::{payload, Mode, Step, FIXED_PORTS, SLOTS, SMALL_TIMEOUT_MS, SOCKET_SLOTS};
use crate::normalise::{errno_name, resolve, Names, Out};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

struct End {
    /// `None` once closed (Python's fd -1).
    sock: Option<Socket>,
    v6: bool,
    udp: bool,
    mode: Mode,
}

fn err(e: io::Error) -> Out {
    Out::Err(match e.raw_os_error() {
        Some(n) => errno_name(n),
        None => format!("{:?}", e.kind()),
    })
}

fn bad() -> Out {
    Out::Err("BadDescriptor".into())
}

/// Free ports for the program's fixed ports: bound to port 0 on both
/// loopback addresses and let go (nothing else on this machine binds
/// there in the meantime but by chance).
pub fn free_ports() -> [u16; FIXED_PORTS as usize] {
    let mut ports = [0u16; FIXED_PORTS as usize];
    let mut held = Vec::new();
    for p in ports.iter_mut() {
        loop {
            let Ok(s) = std::net::TcpListener::bind("127.0.0.1:0") else {
                continue;
            };
            let Ok(a) = s.local_addr() else { continue };
            let port = a.port();
            let u4 = std::net::UdpSocket::bind(("127.0.0.1", port));
            let u6 = std::net::UdpSocket::bind(("::1", port));
            let t6 = std::net::TcpListener::bind(("::1", port));
            if u4.is_ok() && u6.is_ok() && t6.is_ok() {
                *p = port;
                held.push(s);
                break;
            }
        }
    }
    ports
}

/// Nagle's algorithm off (`TCP_NODELAY`), on both sides: with Linux's
/// delayed ACKs (up to 40 ms) it holds a small segment back for a time no
/// step waits for; smolsock does not delay ACKs. A timing, not a semantic.
fn no_delay(s: &Socket) {
    let _ = s.set_tcp_nodelay(true);
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_millis(SMALL_TIMEOUT_MS)
}

/// One try of a call (non-blocking mode), or tries until the deadline
/// (timeout mode).
fn call<T>(mode: Mode, until: Instant, mut f: impl FnMut() -> io::Result<T>) -> Result<T, Out> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && mode == Mode::Timeout => {
                if Instant::now() >= until {
                    return Err(Out::Err("TimedOut".into()));
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            r => return r.map_err(err),
        }
    }
}

fn set_mode(s: &Socket, _m: Mode) -> io::Result<()> {
    s.set_nonblocking(true)
}

/// `recvfrom(cap)` (a stream socket's sender is `None`, as in Python).
fn recv_into(s: &Socket, cap: usize, udp: bool) -> io::Result<(Vec<u8>, Option<SocketAddr>)> {
    let mut buf = vec![0u8; cap];
    if udp {
        // std's safe recv_from on a duplicate of the descriptor.
        let u = std::net::UdpSocket::from(s.try_clone()?);
        let (n, from) = u.recv_from(&mut buf)?;
        buf.truncate(n);
        Ok((buf, Some(from)))
    } else {
        let n = io::Read::read(&mut &*s, &mut buf)?;
        buf.truncate(n);
        Ok((buf, None))
    }
}

/// `recv(cap, MSG_PEEK)` through std's safe `peek` on a duplicate.
fn peek(s: &Socket, cap: usize, udp: bool) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; cap];
    let n = if udp {
        std::net::UdpSocket::from(s.try_clone()?).peek(&mut buf)?
    } else {
        std::net::TcpStream::from(s.try_clone()?).peek(&mut buf)?
    };
    buf.truncate(n);
    Ok(buf)
}

/// Python's `select.select` with a zero timeout: poll(2), then select(2)'s
/// sets (readable: IN, HUP, ERR; writable: OUT, ERR).
fn select(s: &Socket, read: bool, write: bool) -> Out {
    use std::os::fd::AsRawFd;
    let mut events = 0;
    if read {
        events |= libc::POLLIN;
    }
    if write {
        events |= libc::POLLOUT;
    }
    let mut p = libc::pollfd {
        fd: s.as_raw_fd(),
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd on a descriptor this End owns, no wait.
    #[allow(unsafe_code)]
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    if n < 0 {
        return err(io::Error::last_os_error());
    }
    let r = read && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0;
    let w = write && p.revents & (libc::POLLOUT | libc::POLLERR) != 0;
    Out::Ready(r, w)
}

/// Run `program` with `fixed` as the fixed ports; one outcome per step.
pub fn run(program: &[Step], fixed: [u16; FIXED_PORTS as usize]) -> Vec<Out> {
    let mut names = Names::new(fixed);
    let mut ends: Vec<Option<End>> = (0..SLOTS).map(|_| None).collect();
    program
        .iter()
        .enumerate()
        .map(|(i, step)| step_out(&mut ends, &mut names, i, step))
        .collect()
}

fn local_port(ends: &[Option<End>], j: u8) -> Option<u16> {
    let s = ends.get(j as usize)?.as_ref()?.sock.as_ref()?;
    s.local_addr().ok()?.as_socket().map(|a| a.port())
}

fn step_out(ends: &mut [Option<End>], names: &mut Names, i: usize, step: &Step) -> Out {
    if let Step::Settle = step {
        std::thread::sleep(Duration::from_millis(1));
        return Out::Done;
    }
    if let Step::Socket { e, v6, udp, mode } = *step {
        if ends[e as usize].is_some() {
            return Out::Skipped;
        }
        let dom = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let (ty, proto) = if udp {
            (Type::DGRAM, Protocol::UDP)
        } else {
            (Type::STREAM, Protocol::TCP)
        };
        return match Socket::new(dom, ty, Some(proto)) {
            Ok(sock) => {
                let r = set_mode(&sock, mode);
                if !udp {
                    no_delay(&sock);
                }
                ends[e as usize] = Some(End {
                    sock: Some(sock),
                    v6,
                    udp,
                    mode,
                });
                r.map_or_else(err, |()| Out::Done)
            }
            Err(e) => err(e),
        };
    }
    let Some(e) = step.slot() else {
        return Out::Skipped;
    };
    let addr_of = |ends: &[Option<End>], names: &Names, t, v6| {
        SockAddr::from(resolve(t, v6, e, names, |j| local_port(ends, j)))
    };
    let Some(end) = ends[e as usize].as_ref() else {
        return Out::Skipped;
    };
    let (v6, udp, mode) = (end.v6, end.udp, end.mode);
    // Python's layer before any system call.
    match *step {
        Step::Recv { cap: 0, .. } | Step::RecvDontWait { cap: 0, .. } => {
            return Out::Data(Vec::new())
        }
        Step::Close { .. } => {
            if let Some(End { sock, .. }) = ends[e as usize].as_mut() {
                *sock = None;
            }
            return Out::Done;
        }
        Step::SetMode { mode, .. } => {
            if let Some(end) = ends[e as usize].as_mut() {
                if end.sock.is_none() {
                    return bad();
                }
                end.mode = mode;
            }
            return Out::Done;
        }
        _ => {}
    }
    let Some(s) = end.sock.as_ref() else {
        return bad();
    };
    let until = deadline();
    let r: Result<Out, Out> = match *step {
        Step::Bind { to, .. } => s
            .bind(&addr_of(ends, names, to, v6))
            .map(|()| Out::Done)
            .map_err(err),
        Step::Listen { n, .. } => s.listen(n as i32).map(|()| Out::Done).map_err(err),
        Step::Connect { to, .. } => connect(s, mode, &addr_of(ends, names, to, v6)),
        Step::Accept { .. } => match call(mode, until, || s.accept()) {
            Ok((conn, peer)) => {
                let peer = peer.as_socket().map(|p| names.name(p)).unwrap_or_default();
                let _ = conn.set_nonblocking(true);
                no_delay(&conn);
                let free = (SOCKET_SLOTS as usize..SLOTS).find(|k| ends[*k].is_none());
                if let Some(k) = free {
                    ends[k] = Some(End {
                        sock: Some(conn),
                        v6,
                        udp: false,
                        mode: Mode::NonBlocking,
                    });
                }
                Ok(Out::Accepted(peer))
            }
            Err(o) => Err(o),
        },
        Step::Send { len, .. } => {
            let data = payload(i, len);
            call(mode, until, || s.send(&data)).map(Out::Sent)
        }
        Step::SendAll { len, .. } => {
            let data = payload(i, len);
            let mut sent = 0;
            loop {
                match call(mode, until, || s.send(&data[sent..])) {
                    Ok(n) => sent += n,
                    Err(o) => break Err(o),
                }
                if sent >= data.len() {
                    break Ok(Out::Done);
                }
            }
        }
        Step::SendTo { to, len, .. } => {
            let data = payload(i, len);
            let a = addr_of(ends, names, to, v6);
            call(mode, until, || s.send_to(&data, &a)).map(Out::Sent)
        }
        Step::Recv { cap, .. } => {
            call(mode, until, || recv_into(s, cap as usize, udp)).map(|(d, _)| Out::Data(d))
        }
        Step::RecvFrom { cap, .. } => call(mode, until, || recv_into(s, cap as usize, udp))
            .map(|(d, a)| Out::From(d, a.map(|a| names.name(a)))),
        Step::Shutdown { how, .. } => {
            let how = [Shutdown::Read, Shutdown::Write, Shutdown::Both][how as usize];
            s.shutdown(how).map(|()| Out::Done).map_err(err)
        }
        Step::Reuse { on, .. } => s.set_reuse_address(on).map(|()| Out::Done).map_err(err),
        Step::LocalAddr { .. } => s
            .local_addr()
            .map(|a| Out::Addr(a.as_socket().map(|a| names.name(a)).unwrap_or_default()))
            .map_err(err),
        Step::PeerAddr { .. } => s
            .peer_addr()
            .map(|a| Out::Addr(a.as_socket().map(|a| names.name(a)).unwrap_or_default()))
            .map_err(err),
        Step::Peek { cap, .. } => call(mode, until, || peek(s, cap as usize, udp)).map(Out::Data),
        // The fd is non-blocking: MSG_DONTWAIT is one try whatever the mode.
        Step::RecvDontWait { cap, .. } => {
            call(Mode::NonBlocking, until, || recv_into(s, cap as usize, udp))
                .map(|(d, _)| Out::Data(d))
        }
        Step::Select { read, write, .. } => Ok(select(s, read, write)),
        Step::TakeError { .. } => s
            .take_error()
            .map(|e| {
                Out::Pending(e.map(|e| match err(e) {
                    Out::Err(n) => n,
                    o => format!("{o:?}"),
                }))
            })
            .map_err(err),
        Step::Linger0 { .. } => s
            .set_linger(Some(Duration::ZERO))
            .map(|()| Out::Done)
            .map_err(err),
        Step::Socket { .. } | Step::Settle | Step::Close { .. } | Step::SetMode { .. } => {
            Ok(Out::Skipped)
        }
    };
    r.unwrap_or_else(|o| o)
}

/// Python's `connect`: non-blocking, the system call's answer; with a
/// timeout, `EINPROGRESS` waits for the outcome (`SO_ERROR`) until the
/// deadline.
fn connect(s: &Socket, mode: Mode, to: &SockAddr) -> Result<Out, Out> {
    match s.connect(to) {
        Ok(()) => Ok(Out::Done),
        Err(e) if e.raw_os_error() == Some(115) && mode == Mode::Timeout => {
            let until = deadline();
            loop {
                match s.take_error() {
                    Ok(Some(e)) => return Err(err(e)),
                    Err(e) => return Err(err(e)),
                    Ok(None) => {}
                }
                if s.peer_addr().is_ok() {
                    return Ok(Out::Done);
                }
                if Instant::now() >= until {
                    return Err(Out::Err("TimedOut".into()));
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        Err(e) => Err(err(e)),
    }
}
