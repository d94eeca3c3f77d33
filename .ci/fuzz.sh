#!/usr/bin/env bash
# Runs each fuzz test found by `go test -list` for FUZZTIME (default 10s).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
list=$(go test -list '^Fuzz' ./...)

# `go test -list` prints a package's matching names, then "ok <pkg> <time>".
targets=$(awk '
	/^Fuzz/ { names[n++] = $1; next }
	/^ok[ \t]/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }
' <<<"$list")

if [[ -z $targets ]]; then
	echo "fuzz: no fuzz tests found"
	exit 0
fi
while read -r pkg name; do
	echo "fuzz: $pkg $name ($fuzztime)"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"
done <<<"$targets"
