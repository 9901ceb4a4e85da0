//! The blocking form of the server: `run` = `poll`, then one `select` over
//! the listener (while there is room for a session) and every session, up
//! to the first session deadline, so the program sleeps in the stack's
//! single wait loop (the clock's idle hook) until something happens.

use super::{LineServer, Status};
use crate::line::handler::LineHandler;
use crate::{Events, Interest, Result};
use core::time::Duration;

impl<const S: usize, const L: usize> LineServer<'_, '_, S, L> {
    /// Serve until a client sends `stop`: the blocking form. Returns `Ok(())`
    /// after `stop`, or the socket error that ended the server
    /// ([`Error::Stalled`](crate::Error::Stalled) on a simulated clock with
    /// nothing left to happen).
    pub fn run(&mut self, handler: &mut impl LineHandler) -> Result<()> {
        loop {
            if self.poll(handler)? == Status::Stopped {
                return Ok(());
            }
            self.block()?;
        }
    }

    /// Sleep in one `select` until a session or the listener has something
    /// for [`poll`](Self::poll), or the first session deadline.
    fn block(&mut self) -> Result<()> {
        if self.more {
            return Ok(());
        }
        let now = self.stack.now();
        let wait = self.next_deadline().map(|d| {
            if d > now {
                crate::time::from_smol(d - now)
            } else {
                Duration::ZERO
            }
        });
        if wait == Some(Duration::ZERO) {
            return Ok(());
        }
        let Some(listener) = &self.listener else {
            return Ok(());
        };
        // The listener only while a session place is free: with fewer than
        // `max_sessions` (≤ S) sessions, they and the listener fit in S.
        let room = self.active_sessions() < self.config.max_sessions;
        let mut set: [Interest<'_, '_>; S] =
            core::array::from_fn(|_| Interest::new(listener, Events::READ));
        let mut n = usize::from(room);
        for conn in self.sessions.iter().filter_map(|s| s.conn.as_ref()) {
            if let Some(e) = set.get_mut(n) {
                *e = Interest::new(&conn.sock, Events::READ);
                n += 1;
            }
        }
        let set = set.get_mut(..n).unwrap_or_default();
        self.stack.select(set, wait).map(|_| ())
    }
}
