//! The line server and the HTTP client as programs on `Loopback`, the
//! examples' command-line parsing and the `loopback` demo's capture.

#[path = "../common/mod.rs"]
mod common;
#[macro_use]
#[path = "../netns/mod.rs"]
mod netns;

mod example_args;
mod http_loopback;
mod line_limits;
mod line_loopback;
mod loopback_pcap;
