#!/usr/bin/env bash
# The Temporal server's port plan (TEMPORAL_MODE=server), sourced by scripts/temporal-server.sh and
# runnable on its own to print it: `bash scripts/temporal-ports.sh 40000` (a STACK_PORT_BASE; `40000 '' 2`
# prints the cluster topology's second server).
#
# gRPC ports follow the frontend's (TEMPORAL_PORT = 7233 + base), like every other port of the stack.
# Membership ports cannot: the server records each member's membership port in PostgreSQL's
# cluster_membership.rpc_port, a smallint, so a port of 32768 or more stops the server at start
# ("UpsertClusterMembership ... out of range for type smallint", issue 24). They take a tenth of the
# base instead (7333, 8333, ... 11333 for the bases 0 to 40000 the README offers), which keeps them
# below 32768 for every base up to 250000 and apart from every other port of those stacks
# (test/unit/temporal-ports.test.ts). TEMPORAL_MEMBERSHIP_PORT moves them all.
#
# The cluster topology (STACK_TOPOLOGY=cluster, scripts/topology/temporal-cluster.sh) runs a second
# server process, node 2: its gRPC ports are node 1's + 20 (7253 frontend ... 7263 HTTP + base) and
# its membership ports node 1's + 10 (7343 ... 7349 + a tenth of the base).

temporal_port_plan() { # BASE [TEMPORAL_PORT] [NODE] -> sets TEMPORAL_*_PORT and TEMPORAL_*_MEMBERSHIP_PORT
  local b=$1 node=${3:-1}
  local front=$(( ${2:-$((7233 + $1))} + 20 * (node - 1) ))
  local member=$(( ${TEMPORAL_MEMBERSHIP_PORT:-$((7333 + b / 10))} + 10 * (node - 1) ))
  TEMPORAL_FRONTEND_PORT=$front
  TEMPORAL_HISTORY_PORT=$((front + 1)); TEMPORAL_MATCHING_PORT=$((front + 2)); TEMPORAL_WORKER_PORT=$((front + 6))
  TEMPORAL_HTTP_PORT=$((front + 10))
  TEMPORAL_FRONTEND_MEMBERSHIP_PORT=$member
  TEMPORAL_HISTORY_MEMBERSHIP_PORT=$((member + 1))
  TEMPORAL_MATCHING_MEMBERSHIP_PORT=$((member + 2))
  TEMPORAL_WORKER_MEMBERSHIP_PORT=$((member + 6))
  local p
  for p in $TEMPORAL_FRONTEND_MEMBERSHIP_PORT $TEMPORAL_HISTORY_MEMBERSHIP_PORT $TEMPORAL_MATCHING_MEMBERSHIP_PORT $TEMPORAL_WORKER_MEMBERSHIP_PORT; do
    if (( p < 1024 || p > 32767 )); then
      echo "Temporal membership port $p is outside 1024-32767 (PostgreSQL stores it as a smallint); set TEMPORAL_MEMBERSHIP_PORT" >&2
      return 1
    fi
  done
}

# Run on its own: print the plan, one service a line (name, gRPC port, membership port).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  temporal_port_plan "${1:?usage: $0 STACK_PORT_BASE [TEMPORAL_PORT] [NODE]}" "${2:-}" "${3:-1}"
  printf 'frontend %s %s\n' "$TEMPORAL_FRONTEND_PORT" "$TEMPORAL_FRONTEND_MEMBERSHIP_PORT"
  printf 'history %s %s\n' "$TEMPORAL_HISTORY_PORT" "$TEMPORAL_HISTORY_MEMBERSHIP_PORT"
  printf 'matching %s %s\n' "$TEMPORAL_MATCHING_PORT" "$TEMPORAL_MATCHING_MEMBERSHIP_PORT"
  printf 'worker %s %s\n' "$TEMPORAL_WORKER_PORT" "$TEMPORAL_WORKER_MEMBERSHIP_PORT"
  printf 'http %s -\n' "$TEMPORAL_HTTP_PORT"
fi
