//! What the smolsock example programs share that is not a device: their
//! command line ([`args`]: every flag value checked up front, a bad one is
//! one sentence, never a panic) and one warning per over-long line
//! ([`long_line`]). A dev crate of the workspace (`publish = false`): the
//! examples use it, and `tests/programs/example_args.rs` tests it as the
//! examples run it.
//!
//! ```
//! use smolsock_cli::args::parse_port;
//! assert_eq!(parse_port("--port", "10001"), Ok(10001));
//! assert!(parse_port("--port", "0").is_err());
//! ```

pub mod args;
pub mod long_line;
