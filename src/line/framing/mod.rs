//! Line framing: bytes in, lines out. Pure (no I/O), bounded memory.
//!
//! The rules, fixed and tested:
//!
//! - A line ends at `\n`. A `\r` right before the `\n` belongs to the
//!   terminator (`\r\n` and `\n` both end a line); any other `\r` is data.
//! - How the bytes arrive does not matter: several lines in one chunk and one
//!   line split over many chunks give the same frames.
//! - Each line is delivered stripped of surrounding ASCII whitespace exactly
//!   as Python's `bytes.strip()` does (space, `\t`, `\n`, `\x0b`, `\x0c`, `\r`).
//!   Other bytes — NUL, binary, invalid UTF-8 — pass through untouched.
//! - `disconnect` and `stop` are commands when they are the whole line with
//!   its terminator removed: exact and case-sensitive, as the seed compared
//!   `'disconnect\r\n'`. So `stop\r\n` and `stop\n` are commands; ` stop`,
//!   `STOP` and `stop\r\r\n` are ordinary lines (printed stripped: `stop`,
//!   `STOP`, `stop`). A command needs its terminator: an unterminated `stop`
//!   left when the connection ends is an ordinary line.
//! - Overlong lines: the framer holds at most `limit` bytes of one line. A
//!   line longer than that is delivered in pieces of exactly `limit` bytes
//!   (the last piece holds the rest), each piece stripped on its own and
//!   marked [`Line::is_truncated`]. Memory never grows with the input, and a
//!   piece of an overlong line is never a command.
//! - A partial line left when the connection ends is delivered by
//!   [`LineFramer::finish`], marked not [`terminated`](Line::is_terminated).

/// A command line of the seed's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `disconnect`: close this connection.
    Disconnect,
    /// `stop`: close this connection and stop the server.
    Stop,
}

/// One line (or one piece of an overlong line), already stripped.
///
/// ```
/// use smolsock::line::{Frame, LineFramer};
/// let mut f = LineFramer::<16>::new();
/// let (_, frame) = f.feed(b"  hi there \r\n");
/// let Some(Frame::Line(line)) = frame else { panic!() };
/// assert_eq!(line.as_bytes(), b"hi there");
/// assert_eq!(line.as_str(), Some("hi there"));
/// assert!(line.is_terminated() && !line.is_truncated());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Line<'a> {
    text: &'a [u8],
    truncated: bool,
    terminated: bool,
}

impl<'a> Line<'a> {
    /// The line's bytes, stripped (may be empty, may hold any byte value).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.text
    }

    /// The line as text, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.text).ok()
    }

    /// True for every piece of a line longer than the framer's limit.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// True when this ends with the line's `\n`; false for a piece of an
    /// overlong line that more pieces follow, and for a partial line
    /// delivered by [`LineFramer::finish`].
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }
}

/// What the framer produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frame<'a> {
    /// A line (or a piece of an overlong one) for the handler.
    Line(Line<'a>),
    /// A command line: not printed.
    Command(Command),
}

/// Python's `str.strip()` whitespace, ASCII only.
#[inline]
pub fn is_strip_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `bytes.strip()`: `data` without leading and trailing whitespace.
///
/// ```
/// assert_eq!(smolsock::line::strip(b"\t a b \x0b\r\n"), b"a b");
/// ```
#[inline]
pub fn strip(data: &[u8]) -> &[u8] {
    let start = data
        .iter()
        .position(|&b| !is_strip_space(b))
        .unwrap_or(data.len());
    let end = data
        .iter()
        .rposition(|&b| !is_strip_space(b))
        .map_or(start, |p| p + 1);
    data.get(start..end).unwrap_or(&[])
}

/// The first `\n` in `data`, a machine word at a time.
#[inline]
fn find_lf(data: &[u8]) -> Option<usize> {
    const W: usize = core::mem::size_of::<usize>();
    const LO: usize = usize::MAX / 255;
    const HI: usize = LO << 7;
    const LF: usize = LO * b'\n' as usize;
    let mut at = 0;
    let mut words = data.chunks_exact(W);
    for w in &mut words {
        let mut b = [0u8; W];
        b.copy_from_slice(w);
        let x = usize::from_ne_bytes(b) ^ LF;
        if (x.wrapping_sub(LO) & !x & HI) != 0 {
            break;
        }
        at += W;
    }
    data.get(at..)?
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| at + p)
}

/// A bounded line framer over an inline buffer of `N` bytes.
///
/// Feed it bytes as they arrive; each call consumes input up to and including
/// the next frame. Loop until the input is used up:
///
/// ```
/// use smolsock::line::{Command, Frame, LineFramer};
/// let mut f = LineFramer::<64>::new();
/// let mut input: &[u8] = b"one\r\ntw";
/// let mut out = Vec::new();
/// while !input.is_empty() {
///     let (used, frame) = f.feed(input);
///     input = &input[used..];
///     if let Some(Frame::Line(l)) = frame {
///         out.push(l.as_bytes().to_vec());
///     }
/// }
/// // "tw" waits for the rest of its line.
/// assert_eq!(out, [b"one".to_vec()]);
/// assert!(matches!(f.feed(b"o\nstop\r\n"), (2, Some(Frame::Line(l))) if l.as_bytes() == b"two"));
/// assert_eq!(f.feed(b"stop\r\n").1, Some(Frame::Command(Command::Stop)));
/// assert_eq!(f.finish(), None);
/// ```
#[derive(Debug, Clone)]
pub struct LineFramer<const N: usize> {
    buf: [u8; N],
    len: usize,
    limit: usize,
    /// A `\r` was seen last and not stored yet: terminator or data.
    cr: bool,
    /// The current line already gave out pieces.
    overlong: bool,
    /// The last call returned a frame borrowing `buf`: clear it first.
    emitted: bool,
}

impl<const N: usize> Default for LineFramer<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> LineFramer<N> {
    const NONZERO: () = assert!(N > 0, "LineFramer needs a buffer of at least one byte");

    /// A framer whose line limit is its whole buffer, `N` bytes.
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::NONZERO;
        LineFramer {
            buf: [0; N],
            len: 0,
            limit: N,
            cr: false,
            overlong: false,
            emitted: false,
        }
    }

    /// A framer with a line limit of `limit` bytes (clamped to `1..=N`).
    pub fn with_limit(limit: usize) -> Self {
        let mut f = Self::new();
        f.limit = limit.clamp(1, N);
        f
    }

    /// The line limit: longer lines come in pieces of this size.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Forget any partial line (for reuse on a new connection).
    pub fn reset(&mut self) {
        self.len = 0;
        self.cr = false;
        self.overlong = false;
        self.emitted = false;
    }

    /// True when no partial line is held.
    pub fn is_empty(&self) -> bool {
        (self.emitted || self.len == 0) && !self.cr && !self.overlong
    }

    fn clear_emitted(&mut self) {
        if self.emitted {
            self.emitted = false;
            self.len = 0;
        }
    }

    /// Store one byte of line content; `false` when the buffer is full.
    fn store(&mut self, b: u8) -> bool {
        if self.len >= self.limit {
            return false;
        }
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// The buffer is full and another content byte is waiting: give out the
    /// buffer as one piece of an overlong line.
    fn piece(&mut self) -> Frame<'_> {
        self.overlong = true;
        self.emitted = true;
        Frame::Line(Line {
            text: strip(self.buf.get(..self.len).unwrap_or(&[])),
            truncated: true,
            terminated: false,
        })
    }

    fn end_line(&mut self, terminated: bool) -> Frame<'_> {
        let overlong = core::mem::replace(&mut self.overlong, false);
        self.emitted = true;
        self.cr = false;
        let raw = self.buf.get(..self.len).unwrap_or(&[]);
        if terminated && !overlong {
            match raw {
                b"disconnect" => return Frame::Command(Command::Disconnect),
                b"stop" => return Frame::Command(Command::Stop),
                _ => {}
            }
        }
        Frame::Line(Line {
            text: strip(raw),
            truncated: overlong,
            terminated,
        })
    }

    /// Consume bytes from `data` up to and including the next frame.
    /// Returns how many bytes were consumed (all of `data` when no frame is
    /// complete yet) and the frame, if one is complete. The frame borrows the
    /// framer: use it before the next call.
    pub fn feed(&mut self, data: &[u8]) -> (usize, Option<Frame<'_>>) {
        self.clear_emitted();
        // Fast path: a whole line that fits, with no `\r` held from before,
        // is copied at once (the byte loop below gives the same result).
        if !self.cr {
            let room = self.limit.min(N).saturating_sub(self.len);
            let window = data
                .get(..data.len().min(room.saturating_add(2)))
                .unwrap_or(data);
            if let Some(p) = window.iter().position(|&b| b == b'\n') {
                let text = data.get(..p).unwrap_or(&[]);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                if let Some(dst) = self.buf.get_mut(self.len..self.len + text.len()) {
                    if text.len() <= room {
                        dst.copy_from_slice(text);
                        self.len += text.len();
                        return (p + 1, Some(self.end_line(true)));
                    }
                }
            }
        }
        for (i, &b) in data.iter().enumerate() {
            match b {
                b'\n' => return (i + 1, Some(self.end_line(true))),
                b'\r' if !self.cr => self.cr = true,
                _ => {
                    // A held `\r` not followed by `\n` is data (this byte
                    // may be another `\r`, which is then held in its place).
                    if self.cr {
                        if !self.store(b'\r') {
                            return (i, Some(self.piece()));
                        }
                        self.cr = false;
                    }
                    if b == b'\r' {
                        self.cr = true;
                    } else if !self.store(b) {
                        return (i, Some(self.piece()));
                    }
                }
            }
        }
        (data.len(), None)
    }

    /// [`feed`](Self::feed) without the copy where it can: with no partial
    /// line held, a whole line that fits the limit is given out borrowing
    /// `data` itself (the frames, and the bytes consumed, are exactly
    /// `feed`'s). A partial line is still kept in the framer's buffer. The
    /// line server frames a socket's receive buffer in place this way.
    ///
    /// ```
    /// use smolsock::line::{Frame, LineFramer};
    /// let mut f = LineFramer::<8>::new();
    /// let data = b"a long line\r\nhi\n";
    /// // Longer than 8 bytes: the framer's buffer gives out pieces.
    /// let (used, frame) = f.feed_in_place(data);
    /// assert!(matches!(frame, Some(Frame::Line(l)) if l.as_bytes() == b"a long l"));
    /// let rest = &data[used..];
    /// let (used, frame) = f.feed_in_place(rest);
    /// assert!(matches!(frame, Some(Frame::Line(l)) if l.as_bytes() == b"ine" && l.is_truncated()));
    /// // A whole line that fits: borrowed from `data`, not copied.
    /// let (_, frame) = f.feed_in_place(&rest[used..]);
    /// let Some(Frame::Line(l)) = frame else { panic!() };
    /// assert_eq!(l.as_bytes(), b"hi");
    /// assert!(core::ptr::eq(l.as_bytes().as_ptr(), &data[13]));
    /// ```
    pub fn feed_in_place<'d>(&'d mut self, data: &'d [u8]) -> (usize, Option<Frame<'d>>) {
        self.clear_emitted();
        if self.len == 0 && !self.cr && !self.overlong {
            let limit = self.limit.min(N);
            let window = data
                .get(..data.len().min(limit.saturating_add(2)))
                .unwrap_or(data);
            if let Some(p) = find_lf(window) {
                let raw = data.get(..p).unwrap_or(&[]);
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                if raw.len() <= limit {
                    let frame = match raw {
                        b"disconnect" => Frame::Command(Command::Disconnect),
                        b"stop" => Frame::Command(Command::Stop),
                        _ => Frame::Line(Line {
                            text: strip(raw),
                            truncated: false,
                            terminated: true,
                        }),
                    };
                    return (p + 1, Some(frame));
                }
            }
        }
        self.feed(data)
    }

    /// The connection ended: the partial line still held, if any, as an
    /// unterminated [`Line`] (never a command). The framer is then empty.
    pub fn finish(&mut self) -> Option<Frame<'_>> {
        self.clear_emitted();
        if self.len == 0 && !self.cr && !self.overlong {
            return None;
        }
        if self.cr {
            // A `\r` that does not fit is whitespace that stripping would
            // remove anyway.
            let _ = self.store(b'\r');
        }
        Some(self.end_line(false))
    }
}

#[cfg(test)]
mod tests;
