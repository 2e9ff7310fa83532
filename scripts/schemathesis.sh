#!/usr/bin/env bash
# Fuzzes a running API against its own OpenAPI document with schemathesis (`--checks all`), once as a
# buyer and once as an admin, over every operation (docs/security.md, "Testing the API document").
#
#   bash scripts/schemathesis.sh                 # API at http://127.0.0.1:3000 (scripts/up.sh)
#   API_URL=http://127.0.0.1:23000 bash scripts/schemathesis.sh
#   ST_MAX_EXAMPLES=20 bash scripts/schemathesis.sh buyer    # one role, fewer cases per operation
#
# The buyer signs up afresh (or BUYER_EMAIL/BUYER_PASSWORD); the admin is the demo admin (scripts/up.sh
# loads it) or ADMIN_EMAIL/ADMIN_PASSWORD. Use a stack you do not mind filling with test data: the fuzzer creates concerts,
# holds seats, moves wallet money and changes users. The API's JWT_TTL_SECONDS should outlast a run
# (JWT_TTL_SECONDS=86400), or later cases are answered 401 and test nothing.
# schemathesis is installed on first use into .stack/schemathesis-venv (SCHEMATHESIS_VERSION).
# One worker by default: with more, CPython 3.11 can fail compiling schemathesis' generated code in
# threads ("SystemError: AST constructor recursion depth mismatch", a tool crash, not a finding).
# Exit status: 0 when every run is clean. Output and reports (JUnit, ndjson) go to
# .stack/schemathesis/<role>/<main|session>/. The settings and their reasons: scripts/schemathesis.toml.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
API_URL="${API_URL:-http://127.0.0.1:${API_PORT:-3000}}"
VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
VENV="${SCHEMATHESIS_VENV:-$ROOT/.stack/schemathesis-venv}"
OUT="$ROOT/.stack/schemathesis"
say() { printf '\033[1m[schemathesis]\033[0m %s\n' "$*"; }

if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
  say "installing schemathesis $VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$VERSION"
fi

login() { # EMAIL PASSWORD -> access token
  curl -fsS -X POST "$API_URL/api/v1/auth/login" -H 'content-type: application/json' \
    -d "$(printf '{"email":"%s","password":"%s"}' "$1" "$2")" | sed -E 's/.*"accessToken":"([^"]+)".*/\1/'
}

# The buyer is a new account each run (the fuzzer's wrong passwords lock the emails it repeats, the
# demo ones included); the admin is an existing one. Every token is taken before any fuzzing: the
# login fuzzing spends this IP's failure budget, after which even a right password gets 429.
signup_buyer() {
  local email="st-$(date +%s)-$RANDOM@example.com" password="st-password-$RANDOM$RANDOM"
  curl -fsS -o /dev/null -X POST "$API_URL/api/v1/auth/signup" -H 'content-type: application/json' \
    -d "$(printf '{"email":"%s","password":"%s","name":"schemathesis buyer"}' "$email" "$password")"
  BUYER_EMAIL=$email BUYER_PASSWORD=$password
}

# Logging out everywhere or changing the password ends the token's sessions: those two operations
# run last, in a run of their own with a token of their own, so they do not turn the other cases
# into 401s.
SESSION_ENDERS='^/api/v1/auth/(logout-all|password)$'

fuzz() { # ROLE MAIN_TOKEN SESSION_TOKEN
  local role=$1 status=0
  for part in main session; do
    local token=$2 filter=(--exclude-path-regex "$SESSION_ENDERS")
    [ "$part" = session ] && token=$3 filter=(--include-path-regex "$SESSION_ENDERS")
    say "$role ($part): $API_URL"
    mkdir -p "$OUT/$role/$part"
    SCHEMATHESIS_HOOKS="$ROOT/scripts/schemathesis_hooks.py" ST_BEARER_TOKEN="$token" \
      "$VENV/bin/st" --config-file "$ROOT/scripts/schemathesis.toml" run "$API_URL/openapi.json" \
      --checks all \
      "${filter[@]}" \
      --max-examples "${ST_MAX_EXAMPLES:-50}" \
      --seed "${ST_SEED:-1}" \
      --workers "${ST_WORKERS:-1}" \
      --generation-database none \
      --report junit,ndjson --report-dir "$OUT/$role/$part" \
      --no-color | tee "$OUT/$role/$part/output.txt" || status=1
  done
  return $status
}

roles=("${@:-buyer admin}")
read -r -a roles <<<"${roles[*]}"
declare -A main_token session_token
for role in "${roles[@]}"; do
  case $role in
    buyer) [ -n "${BUYER_EMAIL:-}" ] || signup_buyer; email=$BUYER_EMAIL password=$BUYER_PASSWORD ;;
    admin) email=${ADMIN_EMAIL:-admin@example.com} password=${ADMIN_PASSWORD:-admin-password-1} ;;
    *) echo "usage: $0 [buyer] [admin]" >&2; exit 2 ;;
  esac
  main_token[$role]=$(login "$email" "$password") && session_token[$role]=$(login "$email" "$password") ||
    { echo "[schemathesis] cannot log in as $email at $API_URL (locked out by an earlier run? wait LOGIN_LOCKOUT_SECONDS)" >&2; exit 1; }
done
failed=0
for role in "${roles[@]}"; do fuzz "$role" "${main_token[$role]}" "${session_token[$role]}" || failed=1; done
exit $failed
