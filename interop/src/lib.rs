//! Nothing here: `smolsock-interop` is a test crate. Its tests
//! (`tests/<area>/main.rs`) and its example (`async_line_server`, on
//! embassy-executor) use smolsock with third-party crates that the root
//! crate's `cargo test` and first command should not build.
//!
//! ```text
//! cargo test -p smolsock-interop
//! cargo run -p smolsock-interop --example async_line_server
//! ```
