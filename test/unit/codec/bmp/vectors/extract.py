#!/usr/bin/env python3
"""Turn a capture of a BMP session into test vectors.

usage: extract.py CAPTURE PORT NAME

Writes, next to this script:
  NAME.bmp          the BMP byte stream the router sent (every TCP stream to PORT, in order)
  NAME.tshark.json  tshark's own decode of every BMP message in that stream, one line per message:
                    {"fields": [[field, shown value], ...], "bgp": [[bgp.type, bgp.length(, announced, withdrawn, AS_PATH)], ...]}
                    fields are the bmp.* fields in tshark's order ("bmp." dropped; the peer
                    distinguisher as tshark's text), bgp the BGP PDUs tshark found inside the message
                    (UPDATEs with their announced and withdrawn prefixes, "addr/len", and the AS
                    numbers of their AS_PATH).
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = {"bmp.unused", "bmp.peer.header", "bmp.init.types", "bmp.term.types", "bmp.peer.down.data"}


def tshark(*args):
    return subprocess.run(["tshark", *args], check=True, capture_output=True).stdout


def stream_bytes(capture, port):
    """Client-to-server bytes of every TCP stream to PORT (the router connects to the collector)."""
    ids = tshark("-r", capture, "-Y", f"tcp.port=={port}", "-T", "fields", "-e", "tcp.stream").decode().split()
    out = b""
    for sid in sorted(set(ids), key=int):
        text = tshark("-r", capture, "-q", "-z", f"follow,tcp,raw,{sid}").decode()
        body = text.split("=" * 67)[1].splitlines()
        # Header lines (Follow:, Filter:, Node 0/1:) first; node 1's data lines start with a tab.
        for line in body:
            if not line or line.startswith("\t") or ":" in line:
                continue
            out += bytes.fromhex(line.strip())
    return out


ANNOUNCED = {"bgp.nlri_prefix", "bgp.mp_reach_nlri_ipv4_prefix", "bgp.mp_reach_nlri_ipv6_prefix"}
WITHDRAWN = {"bgp.withdrawn_prefix", "bgp.mp_unreach_nlri_ipv4_prefix", "bgp.mp_unreach_nlri_ipv6_prefix"}


def update_prefixes(proto):
    """[announced, withdrawn] prefixes of an UPDATE as "addr/len", from tshark's length + prefix fields."""
    announced, withdrawn, length = [], [], None
    for f in proto.iter("field"):
        name = f.get("name")
        if name == "bgp.prefix_length":
            length = f.get("show")
        elif name in ANNOUNCED or name in WITHDRAWN:
            (announced if name in ANNOUNCED else withdrawn).append(f"{f.get('show')}/{length}")
    return [announced, withdrawn]


def as_path(proto):
    """The AS numbers of the UPDATE's AS_PATH attribute, in order, as tshark read them."""
    for attr in proto.iter("field"):
        if attr.get("name") != "bgp.update.path_attribute":
            continue
        codes = [f.get("show") for f in attr.iter("field") if f.get("name") == "bgp.update.path_attribute.type_code"]
        if codes[:1] == ["2"]:
            suffixes = ("as_path_segment.as2", "as_path_segment.as4")
            return [int(f.get("show")) for f in attr.iter("field") if f.get("name", "").endswith(suffixes)]
    return []


def fields_of(elem, acc, bgp):
    for child in elem:
        if child.tag == "proto" and child.get("name") == "bgp":
            info = {f.get("name"): f.get("show") for f in child.iter("field")}
            if "bgp.type" in info:  # tshark 4.0 shows a mirroring TLV header as a "Continuation"
                entry = [int(info["bgp.type"]), int(info["bgp.length"])]
                if entry[0] == 2:
                    entry += update_prefixes(child) + [as_path(child)]
                bgp.append(entry)
            continue
        if child.tag == "field":
            name = child.get("name", "")
            if name.startswith("bmp.") and name not in SKIP:
                # The distinguisher's value is raw bytes; its route distinguisher text is in showname.
                shown = child.get("showname").split(": ", 1)[1] if name == "bmp.peer.distinguisher" else child.get("show")
                acc.append([name[4:], shown])
            fields_of(child, acc, bgp)


def tshark_messages(capture, port):
    pdml = tshark("-r", capture, "-d", f"tcp.port=={port},bmp", "-Y", "bmp", "-T", "pdml")
    messages = []
    for packet in ET.fromstring(pdml).iter("packet"):
        for proto in packet.findall("proto"):
            if proto.get("name") == "bmp":
                fields, bgp = [], []
                fields_of(proto, fields, bgp)
                messages.append({"fields": fields, "bgp": bgp})
    return messages


def main():
    capture, port, name = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(os.path.join(HERE, f"{name}.bmp"), "wb") as f:
        f.write(stream_bytes(capture, port))
    with open(os.path.join(HERE, f"{name}.tshark.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(m, separators=(",", ":")) for m in tshark_messages(capture, port)) + "\n]\n")


if __name__ == "__main__":
    main()
