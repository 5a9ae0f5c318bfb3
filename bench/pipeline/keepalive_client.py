# keepalive_client.py PORT N [CONNS]: sends exactly N keep-alive GET /hello over CONNS connections
# (one request in flight on each, round robin) and reads every response whole; used by
# instructions.sh to count the server's instructions for a fixed number of requests.
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 1
req = (b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n" % port)
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(conns)]
for s in socks: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def read_one(s, buf):
    while True:
        i = buf.find(b"\r\n\r\n")
        if i >= 0:
            head = buf[:i].decode("latin1").lower()
            cl = 0
            for line in head.split("\r\n"):
                if line.startswith("content-length:"): cl = int(line.split(":")[1])
            total = i + 4 + cl
            while len(buf) < total:
                buf += s.recv(65536)
            return buf[:total], buf[total:]
        d = s.recv(65536)
        if not d: raise SystemExit("closed")
        buf += d
bufs = [b""] * conns
sent = 0; size = 0
# keep all connections busy: one in flight each
for k, s in enumerate(socks):
    if sent < n: s.sendall(req); sent += 1
done = 0
while done < n:
    for k, s in enumerate(socks):
        if done >= n: break
        r, bufs[k] = read_one(s, bufs[k]); done += 1; size = len(r)
        if sent < n: s.sendall(req); sent += 1
print("responses", done, "last size", size)
