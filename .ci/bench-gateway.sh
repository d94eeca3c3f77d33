#!/usr/bin/env bash
# Side-by-side load test of the same two backends reached directly, through
# nginx, through Caddy and through Berth's gateway, with one wrk per run.
# Loopback only; about two minutes. Prints a Markdown table per load.
#
#   bash .ci/bench-gateway.sh
#
# DURATION per run (default 4s), ROUNDS (3; the table shows medians),
# THREADS (2), LOADS ("32 4": wrk connections, saturating then moderate),
# PORT_BASE (18180), PATH_ (/_ping) and PPROF (an address for benchgw's
# net/http/pprof) override.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-4s}
rounds=${ROUNDS:-3}
threads=${THREADS:-2}
loads=${LOADS:-32 4}
base=${PORT_BASE:-18180}
path=${PATH_:-/_ping}

for bin in go nginx caddy wrk curl; do
	command -v "$bin" >/dev/null || {
		echo "bench-gateway: $bin not found (apt-get install -y nginx-light caddy wrk curl)" >&2
		exit 1
	}
done

be1=$((base + 1)) be2=$((base + 2))
p_nginx=$((base + 3)) p_caddy=$((base + 4)) p_berth=$((base + 5))
for p in $be1 $be2 $p_nginx $p_caddy $p_berth; do
	if ss -Hltn "sport = :$p" | grep -q .; then
		echo "bench-gateway: port $p is taken; set PORT_BASE" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
chmod 755 "$tmp" # nginx workers drop to nobody
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench-gateway: [${SECONDS}s] building testapp and benchgw" >&2
go build -o "$tmp/testapp" ./agent/testapp
go build -o "$tmp/benchgw" ./gateway/bench/cmd/benchgw

# The testapp listens on ":$PORT" (every interface), so both backends share
# 127.0.0.1 on two ports; nothing here connects beyond loopback.
# Its per-request log line goes to /dev/null: same cost behind every target.
PORT=$be1 BERTH_APP=web BERTH_INSTANCE=web-00000a "$tmp/testapp" >/dev/null 2>"$tmp/testapp1.err" &
pids+=($!)
PORT=$be2 BERTH_APP=web BERTH_INSTANCE=web-00000b "$tmp/testapp" >/dev/null 2>"$tmp/testapp2.err" &
pids+=($!)

mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	upstream web {
		server 127.0.0.1:$be1;
		server 127.0.0.1:$be2;
		keepalive 64;
	}
	server {
		listen 127.0.0.1:$p_nginx;
		location / {
			proxy_pass http://web;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
		}
	}
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" 2>"$tmp/nginx/stderr" &
pids+=($!)

cat >"$tmp/Caddyfile" <<EOF
{
	admin off
	auto_https off
	log {
		level ERROR
	}
}
http://:$p_caddy {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:$be1 127.0.0.1:$be2 {
		lb_policy round_robin
	}
}
EOF
XDG_CONFIG_HOME=$tmp/caddy XDG_DATA_HOME=$tmp/caddy \
	caddy run --config "$tmp/Caddyfile" --adapter caddyfile >"$tmp/caddy.out" 2>&1 &
pids+=($!)

"$tmp/benchgw" -listen "127.0.0.1:$p_berth" -app web -domain localhost \
	-endpoints "127.0.0.1:$be1,127.0.0.1:$be2" ${PPROF:+-pprof "$PPROF"} 2>"$tmp/benchgw.err" &
pids+=($!)

names=(direct nginx caddy berth)
declare -A url=(
	[direct]=http://127.0.0.1:$be1$path
	[nginx]=http://127.0.0.1:$p_nginx$path
	[caddy]=http://127.0.0.1:$p_caddy$path
	[berth]=http://127.0.0.1:$p_berth$path
)
host=web.localhost

# Wait for every target, then check each proxy spreads over both backends
# (the testapp's / names the instance that answered).
deadline=$((SECONDS + 20))
for n in "${names[@]}"; do
	until curl -fsS -o /dev/null -H "Host: $host" "${url[$n]}" 2>/dev/null; do
		if ((SECONDS > deadline)); then
			echo "bench-gateway: $n never answered on ${url[$n]}" >&2
			tail -n 20 "$tmp"/*.err "$tmp"/*.out "$tmp"/nginx/*.log >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.2
	done
done
for n in nginx caddy berth; do
	seen=$(for _ in 1 2 3 4; do curl -fsS -H "Host: $host" "${url[$n]%"$path"}/"; done |
		grep -o '"instance":"[^"]*"' | sort -u | wc -l)
	if ((seen != 2)); then
		echo "bench-gateway: $n reached $seen backend(s), want 2" >&2
		exit 1
	fi
done

# to_us turns a wrk latency ("812.00us", "1.53ms", "2.01s") into microseconds.
to_us() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000; else if (v ~ /s$/) m = 1000000; else m = 1
		printf "%.0f", n * m
	}'
}
fmt_us() { awk -v u="$1" 'BEGIN { if (u >= 1000 || u <= -1000) printf "%.2f ms", u / 1000; else printf "%d µs", u }'; }
median() { tr ' ' '\n' <<<"$*" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
range() { tr ' ' '\n' <<<"$*" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }

bench() { # bench NAME CONNS DURATION -> wrk output
	local t=$threads
	if (($2 < t)); then t=$2; fi
	wrk -t"$t" -c"$2" -d"$3" --latency -H "Host: $host" "${url[$1]}"
}

echo "bench-gateway: [${SECONDS}s] $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "bench-gateway: GET $path, $rounds rounds of $duration per target and load, targets interleaved" >&2
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg). Medians of $rounds interleaved rounds of $duration each; GET $path."
for c in $loads; do
	declare -A rps=() p50=() p99=() errs=()
	for n in "${names[@]}"; do
		bench "$n" "$c" 1s >/dev/null # warm-up: connection pools, page cache, CPU frequency
	done
	for ((r = 0; r < rounds; r++)); do
		# Rotate the order so no target always runs first or last.
		for ((k = 0; k < ${#names[@]}; k++)); do
			n=${names[(k + r) % ${#names[@]}]}
			out=$(bench "$n" "$c" "$duration")
			x=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
			y=$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
			z=$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
			rps[$n]+="$x " p50[$n]+="$y " p99[$n]+="$z "
			errs[$n]+=$(awk '/Non-2xx|Socket errors/ { printf "%s; ", $0 }' <<<"$out")
			echo "bench-gateway: [${SECONDS}s] c=$c round $((r + 1)) $n: $x req/s, p50 $(fmt_us "$y"), p99 $(fmt_us "$z")" >&2
		done
	done
	t=$((c < threads ? c : threads))
	echo
	echo "### $c connections (wrk -t$t -c$c -d$duration, $rounds rounds)"
	echo
	echo "| target | req/s | p50 | p99 | added p99 vs direct | req/s range |"
	echo "|---|---:|---:|---:|---:|---:|"
	direct99=$(median ${p99[direct]})
	for n in "${names[@]}"; do
		m99=$(median ${p99[$n]})
		added="—"
		if [[ $n != direct ]]; then added=$(fmt_us $((m99 - direct99))); fi
		echo "| $n | $(median ${rps[$n]}) | $(fmt_us "$(median ${p50[$n]})") | $(fmt_us "$m99") | $added | $(range ${rps[$n]}) |"
	done
	for n in "${names[@]}"; do
		if [[ -n ${errs[$n]} ]]; then echo && echo "$n errors: ${errs[$n]}"; fi
	done
	unset rps p50 p99 errs
done
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
