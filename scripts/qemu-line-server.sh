#!/usr/bin/env bash
# The seed's line server as firmware in QEMU, on the board BOARD
# (environment): lm3s6965 (the default: Cortex-M3, lm3s6965evb, Stellaris
# Ethernet) or riscv32-virt (riscv32 `virt`, virtio-net over MMIO), user
# networking. The guest is 10.0.2.15, listening on port 10001; QEMU forwards
# 127.0.0.1:HOST_PORT (default 10001) to it:
#
#   scripts/qemu-line-server.sh 10001 &
#   BOARD=riscv32-virt scripts/qemu-line-server.sh 10001 &
#   printf 'hello\nstop\n' | nc 127.0.0.1 10001
#
# A second argument picks the program: `line-server` (the default, blocking)
# or, on lm3s6965, `async-line-server` (the same contract, 2 connections
# served at once by async tasks on embassy-executor).
#
# stdout: the program's output (each line stripped, 16 dashes per closed
# connection). Exits with QEMU's status: 0 after a client sends `stop`.
# Interactively, Ctrl-A x quits QEMU.
set -euo pipefail
HOST_PORT="${1:-10001}"
BIN="${2:-line-server}"
case "$BIN" in
    line-server | async-line-server) ;;
    *) echo "usage: [BOARD=lm3s6965|riscv32-virt] qemu-line-server.sh [HOST_PORT] [line-server|async-line-server]" >&2; exit 2 ;;
esac
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/qemu-env.sh
. "$HERE/qemu-env.sh"
need_qemu
ELF="$("$HERE/firmware-build.sh" "$BIN")"
echo "qemu-line-server: booting $ELF on $BOARD; 127.0.0.1:$HOST_PORT -> 10.0.2.15:10001" >&2
qemu_board ",hostfwd=tcp:127.0.0.1:$HOST_PORT-:10001"
exec "${QEMU[@]}" -kernel "$ELF"
