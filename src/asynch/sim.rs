//! `block_on_sim`: run a future on simulated time (features `async` + `std`).

use crate::error::Error;
use crate::stack::runner::NoInterrupt;
use crate::stack::Stack;
use crate::time::SimClock;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Wake;

/// Set when anything is woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Run `fut` to completion beside `stack.run(clock, NoInterrupt)`, on
/// simulated time: the async counterpart of what [`SimClock`] does for
/// blocking calls. While anything is woken it is polled; when nothing is,
/// time jumps to the next timer ([`SimClock::fire_next`]: a socket's
/// timeout, a retransmission, a sleeper); when there is no timer either, the
/// run has stalled and the result is [`Error::Stalled`] (where a blocking
/// call would return `Stalled` too), never a hang.
///
/// A general executor (`futures_executor::block_on`) with `SimClock` as the
/// runner's timer never moves time by itself: use this function (or call
/// `fire_next` when your executor is idle) for async code on `SimClock`.
///
/// ```
/// use smolsock::asynch::{block_on_sim, AsyncSocket};
/// use smolsock::smoltcp::phy::{Loopback, Medium};
/// use smolsock::{Clock, Config, Domain, Error, SimClock, Stack, StackResources, Type};
/// use std::time::Duration;
///
/// let clock = SimClock::new();
/// let mut dev = Loopback::new(Medium::Ip);
/// let mut res = StackResources::<2, 1024>::new();
/// let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
/// let s = AsyncSocket::new(&stack, Domain::IPV4, Type::DGRAM)?;
/// s.bind("127.0.0.1:9".parse().unwrap())?;
/// s.set_timeout(Some(Duration::from_secs(5)))?;
/// let mut buf = [0; 16];
/// // Nobody sends: the timeout passes in simulated time, at once.
/// assert_eq!(block_on_sim(&stack, &clock, s.recv(&mut buf))?, Err(Error::TimedOut));
/// assert_eq!(clock.now().total_millis(), 5000);
/// # Ok::<(), Error>(())
/// ```
pub fn block_on_sim<F: Future>(
    stack: &Stack<'_>,
    clock: &SimClock,
    fut: F,
) -> Result<F::Output, Error> {
    let mut fut = pin!(fut);
    let mut runner = pin!(stack.run(clock, NoInterrupt));
    let flag = Arc::new(Flag(AtomicBool::new(true)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if !flag.0.swap(false, Ordering::SeqCst) {
            if clock.fire_next() {
                continue;
            }
            return Err(Error::Stalled);
        }
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Ok(v);
        }
        let _ = runner.as_mut().poll(&mut cx);
    }
}
