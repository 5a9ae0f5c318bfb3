#!/usr/bin/env bash
# instructions.sh: instructions per point select and per insert, Bulwark against the raw driver
# calls, counted by callgrind (stable on a loaded machine, unlike timings). Each benchmark runs
# alone under callgrind with a fixed iteration count, collecting only inside its noinline *_once
# function (one iteration's work; the set-up is not counted), and the total is divided by the
# iterations. The first Bulwark call prepares the statement; over the iterations that is a few
# instructions per call.
#
#   bench/db/instructions.sh [build-dir]      (a Release tree with -DBULWARK_BENCH=ON)
#
# PostgreSQL rows need BULWARK_TEST_DATABASE_URL (eval "$(scripts/test-services env)"); they count
# the client process only (libpq plus Bulwark), not the server or the kernel.
set -euo pipefail
build=${1:-build/bench}
bench=$build/bench/bench_db
iterations=${ITERATIONS:-20000}
[[ -x $bench ]] || { echo "no $bench (configure with -DCMAKE_BUILD_TYPE=Release -DBULWARK_BENCH=ON)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# count <benchmark> <once-function>: instructions per iteration.
count() {
    BULWARK_BENCH_ITERATIONS=$iterations valgrind --tool=callgrind --toggle-collect="*$2*" \
        --callgrind-out-file="$out/$1.out" "$bench" --benchmark_filter="^$1(/iterations:[0-9]+)?(/real_time)?\$" >"$out/$1.log" 2>&1 ||
        { cat "$out/$1.log" >&2; exit 1; }
    grep -q "error_message\|ERROR OCCURRED" "$out/$1.log" && { cat "$out/$1.log" >&2; exit 1; }
    local total
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$out/$1.out")
    [[ ${total:-0} -gt 0 ]] || { echo "$1: nothing counted in *$2* (an old bench_db?)" >&2; exit 1; }
    echo $((total / iterations))
}

row() {  # row <label> <raw benchmark> <raw fn> <bulwark benchmark> <bulwark fn>
    local raw bw
    raw=$(count "$2" "$3")
    bw=$(count "$4" "$5")
    awk -v l="$1" -v r="$raw" -v b="$bw" \
        'BEGIN { printf "%-22s raw %7d  bulwark %7d  overhead %+6d  raw/bulwark %.3f\n", l, r, b, b - r, r / b }'
}

echo "instructions per call ($iterations iterations, callgrind)"
row "sqlite point select" BM_sqlite_raw_point_select sqlite_raw_select_once BM_sqlite_bulwark_point_select sqlite_bulwark_select_once
row "sqlite select first()" BM_sqlite_raw_point_select sqlite_raw_select_once BM_sqlite_bulwark_point_select_first sqlite_bulwark_first_once
row "sqlite insert" BM_sqlite_raw_insert sqlite_raw_insert_once BM_sqlite_bulwark_insert sqlite_bulwark_insert_once
if [[ -n ${BULWARK_TEST_DATABASE_URL:-} ]]; then
    row "postgresql point select" BM_pg_raw_point_select pg_raw_select_once BM_pg_bulwark_point_select pg_bulwark_select_once
    row "postgresql insert" BM_pg_raw_insert pg_raw_insert_once BM_pg_bulwark_insert pg_bulwark_insert_once
else
    echo "postgresql: skipped (BULWARK_TEST_DATABASE_URL not set)"
fi
