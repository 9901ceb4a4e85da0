//! Unit tests of the framer.
extern crate std;
use super::*;
use std::vec::Vec;

#[derive(Debug, PartialEq, Eq)]
enum F {
    L(&'static [u8], bool, bool),
    Disconnect,
    Stop,
}

fn own(f: Frame<'_>) -> (Vec<u8>, Option<Command>, bool, bool) {
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
fn run<const N: usize>(
    chunks: &[&[u8]],
    finish: bool,
) -> Vec<(Vec<u8>, Option<Command>, bool, bool)> {
    let mut f = LineFramer::<N>::new();
    let mut out = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        while !rest.is_empty() {
            let (n, fr) = f.feed(rest);
            assert!(n > 0 || fr.is_some(), "no progress");
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
        assert!(f.is_empty());
    }
    out
}

fn expect(frames: &[F]) -> Vec<(Vec<u8>, Option<Command>, bool, bool)> {
    frames
        .iter()
        .map(|f| match f {
            F::L(b, trunc, term) => (b.to_vec(), None, *trunc, *term),
            F::Disconnect => (Vec::new(), Some(Command::Disconnect), false, true),
            F::Stop => (Vec::new(), Some(Command::Stop), false, true),
        })
        .collect()
}

#[test]
fn strip_is_pythons() {
    assert_eq!(strip(b""), b"");
    assert_eq!(strip(b" \t\r\n\x0b\x0c"), b"");
    assert_eq!(strip(b"\x00 a \x00"), b"\x00 a \x00");
    assert_eq!(strip(b"  a b  "), b"a b");
    // 0x1c..0x1f and 0x85/0xa0 are not ASCII whitespace for bytes.strip().
    assert_eq!(strip(b"\x1ca\xa0"), b"\x1ca\xa0");
}

#[test]
fn several_lines_in_one_chunk() {
    let got = run::<32>(&[b"a\r\n b \nc\r\n"], true);
    assert_eq!(
        got,
        expect(&[
            F::L(b"a", false, true),
            F::L(b"b", false, true),
            F::L(b"c", false, true)
        ])
    );
}

#[test]
fn one_line_over_many_chunks() {
    let got = run::<32>(&[b"he", b"ll", b"o\r", b"\n"], true);
    assert_eq!(got, expect(&[F::L(b"hello", false, true)]));
}

#[test]
fn commands_exact() {
    let got = run::<32>(
        &[b"disconnect\r\nstop\nSTOP\r\n stop\r\nstop\r\r\nstopx\r\ndisconnect"],
        true,
    );
    assert_eq!(
        got,
        expect(&[
            F::Disconnect,
            F::Stop,
            F::L(b"STOP", false, true),
            F::L(b"stop", false, true),
            F::L(b"stop", false, true),
            F::L(b"stopx", false, true),
            F::L(b"disconnect", false, false),
        ])
    );
}

#[test]
fn cr_split_from_lf() {
    let got = run::<32>(&[b"stop\r", b"\n"], true);
    assert_eq!(got, expect(&[F::Stop]));
}

#[test]
fn lone_cr_is_data() {
    let got = run::<32>(&[b"a\rb\n\r\r\n"], true);
    assert_eq!(
        got,
        expect(&[F::L(b"a\rb", false, true), F::L(b"", false, true)])
    );
}

#[test]
fn partial_line_at_end() {
    assert_eq!(
        run::<8>(&[b"abc"], true),
        expect(&[F::L(b"abc", false, false)])
    );
    assert_eq!(
        run::<8>(&[b"abc\r"], true),
        expect(&[F::L(b"abc", false, false)])
    );
    assert_eq!(run::<8>(&[b"  "], true), expect(&[F::L(b"", false, false)]));
    assert_eq!(
        run::<8>(&[b"stop"], true),
        expect(&[F::L(b"stop", false, false)])
    );
    assert_eq!(
        run::<8>(&[b"a\n"], true),
        expect(&[F::L(b"a", false, true)])
    );
}

#[test]
fn overlong_lines_come_in_pieces() {
    // limit 4: "abcdefghij" -> abcd, efgh, ij
    let got = run::<4>(&[b"abcdefghij\r\nok\n"], true);
    assert_eq!(
        got,
        expect(&[
            F::L(b"abcd", true, false),
            F::L(b"efgh", true, false),
            F::L(b"ij", true, true),
            F::L(b"ok", false, true),
        ])
    );
}

#[test]
fn exactly_limit_is_not_overlong() {
    let got = run::<4>(&[b"abcd\r\nabcd\n", b"abcd\r"], true);
    assert_eq!(
        got,
        expect(&[
            F::L(b"abcd", false, true),
            F::L(b"abcd", false, true),
            F::L(b"abcd", false, false),
        ])
    );
}

#[test]
fn cr_at_piece_boundary_is_data() {
    let got = run::<4>(&[b"abcd\rx\n"], true);
    assert_eq!(
        got,
        expect(&[F::L(b"abcd", true, false), F::L(b"x", true, true)])
    );
    let got = run::<4>(&[b"abcd\r\rx\n"], true);
    assert_eq!(
        got,
        expect(&[F::L(b"abcd", true, false), F::L(b"x", true, true)])
    );
}

#[test]
fn overlong_stop_is_not_a_command() {
    let got = run::<2>(&[b"stop\n"], true);
    assert_eq!(
        got,
        expect(&[F::L(b"st", true, false), F::L(b"op", true, true)])
    );
}

#[test]
fn overlong_partial_at_end() {
    let got = run::<2>(&[b"abc"], true);
    assert_eq!(
        got,
        expect(&[F::L(b"ab", true, false), F::L(b"c", true, false)])
    );
}

#[test]
fn binary_and_nul() {
    let got = run::<16>(&[b"\x00\xff\x01\n"], true);
    assert_eq!(got, expect(&[F::L(b"\x00\xff\x01", false, true)]));
}

#[test]
fn with_limit_clamps() {
    assert_eq!(LineFramer::<8>::with_limit(0).limit(), 1);
    assert_eq!(LineFramer::<8>::with_limit(100).limit(), 8);
    let mut f = LineFramer::<8>::with_limit(3);
    let (n, fr) = f.feed(b"abcd");
    assert_eq!(n, 3);
    assert!(matches!(fr, Some(Frame::Line(l)) if l.as_bytes() == b"abc" && l.is_truncated()));
}

#[test]
fn reset_forgets() {
    let mut f = LineFramer::<8>::new();
    assert_eq!(f.feed(b"abc").0, 3);
    assert!(!f.is_empty());
    f.reset();
    assert!(f.is_empty());
    assert_eq!(f.finish(), None);
}
