#!/bin/bash
# instructions.sh BENCH_PIPELINE [N]: issue 6 measured in instructions, which other load on the
# machine does not change: each variant (bare, secured) of `bench_pipeline --serve` runs under
# callgrind, takes 500 warm-up requests, has its counters zeroed, answers exactly N keep-alive
# GET /hello (8 connections), and is dumped; prints instructions per request and the difference.
# Repeated runs agree to a few hundred instructions (how many requests share one epoll wake-up).
set -euo pipefail
bin=$1
n=${2:-4000}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/bulwark-instructions.XXXXXX)
trap 'rm -rf "$out"' EXIT
port=$((19000 + RANDOM % 500))
declare -A per
for v in bare secured; do
  port=$((port + 1))
  valgrind --tool=callgrind --callgrind-out-file="$out/$v.%p" "$bin" --serve "$v" "$port" 2>/dev/null &
  vg=$!
  for _ in $(seq 50); do python3 - "$port" <<<'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' 2>/dev/null && break; sleep 0.2; done
  python3 "$here/keepalive_client.py" "$port" 500 8 >/dev/null
  callgrind_control -z "$vg" >/dev/null 2>&1
  python3 "$here/keepalive_client.py" "$port" "$n" 8 >/dev/null
  callgrind_control -d "$vg" >/dev/null 2>&1
  sleep 1
  kill -TERM "$vg"
  wait "$vg" 2>/dev/null || true
  per[$v]=$(awk -v n="$n" '/^summary:/ {printf "%.0f", $2 / n}' "$out"/$v.*.1)
  echo "$v: ${per[$v]} instructions/request"
done
echo "secured - bare: $((per[secured] - per[bare])) instructions/request ($(awk -v b="${per[bare]}" -v s="${per[secured]}" 'BEGIN {printf "%+.1f%%", 100 * (s / b - 1)}'))"
