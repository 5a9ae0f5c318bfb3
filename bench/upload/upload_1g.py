#!/usr/bin/python3
"""Stream one big multipart upload into `bulwark serve` and into the Flask peer; report MB/s and
the server's peak RSS (VmHWM) for each.

    /usr/bin/python3 bench/upload/upload_1g.py --build build/release --flask ../shared/peers/flask-ref

For each server: start it in a session of its own on a fresh instance folder, register and log in
through its forms (CSRF token included), then POST /upload a multipart body of `--size` bytes of
text (`big.txt`, accepted by both servers' extension + content checks) with the csrf_token field
first, sent with Content-Length from one reused 1 MiB buffer (the sender never holds the body).
MB/s = body bytes / (first body byte sent .. response read). Peak RSS = the largest VmHWM of the
server's processes (for gunicorn: the master and its workers, each counted alone).

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


def measure(name, cmd, port, size, args, env=None, cwd=None, start_seconds=60):
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
        cookie, csrf = log_in(port)
        row["rss_before_kib"] = peak_rss_kib(proc.pid)
        status, seconds, body = upload(port, cookie, csrf, size, args.timeout)
        row.update(status=status, seconds=round(seconds, 3), mb_per_s=round(size / seconds / 1e6, 1),
                   peak_rss_kib=peak_rss_kib(proc.pid), reply=body)
        print(f"bench: {name}: {size / 2**20:.0f} MiB -> {status} in {seconds:.2f} s = "
              f"{row['mb_per_s']} MB/s, peak RSS {row['peak_rss_kib'] / 1024:.1f} MiB "
              f"(before the upload {row['rss_before_kib'] / 1024:.1f} MiB)", file=sys.stderr)
        if status != 201:
            print(f"bench: {name} answered {status}: {body}", file=sys.stderr)
        return row
    finally:
        harness.stop_all()
        log.close()


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
    args = parser.parse_args()
    signal.signal(signal.SIGINT, harness.on_signal)
    signal.signal(signal.SIGTERM, harness.on_signal)
    args.workdir = tempfile.mkdtemp(prefix="bulwark-upload-bench-")
    rows = []
    try:
        port = args.base_port
        limit = args.size + 1024 * 1024  # the file plus the form's framing
        env = dict(os.environ, MAX_CONTENT_LENGTH=str(limit))
        env.pop("BULWARK_ENV", None)
        rows.append(measure("bulwark serve", [os.path.join(args.build, "tools/bulwark/bulwark"), "serve",
                                              "--port", str(port), "--instance",
                                              os.path.join(args.workdir, "bulwark-instance")],
                            port, args.size, args, env=env))
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
    finally:
        harness.stop_all()
        shutil.rmtree(args.workdir, ignore_errors=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
