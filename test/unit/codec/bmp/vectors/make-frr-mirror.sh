#!/usr/bin/env bash
# frr-mirror.pcapng: FRR 8.4 bgpd (127.0.7.1, AS 65007) with `bmp mirror` streams BMP to a throwaway
# listener (127.0.7.10:11029) while a BIRD 2 peer (127.0.7.2, AS 65007, iBGP) announces two routes,
# adds a third, then is disabled with a shutdown communication. The capture holds ROUTE-MIRRORING
# (the peer's OPEN, KEEPALIVEs, UPDATEs, NOTIFICATION), pre/post-policy ROUTE-MONITORING, PEER-UP,
# PEER-DOWN reason 3 and INITIATION. Loopback only; stops everything it starts; needs root.
# usage: make-frr-mirror.sh   (writes frr-mirror.pcapng next to itself, then run extract.py on it)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/bmp-mirror.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  set +e
  for f in "$WORK/bgpd.pid" "$WORK/bird.pid"; do [ -f "$f" ] && kill "$(cat "$f")" 2> /dev/null; done
  for p in "${PIDS[@]}"; do kill -INT "$p" 2> /dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2> /dev/null; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

wait_for() { # SECONDS CMD...: poll until CMD succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" > /dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "timeout: $*" >&2; return 1; }
    sleep 0.2
  done
}

tshark -i lo -f "tcp port 11029 and host 127.0.7.10" -w "$WORK/cap.pcapng" -q > "$WORK/tshark.log" 2>&1 &
PIDS+=($!)
wait_for 15 grep -q "Capturing on" "$WORK/tshark.log"

python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.7.10", 11029)); s.listen(1); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60)
while c.recv(65536): pass
' &
PIDS+=($!)

bird_conf() { # ROUTES...
  {
    echo "router id 127.0.7.2;"
    echo "protocol device { scan time 10; }"
    echo "protocol static svc { ipv4;"
    for r in "$@"; do echo "  route $r blackhole;"; done
    echo "}"
    echo "protocol bgp tor { local 127.0.7.2 as 65007; neighbor 127.0.7.1 as 65007; strict bind on;"
    echo "  ipv4 { import all; export all; next hop address 10.10.7.2; }; }"
  } > "$WORK/bird.conf"
}

cat > "$WORK/bgpd.conf" << 'EOF'
frr defaults datacenter
hostname mirror-tor
router bgp 65007
 bgp router-id 127.0.7.1
 no bgp ebgp-requires-policy
 neighbor 127.0.7.2 remote-as 65007
 neighbor 127.0.7.2 update-source 127.0.7.1
 address-family ipv4 unicast
  neighbor 127.0.7.2 soft-reconfiguration inbound
 exit-address-family
 bmp targets collector
  bmp mirror
  bmp monitor ipv4 unicast pre-policy
  bmp monitor ipv4 unicast post-policy
  bmp connect 127.0.7.10 port 11029 min-retry 500 max-retry 2000
 exit
EOF
echo "log file $WORK/bgpd.log" >> "$WORK/bgpd.conf"
chown -R frr:frr "$WORK"
/usr/lib/frr/bgpd -d -f "$WORK/bgpd.conf" -M bmp -Z -l 127.0.7.1 -p 179 -P 0 -i "$WORK/bgpd.pid" --vty_socket "$WORK"

bird_conf 10.207.1.0/24 10.207.2.0/24
bird -c "$WORK/bird.conf" -s "$WORK/bird.ctl" -P "$WORK/bird.pid"
wait_for 40 bash -c "birdc -s '$WORK/bird.ctl' show protocols tor | grep -q Established"
sleep 2
bird_conf 10.207.1.0/24 10.207.2.0/24 10.207.3.0/24
birdc -s "$WORK/bird.ctl" configure > /dev/null
sleep 2
birdc -s "$WORK/bird.ctl" disable tor '"mirror fixture done"' > /dev/null
sleep 2
kill "$(cat "$WORK/bgpd.pid")"
sleep 2
kill -INT "${PIDS[0]}"
wait "${PIDS[0]}" 2> /dev/null || true
cp "$WORK/cap.pcapng" "$HERE/frr-mirror.pcapng"
chmod 644 "$HERE/frr-mirror.pcapng"
echo "wrote $HERE/frr-mirror.pcapng"
