#!/usr/bin/env bash
# Redis Cluster for STACK_TOPOLOGY=cluster: 3 masters + 3 replicas as plain processes, created with
# `redis-cli --cluster create --cluster-replicas 1`. scripts/stack.sh calls it; it also runs alone:
#
#   scripts/topology/redis-cluster.sh start|stop|status|nodes|urls|logs [port]|kill-master [KEY]|start-node PORT
#
# Same environment as scripts/stack.sh (STACK_PROFILE, STACK_PORT_BASE, STACK_DIR). Ports:
#   nodes        base+6380 .. base+6385   (REDIS_CLUSTER_PORT overrides the first)
#   cluster bus  base+6479 .. base+6484   (REDIS_CLUSTER_BUS_PORT overrides the first)
# The bus is set explicitly: Redis's default (port+10000) leaves the 16-bit range at base 55000.
# The app finds the cluster through REDIS_CLUSTER_NODES (printed by `urls`); see docs/production.md
# "Redis Cluster".
set -euo pipefail

# shellcheck source=scripts/stack-paths.sh
. "$(dirname "${BASH_SOURCE[0]}")/../stack-paths.sh"
FIRST_PORT="${REDIS_CLUSTER_PORT:-$((6380 + base))}"
FIRST_BUS="${REDIS_CLUSTER_BUS_PORT:-$((6479 + base))}"
NODES=6
PORTS=(); for i in $(seq 0 $((NODES - 1))); do PORTS+=($((FIRST_PORT + i))); done

say() { printf '\033[1m[redis-cluster]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[redis-cluster] %s\033[0m\n' "$*" >&2; exit 1; }
mkdir -p "$LOGS" "$RUN"

name_of() { echo "redis-cluster-$1"; }
node_pid_alive() { local f="$RUN/$(name_of "$1").pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }
ping() { redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; }
cluster_ok() { redis-cli -p "$1" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }

start_node() { # PORT
  local port=$1 bus=$(($1 - FIRST_PORT + FIRST_BUS)) name; name=$(name_of "$1")
  if node_pid_alive "$port" && ping "$port"; then return; fi
  mkdir -p "$DATA/$name"
  # Tests start from an empty cluster; dev keeps its data (RDB snapshots) like the single Redis.
  local persistence=(--save 60 1000 --appendonly no); [ "$PROFILE" = test ] && persistence=(--save "" --appendonly no)
  # A short node timeout makes a killed master's replica take over within seconds (the chaos
  # run measures it); replica-validity-factor 0 lets any replica stand in however long it lagged.
  setsid nohup redis-server --port "$port" --cluster-port "$bus" --bind 127.0.0.1 --dir "$DATA/$name" \
    --cluster-enabled yes --cluster-config-file "nodes-$port.conf" --cluster-node-timeout 2000 \
    --cluster-replica-validity-factor 0 "${persistence[@]}" --maxclients 10000 \
    >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
  for _ in $(seq 1 40); do ping "$port" && return; sleep 0.5; done
  tail -n 20 "$LOGS/$name.log" >&2; fail "node :$port did not answer (log: $LOGS/$name.log)"
}

start() {
  # The test profile starts empty: old nodes-*.conf files would name a cluster that no longer exists.
  if [ "$PROFILE" = test ] && ! node_pid_alive "${PORTS[0]}"; then
    for p in "${PORTS[@]}"; do rm -rf "$DATA/$(name_of "$p")"; done
  fi
  say "starting ${NODES} nodes on :${PORTS[0]}-${PORTS[-1]} (bus :$FIRST_BUS-$((FIRST_BUS + NODES - 1)))"
  for p in "${PORTS[@]}"; do start_node "$p"; done
  if [ "$(redis-cli -p "${PORTS[0]}" cluster info | awk -F: '/cluster_known_nodes/{print $2+0}')" -lt "$NODES" ]; then
    say "creating the cluster (3 masters, 1 replica each)"
    redis-cli --cluster create $(printf '127.0.0.1:%s ' "${PORTS[@]}") --cluster-replicas 1 --cluster-yes >>"$LOGS/redis-cluster-create.log" 2>&1 \
      || { tail -n 20 "$LOGS/redis-cluster-create.log" >&2; fail "cluster create failed"; }
  fi
  for _ in $(seq 1 60); do
    if cluster_ok "${PORTS[0]}" && [ "$(replicas_up)" -ge 3 ]; then say "cluster ready: $(masters | wc -l) masters, $(replicas_up) replicas"; return; fi
    sleep 0.5
  done
  fail "cluster did not reach state ok with 3 replicas (redis-cli -p ${PORTS[0]} cluster nodes)"
}

# Lines of `cluster nodes` from any live node: "<id> <ip:port@bus> <flags> ...".
cluster_nodes() { for p in "${PORTS[@]}"; do redis-cli -p "$p" cluster nodes 2>/dev/null && return; done; }
masters() { cluster_nodes | awk '$3 ~ /master/ && $3 !~ /fail/ && NF > 8 {split($2, a, "[:@]"); print a[2]}' | sort -n; }
replicas_up() { cluster_nodes | awk '$3 ~ /slave/ && $3 !~ /fail/' | wc -l; }

stop() {
  for p in "${PORTS[@]}"; do
    local f; f="$RUN/$(name_of "$p").pid"
    if node_pid_alive "$p"; then
      local pid; pid=$(cat "$f"); kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  say "stopped"
}

status() {
  local down=0 p
  for p in "${PORTS[@]}"; do
    local role; role=$(redis-cli -p "$p" role 2>/dev/null | head -1 || true)
    if [ -n "$role" ]; then printf '  %-9s up    127.0.0.1:%s (%s)\n' "redis-c$((p - FIRST_PORT))" "$p" "$role"
    else printf '  %-9s DOWN  (log: %s)\n' "redis-c$((p - FIRST_PORT))" "$LOGS/$(name_of "$p").log"; down=1; fi
  done
  if cluster_ok "${PORTS[0]}" 2>/dev/null || cluster_ok "${PORTS[1]}" 2>/dev/null; then echo "  redis cluster: state ok, masters $(masters | tr '\n' ' ')"
  else echo "  redis cluster: NOT ok"; down=1; fi
  return $down
}

urls() { echo "REDIS_CLUSTER_NODES=$(printf '127.0.0.1:%s,' "${PORTS[@]}" | sed 's/,$//')"; }

# Chaos: SIGKILL the master serving KEY's slot (slot 0 without KEY), then wait until its replica is
# promoted. Prints what was lost on the way: how many bytes of the master's replication stream its
# replica had not received at the kill (Redis replicates asynchronously). `start` (or
# `start-node PORT`) brings the old master back; it rejoins as a replica of the promoted node.
kill_master() { # [KEY]
  local live slot line port id replica lag t0
  live=$(for p in "${PORTS[@]}"; do ping "$p" && { echo "$p"; break; }; done)
  slot=0; [ -n "${1:-}" ] && slot=$(redis-cli -p "$live" cluster keyslot "$1")
  line=$(cluster_nodes | awk -v s="$slot" '$3 ~ /master/ && $3 !~ /fail/ {for (i = 9; i <= NF; i++) {n = split($i, r, "-"); if (n == 1) r[2] = r[1]; if (s + 0 >= r[1] + 0 && s + 0 <= r[2] + 0) {split($2, a, "[:@]"); print a[2], $1}}}' | head -1)
  [ -n "$line" ] || fail "no master serves slot $slot"
  read -r port id <<<"$line"
  replica=$(cluster_nodes | awk -v m="$id" '$4 == m && $3 !~ /fail/ {split($2, a, "[:@]"); print a[2]; exit}')
  [ -n "$replica" ] || fail "master :$port has no live replica"
  lag=$(redis-cli -p "$port" info replication | tr -d '\r' | awk -F'[:,=]' '/^master_repl_offset/ {m = $2} /^slave0:/ {for (i = 1; i < NF; i++) if ($i == "offset") o = $(i + 1)} END {print m - o}')
  kill -9 "$(cat "$RUN/$(name_of "$port").pid")"
  t0=$(date +%s%N)
  for _ in $(seq 1 120); do
    if redis-cli -p "$replica" role 2>/dev/null | head -1 | grep -q master && cluster_ok "$replica"; then
      echo "killed master :$port (slot $slot); its replica :$replica, ${lag} bytes behind at the kill, promoted after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
      return
    fi
    sleep 0.25
  done
  fail "replica :$replica was not promoted within 30 s"
}

cmd="${1:-start}"
case "$cmd" in
  start) command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/stack.sh install)"; start ;;
  stop) stop ;;
  status) status ;;
  nodes) cluster_nodes ;;
  urls) urls ;;
  logs) if [ -n "${2:-}" ]; then tail -n 100 -F "$LOGS/$(name_of "$2").log"; else ls -1 "$LOGS" | grep redis-cluster; fi ;;
  kill-master) kill_master "${2:-}" ;;
  start-node) start_node "$2" ;;
  *) echo "usage: $0 start|stop|status|nodes|urls|logs [port]|kill-master [KEY]|start-node PORT" >&2; exit 2 ;;
esac
