//! Line framing under random segmentation: the framer alone, and the whole
//! server over loopback sockets, against a simple reference model.

use crate::common;
use common::*;
use proptest::prelude::*;
use smolsock::line::{strip, Command, Event, Frame, LineConfig, LineFramer, LineServer, Status};

/// What the framer should produce for `input` with line limit `limit`:
/// (stripped bytes, command, truncated, terminated).
type Out = (Vec<u8>, Option<Command>, bool, bool);

fn model(input: &[u8], limit: usize, finish: bool) -> Vec<Out> {
    let mut out = Vec::new();
    let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let last = parts.pop().unwrap_or(&[]);
    let mut line = |content: &[u8], terminated: bool| {
        if terminated && content.len() <= limit {
            let cmd = match content {
                b"disconnect" => Some(Command::Disconnect),
                b"stop" => Some(Command::Stop),
                _ => None,
            };
            if let Some(c) = cmd {
                out.push((Vec::new(), Some(c), false, true));
                return;
            }
        }
        if content.len() <= limit {
            out.push((strip(content).to_vec(), None, false, terminated));
        } else {
            let n = content.len().div_ceil(limit);
            for (i, piece) in content.chunks(limit).enumerate() {
                out.push((strip(piece).to_vec(), None, true, terminated && i + 1 == n));
            }
        }
    };
    for p in parts {
        line(p.strip_suffix(b"\r").unwrap_or(p), true);
    }
    // A `\r` held at the very end is whitespace; it is dropped if it does not fit.
    let tail = last.strip_suffix(b"\r").unwrap_or(last);
    if finish && !last.is_empty() {
        line(tail, false);
    } else if tail.len() > limit {
        // Still open: the pieces of an overlong tail that more bytes followed.
        let n = tail.len().div_ceil(limit) - 1;
        for piece in tail.chunks(limit).take(n) {
            out.push((strip(piece).to_vec(), None, true, false));
        }
    }
    out
}

fn own(f: Frame<'_>) -> Out {
    match f {
        Frame::Line(l) => (
            l.as_bytes().to_vec(),
            None,
            l.is_truncated(),
            l.is_terminated(),
        ),
        Frame::Command(c) => (Vec::new(), Some(c), false, true),
    }
}

#[track_caller]
fn frame_chunks<const N: usize>(limit: usize, chunks: &[&[u8]], finish: bool) -> Vec<Out> {
    let mut f = LineFramer::<N>::with_limit(limit);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        while !rest.is_empty() {
            let (n, fr) = f.feed(rest);
            assert!(n > 0 || fr.is_some());
            if let Some(fr) = fr {
                out.push(own(fr));
            }
            rest = &rest[n..];
        }
    }
    if finish {
        if let Some(fr) = f.finish() {
            out.push(own(fr));
        }
    }
    out
}

fn split_at_cuts<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut at = 0;
    for c in cuts {
        chunks.push(&data[at..c]);
        at = c;
    }
    chunks.push(&data[at..]);
    chunks
}

fn line_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ a-z\t\r\x00\x0b]{0,12}".prop_map(|s| s.into_bytes()),
        Just(b"stop".to_vec()),
        Just(b"disconnect".to_vec()),
        Just(b" stop ".to_vec()),
        proptest::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..40),
    ]
}

/// Lines joined with `\n` or `\r\n`, perhaps with an unterminated tail.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((line_bytes(), any::<bool>()), 0..8),
        proptest::option::of(line_bytes()),
    )
        .prop_map(|(lines, tail)| {
            let mut v = Vec::new();
            for (l, crlf) in lines {
                v.extend_from_slice(&l);
                v.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            if let Some(t) = tail {
                v.extend_from_slice(&t);
            }
            v
        })
}

proptest! {
    #[test]
    fn framer_matches_model_under_any_segmentation(
        data in stream(),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
        limit in 1usize..=16,
    ) {
        let chunks = split_at_cuts(&data, &cuts);
        let whole = frame_chunks::<16>(limit, &[&data], true);
        let pieces = frame_chunks::<16>(limit, &chunks, true);
        prop_assert_eq!(&whole, &pieces);
        prop_assert_eq!(whole, model(&data, limit, true));
        // Without the end of the connection, only terminated frames appear.
        let open = frame_chunks::<16>(limit, &chunks, false);
        prop_assert_eq!(open, model(&data, limit, false));
    }
}

/// What the server printed, as the example prints it.
#[track_caller]
fn printed_over_sockets(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    with_stack::<16, _>(|stack, clock| {
        let mut server = LineServer::<1, 32>::new(stack, LineConfig::default()).unwrap();
        let c = start_connect(stack, 10001);
        stack.poll(smolsock::Clock::now(clock));
        let mut out = Vec::new();
        let mut handler = |e: Event<'_>| match e {
            Event::Line(_, l) => out.push(l.as_bytes().to_vec()),
            Event::Closed(..) => out.push(b"----------------".to_vec()),
            Event::Opened(_) => {}
        };
        for chunk in split_at_cuts(data, cuts) {
            if !chunk.is_empty() {
                c.send_all(chunk).unwrap();
            }
            // Let Nagle's held segment go (it waits for the delayed ACK), so
            // each chunk reaches the server as its own segment.
            clock.advance(smoltcp::time::Duration::from_millis(20));
            stack.poll(smolsock::Clock::now(clock));
            assert_eq!(server.poll(&mut handler), Ok(Status::Running));
        }
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(server.poll(&mut handler), Ok(Status::Running));
        assert_eq!(server.active_sessions(), 0);
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn server_prints_the_same_lines_however_tcp_segments_them(
        lines in proptest::collection::vec("[ a-z\t\x00]{0,40}", 0..6),
        tail in "[a-z ]{0,5}",
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut data = Vec::new();
        for l in &lines {
            data.extend_from_slice(l.as_bytes());
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(tail.as_bytes());
        let got = printed_over_sockets(&data, &cuts);
        let mut want: Vec<Vec<u8>> = model(&data, 32, true).into_iter().map(|o| o.0).collect();
        want.push(b"----------------".to_vec());
        prop_assert_eq!(got, want);
    }
}

/// `frame_chunks` with `feed_in_place` (lines borrowed from the input).
fn frame_chunks_in_place<const N: usize>(limit: usize, chunks: &[&[u8]], finish: bool) -> Vec<Out> {
    let mut f = LineFramer::<N>::with_limit(limit);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        while !rest.is_empty() {
            let (n, fr) = f.feed_in_place(rest);
            assert!(n > 0 || fr.is_some());
            if let Some(fr) = fr {
                out.push(own(fr));
            }
            rest = &rest[n..];
        }
    }
    if finish {
        if let Some(fr) = f.finish() {
            out.push(own(fr));
        }
    }
    out
}

proptest! {
    #[test]
    fn framer_in_place_matches_model_under_any_segmentation(
        data in stream(),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
        limit in 1usize..=16,
    ) {
        let chunks = split_at_cuts(&data, &cuts);
        let pieces = frame_chunks_in_place::<16>(limit, &chunks, true);
        prop_assert_eq!(&pieces, &frame_chunks::<16>(limit, &chunks, true));
        prop_assert_eq!(pieces, model(&data, limit, true));
        let open = frame_chunks_in_place::<16>(limit, &chunks, false);
        prop_assert_eq!(open, model(&data, limit, false));
    }
}
