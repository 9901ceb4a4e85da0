//! std::io::Read / std::io::Write on stream sockets (feature `std`), and the
//! std::io::ErrorKind of every smolsock error.
use crate::common;
use common::*;
use core::time::Duration as StdDuration;
use smoltcp::time::Duration;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};

#[test]
fn write_all_then_read_to_end_through_std_io() {
    with_stack_buf::<4, 1024, _>(|stack, _| {
        let (_l, mut c, s) = pair(stack, 8100);
        let data: Vec<u8> = (0..900u32).map(|i| (i % 253) as u8).collect();
        c.write_all(&data).unwrap();
        c.flush().unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut got = Vec::new();
        // `&Socket` reads too, like `&TcpStream`.
        (&s).read_to_end(&mut got).unwrap();
        assert_eq!(got, data);
        assert_eq!((&s).read(&mut [0u8; 4]).unwrap(), 0, "sticky end of stream");
    });
}

#[test]
fn buf_reader_reads_lines_that_tcp_split() {
    with_stack::<4, _>(|stack, _| {
        let (_l, c, s) = pair(stack, 8101);
        for part in ["hel", "lo\r\nwor", "ld\r\n"] {
            (&c).write_all(part.as_bytes()).unwrap();
        }
        c.shutdown(Shutdown::Write).unwrap();
        let lines: Vec<String> = BufReader::new(&s).lines().map(|l| l.unwrap()).collect();
        assert_eq!(lines, ["hello", "world"], "\\r\\n ends a line");
    });
}

#[test]
fn empty_buffers_return_zero_at_once() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, mut c, mut s) = pair(stack, 8102);
        let t0 = clock.now();
        assert_eq!(s.read(&mut []).unwrap(), 0);
        assert_eq!(c.write(&[]).unwrap(), 0);
        assert_eq!(clock.now(), t0);
    });
}

#[test]
fn modes_give_would_block_and_timed_out_kinds() {
    with_stack::<4, _>(|stack, clock| {
        let (_l, _c, mut s) = pair(stack, 8103);
        let mut buf = [0u8; 8];
        s.set_nonblocking(true).unwrap();
        assert_eq!(s.read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        s.set_timeout(Some(StdDuration::from_secs(2))).unwrap();
        let t0 = clock.now();
        assert_eq!(s.read(&mut buf).unwrap_err().kind(), ErrorKind::TimedOut);
        assert_eq!(clock.now() - t0, Duration::from_secs(2));
    });
}

#[test]
fn reset_and_broken_pipe_kinds() {
    with_stack::<8, _>(|stack, _| {
        let (_l, mut c, s) = pair(stack, 8104);
        c.write_all(b"unread").unwrap();
        stack.poll(stack.now());
        s.close().unwrap(); // unread data: RST
        let mut buf = [0u8; 8];
        assert_eq!(
            c.read(&mut buf).unwrap_err().kind(),
            ErrorKind::ConnectionReset
        );
        let (_l2, mut c2, _s2) = pair(stack, 8105);
        c2.shutdown(Shutdown::Write).unwrap();
        assert_eq!(c2.write(b"x").unwrap_err().kind(), ErrorKind::BrokenPipe);
    });
}

#[test]
fn every_error_has_its_std_io_error_kind() {
    let table = [
        (Error::WouldBlock, ErrorKind::WouldBlock),
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
        (Error::BadDescriptor, ErrorKind::Other),
        (Error::Stalled, ErrorKind::Other),
        (Error::Busy, ErrorKind::Other),
    ];
    for (e, k) in table {
        let io: std::io::Error = e.into();
        assert_eq!(io.kind(), k, "{e:?}");
        // The smolsock error is kept inside.
        let inner = io.get_ref().and_then(|r| r.downcast_ref::<Error>());
        assert_eq!(inner, Some(&e));
    }
    let resolve = [
        (smolsock::ResolveError::TimedOut, ErrorKind::TimedOut),
        (smolsock::ResolveError::BadResponse, ErrorKind::InvalidData),
        (smolsock::ResolveError::ServerFailure, ErrorKind::Other),
        (smolsock::ResolveError::InvalidName, ErrorKind::InvalidInput),
        (smolsock::ResolveError::NotFound, ErrorKind::NotFound),
        (smolsock::ResolveError::NoServer, ErrorKind::NotFound),
    ];
    for (e, k) in resolve {
        assert_eq!(std::io::Error::from(e).kind(), k, "{e:?}");
    }
}

#[test]
fn refused_connect_is_connection_refused_through_std_io() {
    with_stack::<4, _>(|stack, _| {
        let c = tcp(stack);
        let e: std::io::Error = c.connect(addr("127.0.0.1:8106")).unwrap_err().into();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn datagram_sockets_are_not_byte_streams() {
    with_stack::<4, _>(|stack, _| {
        let mut u = Socket::new(stack, Domain::IPV4, Type::DGRAM).unwrap();
        u.connect(addr("127.0.0.1:9")).unwrap();
        assert_eq!(
            u.read(&mut [0u8; 4]).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(u.write(b"x").unwrap_err().kind(), ErrorKind::Unsupported);
    });
}
