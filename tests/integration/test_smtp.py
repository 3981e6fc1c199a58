"""The SMTP server with real clients: swaks and smtplib deliver to a local
Maildir; protocol errors get clear replies and leave the server serving."""
import pathlib
import smtplib
import subprocess
import time

from holdfast_config import config_text
from smtpwire import Wire

PORT = 2525


def maildir(h, user):
    return h.dir / "mail" / "example.test" / user / "new"


def wait_messages(h, user, count, timeout=10):
    d = maildir(h, user)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(d.glob("*")) if d.exists() else []
        if len(files) >= count:
            return [f.read_bytes() for f in files]
        time.sleep(0.05)
    raise AssertionError(f"expected {count} messages in {d}, found {len(list(d.glob('*'))) if d.exists() else 0}")


def test_swaks_delivers_to_a_local_maildir(holdfast_factory):
    h = holdfast_factory(config_text())
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{PORT}", "--from", "sender@ext.test",
                        "--to", "alice@example.test", "--header", "Subject: hello from swaks",
                        "--body", "a body line from swaks"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "250 2.0.0 Ok: queued as " in r.stdout
    queue_id = r.stdout.split("queued as ")[1].split()[0]
    [msg] = wait_messages(h, "alice", 1)
    text = msg.decode()
    # Maildir files store LF line ends (as Postfix and Dovecot do).
    assert text.startswith("Return-Path: <sender@ext.test>\n")
    assert "Delivered-To: alice@example.test\n" in text
    assert "\r" not in text
    assert f"by mx.example.test (Holdfast) with ESMTP id {queue_id}" in text
    assert "Subject: hello from swaks\n" in text
    assert "a body line from swaks" in text
    assert f"id={queue_id}" in h.log_text()


def test_smtplib_delivers_with_dot_stuffing_and_8bit(holdfast_factory):
    h = holdfast_factory(config_text())
    body = ("Subject: smtplib\r\n\r\n.a line that starts with a dot\r\n"
            "caf\u00e9 in 8 bits\r\n").encode()
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        assert s.ehlo()[0] == 250
        for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "smtputf8"):
            assert s.has_extn(ext), ext
        assert not s.has_extn("auth")  # never without TLS
        assert s.sendmail("x@ext.test", ["bob@example.test", "Postmaster"], body,
                          mail_options=["BODY=8BITMIME"]) == {}
    [msg] = wait_messages(h, "bob", 1)
    assert b"\n.a line that starts with a dot\n" in msg
    assert "caf\u00e9".encode() in msg
    wait_messages(h, "postmaster", 1)


def test_unknown_local_user_and_backup_recipients(holdfast_factory):
    holdfast_factory(config_text())
    w = Wire(PORT, source="127.0.0.2")
    w.reply()
    w.cmd("EHLO client.test")
    assert w.cmd("MAIL FROM:<x@ext.test>")[0] == 250
    code, text = w.cmd("RCPT TO:<mallory@example.test>")
    assert (code, text[4:9]) == (550, "5.1.1")
    assert w.cmd("RCPT TO:<carol@customer.test>")[0] == 250  # a known backup recipient
    code, text = w.cmd("RCPT TO:<dave@customer.test>")
    assert (code, text[4:9]) == (550, "5.1.1")
    assert w.cmd("QUIT")[0] == 221


def test_sequence_and_parameter_errors(holdfast_factory):
    holdfast_factory(config_text(limits={"message_size": 2048, "recipients": 2, "errors": 100}))
    w = Wire(PORT)
    w.reply()
    assert w.cmd("MAIL FROM:<a@ext.test>")[0] == 503  # before EHLO
    assert w.cmd("EHLO client.test")[0] == 250
    assert w.cmd("RCPT TO:<alice@example.test>")[0] == 503  # before MAIL
    assert w.cmd("DATA")[0] == 503
    code, text = w.cmd("MAIL FROM:<a@ext.test> SIZE=4096")
    assert (code, text[4:9]) == (552, "5.3.4")
    assert w.cmd("MAIL FROM:<a@ext.test> SIZE=100")[0] == 250
    assert w.cmd("MAIL FROM:<a@ext.test>")[0] == 503  # nested
    assert w.cmd("DATA")[0] == 554  # no valid recipients
    assert w.cmd("RCPT TO:<alice@example.test>")[0] == 250
    assert w.cmd("RCPT TO:<bob@example.test>")[0] == 250
    code, text = w.cmd("RCPT TO:<postmaster@example.test>")
    assert (code, text[4:9]) == (452, "4.5.3")
    assert w.cmd("DATA")[0] == 354
    w.send("Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * 40 + ".\r\n")
    code, text = w.reply()
    assert (code, text[4:9]) == (552, "5.3.4")
    assert w.cmd("VRFY alice")[0] == 252
    assert w.cmd("HELP")[0] == 214
    assert w.cmd("FOO")[0] == 500
    assert w.cmd("MAIL FROM:<j\u00f6rg@ext.test>")[0] == 553  # UTF-8 needs SMTPUTF8
    assert w.cmd("MAIL FROM:<j\u00f6rg@ext.test> SMTPUTF8")[0] == 250
    assert w.cmd("RSET")[0] == 250
    assert w.cmd("QUIT")[0] == 221


def test_pipelined_transaction_gets_all_replies_in_order(holdfast_factory):
    h = holdfast_factory(config_text())
    w = Wire(PORT)
    w.reply()
    w.cmd("EHLO client.test")
    w.send("MAIL FROM:<a@ext.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\n"
           "RCPT TO:<bob@example.test>\r\nDATA\r\n")
    assert [w.reply()[0] for _ in range(5)] == [250, 250, 550, 250, 354]
    w.send("Subject: pipelined\r\n\r\nhi\r\n.\r\nQUIT\r\n")
    assert w.reply()[0] == 250
    assert w.reply()[0] == 221
    wait_messages(h, "alice", 1)
    wait_messages(h, "bob", 1)


def test_bad_input_gets_clear_errors_and_the_server_keeps_serving(holdfast_factory):
    h = holdfast_factory(config_text())
    w = Wire(PORT)
    w.reply()
    code, text = w.cmd("NOOP " + "x" * 2000)
    assert (code, text[4:9]) == (500, "5.5.2") and "too long" in text
    code, text = w.cmd("NO\0OP")
    assert (code, text[4:9]) == (500, "5.5.2")
    w.send("NOOP\n")
    code, text = w.reply()
    assert (code, text[4:9]) == (500, "5.5.2") and "bare" in text
    # A 2 MB command line: one error, no memory blow-up, then business as usual.
    w.send(b"A" * (2 * 1024 * 1024) + b"\r\n")
    assert w.reply()[0] == 500
    assert w.cmd("NOOP")[0] == 250
    # Meanwhile another client is served normally.
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        assert s.sendmail("x@ext.test", ["alice@example.test"], b"Subject: ok\r\n\r\nok\r\n") == {}
    assert w.cmd("QUIT")[0] == 221
    wait_messages(h, "alice", 1)


def test_too_many_errors_disconnects(holdfast_factory):
    holdfast_factory(config_text(limits={"errors": 3}))
    w = Wire(PORT)
    w.reply()
    assert w.cmd("FOO")[0] == 500
    assert w.cmd("BAR")[0] == 500
    assert w.cmd("BAZ")[0] == 500  # the third error is answered, then the session ends
    code, text = w.reply()
    assert (code, text[4:9]) == (421, "4.7.0") and "Too many errors" in text
    assert w.closed()


def test_silent_client_times_out_while_others_are_served(holdfast_factory):
    holdfast_factory(config_text(limits={"idle_timeout": '"2s"'}))
    silent = Wire(PORT)
    assert silent.reply()[0] == 220
    start = time.monotonic()
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        assert s.noop()[0] == 250
    code, text = silent.reply()  # nothing sent: the server gives up
    assert (code, text[4:9]) == (421, "4.4.2")
    assert 1.5 < time.monotonic() - start < 6
    assert silent.closed()


def test_connection_limit_per_client(holdfast_factory):
    holdfast_factory(config_text(limits={"connections_per_ip": 2}))
    outside = "127.0.0.2"  # not in relay.networks (127.0.0.1/32)
    a, b = Wire(PORT, source=outside), Wire(PORT, source=outside)
    assert a.reply()[0] == 220 and b.reply()[0] == 220
    c = Wire(PORT, source=outside)
    code, text = c.reply()
    assert (code, text[4:9]) == (421, "4.7.0")
    d = Wire(PORT, source="127.0.0.3")  # another client is not affected
    assert d.reply()[0] == 220


def test_connection_limit_exempts_relay_networks(holdfast_factory):
    # As Postfix exempts $mynetworks: the LAN's own clients are not counted
    # per address (only towards the total).
    holdfast_factory(config_text(limits={"connections_per_ip": 2}))
    lan = [Wire(PORT) for _ in range(5)]
    assert [w.reply()[0] for w in lan] == [220] * 5


def test_connection_limit_exempt_networks_configurable(holdfast_factory):
    holdfast_factory(config_text(limits={"connections_per_ip": 1, "exempt_networks": "[]"}))
    # The fixture's readiness probe came from 127.0.0.1 too: wait until the
    # server has seen it close.
    deadline = time.monotonic() + 5
    while (a := Wire(PORT)).reply()[0] != 220:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    code, _ = Wire(PORT).reply()
    assert code == 421


def test_connection_slot_is_free_once_the_client_has_its_221(holdfast_factory):
    # A sender that keeps exactly connections_per_ip sessions busy, closing
    # one and opening the next the moment it reads 221, is never refused.
    holdfast_factory(config_text(limits={"connections_per_ip": 2}))
    outside = "127.0.0.2"
    held = Wire(PORT, source=outside)
    assert held.reply()[0] == 220
    refused = 0
    for _ in range(300):
        w = Wire(PORT, source=outside)
        code, _ = w.reply()
        if code != 220:
            refused += 1
        else:
            assert w.cmd("QUIT")[0] == 221
        w.close()
    assert refused == 0
