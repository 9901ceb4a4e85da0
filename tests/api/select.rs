//! `Stack::select`: every readiness condition, TCP and UDP, on simulated
//! time with exact instants. Linux's poll(2) is the reference (its
//! `tcp_poll` / `udp_poll`); the kernel pins are at the end.

use crate::common;

use common::act_clock::world;
use common::*;
use core::time::Duration;
use smolsock::{Events, Interest};

const FIVE_S: Option<Duration> = Some(Duration::from_secs(5));

#[test]
fn data_arriving_at_300_ms_wakes_a_5_s_select_at_300_ms() {
    let (stack, clock) = world::<4>();
    let (_l, c, s) = pair(stack, 7001);
    // The socket's own mode does not matter to select.
    s.set_nonblocking(true).unwrap();
    let c: &'static Socket = Box::leak(Box::new(c));
    let start = clock.now();
    clock.at(
        start + smoltcp::time::Duration::from_millis(300),
        move || {
            c.send_all(b"late").unwrap();
        },
    );
    let mut set = [Interest::new(&s, Events::READ)];
    assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
    assert_eq!(
        clock.now(),
        start + smoltcp::time::Duration::from_millis(300)
    );
    assert_eq!(set[0].ready(), Events::READ);
    let mut buf = [0u8; 8];
    assert_eq!(s.recv(&mut buf), Ok(4));
}

#[test]
fn nothing_arriving_returns_zero_at_exactly_5_s() {
    let (stack, clock) = world::<4>();
    let (_l, _c, s) = pair(stack, 7002);
    let start = clock.now();
    let mut set = [Interest::new(&s, Events::READ)];
    assert_eq!(stack.select(&mut set, FIVE_S), Ok(0));
    assert_eq!(clock.now(), start + smoltcp::time::Duration::from_secs(5));
    assert!(set[0].ready().is_empty());
    // A handful of sleeps, not a slice loop.
    assert!(clock.idles.get() <= 3, "{} idle calls", clock.idles.get());
}

#[test]
fn zero_timeout_looks_once_and_none_stalls_on_a_simulated_clock() {
    let (stack, clock) = world::<4>();
    let (_l, _c, s) = pair(stack, 7003);
    let start = clock.now();
    let mut set = [Interest::new(&s, Events::READ)];
    assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(0));
    assert_eq!(clock.now(), start);
    assert_eq!(stack.select(&mut set, None), Err(Error::Stalled));
}

#[test]
fn an_empty_set_with_a_timeout_just_waits() {
    let (stack, clock) = world::<2>();
    let start = clock.now();
    assert_eq!(stack.select(&mut [], Some(Duration::from_secs(2))), Ok(0));
    assert_eq!(clock.now(), start + smoltcp::time::Duration::from_secs(2));
}

#[test]
fn a_connected_socket_is_writable_until_its_send_buffer_is_full() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, _s) = pair(stack, 7004);
        let mut set = [Interest::new(&c, Events::READ | Events::WRITE)];
        assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(1));
        assert_eq!(set[0].ready(), Events::WRITE);
        // The peer never reads: fill its window and our send buffer.
        c.set_nonblocking(true).unwrap();
        let chunk = [7u8; 512];
        while c.send(&chunk).is_ok() {}
        assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(0));
        assert!(set[0].ready().is_empty());
    });
}

#[test]
fn end_of_stream_is_read_and_both_sides_shut_is_hangup() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7005);
        c.shutdown(Shutdown::Write).unwrap();
        let mut set = [Interest::new(&s, Events::READ)];
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
        assert_eq!(set[0].ready(), Events::READ); // EOF, not yet HANGUP
        let mut buf = [0u8; 4];
        assert_eq!(s.recv(&mut buf), Ok(0));
        // Our own shutdown(Write) after the peer's FIN: both directions closed.
        s.shutdown(Shutdown::Write).unwrap();
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
        assert!(set[0].ready().contains(Events::READ | Events::HANGUP));
    });
}

#[test]
fn a_reset_is_read_error_and_hangup_whether_asked_or_not() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 7006);
        c.send_all(b"unread").unwrap();
        stack.poll(stack.now());
        // Closing with unread data resets the peer, as Linux does.
        s.close().unwrap();
        let mut set = [Interest::new(&c, Events::WRITE)];
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
        assert_eq!(
            set[0].ready(),
            Events::WRITE | Events::ERROR | Events::HANGUP
        );
        let mut set = [Interest::new(&c, Events::READ)];
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
        assert_eq!(
            set[0].ready(),
            Events::READ | Events::ERROR | Events::HANGUP
        );
        let mut buf = [0u8; 4];
        assert_eq!(c.recv(&mut buf), Err(Error::ConnectionReset));
    });
}

#[test]
fn a_listener_plus_5_connections_in_one_set() {
    with_stack::<16, _>(|stack, _| {
        let l = listener(stack, 7007, 6);
        let clients: Vec<_> = (0..6).map(|_| tcp(stack)).collect();
        for c in &clients[..5] {
            c.connect(addr("127.0.0.1:7007")).unwrap();
        }
        let conns: Vec<_> = (0..5).map(|_| l.accept().unwrap().0).collect();
        let mut set: Vec<Interest> = std::iter::once(Interest::new(&l, Events::READ))
            .chain(conns.iter().map(|s| Interest::new(s, Events::READ)))
            .collect();
        assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(0));

        clients[3].send_all(b"x").unwrap();
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
        let ready: Vec<usize> = (0..6).filter(|k| !set[*k].ready().is_empty()).collect();
        assert_eq!(ready, [4]);

        // A sixth connection waiting: the listener is readable too.
        clients[5].set_nonblocking(true).unwrap();
        let _ = clients[5].connect(addr("127.0.0.1:7007"));
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(2));
        assert_eq!(set[0].ready(), Events::READ);
        assert_eq!(set[4].ready(), Events::READ);
        assert!(l.accept().is_ok());
    });
}

#[test]
fn sixty_four_sockets_in_one_set() {
    with_stack_buf::<66, 256, _>(|stack, _| {
        let socks: Vec<_> = (0..64)
            .map(|k| {
                let u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
                u.bind(addr(&format!("127.0.0.1:{}", 8000 + k))).unwrap();
                u
            })
            .collect();
        let mut set: Vec<Interest> = socks
            .iter()
            .map(|s| Interest::new(s, Events::READ))
            .collect();
        assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(0));
        let sender = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        sender.send_to(b"to 41", addr("127.0.0.1:8041")).unwrap();
        sender.send_to(b"to 63", addr("127.0.0.1:8063")).unwrap();
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(2));
        let ready: Vec<usize> = (0..64).filter(|k| !set[*k].ready().is_empty()).collect();
        assert_eq!(ready, [41, 63]);
    });
}

#[test]
fn udp_read_with_a_datagram_waiting_and_write_with_room() {
    with_stack::<4, _>(|stack, _| {
        let a = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        a.bind(addr("127.0.0.1:9001")).unwrap();
        let b = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        let mut set = [Interest::new(&a, Events::READ | Events::WRITE)];
        assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(1));
        assert_eq!(set[0].ready(), Events::WRITE);
        b.send_to(b"d", addr("127.0.0.1:9001")).unwrap();
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
        assert_eq!(set[0].ready(), Events::READ | Events::WRITE);
        let mut set = [Interest::new(&a, Events::READ)];
        assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(1));
        let mut buf = [0u8; 4];
        assert_eq!(a.recv(&mut buf), Ok(1));
        assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(0));
    });
}

#[test]
fn a_non_blocking_connect_to_a_closed_port_is_writable_with_so_error_refused() {
    with_stack::<4, _>(|stack, _| {
        let c = tcp(stack);
        c.set_nonblocking(true).unwrap();
        assert_eq!(c.connect(addr("127.0.0.1:7999")), Err(Error::WouldBlock));
        let mut set = [Interest::new(&c, Events::WRITE)];
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
        assert!(set[0].ready().contains(Events::WRITE | Events::ERROR));
        assert_eq!(c.take_error(), Ok(Some(Error::ConnectionRefused)));
        assert_eq!(c.take_error(), Ok(None));
    });
}

#[test]
fn a_non_blocking_connect_that_succeeds_is_writable_without_error() {
    with_stack::<4, _>(|stack, _| {
        let l = listener(stack, 7008, 1);
        let c = start_connect(stack, 7008);
        let mut set = [Interest::new(&c, Events::WRITE)];
        assert_eq!(stack.select(&mut set, FIVE_S), Ok(1));
        assert_eq!(set[0].ready(), Events::WRITE);
        assert_eq!(c.take_error(), Ok(None));
        assert!(l.accept().is_ok());
    });
}

#[test]
fn a_closed_handle_in_the_set_is_bad_descriptor() {
    with_stack::<4, _>(|stack, _| {
        let a = tcp(stack);
        let b = tcp(stack);
        b.close().unwrap();
        let mut set = [
            Interest::new(&a, Events::READ),
            Interest::new(&b, Events::READ),
        ];
        assert_eq!(stack.select(&mut set, FIVE_S), Err(Error::BadDescriptor));
    });
}

#[test]
fn a_socket_of_another_stack_is_invalid_input() {
    let (stack, _) = world::<2>();
    let (other, _) = world::<2>();
    let a = tcp(other);
    let mut set = [Interest::new(&a, Events::READ)];
    assert_eq!(stack.select(&mut set, FIVE_S), Err(Error::InvalidInput));
}

// ---- the line server waits with select ----------------------------------------

use smolsock::line::{Event, LineConfig, LineServer};

/// `Clock::idle` calls while `n` sessions of a 5-session line server sit idle
/// for 4 s (then a client sends `stop`).
fn line_server_idle_calls(n: usize) -> u32 {
    let (stack, clock) = world::<16>();
    let config = LineConfig::default()
        .with_port(7100)
        .with_max_sessions(5)
        .with_idle_timeout(Some(Duration::from_secs(10)));
    let mut server: LineServer<5> = LineServer::new(stack, config).unwrap();
    let clients: &'static Vec<Socket> = Box::leak(Box::new((0..n).map(|_| tcp(stack)).collect()));
    for c in clients {
        c.set_nonblocking(true).unwrap();
        let _ = c.connect(addr("127.0.0.1:7100"));
        stack.poll(stack.now());
        c.send_all(b"hello\r\n").unwrap();
    }
    let mut lines = 0;
    let mut closed = 0;
    let mut handler = |e: Event<'_>| match e {
        Event::Line(..) => lines += 1,
        Event::Closed(..) => closed += 1,
        Event::Opened(_) => {}
    };
    // Serve what is there, then sit idle until the stop comes at +4 s.
    let start = clock.now();
    clock.at(start + smoltcp::time::Duration::from_secs(4), move || {
        clients[0].send_all(b"stop\r\n").unwrap();
    });
    let before = clock.idles.get();
    server.run(&mut handler).unwrap();
    assert_eq!(clock.now(), start + smoltcp::time::Duration::from_secs(4));
    assert_eq!((lines, closed), (n, n));
    clock.idles.get() - before
}

#[test]
fn the_line_server_sleeps_through_idle_sessions_in_a_handful_of_idle_calls() {
    for n in [1, 2, 5] {
        let idles = line_server_idle_calls(n);
        println!("line server, {n} of 5 sessions idle for 4 s: {idles} Clock::idle calls");
        // A handful, not one per 10 ms slice (400 before `select`).
        assert!(idles <= 3, "{n} sessions: {idles} idle calls");
    }
}

// ---- what the kernel does (socket2 + poll(2) on 127.0.0.1) ----------------------

/// Pins: a non-blocking connect to a closed port on Linux polls as
/// `POLLOUT | POLLERR | POLLHUP` (and readable to `select`), and `SO_ERROR`
/// then says `ECONNREFUSED`, once.
#[test]
fn linux_refused_non_blocking_connect_is_writable_with_so_error() {
    use socket2::{Domain, Socket, Type};
    use std::os::fd::AsRawFd;
    // A port nobody listens on: bind one, keep it unlistened.
    let hold = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    hold.bind(
        &"127.0.0.1:0"
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into(),
    )
    .unwrap();
    let to = hold.local_addr().unwrap();
    let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    c.set_nonblocking(true).unwrap();
    let _ = c.connect(&to); // EINPROGRESS or ECONNREFUSED at once
    let mut p = libc::pollfd {
        fd: c.as_raw_fd(),
        events: libc::POLLIN | libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, bounded wait (2 s).
    #[allow(unsafe_code)]
    let n = unsafe { libc::poll(&mut p, 1, 2000) };
    assert_eq!(n, 1);
    let want = libc::POLLOUT | libc::POLLERR | libc::POLLHUP;
    assert_eq!(p.revents & want, want, "revents {:#x}", p.revents);
    let e = c.take_error().unwrap().expect("SO_ERROR set");
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(c.take_error().unwrap().is_none());
}

// ---- async: readable, writable, select_async on the per-slot wakers ------------

mod asynch {
    use super::common::async_util::{async_listener, connect_pair};
    use super::common::sim_exec::{block_on_sim, sleep_ms};
    use super::common::*;
    use super::FIVE_S;
    use core::time::Duration;
    use futures_util::future::join;
    use smolsock::{Events, Interest};
    use smoltcp::time::Duration as SmolDuration;

    #[test]
    fn select_async_wakes_at_300_ms_for_data_and_returns_zero_at_5_s() {
        with_stack::<6, _>(|stack, clock| {
            let l = async_listener(stack, 7501, 1);
            block_on_sim(stack, clock, async {
                let (c, s) = connect_pair(&l, 7501).await;
                let start = clock.now();
                let sender = async {
                    sleep_ms(clock, 300).await;
                    c.send_all(b"late").await.unwrap();
                };
                let waiter = async {
                    let mut set = [Interest::new(s.as_blocking(), Events::READ)];
                    let n = stack.select_async(&mut set, FIVE_S).await;
                    (n, set[0].ready(), clock.now())
                };
                let ((), (n, ready, at)) = join(sender, waiter).await;
                assert_eq!(n, Ok(1));
                assert_eq!(ready, Events::READ);
                assert_eq!(at, start + SmolDuration::from_millis(300));
                let mut buf = [0u8; 8];
                assert_eq!(s.recv(&mut buf).await, Ok(4));

                let start = clock.now();
                let mut set = [Interest::new(s.as_blocking(), Events::READ)];
                assert_eq!(stack.select_async(&mut set, FIVE_S).await, Ok(0));
                assert_eq!(clock.now(), start + SmolDuration::from_secs(5));
                assert!(set[0].ready().is_empty());
                // An empty set just waits.
                let start = clock.now();
                let empty: &mut [Interest] = &mut [];
                assert_eq!(
                    stack
                        .select_async(empty, Some(Duration::from_secs(2)))
                        .await,
                    Ok(0)
                );
                assert_eq!(clock.now(), start + SmolDuration::from_secs(2));
            });
        });
    }

    #[test]
    fn readable_resolves_when_data_or_eof_comes_and_writable_with_room() {
        with_stack::<6, _>(|stack, clock| {
            let l = async_listener(stack, 7502, 1);
            block_on_sim(stack, clock, async {
                let (c, s) = connect_pair(&l, 7502).await;
                assert_eq!(c.writable().await, Ok(()));
                let start = clock.now();
                let sender = async {
                    sleep_ms(clock, 120).await;
                    c.send_all(b"x").await.unwrap();
                };
                let ((), r) = join(sender, s.readable()).await;
                assert_eq!(r, Ok(()));
                assert_eq!(clock.now(), start + SmolDuration::from_millis(120));
                // Readable only signals: the byte is still there.
                let mut buf = [0u8; 4];
                assert_eq!(s.recv(&mut buf).await, Ok(1));
                c.shutdown(Shutdown::Write).unwrap();
                assert_eq!(s.readable().await, Ok(()));
                assert_eq!(s.recv(&mut buf).await, Ok(0));
            });
        });
    }

    #[test]
    fn writable_reports_a_refused_non_blocking_connect() {
        with_stack::<4, _>(|stack, clock| {
            block_on_sim(stack, clock, async {
                let c =
                    smolsock::asynch::AsyncSocket::new(stack, Domain::IPV4, Type::STREAM).unwrap();
                c.set_nonblocking(true).unwrap();
                assert_eq!(
                    c.connect(addr("127.0.0.1:7599")).await,
                    Err(Error::WouldBlock)
                );
                assert_eq!(c.writable().await, Ok(()));
                assert_eq!(
                    c.as_blocking().take_error(),
                    Ok(Some(Error::ConnectionRefused))
                );
            });
        });
    }
}

/// Pins: a TCP socket that never connected polls on Linux as
/// `POLLOUT | POLLHUP` (readable and writable to `select`); ours reports
/// READ | WRITE | HANGUP.
#[test]
fn linux_a_fresh_tcp_socket_is_writable_and_hung_up() {
    use std::os::fd::AsRawFd;
    let k = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let mut p = libc::pollfd {
        fd: k.as_raw_fd(),
        events: libc::POLLIN | libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    #[allow(unsafe_code)]
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    assert_eq!(n, 1);
    assert_eq!(p.revents, libc::POLLOUT | libc::POLLHUP);
    with_stack::<2, _>(|stack, _| {
        let s = tcp(stack);
        let mut set = [Interest::new(&s, Events::READ | Events::WRITE)];
        assert_eq!(stack.select(&mut set, Some(Duration::ZERO)), Ok(1));
        assert_eq!(
            set[0].ready(),
            Events::READ | Events::WRITE | Events::HANGUP
        );
    });
}
