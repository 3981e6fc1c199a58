"""A backup MX accepts only recipients that exist, from the real binary:
a `recipients` list, a `recipients_file` re-read when it changes, and
`verify = true`, which asks the primary (a small Python SMTP server here that
refuses nobody@ with 550) and caches its answers, so that known recipients
are still accepted while the primary is down, across a restart. And ETRN
(RFC 1985): the primary, or the customer's networks, ask for the queue."""
import json
import socket
import socketserver
import threading
import time

import pytest
from config_parts import mx_server
from smtpwire import Wire

PORT = 2525
PRIMARY = "127.0.0.10"  # the verify domains' primary
ETRN_PRIMARY = "127.0.0.11"  # etrn.test's primary
OUTSIDE = "127.0.0.2"  # a client outside relay.networks


def config(extra=""):
    return mx_server("backup.isp.test", PORT) + f"""
# Long waits: only ETRN can explain a prompt delivery.
[queue]
retry_min = "1h"
retry_max = "1h"
probe_interval = "1h"

[[backup]]
domain = "listed.test"
recipients = ["carol"]

[[backup]]
domain = "filed.test"
recipients_file = "recipients"

[[backup]]
domain = "customer.test"
primary = "{PRIMARY}:25"
verify = true

[[backup]]
domain = "lenient.test"
primary = "{PRIMARY}:25"
verify = true
unknown_while_down = "accept"

[[backup]]
domain = "etrn.test"
primary = "{ETRN_PRIMARY}:25"
recipients = ["dora"]
{extra}"""


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        server = self.server
        self.reply("220 primary.test ESMTP")
        rcpts, data = [], None
        for raw in self.rfile:
            line = raw.decode(errors="replace").rstrip("\r\n")
            if data is not None:
                if line == ".":
                    server.messages.append((rcpts, "\n".join(data)))
                    rcpts, data = [], None
                    self.reply("250 2.0.0 Ok: queued")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            server.lines.append(line)
            if verb in ("EHLO", "HELO"):
                self.reply("250 primary.test")
            elif verb == "MAIL":
                rcpts = []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                address = line[line.find("<") + 1:line.rfind(">")]
                if address.lower().startswith("nobody@"):
                    self.reply(f"550 5.1.1 <{address}>: Recipient address rejected: User unknown")
                else:
                    rcpts.append(address)
                    self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                data = []
                self.reply("354 End data with <CR><LF>.<CR><LF>")
            elif verb == "RSET":
                rcpts = []
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")


class Primary:
    """A customer's primary: knows everyone but nobody@; keeps what it got."""

    def __init__(self, host):
        self.host = host
        self.server = None
        self.lines, self.messages = [], []

    def start(self):
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer((self.host, 25), _Handler)
        self.server.daemon_threads = True
        self.server.lines, self.server.messages = self.lines, self.messages
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def rcpts(self):
        return [line for line in self.lines if line.upper().startswith("RCPT")]


@pytest.fixture
def primary():
    p = Primary(PRIMARY).start()
    yield p
    p.stop()


def rcpt(address, source=OUTSIDE):
    """The RCPT reply for one address, in a fresh session."""
    w = Wire(PORT, source=source)
    assert w.reply()[0] == 220
    assert w.cmd("EHLO client.sender.test")[0] == 250
    assert w.cmd("MAIL FROM:<sender@sender.test>")[0] == 250
    answer = w.cmd(f"RCPT TO:<{address}>")
    w.cmd("QUIT")
    w.close()
    return answer


def wait_until(what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.05)
    return False


def start(holdfast_factory, recipients="alice\n"):
    h = holdfast_factory(config(), start=False)
    (h.dir / "recipients").write_text(recipients)
    return h.start()


def test_a_list_refuses_who_does_not_exist(holdfast_factory):
    h = start(holdfast_factory)
    assert rcpt("carol@listed.test")[0] == 250
    assert rcpt("Carol@LISTED.test")[0] == 250
    code, text = rcpt("dave@listed.test")
    assert code == 550 and "5.1.1" in text and "<dave@listed.test>" in text, text
    assert rcpt("postmaster@listed.test")[0] == 250
    log = h.log_text()
    assert "to=<carol@listed.test> check=list action=accept" in log
    assert "to=<dave@listed.test> check=list action=reject" in log


def test_a_recipients_file_is_reread_when_it_changes(holdfast_factory):
    h = start(holdfast_factory, "# filed.test\nalice\n\nzed@filed.test  # full address\n")
    assert rcpt("alice@filed.test")[0] == 250
    assert rcpt("zed@filed.test")[0] == 250
    code, text = rcpt("bob@filed.test")
    assert (code, text.split()[1]) == (550, "5.1.1"), text
    (h.dir / "recipients").write_text("alice\nbob\n")
    # Checked at most once a second, on RCPT.
    assert wait_until(lambda: rcpt("bob@filed.test")[0] == 250, timeout=5)
    assert rcpt("zed@filed.test")[0] == 550
    # Unreadable now: the last good list stays, and the log says so.
    (h.dir / "recipients").unlink()
    time.sleep(1.1)
    assert rcpt("bob@filed.test")[0] == 250
    assert wait_until(lambda: "status=unreadable" in h.log_text())
    # A half-edited file (a malformed line) is not used either.
    (h.dir / "recipients").write_text("alice\nbob carol\n")
    time.sleep(1.1)
    assert rcpt("bob@filed.test")[0] == 250
    assert wait_until(lambda: "status=invalid" in h.log_text())


def test_a_missing_recipients_file_is_a_config_error(holdfast_factory):
    h = holdfast_factory(config(), start=False)
    r = h.cli("check-config")
    assert r.returncode == 2, r
    assert 'recipients_file "recipients" cannot be read' in r.stderr, r.stderr
    h.start(wait=False)
    assert h.proc.wait(timeout=10) == 2
    # serve also refuses a malformed line, naming FILE:LINE.
    (h.dir / "recipients").write_text("alice\nalice@other.test\n")
    assert h.cli("check-config").returncode == 0
    h.start(wait=False)
    assert h.proc.wait(timeout=10) == 2
    assert "recipients:2: " in h.log_text()


def test_verify_asks_the_primary_and_remembers_through_its_absence_and_a_restart(
        holdfast_factory, primary):
    h = start(holdfast_factory)
    assert rcpt("alice@customer.test")[0] == 250
    code, text = rcpt("nobody@customer.test")
    assert code == 550 and "5.1.1" in text, text
    assert rcpt("bob@lenient.test")[0] == 250
    # The probe never sent mail: MAIL FROM:<>, RCPT, RSET, no DATA.
    assert "MAIL FROM:<>" in primary.lines
    assert "RSET" in primary.lines and "DATA" not in primary.lines
    asked = len(primary.rcpts())
    assert rcpt("alice@customer.test")[0] == 250  # cached: no new probe
    assert len(primary.rcpts()) == asked
    log = h.log_text()
    assert "to=<alice@customer.test> check=verify verify=good source=primary action=accept" in log
    assert "to=<nobody@customer.test> check=verify verify=bad source=primary action=reject" in log
    assert "to=<alice@customer.test> check=verify verify=good source=cache action=accept" in log

    primary.stop()
    assert rcpt("alice@customer.test")[0] == 250
    assert rcpt("nobody@customer.test")[0] == 550
    code, text = rcpt("carol@customer.test")
    assert code == 450 and "4.1.1" in text, text
    assert rcpt("carol@lenient.test")[0] == 250  # unknown_while_down = "accept"
    log = h.log_text()
    assert "to=<carol@customer.test> check=verify verify=unknown source=primary action=defer" in log
    assert "to=<carol@lenient.test> check=verify verify=unknown source=primary action=accept" in log

    # The answers are on disk in the spool and outlive the process.
    cache = json.loads((h.dir / "spool" / "verify-cache.json").read_text())
    assert {e["address"]: e["verdict"] for e in cache["entries"]} == {
        "alice@customer.test": "good", "nobody@customer.test": "bad", "bob@lenient.test": "good"}
    assert h.stop() == 0
    h.start()
    assert rcpt("alice@customer.test")[0] == 250
    assert rcpt("nobody@customer.test")[0] == 550
    assert rcpt("carol@customer.test")[0] == 450


def etrn_session(command, source="127.0.0.1"):
    w = Wire(PORT, source=source)
    assert w.reply()[0] == 220
    code, text = w.cmd("EHLO client.test")
    assert code == 250 and "ETRN" in [line[4:] for line in text.split("\n")], text
    answer = w.cmd(command)
    w.cmd("QUIT")
    w.close()
    return answer


def queue_for_etrn(h):
    """One message for dora@etrn.test, tried once while its primary is down."""
    w = Wire(PORT, source=OUTSIDE)
    assert w.reply()[0] == 220
    assert w.cmd("EHLO client.sender.test")[0] == 250
    assert w.cmd("MAIL FROM:<sender@sender.test>")[0] == 250
    assert w.cmd("RCPT TO:<dora@etrn.test>")[0] == 250
    assert w.cmd("DATA")[0] == 354
    code, text = w.cmd("Subject: for later\r\n\r\nhello\r\n.")
    assert code == 250, text
    w.close()
    assert wait_until(lambda: any("to=<dora@etrn.test>" in line and "status=deferred" in line
                                  for line in h.log_text().splitlines())), h.log_text()


def test_etrn_from_the_customers_networks_flushes_at_once(holdfast_factory):
    h = start(holdfast_factory)
    queue_for_etrn(h)
    p = Primary(ETRN_PRIMARY).start()
    try:
        # Nothing would move for an hour on its own.
        time.sleep(1.5)
        assert not p.messages
        code, text = etrn_session("ETRN etrn.test")
        assert (code, text) == (250, "250 2.0.0 Queuing for node etrn.test started")
        assert wait_until(lambda: p.messages, timeout=10), h.log_text()[-2000:]
        assert p.messages[0][0] == ["dora@etrn.test"]
        assert "command=ETRN domain=etrn.test action=flush" in h.log_text()
    finally:
        p.stop()


def test_etrn_from_the_primary_itself(holdfast_factory):
    h = start(holdfast_factory)
    queue_for_etrn(h)
    p = Primary(ETRN_PRIMARY).start()
    try:
        code, text = etrn_session("ETRN @etrn.test", source=ETRN_PRIMARY)
        assert code == 250, text
        assert wait_until(lambda: p.messages, timeout=10), h.log_text()[-2000:]
    finally:
        p.stop()


def test_etrn_refusals(holdfast_factory):
    h = start(holdfast_factory)
    # Neither the customer's networks nor its primary.
    code, text = etrn_session("ETRN etrn.test", source=OUTSIDE)
    assert code == 459 and "not allowed" in text, text
    # The primary of one domain may not flush another's.
    code, text = etrn_session("ETRN listed.test", source=ETRN_PRIMARY)
    assert code == 459, text
    code, text = etrn_session("ETRN unknown.test")
    assert code == 459, text
    assert etrn_session("ETRN #somequeue")[0] == 458
    assert etrn_session("ETRN not_a..domain")[0] == 501
    assert etrn_session("ETRN")[0] == 501
    w = Wire(PORT)
    assert w.reply()[0] == 220
    assert w.cmd("ETRN etrn.test")[0] == 503  # before EHLO
    assert w.cmd("EHLO client.test")[0] == 250
    assert w.cmd("MAIL FROM:<a@b.test>")[0] == 250
    assert w.cmd("ETRN etrn.test")[0] == 503  # inside a transaction
    w.close()
    assert "command=ETRN domain=etrn.test action=refuse" in h.log_text()
