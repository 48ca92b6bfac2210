#!/usr/bin/env bash
# Regenerates the capture vectors in this folder from the golden captures in fixtures/captures,
# with Wireshark's own tools only (tshark, editcap, mergecap, text2pcap). Each vector is a few KB.
#
#   bgp-base.pcapng      first BGP connection of $BGP_SRC (first 40 packets)
#   bmp-base.pcapng      first BMP connection of $BMP_SRC on $BMP_PORT (first 24 packets)
#   *-usec.pcap          editcap -F pcap (little-endian, microseconds)
#   *-nsec.pcap          editcap -F nsecpcap (nanoseconds)
#   bgp-rawip.pcap       Ethernet chopped off (editcap -C 14), link type 101 (editcap -T rawip)
#   bgp-ipv4.pcapng      same, link type 228 (editcap -T rawip4)
#   bgp-null.pcap        text2pcap -l 0: BSD loopback, family 2 in little-endian
#   bgp-loop.pcap        text2pcap -l 108: OpenBSD loop, family 2 in network order
#   bmp-sll.pcap         text2pcap -l 113: Linux cooked v1 header
#   bmp-sll2.pcapng      text2pcap -l 276: Linux cooked v2 header
#   bgp-vlan.pcapng      text2pcap -l 1: Ethernet with an 802.1Q tag
#   bgp-qinq.pcap        text2pcap -l 1: Ethernet with 802.1ad + 802.1Q tags (QinQ)
#   bgp-seg.pcapng       the BGP payloads re-cut into small segments (text2pcap -4 -T -D): messages span segments
#   bmp-seg.pcapng       the same for BMP
#   bgp-seg6.pcapng      the BGP payloads re-cut, over IPv6 (text2pcap -6 -T -D)
#   bgp-seg6-raw.pcap    bgp-seg6 without Ethernet, link type 229 (editcap -C 14 -T rawip6)
#   multi-section.pcapng two sections (bgp-base then bmp-base, concatenated)
#   bgp-gap.pcapng       bgp-seg without one data segment (editcap deletes it): a hole
#   bmp-gap.pcapng       bmp-seg without one data segment
#   bgp-tail-gap.pcapng  bgp-seg without the last data segment of the busier side: a hole at the end
#   bgp-dup.pcapng       bgp-seg merged with copies of some segments (mergecap): retransmissions
#   bgp-ooo.pcapng       bgp-seg with two segments swapped (editcap -r pieces, mergecap -a): out of order
#   bmp-ooo.pcapng       the same for BMP
#   bgp-snap.pcapng      bgp-base cut to a 100-byte snap length (editcap -s 100)
#   bgp-cut.pcap         bgp-usec.pcap missing its last 10 bytes (head -c): truncated last record
#   manifest.tsv         which segments the derived vectors dropped, copied or swapped (read by the tests)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CAPTURES=$(cd "$HERE/../../../../../fixtures/captures" && pwd)
BGP_SRC=${BGP_SRC:-$CAPTURES/exabgp-rich.pcapng}
BMP_SRC=${BMP_SRC:-$CAPTURES/calico-bmp.pcapng}
BMP_PORT=${BMP_PORT:-11019}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Built in a scratch folder and moved in only when everything succeeded.
mkdir "$TMP/out"
cd "$TMP/out"

ts() { tshark "$@" 2> /dev/null; }
# first_stream FILE PORT: tcp.stream index of the first connection using PORT
first_stream() {
  local s
  s=$(ts -r "$1" -Y "tcp.port==$2" -T fields -e tcp.stream | head -1)
  [ -n "$s" ] || { echo "no TCP connection on port $2 in $1" >&2; exit 1; }
  echo "$s"
}

bgp_stream=$(first_stream "$BGP_SRC" 179)
ts -r "$BGP_SRC" -Y "tcp.stream==$bgp_stream" -w "$TMP/bgp-all.pcapng"
editcap -r "$TMP/bgp-all.pcapng" bgp-base.pcapng 1-40
bmp_stream=$(first_stream "$BMP_SRC" "$BMP_PORT")
ts -r "$BMP_SRC" -Y "tcp.stream==$bmp_stream" -w "$TMP/bmp-all.pcapng"
editcap -F pcapng -r "$TMP/bmp-all.pcapng" bmp-base.pcapng 1-24

# --- file formats
editcap -F pcap bgp-base.pcapng bgp-usec.pcap
editcap -F nsecpcap bgp-base.pcapng bgp-nsec.pcap
editcap -F pcap bmp-base.pcapng bmp-usec.pcap
cat bgp-base.pcapng bmp-base.pcapng > multi-section.pcapng

# --- link types
editcap -F pcap -C 14 -T rawip bgp-base.pcapng bgp-rawip.pcap
editcap -C 14 -T rawip4 bgp-base.pcapng bgp-ipv4.pcapng

# ip_packets FILE: "epoch<TAB>hex of the IP packet" per packet (IP dissector off, so it is all "data")
ip_packets() { ts -r "$1" --disable-protocol ip --disable-protocol ipv6 -T fields -e frame.time_epoch -e data.data; }
# relink FILE OUT LINKTYPE FORMAT HEADER_HEX: each IP packet of FILE behind HEADER_HEX
relink() {
  ip_packets "$1" | awk -F'\t' -v h="$5" '{print $1 "\t" h $2}' > "$TMP/relink.txt"
  text2pcap -q -F "$4" -l "$3" -t '%s.%f' -r '^(?<time>[0-9.]+)\t(?<data>[0-9a-f]+)$' "$TMP/relink.txt" "$2"
}
relink bgp-base.pcapng bgp-null.pcap 0 pcap 02000000
relink bgp-base.pcapng bgp-loop.pcap 108 pcap 00000002
# SLL: packet type 0 (to us), ARPHRD_LOOPBACK 772, address length 6, 8 address bytes, protocol IPv4
relink bmp-base.pcapng bmp-sll.pcap 113 pcap 00000304000600000000000000000800
# SLL2: protocol IPv4, reserved, ifindex 1, ARPHRD_LOOPBACK, packet type 0, address length 6, 8 address bytes
relink bmp-base.pcapng bmp-sll2.pcapng 276 pcapng 0800000000000001030400060000000000000000
MACS=020000000001020000000002
relink bgp-base.pcapng bgp-vlan.pcapng 1 pcapng ${MACS}810000640800
relink bgp-base.pcapng bgp-qinq.pcap 1 pcap ${MACS}88a800c8810000640800

# --- re-segmented streams: each payload cut into pieces of 1, 7, 18, 19, 20, 37, 64, 150, 400 bytes in turn
# reseg FILE PORT OUT -4|-6 ADDRS: the connection's payloads, direction kept, as new TCP segments
reseg() {
  local file=$1 port=$2 out=$3 fam=$4 addrs=$5 client
  client=$(ts -r "$file" -Y "tcp.dstport==$port" -T fields -e tcp.srcport | head -1)
  ts -r "$file" -Y "tcp.len>0" -T fields -e frame.time_epoch -e tcp.srcport -e tcp.payload |
    awk -F'\t' -v c="$client" 'BEGIN { n = split("1 7 18 19 20 37 64 150 400", size, " "); k = 0 }
      NR == 1 { t0 = int($1) }
      { d = ($2 == c) ? "I" : "O"; p = $3
        # every segment 1 ms after the previous one: distinct times keep mergecap from reordering copies
        while (length(p) > 0) {
          s = 2 * size[k % n + 1]
          printf "%s\t%d.%06d\t%s\n", d, t0 + int(k / 1000), (k % 1000) * 1000, substr(p, 1, s)
          p = substr(p, s + 1); k++
        } }' \
      > "$TMP/reseg.txt"
  text2pcap -q "$fam" "$addrs" -T "$client,$port" -D -t '%s.%f' \
    -r '^(?<dir>[IO])\t(?<time>[0-9.]+)\t(?<data>[0-9a-f]+)$' "$TMP/reseg.txt" "$out"
}
reseg bgp-base.pcapng 179 bgp-seg.pcapng -4 192.0.2.1,192.0.2.2
reseg bmp-base.pcapng "$BMP_PORT" bmp-seg.pcapng -4 198.51.100.1,198.51.100.2
reseg bgp-base.pcapng 179 bgp-seg6.pcapng -6 2001:db8::1,2001:db8::2
editcap -F pcap -C 14 -T rawip6 bgp-seg6.pcapng bgp-seg6-raw.pcap

# --- derived: gaps, retransmissions, reordering (frame numbers go to manifest.tsv for the tests)
# data_frames FILE: frame numbers of the segments with payload sent by the side that sends most
data_frames() {
  local busiest
  busiest=$(ts -r "$1" -Y "tcp.len>0" -T fields -e tcp.srcport | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
  ts -r "$1" -Y "tcp.srcport==$busiest && tcp.len>0" -T fields -e frame.number
}
printf 'vector\tsource\top\tframes\n' > manifest.tsv
derive_drop() { # SRC OUT FRAME
  editcap "$1" "$2" "$3"
  printf '%s\t%s\tdrop\t%s\n' "$2" "$1" "$3" >> manifest.tsv
}
derive_swap() { # SRC OUT FRAME: FRAME and FRAME+1 change places
  local f=$1 out=$2 k=$3
  editcap -r "$f" "$TMP/a.pcapng" "1-$((k - 1))"
  editcap -r "$f" "$TMP/b.pcapng" "$((k + 1))"
  editcap -r "$f" "$TMP/c.pcapng" "$k"
  editcap -r "$f" "$TMP/d.pcapng" "$((k + 2))-999999"
  mergecap -a -w "$out" "$TMP/a.pcapng" "$TMP/b.pcapng" "$TMP/c.pcapng" "$TMP/d.pcapng"
  printf '%s\t%s\tswap\t%s\n' "$out" "$f" "$k" >> manifest.tsv
}
bgp_data=$(data_frames bgp-seg.pcapng)
bmp_data=$(data_frames bmp-seg.pcapng)
derive_drop bgp-seg.pcapng bgp-gap.pcapng "$(sed -n 12p <<< "$bgp_data")"
derive_drop bmp-seg.pcapng bmp-gap.pcapng "$(sed -n 15p <<< "$bmp_data")"
derive_drop bgp-seg.pcapng bgp-tail-gap.pcapng "$(tail -n 1 <<< "$bgp_data")"
# Two consecutive segments of the same side, so no acknowledgment sits between them.
pair() { awk 'NR > 8 && prev + 1 == $1 { print prev; exit } { prev = $1 }' <<< "$1"; }
derive_swap bgp-seg.pcapng bgp-ooo.pcapng "$(pair "$bgp_data")"
derive_swap bmp-seg.pcapng bmp-ooo.pcapng "$(pair "$(tail -n +20 <<< "$bmp_data")")"
dups="$(sed -n 5p <<< "$bgp_data"),$(sed -n 6p <<< "$bgp_data"),$(sed -n 20p <<< "$bgp_data")"
editcap -r bgp-seg.pcapng "$TMP/dups.pcapng" ${dups//,/ }
mergecap -w bgp-dup.pcapng bgp-seg.pcapng "$TMP/dups.pcapng"
printf '%s\t%s\tcopy\t%s\n' bgp-dup.pcapng bgp-seg.pcapng "$dups" >> manifest.tsv

# --- truncation
editcap -s 100 bgp-base.pcapng bgp-snap.pcapng
head -c -10 bgp-usec.pcap > bgp-cut.pcap

rm -f "$HERE"/*.pcap "$HERE"/*.pcapng "$HERE/manifest.tsv"
mv ./* "$HERE/"
ls -l "$HERE"
