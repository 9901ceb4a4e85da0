//! The server: a listener plus up to `S` sessions, each with its framer.
//!
//! One state machine serves both styles. [`LineServer::poll`] never blocks
//! (super-loop firmware calls it after `stack.poll(now)`); [`LineServer::run`]
//! loops `poll` and between rounds makes one [`Stack::select`] over the
//! listener and every session, up to the first session deadline, so it
//! sleeps in the stack's wait loop (`blocking.rs`).

mod blocking;

use super::config::{LineConfig, DEFAULT_MAX_LINE};
use super::framing::{Command, Frame, LineFramer};
use super::handler::{CloseReason, LineHandler, SessionInfo};
use crate::{Domain, Error, Result, SockAddr, Socket, Stack, Type};
use core::time::Duration;
use smoltcp::time::{Duration as SmolDuration, Instant};

/// Bytes read per `recv` call.
const CHUNK: usize = 1024;
/// `recv` calls per session per [`LineServer::poll`], so one busy client
/// cannot starve the others.
const MAX_READS: usize = 8;
/// Bytes framed per [`LineServer::poll`] when the server serves one
/// session at a time (nobody else to give way to): 64 KiB, so `poll` still
/// returns to the super-loop after a bounded amount of work.
const SOLO_BUDGET: usize = 64 * 1024;
/// Longest idle timeout honoured (longer ones are this).
const MAX_IDLE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// What [`LineServer::poll`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Still serving.
    Running,
    /// A client sent `stop` (or [`LineServer::stop`] was called): the
    /// listener is closed and every session with it.
    Stopped,
}

struct Conn<'s, 'a> {
    sock: Socket<'s, 'a>,
    info: SessionInfo,
    /// When it was accepted (the session limit counts from here).
    opened: Instant,
    /// The last byte received (the idle timeout counts from here).
    last_rx: Instant,
    /// The last line (or piece) delivered, or `opened` (the line timeout).
    last_line: Instant,
}

/// The time limits of [`LineConfig`], in smoltcp time.
#[derive(Debug, Clone, Copy)]
struct Limits {
    idle: Option<SmolDuration>,
    session: Option<SmolDuration>,
    line: Option<SmolDuration>,
}

impl Limits {
    fn of(config: &LineConfig) -> Self {
        Limits {
            idle: config.idle_timeout.map(limit),
            session: config.session_limit.map(limit),
            line: config.line_timeout.map(limit),
        }
    }

    /// The first deadline of `conn` (`None`: no limit is set).
    fn deadline(&self, conn: &Conn<'_, '_>) -> Option<Instant> {
        [
            self.session.map(|d| conn.opened + d),
            self.line.map(|d| conn.last_line + d),
            self.idle.map(|d| conn.last_rx + d),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// What closes `conn` at `now`, if a limit has passed. With `had_data`,
    /// the idle timeout cannot have passed (a byte just came).
    fn expired(&self, conn: &Conn<'_, '_>, now: Instant, had_data: bool) -> Option<CloseReason> {
        if self.session.is_some_and(|d| now >= conn.opened + d) {
            return Some(CloseReason::SessionLimit);
        }
        if self.line.is_some_and(|d| now >= conn.last_line + d) {
            return Some(CloseReason::LineTimeout);
        }
        if !had_data && self.idle.is_some_and(|d| now >= conn.last_rx + d) {
            return Some(CloseReason::IdleTimeout);
        }
        None
    }
}

/// One session place: the connection being served (if any) and its framer.
struct Session<'s, 'a, const L: usize> {
    conn: Option<Conn<'s, 'a>>,
    framer: LineFramer<L>,
}

/// Session `k`'s connection and framer, if a connection is being served there.
fn open_session<'x, 's, 'a, const L: usize>(
    sessions: &'x mut [Session<'s, 'a, L>],
    k: usize,
) -> Option<(&'x mut Conn<'s, 'a>, &'x mut LineFramer<L>)> {
    let Session { conn, framer } = sessions.get_mut(k)?;
    Some((conn.as_mut()?, framer))
}

/// What one `recv` result did to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    /// Nothing to read now; still open.
    Idle,
    /// Read some bytes; there may be more.
    Data,
    /// The session closed.
    Closed,
    /// `stop`: the whole server stopped.
    Stopped,
}

/// The seed's line server: `S` sessions of `L`-byte line buffers, all inside
/// this value (no heap); [`LineConfig`] picks how many of them are used.
///
/// The defaults (`S` = 1, `L` = 1024) are the seed's one-client-at-a-time
/// server: other clients wait in the listen backlog with their data kept.
///
/// ```
/// use smolsock::line::{Event, LineConfig, LineServer, Status};
/// use smolsock::{Clock, Config, Domain, SimClock, Socket, Stack, StackResources, Type};
/// use smoltcp::phy::{Loopback, Medium};
///
/// let clock = SimClock::new();
/// let mut dev = Loopback::new(Medium::Ip);
/// let mut res = StackResources::<8, 1024>::new();
/// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
///
/// let mut server: LineServer = LineServer::new(&stack, LineConfig::default())?;
/// let client = Socket::new(&stack, Domain::IPV4, Type::STREAM)?;
/// client.set_nonblocking(true)?;
/// let _ = client.connect("127.0.0.1:10001".parse().unwrap()); // in progress
/// stack.poll(clock.now());
/// client.send_all(b"hello\r\nstop\r\n")?;
///
/// let mut printed = Vec::new();
/// server.run(&mut |e: Event<'_>| match e {
///     Event::Line(_, l) => printed.push(l.as_str().unwrap_or("?").to_string()),
///     Event::Closed(..) => printed.push("-".repeat(16)),
///     Event::Opened(_) => {}
/// })?;
/// assert_eq!(printed, ["hello", "----------------"]);
/// assert_eq!(server.poll(&mut |_: Event<'_>| {})?, Status::Stopped);
/// # Ok::<(), smolsock::Error>(())
/// ```
pub struct LineServer<'s, 'a, const S: usize = 1, const L: usize = DEFAULT_MAX_LINE> {
    stack: &'s Stack<'a>,
    config: LineConfig,
    listener: Option<Socket<'s, 'a>>,
    limits: Limits,
    sessions: [Session<'s, 'a, L>; S],
    next_id: u32,
    /// A session stopped reading with data possibly left (fairness cap).
    more: bool,
}

impl<const S: usize, const L: usize> core::fmt::Debug for LineServer<'_, '_, S, L> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LineServer")
            .field("config", &self.config)
            .field("listening", &self.listener.is_some())
            .field("active", &self.active_sessions())
            .finish()
    }
}

/// A configured time limit as the stack's duration, at most [`MAX_IDLE`].
fn limit(d: Duration) -> SmolDuration {
    crate::time::span(d.min(MAX_IDLE))
}

/// How many connections can wait while `config.max_sessions` are served,
/// right after `listen(config.backlog)` armed slots out of the pool
/// (`before`: armed backlog slots of the stack before it, `after`: usage now).
///
/// The listener's own slot and the armed ones catch connections; each
/// session being served holds one slot of its own, taken from the free ones
/// while there are some, else from the backlog's.
fn granted_backlog(config: &LineConfig, before: usize, after: crate::Stats) -> usize {
    let asked = config.backlog.clamp(1, crate::MAX_BACKLOG);
    let armed = after.backlog.saturating_sub(before) + 1;
    let spare = after.free + after.unused;
    let short = config.max_sessions.saturating_sub(spare);
    asked.min(armed.saturating_sub(short))
}

impl<'s, 'a, const S: usize, const L: usize> LineServer<'s, 'a, S, L> {
    const NONZERO: () = assert!(S > 0, "LineServer needs at least one session");

    /// Bind (with address reuse, as the seed's `SO_REUSEADDR`) and listen.
    /// `config.max_sessions` is capped at `S` (at least 1) and
    /// `config.max_line` at `L`.
    pub fn new(stack: &'s Stack<'a>, mut config: LineConfig) -> Result<Self> {
        #[allow(clippy::let_unit_value)]
        let () = Self::NONZERO;
        config.max_sessions = config.max_sessions.clamp(1, S);
        config.max_line = config.max_line.clamp(1, L.max(1));
        let addr = config.socket_addr();
        let listener = Socket::new(stack, Domain::for_address(addr), Type::STREAM)?;
        listener.set_reuse_address(true)?;
        listener.bind(addr)?;
        let before = stack.stats()?.backlog;
        listener.listen(config.backlog)?;
        listener.set_nonblocking(true)?;
        config.backlog = granted_backlog(&config, before, stack.stats()?);
        crate::log::net_debug!(
            "line server listening on {}, backlog {}",
            addr,
            config.backlog
        );
        let limit = config.max_line;
        let limits = Limits::of(&config);
        Ok(LineServer {
            stack,
            config,
            listener: Some(listener),
            limits,
            sessions: core::array::from_fn(|_| Session {
                conn: None,
                framer: LineFramer::with_limit(limit),
            }),
            next_id: 0,
            more: false,
        })
    }

    /// The settings in use (after capping).
    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    /// The listening address (e.g. to learn an ephemeral port).
    pub fn local_addr(&self) -> Result<SockAddr> {
        match &self.listener {
            Some(l) => l.local_addr(),
            None => Err(Error::BadDescriptor),
        }
    }

    /// How many connections are being served now.
    pub fn active_sessions(&self) -> usize {
        self.sessions.iter().filter(|s| s.conn.is_some()).count()
    }

    /// True once stopped.
    pub fn is_stopped(&self) -> bool {
        self.listener.is_none()
    }

    /// Do everything that can be done now, without blocking: accept waiting
    /// connections while there is room, read and frame what arrived, close
    /// sessions that ended (EOF, `disconnect`, idle timeout, reset) and,
    /// after a close, take the next waiting connection at once.
    ///
    /// Its non-blocking socket calls drive the stack at the clock's time, so a
    /// super-loop needs no more than this and [`poll_at`](Self::poll_at):
    ///
    /// ```no_run
    /// # use smolsock::line::{Event, LineConfig, LineServer, Status};
    /// # fn f(stack: &smolsock::Stack<'_>) -> smolsock::Result<()> {
    /// let mut server: LineServer = LineServer::new(stack, LineConfig::default())?;
    /// let mut handler = |_e: Event<'_>| {};
    /// loop {
    ///     stack.poll(stack.now());
    ///     if server.poll(&mut handler)? == Status::Stopped {
    ///         break;
    ///     }
    ///     let _wake_at = server.poll_at(); // sleep (WFI) until then or an interrupt
    /// }
    /// # Ok(()) }
    /// ```
    pub fn poll(&mut self, handler: &mut impl LineHandler) -> Result<Status> {
        if self.listener.is_none() {
            return Ok(Status::Stopped);
        }
        self.more = false;
        // Each extra round follows a close, which frees room for a waiting client.
        for _ in 0..=S {
            self.accept_ready(handler)?;
            let mut closed = false;
            for k in 0..S {
                match self.serve(k, handler) {
                    Served::Stopped => return Ok(Status::Stopped),
                    Served::Closed => closed = true,
                    Served::Idle | Served::Data => {}
                }
            }
            if !closed {
                break;
            }
        }
        Ok(Status::Running)
    }

    /// When [`poll`](Self::poll) has work next without a packet arriving:
    /// the earliest idle deadline or stack timer (`None`: only a packet can
    /// make work). Right now if a session may have unread data.
    pub fn poll_at(&self) -> Option<Instant> {
        if self.more {
            return Some(self.stack.now());
        }
        match (self.next_deadline(), self.stack.poll_at()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Stop serving: flush and close every session (reason
    /// [`CloseReason::ServerStopped`]), then close the listener, which resets
    /// connections still waiting in its backlog.
    pub fn stop(&mut self, handler: &mut impl LineHandler) {
        for k in 0..S {
            self.close(k, CloseReason::ServerStopped, handler);
        }
        if let Some(l) = self.listener.take() {
            let _ = l.close();
            crate::log::net_debug!("line server stopped");
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.sessions
            .iter()
            .filter_map(|s| s.conn.as_ref())
            .filter_map(|c| self.limits.deadline(c))
            .min()
    }

    fn accept_ready(&mut self, handler: &mut impl LineHandler) -> Result<()> {
        for _ in 0..=(S + self.config.backlog) {
            if self.active_sessions() >= self.config.max_sessions {
                return Ok(());
            }
            let Some(listener) = &self.listener else {
                return Ok(());
            };
            match listener.accept() {
                Ok((sock, peer)) => self.open(sock, peer, handler)?,
                Err(Error::WouldBlock) => return Ok(()),
                // A waiting connection died before its turn: next one.
                Err(Error::ConnectionReset) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn open(
        &mut self,
        sock: Socket<'s, 'a>,
        peer: SockAddr,
        handler: &mut impl LineHandler,
    ) -> Result<()> {
        sock.set_nonblocking(true)?;
        let Some(session) = self.sessions.iter_mut().find(|s| s.conn.is_none()) else {
            // Not reached: callers check for room. Refuse rather than panic.
            return Err(Error::NoBufferSpace);
        };
        let info = SessionInfo {
            id: self.next_id,
            peer,
        };
        self.next_id = self.next_id.wrapping_add(1);
        session.framer.reset();
        let now = self.stack.now();
        session.conn = Some(Conn {
            sock,
            info,
            opened: now,
            last_rx: now,
            last_line: now,
        });
        crate::log::net_debug!("line session {} from {} opened", info.id, peer);
        handler.opened(&info);
        Ok(())
    }

    /// Read what session `k` has, up to [`MAX_READS`] × [`CHUNK`] bytes
    /// ([`SOLO_BUDGET`] when only one session is served at a time).
    fn serve<H: LineHandler>(&mut self, k: usize, handler: &mut H) -> Served {
        if H::LINES_IN_PLACE {
            self.serve_in_place(k, handler)
        } else {
            self.serve_copying(k, handler)
        }
    }

    /// [`serve`](Self::serve) framing the socket's receive buffer in place:
    /// no copy, one `recv_with` per contiguous part of the buffer, and no
    /// stack poll while bytes are buffered.
    fn serve_in_place(&mut self, k: usize, handler: &mut impl LineHandler) -> Served {
        let mut budget = if self.config.max_sessions == 1 {
            SOLO_BUDGET
        } else {
            MAX_READS * CHUNK
        };
        while budget > 0 {
            let now = self.stack.now();
            let Some((conn, framer)) = open_session(&mut self.sessions, k) else {
                return Served::Idle;
            };
            let Conn {
                sock,
                info,
                last_line,
                ..
            } = conn;
            let mut command = None;
            let r = sock.recv_with(|all| {
                let data = all.get(..all.len().min(budget)).unwrap_or(all);
                let mut used = 0;
                while let Some(rest) = data.get(used..).filter(|r| !r.is_empty()) {
                    let (n, frame) = framer.feed_in_place(rest);
                    used += n;
                    match frame {
                        Some(Frame::Line(line)) => {
                            *last_line = now;
                            handler.line(info, line);
                        }
                        Some(Frame::Command(c)) => {
                            command = Some(c);
                            // What follows a command in the same read is
                            // dropped, as with the seed's 1 KiB `recv`.
                            return all.len();
                        }
                        None => {}
                    }
                }
                used
            });
            if let Ok(n) = r {
                budget = budget.saturating_sub(n);
            }
            match self.after_read(k, r, now, command, handler) {
                Served::Data => {}
                other => return other,
            }
        }
        self.more = true;
        Served::Data
    }

    /// [`serve`](Self::serve) copying 1 KiB chunks out of the socket (for a
    /// handler that makes socket calls in `line`).
    fn serve_copying(&mut self, k: usize, handler: &mut impl LineHandler) -> Served {
        let mut chunk = [0u8; CHUNK];
        for _ in 0..MAX_READS {
            let Some(Some(conn)) = self.sessions.get(k).map(|s| s.conn.as_ref()) else {
                return Served::Idle;
            };
            let r = conn.sock.recv(&mut chunk);
            match self.on_recv(k, r, &chunk, handler) {
                Served::Data => {}
                other => return other,
            }
        }
        self.more = true;
        Served::Data
    }

    /// Act on one `recv` result of session `k`.
    fn on_recv(
        &mut self,
        k: usize,
        r: Result<usize>,
        chunk: &[u8],
        handler: &mut impl LineHandler,
    ) -> Served {
        let now = self.stack.now();
        let Some((conn, framer)) = open_session(&mut self.sessions, k) else {
            return Served::Idle;
        };
        let mut command = None;
        if let Ok(n) = r {
            let mut data = chunk.get(..n).unwrap_or(&[]);
            while !data.is_empty() {
                let (used, frame) = framer.feed(data);
                data = data.get(used..).unwrap_or(&[]);
                match frame {
                    Some(Frame::Line(line)) => {
                        conn.last_line = now;
                        handler.line(&conn.info, line);
                    }
                    Some(Frame::Command(c)) => {
                        command = Some(c);
                        break;
                    }
                    None => {}
                }
            }
        }
        self.after_read(k, r, now, command, handler)
    }

    /// Decide what one read of session `k` (its lines already delivered,
    /// `command` the command that ended it) means: go on, or close.
    fn after_read(
        &mut self,
        k: usize,
        r: Result<usize>,
        now: Instant,
        command: Option<Command>,
        handler: &mut impl LineHandler,
    ) -> Served {
        let limits = self.limits;
        let remote_stop = &self.config.remote_stop;
        let Some(Session {
            conn: Some(conn), ..
        }) = self.sessions.get_mut(k)
        else {
            return Served::Idle;
        };
        let reason = match r {
            Ok(0) => CloseReason::Eof,
            Ok(_) => {
                conn.last_rx = now;
                match command {
                    // Lines that came in time are delivered; a limit that
                    // passed meanwhile still closes (a fast sender too).
                    None => match limits.expired(conn, now, true) {
                        Some(why) => why,
                        None => return Served::Data,
                    },
                    Some(Command::Disconnect) => CloseReason::Disconnect,
                    Some(Command::Stop) if remote_stop.allows(conn.info.peer.ip()) => {
                        CloseReason::Stop
                    }
                    Some(Command::Stop) => CloseReason::StopRefused,
                }
            }
            Err(Error::WouldBlock | Error::TimedOut) => match limits.expired(conn, now, false) {
                Some(why) => why,
                None => return Served::Idle,
            },
            Err(Error::ConnectionReset) => CloseReason::Reset,
            Err(e) => CloseReason::Error(e),
        };
        self.close(k, reason, handler);
        if reason == CloseReason::Stop {
            self.stop(handler);
            return Served::Stopped;
        }
        Served::Closed
    }

    /// Close session `k`: deliver its partial line (unless it ended with a
    /// command, which is a whole line), close the socket, report.
    fn close(&mut self, k: usize, reason: CloseReason, handler: &mut impl LineHandler) {
        let Some(session) = self.sessions.get_mut(k) else {
            return;
        };
        let Some(conn) = session.conn.take() else {
            return;
        };
        if !matches!(
            reason,
            CloseReason::Disconnect | CloseReason::Stop | CloseReason::StopRefused
        ) {
            if let Some(Frame::Line(line)) = session.framer.finish() {
                handler.line(&conn.info, line);
            }
        }
        session.framer.reset();
        if let Err(e) = conn.sock.close() {
            crate::log::net_warn!("line session {}: close: {}", conn.info.id, e);
        }
        crate::log::net_debug!("line session {} closed: {:?}", conn.info.id, reason);
        handler.closed(&conn.info, reason);
    }
}
