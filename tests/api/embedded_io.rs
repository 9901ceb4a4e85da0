//! embedded-io 0.7 on stream sockets: each trait contract, one test each.
use crate::common;
use common::*;
use core::time::Duration as StdDuration;
use embedded_io::{Error as _, ErrorKind, Read, ReadReady, Write, WriteReady};
use smolsock::Clock;
use smoltcp::time::Duration;

#[test]
fn read_returns_zero_only_at_end_of_stream_and_keeps_returning_it() {
    with_stack::<4, _>(|stack, _| {
        let (_l, mut c, mut s) = pair(stack, 8000);
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            s.read(&mut buf),
            Err(Error::WouldBlock),
            "no data is not EOF"
        );
        c.write_all(b"abc").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        s.set_nonblocking(false).unwrap();
        assert_eq!(s.read(&mut buf), Ok(3));
        assert_eq!(&buf[..3], b"abc");
        for _ in 0..3 {
            assert_eq!(s.read(&mut buf), Ok(0), "sticky end of stream");
        }
    });
}

#[test]
fn read_into_an_empty_buffer_returns_zero_at_once_without_blocking() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, _c, mut s) = pair(stack, 8001);
        assert_eq!(s.timeout(), None, "a blocking socket");
        let t0 = clock.now();
        assert_eq!(s.read(&mut []), Ok(0));
        assert_eq!(clock.now(), t0, "did not wait");
        assert_eq!(s.timeout(), None, "mode unchanged");
        // And a blocking read with a buffer would indeed have waited.
        let mut buf = [0u8; 4];
        assert_eq!(s.read(&mut buf), Err(Error::Stalled));
    });
}

#[test]
fn read_exact_reassembles_what_tcp_split() {
    with_stack_buf::<4, 512, _>(|stack, _| {
        let (_l, mut c, mut s) = pair(stack, 8002);
        let data: Vec<u8> = (0..400u32).map(|i| (i * 7 % 256) as u8).collect();
        for chunk in data.chunks(37) {
            c.write_all(chunk).unwrap();
        }
        let mut got = vec![0u8; 400];
        s.read_exact(&mut got).unwrap();
        assert_eq!(got, data);
        c.shutdown(Shutdown::Write).unwrap();
        let mut more = [0u8; 1];
        assert_eq!(
            s.read_exact(&mut more),
            Err(embedded_io::ReadExactError::UnexpectedEof)
        );
    });
}

#[test]
fn write_never_returns_zero_for_a_non_empty_buffer() {
    with_stack_buf::<4, 1024, _>(|stack, clock| {
        let (_l, mut c, _s) = pair(stack, 8003);
        // The peer never reads: the window and the send buffer fill up.
        c.set_timeout(Some(StdDuration::from_secs(1))).unwrap();
        let big = [5u8; 700];
        let mut queued = 0;
        let err = loop {
            match c.write(&big) {
                Ok(n) => {
                    assert!(n > 0, "write returned Ok(0)");
                    queued += n;
                }
                Err(e) => break e,
            }
        };
        assert_eq!(err, Error::TimedOut);
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(queued, 2048, "peer's 1 KiB window + our 1 KiB send buffer");
        // An empty write returns at once even now.
        c.set_timeout(None).unwrap();
        let t0 = clock.now();
        assert_eq!(c.write(&[]), Ok(0));
        assert_eq!(clock.now(), t0);
    });
}

#[test]
fn write_on_a_non_blocking_socket_reports_would_block_as_other() {
    with_stack_buf::<4, 1024, _>(|stack, _| {
        let (_l, mut c, _s) = pair(stack, 8004);
        c.set_nonblocking(true).unwrap();
        let big = [5u8; 4096];
        let mut queued = 0;
        let err = loop {
            match c.write(&big) {
                Ok(n) => queued += n,
                Err(e) => break e,
            }
        };
        assert_eq!(queued, 2048);
        assert_eq!(err, Error::WouldBlock);
        assert_eq!(
            err.kind(),
            ErrorKind::Other,
            "embedded-io has no WouldBlock"
        );
    });
}

#[test]
fn flush_returns_when_the_peer_has_acknowledged_everything() {
    // 1 s each way: the data arrives at +1 s, its ACK is back at +2 s.
    with_delay_stack::<4, _>(1000, |stack, clock| {
        let (_l, mut c, mut s) = pair(stack, 8005);
        let t0 = clock.now();
        c.write_all(b"acknowledge me").unwrap();
        assert_eq!(clock.now(), t0, "write only queues");
        c.flush().unwrap();
        assert_eq!(clock.now() - t0, Duration::from_secs(2), "one round trip");
        // Nothing left unacknowledged: a second flush returns at once.
        c.flush().unwrap();
        assert_eq!(clock.now() - t0, Duration::from_secs(2));
        let mut buf = [0u8; 32];
        assert_eq!(s.read(&mut buf), Ok(14));
        assert_eq!(&buf[..14], b"acknowledge me");
    });
}

#[test]
fn flush_is_bounded_by_the_socket_timeout() {
    with_delay_stack::<4, _>(1000, |stack, clock| {
        let (_l, mut c, _s) = pair(stack, 8006);
        c.write_all(b"slow").unwrap();
        c.set_nonblocking(true).unwrap();
        assert_eq!(c.flush(), Err(Error::WouldBlock));
        c.set_timeout(Some(StdDuration::from_millis(500))).unwrap();
        let t0 = clock.now();
        assert_eq!(c.flush(), Err(Error::TimedOut));
        assert_eq!(clock.now() - t0, Duration::from_millis(500));
        c.set_timeout(None).unwrap();
        assert_eq!(c.flush(), Ok(()));
        assert_eq!(
            clock.now() - t0,
            Duration::from_secs(2),
            "the ACK's arrival"
        );
    });
}

#[test]
fn flush_after_the_peer_reset_reports_the_reset() {
    with_stack::<4, _>(|stack, _| {
        let (_l, mut c, s) = pair(stack, 8007);
        c.write_all(b"unread").unwrap();
        stack.poll(stack.now());
        s.close().unwrap(); // unread data: RST
        assert_eq!(c.flush(), Err(Error::ConnectionReset));
        assert_eq!(c.flush().unwrap_err().kind(), ErrorKind::ConnectionReset);
    });
}

#[test]
fn read_ready_true_means_the_next_read_does_not_block() {
    with_delay_stack::<4, _>(10, |stack, clock| {
        let (_l, mut c, mut s) = pair(stack, 8008);
        let t0 = clock.now();
        assert_eq!(s.read_ready(), Ok(false), "nothing received yet");
        assert_eq!(clock.now(), t0, "read_ready never waits");
        assert_eq!(s.timeout(), None, "mode unchanged");
        c.write_all(b"hello").unwrap();
        assert_eq!(s.read_ready(), Ok(false), "still in flight (10 ms)");
        clock.idle(Some(clock.now() + Duration::from_millis(10)));
        assert_eq!(s.read_ready(), Ok(true));
        let t1 = clock.now();
        let mut buf = [0u8; 16];
        assert_eq!(s.read(&mut buf), Ok(5), "a blocking read returns at once");
        assert_eq!(clock.now(), t1);
        assert_eq!(s.read_ready(), Ok(false), "all consumed");
        c.shutdown(Shutdown::Write).unwrap();
        clock.idle(Some(clock.now() + Duration::from_millis(10)));
        assert_eq!(s.read_ready(), Ok(true), "end of stream is ready");
        assert_eq!(s.read(&mut buf), Ok(0));
        assert_eq!(clock.now(), t1 + Duration::from_millis(10));
    });
}

#[test]
fn read_ready_reports_a_reset() {
    with_stack::<4, _>(|stack, _| {
        let (_l, mut c, s) = pair(stack, 8009);
        c.write_all(b"unread").unwrap();
        stack.poll(stack.now());
        s.close().unwrap();
        assert_eq!(c.read_ready(), Err(Error::ConnectionReset));
        let mut buf = [0u8; 4];
        assert_eq!(c.read(&mut buf), Err(Error::ConnectionReset));
    });
}

#[test]
fn write_ready_true_means_the_next_write_does_not_block() {
    with_stack_buf::<4, 1024, _>(|stack, clock| {
        let (_l, mut c, mut s) = pair(stack, 8010);
        assert_eq!(c.write_ready(), Ok(true), "empty send buffer");
        // Fill the peer's window and our send buffer.
        c.set_nonblocking(true).unwrap();
        while c.write(&[1u8; 512]).is_ok() {}
        c.set_nonblocking(false).unwrap();
        let t0 = clock.now();
        assert_eq!(c.write_ready(), Ok(false), "send buffer full");
        assert_eq!(clock.now(), t0, "write_ready never waits");
        assert_eq!(c.timeout(), None, "mode unchanged");
        // The peer reads: its window opens, our buffer drains.
        let mut buf = [0u8; 1024];
        assert_eq!(s.read(&mut buf), Ok(1024));
        assert_eq!(c.write_ready(), Ok(true));
        let t1 = clock.now();
        let n = c.write(&[2u8; 2000]).unwrap();
        assert!(n > 0);
        assert_eq!(clock.now(), t1, "the write did not wait");
    });
}

#[test]
fn datagram_sockets_are_not_byte_streams() {
    with_stack::<4, _>(|stack, clock| {
        let mut u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        u.connect(addr("127.0.0.1:9")).unwrap();
        let t0 = clock.now();
        let mut buf = [0u8; 4];
        assert_eq!(u.read(&mut buf), Err(Error::Unsupported));
        assert_eq!(u.read(&mut []), Err(Error::Unsupported));
        assert_eq!(u.write(b"x"), Err(Error::Unsupported));
        assert_eq!(u.read_ready(), Err(Error::Unsupported));
        assert_eq!(u.write_ready(), Err(Error::Unsupported));
        assert_eq!(u.flush(), Ok(()), "nothing to flush");
        assert_eq!(Error::Unsupported.kind(), ErrorKind::Unsupported);
        assert_eq!(clock.now(), t0);
    });
}

#[test]
fn a_closed_socket_is_a_bad_descriptor() {
    with_stack::<4, _>(|stack, _| {
        let (_l, mut c, _s) = pair(stack, 8011);
        c.close().unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(c.read(&mut buf), Err(Error::BadDescriptor));
        assert_eq!(c.write(b"x"), Err(Error::BadDescriptor));
        assert_eq!(c.flush(), Err(Error::BadDescriptor));
        assert_eq!(c.read_ready(), Err(Error::BadDescriptor));
        assert_eq!(c.write_ready(), Err(Error::BadDescriptor));
    });
}

#[test]
fn unconnected_stream_socket() {
    with_stack::<4, _>(|stack, _| {
        let mut t = tcp(stack);
        let mut buf = [0u8; 4];
        assert_eq!(t.read(&mut buf), Err(Error::NotConnected));
        assert_eq!(t.write(b"x"), Err(Error::BrokenPipe));
        assert_eq!(t.flush(), Err(Error::BrokenPipe));
    });
}

#[test]
fn error_kinds_map_one_to_one() {
    let table = [
        (Error::TimedOut, ErrorKind::TimedOut),
        (Error::ConnectionRefused, ErrorKind::ConnectionRefused),
        (Error::ConnectionReset, ErrorKind::ConnectionReset),
        (Error::NotConnected, ErrorKind::NotConnected),
        (Error::AlreadyConnected, ErrorKind::AlreadyExists),
        (Error::BrokenPipe, ErrorKind::BrokenPipe),
        (Error::AddrInUse, ErrorKind::AddrInUse),
        (Error::AddrNotAvailable, ErrorKind::AddrNotAvailable),
        (Error::InvalidInput, ErrorKind::InvalidInput),
        (Error::Unsupported, ErrorKind::Unsupported),
        (Error::NoBufferSpace, ErrorKind::OutOfMemory),
        (Error::WouldBlock, ErrorKind::Other),
        (Error::BadDescriptor, ErrorKind::Other),
        (Error::Stalled, ErrorKind::Other),
    ];
    for (e, k) in table {
        assert_eq!(e.kind(), k, "{e:?}");
    }
}

#[test]
fn a_shared_reference_reads_and_writes_too() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 8012);
        let (mut reader, mut writer) = (&s, &s);
        (&c).write_all(b"ping").unwrap();
        assert_eq!(reader.read_ready(), Ok(true));
        let mut buf = [0u8; 4];
        reader.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
        assert_eq!(writer.write_ready(), Ok(true));
        writer.write_all(b"pong").unwrap();
        writer.flush().unwrap();
        assert_eq!((&c).read(&mut buf), Ok(4));
        assert_eq!(&buf, b"pong");
    });
}
