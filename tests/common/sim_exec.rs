//! A deterministic single-threaded executor for async tests: it polls the
//! test's future and the stack's runner until the future is done; when
//! nothing is woken it fires the simulated clock's next timer (time jumps),
//! and when there is no timer either it fails the test as stalled.

use smolsock::asynch::NoInterrupt;
use smolsock::{SimClock, Stack};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Rounds before a test is declared looping (each round polls everything once).
pub const MAX_ROUNDS: usize = 10_000_000;

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// How a run ended without the future finishing.
#[derive(Debug, PartialEq, Eq)]
pub enum Stall {
    /// Nothing to run and no timer to fire.
    Stalled,
}

/// Run `fut` beside `stack.run(clock, NoInterrupt)` on simulated time.
#[track_caller]
pub fn block_on_sim<F: Future>(stack: &Stack<'_>, clock: &SimClock, fut: F) -> F::Output {
    match try_block_on_sim(stack, clock, fut) {
        Ok(v) => v,
        Err(Stall::Stalled) => panic!("async test stalled: nothing woken and no timer pending"),
    }
}

/// [`block_on_sim`], reporting a stall instead of failing.
#[track_caller]
pub fn try_block_on_sim<F: Future>(
    stack: &Stack<'_>,
    clock: &SimClock,
    fut: F,
) -> Result<F::Output, Stall> {
    let mut fut = pin!(fut);
    let mut runner = pin!(stack.run(clock, NoInterrupt));
    let flag = Arc::new(Flag(AtomicBool::new(true)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    for _ in 0..MAX_ROUNDS {
        flag.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Ok(v);
        }
        let _ = runner.as_mut().poll(&mut cx);
        if flag.0.load(Ordering::SeqCst) {
            continue;
        }
        if !clock.fire_next() {
            return Err(Stall::Stalled);
        }
    }
    panic!("async test still running after {MAX_ROUNDS} rounds: a wake-up loop?");
}
