//! The async front end's wait: the same `Op` the blocking loop runs, as a
//! future. It does not poll the stack (the runner does, and wakes it); it
//! tries the operation, and when that says "not yet" it registers its waker
//! as the slot's reader or writer, with its deadline, and sleeps.

use super::{Op, Stack, Timeout, TryResult, WaitEnd};
use crate::inner::Inner;
use crate::time;
use crate::waiters::Waiter;
use core::future::poll_fn;
use core::task::Poll;

impl<'a> Stack<'a> {
    /// Run `op` to completion as a future within `timeout`. Non-blocking
    /// (`Some(0)`) is the blocking call itself (one poll, one try, never
    /// waits); a deadline that passes is `TimedOut`.
    pub(crate) async fn wait_async<T, E: From<WaitEnd>>(
        &self,
        who: Waiter,
        timeout: Timeout,
        op: Op<impl FnMut(&mut Inner<'a>) -> TryResult<T, E>>,
    ) -> Result<T, E> {
        if timeout.is_some_and(|d| d.is_zero()) {
            return self.block(timeout, op);
        }
        let Op {
            mut run, transmit, ..
        } = op;
        // The clock is read only where a figure needs it (a wall clock's
        // read is a measurable part of a small round trip).
        let deadline = timeout.and_then(|t| time::deadline(self.now(), Some(t)));
        poll_fn(|cx| {
            // A try that finds nothing to do changes nothing, and leaves the
            // runner asleep; one that did something (bytes taken or queued,
            // a connection taken, an error reported) wakes it.
            let (r, sent) = self
                .with_core_no_wake(|core| {
                    let r = run(core);
                    // What a try queued leaves at once (also a `send_all`
                    // that queued part and waits for room).
                    let sent = transmit && r.is_ok() && core.transmit(self.now());
                    (r, sent)
                })
                .map_err(E::from)?;
            if sent || !matches!(r, Ok(None)) {
                self.waiters.kick();
            }
            match r {
                Err(e) => Poll::Ready(Err(e)),
                Ok(Some(r)) => Poll::Ready(Ok(r)),
                Ok(None) if time::expired(self.now(), deadline) => {
                    Poll::Ready(Err(WaitEnd::TimedOut.into()))
                }
                Ok(None) => {
                    self.waiters.wait(who, cx.waker(), deadline);
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// A future's waker waits as `who` until `deadline` (for a future that
    /// waits on several slots at once: `select_async`).
    pub(crate) fn wait_as(
        &self,
        who: Waiter,
        w: &core::task::Waker,
        deadline: Option<smoltcp::time::Instant>,
    ) {
        self.waiters.wait(who, w, deadline);
    }

    /// Wake the futures waiting on slot `index` (a call changed it).
    pub(crate) fn wake_slot(&self, index: u16) {
        self.waiters.wake_slot(index);
    }
}
