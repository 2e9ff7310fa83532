# The cluster topology's second Temporal server process (sourced by scripts/topology/cluster.sh).
# Node 2 runs frontend, history and matching (and the internal worker) like node 1, on the same
# PostgreSQL: both join one ring through the cluster_membership table and share the history shards.
# Its ports: scripts/temporal-ports.sh (node 2). Each app process talks to one frontend: scripts/up.sh
# gives the odd processes node 1's and the even ones node 2's (the SDK's connections take one address).

TEMPORAL_PORT_2=$((TEMPORAL_PORT + 20))
temporal_node_healthy() { "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$1" 2>/dev/null | grep -q SERVING; }

start_temporal_node2() {
  if pid_alive temporal-2 && temporal_node_healthy "$TEMPORAL_PORT_2"; then say "temporal node 2 already running on :$TEMPORAL_PORT_2"; return; fi
  write_temporal_server_config 2
  say "starting Temporal server node 2 on :$TEMPORAL_PORT_2 (same PostgreSQL :$POSTGRES_PORT, joins node 1 through membership)"
  setsid nohup "$TEMPORAL_SERVER_BIN" --config-file "$DATA/temporal-server-2/config.yaml" --allow-no-auth start \
    >>"$LOGS/temporal-2.log" 2>&1 < /dev/null &
  echo $! >"$RUN/temporal-2.pid"
  wait_for temporal-2 120 temporal_node_healthy "$TEMPORAL_PORT_2"
  wait_for temporal-2 60 temporal_ring_complete
}

# The live members per role (frontend 1, history 2, matching 3, worker 4), as recorded in PostgreSQL.
temporal_members() {
  pg psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -d temporal -Atc \
    "SELECT role, count(*) FROM cluster_membership WHERE record_expiry > now() AND last_heartbeat > now() - interval '30 seconds' GROUP BY role ORDER BY role" 2>/dev/null
}
# Two frontends, two histories and two matchings alive.
temporal_ring_complete() { local m; m=$(temporal_members) && grep -qx '1|2' <<<"$m" && grep -qx '2|2' <<<"$m" && grep -qx '3|2' <<<"$m"; }

temporal_cluster_status() {
  show temporal-2 "$TEMPORAL_PORT_2" temporal_node_healthy "$TEMPORAL_PORT_2"
  local m; m=$(temporal_members | awk -F'|' 'BEGIN{split("frontend history matching worker",r," ")} {printf "%s%s %s", sep, r[$1], $2; sep=", "}')
  printf '  %-9s %s\n' membership "${m:-none} (live members per role, PostgreSQL cluster_membership)"
}

temporal_cluster_urls() { echo "TEMPORAL_ADDRESSES=127.0.0.1:$TEMPORAL_PORT,127.0.0.1:$TEMPORAL_PORT_2"; }
