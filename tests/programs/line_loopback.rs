//! The line server on smoltcp's Loopback with the simulated clock: commands,
//! idle timeout to the tick, EOF, partial and overlong lines, binary data,
//! backlog queueing, several sessions, and `stop` while clients wait.

use crate::common;
use common::*;
use smolsock::line::{CloseReason, Event, LineConfig, LineServer, Status};
use smolsock::Clock;
use smoltcp::time::{Duration, Instant};

const SEP: &str = "----------------";

/// Records what the server reported, and what the example would print.
#[derive(Default)]
struct Rec {
    /// Lines as printed (lossy UTF-8) and separators.
    printed: Vec<String>,
    /// Raw line bytes.
    raw: Vec<Vec<u8>>,
    /// (session id, event) in order.
    events: Vec<(u32, String)>,
    /// Close reasons in order, with the time of the close.
    closes: Vec<(u32, CloseReason)>,
}

impl Rec {
    fn handler(&mut self) -> impl FnMut(Event<'_>) + '_ {
        move |e| match e {
            Event::Opened(s) => self.events.push((s.id, "open".into())),
            Event::Line(s, l) => {
                let text = String::from_utf8_lossy(l.as_bytes()).into_owned();
                self.events.push((s.id, format!("line {text}")));
                self.printed.push(text);
                self.raw.push(l.as_bytes().to_vec());
            }
            Event::Closed(s, why) => {
                self.events.push((s.id, format!("closed {why:?}")));
                self.printed.push(SEP.into());
                self.closes.push((s.id, why));
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

/// Let the stack's timers run for a moment: with Nagle on the client and a
/// delayed ACK on the server (smoltcp's defaults), a second small segment
/// waits for the first one's ACK, which comes after the ACK delay.
fn tick(stack: &Stack<'_>, clock: &SimClock) {
    clock.advance(Duration::from_millis(20));
    stack.poll(clock.now());
}

/// `send_all`, then let it reach the server.
#[track_caller]
fn say(c: &Socket<'_, '_>, clock: &SimClock, data: &[u8]) {
    c.send_all(data).unwrap();
    tick(c.stack(), clock);
}

#[track_caller]
fn server<'s, 'a>(stack: &'s Stack<'a>) -> LineServer<'s, 'a> {
    LineServer::new(stack, LineConfig::default()).expect("line server")
}

#[track_caller]
fn poll(server: &mut LineServer<'_, '_>, rec: &mut Rec) -> Status {
    server.poll(&mut rec.handler()).expect("poll")
}

#[test]
fn defaults_are_the_seeds() {
    let c = LineConfig::default();
    assert_eq!(c.port, 10001);
    assert_eq!(c.backlog, 5);
    assert_eq!(c.idle_timeout, Some(core::time::Duration::from_secs(5)));
    assert_eq!(c.max_sessions, 1);
    assert_eq!(c.max_line, 1024);
}

#[test]
fn lines_are_printed_stripped_and_disconnect_closes() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        say(&c, clock, b"  hello world \r\n\tsecond\n");
        assert_eq!(poll(&mut s, &mut rec), Status::Running);
        say(&c, clock, b"disconnect\r\n");
        assert_eq!(poll(&mut s, &mut rec), Status::Running);
        assert_eq!(rec.printed, ["hello world", "second", SEP]);
        assert_eq!(rec.closes, [(0, CloseReason::Disconnect)]);
        // The server closed its side: the client reads EOF.
        let mut buf = [0u8; 16];
        assert_eq!(c.recv(&mut buf), Ok(0));
        // And the server is still listening.
        let c2 = client(stack, 10001);
        say(&c2, clock, b"again\n");
        poll(&mut s, &mut rec);
        assert_eq!(rec.printed, ["hello world", "second", SEP, "again"]);
    });
}

#[test]
fn lines_after_disconnect_in_the_same_segment_are_not_printed() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        say(&c, clock, b"a\r\ndisconnect\r\nb\r\n");
        poll(&mut s, &mut rec);
        assert_eq!(rec.printed, ["a", SEP]);
        drop(c);
    });
}

#[test]
fn commands_are_exact_and_case_sensitive() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        say(
            &c,
            clock,
            b"STOP\r\n stop\r\nDisconnect\ndisconnect now\r\nstop\r\r\n",
        );
        assert_eq!(poll(&mut s, &mut rec), Status::Running);
        assert_eq!(
            rec.printed,
            ["STOP", "stop", "Disconnect", "disconnect now", "stop"]
        );
        assert_eq!(s.active_sessions(), 1);
        // `\n` alone ends a command too (nc without -C).
        say(&c, clock, b"stop\n");
        assert_eq!(poll(&mut s, &mut rec), Status::Stopped);
        assert_eq!(rec.closes, [(0, CloseReason::Stop)]);
    });
}

#[test]
fn stop_closes_the_connection_and_the_listener() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        say(&c, clock, b"last words\r\nstop\r\n");
        assert_eq!(poll(&mut s, &mut rec), Status::Stopped);
        assert_eq!(rec.printed, ["last words", SEP]);
        assert!(s.is_stopped());
        assert_eq!(poll(&mut s, &mut rec), Status::Stopped);
        let mut buf = [0u8; 8];
        assert_eq!(c.recv(&mut buf), Ok(0));
        // Nobody listens any more.
        let late = tcp(stack);
        assert_eq!(
            late.connect(addr("127.0.0.1:10001")),
            Err(Error::ConnectionRefused)
        );
    });
}

#[test]
fn blocking_run_returns_after_stop() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let a = client(stack, 10001);
        let b = client(stack, 10001);
        say(&a, clock, b"from a\r\n");
        a.shutdown(Shutdown::Write).unwrap();
        say(&b, clock, b"from b\r\nstop\r\n");
        assert_eq!(s.run(&mut rec.handler()), Ok(()));
        assert_eq!(rec.printed, ["from a", SEP, "from b", SEP]);
        assert_eq!(rec.closes, [(0, CloseReason::Eof), (1, CloseReason::Stop)]);
    });
}

#[test]
fn idle_timeout_closes_at_five_seconds_to_the_tick() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        let t0 = clock.now();
        poll(&mut s, &mut rec);
        assert_eq!(s.active_sessions(), 1);
        assert_eq!(
            s.poll_at().map(|t| t <= t0 + Duration::from_secs(5)),
            Some(true)
        );

        clock.set(t0 + Duration::from_secs(5) - Duration::from_micros(1));
        poll(&mut s, &mut rec);
        assert_eq!(s.active_sessions(), 1, "closed before 5 s");
        clock.advance(Duration::from_micros(1));
        poll(&mut s, &mut rec);
        assert_eq!(s.active_sessions(), 0, "still open at 5 s");
        assert_eq!(rec.closes, [(0, CloseReason::IdleTimeout)]);
        assert_eq!(rec.printed, [SEP]);
        let mut buf = [0u8; 8];
        assert_eq!(c.recv(&mut buf), Ok(0));
    });
}

#[test]
fn each_received_byte_restarts_the_idle_timer() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        let t0 = clock.now();
        poll(&mut s, &mut rec);
        clock.set(t0 + Duration::from_secs(4));
        say(&c, clock, b"par"); // no newline: still activity
        poll(&mut s, &mut rec);
        let t1 = clock.now();
        clock.set(t1 + Duration::from_secs(5) - Duration::from_micros(1));
        poll(&mut s, &mut rec);
        assert_eq!(s.active_sessions(), 1);
        clock.advance(Duration::from_micros(1));
        poll(&mut s, &mut rec);
        assert_eq!(s.active_sessions(), 0);
        // The partial line is delivered before the close.
        assert_eq!(rec.printed, ["par", SEP]);
        assert_eq!(rec.closes, [(0, CloseReason::IdleTimeout)]);
    });
}

#[test]
fn blocking_run_sleeps_exactly_until_the_idle_deadline() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let c = client(stack, 10001);
        say(&c, clock, b"hi\n");
        let t0 = clock.now();
        let mut closed_at = None;
        let mut printed = Vec::new();
        let r = s.run(&mut |e: Event<'_>| match e {
            Event::Line(_, l) => printed.push(l.as_bytes().to_vec()),
            Event::Closed(_, why) => {
                assert_eq!(why, CloseReason::IdleTimeout);
                closed_at = Some(clock.now());
            }
            Event::Opened(_) => {}
        });
        // Nothing else can happen: the simulated clock reports a stall.
        assert_eq!(r, Err(Error::Stalled));
        assert_eq!(printed, [b"hi".to_vec()]);
        assert_eq!(closed_at, Some(t0 + Duration::from_secs(5)));
    });
}

#[test]
fn custom_idle_timeout_and_none() {
    with_stack::<16, _>(|stack, clock| {
        let cfg =
            LineConfig::default().with_idle_timeout(Some(core::time::Duration::from_millis(1500)));
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let _c = client(stack, 10001);
        let t0 = clock.now();
        s.poll(&mut rec.handler()).unwrap();
        clock.set(t0 + Duration::from_millis(1500));
        s.poll(&mut rec.handler()).unwrap();
        assert_eq!(rec.closes, [(0, CloseReason::IdleTimeout)]);
        drop(s);

        let cfg = LineConfig::default()
            .with_port(10002)
            .with_idle_timeout(None);
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let _c = client(stack, 10002);
        s.poll(&mut rec.handler()).unwrap();
        clock.advance(Duration::from_secs(3600));
        s.poll(&mut rec.handler()).unwrap();
        assert_eq!(s.active_sessions(), 1);
    });
}

#[test]
fn eof_closes_and_the_partial_last_line_comes_first() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        say(&c, clock, b"one\r\ntwo  ");
        poll(&mut s, &mut rec);
        assert_eq!(rec.printed, ["one"]);
        c.shutdown(Shutdown::Write).unwrap();
        poll(&mut s, &mut rec);
        assert_eq!(rec.printed, ["one", "two", SEP]);
        assert_eq!(rec.closes, [(0, CloseReason::Eof)]);
        let mut buf = [0u8; 8];
        assert_eq!(c.recv(&mut buf), Ok(0));
        // An unterminated "stop" at EOF is a line, not a command.
        let c2 = client(stack, 10001);
        say(&c2, clock, b"stop");
        c2.shutdown(Shutdown::Write).unwrap();
        assert_eq!(poll(&mut s, &mut rec), Status::Running);
        assert_eq!(rec.printed, ["one", "two", SEP, "stop", SEP]);
    });
}

#[test]
fn overlong_lines_come_in_pieces_of_the_limit() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = LineServer::<1, 8>::new(stack, LineConfig::default()).unwrap();
        assert_eq!(s.config().max_line, 8);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        let mut truncated = Vec::new();
        let mut handler = |e: Event<'_>| {
            if let Event::Line(_, l) = e {
                rec.printed
                    .push(String::from_utf8_lossy(l.as_bytes()).into_owned());
                truncated.push(l.is_truncated());
            }
        };
        // 20 bytes: pieces of 8, 8, 4; then a line of exactly 8 (not truncated).
        say(&c, clock, b"0123456789ABCDEFGHIJ\r\n12345678\r\n");
        s.poll(&mut handler).unwrap();
        // Memory does not grow: a long stream without newlines keeps coming out.
        let junk = [b'x'; 1000];
        for _ in 0..20 {
            say(&c, clock, &junk);
            s.poll(&mut handler).unwrap();
        }
        say(&c, clock, b"\n");
        s.poll(&mut handler).unwrap();
        assert_eq!(
            &rec.printed[..4],
            ["01234567", "89ABCDEF", "GHIJ", "12345678"]
        );
        assert_eq!(&truncated[..4], [true, true, true, false]);
        assert_eq!(rec.printed.len(), 4 + 20_000 / 8);
        assert!(rec.printed[4..].iter().all(|p| p == "xxxxxxxx"));
        assert!(truncated[4..].iter().all(|&t| t));
        assert!(core::mem::size_of::<LineServer<'_, '_, 1, 8>>() < 512);
    });
}

#[test]
fn binary_and_nul_bytes_pass_through() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let c = client(stack, 10001);
        say(&c, clock, b"\x00\xff\x00 \r\n \x01\x02\x7f\n\xc3\x28\n");
        poll(&mut s, &mut rec);
        assert_eq!(
            rec.raw,
            [
                b"\x00\xff\x00".to_vec(),
                b"\x01\x02\x7f".to_vec(),
                b"\xc3\x28".to_vec()
            ]
        );
    });
}

#[test]
fn one_session_at_a_time_others_wait_with_their_data() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let a = client(stack, 10001);
        say(&a, clock, b"a1\r\n");
        poll(&mut s, &mut rec);
        // b and c connect and talk while a is served: they wait in the backlog.
        let b = client(stack, 10001);
        say(&b, clock, b"b1\r\nb2\r\n");
        let c = client(stack, 10001);
        say(&c, clock, b"c1\r\n");
        say(&a, clock, b"a2\r\n");
        poll(&mut s, &mut rec);
        say(&b, clock, b"b3\r\n");
        poll(&mut s, &mut rec);
        assert_eq!(rec.printed, ["a1", "a2"]);
        assert_eq!(s.active_sessions(), 1);
        // a leaves: b is served at once, its early lines first, in order.
        say(&a, clock, b"disconnect\r\n");
        poll(&mut s, &mut rec);
        assert_eq!(rec.printed, ["a1", "a2", SEP, "b1", "b2", "b3"]);
        b.shutdown(Shutdown::Write).unwrap();
        poll(&mut s, &mut rec);
        assert_eq!(rec.printed, ["a1", "a2", SEP, "b1", "b2", "b3", SEP, "c1"]);
        let opened: Vec<u32> = rec
            .events
            .iter()
            .filter(|(_, e)| e == "open")
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(opened, [0, 1, 2]);
        drop(c);
    });
}

#[test]
fn n_sessions_are_served_at_once_in_fixed_memory() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default().with_max_sessions(3);
        let mut s = LineServer::<3, 64>::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let a = client(stack, 10001);
        let b = client(stack, 10001);
        let c = client(stack, 10001);
        let d = client(stack, 10001);
        say(&a, clock, b"a1\n");
        say(&b, clock, b"b1\n");
        say(&c, clock, b"c1\n");
        say(&d, clock, b"d1\n");
        s.poll(&mut rec.handler()).unwrap();
        assert_eq!(s.active_sessions(), 3);
        let mut lines: Vec<_> = rec.printed.clone();
        lines.sort();
        assert_eq!(lines, ["a1", "b1", "c1"]);
        // Interleaved lines are attributed to their session.
        say(&c, clock, b"c2\n");
        say(&a, clock, b"a2\n");
        s.poll(&mut rec.handler()).unwrap();
        assert!(rec.events.contains(&(0, "line a2".into())));
        assert!(rec.events.contains(&(2, "line c2".into())));
        // One leaves: d gets its turn.
        say(&b, clock, b"disconnect\n");
        s.poll(&mut rec.handler()).unwrap();
        assert!(rec.events.contains(&(1, "closed Disconnect".into())));
        assert!(rec.events.contains(&(3, "line d1".into())));
        assert_eq!(s.active_sessions(), 3);
        // `stop` from one ends the others too, partial lines first.
        say(&d, clock, b"half");
        s.poll(&mut rec.handler()).unwrap();
        say(&a, clock, b"stop\n");
        assert_eq!(s.poll(&mut rec.handler()), Ok(Status::Stopped));
        assert_eq!(rec.closes[1], (0, CloseReason::Stop));
        let mut rest: Vec<_> = rec.closes[2..].to_vec();
        rest.sort_by_key(|c| c.0);
        assert_eq!(
            rest,
            [
                (2, CloseReason::ServerStopped),
                (3, CloseReason::ServerStopped)
            ]
        );
        assert!(rec.events.contains(&(3, "line half".into())));
        assert_eq!(rec.printed.iter().filter(|p| *p == SEP).count(), 4);
    });
}

#[test]
fn n_sessions_blocking_run() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default().with_max_sessions(2);
        let mut s = LineServer::<2, 64>::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let a = client(stack, 10001);
        let b = client(stack, 10001);
        say(&a, clock, b"a\n");
        say(&b, clock, b"b\nstop\n");
        assert_eq!(s.run(&mut rec.handler()), Ok(()));
        assert!(rec.printed.contains(&"a".to_string()));
        assert!(rec.printed.contains(&"b".to_string()));
        assert_eq!(rec.printed.iter().filter(|p| *p == SEP).count(), 2);
    });
}

#[test]
fn stop_resets_clients_waiting_in_the_backlog() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let a = client(stack, 10001);
        poll(&mut s, &mut rec);
        let b = client(stack, 10001);
        say(&b, clock, b"never printed\r\n");
        let c = client(stack, 10001);
        say(&a, clock, b"stop\r\n");
        assert_eq!(poll(&mut s, &mut rec), Status::Stopped);
        assert_eq!(rec.printed, [SEP]);
        assert_eq!(rec.closes, [(0, CloseReason::Stop)]);
        let mut buf = [0u8; 8];
        assert_eq!(a.recv(&mut buf), Ok(0));
        assert_eq!(b.recv(&mut buf), Err(Error::ConnectionReset));
        assert_eq!(c.recv(&mut buf), Err(Error::ConnectionReset));
    });
}

#[test]
fn backlog_beyond_its_size_is_refused_and_the_server_keeps_serving() {
    with_stack::<16, _>(|stack, clock| {
        let cfg = LineConfig::default().with_backlog(2);
        let mut s: LineServer = LineServer::new(stack, cfg).unwrap();
        let mut rec = Rec::default();
        let a = client(stack, 10001);
        s.poll(&mut rec.handler()).unwrap();
        let _b = client(stack, 10001);
        let _c = client(stack, 10001);
        let d = tcp(stack);
        assert_eq!(
            d.connect(addr("127.0.0.1:10001")),
            Err(Error::ConnectionRefused)
        );
        say(&a, clock, b"still here\n");
        s.poll(&mut rec.handler()).unwrap();
        assert_eq!(rec.printed, ["still here"]);
    });
}

#[test]
fn stop_method_and_poll_at() {
    with_stack::<16, _>(|stack, clock| {
        let mut s = server(stack);
        let mut rec = Rec::default();
        let _a = client(stack, 10001);
        let t0: Instant = clock.now();
        poll(&mut s, &mut rec);
        let at = s.poll_at().expect("an idle deadline");
        assert!(at <= t0 + Duration::from_secs(5));
        s.stop(&mut rec.handler());
        assert!(s.is_stopped());
        assert_eq!(rec.closes, [(0, CloseReason::ServerStopped)]);
        assert_eq!(s.local_addr(), Err(Error::BadDescriptor));
    });
}
