//! The socket API on `Loopback` and simulated time: streams, the backlog,
//! datagrams, name resolution, edge cases, re-entrancy, fast paths, the
//! std / embedded-io / embedded-nal traits and the async front end.

#[path = "../common/mod.rs"]
mod common;

mod async_sockets;
mod async_wakers;
mod backlog;
mod clock_limits;
mod conformance_regressions;
mod create_connection;
mod destinations;
mod edge_cases;
mod embedded_io;
mod embedded_io_async;
mod fast_paths;
mod flags;
mod https_without_tls;
mod nal;
mod nal_async;
mod options;
mod record;
mod reentrancy;
mod resolve;
mod seed;
mod select;
mod slot_kinds;
mod std_io;
mod tcp;
mod udp;
