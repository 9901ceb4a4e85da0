//! Issue 10, the line server against hostile or careless clients, on the
//! simulated clock: a client trickling bytes (session limit, minimum line
//! rate), who may send `stop`, and the backlog that was really granted.

use crate::common;
use common::*;
use core::net::{IpAddr, Ipv4Addr};
use smolsock::line::{CloseReason, Event, LineConfig, LineServer, RemoteStop, Status};
use smolsock::Clock;
use smoltcp::time::{Duration, Instant};

const SEP: &str = "----------------";

fn secs(s: u64) -> Option<core::time::Duration> {
    Some(core::time::Duration::from_secs(s))
}

/// What the server reported: printed lines and separators, close reasons.
#[derive(Default)]
struct Rec {
    printed: Vec<String>,
    closes: Vec<(u32, CloseReason, Instant)>,
}

impl Rec {
    fn handler<'r>(&'r mut self, clock: &'r SimClock) -> impl FnMut(Event<'_>) + 'r {
        move |e| match e {
            Event::Opened(_) => {}
            Event::Line(_, l) => self
                .printed
                .push(String::from_utf8_lossy(l.as_bytes()).into_owned()),
            Event::Closed(s, why) => {
                self.printed.push(SEP.into());
                self.closes.push((s.id, why, clock.now()));
            }
        }
    }
}

/// A client connected (handshake done) to 127.0.0.1:`port`, blocking.
#[track_caller]
fn client<'s, 'a>(stack: &'s Stack<'a>, port: u16) -> Socket<'s, 'a> {
    let c = start_connect(stack, port);
    stack.poll(stack.now());
    c.set_nonblocking(false).unwrap();
    assert_eq!(c.connect(addr(&format!("127.0.0.1:{port}"))), Ok(()));
    c
}

/// `send_all` and let it reach the server (no simulated time passes).
#[track_caller]
fn say(c: &Socket<'_, '_>, data: &[u8]) {
    c.send_all(data).unwrap();
    c.stack().poll(c.stack().now());
}

/// The slow client of the issue: one byte every 4 s, never a newline.
/// Sends at t0 + 4 s, 8 s, … up to `until` (exclusive), polling the server
/// after each byte.
#[track_caller]
fn trickle(
    s: &mut LineServer<'_, '_>,
    rec: &mut Rec,
    clock: &SimClock,
    c: &Socket<'_, '_>,
    t0: Instant,
    until: Duration,
) {
    let mut t = Duration::from_secs(4);
    while t < until {
        clock.set(t0 + t);
        if s.active_sessions() == 0 {
            return;
        }
        say(c, b"x");
        s.poll(&mut rec.handler(clock)).unwrap();
        t += Duration::from_secs(4);
    }
}

#[test]
fn by_default_a_trickling_client_holds_the_server_as_in_the_seed() {
    with_stack::<16, _>(|stack, clock| {
        let mut s: LineServer = LineServer::new(stack, LineConfig::default()).unwrap();
        assert_eq!(s.config().session_limit, None);
        assert_eq!(s.config().line_timeout, None);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        s.poll(&mut rec.handler(clock)).unwrap();
        let t0 = clock.now();
        trickle(&mut s, &mut rec, clock, &c, t0, Duration::from_secs(3600));
        assert_eq!(s.active_sessions(), 1, "the seed's defaults are kept");
        assert!(rec.closes.is_empty());
    });
}

#[test]
fn session_limit_closes_a_trickling_client_to_the_tick() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default().with_session_limit(secs(10));
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        let next = client(stack, 10001);
        say(&next, b"next in line\n");
        s.poll(&mut rec.handler(clock)).unwrap();
        let t0 = clock.now();
        assert_eq!(s.poll_at(), Some(t0 + Duration::from_secs(5)));
        trickle(&mut s, &mut rec, clock, &c, t0, Duration::from_secs(10));
        // Bytes at 4 s and 8 s kept the idle timer alive; the session limit
        // is the next deadline.
        assert_eq!(s.poll_at(), Some(t0 + Duration::from_secs(10)));
        clock.set(t0 + Duration::from_secs(10) - Duration::from_micros(1));
        s.poll(&mut rec.handler(clock)).unwrap();
        assert!(rec.closes.is_empty(), "closed before the limit");
        clock.set(t0 + Duration::from_secs(10));
        s.poll(&mut rec.handler(clock)).unwrap();
        // The partial line first, then the close; the waiting client is next.
        assert_eq!(rec.printed, ["xx", SEP, "next in line"]);
        assert_eq!(
            rec.closes,
            [(0, CloseReason::SessionLimit, t0 + Duration::from_secs(10))]
        );
        let mut buf = [0u8; 4];
        assert_eq!(c.recv(&mut buf), Ok(0), "the client reads EOF");
    });
}

#[test]
fn session_limit_also_closes_a_client_that_sends_lines_fast() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default().with_session_limit(secs(3));
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        s.poll(&mut rec.handler(clock)).unwrap();
        let t0 = clock.now();
        for ms in (0..3000).step_by(500) {
            clock.set(t0 + Duration::from_millis(ms));
            say(&c, format!("{ms}\n").as_bytes());
            s.poll(&mut rec.handler(clock)).unwrap();
        }
        assert!(rec.closes.is_empty());
        // Data arriving at the limit is delivered, then the session closes.
        clock.set(t0 + Duration::from_secs(3));
        say(&c, b"3000\n");
        s.poll(&mut rec.handler(clock)).unwrap();
        assert_eq!(
            rec.printed,
            ["0", "500", "1000", "1500", "2000", "2500", "3000", SEP]
        );
        assert_eq!(
            rec.closes,
            [(0, CloseReason::SessionLimit, t0 + Duration::from_secs(3))]
        );
    });
}

#[test]
fn line_timeout_closes_a_client_that_never_completes_a_line() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default().with_line_timeout(secs(6));
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        s.poll(&mut rec.handler(clock)).unwrap();
        let t0 = clock.now();
        // A byte at 4 s restarts the idle timer (5 s) but not the line timer.
        trickle(&mut s, &mut rec, clock, &c, t0, Duration::from_secs(6));
        assert_eq!(s.poll_at(), Some(t0 + Duration::from_secs(6)));
        clock.set(t0 + Duration::from_secs(6) - Duration::from_micros(1));
        s.poll(&mut rec.handler(clock)).unwrap();
        assert!(rec.closes.is_empty());
        clock.set(t0 + Duration::from_secs(6));
        s.poll(&mut rec.handler(clock)).unwrap();
        assert_eq!(rec.printed, ["x", SEP]);
        assert_eq!(
            rec.closes,
            [(0, CloseReason::LineTimeout, t0 + Duration::from_secs(6))]
        );
    });
}

#[test]
fn line_timeout_keeps_a_client_that_completes_lines_in_time() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default().with_line_timeout(secs(6));
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        s.poll(&mut rec.handler(clock)).unwrap();
        let t0 = clock.now();
        for k in 1..=20u64 {
            clock.set(t0 + Duration::from_secs(4 * k));
            say(&c, b"ok\n");
            s.poll(&mut rec.handler(clock)).unwrap();
        }
        assert_eq!(s.active_sessions(), 1);
        assert_eq!(rec.printed.len(), 20);
        assert!(rec.closes.is_empty());
    });
}

#[test]
fn blocking_run_wakes_at_the_session_limit() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default()
            .with_idle_timeout(None)
            .with_session_limit(secs(3));
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        say(&c, b"hi\n");
        let t0 = clock.now();
        // Nothing else happens: the simulated clock reports a stall after
        // the close, instead of the server blocking forever.
        assert_eq!(s.run(&mut rec.handler(clock)), Err(Error::Stalled));
        assert_eq!(rec.printed, ["hi", SEP]);
        assert_eq!(
            rec.closes,
            [(0, CloseReason::SessionLimit, t0 + Duration::from_secs(3))]
        );
    });
}

#[test]
fn remote_stop_anyone_is_the_default() {
    assert_eq!(LineConfig::default().remote_stop, RemoteStop::Anyone);
}

#[test]
fn remote_stop_nobody_closes_the_sender_and_keeps_serving() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default().with_remote_stop(RemoteStop::Nobody);
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let a = client(stack, 10001);
        say(&a, b"before\nstop\nafter\n");
        assert_eq!(s.poll(&mut rec.handler(clock)), Ok(Status::Running));
        assert!(!s.is_stopped());
        assert_eq!(rec.printed, ["before", SEP]);
        assert_eq!(rec.closes[0].1, CloseReason::StopRefused);
        let mut buf = [0u8; 4];
        assert_eq!(a.recv(&mut buf), Ok(0), "the sender is disconnected");
        // Still listening and serving.
        let b = client(stack, 10001);
        say(&b, b"b here\n");
        s.poll(&mut rec.handler(clock)).unwrap();
        assert_eq!(rec.printed, ["before", SEP, "b here"]);
        // The program itself can still stop it.
        s.stop(&mut rec.handler(clock));
        assert!(s.is_stopped());
    });
}

#[test]
fn remote_stop_only_from_listed_peers() {
    with_stack::<16, _>(|stack, clock| {
        let other = IpAddr::V4(Ipv4Addr::new(192, 168, 69, 1));
        let cfg = LineConfig::default().with_remote_stop(RemoteStop::only(&[other]).unwrap());
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let a = client(stack, 10001);
        say(&a, b"stop\n");
        assert_eq!(s.poll(&mut rec.handler(clock)), Ok(Status::Running));
        assert_eq!(rec.closes[0].1, CloseReason::StopRefused);
        drop(s);

        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let cfg = LineConfig::default()
            .with_port(10002)
            .with_remote_stop(RemoteStop::only(&[other, local]).unwrap());
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let b = client(stack, 10002);
        say(&b, b"stop\n");
        assert_eq!(s.poll(&mut rec.handler(clock)), Ok(Status::Stopped));
        assert_eq!(rec.closes[1].1, CloseReason::Stop);
    });
}

#[test]
fn remote_stop_list_is_bounded() {
    let many = [IpAddr::V4(Ipv4Addr::LOCALHOST); smolsock::line::MAX_STOP_PEERS + 1];
    assert_eq!(RemoteStop::only(&many), None);
    assert!(RemoteStop::only(&many[1..]).is_some());
    // An IPv4 client seen as an IPv4-mapped IPv6 address is the same peer.
    let mapped = IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped());
    assert!(RemoteStop::only(&many[..1]).unwrap().allows(mapped));
}

#[test]
fn config_reports_the_backlog_that_was_granted() {
    with_stack::<17, _>(|stack, _| {
        let cfg = LineConfig::default().with_backlog(1000);
        let s: LineServer = LineServer::new(stack, cfg).unwrap();
        // 17 entries, the resolver's and 16 slots: all armed on the port now; while one serves the current
        // client, 15 can wait. (Clients on this same stack would take
        // armed slots back, so the rest is checked on the slot counts.)
        assert_eq!(s.config().backlog, 15);
        let st = stack.stats().unwrap();
        assert_eq!((st.user, st.backlog, st.free + st.unused), (1, 15, 0));
    });
}

#[test]
fn granted_backlog_is_the_asked_one_when_the_pool_has_room() {
    with_stack::<17, _>(|stack, _| {
        let s: LineServer = LineServer::new(stack, LineConfig::default()).unwrap();
        assert_eq!(s.config().backlog, 5);
        drop(s);
        let s: LineServer = LineServer::new(stack, LineConfig::default().with_backlog(15)).unwrap();
        assert_eq!(s.config().backlog, 15);
        drop(s);
        let s: LineServer = LineServer::new(stack, LineConfig::default().with_backlog(16)).unwrap();
        assert_eq!(s.config().backlog, 15);
        drop(s);
        let s: LineServer = LineServer::new(stack, LineConfig::default().with_backlog(0)).unwrap();
        assert_eq!(s.config().backlog, 1, "listen(0) means 1, as Linux");
    });
}
