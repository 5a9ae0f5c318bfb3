#!/bin/sh
# bench/jwt/compare.sh: Bulwark's JWT verification against PyJWT, interleaved in one run.
#
# Each round runs bench_jwt (the Bulwark and raw-primitive rows) and pyjwt_bench.py (PyJWT
# doing the same decode + signature + exp/nbf/iat/iss/aud checks) one after the other, in
# alternating order, and takes the ratio inside the round, so a load change between rounds
# moves both sides of a ratio alike. Both sides are timed in CPU time of their own process
# (Google Benchmark's items_per_second divides by CPU time; PyJWT uses time.process_time).
#
#   bench/jwt/compare.sh [build-dir] [rounds]
#   build-dir: a Release tree with -DBULWARK_BENCH=ON (default build/bench); rounds: default 5.
# Needs Debian's python3-jwt and python3-cryptography, so it runs /usr/bin/python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/bench}
rounds=${2:-5}
bench="$build/bench/bench_jwt"
[ -x "$bench" ] || { echo "compare.sh: no $bench (configure with -DCMAKE_BUILD_TYPE=Release -DBULWARK_BENCH=ON, build bench_jwt)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
filter='^(manager_verify|verify_with_claims|raw_)'
i=1
while [ "$i" -le "$rounds" ]; do
    if [ $((i % 2)) -eq 1 ]; then
        "$bench" --benchmark_filter="$filter" --benchmark_min_time=0.5 --benchmark_format=json >"$tmp/b$i.json" 2>/dev/null
        /usr/bin/python3 "$here/pyjwt_bench.py" 1 >"$tmp/p$i.txt"
    else
        /usr/bin/python3 "$here/pyjwt_bench.py" 1 >"$tmp/p$i.txt"
        "$bench" --benchmark_filter="$filter" --benchmark_min_time=0.5 --benchmark_format=json >"$tmp/b$i.json" 2>/dev/null
    fi
    echo "round $i of $rounds done" >&2
    i=$((i + 1))
done
/usr/bin/python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
per_round = []
for i in range(1, rounds + 1):
    rates = {}
    for b in json.load(open(f"{tmp}/b{i}.json"))["benchmarks"]:
        if "items_per_second" in b and not b.get("error_occurred"):
            rates[b["name"]] = b["items_per_second"]
    for line in open(f"{tmp}/p{i}.txt"):
        alg, rate = line.split()
        rates["pyjwt/" + alg] = float(rate)
    per_round.append(rates)

def row(label, values, unit):
    values = sorted(v for v in values if v is not None)
    if not values:
        return print(f"{label:<44} (missing)")
    print(f"{label:<44} median {statistics.median(values):>12,.{unit}f}   "
          f"min {values[0]:>12,.{unit}f}   max {values[-1]:>12,.{unit}f}")

print(f"\nverifications per CPU second, {rounds} interleaved rounds")
names = sorted({n for r in per_round for n in r})
for n in names:
    row(n, [r.get(n) for r in per_round], 0)
print("\nratios, each taken inside one round")
for alg in ("HS256", "ES256", "EdDSA"):
    ours = f"manager_verify/{alg}"
    row(f"{ours} / pyjwt/{alg}",
        [r[ours] / r[f"pyjwt/{alg}"] if ours in r and f"pyjwt/{alg}" in r else None for r in per_round], 2)
raw = {"HS256": "raw_hmac_keyed", "ES256": "raw_verify/ES256", "EdDSA": "raw_verify/EdDSA"}
for alg, primitive in raw.items():
    ours = f"manager_verify/{alg}"
    row(f"{ours} / {primitive}",
        [r[ours] / r[primitive] if ours in r and primitive in r else None for r in per_round], 3)
row("manager_verify/HS256 / raw_hmac (one-shot)",
    [r["manager_verify/HS256"] / r["raw_hmac"] if "raw_hmac" in r and "manager_verify/HS256" in r else None
     for r in per_round], 2)
hs = sorted(r["manager_verify/HS256"] / r["pyjwt/HS256"] for r in per_round
            if "manager_verify/HS256" in r and "pyjwt/HS256" in r)
if hs:
    target = "met" if statistics.median(hs) >= 20 else "MISSED"
    print(f"\nHS256 target (>= 400,000/s and >= 20x PyJWT): median ratio {statistics.median(hs):.1f}x, "
          f"median rate {statistics.median(r['manager_verify/HS256'] for r in per_round):,.0f}/s: {target}")
PY
