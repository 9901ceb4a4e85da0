//! The runner: the async front end's driver side. One future per stack
//! polls the interface, wakes the futures waiting on sockets, and sleeps
//! until the stack's next timer, the earliest deadline of a waiting call, a
//! frame from the device, or a call that gave it work.

use super::Stack;
use crate::time::{self, Timer};
use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::Poll;

/// What tells the runner a frame may have arrived: an RX interrupt in
/// firmware (an `embassy_sync::signal::Signal` set by the interrupt
/// handler), a thread watching a file descriptor on Linux.
///
/// On a device that only receives what the stack itself sent (smoltcp's
/// `Loopback`), nothing needs telling: use [`NoInterrupt`].
pub trait DeviceReady {
    /// Resolves when the device may have a frame to receive. Resolving
    /// early is harmless (the runner polls and finds nothing).
    fn ready(&mut self) -> impl Future<Output = ()>;
}

/// A device that never interrupts (`Loopback`, or one polled on timers only):
/// the runner wakes on timers and on calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoInterrupt;

impl DeviceReady for NoInterrupt {
    fn ready(&mut self) -> impl Future<Output = ()> {
        core::future::pending()
    }
}

impl<T: DeviceReady + ?Sized> DeviceReady for &mut T {
    fn ready(&mut self) -> impl Future<Output = ()> {
        (**self).ready()
    }
}

impl Stack<'_> {
    /// The async front end's driver: run this future beside the tasks that
    /// use [`AsyncSocket`](crate::asynch::AsyncSocket)s (one per stack; it
    /// never returns). It polls the interface, wakes the futures waiting on
    /// sockets when packets moved or a timer ran, and sleeps on `timer`
    /// until the stack's next timer or the earliest deadline of a waiting
    /// call, on `device` for a frame, or until a socket call gives it work.
    ///
    /// `timer` must count on the same clock as the stack's [`Clock`](crate::Clock).
    /// Without a runner, async calls that wait never complete (their
    /// timeouts included); one runner per stack is enough (a second one
    /// works but only adds polls).
    pub async fn run(&self, timer: &impl Timer, mut device: impl DeviceReady) -> ! {
        let mut due = None;
        // A device that wakes the runner itself (an embassy driver) gets
        // this task's waker as its `Context`'s.
        let wakes = self
            .with_core_no_wake(|core| core.device.wakes_runner())
            .unwrap_or(false);
        loop {
            self.waiters.runner_awake();
            if wakes {
                let waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
                let _ = self.with_core_no_wake(|core| core.device.set_waker(&waker));
            }
            let now = self.now();
            let active = self.with_core(|core| core.poll(now)).unwrap_or(false);
            if active || due.is_some_and(|d| now >= d) {
                self.waiters.wake_all();
            }
            let next = self.with_core(|core| core.poll_at(now)).ok().flatten();
            due = time::wake_at(now, self.waiters.earliest(), next);
            self.waiters.runner_plans(due);
            let mut sleep = pin!(due.map(|t| timer.sleep_until(t)));
            let mut frame = pin!(device.ready());
            let mut first = true;
            // Set once the timer or the device has resolved: neither is
            // polled again after that (a future must not be).
            let mut rang = false;
            poll_fn(|cx| {
                let first = core::mem::replace(&mut first, false);
                // Polled again: the task was woken, by the device itself
                // for one that wakes the runner (a frame, TX room, a link
                // change), so the stack polls.
                if rang || (wakes && !first) || self.waiters.runner_sleeps(cx.waker()) {
                    return Poll::Ready(());
                }
                rang = sleep
                    .as_mut()
                    .as_pin_mut()
                    .is_some_and(|s| s.poll(cx).is_ready())
                    || frame.as_mut().poll(cx).is_ready();
                if rang && first {
                    // Ready without waiting (a timer that returns early, a
                    // device that always has something): give the other
                    // tasks a turn before looking again, so the runner
                    // cannot loop inside one poll.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                if rang {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
        }
    }
}
