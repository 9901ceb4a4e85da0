#!/usr/bin/env python3
"""Writes the small seed corpora in fuzz/corpus/<target>/ (committed).

Run from anywhere: python3 fuzz/make_seeds.py. Deterministic: the same
files every time. The fuzzer's own finds are not committed (CI runs with a
scratch corpus first, these seeds second)."""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def rec(op, data):
    return bytes([op]) + struct.pack(">H", len(data)) + data


# ---- line_framing: [limit-1][chunk seed] stream ----
framing = {
    "basic": (63, 1, b"  hello world \r\n\tsecond\nstop\r\n"),
    "commands": (63, 7, b"STOP\r\n stop\r\ndisconnect\r\ndisconnect now\r\nstop\r\r\nstop\n"),
    "overlong": (7, 3, b"0123456789abcdefghij\r\nxy\r\n" + b"z" * 40),
    "cr_at_limit": (3, 9, b"abcd\r\rabcd\r\n\r\r\r\nabcd\r"),
    "binary": (15, 200, bytes(range(256))),
    "partial": (63, 5, b"one\r\ntw"),
    "empty_lines": (0, 2, b"\n\r\n\n \r\n\x0b\x0c\r\n"),
}
for name, (limit, seed, stream) in framing.items():
    write("line_framing", name, bytes([limit, seed]) + stream)

# ---- url ----
urls = [
    "http://www.yahoo.com/",
    "HTTP://Example.COM:8080/a/b.txt?x=1&y=%20#frag",
    "http://[::1]:8080/index.html?lang=en#top",
    "http://192.168.69.1:8000/x",
    "http://h?q",
    "http://my_host.local./",
    "https://example.com/",
    "http://user:pw@host/",
    "http://[fe80::1%25eth0]/",
    "http://h:65536/",
]
for i, u in enumerate(urls):
    write("url", f"url{i}", u.encode())

# ---- http_response: [size][chunk seed] response ----
responses = {
    "ok": b"HTTP/1.1 200 OK\r\nServer: t\r\nContent-Type:  text/plain \r\nContent-Length: 5\r\n\r\nhello",
    "http10": b"HTTP/1.0 404 Not Found\r\n\r\n",
    "lf_only": b"HTTP/1.0 200 OK\nA: b\n\nbody",
    "not_http": b"SSH-2.0-OpenSSH_9.6\r\n",
    "bad_header": b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
    "many_headers": b"HTTP/1.1 200 OK\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(70)) + b"\r\n",
    "big_head": b"HTTP/1.1 200 OK\r\nX: " + b"a" * 300 + b"\r\n\r\nbody",
    "empty": b"",
}
for name, r in responses.items():
    write("http_response", name + "_small", bytes([0, 3]) + r)
    write("http_response", name + "_large", bytes([1, 11]) + r)

# ---- dns_answer: records [op][len][data] (see net::dns_payload) ----
A = bytes.fromhex("c00c 0001 0001 0000003c 0004 7f000001".replace(" ", ""))
AAAA = bytes.fromhex("c00c 001c 0001 0000003c 0010".replace(" ", "")) + bytes(15) + b"\x01"
CNAME = bytes.fromhex("c00c 0005 0001 0000003c 0006".replace(" ", "")) + b"\x01b\xc0\x0c"
LOOP = bytes.fromhex("c00c 0001 0001 0000003c 0004 0a000001".replace(" ", "")).replace(b"\xc0\x0c", b"\xc0\x1c")
dns = {
    "a": rec(2, bytes([0, 1]) + A),
    "aaaa_after_nx": rec(2, bytes([3, 0])) + rec(2, bytes([0, 1]) + AAAA),
    "cname_then_a": rec(2, bytes([0, 2]) + CNAME + A),
    "pointer_loop": rec(2, bytes([0, 1]) + LOOP),
    "servfail": rec(2, bytes([2, 0])),
    "raw_id": rec(1, bytes(12)),
    "duplicate": rec(6, bytes([0, 1]) + A) + rec(2, bytes([0, 1]) + A),
    "truncated": rec(2, bytes([0, 1]) + A[:7]),
    "own_question": rec(3, bytes([0, 1]) + b"\x03web\x04test\x00\x00\x01\x00\x01" + A),
}
for name, d in dns.items():
    write("dns_answer", name, d)


# ---- raw_frames: [flags] records ----
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def ipv4(payload, src=(10, 0, 0, 1), dst=(10, 0, 0, 2), proto=6):
    h = struct.pack(">BBHHHBBH4B4B", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, *src, *dst)
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + payload


def ipv6(payload, src=b"\xfd" + bytes(14) + b"\x01", dst=b"\xfd" + bytes(14) + b"\x02"):
    return struct.pack(">IHBB", 0x60000000, len(payload), 6, 64) + src + dst + payload


PEER_MAC = bytes([2, 0, 0, 0, 0, 1])
OUR_MAC = bytes([2, 0, 0, 0, 0, 2])


def eth(payload, etype=0x0800):
    return OUR_MAC + PEER_MAC + struct.pack(">H", etype) + payload


ARP_REPLY = eth(
    struct.pack(">HHBBH", 1, 0x0800, 6, 4, 2) + PEER_MAC + bytes([10, 0, 0, 1]) + OUR_MAC + bytes([10, 0, 0, 2]),
    0x0806,
)
# Neighbor advertisement: fd00::1 is at PEER_MAC (checksum fixed by op 1).
_na = struct.pack(">BBHI", 136, 0, 0, 0x60000000) + b"\xfd" + bytes(14) + b"\x01" + bytes([2, 1]) + PEER_MAC
NA = eth(
    struct.pack(">IHBB", 0x60000000, len(_na), 58, 255)
    + b"\xfd" + bytes(14) + b"\x01" + b"\xfd" + bytes(14) + b"\x02" + _na,
    0x86DD,
)
SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def frames_seed(ethernet, v6):
    ip = ipv6 if v6 else ipv4
    wrap = (lambda p: eth(p, 0x86DD if v6 else 0x0800)) if ethernet else (lambda p: p)
    out = bytes([(1 if ethernet else 0) | (2 if v6 else 0)])
    if ethernet and not v6:
        out += rec(0, ARP_REPLY)
    if ethernet and v6:
        out += rec(1, NA)
    # The HTTP client's exchange: SYN-ACK, the response, FIN.
    out += rec(2, wrap(ip(tcp(80, 0, 5000, 0, SYN | ACK))))
    out += rec(2, wrap(ip(tcp(80, 0, 0, 0, ACK | PSH, b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi"))))
    out += rec(2, wrap(ip(tcp(80, 0, 0, 0, ACK | FIN))))
    out += rec(3, b"\x01")
    # A line client: SYN, ACK, lines, stop.
    out += rec(1, wrap(ip(tcp(40000, 10001, 1000, 0, SYN))))
    out += rec(2, wrap(ip(tcp(0, 0, 0, 0, ACK))))
    out += rec(2, wrap(ip(tcp(0, 0, 0, 0, ACK | PSH, b"hello\r\nsecond line\r\nstop\r\n"))))
    out += rec(3, b"\x10")
    return out


write("raw_frames", "ip_v4", frames_seed(False, False))
write("raw_frames", "ip_v6", frames_seed(False, True))
write("raw_frames", "eth_v4", frames_seed(True, False))
write("raw_frames", "eth_v6", frames_seed(True, True))
# The client refused at once, then a line client that resets.
write(
    "raw_frames",
    "rst",
    bytes([0])
    + rec(2, ipv4(tcp(80, 0, 0, 0, RST | ACK)))
    + rec(1, ipv4(tcp(40001, 10001, 7, 0, SYN)))
    + rec(2, ipv4(tcp(0, 0, 0, 0, ACK | PSH, b"partial")))
    + rec(2, ipv4(tcp(0, 0, 7, 0, RST))),
)
write("raw_frames", "garbage", bytes([1]) + rec(0, b"\xff" * 60) + rec(1, eth(b"\x45" + bytes(40))))
