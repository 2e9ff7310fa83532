# Temporal server mode for scripts/stack.sh (sourced, not run): a real, sharded Temporal server on
# PostgreSQL instead of the CLI's dev server, for TEMPORAL_MODE=server.
#
# - The server (go.temporal.io/server cmd/server), its SQL schema tool (cmd/tools/sql) and the Web UI
#   (github.com/temporalio/ui-server/v2) are built once from the Go module proxy into $TOOLS; the Go
#   toolchain their go.mod asks for comes through the proxy too (GOTOOLCHAIN).
# - PostgreSQL comes from Debian packages and runs as the `postgres` user under $DATA/postgres.
# - Persistence and SQL visibility both live in PostgreSQL (the postgres12 plugin); the history shard
#   count is fixed when the cluster is created (TEMPORAL_SHARDS, default 8).
# - The namespace is registered with a retention, and the custom search attributes with it.
# - The Web UI listens on the same port as the dev server's (8233), with the same codec endpoint.
#
# Expects from stack.sh: TOOLS DATA LOGS RUN PROFILE base TEMPORAL_PORT TEMPORAL_UI_PORT
# TEMPORAL_METRICS_PORT TEMPORAL_DYNAMIC_CONFIG SEARCH_ATTRIBUTES TEMPORAL_BIN say fail wait_for
# pid_alive port_open apt_install stop_one temporal_healthy.

TEMPORAL_SERVER_VERSION=1.32.2
# 2.56.0: the newest ui-server whose dependencies the Go module proxy serves here (2.56.3 and later
# need echo v4.16.1, and 2.58.x also go.temporal.io/api v1.64.0, which it refuses).
TEMPORAL_UI_VERSION=2.56.0
# go.temporal.io/server v1.32.2 declares `go 1.26.10`; the machine's Go fetches that toolchain.
TEMPORAL_GO_TOOLCHAIN=go1.26.10
TEMPORAL_SHARDS="${TEMPORAL_SHARDS:-8}"
TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
TEMPORAL_RETENTION="${TEMPORAL_RETENTION:-72h}"
POSTGRES_PORT="${POSTGRES_PORT:-$((5432 + base))}"
SERVER_TOOLS="$TOOLS/temporal-server-$TEMPORAL_SERVER_VERSION"
UI_TOOLS="$TOOLS/temporal-ui-$TEMPORAL_UI_VERSION"
TEMPORAL_SERVER_BIN="$SERVER_TOOLS/bin/server"
TEMPORAL_SQL_TOOL="$SERVER_TOOLS/bin/sql"
TEMPORAL_UI_BIN="$UI_TOOLS/bin/server"
# Each service of the server needs a gRPC and a membership port: the plan, and why membership
# ports stay below 32768 whatever the base, is in scripts/temporal-ports.sh.
# shellcheck source=scripts/temporal-ports.sh
source "$ROOT/scripts/temporal-ports.sh"
PG_BIN=""

postgres_bin() {
  [ -n "$PG_BIN" ] && return 0
  local d; d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && PG_BIN="$d"
  [ -n "$PG_BIN" ]
}

go_install() { # DEST_BIN_DIR MODULE_PATH@VERSION...
  local dest=$1; shift
  command -v go >/dev/null || fail "Go is needed to build the Temporal server (TEMPORAL_MODE=server); install Go >= 1.21"
  mkdir -p "$dest"
  GOTOOLCHAIN="$TEMPORAL_GO_TOOLCHAIN" GOBIN="$dest" go install "$@" >>"$TOOLS/go-build.log" 2>&1 \
    || fail "go install $* failed; read $TOOLS/go-build.log"
}

install_temporal_server() {
  postgres_bin || apt_install postgresql
  postgres_bin || fail "PostgreSQL binaries not found under /usr/lib/postgresql after installing"
  if [ ! -x "$TEMPORAL_SERVER_BIN" ] || [ ! -x "$TEMPORAL_SQL_TOOL" ]; then
    say "building the Temporal server $TEMPORAL_SERVER_VERSION and its SQL tool from the Go module proxy (once; several minutes)"
    go_install "$SERVER_TOOLS/bin" "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
  fi
  if [ ! -d "$SERVER_TOOLS/schema" ]; then
    # The versioned schema ships in the server module's source, which `go install` left in the cache.
    local src; src=$(GOTOOLCHAIN="$TEMPORAL_GO_TOOLCHAIN" GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" 2>/dev/null || true)
    [ -d "$src/schema/postgresql" ] || src="$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
    [ -d "$src/schema/postgresql" ] || fail "the Temporal server's schema was not found in the Go module cache"
    mkdir -p "$SERVER_TOOLS/schema" && cp -r "$src/schema/postgresql" "$SERVER_TOOLS/schema/" && chmod -R u+w "$SERVER_TOOLS/schema"
  fi
  # The test profile runs no Web UI (start_temporal_server): a test stack does not wait for its build.
  if [ ! -x "$TEMPORAL_UI_BIN" ] && [ "${PROFILE:-dev}" != test ]; then
    say "building the Temporal Web UI server $TEMPORAL_UI_VERSION from the Go module proxy (once)"
    go_install "$UI_TOOLS/bin" "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION"
  fi
}

pg() { runuser -u postgres -- "$PG_BIN/$1" "${@:2}"; }
postgres_ready() { postgres_bin && pg pg_isready -h 127.0.0.1 -p "$POSTGRES_PORT" -q; }

start_postgres() {
  postgres_bin || fail "PostgreSQL is not installed (scripts/stack.sh install with TEMPORAL_MODE=server)"
  local dir="$DATA/postgres"
  if pid_alive postgres && postgres_ready; then say "postgres already running on :$POSTGRES_PORT"; return; fi
  # PostgreSQL refuses to run as root: its files belong to the package's `postgres` user.
  mkdir -p "$dir" && chown postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    say "initialising the PostgreSQL data directory"
    pg initdb -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$LOGS/postgres-init.log" 2>&1 || fail "initdb failed; read $LOGS/postgres-init.log"
  fi
  say "starting PostgreSQL on :$POSTGRES_PORT"
  : >"$LOGS/postgres.log" && chown postgres:postgres "$LOGS/postgres.log"
  local fsync=on; [ "$PROFILE" = test ] && fsync=off
  setsid nohup runuser -u postgres -- "$PG_BIN/postgres" -D "$dir/data" -p "$POSTGRES_PORT" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$dir" -c max_connections=300 -c shared_buffers=256MB -c fsync=$fsync \
    -c synchronous_commit=$([ "$PROFILE" = test ] && echo off || echo on) >>"$LOGS/postgres.log" 2>&1 < /dev/null &
  echo $! >"$RUN/postgres.pid"
  wait_for postgres 60 postgres_ready
  pg psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -qtc "SELECT 1 FROM pg_roles WHERE rolname = 'temporal'" | grep -q 1 \
    || pg psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -qc "CREATE ROLE temporal LOGIN SUPERUSER PASSWORD 'temporal'" >/dev/null
}

sql_tool() { # DB ARGS...
  "$TEMPORAL_SQL_TOOL" --plugin postgres12 --endpoint 127.0.0.1 --port "$POSTGRES_PORT" --user temporal --password temporal --database "$1" "${@:2}"
}

# Creates both databases and brings their schemas to the server's version (idempotent).
temporal_schema() {
  local schema="$SERVER_TOOLS/schema/postgresql/v12"
  for db in temporal temporal_visibility; do
    sql_tool "$db" create-database >>"$LOGS/temporal-schema.log" 2>&1 || true
  done
  if ! pg psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -d temporal -qtc "SELECT 1 FROM schema_version LIMIT 1" 2>/dev/null | grep -q 1; then
    say "creating the Temporal schema ($TEMPORAL_SHARDS history shards: fixed from now on)"
    sql_tool temporal setup-schema -v 0.0 >>"$LOGS/temporal-schema.log" 2>&1 || fail "schema setup failed; read $LOGS/temporal-schema.log"
    sql_tool temporal_visibility setup-schema -v 0.0 >>"$LOGS/temporal-schema.log" 2>&1 || fail "schema setup failed; read $LOGS/temporal-schema.log"
    echo "$TEMPORAL_SHARDS" >"$DATA/temporal-server/shards"
  fi
  sql_tool temporal update-schema -d "$schema/temporal/versioned" >>"$LOGS/temporal-schema.log" 2>&1 || fail "schema update failed; read $LOGS/temporal-schema.log"
  sql_tool temporal_visibility update-schema -d "$schema/visibility/versioned" >>"$LOGS/temporal-schema.log" 2>&1 || fail "schema update failed; read $LOGS/temporal-schema.log"
}

# NODE (default 1) is the server process: the cluster topology runs node 2 beside node 1 on the same
# PostgreSQL (scripts/topology/temporal-cluster.sh), in $DATA/temporal-server-2 with its own ports.
write_temporal_server_config() { # [NODE]
  local node=${1:-1} dir="$DATA/temporal-server" shards
  [ "$node" = 1 ] || dir="$DATA/temporal-server-$node"
  temporal_port_plan "$base" "$TEMPORAL_PORT" "$node" || fail "no Temporal port plan for STACK_PORT_BASE=$base"
  mkdir -p "$dir"
  # The shard count is the one the cluster was created with, whatever TEMPORAL_SHARDS says now.
  shards=$(cat "$DATA/temporal-server/shards" 2>/dev/null || echo "$TEMPORAL_SHARDS")
  {
    echo "# Written by scripts/stack.sh (TEMPORAL_MODE=server): the flash-sale throughput values."
    for d in "${TEMPORAL_DYNAMIC_CONFIG[@]}"; do
      printf '%s:\n  - value: %s\n' "${d%%=*}" "${d#*=}"
    done
  } >"$dir/dynamicconfig.yaml"
  yaml_store() { # NAME DB CONNS
    cat <<YAML
    $1:
      sql:
        pluginName: "postgres12"
        databaseName: "$2"
        connectAddr: "127.0.0.1:$POSTGRES_PORT"
        connectProtocol: "tcp"
        user: "temporal"
        password: "temporal"
        maxConns: $3
        maxIdleConns: $3
        maxConnLifetime: "1h"
YAML
  }
  yaml_service() { # NAME GRPC MEMBERSHIP
    cat <<YAML
  $1:
    rpc:
      grpcPort: $2
      membershipPort: $3
      bindOnLocalHost: true
YAML
  }
  cat >"$dir/config.yaml" <<YAML
# Written by scripts/stack.sh (TEMPORAL_MODE=server); edit the script, not this file.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: $shards
  datastores:
$(yaml_store default temporal 40)
$(yaml_store visibility temporal_visibility 10)
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:$((TEMPORAL_METRICS_PORT + node - 1))"
services:
$(yaml_service frontend "$TEMPORAL_FRONTEND_PORT" "$TEMPORAL_FRONTEND_MEMBERSHIP_PORT")
      httpPort: $TEMPORAL_HTTP_PORT
$(yaml_service history "$TEMPORAL_HISTORY_PORT" "$TEMPORAL_HISTORY_MEMBERSHIP_PORT")
$(yaml_service matching "$TEMPORAL_MATCHING_PORT" "$TEMPORAL_MATCHING_MEMBERSHIP_PORT")
$(yaml_service worker "$TEMPORAL_WORKER_PORT" "$TEMPORAL_WORKER_MEMBERSHIP_PORT")
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:$TEMPORAL_PORT"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "$dir/dynamicconfig.yaml"
  pollInterval: "10s"
YAML
}

# Registers the namespace and the custom search attributes (both idempotent).
temporal_namespace() {
  local t=("$TEMPORAL_BIN" --address "127.0.0.1:$TEMPORAL_PORT")
  "${t[@]}" operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 \
    || "${t[@]}" operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_RETENTION" >>"$LOGS/temporal.log" 2>&1 \
    || fail "registering namespace $TEMPORAL_NAMESPACE failed; read $LOGS/temporal.log"
  # A new namespace reaches every service's namespace cache within seconds; until then it is "not found".
  local existing="" i
  for i in $(seq 1 60); do
    existing=$("${t[@]}" operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" 2>/dev/null) && break
    (( i == 60 )) && fail "namespace $TEMPORAL_NAMESPACE did not become usable; read $LOGS/temporal.log"
    sleep 1
  done
  for a in "${SEARCH_ATTRIBUTES[@]}"; do
    grep -qw "${a%%=*}" <<<"$existing" && continue
    "${t[@]}" operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "${a%%=*}" --type "${a#*=}" >>"$LOGS/temporal.log" 2>&1 \
      || fail "registering search attribute ${a%%=*} failed; read $LOGS/temporal.log"
  done
}

start_temporal_server() {
  if pid_alive temporal && temporal_healthy; then
    say "temporal (server mode) already running on :$TEMPORAL_PORT"
    temporal_namespace
    [ "$PROFILE" = test ] || start_temporal_ui
    return
  fi
  start_postgres
  mkdir -p "$DATA/temporal-server"
  if [ "$PROFILE" = test ] && [ "${TEMPORAL_KEEP_DB:-0}" != 1 ]; then
    # Like the dev server's fresh SQLite file: every test run starts on an empty cluster (but
    # `restart-one temporal`, TEMPORAL_KEEP_DB=1, restarts on the same data: the chaos tests).
    for db in temporal temporal_visibility; do pg psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; done
    rm -f "$DATA/temporal-server/shards"
  fi
  temporal_schema
  write_temporal_server_config
  say "starting the Temporal server $TEMPORAL_SERVER_VERSION on :$TEMPORAL_PORT ($(cat "$DATA/temporal-server/shards" 2>/dev/null || echo "$TEMPORAL_SHARDS") shards, PostgreSQL :$POSTGRES_PORT)"
  setsid nohup "$TEMPORAL_SERVER_BIN" --config-file "$DATA/temporal-server/config.yaml" --allow-no-auth start \
    >>"$LOGS/temporal.log" 2>&1 < /dev/null &
  echo $! >"$RUN/temporal.pid"
  echo server >"$RUN/temporal.mode"
  wait_for temporal 120 temporal_healthy
  temporal_namespace
  [ "$PROFILE" = test ] || start_temporal_ui
}

temporal_ui_ready() { port_open "$TEMPORAL_UI_PORT"; }

start_temporal_ui() {
  if pid_alive temporal-ui && temporal_ui_ready; then return; fi
  local dir="$DATA/temporal-ui"
  mkdir -p "$dir/config"
  cat >"$dir/config/development.yaml" <<YAML
# Written by scripts/stack.sh (TEMPORAL_MODE=server).
temporalGrpcAddress: 127.0.0.1:$TEMPORAL_PORT
host: 127.0.0.1
port: $TEMPORAL_UI_PORT
enableUi: true
defaultNamespace: $TEMPORAL_NAMESPACE
codec:
  endpoint: ${TEMPORAL_UI_CODEC_ENDPOINT:-}
  passAccessToken: ${TEMPORAL_UI_CODEC_PASS_TOKEN:-false}
  includeCredentials: ${TEMPORAL_UI_CODEC_INCLUDE_CREDENTIALS:-false}
YAML
  say "starting the Temporal Web UI on :$TEMPORAL_UI_PORT"
  setsid nohup "$TEMPORAL_UI_BIN" --root "$dir" --config config --env development start \
    >>"$LOGS/temporal-ui.log" 2>&1 < /dev/null &
  echo $! >"$RUN/temporal-ui.pid"
  wait_for temporal-ui 60 temporal_ui_ready
}

stop_temporal_server() {
  stop_one temporal-ui
  stop_one temporal
  stop_one postgres
  rm -f "$RUN/temporal.mode"
}
