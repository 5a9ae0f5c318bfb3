#!/usr/bin/env python3
"""Python's sqlite3 module on the queries of bench_db (same schema, WAL, synchronous=NORMAL).

Prints operations per CPU-second of this process (Google Benchmark items_per_second is CPU time too) for point selects and inserts; compare with
BM_sqlite_bulwark_point_select / BM_sqlite_bulwark_insert items_per_second.
"""
import os
import sqlite3
import tempfile
import time

ROWS = 10000
SECONDS = 2.0


def rate(fn):
    n, start = 0, time.process_time()
    while True:
        for _ in range(1000):
            fn(n)
            n += 1
        elapsed = time.process_time() - start
        if elapsed >= SECONDS:
            return n / elapsed


def main():
    path = os.path.join(tempfile.gettempdir(), f"bulwark_bench_py_{os.getpid()}.db")
    db = sqlite3.connect(path, isolation_level=None)  # autocommit, like Bulwark's execute
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"):
        db.execute(pragma)
    db.execute("CREATE TABLE kv (id BIGINT PRIMARY KEY, v TEXT NOT NULL)")
    db.execute("CREATE TABLE ins (id BIGINT, v TEXT NOT NULL)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO kv (id, v) VALUES (?, ?)", ((i, f"value-{i}") for i in range(ROWS)))
    db.execute("COMMIT")

    select = rate(lambda i: db.execute("SELECT v FROM kv WHERE id = ?", (i % ROWS,)).fetchone()[0])
    insert = rate(lambda i: db.execute("INSERT INTO ins (id, v) VALUES (?, ?)", (i, "inserted-value")))
    print(f"python_sqlite3_point_select {select:,.0f} ops/s")
    print(f"python_sqlite3_insert       {insert:,.0f} ops/s")
    db.close()
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
