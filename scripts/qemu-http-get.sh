#!/usr/bin/env bash
# The seed's HTTP GET client as firmware in QEMU, on the board BOARD
# (environment): lm3s6965 (the default: Cortex-M3, lm3s6965evb, Stellaris
# Ethernet) or riscv32-virt (riscv32 `virt`, virtio-net over MMIO), user
# networking: fetches http://10.0.2.2:HOST_PORT/PATH, where QEMU's 10.0.2.2
# is the host's 127.0.0.1:
#
#   python3 -m http.server --bind 127.0.0.1 8000 &
#   scripts/qemu-http-get.sh 8000 index.html
#   BOARD=riscv32-virt scripts/qemu-http-get.sh 8000 README.md
#
# stdout: the raw response (status line, headers, body). Exits 0 at EOF;
# otherwise prints one `error: ...` line (connection refused, timed out after
# 20 s, connection reset; a URL that does not parse or does not fit the
# firmware's 256-byte command-line buffer) and exits 1. The URL reaches the
# firmware on the semihosting command line (QEMU's -append).
set -euo pipefail
if [ $# -lt 1 ]; then
    echo "usage: [BOARD=lm3s6965|riscv32-virt] scripts/qemu-http-get.sh HOST_PORT [PATH]  (fetches http://10.0.2.2:HOST_PORT/PATH, the host's 127.0.0.1)" >&2
    exit 2
fi
HOST_PORT="$1"
URL_PATH="${2:-}"
URL_PATH="${URL_PATH#/}"
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/qemu-env.sh
. "$HERE/qemu-env.sh"
need_qemu
ELF="$("$HERE/firmware-build.sh" http-get)"
URL="http://10.0.2.2:$HOST_PORT/$URL_PATH"
echo "qemu-http-get: booting $ELF on $BOARD; GET $URL" >&2
qemu_board
exec "${QEMU[@]}" -kernel "$ELF" -append "$URL"
