# Sourced by the qemu-*.sh scripts: the board (BOARD: lm3s6965, the default,
# or riscv32-virt), its QEMU command line, and QEMU itself (installed with
# apt if missing).
BOARD="${BOARD:-lm3s6965}"
case "$BOARD" in
    lm3s6965) QEMU_BIN=qemu-system-arm; QEMU_PKG=qemu-system-arm ;;
    riscv32-virt) QEMU_BIN=qemu-system-riscv32; QEMU_PKG=qemu-system-misc ;;
    *) echo "qemu: unknown BOARD=$BOARD (lm3s6965 or riscv32-virt)" >&2; exit 2 ;;
esac
export BOARD

need_qemu() {
    command -v "$QEMU_BIN" >/dev/null 2>&1 && return 0
    echo "qemu: $QEMU_BIN missing: installing $QEMU_PKG with apt" >&2
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo -n)
    command -v apt-get >/dev/null 2>&1 || { echo "qemu: no apt-get: install $QEMU_PKG by hand" >&2; return 1; }
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$QEMU_PKG" >&2 \
        || DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq qemu-system-misc >&2
    command -v "$QEMU_BIN" >/dev/null 2>&1
}

# qemu_board [USER_NET_OPTIONS]: the board's QEMU command line, without the
# kernel, in the array QEMU: the machine, console on stdio, semihosting
# (exit and command line on the LM3S6965, command line on riscv32 virt),
# and its NIC on QEMU's user network (10.0.2.0/24), with the options given
# (e.g. ",hostfwd=tcp:127.0.0.1:10001-:10001").
qemu_board() {
    local user="user${1:-}"
    case "$BOARD" in
        lm3s6965)
            QEMU=(qemu-system-arm -M lm3s6965evb -nographic
                -semihosting-config enable=on,target=native
                -nic "$user,model=stellaris") ;;
        riscv32-virt)
            # M-mode from the start of DRAM: Debian's OpenSBI is riscv64-only.
            QEMU=(qemu-system-riscv32 -M virt -bios none -nographic
                -semihosting-config enable=on,target=native
                -netdev "$user,id=net0" -device virtio-net-device,netdev=net0) ;;
    esac
}
