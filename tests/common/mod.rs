//! Shared test helpers: a loopback stack on a simulated clock.
#![allow(dead_code, unused_imports)]

pub use smolsock::{
    Config, Domain, Error, Shutdown, SimClock, SockAddr, Socket, Stack, StackResources, Type,
};
use smoltcp::phy::{Loopback, Medium};

/// Run `f` with a loopback stack of `N` slots of 2 KiB buffers on a simulated clock.
pub fn with_stack<const N: usize, R>(f: impl FnOnce(&Stack<'_>, &SimClock) -> R) -> R {
    with_stack_buf::<N, 2048, R>(f)
}

#[track_caller]
pub fn with_stack_buf<const N: usize, const B: usize, R>(
    f: impl FnOnce(&Stack<'_>, &SimClock) -> R,
) -> R {
    let clock = SimClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<N, B>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    f(&stack, &clock)
}

#[track_caller]
pub fn addr(s: &str) -> SockAddr {
    s.parse().expect("test address")
}

#[track_caller]
pub fn tcp<'s, 'a>(stack: &'s Stack<'a>) -> Socket<'s, 'a> {
    Socket::new(stack, Domain::IPV4, Type::STREAM).expect("tcp socket")
}

/// A listener on 127.0.0.1:`port` with `backlog`.
#[track_caller]
pub fn listener<'s, 'a>(stack: &'s Stack<'a>, port: u16, backlog: usize) -> Socket<'s, 'a> {
    let l = tcp(stack);
    l.bind(addr(&format!("127.0.0.1:{port}"))).expect("bind");
    l.listen(backlog).expect("listen");
    l
}

/// Start a non-blocking connect to 127.0.0.1:`port`.
#[track_caller]
pub fn start_connect<'s, 'a>(stack: &'s Stack<'a>, port: u16) -> Socket<'s, 'a> {
    let c = tcp(stack);
    c.set_nonblocking(true).unwrap();
    assert_eq!(
        c.connect(addr(&format!("127.0.0.1:{port}"))),
        Err(Error::WouldBlock)
    );
    c
}

/// A connected pair: (client, accepted server side), both blocking.
#[track_caller]
pub fn pair<'s, 'a>(
    stack: &'s Stack<'a>,
    port: u16,
) -> (Socket<'s, 'a>, Socket<'s, 'a>, Socket<'s, 'a>) {
    let l = listener(stack, port, 1);
    let c = start_connect(stack, port);
    let (s, peer) = l.accept().expect("accept");
    assert_eq!(peer, c.local_addr().unwrap());
    c.set_nonblocking(false).unwrap();
    // The outcome of the non-blocking connect: success, reported once.
    assert_eq!(c.connect(addr(&format!("127.0.0.1:{port}"))), Ok(()));
    assert_eq!(
        c.connect(addr(&format!("127.0.0.1:{port}"))),
        Err(Error::AlreadyConnected)
    );
    (l, c, s)
}

/// Of the outcomes of several connects: (how many succeeded, how many were
/// refused).
pub fn ok_and_refused(outcomes: &[Result<(), Error>]) -> (usize, usize) {
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|o| **o == Err(Error::ConnectionRefused))
        .count();
    (ok, refused)
}

/// `clients` split by the outcomes of their connects (one each, in order):
/// (the connected ones, the others), each in order.
pub fn split_by_outcome<'c, T>(
    clients: &'c [T],
    outcomes: &[Result<(), Error>],
) -> (Vec<&'c T>, Vec<&'c T>) {
    assert_eq!(clients.len(), outcomes.len());
    let (ok, failed): (Vec<_>, Vec<_>) = clients.iter().zip(outcomes).partition(|(_, o)| o.is_ok());
    (
        ok.into_iter().map(|(c, _)| c).collect(),
        failed.into_iter().map(|(c, _)| c).collect(),
    )
}

/// Connect and close a pair on `port` so that only the client's side is left,
/// in TIME-WAIT (it closed first); everything else is free again.
#[track_caller]
pub fn leave_time_wait(stack: &Stack<'_>, port: u16) {
    let (l, c, s) = pair(stack, port);
    drop(l);
    c.close().expect("close"); // active close: TIME-WAIT after the peer's FIN
    let mut buf = [0u8; 1];
    assert_eq!(s.recv(&mut buf), Ok(0));
    s.close().expect("close");
    stack.poll(stack.now());
}

// ---- a loopback with latency, and a clock that wakes for its packets ----

pub use smolsock::{Clock, Idle};
use smoltcp::phy::{self, Device, DeviceCapabilities};
use smoltcp::time::{Duration, Instant};
use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Like smoltcp's `Loopback(Medium::Ip)`, but a packet sent at `t` arrives at
/// `t + latency`: blocking calls really wait, in simulated time.
pub struct DelayLine {
    queue: VecDeque<(Instant, Vec<u8>)>,
    latency: Duration,
    next: Rc<Cell<Option<Instant>>>,
}

/// A simulated clock that also wakes when the `DelayLine` delivers a packet
/// (the "a packet may have arrived" half of the idle hook).
pub struct NetClock {
    pub sim: SimClock,
    next: Rc<Cell<Option<Instant>>>,
}

pub fn delay_line(latency_ms: u64) -> (DelayLine, NetClock) {
    let next = Rc::new(Cell::new(None));
    (
        DelayLine {
            queue: VecDeque::new(),
            latency: Duration::from_millis(latency_ms),
            next: next.clone(),
        },
        NetClock {
            sim: SimClock::new(),
            next,
        },
    )
}

impl Clock for NetClock {
    fn now(&self) -> Instant {
        self.sim.now()
    }
    fn idle(&self, until: Option<Instant>) -> Idle {
        let wake = match (until, self.next.get()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.sim.idle(wake)
    }
}

impl DelayLine {
    fn update(&self) {
        self.next.set(self.queue.front().map(|(t, _)| *t));
    }
}

pub struct RxTok(Vec<u8>);
pub struct TxTok<'a> {
    dev: &'a mut DelayLine,
    now: Instant,
}

impl phy::RxToken for RxTok {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxTok<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0; len];
        let r = f(&mut buf);
        let due = self.now + self.dev.latency;
        self.dev.queue.push_back((due, buf));
        self.dev.update();
        r
    }
}

impl Device for DelayLine {
    type RxToken<'a> = RxTok;
    type TxToken<'a> = TxTok<'a>;

    fn receive(&mut self, now: Instant) -> Option<(RxTok, TxTok<'_>)> {
        if self.queue.front().is_some_and(|(t, _)| *t <= now) {
            let (_, p) = self.queue.pop_front()?;
            self.update();
            Some((RxTok(p), TxTok { dev: self, now }))
        } else {
            None
        }
    }

    fn transmit(&mut self, now: Instant) -> Option<TxTok<'_>> {
        Some(TxTok { dev: self, now })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = phy::Medium::Ip;
        c.max_transmission_unit = 1500;
        c
    }
}

/// Run `f` with a stack of `N` slots on a `DelayLine` of `latency_ms`.
#[track_caller]
pub fn with_delay_stack<const N: usize, R>(
    latency_ms: u64,
    f: impl FnOnce(&Stack<'_>, &NetClock) -> R,
) -> R {
    let (mut dev, clock) = delay_line(latency_ms);
    let mut res = Box::new(StackResources::<N, 2048>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    f(&stack, &clock)
}

// ---- an in-memory wire between two stacks, and a clock that serves the far end ----

/// Two one-way queues with a latency: side 0 sends on queue 0 and receives
/// from queue 1, side 1 the other way round.
pub struct WireState {
    queues: [VecDeque<(Instant, Vec<u8>)>; 2],
    latency: Duration,
    /// Packets sent by each side.
    pub sent: [usize; 2],
}

impl WireState {
    /// When the next packet is due at either end.
    pub fn next_due(&self) -> Option<Instant> {
        self.queues
            .iter()
            .filter_map(|q| q.front().map(|(t, _)| *t))
            .min()
    }
}

pub type WireRef = Rc<std::cell::RefCell<WireState>>;

/// One end of a [`wire`]: an IP-medium `Device` (MTU 1500).
pub struct WireEnd {
    wire: WireRef,
    side: usize,
}

/// A wire of `latency_ms` each way: (end 0, end 1, the shared state).
pub fn wire(latency_ms: u64) -> (WireEnd, WireEnd, WireRef) {
    let w: WireRef = Rc::new(std::cell::RefCell::new(WireState {
        queues: [VecDeque::new(), VecDeque::new()],
        latency: Duration::from_millis(latency_ms),
        sent: [0, 0],
    }));
    (
        WireEnd {
            wire: w.clone(),
            side: 0,
        },
        WireEnd {
            wire: w.clone(),
            side: 1,
        },
        w,
    )
}

pub struct WireTx {
    wire: WireRef,
    side: usize,
    now: Instant,
}

impl phy::TxToken for WireTx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0; len];
        let r = f(&mut buf);
        let mut w = self.wire.borrow_mut();
        let due = self.now + w.latency;
        w.queues[self.side].push_back((due, buf));
        w.sent[self.side] += 1;
        r
    }
}

impl Device for WireEnd {
    type RxToken<'a> = RxTok;
    type TxToken<'a> = WireTx;

    fn receive(&mut self, now: Instant) -> Option<(RxTok, WireTx)> {
        let p = {
            let mut w = self.wire.borrow_mut();
            let q = &mut w.queues[1 - self.side];
            if q.front().is_some_and(|(t, _)| *t <= now) {
                q.pop_front().map(|(_, p)| p)
            } else {
                None
            }
        }?;
        let tx = WireTx {
            wire: self.wire.clone(),
            side: self.side,
            now,
        };
        Some((RxTok(p), tx))
    }

    fn transmit(&mut self, now: Instant) -> Option<WireTx> {
        Some(WireTx {
            wire: self.wire.clone(),
            side: self.side,
            now,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = phy::Medium::Ip;
        c.max_transmission_unit = 1500;
        c
    }
}

/// What a [`HookClock`]'s hook did: something (poll again at once), or
/// nothing until `wake`.
pub enum Service {
    Progress,
    Sleep(Option<Instant>),
}

/// What a [`HookClock`] runs before it lets time pass.
pub type ClockHook<'h> = Box<dyn FnMut(Instant) -> Service + 'h>;

/// A clock over a shared `SimClock` that runs a hook (serve the far end of
/// a wire: poll its stack, run its server) before it lets time pass.
pub struct HookClock<'h> {
    pub base: &'h SimClock,
    hook: std::cell::RefCell<Option<ClockHook<'h>>>,
}

impl<'h> HookClock<'h> {
    pub fn new(base: &'h SimClock) -> Self {
        HookClock {
            base,
            hook: std::cell::RefCell::new(None),
        }
    }

    pub fn set_hook(&self, hook: impl FnMut(Instant) -> Service + 'h) {
        *self.hook.borrow_mut() = Some(Box::new(hook));
    }

    pub fn clear_hook(&self) {
        *self.hook.borrow_mut() = None;
    }
}

impl Clock for HookClock<'_> {
    fn now(&self) -> Instant {
        self.base.now()
    }
    fn idle(&self, until: Option<Instant>) -> Idle {
        let now = self.base.now();
        let r = match self.hook.borrow_mut().as_mut() {
            Some(hook) => hook(now),
            None => Service::Sleep(None),
        };
        match r {
            Service::Progress => Idle::Waited,
            Service::Sleep(wake) => {
                let until = match (until, wake) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                self.base.idle(until)
            }
        }
    }
}

/// The byte at `offset` of test stream `stream`: every position differs from
/// its neighbours, so a lost, repeated or reordered segment shows.
pub fn pattern(stream: u8, offset: u64) -> u8 {
    let x = (offset ^ (u64::from(stream) << 56)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as u8
}

pub mod act_clock;
pub mod async_util;
pub mod hooked_loopback;
pub mod http_async;
pub mod sim_exec;
