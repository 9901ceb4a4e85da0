#!/usr/bin/env bash
# The seed's HTTP GET client as Cortex-M3 firmware in QEMU (lm3s6965evb,
# Stellaris Ethernet, user networking): fetches http://10.0.2.2:HOST_PORT/PATH,
# where QEMU's 10.0.2.2 is the host's 127.0.0.1:
#
#   python3 -m http.server --bind 127.0.0.1 8000 &
#   scripts/qemu-http-get.sh 8000 index.html
#
# stdout: the raw response (status line, headers, body). Exits 0 at EOF;
# otherwise prints one `error: ...` line (connection refused, timed out after
# 20 s, connection reset) and exits 1. The URL reaches the firmware on the
# semihosting command line (QEMU's -append).
set -euo pipefail
if [ $# -lt 1 ]; then
    echo "usage: scripts/qemu-http-get.sh HOST_PORT [PATH]  (fetches http://10.0.2.2:HOST_PORT/PATH, the host's 127.0.0.1)" >&2
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
echo "qemu-http-get: booting $ELF; GET $URL" >&2
exec qemu-system-arm -M lm3s6965evb -nographic \
    -semihosting-config enable=on,target=native \
    -nic user,model=stellaris \
    -kernel "$ELF" -append "$URL"
