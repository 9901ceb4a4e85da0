//! What the server tells its user: sessions opening, lines, sessions closing.

use super::framing::Line;
use crate::{Error, SockAddr};

/// One connection being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionInfo {
    /// Counts up from 0 for each accepted connection.
    pub id: u32,
    /// The client's address.
    pub peer: SockAddr,
}

/// Why a connection was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent `disconnect`.
    Disconnect,
    /// The client sent `stop`; the server stops after this.
    Stop,
    /// The client closed its side (end of stream).
    Eof,
    /// Nothing was received for the configured idle timeout.
    IdleTimeout,
    /// The connection reached the configured session limit
    /// ([`LineConfig::session_limit`](super::LineConfig::session_limit)).
    SessionLimit,
    /// The client took longer than the configured line timeout to complete
    /// a line ([`LineConfig::line_timeout`](super::LineConfig::line_timeout)).
    LineTimeout,
    /// The client sent `stop` but may not stop the server
    /// ([`LineConfig::remote_stop`](super::LineConfig::remote_stop)): its
    /// connection is closed, the server keeps serving.
    StopRefused,
    /// The client reset the connection.
    Reset,
    /// Another session's `stop`, or [`LineServer::stop`](super::LineServer::stop).
    ServerStopped,
    /// A socket error ended the connection.
    Error(Error),
}

/// Receives what the server sees. Only [`line`](Self::line) is required.
///
/// ```
/// use smolsock::line::{CloseReason, Line, LineHandler, SessionInfo};
/// struct Print;
/// impl LineHandler for Print {
///     fn line(&mut self, _s: &SessionInfo, line: Line<'_>) {
///         println!("{}", String::from_utf8_lossy(line.as_bytes()));
///     }
///     fn closed(&mut self, _s: &SessionInfo, _why: CloseReason) {
///         println!("----------------");
///     }
/// }
/// ```
///
/// A closure taking an [`Event`] is a handler too.
pub trait LineHandler {
    /// Whether [`line`](Self::line) may be called with the line in place, in
    /// the socket's receive buffer (the default: no copy). It is then called
    /// while the stack is borrowed, so a socket or stack call made from it
    /// returns [`Error::Busy`](crate::Error::Busy), as inside
    /// [`Socket::recv_with`](crate::Socket::recv_with). A handler that uses
    /// sockets in `line` (forwarding lines elsewhere, say) sets this to
    /// `false`: its lines are copied out of the socket first, 1 KiB at a time.
    /// `opened` and `closed` are always called outside the borrow.
    const LINES_IN_PLACE: bool = true;
    /// A connection was accepted and is now being served.
    fn opened(&mut self, session: &SessionInfo) {
        let _ = session;
    }
    /// A line arrived, stripped (see [`framing`](super::framing) for the rules).
    fn line(&mut self, session: &SessionInfo, line: Line<'_>);
    /// The connection was closed. A partial line it left was delivered first.
    fn closed(&mut self, session: &SessionInfo, reason: CloseReason) {
        let _ = (session, reason);
    }
}

/// One handler call, for closure handlers.
///
/// ```
/// use smolsock::line::{Event, LineHandler};
/// let mut lines = 0;
/// let mut handler = |e: Event<'_>| {
///     if let Event::Line(_, _) = e {
///         lines += 1;
///     }
/// };
/// fn takes(_: &mut impl LineHandler) {}
/// takes(&mut handler);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// See [`LineHandler::opened`].
    Opened(SessionInfo),
    /// See [`LineHandler::line`].
    Line(SessionInfo, Line<'a>),
    /// See [`LineHandler::closed`].
    Closed(SessionInfo, CloseReason),
}

impl<F: FnMut(Event<'_>)> LineHandler for F {
    fn opened(&mut self, session: &SessionInfo) {
        self(Event::Opened(*session))
    }
    fn line(&mut self, session: &SessionInfo, line: Line<'_>) {
        self(Event::Line(*session, line))
    }
    fn closed(&mut self, session: &SessionInfo, reason: CloseReason) {
        self(Event::Closed(*session, reason))
    }
}
