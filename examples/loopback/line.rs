//! The line server and its clients on one loopback stack, in one thread: the
//! server is poll-driven (as in super-loop firmware) and time is simulated,
//! so the 5 s idle timeout takes no time at all.

use smolsock::line::{CloseReason, Line, LineConfig, LineHandler, LineServer, SessionInfo};
use smolsock::smoltcp::phy::{Loopback, Medium};
use smolsock::smoltcp::time::Duration;
use smolsock::{Clock, Config, Domain, SimClock, Socket, Stack, StackResources, Type};

/// Shows what the server prints (the `line_server` example's stdout).
struct Show;

impl LineHandler for Show {
    fn line(&mut self, _: &SessionInfo, line: Line<'_>) {
        println!(
            "    server prints: {}",
            String::from_utf8_lossy(line.as_bytes())
        );
    }
    fn closed(&mut self, s: &SessionInfo, why: CloseReason) {
        println!(
            "    server prints: ----------------   (connection {} closed: {why:?})",
            s.id
        );
    }
}

/// Let the network and the server run for `ms` simulated milliseconds.
fn run_for(stack: &Stack<'_>, clock: &SimClock, server: &mut LineServer<'_, '_>, ms: u64) {
    for _ in 0..ms.div_ceil(10) {
        stack.poll(clock.now());
        server.poll(&mut Show).expect("server poll");
        clock.advance(Duration::from_millis(10));
    }
    stack.poll(clock.now());
    server.poll(&mut Show).expect("server poll");
}

fn connect<'s, 'a>(stack: &'s Stack<'a>, name: &str) -> Socket<'s, 'a> {
    let c = Socket::new(stack, Domain::IPV4, Type::STREAM).expect("socket");
    c.connect("127.0.0.1:10001".parse().expect("address"))
        .expect("connect");
    println!("client {name} connects");
    c
}

fn send(c: &Socket<'_, '_>, name: &str, data: &[u8]) {
    println!("client {name} sends {:?}", String::from_utf8_lossy(data));
    c.send_all(data).expect("send");
}

pub fn run() {
    println!("== line server on loopback 127.0.0.1:10001 (simulated clock) ==");
    let clock = SimClock::new();
    let mut dev = super::capture(Loopback::new(Medium::Ip));
    let mut res = Box::new(StackResources::<12, 2048>::new());
    let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
    let mut server: LineServer = LineServer::new(&stack, LineConfig::default()).expect("listen");
    let settle = |server: &mut LineServer<'_, '_>| run_for(&stack, &clock, server, 50);

    let a = connect(&stack, "A");
    settle(&mut server);
    let b = connect(&stack, "B");
    send(&b, "B", b"I waited in the backlog\r\n");
    settle(&mut server);
    println!("  (one client at a time, like the seed: B waits, its line is kept)");
    send(&a, "A", b"hello, server\r\n  spaces around  \r\nhalf a li");
    settle(&mut server);
    send(&a, "A", b"ne\r\n");
    settle(&mut server);
    send(&a, "A", b"disconnect\r\n");
    settle(&mut server);

    println!("client B says nothing more; 5 simulated seconds pass");
    run_for(&stack, &clock, &mut server, 5000);

    let c = connect(&stack, "C");
    settle(&mut server);
    send(&c, "C", b"no newline at the end, then EOF");
    c.shutdown(smolsock::Shutdown::Write).expect("shutdown");
    settle(&mut server);

    let d = connect(&stack, "D");
    send(&d, "D", b"bye\r\nstop\r\n");
    settle(&mut server);
    println!(
        "server stopped: {}; {} ms of simulated time",
        server.is_stopped(),
        clock.now().total_millis()
    );
}
