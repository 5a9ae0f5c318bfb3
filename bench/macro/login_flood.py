#!/usr/bin/python3
"""Login flood (issue 3): does a flood of password checks starve the other pages?

For each server (the Bulwark reference app under `bulwark serve`, then the Flask peer), in one
run: start it pinned to one core, measure GET / with wrk alone (idle), then again while FLOOD
client threads hammer POST /api/login with wrong passwords (the "flood"), and report both p99s
and their ratio (target for Bulwark: flood p99 <= 3x idle p99).

The per-address login limit (5 per minute) is raised for the flood on both servers
(BULWARK_LOGIN_RATE_LIMIT / LOGIN_RATE_LIMIT), or the flood would be answered by 429s without
hashing anything. Every attempt names a different unknown user, so Bulwark's per-account lock
never triggers either and every attempt costs one (dummy) hash on both servers.

The flood's own client is light: a few Python threads with keep-alive http.client, pinned with
wrk to the client core. Loopback only; every phase is bounded (wrk -d, the flood stops with it);
servers are stopped by process group at the end and on SIGINT/SIGTERM (measure.py's helpers).

    /usr/bin/python3 bench/macro/login_flood.py --build build/bench --flask ../shared/peers/flask-ref
"""
import argparse
import collections
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402  (stop_all, running_groups, wait_until_serving, run_wrk)


class Flood:
    """`clients` threads POSTing /api/login with wrong passwords until stop()."""

    def __init__(self, port, clients):
        self.port = port
        self.stopping = threading.Event()
        self.counts = collections.Counter()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(clients)]
        self.started = None
        self.elapsed = None

    def start(self):
        self.started = time.time()
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=15)
        self.elapsed = time.time() - self.started

    def run(self, index):
        conn = None
        n = 0
        while not self.stopping.is_set():
            n += 1
            body = json.dumps({"username": f"flood{index}x{n}", "password": "wrong password, flood"})
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("POST", "/api/login", body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status = "error"
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.05)
            with self.lock:
                self.counts[status] += 1
        if conn is not None:
            conn.close()


def start_server(args, name, cmd, port, env, cwd=None, start_seconds=60):
    log = open(os.path.join(args.workdir, f"{name}.log"), "w")
    proc = subprocess.Popen(["taskset", "-c", str(args.server_cpu)] + cmd, stdout=log, stderr=log,
                            env=env, cwd=cwd, start_new_session=True)
    measure.running_groups.append(proc.pid)
    if measure.wait_until_serving(port, "/", proc.pid, start_seconds) is None:
        print(f"login_flood: {name} did not start; see {log.name}", file=sys.stderr)
        log.close()
        return None
    return proc


def one_server(args, name, cmd, port, env, cwd=None, start_seconds=60):
    row = {"server": name}
    proc = start_server(args, name, cmd, port, env, cwd, start_seconds)
    if proc is None:
        row["failed"] = True
        measure.stop_all()
        return row
    try:
        url = f"http://127.0.0.1:{port}/"
        measure.run_wrk(args, url, args.warmup)
        row["idle"] = measure.run_wrk(args, url, args.seconds)
        flood = Flood(port, args.flood)
        flood.start()
        time.sleep(args.flood_ramp)  # let the flood fill the hashing queue first
        row["flood"] = measure.run_wrk(args, url, args.seconds)
        flood.stop()
        row["flood_responses"] = {str(k): v for k, v in sorted(flood.counts.items(), key=str)}
        row["flood_rps"] = sum(flood.counts.values()) / flood.elapsed if flood.elapsed else 0
        idle, loaded = row["idle"]["p99_us"], row["flood"]["p99_us"]
        row["p99_ratio"] = loaded / idle if idle and loaded else None
        print(f"login_flood: {name}: GET / idle {row['idle']['rps']:.0f} req/s p99 {idle} us; under flood "
              f"{row['flood']['rps']:.0f} req/s p99 {loaded} us (x{row['p99_ratio'] or 0:.2f}), "
              f"non-2xx {row['flood']['non2xx']}, errors {row['flood']['errors']}; flood "
              f"{row['flood_rps']:.1f} logins/s {row['flood_responses']}", file=sys.stderr)
        return row
    finally:
        measure.stop_all()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", help="the Release build tree (tools/bulwark/bulwark)")
    parser.add_argument("--bulwark", help="the bulwark command itself (instead of --build)")
    parser.add_argument("--flask", required=True, help="the flask-ref peer folder")
    parser.add_argument("--out", help="JSON results")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--flood", type=int, default=32, help="flood client threads")
    parser.add_argument("--flood-ramp", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for GET /")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--base-port", type=int, default=18280)
    parser.add_argument("--skip", action="append", default=[], help="bulwark or flask")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, measure.on_signal)
    signal.signal(signal.SIGTERM, measure.on_signal)
    os.sched_setaffinity(0, {args.client_cpu})  # the flood threads share wrk's core
    args.workdir = tempfile.mkdtemp(prefix="bulwark-login-flood-")
    rows = []
    port = args.base_port
    unlimited = "1000000 per minute"
    try:
        if "bulwark" not in args.skip:
            env = dict(os.environ, BULWARK_LOGIN_RATE_LIMIT=unlimited)
            env.pop("BULWARK_ENV", None)
            env.pop("REDIS_URL", None)
            binary = args.bulwark or f"{args.build}/tools/bulwark/bulwark"
            rows.append(one_server(args, "bulwark", [binary, "serve", "--port",
                                                     str(port), "--instance",
                                                     os.path.join(args.workdir, "bulwark-instance")], port, env))
        port += 1
        if "flask" not in args.skip:
            peer = os.path.join(args.workdir, "flask-ref")
            shutil.copytree(args.flask, peer)
            env = dict(os.environ, PORT=str(port), INSTANCE_DIR=os.path.join(args.workdir, "flask-instance"),
                       WORKERS="2", THREADS="1", LOGIN_RATE_LIMIT=unlimited)
            env.pop("BULWARK_ENV", None)
            env.pop("REDIS_URL", None)
            rows.append(one_server(args, "flask", ["sh", os.path.join(peer, "run.sh")], port, env, cwd=peer,
                                   start_seconds=120))
    finally:
        measure.stop_all()
        for folder, dirs, _ in os.walk(args.workdir):
            for d in dirs:
                os.chmod(os.path.join(folder, d), 0o755)
        shutil.rmtree(args.workdir, ignore_errors=True)
    result = {"meta": {"seconds": args.seconds, "flood_clients": args.flood, "connections": args.connections,
                       "server_cpu": args.server_cpu, "client_cpu": args.client_cpu,
                       "login_rate_limit": unlimited}, "rows": rows}
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
