//! The program on smolsock: smoltcp's `Loopback`, a `SimClock`. `settle`
//! polls until nothing moves, advancing the simulated clock only to timers
//! due within `NEAR`. After every step the stack is polled once (see `run`).

use crate::gen::{payload, Mode, Step, FIXED_PORTS, SLOTS, SMALL_TIMEOUT_MS, SOCKET_SLOTS};
use crate::normalise::{resolve, Names, Out};
use smolsock::smoltcp::phy::{Loopback, Medium};
use smolsock::smoltcp::time::Duration;
use smolsock::{
    Clock, Config, Domain, Error, Events, Interest, MsgFlags, Shutdown, SimClock, Socket, Stack,
    StackResources, Type,
};
use std::net::SocketAddr;

/// The fixed ports on this side.
const FIXED: [u16; FIXED_PORTS as usize] = [10000, 10001, 10002];
/// How far ahead `settle` lets the clock jump to a timer.
const NEAR: Duration = Duration::from_millis(2);

/// Slots: the program's 8 endpoints plus room for listen backlogs.
type Res<'a> = StackResources<'a, 20, 8192>;

struct End<'s, 'a> {
    sock: Socket<'s, 'a>,
    v6: bool,
}

fn err(e: Error) -> Out {
    Out::Err(format!("{e:?}"))
}

fn settle(stack: &Stack<'_>, clock: &SimClock) {
    let mut idle = 0;
    for _ in 0..10_000 {
        let now = clock.now();
        if stack.poll(now) {
            idle = 0;
            continue;
        }
        match stack.poll_at() {
            Some(t) if t <= now => {
                idle += 1;
                if idle > 3 {
                    break;
                }
            }
            Some(t) if t - now <= NEAR => clock.set(t),
            _ => break,
        }
    }
}

fn set_mode(s: &Socket<'_, '_>, m: Mode) -> Result<(), Error> {
    match m {
        Mode::NonBlocking => s.set_nonblocking(true),
        Mode::Timeout => s.set_timeout(Some(std::time::Duration::from_millis(SMALL_TIMEOUT_MS))),
    }
}

/// Run `program`; one outcome per step.
pub fn run(program: &[Step]) -> Vec<Out> {
    let clock = SimClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res: Box<Res<'_>> = Box::new(StackResources::new());
    let stack = match Stack::new(&mut dev, &clock, &mut res, Config::loopback()) {
        Ok(s) => s,
        Err(e) => panic!("loopback stack: {e:?}"),
    };
    let mut names = Names::new(FIXED);
    let mut ends: Vec<Option<End<'_, '_>>> = (0..SLOTS).map(|_| None).collect();
    let mut outs = Vec::with_capacity(program.len());
    for (i, step) in program.iter().enumerate() {
        let out = step_out(&stack, &clock, &mut ends, &mut names, i, step);
        // Linux's loopback runs the receiving side inside the sending
        // system call; smolsock's at its next poll. One poll after each
        // step takes that instant out of the comparison (a call's own
        // behaviour is unchanged: its outcome is already recorded).
        stack.poll(clock.now());
        outs.push(out);
    }
    outs
}

fn local_port(ends: &[Option<End<'_, '_>>], j: u8) -> Option<u16> {
    ends.get(j as usize)?
        .as_ref()?
        .sock
        .local_addr()
        .ok()
        .map(|a| a.port())
}

fn step_out<'s, 'a>(
    stack: &'s Stack<'a>,
    clock: &SimClock,
    ends: &mut [Option<End<'s, 'a>>],
    names: &mut Names,
    i: usize,
    step: &Step,
) -> Out {
    if let Step::Settle = step {
        settle(stack, clock);
        return Out::Done;
    }
    if let Step::Socket { e, v6, udp, mode } = *step {
        if ends[e as usize].is_some() {
            return Out::Skipped;
        }
        let dom = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let ty = if udp { Type::DGRAM } else { Type::STREAM };
        return match Socket::new(stack, dom, ty) {
            Ok(sock) => {
                let r = set_mode(&sock, mode);
                if !udp {
                    // Nagle off on both sides: see `linux::no_delay`.
                    let _ = sock.set_tcp_nodelay(true);
                }
                ends[e as usize] = Some(End { sock, v6 });
                r.map_or_else(err, |()| Out::Done)
            }
            Err(e) => err(e),
        };
    }
    let Some(e) = step.slot() else {
        return Out::Skipped;
    };
    let addr_of = |ends: &[Option<End<'s, 'a>>], names: &Names, t, v6| {
        resolve(t, v6, e, names, |j| local_port(ends, j))
    };
    let Some(end) = ends[e as usize].as_ref() else {
        return Out::Skipped;
    };
    let (s, v6) = (&end.sock, end.v6);
    let to_smol = |a: SocketAddr| -> smolsock::SockAddr { a };
    let r: Result<Out, Error> = match *step {
        Step::Bind { to, .. } => s
            .bind(to_smol(addr_of(ends, names, to, v6)))
            .map(|()| Out::Done),
        Step::Listen { n, .. } => s.listen(n as usize).map(|_| Out::Done),
        Step::Connect { to, .. } => s
            .connect(to_smol(addr_of(ends, names, to, v6)))
            .map(|()| Out::Done),
        Step::Accept { .. } => match s.accept() {
            Ok((conn, peer)) => {
                let peer = names.name(peer);
                let _ = conn.set_nonblocking(true);
                let _ = conn.set_tcp_nodelay(true);
                let free = (SOCKET_SLOTS as usize..SLOTS).find(|k| ends[*k].is_none());
                if let Some(k) = free {
                    ends[k] = Some(End { sock: conn, v6 });
                }
                Ok(Out::Accepted(peer))
            }
            Err(e) => Err(e),
        },
        Step::Send { len, .. } => s.send(&payload(i, len)).map(Out::Sent),
        Step::SendAll { len, .. } => s.send_all(&payload(i, len)).map(|()| Out::Done),
        Step::SendTo { to, len, .. } => {
            let a = addr_of(ends, names, to, v6);
            s.send_to(&payload(i, len), to_smol(a)).map(Out::Sent)
        }
        Step::Recv { cap, .. } => {
            let mut buf = vec![0u8; cap as usize];
            s.recv(&mut buf).map(|n| Out::Data(buf[..n].to_vec()))
        }
        Step::RecvFrom { cap, .. } => {
            let mut buf = vec![0u8; cap as usize];
            s.recv_from(&mut buf)
                .map(|(n, a)| Out::From(buf[..n].to_vec(), Some(names.name(a))))
        }
        Step::Shutdown { how, .. } => {
            let how = [Shutdown::Read, Shutdown::Write, Shutdown::Both][how as usize];
            s.shutdown(how).map(|()| Out::Done)
        }
        Step::Close { .. } => s.close().map(|()| Out::Done),
        Step::SetMode { mode, .. } => set_mode(s, mode).map(|()| Out::Done),
        Step::Reuse { on, .. } => s.set_reuse_address(on).map(|()| Out::Done),
        Step::LocalAddr { .. } => s.local_addr().map(|a| Out::Addr(names.name(a))),
        Step::PeerAddr { .. } => s.peer_addr().map(|a| Out::Addr(names.name(a))),
        Step::Peek { cap, .. } => {
            let mut buf = vec![0u8; cap as usize];
            s.recv_with_flags(&mut buf, MsgFlags::PEEK)
                .map(|n| Out::Data(buf[..n].to_vec()))
        }
        Step::RecvDontWait { cap, .. } => {
            let mut buf = vec![0u8; cap as usize];
            s.recv_with_flags(&mut buf, MsgFlags::DONTWAIT)
                .map(|n| Out::Data(buf[..n].to_vec()))
        }
        Step::Select { read, write, .. } => {
            let mut want = Events::EMPTY;
            if read {
                want |= Events::READ;
            }
            if write {
                want |= Events::WRITE;
            }
            let mut set = [Interest::new(s, want)];
            stack
                .select(&mut set, Some(std::time::Duration::ZERO))
                .map(|_| {
                    // select(2)'s sets: an error or hang-up is readable, an
                    // error writable.
                    let got = set[0].ready();
                    let any = |x: Events| got.contains(x);
                    let r =
                        read && (any(Events::READ) || any(Events::HANGUP) || any(Events::ERROR));
                    let w = write && (any(Events::WRITE) || any(Events::ERROR));
                    Out::Ready(r, w)
                })
        }
        Step::TakeError { .. } => s
            .take_error()
            .map(|e| Out::Pending(e.map(|e| format!("{e:?}")))),
        Step::Linger0 { .. } => s
            .set_linger(Some(std::time::Duration::ZERO))
            .map(|()| Out::Done),
        Step::Socket { .. } | Step::Settle => Ok(Out::Skipped),
    };
    r.unwrap_or_else(err)
}
