#!/usr/bin/python3
"""Page latency of the web face with 100 concurrent clients, measured by wrk
(a C load generator, so the client is not what is measured): a fresh
`holdfast serve` on 127.0.0.1 with a store holding one customer, a 46-vector
relay test with its transcript, a violation and queue samples; an admin
logged in. For each page: requests/s, p50, p99 (wrk --latency).

    bench/web/pages.py [build/holdfast] [--clients 100] [--seconds 10]

Installs Debian's wrk when it is missing (a benchmark tool, not a test
dependency). Run it as root or not; on a quiet machine.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
USER, PASSWORD = "staff", "bench password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk():
    if shutil.which("wrk"):
        return
    print("installing wrk (Debian package)", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)


def start(binary, d):
    smtp, web = free_port(), free_port()
    h = subprocess.run(["openssl", "passwd", "-6", PASSWORD], check=True, capture_output=True,
                       text=True).stdout.strip()
    (d / "admins").write_text(f"{USER}:{h}\n")
    (d / "holdfast.toml").write_text(f"""
[server]
hostname = "bench.example.test"
spool = "spool"

[[listen]]
address = "127.0.0.1:{smtp}"
role = "mx"

[relay]
networks = ["127.0.0.254/32"]

[[backup]]
domain = "customer.test"
primary = "127.0.0.1:{free_port()}"

[store]
url = "sqlite:holdfast.db"

[web]
address = "127.0.0.1:{web}"
admins = "{d / 'admins'}"
""")
    args = [binary, "serve", "-c", str(d / "holdfast.toml")]
    if os.geteuid() == 0:
        args.append("--allow-root")
    p = subprocess.Popen(args, cwd=d, stdout=open(d / "log", "w"), stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{web}/healthz", timeout=1)
            return p, web
        except OSError:
            time.sleep(0.1)
    raise SystemExit("holdfast did not start: " + (d / "log").read_text()[-2000:])


def fill_store(d, binary):
    subprocess.run([binary, "customers", "add", "acme", "--email", "noc@acme.test", "--domain",
                    "acme.test", "--network", "192.0.2.0/24", "-c", str(d / "holdfast.toml")],
                   cwd=d, check=True, capture_output=True)
    now = int(time.time())
    vectors = [{"id": f"v{i}", "mail_from": "a@b.test", "rcpt_to": f"x{i}@c.test", "tls": False,
                "result": "refused", "reply": "550 5.7.1 relaying denied"} for i in range(46)]
    transcript = "".join(f"C: RCPT TO:<x{i}@c.test>\nS: 550 5.7.1 relaying denied\n" for i in range(46)) * 10
    db = sqlite3.connect(d / "holdfast.db")
    token = "0123456789abcdef0123456789abcdef"  # a web test's public id
    test = db.execute("INSERT INTO relay_tests (customer, target, trigger_kind, at, verdict, reason, vectors, "
                      "transcript, token) VALUES ('acme', '192.0.2.25:25', 'web', ?, 'closed', '', ?, ?, ?)",
                      (now, json.dumps(vectors), transcript, token)).lastrowid
    db.execute("INSERT INTO violations (customer, found, target, test, charge) VALUES "
               "('acme', ?, '192.0.2.25:25', ?, 100)", (now, test))
    for i in range(7 * 24 * 12):  # a week of 5-minute samples
        db.execute("INSERT INTO queue_samples (domain, at, messages, bytes) VALUES ('customer.test', ?, ?, ?)",
                   (now - i * 300, i % 50, (i % 50) * 2000))
    db.commit()
    db.close()
    return token


def login(web):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(f"http://127.0.0.1:{web}/admin/login").read().decode()
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf": token, "user": USER, "password": PASSWORD}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a):
            return None
    jar = opener.handlers[[type(h).__name__ for h in opener.handlers].index("HTTPCookieProcessor")].cookiejar
    no_redirect = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    try:
        no_redirect.open(f"http://127.0.0.1:{web}/admin/login", body)
    except urllib.error.HTTPError as e:
        if e.code != 303:
            raise
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url, clients, seconds, cookie=""):
    args = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    lat = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)", out, re.M))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(rps), lat.get("50"), lat.get("99"), int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default="build/holdfast")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=10)
    a = ap.parse_args()
    ensure_wrk()
    binary = str(pathlib.Path(a.binary).resolve())
    d = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-web-bench-"))
    p, web = start(binary, d)
    try:
        test = fill_store(d, binary)
        cookie = login(web)
        base = f"http://127.0.0.1:{web}"
        pages = [("/ (front page)", "/", ""), ("/healthz", "/healthz", ""),
                 ("/relay-tests/TOKEN (46 vectors, transcript)", f"/relay-tests/{test}", ""),
                 ("/admin (customers, queue, chart, violations)", "/admin", cookie),
                 ("/admin/customers/acme (timeline, transcripts)", "/admin/customers/acme", cookie),
                 ("/api/v1/admin (JSON, session cookie)", "/api/v1/admin", cookie)]
        load = os.getloadavg()[0]
        print(f"{a.clients} concurrent clients, {a.seconds} s each, wrk -t2; load before: {load:.2f}; "
              f"{os.cpu_count()} cores shared by wrk and holdfast\n")
        print("| page | requests/s | p50 | p99 |\n| --- | --- | --- | --- |")
        for name, path, c in pages:
            rps, p50, p99, bad = wrk(base + path, a.clients, a.seconds, c)
            note = f" ({bad} not 2xx)" if bad else ""
            print(f"| `{name}` | {rps:,.0f}{note} | {p50} | {p99} |", flush=True)
    finally:
        p.terminate()
        p.wait(timeout=30)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
