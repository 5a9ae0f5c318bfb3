#!/usr/bin/python3
"""Stream one big multipart upload into `bulwark serve`, into the machine-limit server and into
the Flask peer; report MB/s, the server's CPU per upload and its peak RSS (VmHWM) for each.

    /usr/bin/python3 bench/upload/upload_1g.py --build build/release --limit \
        --flask ../shared/peers/flask-ref --flask-patched --rounds 3

For each server: start it in a session of its own on a fresh instance folder, register and log in
through its forms (CSRF token included), then POST /upload a multipart body of `--size` bytes of
text (`big.txt`, accepted by both servers' extension + content checks) with the csrf_token field
first, sent with Content-Length from one reused 1 MiB buffer (the sender never holds the body).
MB/s = body bytes / (first body byte sent .. response read). Peak RSS = the largest VmHWM of the
server's processes (for gunicorn: the master and its workers, each counted alone). CPU = utime +
stime of the server's processes (/proc/<pid>/stat, all threads) read just before and just after
the upload (login and start-up excluded).

--limit adds the machine-limit server (`bench_upload --limit-server`, bench/upload/limit_server.cpp:
recv into a 1 MiB buffer, write(2) to a file, fsync, 201; no parsing): what the kernel alone costs,
the floor for "CPU per upload". --rounds N runs every server N times interleaved (A, B, C, A, B, C
...) and prints, per server, the median and the spread (min..max), since a loaded machine makes
single runs noise.

Flask's MAX_CONTENT_LENGTH is a constant in app.py (16 MiB, no setting): the peer is measured
as it ships with a body just under 16 MiB (`--flask-size`, MB/s comparable, RSS not), and,
with --flask-patched, also on a temporary copy whose constant is raised to fit `--size`.

Loopback only; every server is killed at the end (and on SIGINT/SIGTERM); each upload is
bounded by --timeout seconds; the instance folders are deleted.
"""
import argparse
import http.cookiejar
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
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "macro"))
import measure as harness  # noqa: E402  (stop_all, running_groups, on_signal, session_pids)

PASSWORD = "correct horse battery staple 42"
USER = "benchuser1"


def peak_rss_kib(sid):
    """The largest VmHWM among the session's processes (each process counted alone)."""
    best = 0
    for pid in harness.session_pids(sid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        best = max(best, int(line.split()[1]))
        except OSError:
            pass
    return best


def cpu_user_sys(sid):
    """utime and stime, in seconds, of the session's processes (all their threads)."""
    return harness.session_cpu_user_sys(sid)


def wait_until_serving(port, proc, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def log_in(port):
    """Register and log in through the forms; returns (Cookie header, csrf token for /upload)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    base = f"http://127.0.0.1:{port}"

    def token(path):
        with opener.open(base + path, timeout=10) as r:
            m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', r.read().decode())
            if not m:
                raise RuntimeError(f"no csrf_token in {path}")
            return m.group(1)

    def post(path, fields):
        data = urllib.parse.urlencode(fields).encode()
        try:
            with opener.open(base + path, data=data, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            if e.code >= 400:
                print(f"bench: {path} answered {e.code}: {e.read()[:300]!r}", file=sys.stderr)
            return e.code

    status = post("/register", {"username": USER, "email": "bench@example.com", "password": PASSWORD,
                                "age": "30", "csrf_token": token("/register")})
    if status not in (303, 302):
        raise RuntimeError(f"register answered {status}")
    status = post("/login", {"username": USER, "password": PASSWORD, "csrf_token": token("/login")})
    if status not in (303, 302):
        raise RuntimeError(f"login answered {status}")
    csrf = token("/")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, csrf


def upload(port, cookie, csrf, size, timeout):
    """POST /upload with `size` bytes of file content; returns (status, seconds, body)."""
    boundary = "bulwark-bench-" + os.urandom(8).hex()
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    line = b"All work and no play makes a dull upload benchmark.\n"
    block = (line * (1024 * 1024 // len(line) + 1))[:1024 * 1024]
    request = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {len(head) + size + len(tail)}\r\nConnection: close\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    deadline = time.time() + timeout
    sock.sendall(request)
    start = time.perf_counter()
    sock.sendall(head)
    view = memoryview(block)
    left = size
    try:
        while left > 0:
            if time.time() > deadline:
                raise TimeoutError("upload took longer than --timeout")
            n = min(left, len(block))
            sock.sendall(view[:n])
            left -= n
        sock.sendall(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered early (413, 400): read what it said
    reply = b""
    while time.time() < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        reply += chunk
    seconds = time.perf_counter() - start
    sock.close()
    status = int(reply[9:12]) if reply.startswith(b"HTTP/1.") else 0
    return status, seconds, reply.split(b"\r\n\r\n", 1)[-1][:300].decode(errors="replace")


def measure(name, cmd, port, size, args, env=None, cwd=None, start_seconds=60, login=True):
    log_path = os.path.join(args.workdir, re.sub(r"\W+", "-", name) + ".log")
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env, cwd=cwd, start_new_session=True)
    harness.running_groups.append(proc.pid)
    row = {"server": name, "body_bytes": size}
    try:
        if not wait_until_serving(port, proc, start_seconds):
            print(f"bench: {name} did not start; see {log_path}", file=sys.stderr)
            row["failed"] = "did not start"
            return row
        cookie, csrf = log_in(port) if login else ("", "none")
        row["rss_before_kib"] = peak_rss_kib(proc.pid)
        user_before, sys_before = cpu_user_sys(proc.pid)
        status, seconds, body = upload(port, cookie, csrf, size, args.timeout)
        user_after, sys_after = cpu_user_sys(proc.pid)
        user_ms, sys_ms = (user_after - user_before) * 1000, (sys_after - sys_before) * 1000
        cpu_ms = user_ms + sys_ms
        row.update(status=status, seconds=round(seconds, 3), mb_per_s=round(size / seconds / 1e6, 1),
                   cpu_ms=round(cpu_ms), cpu_ms_per_100mib=round(cpu_ms * 100 * 2**20 / size, 1),
                   user_ms_per_100mib=round(user_ms * 100 * 2**20 / size, 1),
                   sys_ms_per_100mib=round(sys_ms * 100 * 2**20 / size, 1),
                   peak_rss_kib=peak_rss_kib(proc.pid), reply=body)
        print(f"bench: {name}: {size / 2**20:.0f} MiB -> {status} in {seconds:.2f} s = "
              f"{row['mb_per_s']} MB/s, CPU {row['cpu_ms']} ms ({row['cpu_ms_per_100mib']} ms per 100 MiB: "
              f"user {row['user_ms_per_100mib']}, sys {row['sys_ms_per_100mib']}), "
              f"peak RSS {row['peak_rss_kib'] / 1024:.1f} MiB "
              f"(before the upload {row['rss_before_kib'] / 1024:.1f} MiB)", file=sys.stderr)
        if status != 201:
            print(f"bench: {name} answered {status}: {body}", file=sys.stderr)
        return row
    finally:
        harness.stop_all()
        log.close()


def run_round(args, round_index):
    """One run of every server, each on a fresh folder deleted after it (1 GiB files add up)."""
    rows = []
    port = args.base_port + 10 * round_index
    limit = args.size + 1024 * 1024  # the file plus the form's framing
    env = dict(os.environ, MAX_CONTENT_LENGTH=str(limit))
    env.pop("BULWARK_ENV", None)
    binaries = [("bulwark serve", os.path.join(args.build, "tools/bulwark/bulwark"))]
    if args.baseline_bin:
        binaries.append((f"bulwark serve ({args.baseline_bin})", args.baseline_bin))
    for name, binary in binaries:
        port += 1
        instance = os.path.join(args.workdir, f"bulwark-instance-{round_index}")
        rows.append(measure(name, [binary, "serve", "--port", str(port), "--instance", instance],
                            port, args.size, args, env=env))
        shutil.rmtree(instance, ignore_errors=True)
    if args.limit:
        port += 1
        folder = os.path.join(args.workdir, f"limit-{round_index}")
        os.makedirs(folder)
        rows.append(measure("limit server (recv + write + fsync)",
                            [os.path.join(args.build, "bench/bench_upload"), "--limit-server",
                             "--port", str(port), "--dir", folder],
                            port, args.size, args, login=False))
        shutil.rmtree(folder, ignore_errors=True)
    if args.flask:
        runs = [("Flask peer as shipped (gunicorn, 2 sync workers)", args.flask_size, None)]
        if args.flask_patched:
            runs.append(("Flask peer, copy with MAX_UPLOAD raised", args.size, limit))
        for name, size, raised in runs:
            port += 1
            peer = os.path.join(args.workdir, f"flask-ref-{port}")
            shutil.copytree(args.flask, peer)
            for folder, dirs, files in os.walk(peer):
                os.chmod(folder, 0o755)
                for f in files:
                    os.chmod(os.path.join(folder, f), 0o644)
            if raised:
                app = os.path.join(peer, "app.py")
                text = open(app).read()
                text, n = re.subn(r"^MAX_UPLOAD = .*$", f"MAX_UPLOAD = {raised}", text, count=1, flags=re.M)
                if n != 1:
                    raise RuntimeError("MAX_UPLOAD not found in the peer's app.py")
                open(app, "w").write(text)
            penv = dict(os.environ, PORT=str(port), INSTANCE_DIR=os.path.join(peer, "instance"),
                        WORKERS="2", THREADS="1", TIMEOUT=str(args.timeout))
            penv.pop("BULWARK_ENV", None)
            rows.append(measure(name, ["sh", os.path.join(peer, "run.sh")], port, size, args,
                                env=penv, cwd=peer, start_seconds=120))
            shutil.rmtree(peer, ignore_errors=True)
    return rows


def summarize(rows):
    """Per server: median and spread of MB/s and CPU per 100 MiB over the rounds, worst peak RSS."""
    names = []
    for row in rows:
        if row["server"] not in names:
            names.append(row["server"])
    for name in names:
        done = [r for r in rows if r["server"] == name and r.get("status") in (200, 201)]
        if not done:
            print(f"summary: {name}: no successful run", file=sys.stderr)
            continue
        speed = sorted(r["mb_per_s"] for r in done)
        cpu = sorted(r["cpu_ms_per_100mib"] for r in done)
        user = sorted(r["user_ms_per_100mib"] for r in done)
        rss = max(r["peak_rss_kib"] for r in done) / 1024
        print(f"summary: {name}: {len(done)} runs of {done[0]['body_bytes'] / 2**20:.0f} MiB: "
              f"{statistics.median(speed):.0f} MB/s ({speed[0]:.0f}..{speed[-1]:.0f}), CPU "
              f"{statistics.median(cpu):.1f} ms per 100 MiB ({cpu[0]:.1f}..{cpu[-1]:.1f}; user "
              f"{statistics.median(user):.1f}, {user[0]:.1f}..{user[-1]:.1f}), "
              f"peak RSS {rss:.1f} MiB", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True, help="a Release build tree with tools/bulwark/bulwark")
    parser.add_argument("--flask", help="the flask-ref peer folder (omit to skip the peer)")
    parser.add_argument("--size", type=int, default=1 << 30, help="file bytes (default 1 GiB)")
    parser.add_argument("--flask-size", type=int, default=16 * 1024 * 1024 - 4096,
                        help="file bytes for the peer as shipped (its limit is 16 MiB)")
    parser.add_argument("--flask-patched", action="store_true",
                        help="also run a copy of the peer with MAX_UPLOAD raised to fit --size")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per upload")
    parser.add_argument("--base-port", type=int, default=18280)
    parser.add_argument("--out", help="write the rows as JSON here")
    parser.add_argument("--limit", action="store_true",
                        help="also run the machine-limit server (bench_upload --limit-server from --build)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved runs of every server")
    parser.add_argument("--baseline-bin", help="another `bulwark` binary (e.g. before a change) run in every round too")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, harness.on_signal)
    signal.signal(signal.SIGTERM, harness.on_signal)
    args.workdir = tempfile.mkdtemp(prefix="bulwark-upload-bench-")
    rows = []
    try:
        for round_index in range(args.rounds):
            rows.extend(run_round(args, round_index))
    finally:
        harness.stop_all()
        shutil.rmtree(args.workdir, ignore_errors=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    print(json.dumps(rows, indent=1))
    summarize(rows)


if __name__ == "__main__":
    main()
