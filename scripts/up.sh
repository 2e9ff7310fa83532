#!/usr/bin/env bash
# One command to a running system on this machine: native services, migrations, demo data, then the
# API, the Temporal worker and the outbox relay in the background. `scripts/up.sh stop` stops it all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA="${STACK_DIR:-$ROOT/.stack}/dev"
LOGS="$DATA/logs"; RUN="$DATA/run"
mkdir -p "$LOGS" "$RUN"
# STACK_PORT_BASE moves every port (services, API, metrics) by the same amount, so a second dev
# stack can run beside the first; the app processes get matching addresses unless set explicitly.
base="${STACK_PORT_BASE:-0}"
API_PORT="${API_PORT:-$((3000 + base))}"
export API_PORT
export MYSQL_URL="${MYSQL_URL:-mysql://${DB_USER:-booking}:${DB_PASSWORD:-booking}@127.0.0.1:${MYSQL_PORT:-$((3306 + base))}/${DB_NAME:-booking}}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-$((6379 + base))}}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:${TEMPORAL_PORT:-$((7233 + base))}}"
export TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://127.0.0.1:${TEMPORAL_UI_PORT:-$((8233 + base))}}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-$((9092 + base))}}"
# Card payments: localstripe from scripts/stack.sh (docs/payments.md), which registers this API's webhook.
export STRIPE_API_BASE="${STRIPE_API_BASE:-http://127.0.0.1:${STRIPE_PORT:-$((8420 + base))}}"
# Email: every message goes to Mailpit from scripts/stack.sh (docs/tickets.md "Email").
export SMTP_URL="${SMTP_URL:-smtp://127.0.0.1:${SMTP_PORT:-$((1025 + base))}}"
MAILPIT_UI="http://127.0.0.1:${MAILPIT_UI_PORT:-$((8025 + base))}"
export WORKER_METRICS_PORT="${WORKER_METRICS_PORT:-$((9464 + base))}"
export WORKER_SDK_METRICS_PORT="${WORKER_SDK_METRICS_PORT:-$((9466 + base))}"
export RELAY_METRICS_PORT="${RELAY_METRICS_PORT:-$((9465 + base))}"
export CORS_ORIGINS="${CORS_ORIGINS:-http://localhost:$API_PORT,http://127.0.0.1:$API_PORT}"
# More than one of each process (API_PROCESSES=2 ...): extra APIs listen on API_PORT+1, +2, ...;
# extra workers and relays put their metrics 10 ports above the previous one's.
# STACK_TOPOLOGY=cluster (scripts/topology/cluster.sh): 2 of each, the 3 Kafka brokers, replica reads,
# and each process on one of the two Temporal frontends (cluster_app_env).
if [ "${STACK_TOPOLOGY:-single}" = cluster ]; then
  export TEMPORAL_MODE=server
  API_PROCESSES="${API_PROCESSES:-2}"; WORKER_PROCESSES="${WORKER_PROCESSES:-2}"; RELAY_PROCESSES="${RELAY_PROCESSES:-2}"
  # shellcheck source=scripts/topology/up-cluster.sh
  source scripts/topology/up-cluster.sh
fi
API_PROCESSES="${API_PROCESSES:-1}"; WORKER_PROCESSES="${WORKER_PROCESSES:-1}"; RELAY_PROCESSES="${RELAY_PROCESSES:-1}"
say() { printf '\033[1m[up]\033[0m %s\n' "$*"; }
alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# Every app process that has a pid file (api, api2, worker, ...), whatever the counts say now.
running_apps() { for f in "$RUN"/api*.pid "$RUN"/worker*.pid "$RUN"/relay*.pid; do [ -f "$f" ] && basename "$f" .pid; done; }

# name kind index: api 1 -> api, api 2 -> api2.
proc_name() { if [ "$2" = 1 ]; then echo "$1"; else echo "$1$2"; fi; }

stop_apps() {
  for p in $(running_apps); do
    if alive "$p"; then
      say "stopping $p"
      kill -TERM "$(cat "$RUN/$p.pid")" 2>/dev/null || true
      for _ in $(seq 1 40); do alive "$p" || break; sleep 0.5; done
    fi
    rm -f "$RUN/$p.pid"
  done
}

case "${1:-start}" in
  stop) stop_apps; bash scripts/stack.sh stop; exit 0 ;;
  status)
    bash scripts/stack.sh status || true
    for p in $(running_apps); do
      if alive "$p"; then printf '  %-9s up    pid %s\n' "$p" "$(cat "$RUN/$p.pid")"; else printf '  %-9s DOWN  (log: %s)\n' "$p" "$LOGS/$p.log"; fi
    done
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac

started=$SECONDS
bash scripts/stack.sh start
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund
fi
say "applying migrations"; npx tsx src/main/migrate.ts
say "loading demo data"; npx tsx src/main/seed.ts | sed 's/^/      /'

start_app() { # KIND INDEX
  local kind=$1 i=$2 p; p=$(proc_name "$1" "$2")
  if alive "$p"; then say "$p already running (pid $(cat "$RUN/$p.pid"))"; return; fi
  local env=()
  if [ "$i" != 1 ]; then
    case $kind in
      api) env=(API_PORT=$((API_PORT + i - 1))) ;;
      worker) env=(WORKER_METRICS_PORT=$((${WORKER_METRICS_PORT:-9464} + 10 * (i - 1))) WORKER_SDK_METRICS_PORT=$((${WORKER_SDK_METRICS_PORT:-9466} + 10 * (i - 1)))) ;;
      relay) env=(RELAY_METRICS_PORT=$((${RELAY_METRICS_PORT:-9465} + 10 * (i - 1)))) ;;
    esac
  fi
  [ "${STACK_TOPOLOGY:-single}" = cluster ] && env+=("$(cluster_app_env "$i")")
  say "starting $p (log: $LOGS/$p.log)"
  env "${env[@]}" setsid nohup node_modules/.bin/tsx "src/main/$kind.ts" >>"$LOGS/$p.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$p.pid"
}
for i in $(seq 1 "$WORKER_PROCESSES"); do start_app worker "$i"; done
for i in $(seq 1 "$RELAY_PROCESSES"); do start_app relay "$i"; done
for i in $(seq 1 "$API_PROCESSES"); do start_app api "$i"; done

say "waiting for the API to be ready"
for i in $(seq 1 120); do
  ready=1
  for k in $(seq 1 "$API_PROCESSES"); do curl -fsS "http://127.0.0.1:$((API_PORT + k - 1))/readyz" >/dev/null 2>&1 || ready=0; done
  [ "$ready" = 1 ] && break
  for p in $(running_apps); do
    alive "$p" || { tail -n 20 "$LOGS/$p.log" >&2; echo "[up] $p exited; read $LOGS/$p.log" >&2; exit 1; }
  done
  [ "$i" = 120 ] && { curl -sS "http://127.0.0.1:$API_PORT/readyz" >&2 || true; echo "[up] API not ready after 60s; read $LOGS/api.log" >&2; exit 1; }
  sleep 0.5
done

cat <<TXT

  Concert booking is running (up in $((SECONDS - started))s): ${STACK_TOPOLOGY:-single} topology, Temporal ${TEMPORAL_MODE:-dev} mode,
  $API_PROCESSES API, $WORKER_PROCESSES worker and $RELAY_PROCESSES relay process(es)

  Web app         http://127.0.0.1:$API_PORT/   (buyers; organiser dashboard at /admin/schedules/<id>)
  API             http://127.0.0.1:$API_PORT/api/v1/concerts$( [ "$API_PROCESSES" -gt 1 ] && echo "  (more APIs on ports $((API_PORT + 1)) to $((API_PORT + API_PROCESSES - 1)))" )
  Swagger UI      http://127.0.0.1:$API_PORT/docs        (OpenAPI: /openapi.json)
  Health          http://127.0.0.1:$API_PORT/readyz
  Temporal UI     $TEMPORAL_UI_URL  (search: ReservationStatus="HELD")
  Card payments   localstripe $STRIPE_API_BASE  (webhook -> /webhooks/stripe; docs/payments.md)
  Email           Mailpit $MAILPIT_UI  (every email the app sends, with its PDF tickets; SMTP $SMTP_URL)
  Metrics         api http://127.0.0.1:$API_PORT/metrics (Authorization: Bearer \$METRICS_TOKEN; dev value in docs/monitoring/metrics-token.dev),
                  worker http://127.0.0.1:$WORKER_METRICS_PORT/metrics, Temporal SDK http://127.0.0.1:$WORKER_SDK_METRICS_PORT/metrics,
                  relay http://127.0.0.1:$RELAY_METRICS_PORT/metrics
  Logs            $LOGS/{api,worker,relay}.log   (scripts/stack.sh logs <service>)
  Demo login      user1@example.com / demo-password-1     admin@example.com / admin-password-1
                  door staff (ticket scans) staff@example.com / staff-password-1

  Stop everything: npm run down
TXT
