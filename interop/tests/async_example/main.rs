//! The `async_line_server` example (embassy-executor): on `Loopback`, its
//! flags, and over a TAP device (`-- --ignored`, as root).

#[macro_use]
#[path = "../../../tests/netns/mod.rs"]
mod netns;

mod async_example;
mod async_line_tap;
