#!/usr/bin/env python3
"""Write synthetic.pcap: BMP messages no lab daemon sends (IPv6 peers, RD and local instances, RFC 9069
Loc-RIB with its PEER-UP/PEER-DOWN TLVs, RFC 8671 Adj-RIB-Out, every statistics type, every PEER-DOWN
reason, TERMINATION, mirroring information), laid out byte by byte from RFC 7854 / 8671 / 9069 here,
independently of the TypeScript encoder. tshark then decodes the pcap (extract.py synthetic.pcap 11019
synthetic) and the tests compare our decoder with tshark's.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def ip4(text):
    return bytes(int(p) for p in text.split("."))


def ip6(text):
    import ipaddress

    return ipaddress.IPv6Address(text).packed


def common(msg_type, body):
    return struct.pack("!BIB", 3, 6 + len(body), msg_type) + body


def peer_header(ptype, flags, rd, addr16, asn, bgp_id, sec, usec):
    return struct.pack("!BB", ptype, flags) + rd + addr16 + struct.pack("!I", asn) + ip4(bgp_id) + struct.pack("!II", sec, usec)


def rd0(asn, n):
    return struct.pack("!HHI", 0, asn, n)


def rd1(ip, n):
    return struct.pack("!H", 1) + ip4(ip) + struct.pack("!H", n)


def rd2(asn, n):
    return struct.pack("!HIH", 2, asn, n)


def v4(text):
    return bytes(12) + ip4(text)


def tlv(t, value):
    return struct.pack("!HH", t, len(value)) + value


def bgp(msg_type, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), msg_type) + body


def bgp_open(asn, bgp_id, caps):
    params = b"".join(struct.pack("!BB", code, len(v)) + v for code, v in caps)
    opt = struct.pack("!BB", 2, len(params)) + params
    return bgp(1, struct.pack("!BHH", 4, asn if asn < 65536 else 23456, 90) + ip4(bgp_id) + bytes([len(opt)]) + opt)


AS4 = lambda asn: (65, struct.pack("!I", asn))  # noqa: E731
MP = lambda afi, safi: (1, struct.pack("!HBB", afi, 0, safi))  # noqa: E731
ADDPATH = lambda afi, safi, mode: (69, struct.pack("!HBB", afi, safi, mode))  # noqa: E731

UPDATE_V4_AS2 = bgp(2, bytes.fromhex("0000" "0014" "40010100" "4002060202fde8fde9" "4003040a000001") + bytes([24, 10, 1, 2]))
UPDATE_V4 = bgp(2, bytes.fromhex("0000" "0018" "40010100" "40020a02020000fde80000fde9" "4003040a000001") + bytes([24, 10, 1, 2]))
KEEPALIVE = bgp(4, b"")
NOTIFICATION = bgp(3, bytes([6, 2, 5]) + b"bye!!")
T = 1795600000

messages = [
    # INITIATION: string, sysDescr, sysName (RFC 7854 4.4)
    common(4, tlv(0, b"free text") + tlv(1, b"synthetic router 1.0") + tlv(2, b"synth-r1")),
    # PEER-UP, RD instance peer (type 1), IPv6 peer (V), RD type 1, information TLVs 0 and 3
    common(
        3,
        peer_header(1, 0x80, rd1("192.0.2.1", 7), ip6("2001:db8::2"), 4200000001, "10.0.0.2", T, 1)
        + ip6("2001:db8::1")
        + struct.pack("!HH", 179, 51234)
        + bgp_open(65001, "10.0.0.1", [MP(2, 1), AS4(65001), ADDPATH(2, 1, 3)])
        + bgp_open(4200000001, "10.0.0.2", [MP(2, 1), AS4(4200000001), ADDPATH(2, 1, 1)])
        + tlv(0, b"peer text")
        + tlv(3, b"blue"),
    ),
    # ROUTE-MONITORING, local instance peer (type 2), RD type 2 with a 4-byte ASN, post-policy,
    # legacy AS_PATH and Adj-RIB-Out (L, A, O)
    common(0, peer_header(2, 0x70, rd2(4200000002, 9), v4("198.51.100.7"), 65002, "198.51.100.7", T, 250000) + UPDATE_V4_AS2),
    # ROUTE-MONITORING, Adj-RIB-Out pre-policy (RFC 8671), RD type 2 with a 2-byte-sized ASN
    common(0, peer_header(0, 0x10, rd2(65010, 3), v4("198.51.100.8"), 65010, "198.51.100.8", T + 1, 999999) + UPDATE_V4),
    # PEER-UP of a Loc-RIB instance (RFC 9069 5.2): zero addresses and ports, the same fabricated OPEN twice
    common(
        3,
        peer_header(3, 0x00, rd0(0, 0), bytes(16), 65000, "203.0.113.1", T + 2, 0)
        + bytes(16)
        + struct.pack("!HH", 0, 0)
        + bgp_open(65000, "203.0.113.1", [MP(1, 1), AS4(65000), ADDPATH(1, 1, 1)]) * 2
        + tlv(3, b"global"),
    ),
    # ROUTE-MONITORING from a filtered Loc-RIB (F flag), RD type 0
    common(0, peer_header(3, 0x80, rd0(65000, 100), bytes(16), 65000, "203.0.113.1", T + 3, 5) + UPDATE_V4),
    # STATISTICS-REPORT with every type 0..17 and an experimental one (65531)
    common(
        1,
        peer_header(0, 0x00, rd0(0, 0), v4("192.0.2.99"), 64999, "192.0.2.99", T + 4, 0)
        + struct.pack("!I", 19)
        + b"".join(tlv(t, struct.pack("!I", 1000 + t)) for t in range(0, 7))
        + tlv(7, struct.pack("!Q", 2**40 + 7))
        + tlv(8, struct.pack("!Q", 8))
        + tlv(9, struct.pack("!HBQ", 2, 1, 9))
        + tlv(10, struct.pack("!HBQ", 1, 1, 10))
        + b"".join(tlv(t, struct.pack("!I", 1000 + t)) for t in range(11, 14))
        + tlv(14, struct.pack("!Q", 14))
        + tlv(15, struct.pack("!Q", 15))
        + tlv(16, struct.pack("!HBQ", 1, 1, 16))
        + tlv(17, struct.pack("!HBQ", 2, 1, 17))
        + tlv(65531, struct.pack("!I", 0)),
    ),
    # PEER-DOWN reasons 1 (NOTIFICATION), 2 (FSM event), 4, 5 and 6 (RFC 9069 TLVs)
    common(2, peer_header(0, 0x00, rd0(0, 0), v4("192.0.2.5"), 65005, "192.0.2.5", T + 5, 0) + bytes([1]) + NOTIFICATION),
    common(2, peer_header(0, 0x80, rd0(0, 0), ip6("fe80::5"), 65005, "192.0.2.5", T + 5, 0) + bytes([2]) + struct.pack("!H", 24)),
    common(2, peer_header(0, 0x00, rd0(0, 0), v4("192.0.2.6"), 65006, "192.0.2.6", T + 6, 0) + bytes([4])),
    common(2, peer_header(1, 0x00, rd1("192.0.2.1", 7), v4("192.0.2.7"), 65007, "192.0.2.7", T + 7, 0) + bytes([5])),
    common(2, peer_header(3, 0x00, rd0(0, 0), bytes(16), 65000, "203.0.113.1", T + 8, 0) + bytes([6]) + tlv(3, b"global")),
    # ROUTE-MIRRORING: information "messages lost", then a BGP message
    common(6, peer_header(0, 0x00, rd0(0, 0), v4("192.0.2.5"), 65005, "192.0.2.5", T + 9, 0) + tlv(1, struct.pack("!H", 1)) + tlv(0, KEEPALIVE)),
    # TERMINATION: string and reason "redundant connection"
    common(5, tlv(0, b"going away") + tlv(1, struct.pack("!H", 3))),
]


def checksum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(payload, seq):
    tcp = struct.pack("!HHIIBBHHH", 40000, 11019, seq, 1, 5 << 4, 0x18, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, ip4("127.0.9.1"), ip4("127.0.9.10"))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return bytes(12) + b"\x08\x00" + ip + tcp + payload


def main():
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # classic pcap, Ethernet
    seq = 1000
    for i, m in enumerate(messages):
        f = frame(m, seq)
        seq += len(m)
        out += struct.pack("<IIII", T + i, 0, len(f), len(f)) + f
    with open(os.path.join(HERE, "synthetic.pcap"), "wb") as fh:
        fh.write(out)


if __name__ == "__main__":
    main()
