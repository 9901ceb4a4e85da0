//! Property tests (proptest) of smolsock's pure parts.

#[path = "../../../tests/common/mod.rs"]
mod common;

mod line_framing;
