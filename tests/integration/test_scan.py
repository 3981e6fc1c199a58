"""Anti-virus and anti-spam at DATA (issue 13): a real clamd and a real
rspamd, started here with configurations of the test's own (offline), scan
messages for the domains that have the option, before the 250."""
import base64
import pathlib
import re
import smtplib
import time

import pytest

from scanners import (Clamd, Garbage, GTUBE, GTUBE_ADD_HEADER, GTUBE_REWRITE_SUBJECT, EICAR,
                      Hang, Rspamd, rss_kib)

PORT = 2525


def scan_config(clamd="", rspamd="", on_error="tempfail", timeout="10s", extra="",
                max_size=41943040):
    return f"""
[server]
hostname = "mx.example.test"
spool = "spool"

[relay]
networks = ["127.0.0.1/32"]

[[listen]]
address = "127.0.0.1:{PORT}"
role = "mx"

[[local]]
domain = "scanned.test"
maildir = "mail/%d/%u"
recipients = ["alice"]
scan = true

[[local]]
domain = "plain.test"
maildir = "mail/%d/%u"
recipients = ["bob"]

[scan]
clamd = "{clamd}"
rspamd = "{rspamd}"
on_error = "{on_error}"
clamd_timeout = "{timeout}"
rspamd_timeout = "{timeout}"
max_size = {max_size}
{extra}
"""


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    c = Clamd(tmp_path_factory.mktemp("clamd")).start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def rspamd(tmp_path_factory):
    r = Rspamd(tmp_path_factory.mktemp("rspamd")).start()
    yield r
    r.stop()


def message(subject, body, pad=0, headers=""):
    """A message; with pad, multipart with about pad octets in a second part
    (rspamd looks for its test patterns only in a small text part)."""
    line = "padding " + "p" * 70 + "\r\n"
    if pad:
        headers += 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p1"\r\n'
        body = (f"--p1\r\nContent-Type: text/plain\r\n\r\n{body}\r\n--p1\r\n"
                "Content-Type: application/octet-stream\r\n\r\n"
                + line * (pad // len(line) + 1) + "--p1--")
    text = (f"From: sender@ext.test\r\nTo: someone@scanned.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 30 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{time.time_ns()}@ext.test>\r\n"
            f"{headers}\r\n{body}\r\n")
    return text.encode()


def eicar_message(pad=0):
    b64 = base64.b64encode(EICAR).decode()
    body = ("This is a MIME message.\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            + ("filler " * 10 + "\r\n") * (pad // 72) +
            "--b1\r\nContent-Type: application/octet-stream; name=eicar.com\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=eicar.com\r\n\r\n"
            f"{b64}\r\n--b1--")
    return message("a file", body, headers='MIME-Version: 1.0\r\nContent-Type: multipart/mixed; '
                   'boundary="b1"\r\n')


def send(msg, rcpt="alice@scanned.test", sender="sender@ext.test"):
    """(code, text) of the reply to the final dot."""
    with smtplib.SMTP("127.0.0.1", PORT, timeout=60) as s:
        s.ehlo("client.ext.test")
        s.mail(sender)
        code, text = s.rcpt(rcpt)
        assert code == 250, (code, text)
        s.putcmd("data")
        code, _ = s.getreply()
        assert code == 354
        q = smtplib.quotedata(msg.decode("latin-1")).encode("latin-1")
        s.send(q + (b"" if q.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        code, text = s.getreply()
        # The session goes on after a refusal or a tempfail.
        assert s.noop()[0] == 250
        return code, text.decode()


def delivered(h, domain, user, timeout=10):
    d = h.dir / "mail" / domain / user / "new"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(d.glob("*")) if d.exists() else []
        if files:
            return [f.read_bytes() for f in files]
        time.sleep(0.05)
    return []


def queue_empty(h):
    r = h.cli("queue", "list", "--json")
    return r.stdout.strip() in ("[]", "")


def scan_lines(h):
    return [l for l in h.log_text().splitlines() if " scan=" in l]


def test_verdicts_of_real_clamd_and_rspamd(holdfast_factory, clamd, rspamd):
    h = holdfast_factory(scan_config(clamd.address, rspamd.address))

    # A virus: refused at DATA, naming it, in memory and from a body file.
    for pad in (0, 200 * 1024):
        code, text = send(eicar_message(pad))
        assert code == 554 and "5.7.1 Virus found: Test.EICAR.HDB" in text, (code, text)
    # GTUBE: rspamd says reject.
    code, text = send(message("buy now", GTUBE))
    assert code == 550 and text.startswith("5.7.1 Spam message rejected (score 15.00"), text
    assert not delivered(h, "scanned.test", "alice", timeout=0.5)

    # Clean: accepted with the spam headers.
    code, text = send(message("hello", "Just a note.\r\nBest, S."))
    assert code == 250, text
    [clean] = delivered(h, "scanned.test", "alice")
    assert b"\nX-Spam-Status: No, score=" in clean and b"\nX-Spam-Score: " in clean
    assert clean.index(b"X-Spam-Status") < clean.index(b"Received: ")

    # add header / rewrite subject: accepted and marked, also a body file.
    for i, pad in enumerate((0, 300 * 1024)):
        code, text = send(message(f"tag {i}", GTUBE_ADD_HEADER, pad=pad))
        assert code == 250, text
        code, text = send(message(f"offer {i}", GTUBE_REWRITE_SUBJECT, pad=pad))
        assert code == 250, text
    mails = delivered(h, "scanned.test", "alice")
    deadline = time.monotonic() + 10
    while len(mails) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
        mails = delivered(h, "scanned.test", "alice")
    assert len(mails) == 5
    for i, pad in enumerate((0, 300 * 1024)):
        [tagged] = [m for m in mails if f"Subject: tag {i}\n".encode() in m]
        assert b"X-Spam-Status: Yes, score=6.00 required=15.00\n" in tagged
        [rewritten] = [m for m in mails if b"offer " + str(i).encode() in m]
        assert f"\nSubject: *** SPAM *** offer {i}\n".encode() in rewritten
        assert rewritten.count(b"\nSubject:") == 1
        assert b"X-Spam-Status: Yes, score=8.00" in rewritten
        # The body is all there, after the edited head.
        assert rewritten.count(b"\npadding ") == (pad // 80 + 1 if pad else 0)
        assert rewritten.endswith(b"--p1--\n") if pad else True

    # A domain without the option: not scanned, not marked.
    code, text = send(message("plain", GTUBE), rcpt="bob@plain.test")
    assert code == 250, text
    [plain] = delivered(h, "plain.test", "bob")
    assert b"X-Spam" not in plain
    lines = scan_lines(h)
    assert len(lines) == 8, lines  # 2 virus, 1 spam, 1 clean, 4 tagged; not the plain one
    assert any("scan=virus" in l and "clamd=virus:Test.EICAR.HDB" in l and "clamd_ms=" in l
               and "rspamd_ms=" in l and "id=" in l for l in lines)
    assert queue_empty(h)
    # The same counts in the metrics (docs/metrics.md).
    text = h.cli("metrics", check=True).stdout
    assert 'holdfast_scan_messages_total{decision="refused"} 3' in text, text
    assert 'holdfast_scan_messages_total{decision="accepted"} 5' in text, text
    assert "holdfast_scan_seconds_count 8" in text, text


def test_clamd_down_tempfail_queues_nothing(holdfast_factory, tmp_path):
    h = holdfast_factory(scan_config(f"unix:{tmp_path}/no-clamd.sock"))
    code, text = send(message("hello", "hi"))
    assert (code, text) == (451, "4.7.1 Content scanner unavailable, try again later")
    assert queue_empty(h)
    assert not delivered(h, "scanned.test", "alice", timeout=0.5)
    [line] = scan_lines(h)
    assert "scan=error" in line and "clamd=error" in line and "clamd_error=" in line
    assert "holdfast_scan_errors_total 1" in h.cli("metrics", check=True).stdout


def test_clamd_down_accept_accepts_and_logs(holdfast_factory, tmp_path):
    h = holdfast_factory(scan_config(f"unix:{tmp_path}/no-clamd.sock", on_error="accept"))
    code, text = send(message("hello", "hi"))
    assert code == 250, text
    assert delivered(h, "scanned.test", "alice")
    [line] = scan_lines(h)
    assert "scan=error-accepted" in line and "decision=accept" in line


@pytest.mark.parametrize("hanging", ["clamd", "rspamd"])
def test_hanging_or_garbage_scanner_is_an_error_not_a_stuck_session(holdfast_factory, hanging):
    hang, garbage = Hang(13310), Garbage(13311)
    try:
        clamd, rspamd = (hang, garbage) if hanging == "clamd" else (garbage, hang)
        h = holdfast_factory(scan_config(clamd=clamd.address, rspamd=rspamd.address,
                                         timeout="1s"))
        started = time.monotonic()
        code, text = send(message("hello", "hi"))
        took = time.monotonic() - started
        assert code == 451 and "4.7.1" in text
        assert took < 5, took
        [line] = scan_lines(h)
        other = "rspamd" if hanging == "clamd" else "clamd"
        assert f'{hanging}_error="timeout after 1s"' in line, line
        assert f"{other}_error=" in line, line
        assert queue_empty(h)
    finally:
        hang.stop()
        garbage.stop()


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def test_30mb_message_scanned_in_bounded_memory(holdfast_factory, clamd, rspamd):
    h = holdfast_factory(scan_config(clamd.address, rspamd.address, timeout="60s"))
    # Warm up (pools, allocator) with a small scanned message first.
    assert send(message("warm", "hi"))[0] == 250
    before = vm_hwm_kib(h.proc.pid)
    clamd_before = clamd.rss_kib()
    code, text = send(message("big one", "start", pad=30 * 1024 * 1024))
    assert code == 250, text
    growth = vm_hwm_kib(h.proc.pid) - before
    print(f"\n30 MiB scanned: holdfast peak RSS grew by {growth} KiB "
          f"(chunk 64 KiB); clamd RSS {clamd_before} -> {clamd.rss_kib()} KiB")
    assert growth < 16 * 64, growth  # a small multiple of the chunk, not 30 MiB
    [line] = [l for l in scan_lines(h) if int(re.search(r" size=(\d+)", l).group(1)) > 30 << 20]
    assert "clamd=clean" in line and "rspamd=" in line and "decision=accept" in line


def test_store_customer_scan_flag(holdfast_factory, rspamd):
    h = holdfast_factory(scan_config(rspamd=rspamd.address))
    r = h.cli("customers", "add", "acme", "--email", "admin@acme.test", "--domain", "cust.test",
              "--scan")
    assert r.returncode == 0, r.stderr
    listed = h.cli("customers", "list", "--json")
    assert '"scan": true' in listed.stdout
    deadline = time.monotonic() + 5
    while True:  # the daemon is told through its control socket
        code, text = send(message("buy now", GTUBE), rcpt="anyone@cust.test")
        if code == 550 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert code == 550 and "Spam message rejected" in text, (code, text)
    assert h.cli("customers", "scan", "acme", "off").returncode == 0
    deadline = time.monotonic() + 5
    while True:
        code, text = send(message("buy now", GTUBE), rcpt="anyone@cust.test")
        if code == 250 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert code == 250, (code, text)
    assert h.cli("customers", "scan", "nobody", "on").returncode == 1
    assert h.cli("customers", "scan", "acme", "maybe").returncode == 2


def test_relayed_mail_scanned_for_the_senders_domain(holdfast_factory, rspamd):
    """The LAN's outgoing mail (a relay recipient) is scanned when the
    sender's domain has the option; inbound mail claiming such a sender
    for a domain without it is not."""
    h = holdfast_factory(scan_config(rspamd=rspamd.address))
    code, text = send(message("buy now", GTUBE), rcpt="someone@far.test",
                      sender="alice@scanned.test")
    assert code == 550, (code, text)
    code, text = send(message("buy now", GTUBE), rcpt="bob@plain.test",
                      sender="alice@scanned.test")
    assert code == 250, (code, text)
    [line] = scan_lines(h)
    assert "reason=sender:scanned.test" in line


def test_larger_than_max_size_passes_unscanned(holdfast_factory, rspamd):
    h = holdfast_factory(scan_config(rspamd=rspamd.address, max_size=2000))
    code, text = send(message("buy now", GTUBE, pad=4000))
    assert code == 250, (code, text)
    [line] = scan_lines(h)
    assert 'scan=skipped reason="larger than max_size"' in line and "max_size=2000" in line
    [mail] = delivered(h, "scanned.test", "alice")
    assert b"X-Spam" not in mail


def test_reload_turns_scanning_on(holdfast_factory, rspamd):
    """[scan] and the domains' scan keys take effect at a reload."""
    h = holdfast_factory(scan_config())
    assert send(message("buy now", GTUBE))[0] == 250
    h.config.write_text(scan_config(rspamd=rspamd.address))
    r = h.cli("reload")
    assert r.returncode == 0, r.stdout + r.stderr
    code, text = send(message("buy now", GTUBE))
    assert code == 550 and "Spam message rejected" in text, (code, text)
