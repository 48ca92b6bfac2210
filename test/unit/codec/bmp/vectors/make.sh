#!/usr/bin/env bash
# Rebuilds every vector here from its source (needs tshark; frr-mirror.pcapng needs root, FRR and
# BIRD, see make-frr-mirror.sh, and is only re-recorded when asked: ./make.sh --record).
set -euo pipefail
cd "$(dirname "$0")"
CAPS=../../../../../fixtures/captures
[ "${1:-}" = --record ] && ./make-frr-mirror.sh
python3 extract.py "$CAPS/calico-bmp.pcapng" 11019 frr-calico     # FRR 8.4 ToR, Calico-like BIRD nodes
python3 extract.py "$CAPS/gobgp-bmp-locrib.pcap" 1790 gobgp-locrib # GoBGP 3.10 with RFC 9069 Loc-RIB
python3 extract.py "$CAPS/frr-bmp-ipv6-peer.pcapng" 5000 frr-ipv6   # FRR 8.4, IPv6 peer and transport, mirroring
python3 extract.py frr-mirror.pcapng 11029 frr-mirror               # FRR 8.4 with route mirroring
python3 synthetic.py
python3 extract.py synthetic.pcap 11019 synthetic
rm synthetic.pcap
npx --no-install prettier --log-level warn --write ./*.tshark.json # the repository's JSON style
