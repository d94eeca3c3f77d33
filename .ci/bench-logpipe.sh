#!/usr/bin/env bash
# Side-by-side syslog intake benchmark: the same Docker-style RFC 5424 lines
# over TCP into rsyslog (imtcp -> one file) and into Berth's logpipe
# (intake -> enrich -> JetStream BERTH_LOGS, acknowledged), each receiver
# pinned to one core. Loopback only; about a minute. Prints a Markdown
# table.
#
#   bash .ci/bench-logpipe.sh
#
# LINES per run (default 500000), CONNS (4), ROUNDS (2), INSTANCES (8),
# SERVER_CPU (1) and GEN_CPU (0) for the pinning, PORT_BASE (19514) and
# PPROF (a file: write a CPU profile of benchintake's last run there)
# override. Needs go, rsyslogd (apt-get install -y rsyslog), taskset, curl.
set -euo pipefail
cd "$(dirname "$0")/.."

lines=${LINES:-500000}
conns=${CONNS:-4}
rounds=${ROUNDS:-2}
instances=${INSTANCES:-8}
server_cpu=${SERVER_CPU:-1}
gen_cpu=${GEN_CPU:-0}
base=${PORT_BASE:-19514}
pprof_out=${PPROF:-}

for bin in go rsyslogd taskset curl ss; do
	command -v "$bin" >/dev/null || {
		echo "bench-logpipe: $bin not found (apt-get install -y rsyslog util-linux curl iproute2)" >&2
		exit 1
	}
done
if [ "$(nproc)" -lt 2 ] && [ "$server_cpu" = 1 ]; then
	echo "bench-logpipe: needs 2 CPUs to pin receiver and generator apart (or set SERVER_CPU=0)" >&2
	exit 1
fi

p_rsyslog=$base p_berth=$((base + 1)) p_stats=$((base + 2))
for p in $p_rsyslog $p_berth $p_stats; do
	if ss -Hltn "sport = :$p" | grep -q .; then
		echo "bench-logpipe: port $p is taken; set PORT_BASE" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
server_pid=
stop_server() {
	if [ -n "$server_pid" ]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=
	fi
}
cleanup() {
	stop_server
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench-logpipe: [${SECONDS}s] $*" >&2; }

# wait_until CMD...: poll for up to 30s.
wait_until() {
	local i
	for ((i = 0; i < 300; i++)); do
		"$@" && return 0
		kill -0 "$server_pid" 2>/dev/null || { echo "bench-logpipe: receiver exited" >&2; return 1; }
		sleep 0.1
	done
	echo "bench-logpipe: timed out waiting for: $*" >&2
	return 1
}
listening() { ss -Hltn "sport = :$1" | grep -q .; }

# cpu_seconds PID: user+system CPU time of all the process's threads.
cpu_seconds() {
	local hz
	hz=$(getconf CLK_TCK)
	awk -v hz="$hz" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}

# field NAME LINE: the value of NAME=value in loggen's or benchintake's output.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

loadavg=$(cut -d ' ' -f 1-3 /proc/loadavg)
log "building loggen and benchintake"
go build -o "$tmp/loggen" ./logpipe/bench/cmd/loggen
go build -o "$tmp/benchintake" ./logpipe/bench/cmd/benchintake

loggen() {
	taskset -c "$gen_cpu" "$tmp/loggen" -lines "$lines" -conns "$conns" -instances "$instances" -timeout 100s "$@"
}

rows=()
# row RECEIVER ROUND LOGGEN_OUTPUT CPU_BEFORE CPU_AFTER
row() {
	local cpu per_cpu
	cpu=$(awk -v a="$4" -v b="$5" 'BEGIN { printf "%.2f", b - a }')
	per_cpu=$(awk -v n="$(field lines "$3")" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }')
	rows+=("| $1 | $2 | $(field lines "$3") | $(field done_s "$3") | $(field lines_per_s "$3") | $cpu | $per_cpu |")
}

run_rsyslog() {
	local dir=$tmp/rsyslog-$1 out before after
	mkdir -p "$dir/work"
	# Own config, nothing of the system's: one TCP input in its own ruleset
	# (so rsyslog's internal messages don't reach the file), one file action
	# writing the parsed fields.
	cat >"$dir/rsyslog.conf" <<EOF
global(workDirectory="$dir/work")
module(load="imtcp")
template(name="bench" type="string"
	string="%timereported:::date-rfc3339% %hostname% %app-name% %procid% %syslogseverity-text% %msg%\n")
ruleset(name="bench") {
	action(type="omfile" file="$dir/out.log" template="bench")
}
input(type="imtcp" address="127.0.0.1" port="$p_rsyslog" ruleset="bench")
EOF
	taskset -c "$server_cpu" rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" >"$dir/stderr" 2>&1 &
	server_pid=$!
	wait_until listening "$p_rsyslog"
	before=$(cpu_seconds "$server_pid")
	out=$(loggen -addr "127.0.0.1:$p_rsyslog" -wait-file "$dir/out.log")
	after=$(cpu_seconds "$server_pid")
	stop_server
	local got
	got=$(wc -l <"$dir/out.log")
	if [ "$got" -ne "$lines" ]; then
		echo "bench-logpipe: rsyslog wrote $got lines, want $lines" >&2
		cat "$dir/stderr" >&2
		exit 1
	fi
	log "rsyslog round $1: $out"
	row rsyslog "$1" "$out" "$before" "$after"
	rm -rf "$dir"
}

run_berth() {
	local dir=$tmp/berth-$1 out before after final stats=http://127.0.0.1:$p_stats prof=
	mkdir -p "$dir/data"
	taskset -c "$server_cpu" "$tmp/benchintake" -listen "127.0.0.1:$p_berth" -stats "127.0.0.1:$p_stats" \
		-data "$dir/data" -instances "$instances" ${pprof_out:+-pprof} >"$dir/stdout" 2>"$dir/stderr" &
	server_pid=$!
	wait_until curl -fsS -o /dev/null "$stats/stats" 2>/dev/null
	if [ -n "$pprof_out" ] && [ "$1" = "$rounds" ]; then
		curl -fsS -o "$pprof_out" "$stats/debug/pprof/profile?seconds=${PPROF_SECONDS:-8}" &
		prof=$!
	fi
	before=$(cpu_seconds "$server_pid")
	out=$(loggen -addr "127.0.0.1:$p_berth" -wait-stats "$stats/stats")
	after=$(cpu_seconds "$server_pid")
	[ -z "$prof" ] || wait "$prof"
	stop_server
	final=$(tail -n 1 "$dir/stdout")
	# stored counts records read back from the stream (many per message).
	if [ "$(field published "$final")" != "$lines" ] || [ "$(field stored "$final")" != "$lines" ] ||
		[ "$(field malformed "$final")" != 0 ] || [ "$(field dropped "$final")" != 0 ]; then
		echo "bench-logpipe: berth lost or mangled lines: $final" >&2
		cat "$dir/stderr" >&2
		exit 1
	fi
	log "berth round $1: $out; $final"
	row berth "$1" "$out" "$before" "$after"
	rm -rf "$dir"
}

for ((r = 1; r <= rounds; r++)); do
	run_rsyslog "$r"
	run_berth "$r"
done

echo
echo "$(rsyslogd -v | head -n 1 | awk '{ print "rsyslog", $2 }'), $(go version | awk '{ print $3 }'), $(nproc) CPUs;" \
	"receiver on CPU $server_cpu, loggen on CPU $gen_cpu; $conns TCP connections; load average before: $loadavg."
echo
echo "| receiver | round | lines | seconds | lines/s (per core) | receiver CPU s | lines per CPU s |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
[ -z "$pprof_out" ] || log "CPU profile of benchintake: go tool pprof -top $pprof_out"
