"""The admin pages and the admin API against a real backup MX: the queue per
backup domain (messages, size, oldest, primary down, next attempt) filled by
real SMTP while the primary is down; hold / release / delete a message from
the domain's page, bounce one; flush a domain over the API and see a real smtp-sink
receive its mail at once (the probe is an hour away); customers added and
edited through the form and the API (bad input shown back with the reason);
a customer's page with its relay tests (transcripts), MX history, blacklist
checks and violations (mark paid, resolve); the API's authentication."""
import base64
import json
import re
import sqlite3
import time

import pytest

from backup import PRIMARY, SENDER, backup_config, backup_dns, message, send
from holdfast_config import make_users
from peers import Sink, wait_until
from relay_postfix import free_port
from web_fixture import ADMIN_PASSWORD, ADMIN_USER, Web, cookies_of, form, login

BASIC = "Basic " + base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()


@pytest.fixture
def env(holdfast_factory, tmp_path):
    with backup_dns(tmp_path / "dns") as dns:
        admins = make_users(tmp_path, {ADMIN_USER: ADMIN_PASSWORD})
        web_port = free_port()
        # The primary is probed only hourly: only a flush brings the mail.
        h = holdfast_factory(backup_config(
            dns, queue={"retry_min": "1h", "retry_max": "2h", "probe_interval": "1h"},
            extra=f'\n[store]\nurl = "sqlite:holdfast.db"\n\n[web]\naddress = "127.0.0.1:{web_port}"\n'
                  f'admins = "{admins}"\n'))
        wait_until(lambda: _up(web_port), timeout=10)
        h.web = Web(web_port)
        yield h


def _up(port):
    try:
        return Web(port).get("/healthz").status == 200
    except OSError:
        return False


def api(h, method, path, doc=None, auth=BASIC, content_type="application/json"):
    headers = {"Authorization": auth} if auth else {}
    body = None
    if doc is not None or method == "POST":
        body = json.dumps(doc or {})
        headers["Content-Type"] = content_type
    r = h.web.request(method, "/api/v1/admin" + path, body=body, headers=headers)
    return r, (json.loads(r.data) if r.data.startswith(b"{") else None)


def session(h):
    r = login(h.web)
    assert r.status == 303, r.data
    cookie = f"hf_admin={cookies_of(r)['hf_admin'].value}"
    page = h.web.get("/admin", headers={"Cookie": cookie}).data.decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    return cookie, csrf


def domain_row(h):
    _, doc = api(h, "GET", "")
    return next(d for d in doc["queue"]["domains"] if d["domain"] == "customer.test")


def test_backup_queue_per_domain_hold_release_delete_and_flush(env, tmp_path):
    h = env
    for seq in range(3):
        send(h.port, SENDER, ["alice@customer.test"], message(seq, "alice@customer.test"))
    wait_until(lambda: domain_row(h)["primary"] == "down", timeout=20)
    row = domain_row(h)
    assert row["messages"] == 3 and row["bytes"] > 3 * 900, row
    assert row["down_reason"] and row["next_attempt"] and row["oldest"], row

    cookie, csrf = session(h)
    overview = h.web.get("/admin", headers={"Cookie": cookie}).data.decode()
    assert 'data-domain="customer.test"' in overview
    assert "<svg" in overview and "Backup queue per domain" in overview  # the picture
    page = h.web.get("/admin/queue/customer.test", headers={"Cookie": cookie}).data.decode()
    ids = re.findall(r'data-message="([^"]+)"', page)
    assert len(ids) == 3, page

    # Hold one from the page: the queue says so; release it; delete another.
    r = form(h.web, f"/admin/messages/{ids[0]}/hold",
             {"csrf": csrf, "back": "/admin/queue/customer.test"}, cookie)
    assert r.status == 303 and r.getheader("Location") == "/admin/queue/customer.test"
    assert "held: yes" in h.cli("queue", "show", ids[0]).stdout
    assert domain_row(h)["held"] == 1
    assert form(h.web, f"/admin/messages/{ids[0]}/release", {"csrf": csrf}, cookie).status == 303
    assert "held: yes" not in h.cli("queue", "show", ids[0]).stdout
    assert form(h.web, f"/admin/messages/{ids[1]}/delete", {"csrf": csrf}, cookie).status == 303
    assert h.cli("queue", "show", ids[1]).returncode == 1
    assert form(h.web, "/admin/messages/nonexistent/hold", {"csrf": csrf}, cookie).status == 404
    # Bounce: a fourth message fails now and its sender hears of it.
    send(h.port, SENDER, ["bob@customer.test"], message(9, "bob@customer.test"))
    fourth = next(m["id"] for m in api(h, "GET", "/queue/customer.test")[1]["list"]
                  if m["recipients"] == ["bob@customer.test"])
    assert form(h.web, f"/admin/messages/{fourth}/bounce", {"csrf": csrf}, cookie).status == 303
    wait_until(lambda: h.cli("queue", "show", fourth).returncode == 1, timeout=10)
    assert f"id={fourth} from=<{SENDER}> to=<bob@customer.test> status=bounced" in h.log_text()
    # Without the token nothing happens.
    assert form(h.web, f"/admin/messages/{ids[2]}/delete", {}, cookie).status == 403
    assert h.cli("queue", "show", ids[2]).returncode == 0

    # The primary comes back; the probe is an hour away: a flush brings it now.
    sink = Sink(tmp_path / "sink", host=PRIMARY).start()
    try:
        started = time.monotonic()
        r, doc = api(h, "POST", "/queue/customer.test/flush")
        assert r.status == 200 and doc == {"ok": True, "messages": 2}, (r.status, doc)
        wait_until(lambda: len(sink.messages()) == 2, timeout=15)
        assert time.monotonic() - started < 15
        wait_until(lambda: domain_row(h)["messages"] == 0, timeout=10)
        assert f'user="{ADMIN_USER}" domain=customer.test status=flush messages=2' in h.log_text()
    finally:
        sink.stop()


def test_customers_added_and_edited_from_the_form_and_the_api(env):
    h = env
    cookie, csrf = session(h)
    page = h.web.get("/admin/customers/new", headers={"Cookie": cookie}).data.decode()
    assert 'id="customer-form"' in page
    # Bad input comes back with the reason and what was typed; nothing saved.
    r = form(h.web, "/admin/customers", {"csrf": csrf, "name": "acme", "emails": "noc@acme.test",
                                         "domains": "acme.test", "networks": "192.0.2.0/33"}, cookie)
    assert r.status == 400
    assert "is not a network" in r.data.decode() and 'value="noc@acme.test"' in r.data.decode()
    assert h.cli("customers", "show", "acme").returncode == 1
    r = form(h.web, "/admin/customers", {"csrf": csrf, "name": "acme", "emails": "noc@acme.test",
                                         "domains": "ACME.test, acme.example", "networks": "192.0.2.0/24",
                                         "scan": "on"}, cookie)
    assert r.status == 303 and r.getheader("Location") == "/admin/customers/acme", r.data
    shown = json.loads(h.cli("customers", "show", "acme", "--json").stdout)
    assert shown["domains"] == ["acme.test", "acme.example"] and shown["scan"] is True
    # The new domain is a backup domain at once: its row is in the queue table.
    wait_until(lambda: any(d["domain"] == "acme.test" for d in api(h, "GET", "")[1]["queue"]["domains"]),
               timeout=5)
    # A second customer may not take acme's domain.
    r, doc = api(h, "POST", "/customers", {"name": "other", "emails": ["noc@other.test"]})
    assert r.status == 400 and "at least one domain" in doc["error"], doc
    r, doc = api(h, "POST", "/customers", {"name": "other", "emails": "noc@other.test",
                                           "domains": ["acme.test"]})
    assert r.status == 409 and "belongs to customer acme" in doc["error"], doc

    # Edit over the API: lists as JSON arrays; status and history stay.
    r, doc = api(h, "POST", "/customers/acme",
                 {"emails": ["ops@acme.test"], "domains": ["acme.test"], "networks": ["198.51.100.0/24"],
                  "notes": "new block", "scan": False})
    assert r.status == 200 and doc["ok"], doc
    assert doc["customer"]["networks"] == ["198.51.100.0/24"] and doc["customer"]["scan"] is False
    # A partial edit changes only what it names.
    r, doc = api(h, "POST", "/customers/acme", {"notes": "renumbered"})
    assert doc["customer"]["domains"] == ["acme.test"] and doc["customer"]["notes"] == "renumbered"
    assert doc["customer"]["emails"] == ["ops@acme.test"], doc
    r, doc = api(h, "POST", "/customers/acme/suspend")
    assert doc["status"] == "suspended"
    shown = json.loads(h.cli("customers", "show", "acme", "--json").stdout)
    assert shown["status"] == "suspended" and shown["emails"] == ["ops@acme.test"]
    r, doc = api(h, "POST", "/customers/nobody", {"domains": ["x.test"]})
    assert r.status == 404


def test_customer_page_tests_history_checks_and_violations(env):
    h = env
    assert h.cli("customers", "add", "acme", "--email", "noc@acme.test", "--domain", "acme.test",
                 "--network", "192.0.2.0/24").returncode == 0
    now = int(time.time())
    db = sqlite3.connect(h.dir / "holdfast.db")
    test_id = db.execute(
        "INSERT INTO relay_tests (customer, target, trigger_kind, at, verdict, reason, vectors, transcript) "
        "VALUES ('acme', '192.0.2.25:25', 'mx-change', ?, 'open', 'relayed 3 of 46', '[]', "
        "'S: 220 mx.acme.test ESMTP\nC: MAIL FROM:<a@b>\nS: 250 <ok> & done')", (now - 60,)).lastrowid
    db.execute("INSERT INTO relay_tests (customer, target, trigger_kind, at, verdict, reason, vectors, "
               "transcript) VALUES ('acme', '192.0.2.25:25', 'periodic', ?, 'closed', '', '[]', '')", (now,))
    db.execute("INSERT INTO violations (customer, found, target, test, charge) VALUES "
               "('acme', ?, '192.0.2.25:25', ?, 100)", (now - 60, test_id))
    db.execute("INSERT INTO blacklist_checks (customer, target, at, listed, zones) VALUES "
               "('acme', '192.0.2.25', ?, 1, ?)",
               (now, json.dumps([{"zone": "bl.test", "status": "listed"}, {"zone": "ok.test", "status": "clean"}])))
    db.execute("INSERT INTO notices (at, kind, customer, about, recipients, queue_id) VALUES "
               "(?, 'violation', 'acme', '1', 'noc@acme.test', 'QID123')", (now,))
    db.commit()
    db.close()
    violation = json.loads(h.cli("violations", "list", "--json").stdout)[0]["id"]

    cookie, csrf = session(h)
    page = h.web.get("/admin/customers/acme", headers={"Cookie": cookie}).data.decode()
    assert f'data-test="{test_id}"' in page
    assert "S: 250 &lt;ok&gt; &amp; done" in page  # the transcript, escaped
    assert "<svg" in page and "Relay tests of acme" in page  # the timeline
    assert "listed on bl.test" in page and "ok.test" not in page.split('id="checks"')[1].split("</table>")[0]
    assert "MX history" in page and "acme.test" in page
    assert f'data-violation="{violation}"' in page
    notices = page.split('id="notices"')[1].split("</table>")[0]
    assert "violation" in notices and "noc@acme.test" in notices and "QID123" in notices

    # Mark paid, then resolve, from the customer's page: back to it.
    back = "/admin/customers/acme"
    r = form(h.web, f"/admin/violations/{violation}/paid", {"csrf": csrf, "back": back}, cookie)
    assert r.status == 303 and r.getheader("Location") == back
    r = form(h.web, f"/admin/violations/{violation}/resolve",
             {"csrf": csrf, "back": "https://evil.test/"}, cookie)  # never sent elsewhere
    assert r.status == 303 and r.getheader("Location") == back
    listed = json.loads(h.cli("violations", "list", "--json").stdout)[0]
    assert listed["paid"] is True and listed["status"] == "resolved" and listed["resolved"], listed
    assert form(h.web, f"/admin/violations/{violation}/resolve", {"csrf": csrf}, cookie).status == 409
    assert form(h.web, "/admin/violations/999/paid", {"csrf": csrf}, cookie).status == 404

    # The search: by an address in a customer's network, by text, or nothing.
    assert h.cli("customers", "add", "other", "--email", "noc@other.test", "--domain",
                 "other.test").returncode == 0
    found = h.web.get("/admin?q=192.0.2.77", headers={"Cookie": cookie}).data.decode()
    assert 'data-customer="acme"' in found and 'data-customer="other"' not in found
    assert 'value="192.0.2.77"' in found and f'data-violation="{violation}"' in found
    found = h.web.get("/admin?q=OTHER.TEST", headers={"Cookie": cookie}).data.decode()
    assert 'data-customer="other"' in found and 'data-customer="acme"' not in found
    assert f'data-violation="{violation}"' not in found  # only the found customers' violations
    assert "No customer matches" in h.web.get("/admin?q=%3Cnobody%3E", headers={"Cookie": cookie}).data.decode()
    r, doc = api(h, "GET", "?q=noc%40acme")
    assert [c["name"] for c in doc["customers"]] == ["acme"] and doc["search"] == "noc@acme"

    # The API shows the same data without the page's pictures and tokens.
    r, doc = api(h, "GET", "/customers/acme")
    assert r.status == 200 and doc["tests"][0]["verdict"] == "closed" and doc["tests"][1]["open"]
    assert "timeline" not in doc and "csrf" not in doc and "form" not in doc
    assert doc["violations"][0]["paid"] is True and doc["checks"][0]["zones"] == ["bl.test"]


def test_admin_api_authentication(env):
    h = env
    r, _ = api(h, "GET", "", auth=None)
    assert r.status == 401 and r.getheader("WWW-Authenticate").startswith("Basic")
    wrong = "Basic " + base64.b64encode(f"{ADMIN_USER}:nope".encode()).decode()
    r, _ = api(h, "GET", "", auth=wrong)
    assert r.status == 403
    r, _ = api(h, "GET", "", auth="Basic !!!")
    assert r.status == 400
    # A POST that a form on another site could send is refused.
    r, _ = api(h, "POST", "/customers/acme/suspend", content_type="application/x-www-form-urlencoded")
    assert r.status == 415
    r = h.web.request("POST", "/api/v1/admin/customers", body="[1]",
                      headers={"Authorization": BASIC, "Content-Type": "application/json"})
    assert r.status == 400
    # A page session's cookie is good for the API too (GET).
    cookie, _ = session(h)
    r = h.web.get("/api/v1/admin", headers={"Cookie": cookie})
    assert r.status == 200 and "customers" in json.loads(r.data)
    r, doc = api(h, "GET", "/nothing/here")
    assert r.status == 404
