#!/usr/bin/python3
"""Content scanning's cost (issue 13): latency of the reply to the final dot
(p50, p99) for 10 KB and 1 MB messages, and throughput with 20 sessions,
with scanning on (a real clamd and rspamd, started here offline) and off.

    unshare --net sh -c 'ip link set lo up; /usr/bin/python3 bench/scan.py build/holdfast'

Options: --count N (messages per latency run, default 200), --seconds S
(throughput run length, default 20), --sessions N (default 20). Prints a
table and writes JSON to --out (default bench/results/scan.json)."""
import argparse
import json
import os
import pathlib
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "integration" / "lib"))
from scanners import Clamd, Rspamd  # noqa: E402

PORT = 2590


def config(scan, clamd, rspamd):
    return f"""
[server]
hostname = "mx.bench.test"
spool = "spool"
[relay]
networks = ["127.0.0.1/32"]
[[listen]]
address = "127.0.0.1:{PORT}"
role = "mx"
[[backup]]
domain = "bench.test"
primary = "127.0.0.1:9"
scan = {"true" if scan else "false"}
[limits]
connections_per_ip = 1000
[scan]
clamd = "{clamd}"
rspamd = "{rspamd}"
max_size = 41943040
connections = 32
"""


def message(size, n):
    head = (f"From: a@ext.test\r\nTo: x@bench.test\r\nSubject: bench {n}\r\n"
            f"Message-ID: <{n}.{time.time_ns()}@ext.test>\r\n"
            "Date: Mon, 30 Nov 2026 12:00:00 +0000\r\n\r\n")
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n"
    return (head + line * (size // len(line))).encode()


def send_timed(s, msg):
    s.mail("a@ext.test")
    s.rcpt("x@bench.test")
    s.putcmd("data")
    code, _ = s.getreply()
    assert code == 354
    s.send(msg + b".\r\n")
    t0 = time.perf_counter()
    code, text = s.getreply()
    took = time.perf_counter() - t0
    assert code == 250, (code, text)
    return took


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def latency(count, size):
    msg = message(size, 0)
    out = []
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        s.ehlo("bench")
        for _ in range(3):
            send_timed(s, msg)  # warm up
        for _ in range(count):
            out.append(send_timed(s, msg))
    return {"p50_ms": round(pct(out, 50) * 1000, 2), "p99_ms": round(pct(out, 99) * 1000, 2),
            "mean_ms": round(statistics.mean(out) * 1000, 2), "n": count}


def throughput(sessions, seconds, size):
    msg = message(size, 0)
    stop = time.monotonic() + seconds
    counts = [0] * sessions

    def worker(i):
        with smtplib.SMTP("127.0.0.1", PORT) as s:
            s.ehlo("bench")
            while time.monotonic() < stop:
                send_timed(s, msg)
                counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(sessions)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"msgs_per_s": round(sum(counts) / (time.monotonic() - t0), 1), "sessions": sessions,
            "size": size}


def run(binary, scan, clamd, rspamd, args):
    d = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-scan-bench-"))
    (d / "holdfast.toml").write_text(config(scan, clamd.address, rspamd.address))
    log = open(d / "holdfast.log", "wb")
    p = subprocess.Popen([binary, "serve", "-c", "holdfast.toml", "--allow-root"], cwd=d,
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        import socket
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        r = {"latency_10k": latency(args.count, 10 * 1024),
             "latency_1m": latency(max(20, args.count // 4), 1024 * 1024),
             "throughput_10k": throughput(args.sessions, args.seconds, 10 * 1024)}
        if scan:
            import re
            lines = [l for l in (d / "holdfast.log").read_text().splitlines() if " scan=" in l]
            r["scanned_messages"] = len(lines)
            # Each scanner's own time, from the log, by message size.
            for name, lo, hi in (("10k", 0, 100_000), ("1m", 500_000, 2_000_000)):
                sel = [l for l in lines if lo < int(re.search(r" size=(\d+)", l).group(1)) < hi]
                for scanner in ("clamd", "rspamd"):
                    ms = [int(re.search(rf" {scanner}_ms=(\d+)", l).group(1)) for l in sel]
                    if ms:
                        r[f"{scanner}_ms_{name}"] = {"p50": pct(ms, 50), "p99": pct(ms, 99)}
        return r
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("holdfast", nargs="?", default="build/holdfast")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--out", default=str(HERE / "results" / "scan.json"))
    args = ap.parse_args()
    binary = os.path.abspath(args.holdfast)
    work = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-scanners-"))
    clamd = Clamd(work / "clamd").start()
    rspamd = Rspamd(work / "rspamd").start()
    try:
        results = {"off": run(binary, False, clamd, rspamd, args),
                   "on": run(binary, True, clamd, rspamd, args)}
    finally:
        clamd.stop()
        rspamd.stop()
        shutil.rmtree(work, ignore_errors=True)
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'':10} {'10KB p50':>9} {'10KB p99':>9} {'1MB p50':>9} {'1MB p99':>9} "
          f"{'msg/s (10KB, ' + str(args.sessions) + ' sessions)':>30}")
    for k in ("off", "on"):
        r = results[k]
        print(f"scan {k:5} {r['latency_10k']['p50_ms']:>8}ms {r['latency_10k']['p99_ms']:>8}ms "
              f"{r['latency_1m']['p50_ms']:>8}ms {r['latency_1m']['p99_ms']:>8}ms "
              f"{r['throughput_10k']['msgs_per_s']:>30}")
    on = results["on"]
    for scanner in ("clamd", "rspamd"):
        parts = [f"{size} p50 {on[k]['p50']} ms p99 {on[k]['p99']} ms"
                 for size in ("10k", "1m") if (k := f"{scanner}_ms_{size}") in on]
        print(f"{scanner} alone (all runs, from the log): " + "; ".join(parts))


if __name__ == "__main__":
    main()
