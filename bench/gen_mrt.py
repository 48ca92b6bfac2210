#!/usr/bin/env python3
# Copied unchanged from the lab (shared/lab/perf/gen_mrt.py) so the benchmark runs from this repository alone.
"""Deterministic synthetic MRT (RFC 6396) BGP4MP_MESSAGE_AS4 update stream, Internet-like shape.
usage: gen_mrt.py OUT --updates N [--seed S] [--v6 0.2]   prints: records announced withdrawn"""
import argparse, random, struct, socket
ap = argparse.ArgumentParser(); ap.add_argument("out"); ap.add_argument("--updates", type=int, default=200000)
ap.add_argument("--seed", type=int, default=1); ap.add_argument("--v6", type=float, default=0.2)
o = ap.parse_args(); r = random.Random(o.seed)
def attr(flags, t, v):
    return struct.pack("!BBH", flags | 0x10, t, len(v)) + v if len(v) > 255 or flags & 0x10 else struct.pack("!BBB", flags, t, len(v)) + v
def pfx4():
    ln = r.choices([24, 23, 22, 21, 20, 19, 16, 32], [60, 8, 10, 6, 6, 3, 4, 3])[0]
    a = r.getrandbits(32) & (0xFFFFFFFF << (32 - ln)) & 0xFFFFFFFF
    return bytes([ln]) + struct.pack("!I", a)[: (ln + 7) // 8]
def pfx6():
    ln = r.choices([48, 32, 40, 44, 56, 64], [50, 15, 10, 10, 8, 7])[0]
    a = (0x2000 << 112 | r.getrandbits(124)) & (((1 << 128) - 1) << (128 - ln))
    return bytes([ln]) + a.to_bytes(16, "big")[: (ln + 7) // 8]
ann = wd = 0; peers = [(64512 + i, socket.inet_aton(f"127.0.9.{i+1}")) for i in range(8)]
with open(o.out, "wb") as f:
    for n in range(o.updates):
        pas, pip = peers[n % len(peers)]; v6 = r.random() < o.v6; k = r.randint(1, 10)
        nl = b"".join(pfx6() if v6 else pfx4() for _ in range(k))
        if r.random() < 0.1:  # withdrawal
            body = (struct.pack("!H", 0) + struct.pack("!H", len(a := attr(0x80, 15, struct.pack("!HB", 2, 1) + nl))) + a) if v6 \
                else struct.pack("!H", len(nl)) + nl + struct.pack("!H", 0)
            wd += k
        else:
            path = [pas] + [r.randint(1, 400000) for _ in range(max(0, int(r.gauss(3.5, 1.5))))]
            at = attr(0x40, 1, b"\x00") + attr(0x40, 2, struct.pack("!BB", 2, len(path)) + b"".join(struct.pack("!I", x) for x in path))
            if not v6: at += attr(0x40, 3, pip)
            at += attr(0x40, 5, struct.pack("!I", 100))
            if r.random() < 0.5: at += attr(0x80, 4, struct.pack("!I", r.randint(0, 500)))
            if r.random() < 0.33: at += attr(0xC0, 8, b"".join(struct.pack("!HH", pas & 0xFFFF, r.randint(1, 999)) for _ in range(r.randint(1, 6))))
            if v6: at += attr(0x80, 14, struct.pack("!HBB", 2, 1, 16) + b"\x20\x01\x0d\xb8" + bytes(11) + pip[3:] + b"\x00" + nl); nl = b""
            body = struct.pack("!H", 0) + struct.pack("!H", len(at)) + at + nl
            ann += k
        msg = b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 2) + body
        rec = struct.pack("!IIHH", pas, 64500, 0, 1) + pip + socket.inet_aton("127.0.0.10") + msg
        f.write(struct.pack("!IHHI", 1795000000 + n // 1000, 16, 4, len(rec)) + rec)
print(o.updates, ann, wd)
