#!/usr/bin/env bash
# Build the firmware of board BOARD (environment; default lm3s6965, or
# riscv32-virt) in release mode and print the path of the ELF file of
# program BIN (line-server | http-get, and async-line-server on lm3s6965;
# the cargo feature of the same name is turned on) on stdout; everything
# else goes to stderr.
#
#   lm3s6965:     firmware/lm3s6965,     thumbv7m-none-eabi (QEMU lm3s6965evb)
#   riscv32-virt: firmware/riscv32-virt, riscv32imac-unknown-none-elf (QEMU virt)
#
# Toolchain: rustup's target when `rustup target add`
# works (with `core` rebuilt from the rust-src component at opt-level "z" when
# that component can be added, else rustup's prebuilt `core`); otherwise
# Debian's rustc-web + rust-web-src (installed with apt if missing), building
# `core` from source (RUSTC_BOOTSTRAP=1 -Zbuild-std=core).
# Linker: rust-lld from a Rust sysroot, else ld.lld (Debian's lld).
#
# Environment: SMOLSOCK_HTTP_URL (http-get's built-in URL), FIRMWARE_FEATURES
# (more cargo features, comma-separated, e.g. wakeup-report,two-sessions:
# built in a target directory of their own, `<dir>-extra`), FIRMWARE_TOOLCHAIN=debian
# to skip the rustup attempt, FIRMWARE_PREBUILT_CORE=1 to use rustup's prebuilt core.
set -euo pipefail
BIN="${1:?usage: [BOARD=lm3s6965|riscv32-virt] firmware-build.sh line-server|async-line-server|http-get}"
BOARD="${BOARD:-lm3s6965}"
HERE="$(cd "$(dirname "$0")" && pwd)"
case "$BOARD/$BIN" in
    lm3s6965/line-server | lm3s6965/async-line-server | lm3s6965/http-get) TARGET=thumbv7m-none-eabi ;;
    riscv32-virt/line-server | riscv32-virt/http-get) TARGET=riscv32imac-unknown-none-elf ;;
    *) echo "firmware-build: no program $BIN for board $BOARD (lm3s6965: line-server, async-line-server, http-get; riscv32-virt: line-server, http-get)" >&2; exit 2 ;;
esac
FW="$HERE/../firmware/$BOARD"
# cargo's per-target linker variable, e.g. CARGO_TARGET_THUMBV7M_NONE_EABI_LINKER.
FEATURES="$BIN${FIRMWARE_FEATURES:+,$FIRMWARE_FEATURES}"
EXTRA="${FIRMWARE_FEATURES:+-extra}"
LINKER_VAR="CARGO_TARGET_$(echo "$TARGET" | tr 'a-z-' 'A-Z_')_LINKER"

log() { echo "firmware-build: $*" >&2; }

apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        log "cannot install $*: no apt-get; install them by hand"
        return 1
    fi
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo -n)
    log "installing with apt: $*"
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" >&2
}

# A linker for the target: rust-lld from any Rust sysroot, else ld.lld.
find_linker() {
    local sysroot cand
    for rc in "$@" rustc; do
        sysroot="$("$rc" --print sysroot 2>/dev/null)" || continue
        cand="$sysroot/lib/rustlib/$(uname -m)-unknown-linux-gnu/bin/rust-lld"
        if [ -x "$cand" ]; then echo "$cand"; return 0; fi
    done
    if command -v ld.lld >/dev/null 2>&1; then command -v ld.lld; return 0; fi
    apt_install lld && command -v ld.lld
}

cd "$FW"
if [ "${FIRMWARE_TOOLCHAIN:-}" != debian ] && command -v rustup >/dev/null 2>&1 \
    && rustup target add "$TARGET" >/dev/null 2>&1; then
    LINKER="$(find_linker rustc)"
    if [ "${FIRMWARE_PREBUILT_CORE:-}" != 1 ] && rustup component add rust-src >/dev/null 2>&1; then
        # `core` rebuilt at the firmware's opt-level "z": about 2.4 KB less
        # flash than rustup's prebuilt one (optimized for speed).
        log "toolchain: rustup ($(rustc --version)), core built from rust-src"
        env RUSTC_BOOTSTRAP=1 "$LINKER_VAR=$LINKER" \
            cargo build --release --bin "$BIN" --features "$FEATURES" --target-dir "target/rustup-core$EXTRA" \
            -Zbuild-std=core -Zbuild-std-features=compiler-builtins-mem >&2
        OUT="target/rustup-core$EXTRA"
    else
        log "toolchain: rustup ($(rustc --version)), prebuilt core"
        env "$LINKER_VAR=$LINKER" \
            cargo build --release --bin "$BIN" --features "$FEATURES" --target-dir "target/rustup$EXTRA" >&2
        OUT="target/rustup$EXTRA"
    fi
else
    log "rustup cannot add $TARGET here: using Debian's rustc-web with the core library source"
    if [ ! -x /usr/bin/cargo ] || [ ! -x /usr/bin/rustc ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
        apt_install rustc-web cargo-web rust-web-src
    fi
    LINKER="$(find_linker /usr/bin/rustc)"
    log "toolchain: $(/usr/bin/rustc --version), linker $LINKER"
    RUSTC=/usr/bin/rustc env RUSTC_BOOTSTRAP=1 "$LINKER_VAR=$LINKER" \
        /usr/bin/cargo build --release --bin "$BIN" --features "$FEATURES" --target-dir "target/debian$EXTRA" \
        -Zbuild-std=core -Zbuild-std-features=compiler-builtins-mem >&2
    OUT="target/debian$EXTRA"
fi
ELF="$(cd "$FW/$OUT/$TARGET/release" && pwd)/$BIN"
[ -f "$ELF" ] || { log "no ELF at $ELF"; exit 1; }
echo "$ELF"
