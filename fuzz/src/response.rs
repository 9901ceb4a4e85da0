//! The response parser driven in chunks, and `httparse` as its reference.

use crate::framing::Chunker;
use smolsock::http::{Parsed, ResponseError, ResponseParser, MAX_HEADERS};

/// Everything a caller can observe of one parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Head {
        code: u16,
        version: u8,
        reason: String,
        headers: Vec<(String, Vec<u8>)>,
        raw: Vec<u8>,
        content_length: Option<Result<u64, ResponseError>>,
        body: Vec<u8>,
    },
    Err(ResponseError),
}

/// Push `resp` through a `ResponseParser<N>` in chunks, then `finish`.
pub fn outcome<const N: usize>(resp: &[u8], mut chunks: Chunker) -> Outcome {
    let mut p = ResponseParser::<N>::new();
    let mut body = Vec::new();
    let mut head_seen = false;
    let mut rest = resp;
    let mut failed = None;
    while !rest.is_empty() {
        let n = chunks.next_len().min(rest.len());
        let chunk = &rest[..n];
        rest = &rest[n..];
        match p.push(chunk) {
            Ok(Parsed::NeedMore) => assert!(!head_seen, "NeedMore after the head"),
            Ok(Parsed::Head { body: b }) => {
                assert!(!head_seen, "two heads");
                head_seen = true;
                assert!(chunk.ends_with(b), "the body is the chunk's tail");
                body.extend_from_slice(b);
            }
            Ok(Parsed::Body(b)) => {
                assert!(head_seen, "body before the head");
                assert_eq!(b, chunk, "a body chunk is the whole chunk");
                body.extend_from_slice(b);
            }
            Err(e) => {
                assert!(!head_seen, "an error after the head");
                failed = Some(e);
                // Sticky: every later call returns the same error.
                assert_eq!(p.push(b"x"), Err(e));
                break;
            }
        }
    }
    if let Some(e) = failed {
        assert_eq!(p.finish(), Err(e));
        assert!(p.head().is_none());
        return Outcome::Err(e);
    }
    if let Err(e) = p.finish() {
        assert!(!head_seen);
        assert!(p.head().is_none());
        return Outcome::Err(e);
    }
    assert!(head_seen);
    assert_eq!(p.body_len(), body.len() as u64);
    let head = p.head().expect("a finished parser has its head");
    let headers: Vec<(String, Vec<u8>)> = head
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    assert!(headers.len() <= MAX_HEADERS);
    for (name, value) in &headers {
        // The first header of that name, whatever the case.
        let first = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice());
        assert_eq!(head.header(name), first);
        let _ = value;
    }
    Outcome::Head {
        code: head.code(),
        version: head.version(),
        reason: head.reason().to_string(),
        headers,
        raw: head.raw().to_vec(),
        content_length: head.content_length(),
        body,
    }
}

/// What `httparse` says about the first `N` bytes must match `got`.
pub fn reference<const N: usize>(resp: &[u8], got: &Outcome) {
    let window = &resp[..resp.len().min(N)];
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut r = httparse::Response::new(&mut headers);
    let parsed = r.parse(window);
    match (got, parsed) {
        (
            Outcome::Head {
                code,
                version,
                headers: hs,
                raw,
                body,
                ..
            },
            Ok(httparse::Status::Complete(n)),
        ) => {
            assert_eq!(Some(*code), r.code);
            assert_eq!(Some(*version), r.version);
            assert_eq!(raw.as_slice(), &resp[..n]);
            assert_eq!(
                body.as_slice(),
                &resp[n..],
                "the body is every byte after the head"
            );
            let want: Vec<(String, Vec<u8>)> = r
                .headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec()))
                .collect();
            assert_eq!(hs, &want);
        }
        (Outcome::Head { .. }, other) => panic!("a head where httparse says {other:?}"),
        (Outcome::Err(ResponseError::Incomplete), Ok(httparse::Status::Partial)) => {
            assert!(resp.len() < N, "Incomplete though the head buffer filled");
        }
        (Outcome::Err(ResponseError::Incomplete), Err(_)) => {
            // Bad bytes with no line end yet: judged only at a newline.
            assert!(resp.len() < N && !window.contains(&b'\n'));
        }
        (Outcome::Err(ResponseError::HeadTooLarge), Ok(httparse::Status::Partial)) => {
            assert!(resp.len() >= N);
        }
        (Outcome::Err(ResponseError::TooManyHeaders), Err(httparse::Error::TooManyHeaders)) => {}
        (
            Outcome::Err(ResponseError::MalformedHeader),
            Err(httparse::Error::HeaderName | httparse::Error::HeaderValue),
        ) => {}
        (Outcome::Err(ResponseError::NotHttp), Err(_)) => {}
        (got, want) => panic!("got {got:?}, httparse says {want:?}"),
    }
}
