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
import struct
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib

CLK_TCK = os.sysconf("SC_CLK_TCK")
LUA_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "request.lua")
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


def session_cpu_user_sys(sid):
    """User and system CPU seconds of the session's processes, their reaped children included."""
    user = system = 0
    for pid in session_pids(sid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # utime, stime, cutime, cstime are fields 14-17 (indexes 11-14 after the name).
        user += int(fields[11]) + int(fields[13])
        system += int(fields[12]) + int(fields[14])
    return user / CLK_TCK, system / CLK_TCK


def session_cpu_seconds(sid):
    return sum(session_cpu_user_sys(sid))


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


def run_wrk(args, url, seconds, request=None):
    """One wrk run. request: None for a plain GET, else {"method", "body", "headers", and
    optionally "connections"} sent by bench/macro/request.lua, which also counts the answers by
    status. wrk's timeout is 30 s (not its 2 s) so that slow answers count in the latencies."""
    connections = (request or {}).get("connections", args.connections)
    cmd = ["taskset", "-c", str(args.client_cpu), "wrk", "-t1", f"-c{connections}",
           f"-d{seconds}s", "--timeout", "30s", "--latency"]
    env = None
    if request is not None:
        cmd += ["-s", LUA_SCRIPT]
        env = dict(os.environ, BENCH_METHOD=request.get("method", "GET"), BENCH_BODY=request.get("body", ""),
                   BENCH_HEADERS="\n".join(f"{k}: {v}" for k, v in request.get("headers", {}).items()))
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, env=env).stdout
    result = {"requests": 0, "rps": 0.0, "p50_us": None, "p99_us": None, "errors": 0, "non2xx": 0,
              "statuses": {}}
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
    if m := re.search(r"^statuses(.*)$", out, re.M):
        result["statuses"] = {k: int(v) for k, v in re.findall(r"(\d+)=(\d+)", m.group(1))}
    # wrk's "Non-2xx or 3xx" includes the 429s; they are reported apart.
    result["rate_limited"] = result["statuses"].get("429", 0)
    return result


def session_rss_kib(sid):
    total = 0
    for pid in session_pids(sid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


class RssSampler(threading.Thread):
    """The peak of VmRSS summed over a server's session, sampled every 100 ms while a row runs
    (VmHWM only ever grows, so it cannot tell one row from the next)."""

    def __init__(self, sid):
        super().__init__(daemon=True)
        self.sid, self.peak, self.stopping = sid, 0, threading.Event()
        self.start()

    def run(self):
        while not self.stopping.is_set():
            self.peak = max(self.peak, session_rss_kib(self.sid))
            self.stopping.wait(0.1)

    def stop(self):
        self.stopping.set()
        self.join()
        return max(self.peak, session_rss_kib(self.sid))


def start_server(args, name, cmd, env=None, cwd=None, keep_log=False):
    log = open(os.path.join(args.workdir, f"{name.split()[0]}.log") if keep_log else os.devnull, "w")
    proc = subprocess.Popen(["taskset", "-c", str(args.server_cpu)] + cmd, stdout=log, stderr=log,
                            env=env, cwd=cwd, start_new_session=True)
    running_groups.append(proc.pid)
    return proc, log


def median_of(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def measure_row(args, name, label, port, path, sid, request=None):
    """Warm up, then RUNS wrk runs of one request against a running server: one table row."""
    url = f"http://127.0.0.1:{port}{path}"
    run_wrk(args, url, args.warmup, request)
    sampler = RssSampler(sid)
    runs = []
    for i in range(args.runs):
        before = session_cpu_seconds(sid)
        r = run_wrk(args, url, args.seconds, request)
        r["cpu_s"] = session_cpu_seconds(sid) - before
        r["cpu_us_per_req"] = r["cpu_s"] * 1e6 / r["requests"] if r["requests"] else None
        runs.append(r)
        print(f"bench: {name} {label} run {i + 1}: {r['rps']:.0f} req/s, "
              f"{r['cpu_us_per_req'] or 0:.1f} us CPU/req, p99 {r['p99_us']} us, errors {r['errors']}, "
              f"non-2xx {r['non2xx']} (429: {r['rate_limited']}) {r['statuses']}", file=sys.stderr)
    return {"server": name, "route": label, "path": path, "runs": runs,
            "connections": (request or {}).get("connections", args.connections),
            "cpu_us_per_req": median_of(runs, "cpu_us_per_req"), "rps": median_of(runs, "rps"),
            "p50_us": median_of(runs, "p50_us"), "p99_us": median_of(runs, "p99_us"),
            "errors": sum(r["errors"] + r["non2xx"] - r["rate_limited"] for r in runs),
            "rate_limited": sum(r["rate_limited"] for r in runs),
            "peak_rss_kib": sampler.stop()}


def measure(args, name, cmd, port, paths, env=None, cwd=None, start_seconds=30, keep_log=False):
    """Start one server, measure GET of each path on it, stop it. Returns one row per path.

    Bulwark's access log (a line per request on stderr) goes to /dev/null unless keep_log.
    """
    if not os.path.exists(cmd[0]) and not shutil.which(cmd[0]):
        print(f"bench: {name}: {cmd[0]} is not built; skipped", file=sys.stderr)
        return [{"server": name, "route": f"GET {p}", "path": p, "failed": "not built"} for p in paths]
    proc, log = start_server(args, name, cmd, env, cwd, keep_log)
    try:
        if wait_until_serving(port, paths[0], proc.pid, start_seconds) is None:
            print(f"bench: {name} did not start; see {log.name}", file=sys.stderr)
            return [{"server": name, "route": f"GET {p}", "path": p, "failed": "did not start"} for p in paths]
        rows = []
        for path in paths:
            body_bytes = wait_until_serving(port, path, proc.pid, 10)
            row = measure_row(args, name, f"GET {path}", port, path, proc.pid)
            row["body_bytes"] = body_bytes
            rows.append(row)
        return rows
    finally:
        stop_all()
        log.close()


# --- The reference app's routes (issue 12): the same requests to Bulwark and the Flask peer ---

BENCH_USER = "benchuser"
BENCH_PASSWORD = "Quiet-Harbour-Lantern-57"
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')


class SetupError(Exception):
    pass


def csrf_from(html):
    for tag in CSRF_RE.findall(html):
        if m := re.search(r'value="([^"]+)"', tag):
            return m.group(1)
    raise SetupError("no csrf_token field in the page")


class Client:
    """A few requests with the cookies each answer sets (http.client, no redirects followed)."""

    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie = value.split(";", 1)[0]
                    key, _, val = cookie.partition("=")
                    self.cookies[key.strip()] = val.strip()
            return response.status, text
        finally:
            conn.close()

    def form(self, path, fields):
        return self.request("POST", path, urllib.parse.urlencode(fields),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def prepare_accounts(port):
    """Register a user through the form, log in through the API (bearer token) and through the
    form (session cookie + its CSRF token), as a client of the contract would."""
    form = Client(port)
    token = csrf_from(form.request("GET", "/register")[1])
    status, text = form.form("/register", {"username": BENCH_USER, "email": "bench@example.com",
                                           "password": BENCH_PASSWORD, "csrf_token": token})
    if status not in (302, 303):
        raise SetupError(f"POST /register answered {status}: {text[:200]}")
    status, text = Client(port).request("POST", "/api/login",
                                        json.dumps({"username": BENCH_USER, "password": BENCH_PASSWORD}),
                                        {"Content-Type": "application/json"})
    if status != 200:
        raise SetupError(f"POST /api/login answered {status}: {text[:200]}")
    access = json.loads(text)["access_token"]
    session = Client(port)
    token = csrf_from(session.request("GET", "/login")[1])
    status, text = session.form("/login", {"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": token})
    if status not in (302, 303):
        raise SetupError(f"POST /login answered {status}: {text[:200]}")
    token = csrf_from(session.request("GET", "/comments")[1])
    status, _ = Client(port).request("GET", "/api/protected", headers={"Authorization": "Bearer " + access})
    if status != 200:
        raise SetupError(f"GET /api/protected with the token answered {status}")
    return {"access_token": access, "cookie": session.cookie_header(), "csrf": token}


def reference_requests(args, setup, api_key):
    """(label, path, wrk request or None for a plain GET, note) for every wrk row."""
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": setup["cookie"]}
    rows = [("GET /", "/", None),
            ("GET /api/protected", "/api/protected",
             {"headers": {"Authorization": "Bearer " + setup["access_token"]}}),
            ("GET /api/data", "/api/data", {"headers": {"X-API-Key": api_key}} if api_key else "no API key"),
            ("POST /comment", "/comment",
             {"method": "POST", "headers": form,
              "body": urllib.parse.urlencode({"comment": "A comment from the benchmark.", "csrf_token": setup["csrf"]})}),
            ("POST /api/login", "/api/login",
             {"method": "POST", "headers": {"Content-Type": "application/json"},
              "connections": args.login_connections,
              "body": json.dumps({"username": BENCH_USER, "password": BENCH_PASSWORD})})]
    return rows


def make_upload_file(path, size):
    """A PNG (signature and IHDR of a 1x1 image, so both apps' content checks pass) padded to size."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    idat_data = zlib.compress(b"\x00\x00\x00\x00")
    idat = struct.pack(">I", len(idat_data)) + b"IDAT" + idat_data + struct.pack(">I", zlib.crc32(b"IDAT" + idat_data))
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    head = b"\x89PNG\r\n\x1a\n" + chunk + idat + iend
    with open(path, "wb") as f:
        f.write(head)
        left = size - len(head)
        block = b"\x00" * (1 << 20)
        while left > 0:
            f.write(block[:min(left, len(block))])
            left -= len(block)


def measure_uploads(args, name, port, sid, setup):
    """UPLOADS multipart uploads of the file, one after another, with curl (pinned to the client core)."""
    url = f"http://127.0.0.1:{port}/upload"
    label = f"POST /upload ({args.upload_mib} MiB)"
    sampler = RssSampler(sid)
    before = session_cpu_seconds(sid)
    times, answers, statuses = [], [], {}
    for i in range(args.uploads):
        cmd = ["taskset", "-c", str(args.client_cpu), "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
               "-H", "Expect:", "-b", setup["cookie"], "-F", f"csrf_token={setup['csrf']}",
               "-F", f"file=@{args.upload_path};filename=bench.png;type=image/png", url]
        t0 = time.monotonic()
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        elapsed = time.monotonic() - t0
        status = out.stdout.strip() or "000"
        statuses[status] = statuses.get(status, 0) + 1
        times.append(elapsed)
        answers.append(status)
        print(f"bench: {name} {label} {i + 1}: {status} in {elapsed:.2f} s {out.stderr.strip()}", file=sys.stderr)
    cpu = session_cpu_seconds(sid) - before
    peak = sampler.stop()
    ok_times = sorted(t for t, s in zip(times, answers) if s.startswith("2"))
    if not ok_times:
        return {"server": name, "route": label, "path": "/upload", "upload": True,
                "failed": "every upload was refused: " + ", ".join(f"{s} x{n}" for s, n in statuses.items())}
    mb = args.upload_mib * 1024 * 1024 / 1e6
    times = ok_times
    return {"server": name, "route": label, "path": "/upload", "upload": True, "uploads": args.uploads,
            "statuses": statuses, "times_s": times,
            "cpu_us_per_req": cpu * 1e6 / args.uploads, "rps": len(times) / sum(times),
            "mb_per_s": statistics.median(mb / t for t in times),
            "p50_us": statistics.median(times) * 1e6, "p99_us": times[-1] * 1e6,
            "errors": args.uploads - len(times), "rate_limited": statuses.get("429", 0),
            "peak_rss_kib": peak}


def measure_upload_limit(args, port):
    """The upload row's floor: bench_upload's limit server stores the same uploads with nothing but recv,
    write, writeback and fsync."""
    name = "upload limit"
    cmd = [f"{args.build}/bench/bench_upload", "--limit-server", "--port", str(port), "--dir", args.workdir]
    if not os.path.exists(cmd[0]):
        print(f"bench: {name}: {cmd[0]} is not built; skipped", file=sys.stderr)
        return [{"server": name, "route": f"POST /upload ({args.upload_mib} MiB)", "failed": "not built"}]
    proc, log = start_server(args, name, cmd)
    try:
        if wait_until_serving(port, "/", proc.pid, 30) is None:
            return [{"server": name, "route": f"POST /upload ({args.upload_mib} MiB)", "failed": "did not start"}]
        return [measure_uploads(args, name, port, proc.pid, {"cookie": "", "csrf": ""})]
    finally:
        stop_all()
        log.close()


def measure_reference(args, name, cmd, port, env, cwd=None, api_key=None, start_seconds=30, keep_log=False):
    """One server of the contract: start it, set up the accounts, measure every route, stop it."""
    labels = [label for label, _, _ in reference_requests(args, {"cookie": "", "csrf": "", "access_token": ""}, "k")]
    labels.append(f"POST /upload ({args.upload_mib} MiB)")

    def all_failed(why):
        return [{"server": name, "route": label, "failed": why} for label in labels]

    if not os.path.exists(cmd[0]) and not shutil.which(cmd[0]):
        print(f"bench: {name}: {cmd[0]} is not built; skipped", file=sys.stderr)
        return all_failed("not built")
    proc, log = start_server(args, name, cmd, env, cwd, keep_log)
    try:
        if wait_until_serving(port, "/", proc.pid, start_seconds) is None:
            print(f"bench: {name} did not start; see {log.name}", file=sys.stderr)
            return all_failed("did not start")
        try:
            setup = prepare_accounts(port)
        except (SetupError, OSError, KeyError, ValueError) as e:
            print(f"bench: {name}: setup failed: {e}", file=sys.stderr)
            return all_failed(f"setup failed: {e}")
        rows = []
        for label, path, request in reference_requests(args, setup, api_key):
            if isinstance(request, str):
                rows.append({"server": name, "route": label, "failed": request})
                continue
            rows.append(measure_row(args, name, label, port, path, proc.pid, request))
        if args.uploads > 0:
            rows.append(measure_uploads(args, name, port, proc.pid, setup))
        return rows
    finally:
        stop_all()
        log.close()


def bulwark_api_key(bulwark, instance, env):
    """`bulwark api-key create` when this build has it (the key printed alone on stdout), else None."""
    help_text = subprocess.run([bulwark, "--help"], capture_output=True, text=True, env=env).stdout
    if "api-key" not in help_text:
        print("bench: this bulwark has no `api-key` command; GET /api/data is not measured for it", file=sys.stderr)
        return None
    out = subprocess.run([bulwark, "api-key", "create", "--name", "bench", "--instance", instance],
                         capture_output=True, text=True, env=env, timeout=60)
    key = out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else None
    if key is None:
        print(f"bench: bulwark api-key create failed: {out.stderr.strip()}", file=sys.stderr)
    return key


FLASK_WSGI = """# Written by bench/macro/measure.py into its own copy of the peer: the 100 MiB upload row needs
# an upload limit above the peer's 16 MiB, which app.py keeps as a constant, not a setting.
import os

import app as peer

limit = int(os.environ["BENCH_MAX_UPLOAD"])
peer.MAX_UPLOAD = limit
peer.BODY_LIMITS["upload_file"] = limit
peer.app.config["MAX_CONTENT_LENGTH"] = limit
app = peer.app
"""


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
    parser.add_argument("--skip", action="append", default=[], help="limit, app, pipeline, serve or flask")
    parser.add_argument("--uploads", type=int, default=3, help="100 MiB uploads per server (0: no upload row)")
    parser.add_argument("--upload-mib", type=int, default=100)
    parser.add_argument("--login-connections", type=int, default=2,
                        help="wrk connections for POST /api/login (each answer costs a password hash)")
    parser.add_argument("--rate-limit", default="1000000 per minute",
                        help="the login and API-key limits on both servers during the run")
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
        if "pipeline" not in args.skip:
            # Issue 6: the default security-header and CSRF stages against none, one small inline
            # route, one I/O thread, no access log (bench/pipeline/pipeline_bench.cpp --serve).
            for variant in ("bare", "secured"):
                rows += measure(args, f"Bulwark bench_pipeline {variant}",
                                [f"{args.build}/bench/bench_pipeline", "--serve", variant, str(port)], port,
                                ["/hello"])
                port += 1
        # Both servers run with the same raised limits, or the login and data rows would measure
        # 429s and the upload row 413s; the limiters still run and count every request.
        upload_limit = 2 * args.upload_mib * 1024 * 1024
        if args.uploads > 0:
            args.upload_path = os.path.join(args.workdir, "upload.png")
            make_upload_file(args.upload_path, args.upload_mib * 1024 * 1024)
            if "limit" not in args.skip:
                rows += measure_upload_limit(args, port)
        port += 1
        instance = os.path.join(args.workdir, "bulwark-instance")
        if "serve" not in args.skip:
            bulwark = f"{args.build}/tools/bulwark/bulwark"
            env = dict(os.environ, BULWARK_LOGIN_RATE_LIMIT=args.rate_limit, API_DATA_RATE_LIMIT=args.rate_limit,
                       MAX_CONTENT_LENGTH=str(upload_limit))
            env.pop("BULWARK_ENV", None)
            api_key = bulwark_api_key(bulwark, instance, env) if os.path.exists(bulwark) else None
            rows += measure_reference(args, "Bulwark reference app (bulwark serve)",
                                      [bulwark, "serve", "--port", str(port), "--instance", instance], port, env,
                                      api_key=api_key)
        port += 1
        peer = os.path.join(args.workdir, "flask-ref")
        if "flask" not in args.skip:
            shutil.copytree(args.flask, peer)
            os.chmod(peer, 0o755)
            with open(os.path.join(peer, "bench_wsgi.py"), "w") as f:
                f.write(FLASK_WSGI)
            env = dict(os.environ, PORT=str(port), INSTANCE_DIR=os.path.join(args.workdir, "flask-instance"),
                       WORKERS="2", THREADS="1", TIMEOUT="120", PYTHONDONTWRITEBYTECODE="1",
                       LOGIN_RATE_LIMIT=args.rate_limit, API_KEY_RATE_LIMIT=args.rate_limit,
                       BENCH_MAX_UPLOAD=str(upload_limit))
            env.pop("BULWARK_ENV", None)
            py = "/usr/bin/python3"
            subprocess.run([py, "app.py", "init-db"], cwd=peer, env=env, capture_output=True, timeout=120)
            out = subprocess.run([py, "app.py", "create-api-key", "bench"], cwd=peer, env=env,
                                 capture_output=True, text=True, timeout=120)
            api_key = out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else None
            # run.sh's own start (init-db, then gunicorn with its config), serving the wrapper.
            start = (f"{py} app.py init-db >&2 && exec {py} -m gunicorn -c gunicorn.conf.py "
                     f"--bind 127.0.0.1:{port} --workers 2 --threads 1 bench_wsgi:app")
            rows += measure_reference(args, "Flask peer (gunicorn, 2 sync workers)", ["sh", "-c", start], port,
                                      env, cwd=peer, api_key=api_key, start_seconds=120, keep_log=True)
    finally:
        stop_all()
        # The peer's copy keeps its read-only modes; make it writable so it can be removed.
        for folder, dirs, _ in os.walk(args.workdir):
            for d in dirs:
                os.chmod(os.path.join(folder, d), 0o755)
        shutil.rmtree(args.workdir, ignore_errors=True)
    meta = {"seconds": args.seconds, "runs": args.runs, "connections": args.connections,
            "warmup": args.warmup, "server_cpu": args.server_cpu, "client_cpu": args.client_cpu,
            "uploads": args.uploads, "login_connections": args.login_connections,
            "upload_mib": args.upload_mib, "rate_limit": args.rate_limit}
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
