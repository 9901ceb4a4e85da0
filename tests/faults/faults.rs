//! Faults: two stacks on an in-memory wire (1 ms each way), stack A behind
//! smoltcp's `FaultInjector` with 10 % drop and 1 % corruption. A's
//! transmit side is the A→B direction and its receive side the B→A one, so
//! every packet, either way, meets the injector exactly once: 10 % loss and
//! 1 % single-bit corruption each way. Seeds are fixed, time is simulated.
//!
//! - 10 MiB each way at once arrive byte-exact;
//! - 10,000 lines through the line server arrive exactly once and in order;
//! - a 1 MiB HTTP GET is byte-exact.
//!
//! Each prints the simulated time it took (`FAULT …` lines, `--nocapture`).
//! smoltcp's minimum RTO is 1 s and it has no SACK, so loss recovery is slow
//! in simulated time: that figure is a known limit, not a failure.
//!
//! `FAULT_SEED=n` and `FAULT_DROP=pct` explore other loss patterns and rates
//! (e.g. `FAULT_DROP=30 cargo test --release --test faults faults:: -- --nocapture`).
//!
//! At the end: regression tests for what the fuzz targets found.

use crate::common;
use common::*;
use smolsock::http::{Client, Part, ResponseError, ResponseParser};
use smolsock::line::{CloseReason, Event, LineConfig, LineServer, Status};
use smoltcp::phy::FaultInjector;
use smoltcp::time::Instant;
use smoltcp::wire::{IpAddress, IpCidr};
use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;
use std::rc::Rc;
use std::time::Instant as WallClock;

const DROP_PCT: u8 = 10;
const CORRUPT_PCT: u8 = 1;
const LATENCY_MS: u64 = 1;
/// Seed of the fault injector's generator (`FAULT_SEED` overrides it, to
/// explore other loss patterns).
const SEED: u32 = 0x5eed_f417;

/// Drop chance in percent (`FAULT_DROP` overrides it, to explore).
fn drop_pct() -> u8 {
    std::env::var("FAULT_DROP")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DROP_PCT)
}

fn seed() -> u32 {
    std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED)
}

/// 10.0.0.`last`/24 on an IP-medium device.
fn config(last: u8) -> Config {
    Config::ip()
        .with_address(IpCidr::new(IpAddress::v4(10, 0, 0, last), 24))
        .with_random_seed(u64::from(last))
}

type Faulty = Counting<FaultInjector<WireEnd>>;

/// Stack A's device: the wire end behind the injector, with counters above it.
fn faulty(end: WireEnd) -> (Faulty, Counts) {
    faulty_seeded(end, seed())
}

fn faulty_seeded(end: WireEnd, seed: u32) -> (Faulty, Counts) {
    let mut f = FaultInjector::new(end, seed);
    f.set_drop_chance(drop_pct());
    f.set_corrupt_chance(CORRUPT_PCT);
    let counts = Counts::default();
    (
        Counting {
            inner: f,
            counts: counts.clone(),
        },
        counts,
    )
}

/// Packets stack A transmitted (before the injector) and received (after it).
#[derive(Clone, Default)]
struct Counts(Rc<Cell<[usize; 2]>>);

impl Counts {
    fn add(&self, i: usize) {
        let mut c = self.0.get();
        c[i] += 1;
        self.0.set(c);
    }
}

/// Counts what passes between a stack and the device under it.
struct Counting<D> {
    inner: D,
    counts: Counts,
}

struct CountTx<T> {
    inner: T,
    counts: Counts,
}

impl<T: smoltcp::phy::TxToken> smoltcp::phy::TxToken for CountTx<T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.counts.add(0);
        self.inner.consume(len, f)
    }
    fn set_meta(&mut self, meta: smoltcp::phy::PacketMeta) {
        self.inner.set_meta(meta)
    }
}

impl<D: smoltcp::phy::Device> smoltcp::phy::Device for Counting<D> {
    type RxToken<'a>
        = D::RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = CountTx<D::TxToken<'a>>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let counts = self.counts.clone();
        let (rx, tx) = self.inner.receive(now)?;
        counts.add(1);
        Some((rx, CountTx { inner: tx, counts }))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        let counts = self.counts.clone();
        let tx = self.inner.transmit(now)?;
        Some(CountTx { inner: tx, counts })
    }

    fn capabilities(&self) -> smoltcp::phy::DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// Print the figures, and check that the injector really dropped about
/// 10 % each way (sent on the wire vs. offered, delivered vs. on the wire).
fn report(name: &str, start: Instant, end: Instant, w: &WireRef, counts: &Counts, wall: WallClock) {
    let sent = w.borrow().sent;
    let [a_tx, a_rx] = counts.0.get();
    let loss_ab = 1.0 - sent[0] as f64 / a_tx as f64;
    let loss_ba = 1.0 - a_rx as f64 / sent[1] as f64;
    println!(
        "FAULT {name}: simulated={} packets A->B={a_tx} (lost {:.1} %) B->A={} (lost {:.1} %) wall={:.2?}",
        end - start,
        100.0 * loss_ab,
        sent[1],
        100.0 * loss_ba,
        wall.elapsed()
    );
    let want = f64::from(drop_pct()) / 100.0;
    for loss in [loss_ab, loss_ba] {
        assert!(
            (loss - want).abs() < 0.06,
            "the injector drops about {want}: {loss}"
        );
    }
}

/// One round for two stacks driven by hand: poll both; when neither did
/// anything, move the clock to the next thing due (a timer or a packet).
/// A test that can never finish fails instead of hanging.
fn step(a: &Stack<'_>, b: &Stack<'_>, clock: &SimClock, w: &WireRef, progress: bool) {
    let now = clock.now();
    let polled = a.poll(now) | b.poll(now);
    if progress || polled {
        return;
    }
    let due = w.borrow().next_due();
    if due.is_some_and(|t| t <= now) {
        return; // packets waiting (the injector may have dropped the last one)
    }
    let next = [a.poll_at(), b.poll_at(), due]
        .into_iter()
        .flatten()
        .min()
        .expect("stalled: nothing scheduled");
    let next = next.max(now + smoltcp::time::Duration::from_millis(1));
    assert!(
        next < Instant::from_secs(7 * 24 * 3600),
        "a simulated week passed"
    );
    clock.set(next);
}

// ---- 10 MiB each way ---------------------------------------------------------

const BULK: u64 = 10 << 20;

/// One end of the bulk transfer: sends stream `out`, checks stream `inp`.
struct End<'s, 'a> {
    sock: Socket<'s, 'a>,
    out: u8,
    inp: u8,
    sent: u64,
    shut: bool,
    got: u64,
    eof: bool,
    /// The FIN give-up ended the wait for EOF (`TimedOut` here, or the other
    /// end's give-up as `ConnectionReset`), after all data.
    gave_up: bool,
}

impl End<'_, '_> {
    fn pump(&mut self) -> bool {
        let mut progress = false;
        let mut buf = [0u8; 16384];
        while self.sent < BULK {
            let n = (BULK - self.sent).min(buf.len() as u64) as usize;
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = pattern(self.out, self.sent + i as u64);
            }
            match self.sock.send(&buf[..n]) {
                Ok(k) => {
                    self.sent += k as u64;
                    progress = true;
                }
                Err(Error::WouldBlock) => break,
                Err(e) => panic!("send at {}: {e}", self.sent),
            }
        }
        if self.sent == BULK && !self.shut {
            self.sock.shutdown(Shutdown::Write).unwrap();
            self.shut = true;
            progress = true;
        }
        while !self.eof {
            match self.sock.recv(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    progress = true;
                }
                Ok(n) => {
                    for (i, b) in buf[..n].iter().enumerate() {
                        let at = self.got + i as u64;
                        assert_eq!(*b, pattern(self.inp, at), "stream {} byte {at}", self.inp);
                    }
                    self.got += n as u64;
                    progress = true;
                }
                Err(Error::WouldBlock) => break,
                // The give-up of the end whose FIN was lost, or its RST here.
                Err(Error::TimedOut | Error::ConnectionReset) if self.got == BULK => {
                    self.gave_up = true;
                    self.eof = true;
                    progress = true;
                }
                Err(e) => panic!("recv at {}: {e}", self.got),
            }
        }
        progress
    }
}

#[test]
fn ten_mib_each_way_arrive_byte_exact_through_loss_and_corruption() {
    let gave_up = bulk_each_way(seed());
    assert_eq!(gave_up, [false, false], "both ends read EOF");
}

/// Found by running the bulk test with other seeds (`FAULT_SEED=12` then,
/// 38 and 55 since the data calls' fast path changed the timing): all
/// 10 MiB arrive both ways, both ends call `shutdown(Write)`, and then the
/// transfer stalls for ever: neither stack has a timer or a packet in
/// flight (`poll_at()` is `None` on both), neither side ever reads EOF.
/// smoltcp's log shows why: each end is in FIN-WAIT-1 and its FIN|ACK was
/// dropped; its data is all acknowledged; the peer's duplicate ACKs (for
/// the data's end) start a fast retransmit; smoltcp 0.14's fast retransmit
/// resends only unacknowledged *data* (`pending_fast_retransmit`), finds
/// none, sends nothing, and sets the retransmit timer idle
/// (`tcp.rs`, dispatch: "retransmitting for fast-retransmit" then
/// `timer.set_for_idle`). The FIN is never retransmitted. A blocking `recv`
/// waiting for EOF then hangs (with `SimClock`: `Error::Stalled`).
/// Root cause in smoltcp; smolsock could guard against it (e.g. re-arm a
/// retransmission for a socket in FIN-WAIT-1/CLOSING/LAST-ACK whose FIN is
/// unacknowledged while smoltcp reports no timer).
#[test]
#[ignore = "bug: smoltcp 0.14 never retransmits a FIN lost after a fast retransmit; FAULT seed 38 loses both FINs (ends in FIN-WAIT-1, no timer); smolsock's give-up bounds the wait but cannot deliver EOF"]
fn ten_mib_each_way_with_fault_seed_38_reaches_eof() {
    assert_eq!(bulk_each_way(38), [false, false]);
}

/// The guard against that smoltcp bug: the wait for EOF behind a lost FIN
/// is bounded (the FIN give-up, 15 minutes of silence), never for ever, and
/// all data has arrived byte-exact before it. (Seed 38 loses both FINs now;
/// seed 12 did before the data calls stopped polling when data is ready.)
#[test]
fn a_lost_fin_never_hangs_the_reader_fault_seed_38() {
    let gave_up = bulk_each_way(38);
    assert!(
        gave_up.contains(&true),
        "this seed loses both FINs: {gave_up:?}"
    );
}

/// Each end's outcome: `true` where the FIN give-up ended its wait for EOF.
fn bulk_each_way(seed: u32) -> [bool; 2] {
    let wall = WallClock::now();
    let clock = SimClock::new();
    let (end_a, mut end_b, w) = wire(LATENCY_MS);
    let (mut dev_a, counts) = faulty_seeded(end_a, seed);
    let mut res_a = Box::new(StackResources::<3, 65536>::new());
    let mut res_b = Box::new(StackResources::<3, 65536>::new());
    let a = Stack::new(&mut dev_a, &clock, &mut res_a, config(1)).unwrap();
    let b = Stack::new(&mut end_b, &clock, &mut res_b, config(2)).unwrap();

    let l = Socket::new(&b, Domain::IPV4, Type::STREAM).unwrap();
    l.bind(addr("10.0.0.2:5000")).unwrap();
    l.listen(1).unwrap();
    l.set_nonblocking(true).unwrap();
    let c = Socket::new(&a, Domain::IPV4, Type::STREAM).unwrap();
    c.set_nonblocking(true).unwrap();
    assert_eq!(c.connect(addr("10.0.0.2:5000")), Err(Error::WouldBlock));
    let start = clock.now();
    let s = loop {
        match l.accept() {
            Ok((s, _)) => break s,
            Err(Error::WouldBlock) => step(&a, &b, &clock, &w, false),
            Err(e) => panic!("accept: {e}"),
        }
    };
    s.set_nonblocking(true).unwrap();
    let new = |sock, out, inp| End {
        sock,
        out,
        inp,
        sent: 0,
        shut: false,
        got: 0,
        eof: false,
        gave_up: false,
    };
    let mut ends = [new(c, 0, 1), new(s, 1, 0)];
    while !ends.iter().all(|e| e.eof) {
        let mut progress = false;
        for e in &mut ends {
            progress |= e.pump();
        }
        step(&a, &b, &clock, &w, progress);
    }
    for e in &ends {
        assert_eq!((e.sent, e.got), (BULK, BULK), "byte-exact, both ways");
    }
    report(
        "bulk 10 MiB each way",
        start,
        clock.now(),
        &w,
        &counts,
        wall,
    );
    [ends[0].gave_up, ends[1].gave_up]
}

// ---- 10,000 lines through the line server ---------------------------------------

const LINES: usize = 10_000;

#[derive(Default)]
struct Log {
    lines: Vec<Vec<u8>>,
    closes: Vec<CloseReason>,
    events: usize,
}

impl Log {
    fn handler(&mut self) -> impl FnMut(Event<'_>) + '_ {
        move |e| {
            self.events += 1;
            match e {
                Event::Line(_, l) => self.lines.push(l.as_bytes().to_vec()),
                Event::Closed(_, why) => self.closes.push(why),
                Event::Opened(_) => {}
            }
        }
    }
}

/// Wake time for a hook: the far stack's timers, the wire, and `extra`.
fn wake(b: &Stack<'_>, w: &WireRef, extra: Option<Instant>) -> Option<Instant> {
    [b.poll_at(), w.borrow().next_due(), extra]
        .into_iter()
        .flatten()
        .min()
}

#[test]
fn ten_thousand_lines_arrive_exactly_once_and_in_order_through_loss() {
    let wall = WallClock::now();
    let base = SimClock::new();
    let (end_a, mut end_b, w) = wire(LATENCY_MS);
    let mut res_b = Box::new(StackResources::<8, 4096>::new());
    let b = Stack::new(&mut end_b, &base, &mut res_b, config(2)).unwrap();
    // With 10 % loss, RTO backoff can leave the server more than the seed's
    // 5 s without a byte; this test is about delivery, not the idle timeout.
    let line_config =
        LineConfig::default().with_idle_timeout(Some(core::time::Duration::from_secs(600)));
    let mut server: LineServer = LineServer::new(&b, line_config).unwrap();
    let log = Rc::new(RefCell::new(Log::default()));
    let clock = HookClock::new(&base);
    {
        let (log, w, b) = (log.clone(), w.clone(), &b);
        clock.set_hook(move |now| {
            let polled = b.poll(now);
            let before = log.borrow().events;
            let status = server.poll(&mut log.borrow_mut().handler()).unwrap();
            assert_eq!(status, Status::Running);
            let served = log.borrow().events != before;
            if polled || served || w.borrow().next_due().is_some_and(|t| t <= now) {
                Service::Progress
            } else {
                Service::Sleep(wake(b, &w, server.poll_at()))
            }
        });
    }
    let (mut dev_a, counts) = faulty(end_a);
    let mut res_a = Box::new(StackResources::<2, 4096>::new());
    let a = Stack::new(&mut dev_a, &clock, &mut res_a, config(1)).unwrap();

    let start = base.now();
    let c = Socket::new(&a, Domain::IPV4, Type::STREAM).unwrap();
    c.connect(addr("10.0.0.2:10001")).unwrap();
    let mut all = Vec::new();
    for i in 0..LINES {
        all.extend_from_slice(format!("line {i:05} of the soak\r\n").as_bytes());
    }
    c.send_all(&all).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    // The server closes at our end of stream: read its EOF.
    let mut buf = [0u8; 16];
    assert_eq!(c.recv(&mut buf), Ok(0));
    let end = base.now();

    let log = log.borrow();
    assert_eq!(log.lines.len(), LINES);
    for (i, l) in log.lines.iter().enumerate() {
        assert_eq!(l, format!("line {i:05} of the soak").as_bytes(), "line {i}");
    }
    assert_eq!(log.closes, [CloseReason::Eof]);
    report("10,000 lines", start, end, &w, &counts, wall);
}

// ---- a 1 MiB HTTP GET ------------------------------------------------------------

const BODY: usize = 1 << 20;

/// A one-shot HTTP/1.0 server: read the request to its end, answer with a
/// 1 MiB body, close.
struct OneShot<'s, 'a> {
    listener: Socket<'s, 'a>,
    conn: Option<Socket<'s, 'a>>,
    request: Vec<u8>,
    req_eof: bool,
    response: Vec<u8>,
    sent: usize,
    done: bool,
}

impl OneShot<'_, '_> {
    fn service(&mut self) -> bool {
        let mut progress = false;
        if self.conn.is_none() && !self.done {
            match self.listener.accept() {
                Ok((c, _)) => {
                    c.set_nonblocking(true).unwrap();
                    self.conn = Some(c);
                    progress = true;
                }
                Err(Error::WouldBlock) => return false,
                Err(e) => panic!("accept: {e}"),
            }
        }
        let Some(c) = &self.conn else {
            return progress;
        };
        let mut buf = [0u8; 1024];
        // The request, to the client's half-close.
        while !self.req_eof {
            match c.recv(&mut buf) {
                Ok(0) => self.req_eof = true,
                Ok(n) => self.request.extend_from_slice(&buf[..n]),
                Err(Error::WouldBlock) => return progress,
                Err(e) => panic!("server recv: {e}"),
            }
            progress = true;
        }
        while self.sent < self.response.len() {
            match c.send(&self.response[self.sent..]) {
                Ok(n) => {
                    self.sent += n;
                    progress = true;
                }
                Err(Error::WouldBlock) => return progress,
                Err(e) => panic!("server send: {e}"),
            }
        }
        // All queued: close (the request was read, so a FIN, not a reset).
        self.conn = None;
        self.done = true;
        true
    }
}

#[test]
fn a_one_mib_http_get_is_byte_exact_through_loss() {
    let wall = WallClock::now();
    let base = SimClock::new();
    let (end_a, mut end_b, w) = wire(LATENCY_MS);
    let mut res_b = Box::new(StackResources::<4, 16384>::new());
    let b = Stack::new(&mut end_b, &base, &mut res_b, config(2)).unwrap();
    let listener = Socket::new(&b, Domain::IPV4, Type::STREAM).unwrap();
    listener.bind(addr("10.0.0.2:80")).unwrap();
    listener.listen(1).unwrap();
    listener.set_nonblocking(true).unwrap();
    let mut response = format!("HTTP/1.0 200 OK\r\nContent-Length: {BODY}\r\n\r\n").into_bytes();
    response.extend((0..BODY as u64).map(|i| pattern(7, i)));
    let mut server = OneShot {
        listener,
        conn: None,
        request: Vec::new(),
        req_eof: false,
        response,
        sent: 0,
        done: false,
    };
    let clock = HookClock::new(&base);
    {
        let (w, b) = (w.clone(), &b);
        clock.set_hook(move |now| {
            let polled = b.poll(now);
            if polled || server.service() || w.borrow().next_due().is_some_and(|t| t <= now) {
                Service::Progress
            } else {
                Service::Sleep(wake(b, &w, None))
            }
        });
    }
    let (mut dev_a, counts) = faulty(end_a);
    let mut res_a = Box::new(StackResources::<2, 16384>::new());
    let a = Stack::new(&mut dev_a, &clock, &mut res_a, config(1)).unwrap();

    let start = base.now();
    // The seed's 20 s deadline is far too short at this loss rate.
    let client = Client::new(&a).with_timeout(core::time::Duration::from_secs(24 * 3600));
    let mut parser = ResponseParser::<1024>::new();
    let mut got = 0u64;
    let mut code = 0;
    let r = client.get("http://10.0.0.2/", &mut parser, |part| {
        match part {
            Part::Head(h) => code = h.code(),
            Part::Body(data) => {
                for (i, b) in data.iter().enumerate() {
                    let at = got + i as u64;
                    assert_eq!(*b, pattern(7, at), "body byte {at}");
                }
                got += data.len() as u64;
            }
        }
        ControlFlow::Continue(())
    });
    let end = base.now();
    assert_eq!(r, Ok(BODY as u64));
    assert_eq!((code, got), (200, BODY as u64));
    report("HTTP GET 1 MiB", start, end, &w, &counts, wall);
}

// ---- regressions from the fuzz targets ---------------------------------------------

/// Found by the `http_response` fuzz target (input
/// `HTTP/1.0 200 OK\nA: b\n\x0fbo[y`). `ResponseParser::push` runs httparse
/// only when a chunk holds a `\n` (or the head buffer is full), and
/// `finish` never judges the bytes still buffered. So an invalid header
/// byte after the last line end is reported as `MalformedHeader` when it
/// arrives in the same chunk as a line end, but as `Incomplete` ("connection
/// closed before the end of the headers") when it arrives in a later chunk:
/// the error `Client::get` returns depends on TCP segmentation.
#[test]
fn response_error_at_end_of_stream_does_not_depend_on_segmentation() {
    let resp: &[u8] = b"HTTP/1.0 200 OK\nA: b\n\x0fbo[y";
    let mut whole = ResponseParser::<256>::new();
    let whole_err = whole.push(resp).err().or(whole.finish().err());
    assert_eq!(whole_err, Some(ResponseError::MalformedHeader));
    let mut split = ResponseParser::<256>::new();
    let mut split_err = None;
    for b in resp.chunks(1) {
        if let Err(e) = split.push(b) {
            split_err = Some(e);
            break;
        }
    }
    let split_err = split_err.or(split.finish().err());
    assert_eq!(split_err, whole_err, "same bytes, same error");
}
