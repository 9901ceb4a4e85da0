//! Faults (loss and corruption on an in-memory wire) and soak, on
//! simulated time.

#[path = "../common/mod.rs"]
mod common;

mod faults;
mod soak;
