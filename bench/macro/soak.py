#!/usr/bin/env python3
"""Soak test of the reference app (`make soak`, scripts/run-soak): a mixed load for SOAK_SECONDS.

One `bulwark serve` on loopback with the contract's login limit (5 per minute per client
address), then CLIENTS threads, each a user on a loopback address of its own (127.0.0.10 and
up), looping over a weighted mix of what users of the contract do: page views (GET /, /comments,
/login), API calls with a JWT and with an API key, comments, small uploads, and an API login
every 15-25 s (within the limit: each must be answered 200). Now and then one attacker, on an
address of its own (127.0.0.250), sends a burst of 12 wrong logins: the login limit must stop it
with 429 before any password is hashed. Between 40% and 70% of the run, SLOWLORIS extra
connections (from 127.0.0.200) trickle header lines (one every 2 s, never finishing the
headers); the server drops them after its 10 s header timeout and the harness opens them again,
so that many stay open all through that phase.

Warm-up: the server first sees the load's peak, a first slow-loris wave of the same size and
the clients without their think time, so the SQLite pool and the caches reach the size the
load makes them; the RSS baseline is taken after that (the requirement is memory that does not
grow over time, not memory that never grows past an idle server's).

Checks, each printed as PASS/FAIL (exit status 1 on any failure):
- no answer with a 5xx status, no connection the server refused or reset for an ordinary client;
- ordinary logins answered 200, the attacker's bursts stopped with 429;
- the server is alive at the end and stops cleanly on SIGTERM;
- RSS flat: VmRSS (sampled every second) over the last fifth within 10% of the baseline;
- no fd leak: after the load, once idle, at most 2 descriptors more than after the warm-up,
  besides those of the SQLite pool's connections (opened on demand, at most 8, two each) and
  the database's -shm file;
- slow-loris: the ordinary clients' p99 latency while the slow connections are open stays below
  max(2 s, 5x their p99 before), and their requests are still answered.

Loopback only; bounded by SOAK_SECONDS (the load stops itself, every socket has a timeout); the
server runs in its own session and is killed by process group at the end and on SIGINT/SIGTERM.

    python3 bench/macro/soak.py --bulwark build/release/tools/bulwark/bulwark --seconds 600
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402  (Client, prepare_accounts, make_upload_file, process helpers)

DB_POOL_LIMIT = 8  # db::Options::max_connections, the reference app's SQLite pool
RNG = random.SystemRandom()
BURSTING = threading.Lock()  # load shapes only; nothing here is a secret
# Each party on an address of its own, as on the internet: the login limit counts per address.
# (The 503s of earlier runs were the soak's own doing, not the server's: every user and the
# attacker shared 127.0.0.1 under a login limit raised to 60 a minute, so each new window let
# all their logins through at once, past the hashing pool's stated bound of 2 x cores hashing or
# waiting. The server's order, limit and throttle before the hash, was right all along.)
ATTACKER = "127.0.0.250"
LORIS_SOURCE = "127.0.0.200"
LOGIN_EVERY = (15.0, 25.0)  # an ordinary client's API logins: 2.4-4 a minute, under 5 per minute


def client_address(i):
    return f"127.0.0.{10 + i}"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = {}
        self.failures = {}      # ordinary requests that got no answer, by reason
        self.server_errors = {}  # 5xx answers by request kind, to tell which part refused
        self.by_kind = {}       # kind -> {status: count}
        self.latencies = []     # (time since start, seconds, kind) of ordinary requests
        self.logins_in_flight = 0
        self.logins_in_flight_at_5xx = 0  # the most logins under way when one answer was 5xx
        self.server_error_times = []  # seconds since the start of each 5xx, to tell phase from drift

    def login_started(self):
        with self.lock:
            self.logins_in_flight += 1

    def login_ended(self):
        with self.lock:
            self.logins_in_flight -= 1

    def record(self, kind, status, started, elapsed, t0):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            row = self.by_kind.setdefault(kind, {})
            row[status] = row.get(status, 0) + 1
            if status >= 500:
                key = f"{kind} {status}"
                self.server_errors[key] = self.server_errors.get(key, 0) + 1
                self.logins_in_flight_at_5xx = max(self.logins_in_flight_at_5xx, self.logins_in_flight)
                self.server_error_times.append(started - t0)
            self.latencies.append((started - t0, elapsed, kind))

    def fail(self, kind, reason):
        with self.lock:
            key = f"{kind}: {reason}"
            self.failures[key] = self.failures.get(key, 0) + 1


def multipart(fields, file_bytes):
    boundary = "soak" + "".join(RNG.choice("abcdef0123456789") for _ in range(24))
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="soak.png"\r\n'
                 "Content-Type: image/png\r\n\r\n".encode() + file_bytes + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def client_loop(source, port, setup, api_key, png, stats, t0, deadline, rush_until):
    """One simulated user on the address `source` until the deadline; no think time before
    `rush_until` (the warm-up's peak)."""
    cookie = {"Cookie": setup["cookie"]}
    bearer = {"Authorization": "Bearer " + setup["access_token"]}
    actions = [("GET /", 30), ("GET /comments", 15), ("GET /login", 5), ("GET /api/protected", 15),
               ("GET /api/data", 10 if api_key else 0), ("POST /comment", 8), ("POST /upload", 4), ("burst", 1)]
    names = [a for a, _ in actions]
    weights = [w for _, w in actions]
    # A user logs in now and then, not at every tenth request: the contract allows 5 logins per
    # minute per address, and a user who stays under it must never be refused (401/429/503).
    next_login = time.time() + RNG.uniform(0, LOGIN_EVERY[0])
    while time.time() < deadline:
        kind = RNG.choices(names, weights)[0]
        if kind == "POST /upload" and time.time() < rush_until:
            # Uploads keep their pace in the rush: more streamed bodies at once than half the
            # worker threads (ServerOptions::max_streaming_bodies) are shed with 503 by design.
            time.sleep(RNG.uniform(0, 0.05))
            continue
        if time.time() >= next_login:
            kind = "POST /api/login"
            next_login = time.time() + RNG.uniform(*LOGIN_EVERY)
        if kind == "burst":
            # One attacker, on its own address, bursts at a time: the login limit must answer it
            # 429 before any hashing. Several bursts at once from one address would be a flood
            # that the hashing pool sheds with 503 by design (bench/macro/login_flood.py).
            if not BURSTING.acquire(blocking=False):
                continue
            try:
                burst(port, stats, t0)
            finally:
                BURSTING.release()
            continue
        method, path = kind.split(" ", 1)
        body, headers = None, {}
        if kind == "GET /api/protected":
            headers = bearer
        elif kind == "GET /api/data":
            headers = {"X-API-Key": api_key}
        elif kind == "POST /comment":
            body = f"comment=soak+{RNG.randrange(10**9)}&csrf_token={setup['csrf_quoted']}"
            headers = dict(cookie, **{"Content-Type": "application/x-www-form-urlencoded"})
        elif kind == "POST /api/login":
            body = json.dumps({"username": measure.BENCH_USER, "password": measure.BENCH_PASSWORD})
            headers = {"Content-Type": "application/json"}
        elif kind == "POST /upload":
            body, ctype = multipart({"csrf_token": setup["csrf"]}, png)
            headers = dict(cookie, **{"Content-Type": ctype})
        do(port, stats, t0, kind, method, path, body, headers, source)
        if time.time() >= rush_until:
            time.sleep(RNG.uniform(0, 0.05))


def burst(port, stats, t0):
    for _ in range(12):
        do(port, stats, t0, "burst", "POST", "/api/login",
           json.dumps({"username": "nobody_" + str(RNG.randrange(10**6)), "password": "wrong-password-1"}),
           {"Content-Type": "application/json"}, ATTACKER)


def do(port, stats, t0, kind, method, path, body, headers, source):
    login = path == "/api/login"
    if login:
        stats.login_started()
    started = time.time()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        stats.record(kind, response.status, started, time.time() - started, t0)
    except (OSError, http.client.HTTPException) as e:
        stats.fail(kind, type(e).__name__)
    finally:
        conn.close()
        if login:
            stats.login_ended()


class SlowLoris(threading.Thread):
    """COUNT connections that send a request line and then one header line every 2 s, forever;
    any the server closes is opened again while the phase lasts."""

    def __init__(self, port, count, start_at, stop_at):
        super().__init__(daemon=True)
        self.port, self.count, self.start_at, self.stop_at = port, count, start_at, stop_at
        self.opened = self.dropped = self.peak_open = 0

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5, source_address=(LORIS_SOURCE, 0))
        s.setblocking(False)
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.opened += 1
        return s

    def run(self):
        while time.time() < self.start_at:
            time.sleep(0.2)
        socks = []
        while time.time() < self.stop_at:
            while len(socks) < self.count and time.time() < self.stop_at:
                try:
                    socks.append(self.connect())
                except OSError:
                    time.sleep(0.05)
                    break
            self.peak_open = max(self.peak_open, len(socks))
            alive = []
            for s in socks:
                try:
                    s.send(b"X-Trickle: a\r\n")
                    alive.append(s)
                except (BlockingIOError, InterruptedError):
                    alive.append(s)
                except OSError:
                    self.dropped += 1
                    s.close()
            socks = alive
            time.sleep(2)
        for s in socks:
            s.close()


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def fd_targets(pid):
    """What each open descriptor points at (socket:[...], a file path), for the leak report."""
    targets = {}
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                targets[fd] = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                pass
    except OSError:
        pass
    return targets


def db_connections(targets):
    """SQLite connections open, from the descriptors of the database file itself."""
    return sum(1 for t in targets.values() if os.path.basename(t) == "bulwark.db")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def p99(values):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bulwark", required=True, help="the bulwark command")
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--slowloris", type=int, default=500)
    parser.add_argument("--port", type=int, default=18280)
    args = parser.parse_args()
    signal.signal(signal.SIGINT, measure.on_signal)
    signal.signal(signal.SIGTERM, measure.on_signal)
    work = tempfile.mkdtemp(prefix="bulwark-soak-")
    instance = os.path.join(work, "instance")
    # The login limit is the contract's (5 per minute per address); only the API key's data quota
    # is raised, as the clients share one key.
    env = dict(os.environ, API_DATA_RATE_LIMIT="100000 per hour")
    env.pop("BULWARK_ENV", None)
    env.pop("BULWARK_LOGIN_RATE_LIMIT", None)
    checks = []

    def check(name, ok, detail):
        checks.append(ok)
        print(f"soak: {'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)

    try:
        api_key = measure.bulwark_api_key(args.bulwark, instance, env)
        log = open(os.path.join(work, "server.log"), "w")
        proc = subprocess.Popen([args.bulwark, "serve", "--port", str(args.port), "--instance", instance],
                                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        measure.running_groups.append(proc.pid)
        if measure.wait_until_serving(args.port, "/", proc.pid, 60) is None:
            check("start", False, "the server did not start")
            return 1
        setup = measure.prepare_accounts(args.port)
        setup["csrf_quoted"] = __import__("urllib.parse").parse.quote(setup["csrf"], safe="")
        png_path = os.path.join(work, "small.png")
        measure.make_upload_file(png_path, 16 * 1024)
        png = open(png_path, "rb").read()

        stats = Stats()
        t0 = time.time()
        deadline = t0 + args.seconds
        # Warm-up: 15% of the run (at least 30 s, at most a quarter). In it, the server sees the
        # load's peak: a slow-loris wave as large as the later phase, and the clients without think
        # time, so the SQLite pool and the caches grow to what the load makes them before the
        # baseline is taken; the wave ends early enough for its connections to be gone by then.
        warmup = max(0.15 * args.seconds, min(30.0, 0.25 * args.seconds))
        wave_end = warmup - max(3.0, warmup / 3)
        rush_until = t0 + min(wave_end, 20.0)
        wave = SlowLoris(args.port, args.slowloris, t0 + 2, t0 + wave_end)
        wave.start()
        loris = SlowLoris(args.port, args.slowloris, t0 + 0.4 * args.seconds, t0 + 0.7 * args.seconds)
        loris.start()
        threads = [threading.Thread(target=client_loop, daemon=True,
                                    args=(client_address(i), args.port, setup, api_key, png, stats, t0, deadline,
                                          rush_until))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        rss = []  # (t, KiB)
        fds_after_warmup = None
        targets_after_warmup = {}
        while time.time() < deadline:
            now = time.time() - t0
            rss.append((now, rss_kib(proc.pid)))
            if fds_after_warmup is None and now >= warmup:
                fds_after_warmup = fd_count(proc.pid)
                targets_after_warmup = fd_targets(proc.pid)
                print(f"soak: after warm-up ({warmup:.0f} s, with a first wave of {wave.peak_open} slow-loris "
                      f"connections and {rush_until - t0:.0f} s of clients without think time): "
                      f"{fds_after_warmup} fds ({db_connections(targets_after_warmup)} SQLite connections), "
                      f"{(rss_kib(proc.pid) or 0) / 1024:.1f} MiB RSS", flush=True)
            if proc.poll() is not None:
                break
            time.sleep(1)
        for t in threads:
            t.join(timeout=60)
        wave.join(timeout=10)
        loris.join(timeout=10)
        time.sleep(3)  # let the server close what the clients closed
        alive = proc.poll() is None
        fds_end, rss_end = fd_count(proc.pid), rss_kib(proc.pid)

        total = sum(stats.statuses.values())
        server_errors = {s: n for s, n in stats.statuses.items() if s >= 500}
        print(f"soak: {total} answers in {args.seconds} s by status {dict(sorted(stats.statuses.items()))}; "
              f"unanswered {stats.failures or 0}", flush=True)
        for kind in sorted(stats.by_kind):
            print(f"soak:   {kind}: {dict(sorted(stats.by_kind[kind].items()))}", flush=True)
        check("no 5xx", not server_errors,
              f"{sum(server_errors.values())} answers 5xx {server_errors}, by request {stats.server_errors}"
              + (f"; up to {stats.logins_in_flight_at_5xx} logins under way at a 5xx; at "
                 + ", ".join(f"{t:.0f}" for t in sorted(stats.server_error_times)[:20]) + " s"
                 if server_errors else ""))
        check("every ordinary request answered", not stats.failures, f"{sum(stats.failures.values())} not answered")
        check("no crash", alive, "the server is alive at the end" if alive else f"exited with {proc.returncode}")
        logins = stats.by_kind.get("POST /api/login", {})
        check("ordinary logins answered 200", bool(logins) and set(logins) == {200},
              f"{sum(logins.values())} logins, each client under 5 a minute from its own address: {logins}")
        bursts = stats.by_kind.get("burst", {})
        check("bursts hit the login limit", bursts.get(429, 0) > 0 and set(bursts) <= {401, 429},
              f"{bursts.get(429, 0)} answers 429 and {bursts.get(401, 0)} x 401 (hashed, within the limit) "
              f"to the attacker's wrong logins: {bursts}")
        # Argon2id takes its memory for each password hash and gives it back, so single samples
        # jump; the medians of a window after the warm-up and of the last fifth are compared.
        lo, hi = 0.4 * args.seconds, 0.7 * args.seconds
        early = [k for t, k in rss if k and warmup <= t < lo]
        late = [k for t, k in rss if k and t >= 0.8 * args.seconds]
        if early and late:
            base = statistics.median(early)
            growth = statistics.median(late) / base - 1
            after_warmup = [k for t, k in rss if k and t >= warmup]
            peak = max(after_warmup)
            check("RSS flat after warm-up", growth <= 0.10,
                  f"baseline {base / 1024:.1f} MiB (median from {warmup:.0f} s, after the warm-up that showed "
                  f"the server the load's peak), {statistics.median(late) / 1024:.1f} MiB over the last fifth "
                  f"({growth:+.1%}), peak {peak / 1024:.1f} MiB ({peak / base - 1:+.1%}: a sample with "
                  f"Argon2id's 19 MiB per hash in flight), "
                  f"{rss_end / 1024 if rss_end else 0:.1f} MiB idle at the end "
                  f"({(rss_end or 0) / base - 1:+.1%})")
            # Not a check: a step taken during the slow-loris phase (buffers the allocator keeps)
            # looks different from a steady climb; the medians of each tenth show which one it is.
            tenths = []
            for i in range(10):
                window = [k for t, k in rss if k and i * args.seconds / 10 <= t < (i + 1) * args.seconds / 10]
                tenths.append(f"{statistics.median(window) / 1024:.1f}" if window else "-")
            print(f"soak: RSS median by tenth of the run (MiB): {' '.join(tenths)} "
                  f"(slow-loris in tenths 5-7)", flush=True)
        if fds_after_warmup is not None and fds_end is not None:
            # The SQLite pool opens connections on demand, up to its limit (8, two descriptors
            # each: the file and its WAL), so descriptors of the database files are pool growth,
            # bounded, and are counted apart; any other new descriptor is a leak.
            end_targets = fd_targets(proc.pid)
            added = [t for fd, t in end_targets.items() if targets_after_warmup.get(fd) != t]
            database = [t for t in added if os.path.basename(t).startswith("bulwark.db")]
            others = len(added) - len(database)
            db_total = sum(1 for t in end_targets.values() if os.path.basename(t).startswith("bulwark.db"))
            # Each pooled connection holds the database file and its WAL; the -shm file is opened
            # once per process, whatever the pool's size.
            db_limit = 2 * DB_POOL_LIMIT + 1
            check("no fd leak", others <= 2 and db_total <= db_limit,
                  f"{fds_after_warmup} fds after warm-up, {fds_end} after the load: {others} new besides the "
                  f"database pool, which holds {db_total} (at most {db_limit}; "
                  f"{db_connections(targets_after_warmup)} -> {db_connections(end_targets)} connections)")
            if added:
                kinds = {}
                for t in added:
                    kind = "socket" if t.startswith("socket:") else t
                    kinds[kind] = kinds.get(kind, 0) + 1
                print(f"soak: descriptors opened since the warm-up and still open: {kinds}", flush=True)
        ordinary = ("GET /", "GET /comments", "GET /login", "GET /api/protected", "GET /api/data")
        before = [e for t, e, k in stats.latencies if warmup <= t < lo and k in ordinary]
        during = [e for t, e, k in stats.latencies if lo + 2 <= t < hi and k in ordinary]
        pb, pd = p99(before), p99(during)
        bound = max(2.0, 5 * pb) if pb else 2.0
        def ms(v):
            return "n/a" if v is None else f"{v * 1000:.1f} ms"

        check("slow-loris does not stop ordinary clients", bool(during) and pd is not None and pd <= bound,
              f"{loris.peak_open} slow connections open at once ({loris.opened} opened, {loris.dropped} dropped by "
              f"the server); ordinary p99 {ms(pb)} before ({len(before)} requests), {ms(pd)} during "
              f"({len(during)} requests), bound {bound * 1000:.0f} ms; median during "
              f"{ms(statistics.median(during) if during else None)}")
        if alive:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=15)
                check("clean stop", code == 0, f"exit status {code} on SIGTERM")
            except subprocess.TimeoutExpired:
                check("clean stop", False, "still running 15 s after SIGTERM")
        return 0 if all(checks) else 1
    finally:
        measure.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
