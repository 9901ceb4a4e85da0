//! Puts `memory.x` (and an empty `device.x`) where cortex-m-rt's `link.x` finds them.
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out.join("memory.x"), include_bytes!("memory.x")) {
        panic!("cannot write memory.x to OUT_DIR: {e}");
    }
    // cortex-m-rt's `device` feature includes device.x; hw.rs provides the
    // interrupt table itself, so there is nothing to PROVIDE here.
    if let Err(e) = std::fs::write(out.join("device.x"), "/* interrupt vectors: src/hw.rs */\n") {
        panic!("cannot write device.x to OUT_DIR: {e}");
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
}
