#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![doc = include_str!("../README.md")]

#[cfg(feature = "std")]
extern crate std;

#[cfg(not(any(feature = "proto-ipv4", feature = "proto-ipv6")))]
compile_error!("smolsock needs at least one of the features `proto-ipv4` and `proto-ipv6`");

mod addr;
mod error;
pub mod http;
mod inner;
pub mod io;
pub mod line;
mod resolve;
mod resources;
mod slot;
mod socket;
mod stack;
mod time;

pub use addr::SockAddr;
pub use error::{ConfigError, Error, ResolveError, Result};
pub use resolve::parse_literal;
pub use resources::{StackResources, UDP_PACKETS};
pub use socket::{Domain, Shutdown, Socket, Type, MAX_BACKLOG};
pub use stack::{Config, Stack, Stats, MAX_ADDRS, MAX_DNS};
#[cfg(feature = "std")]
pub use time::StdClock;
pub use time::{Clock, Idle, SimClock};

/// Re-export of the smoltcp this crate is built on.
pub use smoltcp;
