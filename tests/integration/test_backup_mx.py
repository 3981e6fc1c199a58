"""The backup MX end to end with real processes: dnsmasq says customer.test
has MX 10 mx1.customer.test (the primary, 127.0.0.10:25) and MX 20
backup.isp.test (Holdfast, 127.0.0.1). Mail arrives while the primary is
down, waits in the queue, and flows when it is back; failures come back to
the sender as RFC 3464 reports, parsed here field by field."""
import email.utils
import smtplib
import time

import pytest

from dnsserver import DnsServer
from backup import (PRIMARY, SENDER, backup_config, backup_dns, delivery_status, message, notices,
                    queue_list, send, seq_of, normalise, without_our_trace)
from peers import Primary, Sink, wait_until


@pytest.fixture
def dns(tmp_path):
    with backup_dns(tmp_path / "dns") as d:
        yield d


def test_backlog_reaches_the_returned_primary_exactly_once(holdfast_factory, dns, tmp_path):
    h = holdfast_factory(backup_config(dns))
    sent = {}
    for seq in range(100):
        sent[seq] = message(seq, f"user{seq % 7}@customer.test")
        send(h.port, SENDER, [f"user{seq % 7}@customer.test"], sent[seq])
    queued = queue_list(h)
    assert len(queued) == 100
    before = h.log_text().count("status=deferred")
    time.sleep(3)  # a few probes find nobody home
    assert len(queue_list(h)) == 100
    # One probe per interval, not a connection per message; yet every message
    # says why it waits.
    probes = h.log_text().count("status=deferred") - before
    assert 1 <= probes <= 4, "one connection per probe_interval (1s), not one per message"
    errors = {m["last_error"] for m in queue_list(h)}
    assert all("127.0.0.10]:25: Connection refused" in e for e in errors), errors
    assert any(e.startswith("delivery temporarily suspended: ") for e in errors), errors

    sink = Sink(tmp_path / "sink", host=PRIMARY).start()
    try:
        took = wait_until(lambda: len(sink.messages()) >= 100, timeout=60)
        time.sleep(1)  # anything more would be a duplicate
        got = sink.messages()
    finally:
        sink.stop()
    print(f"\nflush: 100 messages reached the returned primary {took:.2f}s after it came back")
    seqs = [seq_of(data) for _, data in got]
    assert sorted(seqs) == list(range(100)), "each message exactly once"
    for env, data in got:
        seq = seq_of(data)
        assert without_our_trace(data) == normalise(sent[seq]), f"message {seq} changed on the way"
        assert env["mail"].startswith(f"<{SENDER}>")
        assert env["rcpt"][0].startswith(f"<user{seq % 7}@customer.test>")
    wait_until(lambda: queue_list(h) == [], timeout=10)
    log = h.log_text()
    assert log.count("status=sent") == 100
    assert "relay=mx1.customer.test[127.0.0.10]:25" in log


def test_a_large_message_reaches_the_returned_primary_whole(holdfast_factory, dns, tmp_path):
    """A message over limits.data_in_memory waits in a body file; the courier
    reads it off the I/O threads and it arrives octet for octet, while the
    same daemon goes on taking small mail."""
    h = holdfast_factory(backup_config(dns))
    line = b"a line of the large message, long enough to count " + b"y" * 40 + b"\r\n"
    big = message(1, "user1@customer.test").replace(b"\r\n\r\n", b"\r\n\r\n" + line * 40000, 1)
    assert len(big) > 3 * 1024 * 1024
    send(h.port, SENDER, ["user1@customer.test"], big)
    [queued] = queue_list(h)
    assert (h.dir / "spool" / "body" / queued["id"]).exists(), "the large one is in a body file"

    sink = Sink(tmp_path / "sink", host=PRIMARY).start()
    try:
        for seq in range(2, 12):  # small ones meanwhile, on the same threads
            send(h.port, SENDER, ["user2@customer.test"], message(seq, "user2@customer.test"))
        wait_until(lambda: len(sink.messages()) >= 11, timeout=60)
        got = {seq_of(data): data for _, data in sink.messages()}
    finally:
        sink.stop()
    assert sorted(got) == list(range(1, 12))
    assert without_our_trace(got[1]) == normalise(big), "the large message changed on the way"
    wait_until(lambda: queue_list(h) == [], timeout=10)
    assert list((h.dir / "spool" / "body").iterdir()) == [], "its body file goes once it is sent"


def test_a_5xx_for_one_recipient_bounces_that_one_only(holdfast_factory, dns):
    primary = Primary(PRIMARY, refuse={"nobody": "550 5.1.1 <nobody@customer.test>: no such user"})
    primary.start()
    try:
        h = holdfast_factory(backup_config(dns))
        data = message(1, "alice@customer.test")
        send(h.port, SENDER, ["alice@customer.test", "nobody@customer.test"], data)
        wait_until(lambda: len(notices(h)) == 1, timeout=20)
        time.sleep(1)
        assert len(primary.received) == 1
        assert primary.received[0]["to"] == ["alice@customer.test"]
        assert primary.received[0]["from"] == SENDER
        bounces = notices(h)
        assert len(bounces) == 1, "one bounce"
        b = bounces[0]
        assert b["Return-Path"] == "<>"
        assert b["To"] == SENDER
        assert "MAILER-DAEMON@backup.isp.test" in b["From"]
        per_message, per_rcpt, parts = delivery_status(b)
        assert per_message["reporting-mta"] == "dns; backup.isp.test"
        assert per_message["arrival-date"]
        assert email.utils.parsedate_to_datetime(per_message["arrival-date"])
        assert len(per_rcpt) == 1, "only the refused recipient"
        r = per_rcpt[0]
        assert r["final-recipient"] == "rfc822; nobody@customer.test"
        assert r["action"] == "failed"
        assert r["status"] == "5.1.1"
        assert r["remote-mta"] == "dns; mx1.customer.test"
        assert r["diagnostic-code"].startswith("smtp; 550 5.1.1")
        assert email.utils.parsedate_to_datetime(r["last-attempt-date"])
        # The original's headers come back (RET unspecified = headers only).
        assert parts[2].get_content_type() in ("text/rfc822-headers", "message/rfc822")
        assert "Subject: backlog 1" in parts[2].as_string()
        assert "nobody@customer.test" in parts[0].get_content()
        wait_until(lambda: queue_list(h) == [], timeout=10)
    finally:
        primary.stop()


def test_expired_mail_is_bounced_after_one_delay_notice(holdfast_factory, dns):
    h = holdfast_factory(backup_config(dns, queue={"lifetime": "5s", "delay_warning": "1s"}))
    send(h.port, SENDER, ["alice@customer.test"], message(2, "alice@customer.test"))
    wait_until(lambda: len(notices(h)) >= 2, timeout=30)
    time.sleep(2)  # a second delay notice would show up now
    got = notices(h)
    assert len(got) == 2, [m["Subject"] for m in got]
    actions = []
    for m in got:
        _, per_rcpt, _ = delivery_status(m)
        assert per_rcpt[0]["final-recipient"] == "rfc822; alice@customer.test"
        actions.append(per_rcpt[0]["action"])
        if per_rcpt[0]["action"] == "delayed":
            assert per_rcpt[0]["status"].startswith("4.")
            assert email.utils.parsedate_to_datetime(per_rcpt[0]["will-retry-until"])
        else:
            assert per_rcpt[0]["status"] == "4.4.7"
    assert sorted(actions) == ["delayed", "failed"]
    assert queue_list(h) == []


def test_a_bounce_is_never_bounced(holdfast_factory, dns):
    primary = Primary(PRIMARY, refuse={"nobody": "550 5.1.1 no such user"}).start()
    try:
        h = holdfast_factory(backup_config(dns))
        send(h.port, "", ["nobody@customer.test"], message(3, "nobody@customer.test", "<>"))
        wait_until(lambda: "status=bounced" in h.log_text(), timeout=20)
        wait_until(lambda: queue_list(h) == [], timeout=10)
        time.sleep(1)
        assert "status=no-notice" in h.log_text()
        assert "notice=bounce" not in h.log_text()
        assert notices(h) == []
    finally:
        primary.stop()


def test_mail_for_a_domain_whose_best_mx_is_us_is_held(holdfast_factory, tmp_path):
    with DnsServer(tmp_path / "dns2") as d:
        d.mx("customer.test", "backup.isp.test", 10)
        d.mx("customer.test", "mx1.customer.test", 20)
        d.a("backup.isp.test", "127.0.0.1")
        d.a("mx1.customer.test", PRIMARY)
        d.restart()
        sink = Sink(tmp_path / "sink", host=PRIMARY).start()
        try:
            h = holdfast_factory(backup_config(d))
            send(h.port, SENDER, ["alice@customer.test"], message(4, "alice@customer.test"))
            wait_until(lambda: "status=held" in h.log_text(), timeout=10)
            time.sleep(1)
            assert sink.messages() == [], "never past a better MX than us, never a loop"
            assert len(queue_list(h)) == 1, "held, not bounced"
            assert notices(h) == []
        finally:
            sink.stop()


def test_authenticated_relay_goes_by_mx_and_is_handled_per_recipient(holdfast_factory, dns,
                                                                      tmp_path):
    from holdfast_config import make_tls, make_users
    cert, key = make_tls(tmp_path)
    users = make_users(tmp_path, {"sender": "s3cret"})
    outside = Primary("127.0.0.12", refuse={"nobody": "550 5.1.1 no such user here",
                                            "later": "451 4.3.0 mailbox busy, try later"})
    outside.start()
    try:
        extra = f'\n[tls]\ncert = "{cert}"\nkey = "{key}"\n\n[auth]\nusers = "{users}"\n'
        h = holdfast_factory(backup_config(dns, extra=extra))
        rcpts = ["friend@outside.test", "nobody@outside.test", "later@outside.test"]
        data = message(5, "friend@outside.test")
        with smtplib.SMTP("127.0.0.1", h.port, source_address=("127.0.0.2", 0)) as s:
            s.ehlo("client.sender.test")
            s.starttls()
            s.ehlo("client.sender.test")
            s.login("sender", "s3cret")
            assert s.sendmail(SENDER, rcpts, data) == {}
        wait_until(lambda: len(outside.received) == 1 and len(notices(h)) == 1, timeout=20)
        assert outside.received[0]["to"] == ["friend@outside.test"]
        _, per_rcpt, _ = delivery_status(notices(h)[0])
        assert [r["final-recipient"] for r in per_rcpt] == ["rfc822; nobody@outside.test"]
        assert per_rcpt[0]["remote-mta"] == "dns; mx.outside.test"
        # The deferred one stays queued with its reason, alone.
        queued = queue_list(h)
        assert len(queued) == 1
        assert queued[0]["recipients"] == ["later@outside.test"]
        assert "451 4.3.0" in queued[0]["last_error"]
        # It goes once the host accepts it.
        outside.refuse.pop("later")
        wait_until(lambda: len(outside.received) == 2, timeout=20)
        assert outside.received[1]["to"] == ["later@outside.test"]
        wait_until(lambda: queue_list(h) == [], timeout=10)
        assert len(notices(h)) == 1
    finally:
        outside.stop()


def test_kill_9_while_the_backlog_flows_loses_nothing(holdfast_factory, dns, tmp_path):
    h = holdfast_factory(backup_config(dns))
    total = 200
    for seq in range(total):
        send(h.port, SENDER, [f"user{seq % 5}@customer.test"], message(seq, "x@customer.test"))
    assert len(queue_list(h)) == total
    sink = Sink(tmp_path / "sink", host=PRIMARY).start()
    try:
        wait_until(lambda: len(sink.messages()) >= 20, timeout=30, interval=0.005)
        h.kill9()
        before = len(sink.messages())
        h.start()
        wait_until(lambda: len({seq_of(d) for _, d in sink.messages()}) >= total, timeout=60)
        wait_until(lambda: queue_list(h) == [], timeout=10)
        time.sleep(1)
        seqs = [seq_of(d) for _, d in sink.messages()]
    finally:
        sink.stop()
    duplicates = len(seqs) - len(set(seqs))
    print(f"\nkill -9 after {before} of {total} had arrived: lost "
          f"{total - len(set(seqs))}, duplicates {duplicates}")
    assert set(seqs) == set(range(total)), "nothing acknowledged is lost"
    # At-least-once: only the messages in flight at the kill may come twice.
    assert duplicates <= 20
