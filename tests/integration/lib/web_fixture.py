"""A holdfast with its web face on, for the web tests: SMTP (a closed relay
to outsiders) on one port, the web on another, a dnsmasq serving a test
DNSBL zone (bl.test), a SQLite store, fast relay-test pacing."""
import http.client
import http.cookies
import json
import pathlib
import re
import socket
import time
import urllib.parse

from conftest import Holdfast, wait_for_port
from dnsserver import DnsServer
from holdfast_config import config_text
from relay_postfix import free_port

LISTED = "192.0.2.10"  # listed on bl.test with a reason and a link
LISTED_TXT = "Listed for spam: see https://bl.test/lookup?ip=192.0.2.10"


def start_dns(directory):
    dns = DnsServer(directory)
    dns.a("2.0.0.127.bl.test", "127.0.0.2").txt("2.0.0.127.bl.test", "test entry")
    dns.a("10.2.0.192.bl.test", "127.0.0.2").txt("10.2.0.192.bl.test", LISTED_TXT)
    dns.dead("dead.test")  # a list that never answers
    dns.start()
    return dns


def web_config(smtp_port, web_port, dns, web_extra="", extra="", tls=None, zones=("bl.test",)):
    # relay.networks holds nobody the tests connect from: to the relay
    # tester (from 127.0.0.1) this Holdfast is a closed relay.
    return config_text(port=smtp_port, relay_networks=("127.0.0.254/32",), tls=tls, extra=f"""
[dns]
servers = ["{dns.address}"]
timeout = "1s"

[dnsbl]
zones = [{", ".join(f'"{z}"' for z in zones)}]
action = "log"

[store]
url = "sqlite:holdfast.db"

[watch]
test_pause = "0s"
test_timeout = "5s"

[web]
address = "127.0.0.1:{web_port}"
{web_extra}
{extra}""")


def start_holdfast(directory, dns, web_extra="", tls=None, zones=("bl.test",)):
    smtp_port, web_port = free_port(), free_port()
    h = Holdfast(pathlib.Path(directory) / "holdfast",
                 web_config(smtp_port, web_port, dns, web_extra, tls=tls, zones=zones), port=smtp_port)
    h.start()
    wait_for_port("127.0.0.1", web_port)
    h.web_port = web_port
    return h


class Web:
    """HTTP against the web port, from a chosen source address."""

    def __init__(self, port, source="127.0.0.1"):
        self.port, self.source = port, source

    def request(self, method, target, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                       source_address=(self.source, 0))
        try:
            c.request(method, target, body=body, headers=headers or {})
            r = c.getresponse()
            r.data = r.read()
            return r
        finally:
            c.close()

    def get(self, target, **kw):
        return self.request("GET", target, **kw)

    def api_json(self, method, target, doc=None):
        body = json.dumps(doc).encode() if doc is not None else None
        r = self.request(method, target, body=body, headers={"Content-Type": "application/json"})
        return r, json.loads(r.data) if r.data else None

    def start_test(self, address):
        return self.api_json("POST", "/api/v1/relay-tests", {"address": address})

    def wait_done(self, test_id, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, doc = self.api_json("GET", f"/api/v1/relay-tests/{test_id}")
            assert r.status == 200, r.data
            if doc["state"] == "done":
                return doc
            time.sleep(0.2)
        raise TimeoutError(f"relay test {test_id} not done after {timeout}s")


def raw(port, data, timeout=10, source="127.0.0.1"):
    """Sends raw bytes, returns everything the server sent until it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(source, 0)) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
        return out


ADMIN_USER, ADMIN_PASSWORD = "staff", "correct horse"


def admin_config(directory):
    """The [web] lines for admin pages: an admins file with ADMIN_USER."""
    from holdfast_config import make_users
    admins = make_users(directory, {ADMIN_USER: ADMIN_PASSWORD})
    return f'admins = "{admins}"\n'


def add_customer_with_violation(h):
    """Customer acme (192.0.2.0/24) and one open violation of it, as the
    watch records them (the watch itself is tested in test_watch.py)."""
    import sqlite3
    r = h.cli("customers", "add", "acme", "--email", "noc@acme.test", "--domain", "acme.test",
              "--network", "192.0.2.0/24")
    assert r.returncode == 0, r.stdout + r.stderr
    db = sqlite3.connect(h.dir / "holdfast.db")
    db.execute("INSERT INTO violations (customer, found, target, test, charge) VALUES "
               "('acme', ?, '192.0.2.25:25', 0, 100)", (int(time.time()),))
    db.commit()
    db.close()


def form(web, path, fields, cookies=""):
    return web.request("POST", path, body=urllib.parse.urlencode(fields),
                       headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies})


def cookies_of(r):
    jar = http.cookies.SimpleCookie()
    for v in r.headers.get_all("Set-Cookie") or []:
        jar.load(v)
    return jar


def login(web, user=ADMIN_USER, password=ADMIN_PASSWORD):
    r = web.get("/admin/login")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', r.data.decode()).group(1)
    pre = cookies_of(r)["hf_login"].value
    return form(web, "/admin/login", {"csrf": token, "user": user, "password": password},
                cookies=f"hf_login={pre}")
