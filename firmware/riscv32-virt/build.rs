//! Puts the linker script `virt.x` where the linker finds it.
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out.join("virt.x"), include_bytes!("virt.x")) {
        panic!("cannot write virt.x to OUT_DIR: {e}");
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=virt.x");
    println!("cargo:rerun-if-changed=build.rs");
}
