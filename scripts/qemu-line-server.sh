#!/usr/bin/env bash
# The seed's line server as Cortex-M3 firmware in QEMU (lm3s6965evb, Stellaris
# Ethernet, user networking). The guest is 10.0.2.15, listening on port 10001;
# QEMU forwards 127.0.0.1:HOST_PORT (default 10001) to it:
#
#   scripts/qemu-line-server.sh 10001 &
#   printf 'hello\nstop\n' | nc 127.0.0.1 10001
#
# A second argument picks the program: `line-server` (the default, blocking)
# or `async-line-server` (the same contract, 2 connections served at once by
# async tasks on embassy-executor).
#
# stdout: the program's output (each line stripped, 16 dashes per closed
# connection). Exits with QEMU's status: 0 after a client sends `stop`.
# Interactively, Ctrl-A x quits QEMU.
set -euo pipefail
HOST_PORT="${1:-10001}"
BIN="${2:-line-server}"
case "$BIN" in
    line-server | async-line-server) ;;
    *) echo "usage: qemu-line-server.sh [HOST_PORT] [line-server|async-line-server]" >&2; exit 2 ;;
esac
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/qemu-env.sh
. "$HERE/qemu-env.sh"
need_qemu
ELF="$("$HERE/firmware-build.sh" "$BIN")"
echo "qemu-line-server: booting $ELF; 127.0.0.1:$HOST_PORT -> 10.0.2.15:10001" >&2
exec qemu-system-arm -M lm3s6965evb -nographic \
    -semihosting-config enable=on,target=native \
    -nic "user,model=stellaris,hostfwd=tcp:127.0.0.1:$HOST_PORT-:10001" \
    -kernel "$ELF"
