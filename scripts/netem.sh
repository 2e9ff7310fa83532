#!/usr/bin/env bash
# The tiers on separate hosts of one machine: network namespaces joined by veth pairs on a bridge,
# with `tc netem` adding real latency between them (issue 24 item 4, docs/capacity.md "Hops").
#
#   scripts/netem.sh up [DELAY]     create the namespaces (idempotent) and set DELAY (default 0.25ms)
#   scripts/netem.sh delay DELAY    change the delay on every tier's link (0 removes it)
#   scripts/netem.sh down           stop what runs in the namespaces and delete them (idempotent)
#   scripts/netem.sh status         namespaces, addresses, qdiscs
#   scripts/netem.sh exec TIER CMD  run CMD on a tier (data, work, api, load)
#   scripts/netem.sh rtt FROM TO    the ping round trip between two tiers, in ms (min, avg, max)
#   scripts/netem.sh stack start|stop   the native stack (scripts/stack.sh) in the data tier
#   scripts/netem.sh bench          the whole comparison: bench:booking and a short bench:flash at
#                                   DELAY, at no delay on the same layout, and on plain loopback
#
# Layout (NETEM_PREFIX=bk, NETEM_NET=10.77.0):
#   bk-data  10.77.0.2  MariaDB, Redis, Temporal (dev server), Kafka, localstripe, Mailpit
#   bk-work  10.77.0.3  workers and the relay
#   bk-api   10.77.0.4  the API processes
#   bk-load  10.77.0.5  the load generator (the benchmark itself)
#   bk-sw    the bridge joining them (its own namespace: nothing touches the machine's own network)
# Each tier's end of its veth delays what the tier sends by DELAY, so a packet between two tiers
# waits DELAY each way: one round trip between tiers costs 2 x DELAY more than on loopback. Inside a
# tier (the data services among themselves) traffic stays on that namespace's loopback.
# Needs root and iproute2 (`apt-get install -y iproute2`); the stack's port base is STACK_PORT_BASE
# (default 35000). Only TEMPORAL_MODE=dev is supported in the namespaces.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${NETEM_PREFIX:-bk}"
NET="${NETEM_NET:-10.77.0}"
TIERS=(data work api load)
declare -A HOST=([data]=2 [work]=3 [api]=4 [load]=5)
SW="$PREFIX-sw"
BRIDGE=br0
export STACK_PROFILE=test STACK_PORT_BASE="${STACK_PORT_BASE:-35000}" STACK_DIR="${NETEM_STACK_DIR:-$ROOT/.stack/netns}"
export STACK_HOST="$NET.${HOST[data]}"
RUNDIR="$STACK_DIR/netem"
DELAYER="$RUNDIR/netem-delay"
mkdir -p "$RUNDIR"
[ -n "${STACK_TOOLS:-}" ] || { [ -d /work/main/.stack/tools ] && export STACK_TOOLS=/work/main/.stack/tools; } || true

say() { printf '\033[1m[netem]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[netem] %s\033[0m\n' "$*" >&2; exit 1; }
ns() { echo "$PREFIX-$1"; }
in_ns() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

need_tools() {
  command -v ip >/dev/null && command -v tc >/dev/null || fail "ip and tc are missing: apt-get install -y iproute2"
  [ "$(id -u)" = 0 ] || fail "network namespaces need root"
}

# Creates what is missing, leaves what exists: rerunning `up` is harmless.
up() {
  need_tools
  ns_exists "$SW" || ip netns add "$SW"
  ip -n "$SW" link show "$BRIDGE" >/dev/null 2>&1 || ip -n "$SW" link add "$BRIDGE" type bridge
  ip -n "$SW" link set lo up
  ip -n "$SW" link set "$BRIDGE" up
  for tier in "${TIERS[@]}"; do
    local n; n=$(ns "$tier")
    ns_exists "$n" || ip netns add "$n"
    ip -n "$n" link set lo up
    if ! ip -n "$n" link show eth0 >/dev/null 2>&1; then
      # Created in the switch's namespace, then one end moved to the tier and renamed eth0.
      ip -n "$SW" link del "p-$tier" 2>/dev/null || true
      ip -n "$SW" link add "p-$tier" type veth peer name "t-$tier"
      ip -n "$SW" link set "t-$tier" netns "$n"
      ip -n "$n" link set "t-$tier" name eth0
      ip -n "$SW" link set "p-$tier" master "$BRIDGE" up
    fi
    ip -n "$n" addr replace "$NET.${HOST[$tier]}/24" dev eth0
    ip -n "$n" link set eth0 up
  done
  set_delay "${1:-${NETEM_DELAY:-0.25ms}}"
}

# DELAY on each tier's eth0 (its egress): DELAY each way between any two tiers. With tc netem where
# the kernel has it; otherwise (this machine's kernel is built without sch_netem) the tier's
# outgoing packets go to NFQUEUE and scripts/netem/delay.c holds each one DELAY before letting it go.
set_delay() {
  local delay=$1
  for tier in "${TIERS[@]}"; do clear_delay "$tier"; done
  if [ "$delay" = 0 ] || [ "$delay" = 0ms ]; then say "no delay between tiers"; return; fi
  local n; n=$(ns "${TIERS[0]}")
  if tc -n "$n" qdisc replace dev eth0 root netem delay "$delay" limit 100000 2>/dev/null; then
    # A deep queue: netem's default limit (1000 packets) drops under a flash sale's bursts.
    for tier in "${TIERS[@]:1}"; do tc -n "$(ns "$tier")" qdisc replace dev eth0 root netem delay "$delay" limit 100000; done
    say "delay between tiers: $delay each way (tc netem)"
    return
  fi
  local us; us=$(delay_us "$delay")
  build_delayer
  for tier in "${TIERS[@]}"; do
    n=$(ns "$tier")
    ip netns exec "$n" iptables-legacy -t mangle -A POSTROUTING -o eth0 -j NFQUEUE --queue-num 0 --queue-bypass
    ip netns exec "$n" setsid nohup "$DELAYER" 0 "$us" >>"$RUNDIR/delay-$tier.log" 2>&1 < /dev/null &
    echo $! >"$RUNDIR/delay-$tier.pid"
  done
  say "delay between tiers: $delay each way (NFQUEUE delayer: this kernel has no sch_netem)"
}

clear_delay() { # TIER
  local n; n=$(ns "$1")
  tc -n "$n" qdisc del dev eth0 root 2>/dev/null || true
  while ip netns exec "$n" iptables-legacy -t mangle -D POSTROUTING -o eth0 -j NFQUEUE --queue-num 0 --queue-bypass 2>/dev/null; do :; done
  local pidfile="$RUNDIR/delay-$1.pid"
  if [ -f "$pidfile" ]; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$pidfile"
  fi
}

delay_us() { # 0.25ms | 250us | 0.25 (ms)
  case "$1" in
    *us) echo "${1%us}" ;;
    *ms) awk -v v="${1%ms}" 'BEGIN { print v * 1000 }' ;;
    *) awk -v v="$1" 'BEGIN { print v * 1000 }' ;;
  esac
}

build_delayer() {
  [ -x "$DELAYER" ] && [ "$DELAYER" -nt "$ROOT/scripts/netem/delay.c" ] && return
  command -v iptables-legacy >/dev/null && [ -f /usr/include/libnetfilter_queue/libnetfilter_queue.h ] \
    || fail "no sch_netem in this kernel: the NFQUEUE delayer needs apt-get install -y iptables libnetfilter-queue-dev"
  gcc -O2 -Wall -o "$DELAYER" "$ROOT/scripts/netem/delay.c" -lnetfilter_queue -lnfnetlink || fail "building the delayer failed"
}

down() {
  need_tools
  # The stack, if this script started one there (its pid files), stops before its namespace goes.
  if ns_exists "$(ns data)" && compgen -G "$STACK_DIR/$STACK_PROFILE/run/*.pid" >/dev/null; then stack stop || true; fi
  for tier in "${TIERS[@]}"; do ns_exists "$(ns "$tier")" && clear_delay "$tier"; done
  for tier in "${TIERS[@]}" sw; do
    local n; n=$(ns "$tier")
    ns_exists "$n" || continue
    # Whatever still runs there was started through this script: stop it by pid, then the namespace.
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$n"
  done
  say "namespaces removed"
}

status() {
  for tier in "${TIERS[@]}"; do
    local n; n=$(ns "$tier")
    if ns_exists "$n"; then
      printf '  %-8s %-12s %s\n' "$n" "$(ip -n "$n" -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')" \
        "$(tc -n "$n" qdisc show dev eth0 2>/dev/null | grep -o 'netem.*' || { [ -f "$RUNDIR/delay-$tier.pid" ] && echo "delayer: $(tail -n 1 "$RUNDIR/delay-$tier.log")"; } || echo 'no delay')"
    else
      printf '  %-8s absent\n' "$n"
    fi
  done
}

# The round trip between two tiers, in ms: min and median of 100 pings (ICMP echo, answered by the
# kernel, so it measures the link and not a process's scheduling).
rtt() { # FROM TO
  ip netns exec "$(ns "$1")" ping -n -q -c 100 -i 0.01 "$NET.${HOST[$2]}" \
    | awk -F'[/ =]+' '/^rtt/ { printf "min %.3f avg %.3f max %.3f\n", $6, $7, $8 }'
}

stack() {
  in_ns data bash "$ROOT/scripts/stack.sh" "$@"
}

# The environment a process on another tier needs to reach the stack in the data tier.
stack_env() {
  in_ns data bash "$ROOT/scripts/stack.sh" urls | grep -E '^(MYSQL_URL|REDIS_URL|TEMPORAL_ADDRESS|KAFKA_BROKERS)='
}

# One comparison round: the benchmarks, run from the load tier with the API and worker on theirs.
bench_round() { # LABEL (apis/workers in namespaces unless LABEL=loopback)
  local label=$1 log="$OUT/$1"
  local envs; mapfile -t envs < <(stack_env)
  if [ "$label" = loopback ]; then
    # Everything in the data tier on its loopback: the same services, no network between tiers.
    envs=("${envs[@]//$STACK_HOST/127.0.0.1}")
    say "$label: bench:booking"; in_ns data env "${envs[@]}" npm run --silent bench:booking -- $BOOKING_ARGS 2>&1 | tee "$log-booking.txt" || say "$label: bench:booking failed (see $log-booking.txt)"
    say "$label: bench:flash"; in_ns data env "${envs[@]}" npm run --silent bench:flash -- $FLASH_ARGS 2>&1 | tee "$log-flash.txt" || say "$label: bench:flash failed (see $log-flash.txt)"
  else
    local tiers=(BENCH_API_HOST="$NET.${HOST[api]}" BENCH_NETNS_API="$(ns api)" BENCH_NETNS_WORKER="$(ns work)" BENCH_NETNS_RELAY="$(ns work)")
    say "$label: bench:booking"; in_ns load env "${envs[@]}" "${tiers[@]}" npm run --silent bench:booking -- $BOOKING_ARGS 2>&1 | tee "$log-booking.txt" || say "$label: bench:booking failed (see $log-booking.txt)"
    say "$label: bench:flash"; in_ns load env "${envs[@]}" "${tiers[@]}" npm run --silent bench:flash -- $FLASH_ARGS 2>&1 | tee "$log-flash.txt" || say "$label: bench:flash failed (see $log-flash.txt)"
  fi
}

bench() {
  local delay="${NETEM_DELAY:-0.25ms}"
  OUT="${NETEM_OUT:-$ROOT/.stack/netns/results-$(date -u +%Y%m%dT%H%M%S)}"
  # Short on purpose (a 2-core machine shared with others): minutes per round, not tens of minutes.
  BOOKING_ARGS="${NETEM_BOOKING_ARGS:---users 40 --concurrency 10 --one-in-flight 20 --flash-attempts 200 --flash-rate 50 --flash-users 100 --flash-seats 100 --flash-warm-sockets 50 --primitives 100 --card-purchases 0}"
  FLASH_ARGS="${NETEM_FLASH_ARGS:---buyers 300 --seconds 8 --seats 100 --mode pick --grace 20 --calibrate 30 --primitives 100}"
  mkdir -p "$OUT"
  up "$delay"
  stack start
  say "round trip load -> data at $delay each way: $(rtt load data) ms (ping)" | tee "$OUT/rtt.txt"
  bench_round "netem-$delay"
  set_delay 0
  say "round trip load -> data at no delay: $(rtt load data) ms (ping)" | tee -a "$OUT/rtt.txt"
  bench_round nodelay
  bench_round loopback
  [ "${NETEM_KEEP:-0}" = 1 ] || down
  say "results in $OUT"
}

cmd="${1:-status}"; shift || true
case "$cmd" in
  up) up "$@" ;;
  delay) need_tools; set_delay "${1:?delay, e.g. 0.25ms or 0}" ;;
  down) down ;;
  status) status ;;
  exec) tier=${1:?tier}; shift; in_ns "$tier" "$@" ;;
  rtt) rtt "${1:?from tier}" "${2:?to tier}" ;;
  stack) stack "$@" ;;
  env) stack_env ;;
  bench) bench ;;
  *) echo "usage: $0 up [delay]|delay D|down|status|exec TIER CMD...|rtt FROM TO|stack start|stop|status|env|bench" >&2; exit 2 ;;
esac
