#!/usr/bin/env bash
# Starts (or stops) a local Redis Cluster of three masters on loopback, for testing that
# every atomic step stays in one hash slot.
#
#   scripts/redis-cluster.sh start   # prints the addresses, e.g. 127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103
#   scripts/redis-cluster.sh stop
#
# TONGDU_CLUSTER_PORT (default 7101) is the first port; TONGDU_CLUSTER_DIR (default
# /tmp/tongdu-cluster) keeps the nodes' files.
set -euo pipefail

port0=${TONGDU_CLUSTER_PORT:-7101}
dir=${TONGDU_CLUSTER_DIR:-/tmp/tongdu-cluster}
ports=("$port0" "$((port0 + 1))" "$((port0 + 2))")
addrs=$(printf '127.0.0.1:%s,' "${ports[@]}")
addrs=${addrs%,}

stop() {
	for p in "${ports[@]}"; do
		redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
	done
	rm -rf "$dir"
}

start() {
	stop
	for p in "${ports[@]}"; do
		mkdir -p "$dir/$p"
		# appendonly with fsync every second, as a production node would run; no RDB snapshots.
		redis-server --port "$p" --bind 127.0.0.1 --dir "$dir/$p" --daemonize yes \
			--logfile "$dir/$p/redis.log" --pidfile "$dir/$p/redis.pid" \
			--cluster-enabled yes --cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 5000 \
			--appendonly yes --save '' --maxmemory-policy noeviction >/dev/null
	done
	for p in "${ports[@]}"; do
		for _ in $(seq 50); do
			redis-cli -p "$p" ping >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
		{ cat "$dir/create.log" >&2; exit 1; }
	for _ in $(seq 100); do
		if redis-cli -p "${ports[0]}" cluster info | grep -q '^cluster_state:ok'; then
			echo "$addrs"
			return
		fi
		sleep 0.1
	done
	echo "redis cluster did not reach cluster_state:ok" >&2
	exit 1
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
