//! embedded-io-async 0.7 on stream `AsyncSocket`s: each trait contract, one
//! test each, on Loopback and simulated time (`block_on_sim`).
use crate::common;
use common::sim_exec::block_on_sim;
use common::*;
use core::time::Duration as StdDuration;
use embedded_io_async::{Error as _, ErrorKind, Read, ReadReady, Write, WriteReady};
use futures_util::FutureExt;
use smolsock::asynch::AsyncSocket;
use smoltcp::time::Duration;

type Async<'s, 'a> = AsyncSocket<'s, 'a>;

/// A connected pair on `port`, made with the blocking calls: (listener,
/// client, accepted server side), all async and blocking-mode.
#[track_caller]
fn async_pair<'s, 'a>(
    stack: &'s Stack<'a>,
    port: u16,
) -> (Async<'s, 'a>, Async<'s, 'a>, Async<'s, 'a>) {
    let (l, c, s) = pair(stack, port);
    (l.into(), c.into(), s.into())
}

#[test]
fn read_returns_zero_only_at_end_of_stream_and_keeps_returning_it() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, mut c, mut s) = async_pair(stack, 8000);
        block_on_sim(stack, clock, async {
            let mut buf = [0u8; 16];
            s.set_nonblocking(true).unwrap();
            assert_eq!(
                s.read(&mut buf).await,
                Err(Error::WouldBlock),
                "no data is not EOF"
            );
            s.set_timeout(Some(StdDuration::from_secs(1))).unwrap();
            assert_eq!(
                s.read(&mut buf).await,
                Err(Error::TimedOut),
                "nor is a timeout"
            );
            s.set_timeout(None).unwrap();
            c.write_all(b"abc").await.unwrap();
            c.shutdown(Shutdown::Write).unwrap();
            assert_eq!(s.read(&mut buf).await, Ok(3));
            assert_eq!(&buf[..3], b"abc");
            for _ in 0..3 {
                assert_eq!(s.read(&mut buf).await, Ok(0), "sticky end of stream");
            }
        });
    });
}

#[test]
fn read_into_an_empty_buffer_returns_zero_at_once_without_waiting() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, _c, mut s) = async_pair(stack, 8001);
        assert_eq!(s.timeout(), None, "a blocking socket");
        let t0 = clock.now();
        // One poll, no runner: it completes there.
        assert_eq!(s.read(&mut []).now_or_never(), Some(Ok(0)));
        assert_eq!(clock.now(), t0, "did not wait");
        assert_eq!(s.timeout(), None, "mode unchanged");
        // A read with a buffer does wait (nothing was sent).
        let mut buf = [0u8; 4];
        assert_eq!(s.read(&mut buf).now_or_never(), None);
    });
}

#[test]
fn write_never_returns_zero_for_a_non_empty_buffer() {
    with_stack_buf::<4, 1024, _>(|stack, clock| {
        let (_l, mut c, _s) = async_pair(stack, 8003);
        // The peer never reads: its window and our send buffer fill up.
        c.set_timeout(Some(StdDuration::from_secs(1))).unwrap();
        let big = [5u8; 700];
        let (queued, err) = block_on_sim(stack, clock, async {
            let mut queued = 0;
            loop {
                match c.write(&big).await {
                    Ok(n) => {
                        assert!(n > 0, "write returned Ok(0)");
                        queued += n;
                    }
                    Err(e) => break (queued, e),
                }
            }
        });
        assert_eq!(err, Error::TimedOut);
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(queued, 2048, "peer's 1 KiB window + our 1 KiB send buffer");
        // An empty write completes at once even now, on a blocking socket.
        c.set_timeout(None).unwrap();
        let t0 = clock.now();
        assert_eq!(c.write(&[]).now_or_never(), Some(Ok(0)));
        assert_eq!(clock.now(), t0);
        // And a non-blocking one says WouldBlock rather than Ok(0).
        c.set_nonblocking(true).unwrap();
        assert_eq!(c.write(b"x").now_or_never(), Some(Err(Error::WouldBlock)));
    });
}

#[test]
fn flush_waits_until_the_peer_has_acknowledged_everything() {
    // Loopback acknowledges at once; a peer whose 1 KiB window is full (it
    // does not read) leaves the rest of 1,500 bytes unacknowledged.
    with_stack_buf::<4, 1024, _>(|stack, clock| {
        let (_l, mut c, mut s) = async_pair(stack, 8005);
        let data: Vec<u8> = (0..1500u32).map(|i| (i % 251) as u8).collect();
        let read = std::cell::Cell::new(0usize);
        block_on_sim(stack, clock, async {
            c.write_all(&data).await.unwrap();
            c.set_nonblocking(true).unwrap();
            assert_eq!(
                Write::flush(&mut c).await,
                Err(Error::WouldBlock),
                "not acknowledged"
            );
            c.set_timeout(Some(StdDuration::from_secs(1))).unwrap();
            let t0 = clock.now();
            assert_eq!(
                Write::flush(&mut c).await,
                Err(Error::TimedOut),
                "the peer does not read"
            );
            assert_eq!(clock.now() - t0, Duration::from_secs(1));
            c.set_timeout(None).unwrap();
            // Now the peer reads: flush returns once everything is acknowledged,
            // which needs at least the 476 bytes beyond the first window read.
            let flush = async {
                Write::flush(&mut c).await.unwrap();
                read.get()
            };
            let reader = async {
                let mut got = vec![0u8; 1500];
                let mut n = 0;
                while n < got.len() {
                    let k = s.read(&mut got[n..]).await.unwrap();
                    assert!(k > 0);
                    n += k;
                    read.set(n);
                }
                got
            };
            let (read_at_flush, got) = futures_util::future::join(flush, reader).await;
            assert!(
                read_at_flush >= 476,
                "flush returned after {read_at_flush} bytes were read"
            );
            assert_eq!(got, data);
            // Nothing unacknowledged: a non-blocking flush is Ok at once.
            c.set_nonblocking(true).unwrap();
            assert_eq!(Write::flush(&mut c).await, Ok(()));
        });
    });
}

#[test]
fn flush_after_the_peer_reset_reports_the_reset() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, mut c, s) = async_pair(stack, 8006);
        block_on_sim(stack, clock, async {
            c.write_all(b"unread").await.unwrap();
            Write::flush(&mut c).await.unwrap();
            s.close().unwrap(); // unread data: RST
            let e = Write::flush(&mut c).await.unwrap_err();
            assert_eq!(e, Error::ConnectionReset);
            assert_eq!(e.kind(), ErrorKind::ConnectionReset);
        });
    });
}

#[test]
fn read_ready_true_means_the_next_read_completes_at_once() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, mut c, mut s) = async_pair(stack, 8008);
        let t0 = clock.now();
        assert_eq!(s.read_ready(), Ok(false), "nothing received yet");
        assert_eq!(clock.now(), t0, "read_ready never waits");
        assert_eq!(s.timeout(), None, "mode unchanged");
        assert_eq!(c.write(b"hello").now_or_never(), Some(Ok(5)));
        // read_ready polls the stack once: the loopback delivers.
        assert_eq!(s.read_ready(), Ok(true));
        let mut buf = [0u8; 16];
        assert_eq!(s.read(&mut buf).now_or_never(), Some(Ok(5)), "no wait");
        assert_eq!(s.read_ready(), Ok(false), "all consumed");
        assert_eq!(s.read(&mut buf).now_or_never(), None, "and a read waits");
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(s.read_ready(), Ok(true), "end of stream is ready");
        assert_eq!(s.read(&mut buf).now_or_never(), Some(Ok(0)));
        assert_eq!(clock.now(), t0);
    });
}

#[test]
fn write_ready_true_means_the_next_write_completes_at_once() {
    with_stack_buf::<4, 1024, _>(|stack, clock| {
        let (_l, mut c, mut s) = async_pair(stack, 8010);
        assert_eq!(c.write_ready(), Ok(true), "empty send buffer");
        // Fill the peer's window and our send buffer.
        c.set_nonblocking(true).unwrap();
        while let Some(Ok(_)) = c.write(&[1u8; 512]).now_or_never() {}
        c.set_nonblocking(false).unwrap();
        let t0 = clock.now();
        assert_eq!(c.write_ready(), Ok(false), "send buffer full");
        assert_eq!(clock.now(), t0, "write_ready never waits");
        assert_eq!(c.write(&[2u8; 10]).now_or_never(), None, "a write waits");
        // The peer reads: its window opens, our buffer drains.
        let mut buf = [0u8; 1024];
        assert_eq!(s.read(&mut buf).now_or_never(), Some(Ok(1024)));
        assert_eq!(c.write_ready(), Ok(true));
        let n = c
            .write(&[2u8; 2000])
            .now_or_never()
            .expect("no wait")
            .unwrap();
        assert!(n > 0);
        assert_eq!(clock.now(), t0);
    });
}

#[test]
fn ready_reports_a_reset() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, mut c, s) = async_pair(stack, 8009);
        block_on_sim(stack, clock, c.write_all(b"unread")).unwrap();
        s.close().unwrap();
        assert_eq!(c.read_ready(), Err(Error::ConnectionReset));
        let mut buf = [0u8; 4];
        assert_eq!(
            c.read(&mut buf).now_or_never(),
            Some(Err(Error::ConnectionReset))
        );
    });
}

#[test]
fn datagram_sockets_are_not_byte_streams() {
    with_stack::<4, _>(|stack, clock| {
        let mut u = AsyncSocket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        let t0 = clock.now();
        block_on_sim(stack, clock, async {
            u.connect(addr("127.0.0.1:9")).await.unwrap();
            let mut buf = [0u8; 4];
            assert_eq!(u.read(&mut buf).await, Err(Error::Unsupported));
            assert_eq!(u.read(&mut []).await, Err(Error::Unsupported));
            assert_eq!(u.write(b"x").await, Err(Error::Unsupported));
            assert_eq!(u.write(&[]).await, Err(Error::Unsupported));
            assert_eq!(u.read_ready(), Err(Error::Unsupported));
            assert_eq!(u.write_ready(), Err(Error::Unsupported));
            assert_eq!(Write::flush(&mut u).await, Ok(()), "nothing to flush");
        });
        assert_eq!(clock.now(), t0);
    });
}

#[test]
fn a_closed_socket_is_a_bad_descriptor() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, mut c, _s) = async_pair(stack, 8011);
        c.close().unwrap();
        block_on_sim(stack, clock, async {
            let mut buf = [0u8; 4];
            assert_eq!(c.read(&mut buf).await, Err(Error::BadDescriptor));
            assert_eq!(c.read(&mut []).await, Err(Error::BadDescriptor));
            assert_eq!(c.write(b"x").await, Err(Error::BadDescriptor));
            assert_eq!(Write::flush(&mut c).await, Err(Error::BadDescriptor));
            assert_eq!(c.read_ready(), Err(Error::BadDescriptor));
            assert_eq!(c.write_ready(), Err(Error::BadDescriptor));
        });
    });
}

#[test]
fn a_shared_reference_reads_and_writes_from_two_tasks_at_once() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, c, s) = async_pair(stack, 8012);
        block_on_sim(stack, clock, async {
            let (mut reader, mut writer) = (&s, &s);
            // The server echoes, its reader and writer sharing one socket.
            let echo = async {
                let mut buf = [0u8; 4];
                reader.read_exact(&mut buf).await.unwrap();
                writer.write_all(&buf).await.unwrap();
                Write::flush(&mut writer).await.unwrap();
            };
            let client = async {
                (&c).write_all(b"ping").await.unwrap();
                let mut buf = [0u8; 4];
                (&c).read_exact(&mut buf).await.unwrap();
                buf
            };
            let ((), got) = futures_util::future::join(echo, client).await;
            assert_eq!(&got, b"ping");
        });
    });
}
