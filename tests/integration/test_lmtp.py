"""LMTP delivery (RFC 2033) to a real Dovecot (issue 19): per-recipient
results after DATA, permanent failures bounced, temporary ones (a store
that is down, a mailbox over quota) kept and delivered after `queue flush`."""
import json
import smtplib
import subprocess
import textwrap
import time

import pytest

from config_parts import mx_server
from dovecot import Dovecot

PORT = 2525
LMTP_PORT = 24024


@pytest.fixture
def dovecot():
    d = Dovecot(port=LMTP_PORT)
    d.users({"alice@example.test": None, "bob@example.test": None,
             "carol@example.test": None, "dave@tcp.test": None})
    d.start()
    yield d
    failed = d.proc is None or d.proc.poll() is not None
    if failed:
        print(d.log()[-3000:])
    d.cleanup()


def config(dovecot, extra=""):
    return mx_server(port=PORT) + textwrap.dedent(f"""
        [queue]
        retry_min = "1h"
        retry_max = "2h"

        [[local]]
        domain = "example.test"
        lmtp = "unix:{dovecot.socket}"
        # ghost exists for Holdfast, not for Dovecot: Dovecot refuses it (550 5.1.1)
        recipients = ["alice", "bob", "carol", "ghost"]

        [[local]]
        domain = "tcp.test"
        lmtp = "127.0.0.1:{LMTP_PORT}"
        recipients = ["dave"]
        """) + extra


def send(sender, rcpts, subject="t"):
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        refused = s.sendmail(sender, rcpts, f"Subject: {subject}\r\n\r\nbody\r\n".encode())
        assert refused == {}


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def queue_ids(h):
    out = h.cli("queue", "list", "--json")
    return [m["id"] for m in json.loads(out.stdout or "[]")]


def test_delivers_over_unix_socket_and_tcp(holdfast_factory, dovecot):
    h = holdfast_factory(config(dovecot))
    send("x@ext.test", ["alice@example.test", "bob@example.test", "dave@tcp.test"], "both")
    assert wait_for(lambda: len(dovecot.inbox("alice")) == 1 and len(dovecot.inbox("bob")) == 1
                    and len(dovecot.inbox("dave")) == 1), h.log_text() + dovecot.log()
    body = dovecot.inbox("alice")[0].read_text()
    assert "Subject: both" in body
    assert "Received: from" in body  # our own trace header went through
    assert wait_for(lambda: queue_ids(h) == [])
    log = h.log_text()
    assert "relay=lmtp[unix:" in log and "relay=lmtp[127.0.0.1:24024]" in log
    assert log.count("status=sent") == 3
    # One LMTP transaction carried both example.test recipients.
    assert "saved mail to INBOX" in dovecot.log()


def test_unknown_user_bounces_while_others_are_delivered(holdfast_factory, dovecot):
    h = holdfast_factory(config(dovecot))
    send("alice@example.test", ["bob@example.test", "ghost@example.test"], "mixed")
    assert wait_for(lambda: len(dovecot.inbox("bob")) == 1), h.log_text()
    # The bounce comes back to alice, delivered over LMTP too.
    assert wait_for(lambda: len(dovecot.inbox("alice")) == 1), h.log_text()
    bounce = dovecot.inbox("alice")[0].read_text()
    assert "ghost@example.test" in bounce
    assert "Status: 5.1.1" in bounce
    assert "Action: failed" in bounce
    assert "Subject: mixed" in bounce  # the original's header is returned
    assert "to=<ghost@example.test> relay=lmtp" in h.log_text()
    assert "status=bounced dsn=5.1.1" in h.log_text()
    assert wait_for(lambda: queue_ids(h) == [])


def test_no_bounce_to_the_null_sender(holdfast_factory, dovecot):
    h = holdfast_factory(config(dovecot))
    send("", ["ghost@example.test", "carol@example.test"], "from null")
    assert wait_for(lambda: len(dovecot.inbox("carol")) == 1), h.log_text()
    assert wait_for(lambda: "status=no-notice" in h.log_text()), h.log_text()
    assert wait_for(lambda: queue_ids(h) == [])
    assert dovecot.inbox("alice") == []


def test_dovecot_down_defers_and_flush_delivers(holdfast_factory, dovecot):
    dovecot.stop()
    h = holdfast_factory(config(dovecot))
    n = 5
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        for i in range(n):
            s.sendmail("x@ext.test", ["alice@example.test", "dave@tcp.test"],
                       f"Subject: later {i}\r\n\r\nbody\r\n".encode())
    assert wait_for(lambda: h.log_text().count("status=deferred") >= 2 * n), h.log_text()
    out = h.cli("queue", "list", "--json").stdout
    assert "alice@example.test" in out and "connect to lmtp" in out, out
    dovecot.start()
    time.sleep(0.3)
    assert dovecot.inbox("alice") == []  # retry_min is 1h: only the flush brings it
    assert h.cli("queue", "flush").returncode == 0
    assert wait_for(lambda: len(dovecot.inbox("alice")) == n and len(dovecot.inbox("dave")) == n)
    assert wait_for(lambda: queue_ids(h) == [])
    # The flushed backlog went over one kept connection per target, not one
    # per message.
    log = dovecot.log()
    assert log.count("Connect from local") == 1, log
    assert log.count("Connect from 127.0.0.1") == 1, log


def test_over_quota_is_retried_not_bounced(holdfast_factory, dovecot):
    # A 1-octet quota: every message is over it; quota_full_tempfail makes
    # that 452 4.2.2, a temporary failure.
    dovecot.users({"alice@example.test": None, "carol@example.test": "1B"})
    h = holdfast_factory(config(dovecot))
    send("alice@example.test", ["carol@example.test"], "quota")
    assert wait_for(lambda: "to=<carol@example.test>" in h.log_text()
                    and "status=deferred" in h.log_text()), h.log_text() + dovecot.log()
    assert "dsn=4.2.2" in h.log_text(), h.log_text()
    assert dovecot.inbox("carol") == []
    out = h.cli("queue", "list", "--json").stdout
    assert "carol@example.test" in out and "4.2.2" in out, out
    assert dovecot.inbox("alice") == []  # no bounce for a temporary failure
    # The quota raised (Dovecot re-reads its passwd-file when it changes;
    # Maildir++ keeps the limit in maildirsize and rewrites it when the
    # userdb's differs, so "raised", not "removed").
    dovecot.users({"alice@example.test": None, "carol@example.test": "10M"})
    assert h.cli("queue", "flush").returncode == 0
    assert wait_for(lambda: len(dovecot.inbox("carol")) == 1), h.log_text() + dovecot.log()
    assert wait_for(lambda: queue_ids(h) == [])
    assert dovecot.inbox("alice") == []


def test_check_config_refuses_maildir_and_lmtp_together(tmp_path):
    from conftest import HOLDFAST_BIN
    cfg = tmp_path / "h.toml"
    cfg.write_text(textwrap.dedent("""\
        [server]
        hostname = "mx.example.test"
        [[local]]
        domain = "example.test"
        maildir = "mail/%u"
        lmtp = "unix:/run/dovecot/lmtp"
        """))
    r = subprocess.run([HOLDFAST_BIN, "check-config", "-c", str(cfg)], capture_output=True,
                       text=True)
    assert r.returncode == 2
    assert "h.toml:6" in r.stderr and "not both" in r.stderr, r.stderr
