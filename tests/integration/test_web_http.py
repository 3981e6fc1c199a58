"""The web face over real HTTP against the real binary: the JSON API and the
pages, the relay test end to end against a closed Holdfast, refusals
outside web.test_networks, rate limits, and what hostile clients send
(oversized bodies and headers, bad UTF-8, path traversal, CR/LF injection,
slow clients, too many connections)."""
import re
import socket
import sqlite3
import ssl
import subprocess
import time
import urllib.request

import pytest

from holdfast_config import make_tls
from relay_postfix import free_port
from web_fixture import LISTED, LISTED_TXT, Web, raw, start_dns, start_holdfast

LIMITS = """tests_per_client = 4
tests_per_target = 3
max_connections = 40
request_timeout = "2s"
"""
RESULTS = {"relayed", "refused", "deferred", "auth-required", "error"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("web")
    dns = start_dns(d / "dns")
    h = start_holdfast(d, dns, LIMITS)
    yield h
    h.stop()
    dns.stop()
    print(h.log_text()[-3000:])


@pytest.fixture
def web(env):
    return Web(env.web_port)


def test_healthz_and_security_headers(env, web):
    r = web.get("/healthz")
    assert r.status == 200 and r.data == b"ok\n"
    assert "default-src 'self'" in r.getheader("Content-Security-Policy")
    assert "frame-ancestors 'none'" in r.getheader("Content-Security-Policy")
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    # Every request is one key=value log line.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and 'target="/healthz" status=200' not in env.log_text():
        time.sleep(0.05)
    assert re.search(r'web client=127\.0\.0\.1 method=GET target="/healthz" status=200 bytes=3 ms=',
                     env.log_text())


def test_front_page_has_the_one_field_and_the_button(web):
    r = web.get("/")
    html = r.data.decode()
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/html")
    assert '<label for="address">Address to test</label>' in html
    assert ">Test for Relay</button>" in html
    assert 'name="viewport"' in html
    assert web.get("/static/style.css").getheader("Content-Type").startswith("text/css")


def test_api_relay_test_of_a_closed_holdfast(env, web):
    r, doc = web.start_test(f"127.0.0.1:{env.port}")
    assert r.status == 202, r.data
    test_id = doc["id"]
    assert r.getheader("Location") == f"/api/v1/relay-tests/{test_id}"
    # One running test per target: a second one now is refused, pointing at the first.
    r2, doc2 = web.start_test(f"127.0.0.1:{env.port}")
    assert r2.status == 429 and doc2.get("running") == test_id, r2.data
    page = web.get(f"/relay-tests/{test_id}").data.decode()
    if "Testing" in page:  # still running: it refreshes itself without JavaScript
        assert '<noscript><meta http-equiv="refresh"' in page
    doc = web.wait_done(test_id)
    assert doc["verdict"] == "closed", doc["reason"]
    assert doc["target"] == f"127.0.0.1:{env.port}"
    assert isinstance(doc["reason"], str) and doc["reason"]
    assert len(doc["vectors"]) >= 30
    for v in doc["vectors"]:
        assert v["result"] in RESULTS and isinstance(v["tls"], bool) and v["rcpt_to"]
    assert all(v["result"] == "refused" for v in doc["vectors"]), doc["vectors"]
    # The permanent link shows the verdict in words, the vectors and the transcript.
    html = web.get(f"/relay-tests/{test_id}").data.decode()
    assert "Verdict: <strong>closed</strong>" in html
    assert "nmap-02" in html and "The whole conversation" in html
    assert "http-equiv=\"refresh\"" not in html
    # The store's row number is not a public link; the watch's tests of
    # customers (which servers are open, and how) never are.
    db = sqlite3.connect(env.dir / "holdfast.db")
    number = db.execute("SELECT id FROM relay_tests WHERE token = ?", (test_id,)).fetchone()[0]
    watch_test = db.execute(
        "INSERT INTO relay_tests (customer, target, trigger_kind, at, verdict, reason, vectors, transcript) "
        "VALUES ('acme', '192.0.2.25:25', 'periodic', 0, 'open', 'relayed', '[]', 'S: 250 relayed')").lastrowid
    db.commit()
    db.close()
    for hidden in (number, watch_test):
        assert web.get(f"/relay-tests/{hidden}").status == 404
        assert web.get(f"/api/v1/relay-tests/{hidden}").status == 404
    assert web.get("/relay-tests/" + "0" * 32).status == 404


def test_form_post_redirects_to_a_permanent_link(web):
    closed = free_port()  # nothing listens: the test ends quickly, inconclusive
    r = web.request("POST", "/relay-tests", body=f"address=localhost%3A{closed}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 303, r.data
    link = r.getheader("Location")
    assert re.fullmatch(r"/relay-tests/[0-9a-f]{32}", link)  # not guessable
    doc = web.wait_done(link.rsplit("/", 1)[1])
    assert doc["verdict"] == "inconclusive"
    html = web.get(link).data.decode()
    assert "Verdict: <strong>inconclusive</strong>" in html


def test_targets_outside_the_networks_are_refused(web):
    for address in ("192.0.2.1", "192.0.2.1:25", "[2001:db8::1]:25", "10.0.0.1"):
        r, doc = Web(web.port, source="127.0.0.20").start_test(address)
        assert r.status == 403, (address, r.data)
        assert "outside" in doc["error"]
    r = Web(web.port, source="127.0.0.21").request(
        "POST", "/relay-tests", body="address=192.0.2.1",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 403
    assert "cannot be used to test other servers" in r.data.decode()
    r, doc = Web(web.port, source="127.0.0.21").start_test("no-such-host.invalid")
    assert r.status == 400 and "could not be resolved" in doc["error"]


def test_rate_limit_per_client(web):
    me = Web(web.port, source="127.0.0.30")
    for _ in range(4):  # refusals count too: a client cannot probe the limits for free
        assert me.start_test("192.0.2.1")[0].status == 403
    r, doc = me.start_test("192.0.2.1")
    assert r.status == 429 and "try again later" in doc["error"]
    assert int(r.getheader("Retry-After")) > 3000
    # Another client is not affected.
    assert Web(web.port, source="127.0.0.31").start_test("192.0.2.1")[0].status == 403


def test_rate_limit_per_target(web):
    target = f"127.0.0.1:{free_port()}"
    for i in range(3):
        r, doc = Web(web.port, source=f"127.0.0.{40 + i}").start_test(target)
        assert r.status == 202, r.data
        web.wait_done(doc["id"])
    r, doc = Web(web.port, source="127.0.0.43").start_test(target)
    assert r.status == 429 and "tested 3 times" in doc["error"]


def test_bad_requests_are_refused(web):
    assert web.start_test(None)[0].status == 400                     # no body
    assert web.api_json("POST", "/api/v1/relay-tests", {"addr": 1})[0].status == 400
    r = web.request("POST", "/api/v1/relay-tests", body=b'{"address": "\xff\xfe"}')
    assert r.status == 400                                           # bad UTF-8 in JSON
    r = web.request("POST", "/relay-tests", body=b"address=%ff%fe")
    assert r.status == 400                                           # bad UTF-8 in a form
    assert web.get("/rbl?q=%ff").status == 400
    assert web.get("/api/v1/relay-tests/x").status == 404
    assert web.get("/api/v1/relay-tests/999999").status == 404
    assert web.get("/nothing-here").status == 404
    r = web.request("DELETE", "/healthz")
    assert r.status == 405 and "GET" in r.getheader("Allow")


def test_oversized_body_and_headers(web):
    r = web.request("POST", "/api/v1/relay-tests", body=b"x" * 20000)
    assert r.status == 413
    r = web.get("/", headers={"X-Big": "y" * 10000})
    assert r.status == 431


def test_path_traversal_is_refused(web):
    for target in ("/static/../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
                   "/../etc/passwd", "/static/..%5c..%5cetc%5cpasswd", "/static/style.css%00.js"):
        out = raw(web.port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert out.startswith(b"HTTP/1.1 400") or out.startswith(b"HTTP/1.1 404"), (target, out[:200])
        assert b"root:" not in out
    assert web.get("/static/./style.css").status == 200


def test_header_injection_through_the_query_is_refused(web):
    r = web.get("/rbl?q=127.0.0.2%0d%0aSet-Cookie:%20evil=1")
    assert r.status == 400 and r.getheader("Set-Cookie") is None
    # A raw CR in the request line never reaches a handler.
    out = raw(web.port, b"GET /rbl?q=a\rSet-Cookie: x HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400") and b"Set-Cookie: x" not in out


def test_slow_client_is_cut_at_the_request_timeout(web):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as s:
        closed_at = None
        for ch in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                s.send(bytes([ch]))
                time.sleep(0.25)
                s.settimeout(0.001)
                if s.recv(1024) == b"":
                    closed_at = time.monotonic()
                    break
            except socket.timeout:
                s.settimeout(10)
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic()
                break
    assert closed_at is not None, "the server never cut the slow client"
    assert closed_at - started < 4.0  # request_timeout = 2s


def test_connection_cap(env, web):
    held = [socket.create_connection(("127.0.0.1", web.port)) for _ in range(40)]
    try:
        time.sleep(0.3)
        out = raw(web.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        assert out == b"", out[:200]  # closed unanswered
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    assert web.get("/healthz").status == 200


def test_rbl_api_and_page(web):
    r, doc = web.api_json("GET", f"/api/v1/rbl?q={LISTED}")
    assert r.status == 200, r.data
    assert doc["query"] == LISTED and doc["listed"] is True
    zone = next(z for z in doc["zones"] if z["zone"] == "bl.test")
    assert zone["status"] == "listed" and zone["codes"] == ["127.0.0.2"]
    assert zone["txt"] == LISTED_TXT
    assert zone["removal"] == "https://bl.test/lookup?ip=192.0.2.10"
    r, doc = web.api_json("GET", "/api/v1/rbl?q=192.0.2.99")
    assert doc["listed"] is False and doc["zones"][0]["status"] == "clean"
    html = web.get(f"/rbl?q={LISTED}").data.decode()
    assert "<strong>listed</strong>" in html and 'href="https://bl.test/lookup?ip=192.0.2.10"' in html
    assert web.get("/api/v1/rbl?q=not..valid").status == 400


def test_metrics_is_prometheus_text(web):
    parser = pytest.importorskip("prometheus_client.parser")
    r = web.get("/metrics")
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/plain")
    families = {f.name for f in parser.text_string_to_metric_families(r.data.decode())}
    # The daemon's own registry, not a placeholder (docs/metrics.md).
    assert {"holdfast_messages_received", "holdfast_spool_messages"} <= families, families


def test_tests_at_once_are_capped(web):
    # Four servers that accept connections and never greet: each test waits
    # for a banner (test_timeout = 5s), so four run at once; a fifth is refused.
    tarpits = []
    for _ in range(5):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        tarpits.append(s)
    try:
        ids = []
        for i, t in enumerate(tarpits[:4]):
            r, doc = Web(web.port, source=f"127.0.0.{60 + i}").start_test(f"127.0.0.1:{t.getsockname()[1]}")
            assert r.status == 202, r.data
            ids.append(doc["id"])
        r, doc = Web(web.port, source="127.0.0.64").start_test(f"127.0.0.1:{tarpits[4].getsockname()[1]}")
        assert r.status == 429 and "as many tests as we allow" in doc["error"], r.data
        running = web.api_json("GET", f"/api/v1/relay-tests/{ids[0]}")[1]
        assert running["state"] in ("queued", "running") and running["verdict"] is None
        for i in ids:
            assert web.wait_done(i, timeout=60)["verdict"] == "inconclusive"
    finally:
        for s in tarpits:
            s.close()


def test_https_with_the_tls_certificate(tmp_path):
    cert, key = make_tls(tmp_path)
    dns = start_dns(tmp_path / "dns")
    h = start_holdfast(tmp_path, dns, "tls = true\n", tls=(cert, key), zones=("bl.test", "dead.test"))
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False
        with urllib.request.urlopen(f"https://127.0.0.1:{h.web_port}/healthz", context=ctx, timeout=10) as r:
            assert r.status == 200 and r.read() == b"ok\n"
            assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        # Plain HTTP on the TLS port gets no page.
        out = raw(h.web_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        assert b"ok" not in out
        # A lookup in flight at SIGTERM (its zone never answers): a clean stop.
        slow = subprocess.Popen(["curl", "-s", "-k", "-m", "20",
                                 f"https://127.0.0.1:{h.web_port}/api/v1/rbl?q=192.0.2.7"])
        time.sleep(0.5)
        assert h.stop() == 0, h.log_text()[-2000:]
        slow.wait(timeout=30)
    finally:
        h.stop()
        dns.stop()
