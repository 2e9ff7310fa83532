# Sourced by scripts/stack.sh and scripts/topology/redis-cluster.sh, so the two agree on where a
# stack lives and on its port base. Sets ROOT, PROFILE, STACK_DIR, DATA, LOGS, RUN and base.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE="${STACK_PROFILE:-dev}"
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"
DATA="$STACK_DIR/$PROFILE"
LOGS="$DATA/logs"
RUN="$DATA/run"
# Ports are the usual ones plus a base: 0 for dev, 10000 for test (STACK_PORT_BASE overrides it, so
# several test stacks can run side by side).
if [ "$PROFILE" = test ]; then base="${STACK_PORT_BASE:-10000}"; else base="${STACK_PORT_BASE:-0}"; fi
