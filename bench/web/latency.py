#!/usr/bin/python3
"""Page latency of the web face under N concurrent clients (default 100):
each client a thread with its own keep-alive connection, GETting a page
in a loop for a few seconds; prints p50 / p99 / max and requests per second.

    bench/web/latency.py http://127.0.0.1:8025/ [--clients 100] [--seconds 5]
"""
import argparse
import http.client
import statistics
import threading
import time
import urllib.parse


def client(url, until, out, errors):
    u = urllib.parse.urlsplit(url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    conn = None
    while time.monotonic() < until:
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            t0 = time.perf_counter()
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            out.append(time.perf_counter() - t0)
            if r.status != 200:
                errors.append(r.status)
        except (OSError, http.client.HTTPException) as e:
            errors.append(str(e))
            conn = None
            time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    until = time.monotonic() + a.seconds
    out, errors = [], []
    threads = [threading.Thread(target=client, args=(a.url, until, out, errors)) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.sort()
    q = statistics.quantiles(out, n=100)
    print(f"{a.url} clients={a.clients} requests={len(out)} rps={len(out) / a.seconds:.0f} "
          f"p50={q[49] * 1000:.1f}ms p99={q[98] * 1000:.1f}ms max={out[-1] * 1000:.1f}ms errors={len(errors)}")


if __name__ == "__main__":
    main()
