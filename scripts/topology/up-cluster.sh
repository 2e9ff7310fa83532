# STACK_TOPOLOGY=cluster for scripts/up.sh (sourced): the app processes' addresses on the cluster
# topology (scripts/topology/cluster.sh starts the services). Ports follow scripts/stack.sh's.
b="${STACK_PORT_BASE:-0}"
export KAFKA_BROKERS="${KAFKA_BROKERS_CLUSTER:-127.0.0.1:$((9092 + b)),127.0.0.1:$((9094 + b)),127.0.0.1:$((9095 + b))}"
export MYSQL_REPLICA_URL="${MYSQL_REPLICA_URL:-mysql://${DB_USER:-booking}:${DB_PASSWORD:-booking}@127.0.0.1:${MYSQL_REPLICA_PORT:-$((3307 + b))}/${DB_NAME:-booking}}"
TEMPORAL_FRONTENDS=("127.0.0.1:${TEMPORAL_PORT:-$((7233 + b))}" "127.0.0.1:$(( ${TEMPORAL_PORT:-$((7233 + b))} + 20 ))")

# The SDK's connections take one address: process 1 of each kind talks to frontend 1, process 2 to
# frontend 2 (both frontends carry clients; either serves every namespace and shard).
cluster_app_env() { # INDEX -> one VAR=value word
  echo "TEMPORAL_ADDRESS=${TEMPORAL_FRONTENDS[$(( ($1 - 1) % ${#TEMPORAL_FRONTENDS[@]} ))]}"
}
# Every process's Redis clients are Cluster clients (scripts/topology/redis-cluster.sh's nodes).
REDIS_CLUSTER_NODES="${REDIS_CLUSTER_NODES:-$(bash scripts/topology/redis-cluster.sh urls | sed 's/^REDIS_CLUSTER_NODES=//')}"
export REDIS_CLUSTER_NODES
