//! The data calls' fast paths (no stack poll while bytes are buffered or
//! room is free), the line server's in-place framing, and UDP-capable slots.

use crate::common;
use common::*;
use smolsock::line::{CloseReason, Line, LineConfig, LineHandler, LineServer, SessionInfo};
use smolsock::Clock;

/// Client sends (non-blocking) and everyone polls until nothing more fits:
/// the receiver's buffer and the sender's are both full. Returns bytes queued.
fn fill(stack: &Stack<'_>, clock: &SimClock, c: &Socket<'_, '_>) -> usize {
    c.set_nonblocking(true).unwrap();
    let mut sent = 0;
    for _ in 0..100 {
        match c.send(&[7u8; 512]) {
            Ok(n) => sent += n,
            Err(Error::WouldBlock) => {}
            Err(e) => panic!("send: {e:?}"),
        }
        stack.poll(clock.now());
    }
    sent
}

#[test]
fn a_reader_that_drains_a_full_window_unblocks_the_sender() {
    with_stack_buf::<4, 2048, _>(|stack, clock| {
        let (_l, c, s) = pair(stack, 7300);
        // The window is closed: 2048 bytes wait in the receiver, 2048 in the sender.
        assert_eq!(fill(stack, clock, &c), 4096);
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4096];
        // Buffered bytes come back without running the stack...
        assert_eq!(s.recv(&mut buf), Ok(2048));
        // ...and the reopened window is due at once (firmware sleeping
        // until `poll_at` wakes now), and goes out with the next poll.
        assert!(stack.poll_at().is_some_and(|t| t <= clock.now()));
        stack.poll(clock.now());
        assert_eq!(s.recv_with(|d| d.len()), Ok(2048));
        // A blocking sender is unblocked by the reader: its wait loop polls.
        c.set_timeout(Some(core::time::Duration::from_secs(1)))
            .unwrap();
        c.send_all(&[8u8; 2048]).unwrap();
        stack.poll(clock.now());
        let mut got = 0;
        while got < 2048 {
            got += s.recv(&mut buf).unwrap();
        }
        assert_eq!(
            buf[..got.min(4096)].iter().filter(|&&b| b == 8).count(),
            got
        );
    });
}

#[test]
fn buffered_bytes_come_before_the_reset_and_the_eof_sticks() {
    with_stack::<8, _>(|stack, clock| {
        let (_l, c, s) = pair(stack, 7301);
        c.send_all(b"abc").unwrap();
        s.send_all(b"unread").unwrap();
        stack.poll(clock.now());
        // The client closes with unread data: RST.
        drop(c);
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Ok(3));
        assert_eq!(s.recv(&mut buf), Err(Error::ConnectionReset));

        let (_l2, c, s) = pair(stack, 7302);
        c.send_all(b"xy").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(s.recv(&mut buf), Ok(2));
        assert_eq!(s.recv(&mut buf), Ok(0));
        assert_eq!(s.recv(&mut buf), Ok(0));
    });
}

#[test]
fn a_timeout_still_holds_when_nothing_is_buffered() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, c, s) = pair(stack, 7303);
        c.send_all(b"a").unwrap();
        s.set_timeout(Some(core::time::Duration::from_millis(300)))
            .unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(s.recv(&mut buf), Ok(1));
        let t0 = clock.now();
        assert_eq!(s.recv(&mut buf), Err(Error::TimedOut));
        assert_eq!(clock.now() - t0, smoltcp::time::Duration::from_millis(300));
    });
}

#[test]
fn udp_sockets_beyond_the_udp_capable_count_are_no_buffer_space() {
    let clock = SimClock::new();
    let mut dev = smoltcp::phy::Loopback::new(smoltcp::phy::Medium::Ip);
    let mut res = Box::new(StackResources::<5, 1024, 1>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).unwrap();
    let u = Socket::new(&stack, Domain::IPV4, Type::DGRAM).unwrap();
    assert_eq!(
        Socket::new(&stack, Domain::IPV4, Type::DGRAM).err(),
        Some(Error::NoBufferSpace)
    );
    // The TCP slots are all there.
    let t: Vec<_> = (0..3).map(|_| tcp(&stack)).collect();
    assert_eq!(t.len(), 3);
    // A closed UDP socket's slot is UDP again for the next one.
    drop(u);
    let u = Socket::new(&stack, Domain::IPV4, Type::DGRAM).unwrap();
    u.bind(addr("127.0.0.1:5300")).unwrap();
    u.send_to(b"hi", addr("127.0.0.1:5300")).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(u.recv_from(&mut buf).map(|(n, _)| n), Ok(2));
}

/// Records lines; tries a stack call from inside `line`.
struct Probe<'s, 'a, const IN_PLACE: bool> {
    stack: &'s Stack<'a>,
    lines: Vec<Vec<u8>>,
    stats: Vec<bool>,
    closed: Option<CloseReason>,
}

impl<const IN_PLACE: bool> LineHandler for Probe<'_, '_, IN_PLACE> {
    const LINES_IN_PLACE: bool = IN_PLACE;
    fn line(&mut self, _s: &SessionInfo, line: Line<'_>) {
        self.lines.push(line.as_bytes().to_vec());
        self.stats.push(self.stack.stats().is_ok());
    }
    fn closed(&mut self, _s: &SessionInfo, why: CloseReason) {
        self.closed = Some(why);
    }
}

fn serve_with<const IN_PLACE: bool>() -> Probe<'static, 'static, IN_PLACE> {
    // Leaked so the probe can outlive this function's stack borrow in the result.
    let clock: &'static SimClock = Box::leak(Box::new(SimClock::new()));
    let dev = Box::leak(Box::new(smoltcp::phy::Loopback::new(
        smoltcp::phy::Medium::Ip,
    )));
    let res = Box::leak(Box::new(StackResources::<8, 4096>::new()));
    let stack: &'static Stack<'static> = Box::leak(Box::new(
        Stack::new(dev, clock, res, Config::loopback()).unwrap(),
    ));
    let mut server: LineServer = LineServer::new(stack, LineConfig::default()).unwrap();
    let c = start_connect(stack, 10001);
    stack.poll(clock.now());
    let mut data = Vec::new();
    for i in 0..300 {
        data.extend_from_slice(format!(" line {i} \r\n").as_bytes());
    }
    data.extend_from_slice(b"tail");
    c.set_nonblocking(false).unwrap();
    c.send_all(&data).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let mut probe = Probe {
        stack,
        lines: vec![],
        stats: vec![],
        closed: None,
    };
    for _ in 0..100 {
        stack.poll(clock.now());
        server.poll(&mut probe).unwrap();
        if probe.closed.is_some() {
            break;
        }
    }
    probe
}

#[test]
fn lines_in_place_and_copied_are_the_same_and_only_in_place_is_busy() {
    let a = serve_with::<true>();
    let b = serve_with::<false>();
    let mut want: Vec<Vec<u8>> = (0..300).map(|i| format!("line {i}").into_bytes()).collect();
    want.push(b"tail".to_vec());
    assert_eq!(a.lines, want);
    assert_eq!(b.lines, want);
    assert_eq!(a.closed, Some(CloseReason::Eof));
    assert_eq!(b.closed, Some(CloseReason::Eof));
    // In place, `line` runs while the stack is borrowed: a stack call there
    // is Busy (except for the partial line delivered at close, outside it).
    assert!(a.stats[..300].iter().all(|ok| !ok));
    assert!(b.stats.iter().all(|ok| *ok));
}
