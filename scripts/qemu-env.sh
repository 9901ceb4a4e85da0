# Sourced by the qemu-*.sh scripts: make sure qemu-system-arm is there.
need_qemu() {
    command -v qemu-system-arm >/dev/null 2>&1 && return 0
    echo "qemu: qemu-system-arm missing: installing it with apt" >&2
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo -n)
    command -v apt-get >/dev/null 2>&1 || { echo "qemu: no apt-get: install qemu-system-arm by hand" >&2; return 1; }
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq qemu-system-arm >&2 \
        || DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq qemu-system-misc >&2
    command -v qemu-system-arm >/dev/null 2>&1
}
