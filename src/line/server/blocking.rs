//! The blocking form of the server: `run` = `poll`, then one blocking
//! socket call on what is worth waiting for, so the program sleeps in the
//! stack's single wait loop (the clock's idle hook) between events.

use super::{LineServer, Status, CHUNK, MULTI_WAIT_SLICE};
use crate::line::handler::LineHandler;
use crate::{Error, Result};
use core::time::Duration;

impl<const S: usize, const L: usize> LineServer<'_, '_, S, L> {
    /// Serve until a client sends `stop`: the blocking form. Returns `Ok(())`
    /// after `stop`, or the socket error that ended the server
    /// ([`Error::Stalled`] on a simulated clock with nothing left to happen).
    pub fn run(&mut self, handler: &mut impl LineHandler) -> Result<()> {
        loop {
            if self.poll(handler)? == Status::Stopped {
                return Ok(());
            }
            self.block(handler)?;
        }
    }

    /// Block in one socket call on what is worth waiting for: `accept` when
    /// no session is open, the session's `recv` (up to its idle deadline)
    /// when one session fills the server, else each in short slices.
    fn block(&mut self, handler: &mut impl LineHandler) -> Result<()> {
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
        let active = self.active_sessions();
        if active < self.config.max_sessions {
            let Some(listener) = &self.listener else {
                return Ok(());
            };
            let timeout = if active == 0 {
                None
            } else {
                Some(wait.map_or(MULTI_WAIT_SLICE, |w| w.min(MULTI_WAIT_SLICE)))
            };
            listener.set_timeout(timeout)?;
            let r = listener.accept();
            listener.set_nonblocking(true)?;
            return match r {
                Ok((sock, peer)) => self.open(sock, peer, handler),
                Err(Error::TimedOut | Error::ConnectionReset) => Ok(()),
                Err(e) => Err(e),
            };
        }
        // Full: wait on the session whose deadline comes first.
        let limits = self.limits;
        let pick = self
            .sessions
            .iter()
            .enumerate()
            .filter_map(|(k, s)| s.conn.as_ref().map(|c| (k, c)))
            .min_by_key(|(_, c)| limits.deadline(c));
        let Some((k, conn)) = pick else {
            return Ok(());
        };
        let timeout = if active == 1 {
            wait
        } else {
            Some(wait.map_or(MULTI_WAIT_SLICE, |w| w.min(MULTI_WAIT_SLICE)))
        };
        let mut chunk = [0u8; CHUNK];
        conn.sock.set_timeout(timeout)?;
        let r = conn.sock.recv(&mut chunk);
        conn.sock.set_nonblocking(true)?;
        if r == Err(Error::Stalled) {
            return Err(Error::Stalled);
        }
        self.on_recv(k, r, &chunk, handler);
        Ok(())
    }
}
