//! A deterministic single-threaded executor for async tests: it polls the
//! test's future and the stack's runner until the future is done; when
//! nothing is woken it fires the simulated clock's next timer (time jumps),
//! and when there is no timer either it fails the test as stalled.
//!
//! Two ways to poll: [`Mode::PollAll`] polls the future and the runner
//! whenever anything was woken (an executor that polls every task on any
//! wake-up: a future that wakes the runner each time it looks would spin
//! it), [`Mode::PollWoken`] polls only what was woken. Either way the run
//! is counted ([`Counts`]), so a test can assert that waiting costs a
//! bounded number of rounds and runner iterations.

use smolsock::asynch::{DeviceReady, Timer};
use smolsock::{Clock, SimClock, Stack};
use std::cell::Cell;
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

impl Flag {
    fn new() -> Arc<Self> {
        Arc::new(Flag(AtomicBool::new(true)))
    }
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

/// How a run ended without the future finishing.
#[derive(Debug, PartialEq, Eq)]
pub enum Stall {
    /// Nothing to run and no timer to fire.
    Stalled,
}

/// Which futures a round polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything, whenever anything was woken (one waker for all).
    PollAll,
    /// Only the futures that were woken (a waker each).
    PollWoken,
}

/// What a run cost.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Rounds in which something was polled.
    pub rounds: usize,
    /// Polls of the test's future.
    pub task_polls: usize,
    /// Polls of the runner future.
    pub runner_polls: usize,
    /// Iterations of the runner's loop (each asks the device for a frame once).
    pub runner_loops: usize,
    /// Timers fired (simulated time jumps).
    pub fires: usize,
}

/// `NoInterrupt` that counts how often the runner asks: once per iteration
/// of its loop.
struct CountingNoInterrupt<'c>(&'c Cell<usize>);

impl DeviceReady for CountingNoInterrupt<'_> {
    fn ready(&mut self) -> impl Future<Output = ()> {
        self.0.set(self.0.get() + 1);
        std::future::pending()
    }
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
    run_sim(stack, clock, Mode::PollAll, fut).map(|(v, _)| v)
}

/// [`block_on_sim`] in `mode`, with what the run cost.
#[track_caller]
pub fn block_on_sim_counted<F: Future>(
    stack: &Stack<'_>,
    clock: &SimClock,
    mode: Mode,
    fut: F,
) -> (F::Output, Counts) {
    match run_sim(stack, clock, mode, fut) {
        Ok(v) => v,
        Err(Stall::Stalled) => panic!("async test stalled: nothing woken and no timer pending"),
    }
}

/// Run `fut` beside the stack's runner in `mode` until it is done.
#[track_caller]
pub fn run_sim<F: Future>(
    stack: &Stack<'_>,
    clock: &SimClock,
    mode: Mode,
    fut: F,
) -> Result<(F::Output, Counts), Stall> {
    let loops = Cell::new(0);
    let mut counts = Counts::default();
    let mut fut = pin!(fut);
    let mut runner = pin!(stack.run(clock, CountingNoInterrupt(&loops)));
    let task_flag = Flag::new();
    // In `PollAll` one flag (and waker) stands for both.
    let runner_flag = match mode {
        Mode::PollAll => task_flag.clone(),
        Mode::PollWoken => Flag::new(),
    };
    let task_waker = Waker::from(task_flag.clone());
    let runner_waker = Waker::from(runner_flag.clone());
    for _ in 0..MAX_ROUNDS {
        let (task, run) = match mode {
            Mode::PollAll => {
                let any = task_flag.take();
                (any, any)
            }
            Mode::PollWoken => (task_flag.take(), runner_flag.take()),
        };
        if !task && !run {
            if !clock.fire_next() {
                return Err(Stall::Stalled);
            }
            counts.fires += 1;
            continue;
        }
        counts.rounds += 1;
        if task {
            counts.task_polls += 1;
            if let Poll::Ready(v) = fut.as_mut().poll(&mut Context::from_waker(&task_waker)) {
                counts.runner_loops = loops.get();
                return Ok((v, counts));
            }
        }
        if run {
            counts.runner_polls += 1;
            let _ = runner
                .as_mut()
                .poll(&mut Context::from_waker(&runner_waker));
        }
    }
    panic!("async test still running after {MAX_ROUNDS} rounds: a wake-up loop?");
}

/// Sleep `ms` of simulated time (through the clock's `Timer`).
pub async fn sleep_ms(clock: &SimClock, ms: u64) {
    let at = clock.now() + smoltcp::time::Duration::from_millis(ms);
    clock.sleep_until(at).await
}
