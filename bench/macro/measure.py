#!/usr/bin/env python3
"""The macro benchmark of `make bench` (called by scripts/run-bench).

For each server: start it pinned to one core (taskset -c SERVER_CPU) in a session of its own,
warm it up, then run wrk pinned to the other core RUNS times for SECONDS each and take, per
run, the CPU time the whole server session spent (utime+stime+cutime+cstime of every process
in it, from /proc/<pid>/stat, as a delta over the run) divided by the requests wrk completed.
Peak RSS is VmHWM summed over the session's processes (gunicorn: the arbiter and its workers).
Medians of the runs go to a JSON file that report.py turns into BENCHMARKS.md.

Loopback only; every load is bounded by wrk's -d; every server is killed at the end (and on
SIGINT/SIGTERM), by its process group.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
running_groups = []


def stop_all(*_):
    for pgid in list(running_groups):
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 5
    for pgid in list(running_groups):
        while time.time() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        running_groups.remove(pgid)


def on_signal(signum, _frame):
    stop_all()
    sys.exit(128 + signum)


def session_pids(sid):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is state (field 3); session is field 6.
        if int(fields[3]) == sid:
            pids.append(int(entry))
    return pids


def session_cpu_seconds(sid):
    total = 0
    for pid in session_pids(sid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # utime, stime, cutime, cstime are fields 14-17 (indexes 11-14 after the name).
        total += sum(int(x) for x in fields[11:15])
    return total / CLK_TCK


def session_peak_rss_kib(sid):
    total = 0
    for pid in session_pids(sid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def wait_until_serving(port, path, pgid, seconds):
    """The body length once GET path answers 200, else None (gunicorn binds its port long before
    its workers are ready)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return None
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            conn.close()
            if response.status == 200:
                return len(body)
        except OSError:
            pass
        time.sleep(0.3)
    return None


def to_us(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return None
    value = float(m.group(1))
    return value * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]


def run_wrk(args, url, seconds):
    cmd = ["taskset", "-c", str(args.client_cpu), "wrk", "-t1", f"-c{args.connections}",
           f"-d{seconds}s", "--latency", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    result = {"requests": 0, "rps": 0.0, "p50_us": None, "p99_us": None, "errors": 0, "non2xx": 0}
    if m := re.search(r"(\d+) requests in", out):
        result["requests"] = int(m.group(1))
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result["rps"] = float(m.group(1))
    if m := re.search(r"^\s+50%\s+(\S+)", out, re.M):
        result["p50_us"] = to_us(m.group(1))
    if m := re.search(r"^\s+99%\s+(\S+)", out, re.M):
        result["p99_us"] = to_us(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        result["errors"] = sum(int(x) for x in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        result["non2xx"] = int(m.group(1))
    return result


def measure(args, name, cmd, port, paths, env=None, cwd=None, start_seconds=30, keep_log=False):
    """Start one server, measure each path on it, stop it. Returns one row per path.

    Bulwark's access log (a line per request on stderr) goes to /dev/null unless keep_log.
    """
    if not os.path.exists(cmd[0]) and not shutil.which(cmd[0]):
        print(f"bench: {name}: {cmd[0]} is not built; skipped", file=sys.stderr)
        return [{"server": name, "path": p, "failed": True} for p in paths]
    log = open(os.path.join(args.workdir, f"{name.split()[0]}.log") if keep_log else os.devnull, "w")
    proc = subprocess.Popen(["taskset", "-c", str(args.server_cpu)] + cmd, stdout=log, stderr=log,
                            env=env, cwd=cwd, start_new_session=True)
    running_groups.append(proc.pid)
    rows = []
    try:
        if wait_until_serving(port, paths[0], proc.pid, start_seconds) is None:
            print(f"bench: {name} did not start; see {log.name}", file=sys.stderr)
            return [{"server": name, "path": p, "failed": True} for p in paths]
        for path in paths:
            url = f"http://127.0.0.1:{port}{path}"
            body_bytes = wait_until_serving(port, path, proc.pid, 10)
            run_wrk(args, url, args.warmup)
            runs = []
            for i in range(args.runs):
                before = session_cpu_seconds(proc.pid)
                r = run_wrk(args, url, args.seconds)
                r["cpu_s"] = session_cpu_seconds(proc.pid) - before
                r["cpu_us_per_req"] = r["cpu_s"] * 1e6 / r["requests"] if r["requests"] else None
                runs.append(r)
                print(f"bench: {name} {path} run {i + 1}: {r['rps']:.0f} req/s, "
                      f"{r['cpu_us_per_req'] or 0:.1f} us CPU/req, p99 {r['p99_us']} us, "
                      f"errors {r['errors']}, non-2xx {r['non2xx']}", file=sys.stderr)

            def med(key):
                values = [r[key] for r in runs if r[key] is not None]
                return statistics.median(values) if values else None

            rows.append({"server": name, "path": path, "runs": runs, "body_bytes": body_bytes,
                         "cpu_us_per_req": med("cpu_us_per_req"), "rps": med("rps"),
                         "p50_us": med("p50_us"), "p99_us": med("p99_us"),
                         "errors": sum(r["errors"] for r in runs),
                         "non2xx": sum(r["non2xx"] for r in runs)})
        rss = session_peak_rss_kib(proc.pid)
        for row in rows:
            row["peak_rss_kib"] = rss
        return rows
    finally:
        stop_all()
        log.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True, help="the Release build tree")
    parser.add_argument("--flask", required=True, help="the flask-ref peer folder")
    parser.add_argument("--out", required=True, help="JSON results")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--base-port", type=int, default=18180)
    parser.add_argument("--skip", action="append", default=[], help="limit, app, serve or flask")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    args.workdir = tempfile.mkdtemp(prefix="bulwark-bench-")
    port = args.base_port
    rows = []
    try:
        if "limit" not in args.skip:
            rows += measure(args, "epoll limit", [f"{args.build}/bench/bench_epoll_limit", str(port)], port, ["/"])
        port += 1
        if "app" not in args.skip:
            rows += measure(args, "Bulwark bench_http_app",
                        [f"{args.build}/bench/bench_http_app", "--port", str(port)], port,
                        ["/inline", "/pooled"])
        port += 1
        instance = os.path.join(args.workdir, "bulwark-instance")
        if "serve" not in args.skip:
            rows += measure(args, "Bulwark reference app (bulwark serve)",
                        [f"{args.build}/tools/bulwark/bulwark", "serve", "--port", str(port),
                         "--instance", instance], port, ["/"])
        port += 1
        peer = os.path.join(args.workdir, "flask-ref")
        if "flask" not in args.skip:
            shutil.copytree(args.flask, peer)
            env = dict(os.environ, PORT=str(port), INSTANCE_DIR=os.path.join(args.workdir, "flask-instance"),
                   WORKERS="2", THREADS="1")
            env.pop("BULWARK_ENV", None)
            rows += measure(args, "Flask peer (gunicorn, 2 sync workers)", ["sh", os.path.join(peer, "run.sh")],
                        port, ["/"], env=env, cwd=peer, start_seconds=120, keep_log=True)
    finally:
        stop_all()
        # The peer's copy keeps its read-only modes; make it writable so it can be removed.
        for folder, dirs, _ in os.walk(args.workdir):
            for d in dirs:
                os.chmod(os.path.join(folder, d), 0o755)
        shutil.rmtree(args.workdir, ignore_errors=True)
    meta = {"seconds": args.seconds, "runs": args.runs, "connections": args.connections,
            "warmup": args.warmup, "server_cpu": args.server_cpu, "client_cpu": args.client_cpu}
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
