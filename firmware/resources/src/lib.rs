//! Fills the firmware's `StackResources` statics in place.
//!
//! `StackResources::new()` returns the whole pool by value: socket buffers
//! and bookkeeping. At `opt-level = "z"` the compiler builds that value in
//! stack temporaries (about 23 KB for 6 slots of 1 KiB + 1 KiB) and then
//! copies it into the static: a stack peak larger than the statics
//! themselves. This crate holds the only instantiations of `new()` the
//! programs use, and each firmware's Cargo.toml compiles it at `opt-level = 2`,
//! where the value is written straight into the static. (A library-side fix
//! would let the buffers be a separate all-zero static: see PORTING.md, §3.)
#![no_std]
#![deny(unsafe_code)]

use core::mem::MaybeUninit;
use smolsock::StackResources;

/// The line server's pool: a backlog of 5 plus the connection being served.
pub type LineServerResources = StackResources<'static, 6, 1024>;
/// The HTTP client's pool: its connection, and room for a name query.
pub type HttpGetResources = StackResources<'static, 2, 2048>;

/// Fill the line server's pool in place.
#[inline(never)]
pub fn line_server(
    slot: &'static mut MaybeUninit<LineServerResources>,
) -> &'static mut LineServerResources {
    slot.write(StackResources::new())
}

/// Fill the HTTP client's pool in place.
#[inline(never)]
pub fn http_get(slot: &'static mut MaybeUninit<HttpGetResources>) -> &'static mut HttpGetResources {
    slot.write(StackResources::new())
}
