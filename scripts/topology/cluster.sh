# STACK_TOPOLOGY=cluster for scripts/stack.sh (sourced, not run): several nodes of each stateful
# service on this one machine (issue 24). The default topology (single) sources nothing from here.
#
# - Kafka: 3 KRaft nodes, each broker and controller (node.id 1-3), replication factor 3,
#   min.insync.replicas 2, in $DATA/kafka-cluster/<n> (the single-node $DATA/kafka is left alone).
# - MariaDB: the primary (stack.sh's, with a binlog and GTIDs) plus one replica on MYSQL_REPLICA_PORT,
#   cloned from a dump of the primary at every start and following it with MASTER_USE_GTID=slave_pos.
# - Temporal: TEMPORAL_MODE=server, node 1 (stack.sh's) and node 2 (scripts/topology/temporal-cluster.sh).
# - Redis Cluster: scripts/topology/redis-cluster.sh (scripts/stack.sh starts, stops and reports it beside these).
#
# Ports (all base + 1000..9999, apart from every offset of stack.sh and the Redis Cluster's
# 6379-6384/6479-6484): MariaDB replica 3307, Kafka brokers 9092 (node 1), 9094, 9095 and controllers
# 9093, 9096, 9097; Temporal node 2 in scripts/temporal-ports.sh.
#
# Expects from stack.sh: DATA LOGS RUN PROFILE base MYSQL_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT
# KAFKA_LIBS say fail wait_for pid_alive port_open stop_one mysql_accounts.

MYSQL_REPLICA_PORT="${MYSQL_REPLICA_PORT:-$((3307 + base))}"
KAFKA_NODES=3
kafka_broker_port() { case $1 in 1) echo "$KAFKA_PORT" ;; *) echo $((9092 + base + $1)) ;; esac; }       # 9092, 9094, 9095
kafka_controller_port() { case $1 in 1) echo "$KAFKA_CONTROLLER_PORT" ;; *) echo $((9094 + base + $1)) ;; esac; } # 9093, 9096, 9097
kafka_brokers_csv() { local n out=""; for n in $(seq 1 $KAFKA_NODES); do out+="${out:+,}127.0.0.1:$(kafka_broker_port "$n")"; done; echo "$out"; }

# The primary writes a binlog with GTIDs for the replica (stack.sh's start_mysql adds these).
MYSQL_EXTRA_ARGS=(--server-id=1 --log-bin=mysql-bin --binlog-format=ROW --gtid-strict-mode=1 --expire-logs-days=2)

replica_sql() { mariadb --socket="$DATA/mysql-replica/mysqld.sock" -uroot "$@"; }
primary_sql() { mariadb --socket="$DATA/mysql/mysqld.sock" -uroot "$@"; }
mysql_replica_ready() { mariadb-admin --socket="$DATA/mysql-replica/mysqld.sock" -uroot ping; }

# Both replication threads running and no lag left (a fresh replica catches up in seconds).
mysql_replica_following() {
  local s; s=$(replica_sql -e 'SHOW SLAVE STATUS\G' 2>/dev/null) || return 1
  grep -q 'Slave_IO_Running: Yes' <<<"$s" && grep -q 'Slave_SQL_Running: Yes' <<<"$s"
}

start_mysql_replica() {
  if pid_alive mysql-replica && mysql_replica_ready >/dev/null 2>&1; then
    say "mysql replica already running on :$MYSQL_REPLICA_PORT"; return
  fi
  local dir="$DATA/mysql-replica"
  # A fresh clone on every start: simpler and safer than resuming a replica of an unknown past.
  rm -rf "$dir" && mkdir -p "$dir"
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/data" --auth-root-authentication-method=socket \
    >"$LOGS/mysql-replica-init.log" 2>&1 || fail "mariadb-install-db (replica) failed; read $LOGS/mysql-replica-init.log"
  say "starting the MariaDB replica on :$MYSQL_REPLICA_PORT"
  # read_only: only replication writes here (the app reads through MYSQL_REPLICA_URL and never writes).
  setsid nohup mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --port="$MYSQL_REPLICA_PORT" --bind-address=127.0.0.1 --pid-file="$RUN/mysql-replica.pid" --log-error="$LOGS/mysql-replica.log" \
    --skip-name-resolve --max-connections=1000 --innodb-buffer-pool-size=128M --server-id=2 --read-only=1 \
    --gtid-strict-mode=1 --innodb-flush-log-at-trx-commit=2 --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    >>"$LOGS/mysql-replica.log" 2>&1 < /dev/null &
  echo $! >"$RUN/mysql-replica.pid"
  wait_for mysql-replica 60 mysql_replica_ready
  primary_sql <<SQL || fail "creating the replication account failed"
CREATE USER IF NOT EXISTS 'replication'@'127.0.0.1' IDENTIFIED BY 'replication';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'replication'@'127.0.0.1';
SQL
  # One consistent snapshot (users included) and the GTID position it was taken at: the dump sets
  # gtid_slave_pos, then the replica follows from there.
  say "cloning the primary into the replica (mariadb-dump --gtid)"
  mariadb-dump --socket="$DATA/mysql/mysqld.sock" -uroot --all-databases --single-transaction --gtid --master-data=1 \
    --ignore-table=mysql.gtid_slave_pos --routines --events 2>"$LOGS/mysql-replica-dump.log" \
    | replica_sql >>"$LOGS/mysql-replica-dump.log" 2>&1 || fail "cloning the primary failed; read $LOGS/mysql-replica-dump.log"
  replica_sql <<SQL || fail "starting replication failed; read $LOGS/mysql-replica.log"
FLUSH PRIVILEGES;
CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MYSQL_PORT, MASTER_USER='replication',
  MASTER_PASSWORD='replication', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
SQL
  wait_for mysql-replica 60 mysql_replica_following
}

kafka_node_ready() { grep -q "Kafka Server started" "$LOGS/kafka-$1.log" 2>/dev/null && port_open "$(kafka_broker_port "$1")"; }

write_kafka_node_config() { # NODE
  local n=$1 dir="$DATA/kafka-cluster/$1" voters="" i
  for i in $(seq 1 $KAFKA_NODES); do voters+="${voters:+,}$i@127.0.0.1:$(kafka_controller_port "$i")"; done
  mkdir -p "$dir"
  kafka_server_properties "$n" "$voters" "127.0.0.1:$(kafka_broker_port "$n")" "127.0.0.1:$(kafka_broker_port "$n")" \
    "127.0.0.1:$(kafka_controller_port "$n")" "$dir/data" 3 2 >"$dir/server.properties"
  sed 's/^log4j.rootLogger=.*/log4j.rootLogger=INFO, stdout/' "$DATA/kafka/log4j.properties" >"$dir/log4j.properties" 2>/dev/null \
    || printf 'log4j.rootLogger=INFO, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\nlog4j.logger.org.apache.kafka=WARN\nlog4j.logger.kafka.log=WARN\n' >"$dir/log4j.properties"
}

start_kafka_node() { # NODE
  local n=$1 dir="$DATA/kafka-cluster/$1"
  if pid_alive "kafka-$n" && port_open "$(kafka_broker_port "$n")"; then say "kafka-$n already running"; return; fi
  write_kafka_node_config "$n"
  if [ ! -f "$dir/data/meta.properties" ]; then
    java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$(cat "$DATA/kafka-cluster/cluster.id")" -c "$dir/server.properties" \
      >"$LOGS/kafka-$n-format.log" 2>&1 || fail "formatting Kafka node $n failed; read $LOGS/kafka-$n-format.log"
  fi
  : >"$LOGS/kafka-$n.log"
  setsid nohup java -Xms192m -Xmx384m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    >>"$LOGS/kafka-$n.log" 2>&1 < /dev/null &
  echo $! >"$RUN/kafka-$n.pid"
}

start_kafka_cluster() {
  local dir="$DATA/kafka-cluster" n
  mkdir -p "$dir"
  # Tests start from empty topics, like the single node's fresh start would.
  if [ "$PROFILE" = test ] && [ "${TEMPORAL_KEEP_DB:-0}" != 1 ] && ! pid_alive kafka-1; then rm -rf "${dir:?}"/[0-9]; fi
  [ -f "$dir/cluster.id" ] || java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 >"$dir/cluster.id"
  say "starting Kafka $KAFKA_VERSION: $KAFKA_NODES KRaft nodes on $(kafka_brokers_csv) (replication 3, min.insync.replicas 2)"
  # All three at once: the controller quorum needs a majority before any broker finishes starting.
  for n in $(seq 1 $KAFKA_NODES); do start_kafka_node "$n"; done
  for n in $(seq 1 $KAFKA_NODES); do wait_for "kafka-$n" 180 kafka_node_ready "$n"; done
}

# One node back after a kill (`stack.sh start-one kafka_2`, the chaos run's kafka-broker fault).
start_kafka_2() { start_kafka_node 2; wait_for kafka-2 180 kafka_node_ready 2; }

stop_kafka_cluster() { local n; for n in $(seq $KAFKA_NODES -1 1); do stop_one "kafka-$n"; done; }

# `status` lines of the cluster topology (show is stack.sh's status helper).
cluster_status() {
  local n
  show mysql-replica "$MYSQL_REPLICA_PORT (following :$MYSQL_PORT)" mysql_replica_following
  for n in $(seq 1 $KAFKA_NODES); do show "kafka-$n" "$(kafka_broker_port "$n")" port_open "$(kafka_broker_port "$n")"; done
  temporal_cluster_status
}

cluster_urls() {
  echo "MYSQL_REPLICA_URL=mysql://$DB_USER:$DB_PASSWORD@127.0.0.1:$MYSQL_REPLICA_PORT/$DB_NAME"
  echo "KAFKA_BROKERS=$(kafka_brokers_csv)"
  temporal_cluster_urls
}

# shellcheck source=scripts/topology/temporal-cluster.sh
source "$ROOT/scripts/topology/temporal-cluster.sh"
