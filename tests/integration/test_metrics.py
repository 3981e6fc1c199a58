"""`holdfast metrics` (the text the web server serves at /metrics) against
the real daemon: mail accepted, relaying refused, delivered to a real
smtp-sink after the primary comes back, and a watch relay test against a
real closed Postfix; the text is parsed with prometheus_client's own parser
and every counter must have moved by exactly what the test did."""
import smtplib
import sqlite3
import time

from config_parts import dns_servers, maildir_local, mx_server
from prometheus_client.parser import text_string_to_metric_families

from backup import PRIMARY, SENDER, backup_config, backup_dns, message, send
from dnsserver import DnsServer
from peers import Sink, wait_until
from relay_postfix import RelayPostfix, free_port

FAMILIES = {
    # name as the parser reports it (counters without _total): type
    "holdfast_smtp_connections": "counter",
    "holdfast_smtp_connections_refused": "counter",
    "holdfast_messages_received": "counter",
    "holdfast_messages_rejected": "counter",
    "holdfast_messages_delivered": "counter",
    "holdfast_messages_deferred": "counter",
    "holdfast_messages_bounced": "counter",
    "holdfast_relay_denied": "counter",
    "holdfast_dnsbl_hits": "counter",
    "holdfast_relay_tests": "counter",
    "holdfast_spool_fsync_seconds": "histogram",
    "holdfast_spool_messages": "gauge",
    "holdfast_queue_messages": "gauge",
    "holdfast_queue_bytes": "gauge",
    "holdfast_queue_oldest_seconds": "gauge",
    "holdfast_primary_up": "gauge",
}


class Scrape:
    def __init__(self, h):
        r = h.cli("metrics")
        assert r.returncode == 0, r.stderr
        self.text = r.stdout
        self.families = {f.name: f for f in text_string_to_metric_families(r.stdout)}
        self.samples = {}
        for f in self.families.values():
            for s in f.samples:
                key = (s.name, frozenset(s.labels.items()))
                assert key not in self.samples, f"duplicate series {key}"
                self.samples[key] = s.value

    def __call__(self, name, **labels):
        return self.samples[(name, frozenset(labels.items()))]

    def buckets(self, name):
        """[(le, cumulative count)] in the order they were given."""
        return [(s.labels["le"], s.value) for s in self.families[name].samples
                if s.name == name + "_bucket"]


def relay_attempt(port, rcpts, source="127.0.0.2"):
    """One connection, MAIL FROM and a RCPT for each outside address; the codes."""
    with smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=30) as s:
        s.ehlo("client.sender.test")
        s.mail(SENDER)
        return [s.rcpt(r) for r in rcpts]


def test_counts_follow_what_happened(holdfast_factory, tmp_path):
    with backup_dns(tmp_path / "dns") as dns:
        h = holdfast_factory(backup_config(dns))
        # The fixture's own connection (waiting for the port) is counted first.
        wait_until(lambda: Scrape(h)("holdfast_smtp_connections_total") >= 1, timeout=5)
        before = Scrape(h)
        for name, kind in FAMILIES.items():
            assert before.families[name].type == kind, name
            assert before.families[name].documentation, f"{name} has no HELP"
        assert "# TYPE holdfast_smtp_connections_total counter" in before.text
        assert before("holdfast_primary_up", domain="customer.test") == 1
        assert before("holdfast_queue_messages", domain="customer.test") == 0
        assert before("holdfast_queue_oldest_seconds", domain="customer.test") == 0

        # 3 messages for the backup domain (its primary is down), 1 local,
        # 2 relay attempts refused in one more connection: 5 connections.
        for seq in range(3):
            send(h.port, SENDER, ["alice@customer.test"], message(seq, "alice@customer.test"))
        send(h.port, SENDER, ["sender@example.test"], message(9, "sender@example.test"))
        codes = relay_attempt(h.port, ["someone@outside.test", "other@elsewhere.test"])
        assert [c for c, _ in codes] == [550, 550], codes

        def down_and_queued():
            m = Scrape(h)
            return (m("holdfast_primary_up", domain="customer.test") == 0
                    and m("holdfast_messages_deferred_total") > before(
                        "holdfast_messages_deferred_total"))
        wait_until(down_and_queued, timeout=20)
        queued = Scrape(h)
        assert queued("holdfast_queue_messages", domain="customer.test") == 3
        assert queued("holdfast_queue_bytes", domain="customer.test") > 3 * 900
        assert queued("holdfast_queue_oldest_seconds", domain="customer.test") >= 0
        # The local message is delivered and gone (soon): the three wait.
        wait_until(lambda: Scrape(h)("holdfast_spool_messages") == 3, timeout=10)

        sink = Sink(tmp_path / "sink", host=PRIMARY).start()
        try:
            wait_until(lambda: len(sink.messages()) >= 3, timeout=30)

            def drained():
                m = Scrape(h)
                return (m("holdfast_queue_messages", domain="customer.test") == 0
                        and m("holdfast_primary_up", domain="customer.test") == 1
                        and m("holdfast_messages_delivered_total") -
                        before("holdfast_messages_delivered_total") >= 4)
            wait_until(drained, timeout=20)
        finally:
            sink.stop()
        wait_until(lambda: Scrape(h)("holdfast_spool_messages") == 0, timeout=10)
        time.sleep(0.5)  # anything still to count (there should be nothing) would show now
        after = Scrape(h)

        def delta(name):
            return after(name) - before(name)

        assert delta("holdfast_smtp_connections_total") == 5
        assert delta("holdfast_messages_received_total") == 4
        assert delta("holdfast_relay_denied_total") == 2
        assert delta("holdfast_messages_delivered_total") == 4  # 3 to the sink, 1 Maildir
        assert delta("holdfast_messages_bounced_total") == 0
        assert delta("holdfast_messages_rejected_total") == 0
        assert delta("holdfast_smtp_connections_refused_total") == 0
        assert delta("holdfast_dnsbl_hits_total") == 0
        assert len(sink.messages()) == 3

        # The fsync histogram: cumulative buckets ending in +Inf = _count.
        buckets = after.buckets("holdfast_spool_fsync_seconds")
        assert buckets[-1][0] == "+Inf"
        bounds = [float(le) for le, _ in buckets[:-1]]
        assert bounds == sorted(bounds) and len(bounds) >= 5
        counts = [c for _, c in buckets]
        assert counts == sorted(counts), "cumulative"
        count = after("holdfast_spool_fsync_seconds_count")
        assert counts[-1] == count
        # At least one flush per acknowledged message (each waited for its own).
        assert count - before("holdfast_spool_fsync_seconds_count") >= 4
        assert after("holdfast_spool_fsync_seconds_sum") > 0
        print(f"\nspool fsync: {count:.0f} flushes, mean "
              f"{after('holdfast_spool_fsync_seconds_sum') / count * 1000:.2f} ms, "
              f"<= 1 ms: {dict(buckets)['0.001']:.0f}, <= 10 ms: {dict(buckets)['0.01']:.0f}")

        h.stop()
        r = h.cli("metrics")
        assert r.returncode == 1
        assert r.stderr.startswith("holdfast: no daemon is running"), r.stderr


def test_relay_tests_are_counted_by_verdict(holdfast_factory, tmp_path):
    port = free_port("127.0.0.6")
    with DnsServer(tmp_path / "dns", ttl=0) as dns, \
            RelayPostfix("closed", host="127.0.0.6", port=port):
        dns.a("mx.example.test", "127.0.0.1").a("mail.acme.test", "127.0.0.6")
        dns.mx("acme.test", "mail.acme.test", 10).mx("acme.test", "mx.example.test", 20)
        dns.restart()
        h = holdfast_factory(mx_server() + maildir_local(["alice"]) + dns_servers(dns.address) + f"""
[store]
url = "sqlite:holdfast.db"

[watch]
enabled = true
mx_interval = "1s"
retest_interval = "1h"
rbl_interval = "1h"
test_port = {port}
test_pause = "0s"
test_timeout = "5s"
zones = []
""")
        before = Scrape(h)
        assert before("holdfast_relay_tests_total", verdict="closed") == 0
        assert ("holdfast_queue_messages", frozenset({("domain", "acme.test")})) \
            not in before.samples, "not a backup domain yet"
        r = h.cli("customers", "add", "acme", "--email", "alice@example.test", "--domain",
                  "acme.test")
        assert r.returncode == 0, r.stderr
        wait_until(lambda: "verdict=closed" in h.log_text(), timeout=30)
        after = Scrape(h)
        assert after("holdfast_relay_tests_total", verdict="closed") == 1
        assert after("holdfast_relay_tests_total", verdict="open") == 0
        assert after("holdfast_relay_tests_total", verdict="inconclusive") == 0
        # A customer's domain is a backup domain: it has its series now.
        assert after("holdfast_queue_messages", domain="acme.test") == 0
        assert after("holdfast_primary_up", domain="acme.test") == 1


def test_queue_is_sampled_into_the_store(holdfast_factory, tmp_path):
    """[watch] sample_interval: one row per backup domain at start and then
    every interval, with what waits (the primary is down here)."""
    with backup_dns(tmp_path / "dns") as dns:
        h = holdfast_factory(backup_config(dns, extra='\n[watch]\nsample_interval = "1s"\n'))
        for seq in range(2):
            send(h.port, SENDER, ["alice@customer.test"], message(seq, "alice@customer.test"))

        def samples():
            with sqlite3.connect(h.dir / "holdfast.db") as db:
                return db.execute("SELECT at, messages, bytes FROM queue_samples "
                                  "WHERE domain = 'customer.test' ORDER BY at").fetchall()
        wait_until(lambda: any(m == 2 for _, m, _ in samples()), timeout=10)
        rows = samples()
        assert rows[0][1] in (0, 1, 2), rows  # the first, taken at start
        full = [r for r in rows if r[1] == 2]
        assert full[0][2] > 2 * 900, "octets of both messages"
        assert all(abs(at - time.time()) < 60 for at, _, _ in rows)
        assert [at for at, _, _ in rows] == sorted(at for at, _, _ in rows)


def test_a_reload_brings_a_new_backup_domains_series(holdfast_factory, tmp_path):
    with backup_dns(tmp_path / "dns") as dns:
        h = holdfast_factory(backup_config(dns))
        key = ("holdfast_primary_up", frozenset({("domain", "new.test")}))
        assert key not in Scrape(h).samples
        h.config.write_text(h.config.read_text() + '\n[[backup]]\ndomain = "new.test"\n')
        r = h.cli("reload")
        assert r.returncode == 0, r.stdout + r.stderr
        m = Scrape(h)
        assert m("holdfast_primary_up", domain="new.test") == 1
        assert m("holdfast_queue_messages", domain="new.test") == 0
        assert m("holdfast_queue_messages", domain="customer.test") == 0
