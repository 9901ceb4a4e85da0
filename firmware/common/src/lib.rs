//! The seed's programs for every smolsock firmware board, written once: a
//! board crate (`firmware/lm3s6965`, `firmware/riscv32-virt`) brings its
//! network device and clock up, implements [`Board`] (a console byte and
//! an exit), and calls one of the mains here.
//!
//! - [`out`]: console output without `core::fmt`, failure and exit.
//! - [`line_server`] (feature `line-server`): the seed's line server.
//! - [`http_get`] (feature `http-get`): the seed's HTTP GET client, its URL
//!   from the board's command line.
#![no_std]
#![deny(unsafe_code)]

#[cfg(feature = "http-get")]
pub mod http_get;
#[cfg(feature = "line-server")]
pub mod line_server;
pub mod out;

pub use out::Board;
