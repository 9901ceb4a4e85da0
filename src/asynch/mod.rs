//! The async front end (feature `async`): the socket calls as futures, on
//! the same core as the blocking ones.
//!
//! Every waiting call of [`Socket`](crate::Socket) is an operation written
//! once; the blocking call runs it in the wait loop, the async call here
//! runs it as a future that sleeps until [`Stack::run`](crate::Stack::run),
//! the runner, wakes it. So both front ends have the same semantics (the
//! real backlog, Python's errors, the socket's timeout as `TimedOut`, a
//! non-blocking socket's `WouldBlock`), and both can be used on one stack
//! at once.
//!
//! | Blocking ([`Socket`](crate::Socket)) | Async ([`AsyncSocket`]) |
//! |---|---|
//! | `accept()` | `accept().await` |
//! | `connect(addr)` | `connect(addr).await` |
//! | `recv`, `recv_from` | `recv(..).await`, `recv_from(..).await` |
//! | `send`, `send_to`, `send_all` | `send(..).await`, `send_to(..).await`, `send_all(..).await` |
//! | `flush()` | `flush().await` |
//! | `bind`, `listen`, `shutdown`, `close`, options | the same plain calls (they never wait) |
//! | `Stack::resolve` (feature `dns`) | `Stack::resolve_async` |
//! | each call polls the stack itself | one [`Stack::run`](crate::Stack::run) future polls it for all |
//!
//! The runner sleeps through a [`Timer`] (implemented by
//! [`SimClock`](crate::SimClock) for tests and, with the feature
//! `embassy-time`, by `EmbassyClock`, also on Linux through embassy-time's
//! `std` driver; with `std`, by `StdClock`, on one timer thread) and is woken by a frame through
//! [`DeviceReady`] ([`NoInterrupt`] for `Loopback`). Without a runner,
//! waiting calls never complete. On `SimClock`, time passes only when an
//! idle executor calls [`SimClock::fire_next`](crate::SimClock::fire_next):
//! `block_on_sim` (feature `std`) is such an executor, for tests and demos.
//!
//! Wakers: smolsock keeps its own, a reader and a writer per socket slot
//! (smoltcp keeps one per socket, and a listener's backlog is several
//! smoltcp sockets behind one smolsock socket). When packets move or a
//! timer runs, the runner wakes the waiting futures and each looks again.
//!
//! ```
//! use smolsock::asynch::{AsyncSocket, NoInterrupt};
//! use smolsock::{Config, Domain, SimClock, Stack, StackResources, Type};
//! use smolsock::smoltcp::phy::{Loopback, Medium};
//! # fn block_on<F: core::future::Future>(f: F) -> F::Output {
//! #     futures_executor::block_on(f)
//! # }
//!
//! let clock = SimClock::new();
//! let mut dev = Loopback::new(Medium::Ip);
//! let mut res = StackResources::<4, 1024>::new();
//! let stack = Stack::new(&mut dev, &clock, &mut res, Config::loopback()).expect("valid config");
//!
//! let server = AsyncSocket::new(&stack, Domain::IPV4, Type::STREAM)?;
//! server.bind("127.0.0.1:7".parse().unwrap())?;
//! server.listen(1)?;
//! let client = AsyncSocket::new(&stack, Domain::IPV4, Type::STREAM)?;
//!
//! let work = async {
//!     let (conn, _) = futures_util::future::join(server.accept(), client.connect("127.0.0.1:7".parse().unwrap())).await.0?;
//!     client.send_all(b"ping").await?;
//!     let mut buf = [0; 4];
//!     let n = conn.recv(&mut buf).await?;
//!     assert_eq!(&buf[..n], b"ping");
//!     Ok::<(), smolsock::Error>(())
//! };
//! // The runner beside the work: whichever ends first (the work; the runner never does).
//! let runner = stack.run(&clock, NoInterrupt);
//! block_on(async {
//!     futures_util::pin_mut!(work, runner);
//!     match futures_util::future::select(work, runner).await {
//!         futures_util::future::Either::Left((r, _)) => r,
//!     }
//! })?;
//! # Ok::<(), smolsock::Error>(())
//! ```

mod socket;

#[cfg(feature = "embassy-time")]
mod embassy;
#[cfg(feature = "std")]
mod sim;
#[cfg(feature = "std")]
mod std_timer;
#[cfg(feature = "std")]
mod tap_ready;

pub use crate::stack::runner::{DeviceReady, NoInterrupt};
pub use crate::time::Timer;
#[cfg(feature = "embassy-time")]
pub use embassy::EmbassyClock;
#[cfg(feature = "std")]
pub use sim::block_on_sim;
pub use socket::AsyncSocket;
#[cfg(feature = "std")]
pub use tap_ready::TapReady;
