"""The ISP's watch end to end (issue 11), with real processes: dnsmasq as
the customers' DNS (restarted with new records mid-test), a deliberately
open Postfix and a closed one on the same test port (127.0.0.5 / .6),
Holdfast as the backup MX (mx.example.test, 127.0.0.1) whose notices land
in local Maildirs. Every scenario runs on SQLite and on a throw-away
PostgreSQL cluster."""
import json
import pathlib
import smtplib
import time

import pytest

import postgres
from dnsserver import DnsServer
from peers import wait_until
from relay_postfix import RelayPostfix, free_port

OPEN_IP, CLOSED_IP, DEAD_PRIMARY = "127.0.0.5", "127.0.0.6", "127.0.0.7"
CONTACT_DIR = ("mail", "example.test", "alice")
ABUSE_DIR = ("mail", "example.test", "abuse")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request):
    if request.param == "sqlite":
        yield "sqlite:holdfast.db"
        return
    if not postgres.available():
        pytest.skip("postgresql-15 is not installed")
    with postgres.PostgresCluster() as pg:
        yield pg.database("holdfast")


def watch_config(dns, store_url, test_port=25, test_timeout="5s", extra="", addresses=()):
    return f"""\
[server]
hostname = "mx.example.test"
spool = "spool"
addresses = [{", ".join(f'"{a}"' for a in addresses)}]

[[listen]]
address = "127.0.0.1:2525"
role = "mx"

[relay]
networks = ["127.0.0.1/32"]

[[local]]
domain = "example.test"
maildir = "mail/%d/%u"
recipients = ["alice", "abuse", "sender", "postmaster"]

[queue]
retry_min = "1s"
retry_max = "2s"
probe_interval = "1s"

[dns]
servers = ["{dns.address}"]
timeout = "1s"

[store]
url = "{store_url}"

[watch]
enabled = true
mx_interval = "1s"
rbl_interval = "1s"
retest_interval = "1h"
test_port = {test_port}
test_pause = "0s"
test_timeout = "{test_timeout}"
abuse = "abuse@example.test"
zones = ["bl.test"]
{extra}"""


def cli_json(h, *args):
    r = h.cli(*args, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def mails(h, parts):
    """The raw messages in a Maildir, as text."""
    d = h.dir.joinpath(*parts)
    files = sorted(list(d.glob("new/*")) + list(d.glob("cur/*")))
    return [f.read_text(errors="replace") for f in files]


def point_mx(dns, host):
    dns.forget("acme.test")
    dns.mx("acme.test", host, 10).mx("acme.test", "mx.example.test", 20)
    dns.restart()


def test_mx_moves_to_an_open_relay_charges_and_resolutions(holdfast_factory, tmp_path, store_url):
    port = free_port(OPEN_IP)
    with DnsServer(tmp_path / "dns", ttl=0) as dns, \
            RelayPostfix("open", host=OPEN_IP, port=port, no_penalties=True) as open_pf, \
            RelayPostfix("closed", host=CLOSED_IP, port=port):
        dns.a("mx.example.test", "127.0.0.1")
        dns.a("open.acme.test", OPEN_IP).a("closed.acme.test", CLOSED_IP)
        point_mx(dns, "closed.acme.test")
        h = holdfast_factory(watch_config(dns, store_url, test_port=port))
        r = h.cli("customers", "add", "acme", "--email", "alice@example.test", "--domain",
                  "acme.test", "--network", "127.0.0.0/8")
        assert r.returncode == 0, r.stderr
        assert cli_json(h, "customers", "list") == [
            {"name": "acme", "status": "active", "emails": ["alice@example.test"],
             "domains": ["acme.test"], "networks": ["127.0.0.0/8"],
             "notes": "", "scan": False,
             "created": cli_json(h, "customers", "list")[0]["created"]}]

        wait_until(lambda: f"target={CLOSED_IP}:{port} customer=acme trigger=mx-change "
                           "verdict=closed" in h.log_text(), timeout=30)
        assert cli_json(h, "violations", "list") == []

        expected_charges = [0, 100, 200]
        for n, charge in enumerate(expected_charges, start=1):
            t0 = time.monotonic()
            point_mx(dns, "open.acme.test")
            wait_until(lambda: len(cli_json(h, "violations", "list")) == n, timeout=60)
            took = time.monotonic() - t0
            v = cli_json(h, "violations", "list")[-1]
            assert v["customer"] == "acme" and v["target"] == f"{OPEN_IP}:{port}"
            assert v["charge"] == charge and v["status"] == "open" and v["paid"] is False
            assert v["resolved"] is None
            print(f"\nviolation {n}: recorded {took:.2f}s after the MX moved")
            # The notice: in the contact's Maildir, a copy for abuse.
            wait_until(lambda: len(mails(h, CONTACT_DIR)) >= 2 * n - 1, timeout=20)
            notice = [m for m in mails(h, CONTACT_DIR) if f"(violation {v['id']})" in m
                      and "Open relay found" in m]
            assert len(notice) == 1, mails(h, CONTACT_DIR)
            text = notice[0]
            assert f"{OPEN_IP}:{port}" in text
            assert "nmap-02" in text and "RCPT TO:" in text
            assert "How to close the relay" in text and "reject_unauth_destination" in text
            assert ("no charge" in text) if charge == 0 else (f"${charge}" in text)
            assert "Transcript of the test" in text
            wait_until(lambda: any(f"(violation {v['id']})" in m for m in mails(h, ABUSE_DIR)),
                       timeout=20)
            # The host staying open is the same violation, not a new one.
            h.cli("watch", "run-once")
            assert len(cli_json(h, "violations", "list")) == n
            # Back to a closed server: resolved once the new MX tests closed.
            point_mx(dns, "closed.acme.test")
            wait_until(lambda: cli_json(h, "violations", "list")[-1]["status"] == "resolved",
                       timeout=60)
            v = cli_json(h, "violations", "list")[-1]
            assert v["resolved"] is not None
            wait_until(lambda: any(f"violation {v['id']} resolved" in m
                                   for m in mails(h, CONTACT_DIR)), timeout=20)

        show = cli_json(h, "customers", "show", "acme")
        assert len(show["mx_history"]["acme.test"]) == 7  # first set + 6 moves
        vid = cli_json(h, "violations", "list")[0]["id"]
        assert h.cli("violations", "paid", vid).returncode == 0
        assert h.cli("violations", "show", "999999").returncode == 1
        doc = cli_json(h, "violations", "show", vid)
        assert doc["paid"] is True and doc["relay_test"]["verdict"] == "open"

        # A restart keeps all history.
        h.stop()
        h.start()
        after = cli_json(h, "violations", "list")
        assert [v["charge"] for v in after] == expected_charges
        assert all(v["status"] == "resolved" for v in after)
        assert len(cli_json(h, "customers", "show", "acme")["mx_history"]["acme.test"]) == 7
        status = cli_json(h, "watch", "status")
        assert status["domains"] == 1 and status["targets"] == 1
        assert open_pf.proc.poll() is None


def test_blacklisting_one_notice_per_listing_and_delisting(holdfast_factory, tmp_path, store_url):
    with DnsServer(tmp_path / "dns", ttl=0) as dns:
        dns.a("mx.example.test", "127.0.0.1").a("mail.acme.test", CLOSED_IP)
        dns.mx("acme.test", "mail.acme.test", 10).mx("acme.test", "mx.example.test", 20)
        dns.restart()
        # Relay tests are not the point here: a port nobody listens on (inconclusive).
        # Our own public address (127.0.0.9 here) is checked too; its
        # notices go to postmaster.
        h = holdfast_factory(watch_config(dns, store_url, test_port=free_port(CLOSED_IP),
                                          test_timeout="1s", addresses=["127.0.0.9"]))
        assert h.cli("customers", "add", "acme", "--email", "alice@example.test", "--domain",
                     "acme.test").returncode == 0

        def listing_notices():
            return [m for m in mails(h, CONTACT_DIR) if "Subject: Blacklisted" in m]

        def delisting_notices():
            return [m for m in mails(h, CONTACT_DIR) if "Subject: Delisted" in m]

        def cycle():
            time.sleep(1.1)  # rbl_interval
            r = h.cli("watch", "run-once")
            assert r.returncode == 0, r.stderr

        cycle()
        assert listing_notices() == []
        dns.a(f"6.0.0.127.bl.test", "127.0.0.2").txt("6.0.0.127.bl.test", "listed for testing")
        dns.a(f"9.0.0.127.bl.test", "127.0.0.2")
        dns.restart()
        cycle()
        wait_until(lambda: len(listing_notices()) == 1, timeout=20)
        wait_until(lambda: len([m for m in mails(h, ("mail", "example.test", "postmaster"))
                                if "Subject: Blacklisted: 127.0.0.9" in m]) == 1, timeout=20)
        assert "127.0.0.6" in listing_notices()[0] and "bl.test" in listing_notices()[0]
        cycle()
        cycle()  # still listed: no second notice
        time.sleep(1)
        assert len(listing_notices()) == 1
        dns.forget("6.0.0.127.bl.test")
        dns.restart()
        cycle()
        wait_until(lambda: len(delisting_notices()) == 1, timeout=20)
        cycle()
        time.sleep(1)
        assert len(delisting_notices()) == 1 and len(listing_notices()) == 1


def rcpt_reply(port, rcpt, source="127.0.0.2"):
    with smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=30) as s:
        s.ehlo("client.sender.test")
        s.mail("someone@sender.test")
        return s.rcpt(rcpt)


def test_customer_domains_served_without_restart_suspend_keeps_queue(holdfast_factory, tmp_path,
                                                                     store_url):
    with DnsServer(tmp_path / "dns", ttl=0) as dns:
        dns.a("mx.example.test", "127.0.0.1").a("mail.beta.test", DEAD_PRIMARY)
        dns.mx("beta.test", "mail.beta.test", 10).mx("beta.test", "mx.example.test", 20)
        dns.restart()
        h = holdfast_factory(watch_config(dns, store_url))
        code, text = rcpt_reply(h.port, "bob@beta.test")
        assert code == 550 and b"relaying denied" in text
        assert h.cli("customers", "add", "beta", "--email", "alice@example.test", "--domain",
                     "beta.test").returncode == 0
        code, _ = rcpt_reply(h.port, "bob@beta.test")
        assert code == 250
        with smtplib.SMTP("127.0.0.1", h.port, source_address=("127.0.0.2", 0)) as s:
            s.sendmail("someone@sender.test", ["bob@beta.test"],
                       b"Subject: held for beta\r\n\r\nbody\r\n")
        queued = json.loads(h.cli("queue", "list", "--json").stdout)
        assert [m["recipients"] for m in queued] == [["bob@beta.test"]]
        assert h.cli("customers", "suspend", "beta").returncode == 0
        code, text = rcpt_reply(h.port, "bob@beta.test")
        assert code == 450 and b"4.7.1" in text
        time.sleep(1)
        assert len(json.loads(h.cli("queue", "list", "--json").stdout)) == 1  # nothing dropped
        assert cli_json(h, "customers", "list")[0]["status"] == "suspended"
        assert h.cli("customers", "unsuspend", "beta").returncode == 0
        assert rcpt_reply(h.port, "bob@beta.test")[0] == 250
        assert h.cli("customers", "suspend", "nobody").returncode == 1
        assert h.cli("customers", "remove", "beta").returncode == 0
        assert rcpt_reply(h.port, "bob@beta.test")[0] == 550


def test_misconfigured_domains_are_reported(holdfast_factory, tmp_path, store_url):
    with DnsServer(tmp_path / "dns", ttl=0) as dns:
        dns.a("mx.example.test", "127.0.0.1").a("mail.gamma.test", "192.0.2.10")
        # gamma.test: our backup MX before the primary, a host that does not
        # resolve, the primary outside the customer's network.
        dns.mx("gamma.test", "mail.gamma.test", 20).mx("gamma.test", "mx.example.test", 10)
        dns.mx("gamma.test", "gone.gamma.test", 30)
        # delta.test: our backup MX missing.
        dns.mx("delta.test", "mail.gamma.test", 10)
        dns.restart()
        h = holdfast_factory(watch_config(dns, store_url, test_timeout="1s"))
        assert h.cli("customers", "add", "gamma", "--email", "alice@example.test", "--domain",
                     "gamma.test", "--domain", "delta.test", "--network",
                     "198.51.100.0/24").returncode == 0
        assert h.cli("watch", "run-once").returncode == 0
        problems = cli_json(h, "watch", "status")["misconfigured"]
        gamma = " | ".join(problems["gamma.test"])
        assert "preference 10, not worse than the primary's 20" in gamma, gamma
        assert "gone.gamma.test does not resolve" in gamma, gamma
        assert "(192.0.2.10) is outside the customer's networks" in gamma, gamma
        assert any("not among the domain's MX records" in p for p in problems["delta.test"])
        assert "status=misconfigured" in h.log_text()
