/** `routewatch --help`. Kept apart from the commands so printing it loads nothing else. */
export const DEFAULT_BMP_PORTS_TEXT = "11019, 1790, 5000";

export const USAGE = `usage: routewatch <command> [options]

commands:
  decode FILE [--format json|text] [--summary] [--bmp-port N]... [--bgp-port N]...
      Decode every BGP and BMP message in a pcap, pcapng or MRT file (plain, gzip or bzip2), or a raw
      BGP/BMP stream or a routewatch BMP recording.
      --format json   one JSON object per message (default)
      --format text   one line per route, like bgpdump -m
      --summary       only print {"messages","updates","announced","withdrawn","errors",...}
      --bmp-port N    a TCP port carrying BMP in captures (repeatable; default ${DEFAULT_BMP_PORTS_TEXT})
      --bgp-port N    a TCP port carrying BGP in captures (repeatable; default 179)
      Exit code: 0 decoded cleanly, 1 some records were malformed (counted, reported on stderr),
      2 the file could not be read or the options are wrong.

  run [--config FILE] [flags]
      The daemon: passive BGP speaker, BMP collector, correlation, alerts, HTTP API and metrics.
      Every flag is also a config key (in parentheses); flags win over the file.
      --bgp-listen ADDR:PORT[,...]   (bgp.listen, default 0.0.0.0:179)
      --bmp-listen ADDR:PORT[,...]   (bmp.listen, default 0.0.0.0:11019)
      --http-listen ADDR:PORT        (http.listen, default 0.0.0.0:9179)
      --asn N                        (asn, default 64512)
      --router-id IP                 (routerId, default: this host's first IPv4 address)
      --allow-peers CIDR[,...]       (bgp.allowPeers)
      --log-level LEVEL              (logLevel: fatal, error, warn, info, debug, trace, silent)
      --inventory FILE               (inventory.file: kubectl List JSON/YAML or JSON Lines timeline)
      --kubernetes                   (inventory.kubernetes: watch the API server; --kubeconfig FILE)
      --alertmanager URL[,...]       (alerts.alertmanager)
      --grace DURATION               (alerts.grace, default 5s)
      --record-dir DIR               (record.dir: record BGP as MRT, BMP as received, inventory changes)

  replay INPUT... [--inventory FILE] [--grace 5s] [--speed max|1x|Nx] [--format json|text]
         [--from T] [--to T] [--config FILE] [--router-id IP] [--bmp-port N]... [--bgp-port N]...
      The pipeline of run on captures (pcap, pcapng), MRT files and recording directories, on a
      virtual clock taken from their timestamps: the same input gives the same verdicts. The end of
      the input is held for the grace period. --inventory defaults to a recording's own timeline.
      --router-id (or the run's --config): the recorded routewatch's, so that in a capture its own
      side is no peer and its leaving (Cease, closed connections) keeps the routes as last seen.
      --format json: {"ts","event":"firing"|"resolved","alert":{"labels","annotations"}},
      {"ts","event":"convergence","namespace","service","seconds"}, then
      {"event":"summary","firing":[{"labels"}...],"routes":N,"warnings":[...]}.
      Exit code: 1 alerts firing at the end, 0 none, 2 bad input.

  check [--duration 30s] [run's flags]      or      check --replay INPUT... [--inventory FILE]
      The post-deployment check as one command: runs the live pipeline for --duration (or replays
      INPUT), then prints per LoadBalancer service its IP, policy, endpoint nodes, the nodes that
      advertise it (direct BGP, BMP pre-policy, post-policy, Loc-RIB), ECMP width at the ToR and
      verdict, then every problem with its fix. Exit code 1 when a problem is found, 0 otherwise.
`;
