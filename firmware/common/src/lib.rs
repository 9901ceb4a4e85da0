//! The seed's programs for every smolsock firmware board, written once: a
//! board crate (`firmware/lm3s6965`, `firmware/riscv32-virt`) brings its
//! network device and clock up, implements [`Board`] (a console byte, an
//! exit and its semihosting trap), and calls one of the mains here.
//!
//! - [`frame`]: what the boards' Ethernet devices share (MTU, tokens,
//!   capabilities).
//! - [`out`]: console output without `core::fmt`, failure and exit.
//! - [`semihosting`]: the command line and stderr lines, over a board's trap.
//! - [`netconfig`]: the interface configuration on QEMU's user network,
//!   with its random seed.
//! - [`line_server`] (feature `line-server`): the seed's line server.
//! - [`http_get`] (feature `http-get`): the seed's HTTP GET client, its URL
//!   from the board's command line.
#![no_std]
#![deny(unsafe_code)]

pub mod frame;
#[cfg(feature = "http-get")]
pub mod http_get;
#[cfg(feature = "line-server")]
pub mod line_server;
pub mod netconfig;
pub mod out;
pub mod semihosting;

pub use out::Board;
