#!/usr/bin/env python3
"""Flash and static RAM of firmware ELF files, with a breakdown by crate.

    scripts/firmware-size.py [--limit FLASH RAM] ELF [ELF...]

With --limit, exits 1 if the first ELF's flash or static RAM exceeds the
given byte counts (CI keeps the line server within its budget).

flash      = .vector_table + .text + .rodata + .data (what is programmed;
             on a board without flash, QEMU riscv32 `virt`, the image
             loaded into RAM)
static RAM = .data + .bss (+ .uninit); the stack comes on top of it (a
             `.stack` section, as firmware/riscv32-virt's, is not counted).

The by-crate breakdown sums the sizes of function and object symbols by
the crate their (demangled) name starts in. With LTO much code is inlined
into its caller, so a program's `main` carries inlined library code: the
figures say where the code ended up, not exactly where it came from.
No dependencies beyond Python 3 (the ELF is parsed here).
"""
import re
import struct
import sys
from collections import defaultdict

SHT_SYMTAB, SHT_NOBITS = 2, 8
SHF_WRITE, SHF_ALLOC = 1, 2
NOT_STATIC = (".stack", ".heap")


def sections(data):
    if data[:4] != b"\x7fELF" or data[4] != 1:
        raise SystemExit("not a 32-bit ELF file")
    (shoff,) = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    heads = [struct.unpack_from("<IIIIIIIIII", data, shoff + k * shentsize) for k in range(shnum)]
    strtab = heads[shstrndx]

    def name(off):
        start = strtab[4] + off
        return data[start:data.index(b"\0", start)].decode()

    return [dict(name=name(h[0]), type=h[1], flags=h[2], addr=h[3], off=h[4], size=h[5],
                 link=h[6], entsize=h[9]) for h in heads]


def symbols(data, secs):
    for s in secs:
        if s["type"] != SHT_SYMTAB:
            continue
        strs = secs[s["link"]]
        for k in range(s["size"] // 16):
            nm, value, size, info, _other, shndx = struct.unpack_from("<IIIBBH", data, s["off"] + 16 * k)
            if size == 0 or (info & 0xF) not in (1, 2):  # OBJECT, FUNC
                continue
            start = strs["off"] + nm
            name = data[start:data.index(b"\0", start)].decode(errors="replace")
            yield name, value, size, shndx


LEGACY_ESC = {"$LT$": "<", "$GT$": ">", "$u20$": " ", "$RF$": "&", "$BP$": "*", "$C$": ",", "..": "::"}


def demangle_legacy(name):
    body = name[3:]
    parts, i = [], 0
    while i < len(body) and body[i].isdigit():
        j = i
        while body[j].isdigit():
            j += 1
        n = int(body[i:j])
        parts.append(body[j:j + n])
        i = j + n
    text = "::".join(parts)
    for k, v in LEGACY_ESC.items():
        text = text.replace(k, v)
    return text


def crate(name):
    if name.startswith("_R"):  # v0 mangling: the first crate root
        m = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)", name)
        if m:
            n = int(m.group(1))
            return name[m.end():m.end() + n]
    if name.startswith("_ZN"):
        text = demangle_legacy(name)
        m = re.search(r"([a-z_][a-z0-9_]*)::", text)
        if m:
            return m.group(1)
    if name in ("memcpy", "memset", "memmove", "memcmp", "bcmp") or name.startswith("__aeabi"):
        return "compiler_builtins"
    return "(other: " + name + ")" if len(name) < 40 else "(other)"


def short(name):
    if name.startswith("_R"):  # v0: the identifiers, in order
        body = re.sub(r"(C|N[A-Za-z])s[0-9A-Za-z]*_", r"\1", name[2:])
        idents, i = [], 0
        while True:
            m = re.compile(r"(\d+)_?").search(body, i)
            if not m:
                break
            n = int(m.group(1))
            idents.append(body[m.end():m.end() + n])
            i = m.end() + n
        return "::".join(idents[-3:]) or name
    if name.startswith("_ZN"):
        return re.sub(r"::h[0-9a-f]{16}$", "", demangle_legacy(name))
    return name


def report(path):
    data = open(path, "rb").read()
    secs = sections(data)
    alloc = [s for s in secs if s["flags"] & SHF_ALLOC and s["size"]]
    by = defaultdict(int)
    for s in alloc:
        by[s["name"]] += s["size"]
    # By kind, not address: what has bytes in the file is programmed (or
    # loaded); what is writable or has none is static RAM.
    ram_secs = [s for s in alloc if (s["flags"] & SHF_WRITE or s["type"] == SHT_NOBITS)
                and s["name"] not in NOT_STATIC]
    flash_secs = [s for s in alloc if s["type"] != SHT_NOBITS]
    flash = sum(s["size"] for s in flash_secs)
    ram = sum(s["size"] for s in ram_secs)
    print(f"{path}")
    print(f"  flash {flash} B ({flash / 1024:.1f} KiB): " +
          ", ".join(f"{s['name']} {s['size']}" for s in flash_secs))
    print(f"  static RAM {ram} B ({ram / 1024:.1f} KiB): " +
          ", ".join(f"{s['name']} {s['size']}" for s in ram_secs))
    code = defaultdict(int)
    objs = []
    index = {k: s for k, s in enumerate(secs)}
    for name, _value, size, shndx in symbols(data, secs):
        sec = index.get(shndx)
        if not sec or not sec["flags"] & SHF_ALLOC:
            continue
        if sec["flags"] & SHF_WRITE or sec["type"] == SHT_NOBITS:
            objs.append((size, short(name)))
        else:
            code[crate(name)] += size
    total = sum(code.values())
    print(f"  flash by crate (symbols, {total} B):")
    for c, n in sorted(code.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {n:7d} B  {100 * n / max(total, 1):4.1f} %  {c}")
    print("  static RAM, largest objects:")
    for size, name in sorted(objs, reverse=True)[:6]:
        print(f"    {size:7d} B  {name}")
    return flash, ram


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    args = sys.argv[1:]
    limit = None
    if args[:1] == ["--limit"]:
        limit = (int(args[1]), int(args[2]))
        args = args[3:]
    figures = [report(p) for p in args]
    if limit and figures:
        flash, ram = figures[0]
        if flash > limit[0] or ram > limit[1]:
            print(f"OVER BUDGET: {args[0]}: flash {flash} B (limit {limit[0]}), "
                  f"static RAM {ram} B (limit {limit[1]})")
            sys.exit(1)
        print(f"within budget: flash {flash} <= {limit[0]} B, static RAM {ram} <= {limit[1]} B")
