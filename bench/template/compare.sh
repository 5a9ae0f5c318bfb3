#!/bin/sh
# compare.sh <path/to/bench_template> [runs] [render|sanitize]: runs the C++ benchmark and the
# Jinja2/bleach baseline interleaved (C++, Python, C++, Python...), so both see the same machine
# load, and prints the ratio of each pair. Both sides count per second of process CPU time.
set -eu
bench=$1
runs=${2:-3}
what=${3:-render}
here=$(dirname "$0")
if [ "$what" = render ]; then filter=BM_RenderPage; else filter=BM_Sanitize64KiB; fi
i=1
while [ "$i" -le "$runs" ]; do
    cxx=$("$bench" --benchmark_filter="$filter" --benchmark_min_time=2 --benchmark_format=json |
          /usr/bin/python3 -c 'import json,sys
b=json.load(sys.stdin)["benchmarks"][0]
print(b["renders/s"] if "renders/s" in b else b["bytes_per_second"] / 1e6)')
    py=$(/usr/bin/python3 "$here/jinja_bench.py" "$what" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
    /usr/bin/python3 -c "import sys; c, p = float(sys.argv[1]), float(sys.argv[2]); print('run %s: bulwark %.1f, baseline %.2f, ratio %.1fx' % (sys.argv[3], c, p, c / p))" "$cxx" "$py" "$i"
    i=$((i + 1))
done
