//! A whole-input model of the line framing rules, and a driver that feeds a
//! real `LineFramer` in chunks.

use smolsock::line::{strip, Command, Frame, LineFramer};

/// An owned frame, comparable between the model and the framer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum F {
    Line {
        text: Vec<u8>,
        truncated: bool,
        terminated: bool,
    },
    Cmd(Command),
}

fn owned(f: Frame<'_>) -> F {
    match f {
        Frame::Line(l) => F::Line {
            text: l.as_bytes().to_vec(),
            truncated: l.is_truncated(),
            terminated: l.is_terminated(),
        },
        Frame::Command(c) => F::Cmd(c),
    }
}

/// The documented rules, applied to the whole input at once.
pub fn model(input: &[u8], limit: usize) -> Vec<F> {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(p) = rest.iter().position(|&b| b == b'\n') {
        let line = &rest[..p];
        let content = line.strip_suffix(b"\r").unwrap_or(line);
        emit(&mut out, content, limit, true);
        rest = &rest[p + 1..];
    }
    if !rest.is_empty() {
        // End of stream: a `\r` that would only start a piece of its own is
        // dropped (it is whitespace; the framer documents this).
        let mut content = rest;
        if content.len() > limit
            && content.ends_with(b"\r")
            && (content.len() - 1).is_multiple_of(limit)
        {
            content = &content[..content.len() - 1];
        }
        emit(&mut out, content, limit, false);
    }
    out
}

fn emit(out: &mut Vec<F>, content: &[u8], limit: usize, terminated: bool) {
    if content.len() <= limit {
        if terminated && content == b"disconnect" {
            out.push(F::Cmd(Command::Disconnect));
        } else if terminated && content == b"stop" {
            out.push(F::Cmd(Command::Stop));
        } else {
            out.push(F::Line {
                text: strip(content).to_vec(),
                truncated: false,
                terminated,
            });
        }
        return;
    }
    let pieces: Vec<&[u8]> = content.chunks(limit).collect();
    let last = pieces.len() - 1;
    for (i, p) in pieces.into_iter().enumerate() {
        out.push(F::Line {
            text: strip(p).to_vec(),
            truncated: true,
            terminated: terminated && i == last,
        });
    }
}

/// Chunk sizes from a seed (a small xorshift), or a fixed size.
pub struct Chunker {
    state: u32,
    fixed: Option<usize>,
}

impl Chunker {
    pub fn new(seed: u8) -> Self {
        Chunker {
            state: u32::from(seed).wrapping_mul(2654435761) | 1,
            fixed: None,
        }
    }
    pub fn fixed(n: usize) -> Self {
        Chunker {
            state: 1,
            fixed: Some(n.max(1)),
        }
    }
    pub fn next_len(&mut self) -> usize {
        if let Some(n) = self.fixed {
            return n;
        }
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        // Mostly small chunks, sometimes large ones.
        match x % 8 {
            0 => 1 + (x >> 8) as usize % 300,
            _ => 1 + (x >> 8) as usize % 7,
        }
    }
}

/// Feed `input` to a `LineFramer<N>` with `limit` in chunks, then `finish`.
pub fn run_framer<const N: usize>(input: &[u8], limit: usize, mut chunks: Chunker) -> Vec<F> {
    let mut f = LineFramer::<N>::with_limit(limit);
    assert_eq!(f.limit(), limit.clamp(1, N));
    let mut out = Vec::new();
    let mut rest = input;
    let mut calls = 0usize;
    while !rest.is_empty() {
        let n = chunks.next_len().min(rest.len());
        let mut chunk = &rest[..n];
        rest = &rest[n..];
        while !chunk.is_empty() {
            calls += 1;
            assert!(
                calls <= 2 * input.len() + 2,
                "the framer stopped making progress"
            );
            let (used, frame) = f.feed(chunk);
            assert!(used <= chunk.len(), "consumed more than it was given");
            assert!(
                used > 0 || frame.is_some(),
                "no progress: nothing consumed, no frame"
            );
            if let Some(frame) = frame {
                out.push(owned(frame));
            }
            chunk = &chunk[used..];
        }
    }
    if let Some(frame) = f.finish() {
        out.push(owned(frame));
    }
    assert!(f.is_empty(), "finish leaves the framer empty");
    assert_eq!(f.finish(), None, "a second finish has nothing");
    out
}
