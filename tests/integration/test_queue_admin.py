"""`holdfast queue flush | summary | bounce | expire | delete --bounce`
against the running daemon, on mail held for a backup domain whose
primary is down."""
import json
import time

import pytest

from backup import (PRIMARY, SENDER, backup_config, backup_dns, delivery_status, message,
                    notices, queue_list, send)
from peers import Sink, wait_until

# Probes an hour apart: only `queue flush` can explain a prompt delivery.
SLOW = {"probe_interval": "1h", "retry_min": "1h", "retry_max": "1h"}


@pytest.fixture
def dns(tmp_path):
    with backup_dns(tmp_path / "dns") as d:
        yield d


def queued_for_customer(h, count):
    for seq in range(count):
        send(h.port, SENDER, [f"user{seq}@customer.test"], message(seq, "x@customer.test"))
    # The first attempt finds the primary down; the rest wait for the probe.
    wait_until(lambda: "status=deferred" in h.log_text(), timeout=10)
    ids = [m["id"] for m in queue_list(h)]
    assert len(ids) == count
    return ids


def test_flush_of_a_domain_delivers_its_backlog_now(holdfast_factory, dns, tmp_path):
    h = holdfast_factory(backup_config(dns, queue=SLOW))
    ids = queued_for_customer(h, 5)
    assert len(ids) == 5
    sink = Sink(tmp_path / "sink", host=PRIMARY).start()
    try:
        time.sleep(1.5)
        assert sink.messages() == [], "nothing before the flush (probes are an hour apart)"
        r = h.cli("queue", "flush", "--domain", "customer.test")
        assert r.returncode == 0, r.stderr
        assert "5 messages" in r.stdout
        took = wait_until(lambda: len(sink.messages()) == 5, timeout=10)
        print(f"\nflush: 5 messages delivered {took:.2f}s after `queue flush`")
        wait_until(lambda: queue_list(h) == [], timeout=5)
    finally:
        sink.stop()
    assert "status=flush domain=customer.test messages=5" in h.log_text()


def test_summary_shows_which_domain_waits(holdfast_factory, dns):
    h = holdfast_factory(backup_config(dns, queue=SLOW))
    queued_for_customer(h, 3)
    r = h.cli("queue", "summary", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["total"]["messages"] == 3
    assert s["domains"][0]["domain"] == "customer.test"
    assert s["domains"][0]["messages"] == 3
    assert s["domains"][0]["ages"][0] == 3  # all younger than 5 minutes
    assert s["domains"][0]["bytes"] == sum(m["size"] for m in queue_list(h))
    text = h.cli("queue", "summary").stdout
    assert "customer.test" in text and "TOTAL" in text and "1280m+" in text


def test_bounce_expire_and_delete_return_mail_to_the_sender(holdfast_factory, dns):
    h = holdfast_factory(backup_config(dns, queue=SLOW))
    a, b, c, d = queued_for_customer(h, 4)
    r = h.cli("queue", "bounce", a)
    assert r.returncode == 0, r.stderr
    assert f"{a}: bounced (1 recipient, notice" in r.stdout
    assert h.cli("queue", "expire", b).returncode == 0
    assert h.cli("queue", "delete", "--bounce", c).returncode == 0
    assert h.cli("queue", "delete", d).returncode == 0
    wait_until(lambda: len(notices(h)) == 3, timeout=10)
    time.sleep(0.5)
    assert len(notices(h)) == 3, "a plain delete sends nothing"
    statuses = sorted(delivery_status(m)[1][0]["status"] for m in notices(h))
    assert statuses == ["4.4.7", "5.0.0", "5.0.0"]
    for m in notices(h):
        _, per_rcpt, _ = delivery_status(m)
        assert per_rcpt[0]["action"] == "failed"
        assert "postmaster" in per_rcpt[0]["diagnostic-code"]
    assert queue_list(h) == []
    missing = h.cli("queue", "bounce", a)
    assert missing.returncode == 1
    assert missing.stderr.startswith("holdfast: no such message")


def test_admin_commands_work_on_the_spool_when_no_daemon_runs(holdfast_factory, dns):
    h = holdfast_factory(backup_config(dns, queue=SLOW))
    (a,) = queued_for_customer(h, 1)
    h.stop()
    assert h.cli("queue", "flush").stdout.startswith("flush requested: 1 message")
    assert h.cli("queue", "summary", "--json").returncode == 0
    assert h.cli("queue", "bounce", a).returncode == 0
    (notice,) = queue_list(h)  # the bounce waits for the daemon to deliver it
    assert notice["sender"] == "" and notice["recipients"] == [SENDER]
    h.start()
    wait_until(lambda: len(notices(h)) == 1, timeout=10)


def test_a_held_message_waits_until_released(holdfast_factory, dns, tmp_path):
    h = holdfast_factory(backup_config(dns, queue=SLOW))
    a, b = queued_for_customer(h, 2)
    r = h.cli("queue", "hold", a)
    assert r.returncode == 0 and f"{a}: held" in r.stdout, r.stderr
    assert f"{a}!" in h.cli("queue", "list").stdout
    assert "held: yes" in h.cli("queue", "show", a).stdout
    sink = Sink(tmp_path / "sink", host=PRIMARY).start()
    try:
        assert h.cli("queue", "flush").returncode == 0
        wait_until(lambda: len(sink.messages()) == 1, timeout=10)
        time.sleep(1)
        assert [m["id"] for m in queue_list(h)] == [a], "the held one stays"
        assert len(sink.messages()) == 1
        r = h.cli("queue", "release", a)
        assert r.returncode == 0, r.stderr
        wait_until(lambda: len(sink.messages()) == 2, timeout=10)
        wait_until(lambda: queue_list(h) == [], timeout=5)
    finally:
        sink.stop()
    assert h.cli("queue", "release", a).returncode == 1
