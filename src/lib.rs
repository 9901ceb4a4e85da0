#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![doc = include_str!("../README.md")]
#![doc = document_features::document_features!()]

#[cfg(any(feature = "std", test))]
extern crate std;

#[cfg(not(any(feature = "proto-ipv4", feature = "proto-ipv6")))]
compile_error!("smolsock needs at least one of the features `proto-ipv4` and `proto-ipv6`");

// Layers, top down: the programs (`line`, `http`) use only the public socket
// API; `socket` and `resolve` ask the core (`inner`) through `stack`; the
// core sits on smoltcp. Imports inside the crate name module paths, so none
// runs back up the layers.
#[cfg(feature = "async")]
pub mod asynch;
#[cfg(feature = "http")]
pub mod http;
pub mod io;
#[cfg(feature = "line")]
pub mod line;

#[cfg(feature = "dns")]
mod resolve;
mod socket;

mod config;
mod stack;

mod inner;
mod resources;
#[cfg(feature = "std")]
mod seed;
mod slot;
mod waiters;

pub mod device;

mod addr;
mod error;
mod log;
mod time;

pub use addr::SockAddr;
#[cfg(feature = "proto-ipv4")]
pub use config::Ipv4Config;
pub use config::{Config, MAX_ADDRS, MAX_DNS};
#[cfg(feature = "dhcp")]
pub use config::{DhcpConfig, MAX_HOST_NAME};
#[cfg(feature = "embassy-net-driver")]
pub use device::EmbassyDriver;
pub use device::NetDevice;
pub use error::{ConfigError, Error, ResolveError, Result};
pub use inner::{Stats, MAX_BACKLOG};
#[cfg(feature = "dns")]
pub use resolve::{parse_literal, Addresses, MAX_ADDRESSES};
pub use resources::StackResources;
#[cfg(feature = "udp")]
pub use resources::UDP_PACKETS;
#[cfg(feature = "std")]
pub use seed::os_random_seed;
#[cfg(feature = "dns")]
pub use socket::ConnectError;
pub use socket::{Domain, Events, Interest, MsgFlags, Shutdown, Socket, TcpKeepalive, Type};
pub use stack::Stack;
#[cfg(feature = "std")]
pub use time::StdClock;
pub use time::{Clock, Idle, SimClock, TIME_LIMIT};

/// Re-export of the smoltcp this crate is built on.
pub use smoltcp;
