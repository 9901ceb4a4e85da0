//! The one wait loop every blocking call uses, and `Op`: what a call waits
//! on, written once and driven either by this loop or by a future
//! (`wait_async.rs`).

use super::{Stack, Timeout, WaitEnd};
use crate::inner::Inner;
use crate::time::{self, Idle};
use crate::waiters::Dir;

/// What one try of an operation gives: `Ok(Some(r))` done, `Ok(None)` not
/// yet, or an error.
pub(crate) type TryResult<T, E = crate::error::Error> = Result<Option<T>, E>;

/// One operation a call waits on. `run` returns `Ok(Some(r))` when done,
/// `Ok(None)` for "not yet", or an error; it is the only place the call's
/// socket rules live, whichever front end (blocking, async) drives it.
pub(crate) struct Op<F> {
    pub run: F,
    /// Which of the slot's async waiters waits on it.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub dir: Dir,
    /// Try once before any poll (the data calls): what is ready now (bytes
    /// already buffered, room already free) is done at once, as Linux's
    /// `recv` returns buffered bytes without running the stack.
    pub ready_first: bool,
    /// Transmit at once what a try queued (the send calls), as Linux's
    /// `send` transmits, without a whole poll.
    pub transmit: bool,
}

impl<F> Op<F> {
    /// An operation that waits to read (or to accept).
    pub fn read(run: F) -> Self {
        Op {
            run,
            dir: Dir::Read,
            ready_first: false,
            transmit: false,
        }
    }

    /// An operation that waits to write (or to connect).
    pub fn write(run: F) -> Self {
        Op {
            dir: Dir::Write,
            ..Op::read(run)
        }
    }

    /// A data call: one try before any poll; `transmit` what it queued.
    pub fn data(self, transmit: bool) -> Self {
        Op {
            ready_first: true,
            transmit,
            ..self
        }
    }
}

impl<'a> Stack<'a> {
    /// Run `op` to completion as a blocking call within `timeout`.
    pub(crate) fn block<T, E: From<WaitEnd>>(
        &self,
        timeout: Timeout,
        op: Op<impl FnMut(&mut Inner<'a>) -> TryResult<T, E>>,
    ) -> Result<T, E> {
        let Op {
            mut run,
            ready_first,
            transmit,
            ..
        } = op;
        if ready_first {
            if let Some(r) = self.try_op(&mut run, transmit)? {
                return Ok(r);
            }
        }
        self.wait(timeout, run)
    }

    /// One try of `run` without polling; with `transmit`, what it queued
    /// leaves at once (one egress pass). Only when `run` says "not yet" does
    /// the stack run: state changes (FIN, RST) are seen by the poll of the
    /// first call that finds nothing ready, and a window opened by reading
    /// goes out with the next poll (as after any `recv`).
    pub(crate) fn try_op<T, E: From<WaitEnd>>(
        &self,
        run: &mut impl FnMut(&mut Inner<'a>) -> TryResult<T, E>,
        transmit: bool,
    ) -> TryResult<T, E> {
        self.with_core(|core| {
            let r = run(core)?;
            if transmit && r.is_some() {
                let _ = core.transmit(self.now());
            }
            Ok(r)
        })?
    }

    /// The one wait loop every blocking call uses: poll, try `op`, then
    /// return `WouldBlock` (non-blocking), `TimedOut` (deadline passed), or
    /// sleep through the clock until the deadline or the stack's next timer.
    /// `op` returns `Ok(None)` for "not yet". The borrow of the core is not
    /// held while the clock sleeps, so its idle hook may use the stack.
    pub(crate) fn wait<T, E: From<WaitEnd>>(
        &self,
        timeout: Timeout,
        mut op: impl FnMut(&mut Inner<'a>) -> TryResult<T, E>,
    ) -> Result<T, E> {
        let mut now = self.now();
        let deadline = time::deadline(now, timeout);
        // A device that wakes by itself wakes this wait through the clock.
        if let Some(w) = self.clock.waker() {
            let _ = self.with_core_no_wake(|core| core.device.set_waker(&w));
        }
        loop {
            let next = self.with_core(|core| {
                core.poll(now);
                Ok::<_, E>(match op(core)? {
                    Some(r) => Ok(r),
                    None => Err(core.poll_at(now)),
                })
            })??;
            let next = match next {
                Ok(r) => return Ok(r),
                Err(next) => next,
            };
            if timeout.is_some_and(|d| d.is_zero()) {
                return Err(WaitEnd::WouldBlock.into());
            }
            if time::expired(now, deadline) {
                return Err(WaitEnd::TimedOut.into());
            }
            if self.clock.idle(time::wake_at(now, deadline, next)) == Idle::Stalled {
                return Err(WaitEnd::Stalled.into());
            }
            now = self.now();
        }
    }
}
