//! The async front end's wakers, on an executor that polls only what was
//! woken (a missing wake-up stalls the test instead of being papered over by
//! a poll that happened anyway): the accept of a listener with a backlog,
//! a reader and a writer on one socket, shutdown and close of a socket a
//! future waits on, cancelled futures (recv, resolve), no spinning while
//! everything waits, and async calls made where the stack is borrowed.
use crate::common;
use common::async_util::{async_listener, connect_pair, stream};
use common::sim_exec::{block_on_sim, block_on_sim_counted, sleep_ms, Counts, Mode};
use common::*;
use futures_util::future::{select, Either};
use futures_util::FutureExt;
use smolsock::asynch::AsyncSocket;
use smolsock::ResolveError;
use smoltcp::phy::{Loopback, Medium};
use smoltcp::wire::IpAddress;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

/// Run `fut` polling only what was woken.
#[track_caller]
fn run_woken<F: Future>(stack: &Stack<'_>, clock: &SimClock, fut: F) -> F::Output {
    block_on_sim_counted(stack, clock, Mode::PollWoken, fut).0
}

fn ms_since(clock: &SimClock, t0: smoltcp::time::Instant) -> i64 {
    (clock.now() - t0).total_millis() as i64
}

#[test]
fn a_waiting_accept_wakes_for_each_backlog_member_that_connects() {
    with_stack::<16, _>(|stack, clock| {
        let l = async_listener(stack, 13001, 3);
        let clients: Vec<_> = (0..5).map(|_| stream(stack)).collect();
        run_woken(stack, clock, async {
            let t0 = clock.now();
            let acceptor = async {
                let mut got = Vec::new();
                for _ in 0..clients.len() {
                    let (s, peer) = l.accept().await.unwrap();
                    got.push((peer, ms_since(clock, t0), s));
                }
                got
            };
            // One client at 300 ms, one at 400 ms, then three at once at 500 ms
            // (three members of the backlog complete together).
            let connector = async {
                sleep_ms(clock, 300).await;
                let (first, rest) = clients.split_at(2);
                for c in first {
                    c.connect(addr("127.0.0.1:13001")).await.unwrap();
                    sleep_ms(clock, 100).await;
                }
                let r = futures_util::future::join_all(
                    rest.iter().map(|c| c.connect(addr("127.0.0.1:13001"))),
                )
                .await;
                assert!(r.iter().all(|r| r.is_ok()), "{r:?}");
            };
            let (got, ()) = futures_util::future::join(acceptor, connector).await;
            let peers: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
            assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), peers);
            // Each accepted when its handshake completed, not at a later timer.
            let times: Vec<_> = got.iter().map(|g| g.1).collect();
            assert_eq!(times, [300, 400, 500, 500, 500]);
        });
    });
}

#[test]
fn a_reader_and_a_writer_on_one_socket_both_progress() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 13002, 1);
        run_woken(stack, clock, async {
            let (c, s) = connect_pair(&l, 13002).await;
            let big = vec![5u8; 8 * 1024];
            let mut buf = [0u8; 16];
            // The server reads and writes at once: its write needs the
            // client to read, its read needs the client to write after.
            let reader = s.recv(&mut buf);
            let writer = s.send_all(&big);
            let client = async {
                let mut got = 0;
                let mut chunk = [0u8; 1024];
                while got < big.len() {
                    sleep_ms(clock, 50).await;
                    let n = c.recv(&mut chunk).await.unwrap();
                    assert!(n > 0);
                    got += n;
                }
                c.send_all(b"done").await.unwrap();
                got
            };
            let (r, w, got) = futures_util::future::join3(reader, writer, client).await;
            assert_eq!(w, Ok(()));
            assert_eq!(r, Ok(4));
            assert_eq!(got, big.len());
            assert_eq!(&buf[..4], b"done");
        });
    });
}

#[test]
fn shutdown_read_wakes_a_waiting_reader_with_eof() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 13003, 1);
        run_woken(stack, clock, async {
            let (_c, s) = connect_pair(&l, 13003).await;
            let t0 = clock.now();
            let mut buf = [0u8; 8];
            let (r, ()) = futures_util::future::join(s.recv(&mut buf), async {
                sleep_ms(clock, 1000).await;
                s.shutdown(Shutdown::Read).unwrap();
            })
            .await;
            assert_eq!(r, Ok(0));
            assert_eq!(ms_since(clock, t0), 1000);
            assert_eq!(s.recv(&mut buf).await, Ok(0), "and stays at EOF");
        });
    });
}

#[test]
fn closing_the_handle_under_a_waiting_recv_is_bad_descriptor() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 13004, 1);
        let before = stack.stats().unwrap();
        run_woken(stack, clock, async {
            let (c, s) = connect_pair(&l, 13004).await;
            assert_eq!(stack.stats().unwrap().user, before.user + 2);
            let t0 = clock.now();
            let mut buf = [0u8; 8];
            let (r, ()) = futures_util::future::join(s.recv(&mut buf), async {
                sleep_ms(clock, 1000).await;
                s.close().unwrap();
            })
            .await;
            assert_eq!(r, Err(Error::BadDescriptor));
            assert_eq!(ms_since(clock, t0), 1000);
            assert_eq!(s.send(b"x").await, Err(Error::BadDescriptor));
            assert_eq!(
                stack.stats().unwrap().user,
                before.user + 1,
                "the slot is free"
            );
            // The peer sees the close.
            assert_eq!(c.recv(&mut buf).await, Ok(0));
        });
    });
}

#[test]
fn a_dropped_recv_leaves_the_socket_usable() {
    with_stack::<6, _>(|stack, clock| {
        let l = async_listener(stack, 13005, 1);
        let (_, counts) = block_on_sim_counted(stack, clock, Mode::PollWoken, async {
            let (c, s) = connect_pair(&l, 13005).await;
            let mut buf = [0u8; 16];
            // A recv that loses a race against a timer is dropped mid-wait.
            match select(pin!(s.recv(&mut buf)), pin!(sleep_ms(clock, 500))).await {
                Either::Left((r, _)) => panic!("nothing was sent, got {r:?}"),
                Either::Right(((), _)) => {}
            }
            // Its stale waker neither loses data nor wakes anything forever.
            sleep_ms(clock, 500).await;
            c.send_all(b"after").await.unwrap();
            let n = s.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"after");
            s.set_timeout(Some(Duration::from_secs(1))).unwrap();
            assert_eq!(s.recv(&mut buf).await, Err(Error::TimedOut));
        });
        assert!(counts.rounds < 100, "{counts:?}");
    });
}

/// Wait 10 s for a byte that never comes, beside another task that wakes
/// every second (`ticks`) and a pair that exchanges a message every second
/// (`chatter`: the runner sees packets and wakes every waiting future); the
/// run's cost.
fn wait_10s(mode: Mode, ticks: bool, chatter: bool) -> Counts {
    with_stack::<8, _>(|stack, clock| {
        let l = async_listener(stack, 13006, 1);
        let (c, s) = block_on_sim(stack, clock, connect_pair(&l, 13006));
        let (c2, s2) = block_on_sim(stack, clock, connect_pair(&l, 13006));
        s.set_timeout(Some(Duration::from_secs(10))).unwrap();
        let t0 = clock.now();
        let (r, counts) = block_on_sim_counted(stack, clock, mode, async {
            let mut buf = [0u8; 8];
            let ticker = async {
                if !ticks && !chatter {
                    return;
                }
                for _ in 0..9 {
                    sleep_ms(clock, 1000).await;
                    if chatter {
                        c2.send_all(b"tick").await.unwrap();
                        let mut b = [0u8; 4];
                        assert_eq!(s2.recv(&mut b).await, Ok(4));
                    }
                }
            };
            futures_util::future::join(s.recv(&mut buf), ticker).await.0
        });
        assert_eq!(r, Err(Error::TimedOut));
        assert_eq!(ms_since(clock, t0), 10_000);
        drop(c);
        counts
    })
}

#[test]
fn waiting_10_s_costs_a_bounded_number_of_runner_iterations() {
    let counts = wait_10s(Mode::PollWoken, false, false);
    eprintln!("idle, poll woken: {counts:?}");
    assert!(counts.runner_loops < 10, "{counts:?}");
    assert!(counts.rounds < 10, "{counts:?}");
    assert!(counts.fires <= 2, "{counts:?}");
    // Nine packet exchanges on another pair meanwhile: a few iterations each.
    let counts = wait_10s(Mode::PollWoken, false, true);
    eprintln!("chatter, poll woken: {counts:?}");
    assert!(counts.runner_loops < 50, "{counts:?}");
    assert!(counts.rounds < 100, "{counts:?}");
}

#[test]
fn an_executor_that_polls_everything_on_any_wake_does_not_spin() {
    // Every wake-up of any task re-polls the waiting recv: it must not
    // wake the runner each time it looks (which would wake it back).
    for (ticks, chatter) in [(false, false), (true, false), (false, true)] {
        let counts = wait_10s(Mode::PollAll, ticks, chatter);
        eprintln!("ticks {ticks}, chatter {chatter}, poll all: {counts:?}");
        assert!(counts.runner_loops < 50, "{counts:?}");
        assert!(counts.rounds < 100, "{counts:?}");
    }
}

#[test]
fn async_calls_where_the_stack_is_borrowed_are_busy() {
    with_stack::<8, _>(|stack, clock| {
        let l = async_listener(stack, 13007, 1);
        let (c, s) = block_on_sim(stack, clock, connect_pair(&l, 13007));
        let fresh = stream(stack);
        block_on_sim(stack, clock, c.send_all(b"ping")).unwrap();
        for timeout in [None, Some(Duration::ZERO), Some(Duration::from_secs(1))] {
            for sock in [&c, &s, &l, &fresh] {
                sock.set_timeout(timeout).unwrap();
            }
            let mut inner = None;
            // `recv_with` holds the stack while its closure runs.
            let n = s.as_blocking().recv_with(|d| {
                let mut b = [0u8; 4];
                inner = Some((
                    c.recv(&mut b).now_or_never(),
                    c.send(b"x").now_or_never(),
                    c.send_all(b"x").now_or_never(),
                    l.accept().now_or_never().map(|r| r.map(|_| ())),
                    fresh.connect(addr("127.0.0.1:13007")).now_or_never(),
                    stack.resolve_async("example.com", None).now_or_never(),
                ));
                // Leave the bytes for the next round.
                let _ = d;
                0
            });
            assert_eq!(n, Ok(0), "{timeout:?}");
            let busy = Some(Err(Error::Busy));
            assert_eq!(
                inner,
                Some((
                    busy,
                    busy,
                    Some(Err(Error::Busy)),
                    Some(Err(Error::Busy)),
                    Some(Err(Error::Busy)),
                    Some(Err(ResolveError::Busy)),
                )),
                "{timeout:?}"
            );
        }
        // Everything still works afterwards.
        s.set_timeout(None).unwrap();
        block_on_sim(stack, clock, async {
            let mut buf = [0u8; 8];
            let n = s.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
        });
    });
}

// ---- a DNS server as an async task -------------------------------------------

/// A reply to query `q`: one A record for `ip`.
fn dns_reply(q: &[u8], ip: [u8; 4]) -> Option<Vec<u8>> {
    let mut i = 12;
    while *q.get(i)? != 0 {
        i += 1 + *q.get(i)? as usize;
    }
    let question = q.get(12..i + 5)?;
    let mut r = vec![q[0], q[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    r.extend_from_slice(question);
    r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
    r.extend_from_slice(&ip);
    Some(r)
}

/// Answer every query on `sock` with `ip`, forever.
async fn serve_dns(sock: &AsyncSocket<'_, '_>, ip: [u8; 4]) {
    let mut q = [0u8; 512];
    loop {
        let (n, from) = sock.recv_from(&mut q).await.unwrap();
        if let Some(r) = dns_reply(&q[..n], ip) {
            sock.send_to(&r, from).await.unwrap();
        }
    }
}

#[test]
fn a_dropped_resolve_gives_its_lease_back() {
    let clock = SimClock::new();
    let mut dev = Loopback::new(Medium::Ip);
    let mut res = Box::new(StackResources::<4, 1024>::new());
    let config = Config::loopback().with_dns_server(IpAddress::v4(127, 0, 0, 1));
    let stack = Stack::new(&mut dev, &clock, &mut res, config).expect("valid config");
    let server = AsyncSocket::new(&stack, Domain::IPV4, Type::DGRAM).unwrap();
    server.bind(addr("127.0.0.1:53")).unwrap();
    let before = stack.stats().unwrap();
    let secs = Some(Duration::from_secs(5));
    run_woken(&stack, &clock, async {
        // The server is not serving yet: the resolution waits, and a second
        // one meanwhile finds the resolver's socket lent out.
        let both = async {
            let second = async {
                sleep_ms(&clock, 10).await;
                stack.resolve_async("other.test", secs).await
            };
            futures_util::future::join(stack.resolve_async("web.test", secs), second).await
        };
        match select(pin!(both), pin!(sleep_ms(&clock, 100))).await {
            Either::Left((r, _)) => panic!("nobody answered, got {r:?}"),
            Either::Right(((), _)) => {}
        }
        // Dropped at 100 ms: the lease is back, and a resolution works.
        let t0 = clock.now();
        match select(
            pin!(stack.resolve_async("web.test", secs)),
            pin!(serve_dns(&server, [10, 1, 2, 3])),
        )
        .await
        {
            Either::Left((r, _)) => assert_eq!(r, Ok(IpAddress::v4(10, 1, 2, 3))),
            Either::Right(..) => unreachable!("the server serves forever"),
        }
        assert!(ms_since(&clock, t0) < 1000, "answered, not retried");
    });
    assert_eq!(stack.stats().unwrap(), before);
    // The second resolution, while the first held the lease, was refused.
    let r = block_on_sim(&stack, &clock, async {
        let (a, b) = futures_util::future::join(stack.resolve_async("web.test", secs), async {
            sleep_ms(&clock, 10).await;
            stack.resolve_async("other.test", secs).await
        })
        .await;
        (a, b)
    });
    assert_eq!(
        r,
        (
            Err(ResolveError::TimedOut),
            Err(ResolveError::NoBufferSpace)
        )
    );
}

#[test]
fn several_tasks_waiting_in_accept_on_one_listener_are_all_served() {
    use futures_util::stream::{FuturesUnordered, StreamExt};
    with_stack::<16, _>(|stack, clock| {
        let l = async_listener(stack, 13010, 3);
        let clients: Vec<_> = (0..3).map(|_| stream(stack)).collect();
        let served = run_woken(stack, clock, async {
            // Three session tasks, each with its own waker (FuturesUnordered
            // polls only the woken one), all waiting in accept at once.
            let mut sessions: FuturesUnordered<_> = (0..3)
                .map(|task| {
                    let l = &l;
                    async move {
                        let (conn, _) = l.accept().await.expect("accept");
                        let mut buf = [0u8; 16];
                        let n = conn.recv(&mut buf).await.expect("recv");
                        (task, buf[..n].to_vec())
                    }
                })
                .collect();
            let connector = async {
                sleep_ms(clock, 100).await;
                for (i, c) in clients.iter().enumerate() {
                    c.connect(addr("127.0.0.1:13010")).await.expect("connect");
                    c.send_all(format!("client {i}").as_bytes())
                        .await
                        .expect("send");
                    sleep_ms(clock, 10).await;
                }
            };
            let collect = async {
                let mut got = Vec::new();
                while let Some(s) = sessions.next().await {
                    got.push(s);
                }
                got
            };
            futures_util::future::join(connector, collect).await.1
        });
        let mut tasks: Vec<_> = served.iter().map(|(t, _)| *t).collect();
        tasks.sort();
        assert_eq!(tasks, vec![0, 1, 2], "each task served one connection");
        let mut lines: Vec<_> = served.into_iter().map(|(_, l)| l).collect();
        lines.sort();
        assert_eq!(
            lines,
            vec![
                b"client 0".to_vec(),
                b"client 1".to_vec(),
                b"client 2".to_vec()
            ]
        );
    });
}

/// A device that always has a frame: its `ready()` future resolves on its
/// first poll, and fails the test if it is polled again after that (a
/// future must not be polled after it completed).
struct AlwaysReady {
    calls: std::rc::Rc<std::cell::Cell<u32>>,
}

struct ReadyOnce {
    done: bool,
}

impl Future for ReadyOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        assert!(
            !self.done,
            "the device's ready() future was polled after it completed"
        );
        self.done = true;
        std::task::Poll::Ready(())
    }
}

impl smolsock::asynch::DeviceReady for AlwaysReady {
    fn ready(&mut self) -> impl Future<Output = ()> {
        self.calls.set(self.calls.get() + 1);
        ReadyOnce { done: false }
    }
}

#[test]
fn the_runner_yields_on_a_device_that_is_always_ready_and_never_polls_a_completed_future() {
    with_stack::<2, _>(|stack, clock| {
        let calls = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut runner = pin!(stack.run(
            clock,
            AlwaysReady {
                calls: calls.clone()
            }
        ));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        for poll in 1..=10u32 {
            // Each poll returns (the runner yields instead of looping in
            // place) after exactly one round.
            assert!(runner.as_mut().poll(&mut cx).is_pending());
            assert_eq!(calls.get(), poll, "poll {poll}");
        }
    });
}
