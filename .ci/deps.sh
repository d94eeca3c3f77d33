#!/usr/bin/env bash
# Installs and starts what Berth's build, tests and `berth dev` need on Debian 12.
# Idempotent: on a prepared machine it only checks and returns.
set -euo pipefail

# chromium: the dashboard's browser tests drive it headless (chromedp).
PACKAGES=(postgresql docker.io rsyslog wrk nginx-light caddy ca-certificates git make chromium)
DOCKERD_LOG=${BERTH_DOCKERD_LOG:-/var/log/berth-dockerd.log}
DOCKER_PIDFILE=${BERTH_DOCKER_PIDFILE:-/var/run/docker.pid}

log() { echo "deps: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

as_root() {
	if [[ $EUID -eq 0 ]]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root to run: $*"
	fi
}

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	log "installing ${missing[*]}"
	# Keep apt from starting nginx, caddy, postgres or rsyslog as services: tests run their own.
	local policy=/usr/sbin/policy-rc.d added_policy=""
	if [[ ! -e $policy ]]; then
		as_root sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy"
		added_policy=1
	fi
	local rc=0
	as_root apt-get update -qq || rc=$?
	if [[ $rc -eq 0 ]]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" || rc=$?
	fi
	[[ -n $added_policy ]] && as_root rm -f "$policy"
	[[ $rc -eq 0 ]] || die "apt-get failed ($rc) installing ${missing[*]}"
}

check_postgres() {
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
		die "postgresql server binaries missing under /usr/lib/postgresql/*/bin"
}

dockerd_running() {
	local pid
	pid=$(cat "$DOCKER_PIDFILE" 2>/dev/null) || return 1
	[[ -n $pid && "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]
}

start_docker() {
	docker info >/dev/null 2>&1 && return 0
	if dockerd_running; then
		log "dockerd is starting; waiting"
	else
		log "starting dockerd (log: $DOCKERD_LOG)"
		as_root sh -c "nohup setsid dockerd >>$DOCKERD_LOG 2>&1 </dev/null &"
	fi
	local i
	for ((i = 0; i < 60; i++)); do
		docker info >/dev/null 2>&1 && { log "docker is up"; return 0; }
		sleep 1
	done
	tail -n 30 "$DOCKERD_LOG" >&2 || true
	die "docker info still failing after 60s"
}

install_packages
check_postgres
start_docker
