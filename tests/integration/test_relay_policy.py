"""Closed relay: every trick in tests/data/relay_tricks.txt is refused at
RCPT from a client outside relay.networks (127.0.0.2 when the networks are
127.0.0.1/32) — with several senders and HELO names, because trust must
never come from those — and accepted from inside, or after AUTH."""
import os
import pathlib
import smtplib
import ssl

import pytest
from holdfast_config import config_text, make_tls, make_users
from smtpwire import Wire

PORT = 2525
SOURCE = pathlib.Path(os.environ.get("HOLDFAST_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
PLACES = {"{ip}": "[127.0.0.1]", "{host}": "mx.example.test", "{ext}": "ext.test",
          "{local}": "example.test", "{backup}": "customer.test"}
SENDERS = ["<>", "<spammer@ext.test>", "<alice@example.test>", "<postmaster@[127.0.0.1]>"]
HELOS = ["client.test", "mx.example.test"]


def tricks():
    out = []
    for line in (SOURCE / "tests" / "data" / "relay_tricks.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        for key, value in PLACES.items():
            line = line.replace(key, value)
        out.append(line)
    assert len(out) > 30
    return out


def run_battery(source, helo, sender):
    """RCPT answers for every trick in one session: {trick: (code, text)}."""
    w = Wire(PORT, source=source)
    assert w.reply()[0] == 220
    assert w.cmd(f"EHLO {helo}")[0] == 250
    answers = {}
    for trick in tricks():
        assert w.cmd(f"MAIL FROM:{sender}")[0] == 250
        answers[trick] = w.cmd(f"RCPT TO:{trick}")
        assert w.cmd("RSET")[0] == 250
    w.cmd("QUIT")
    return answers


@pytest.mark.parametrize("helo", HELOS)
@pytest.mark.parametrize("sender", SENDERS)
def test_every_trick_is_refused_from_outside(holdfast_factory, helo, sender):
    h = holdfast_factory(config_text(limits={"errors": 1000}))
    answers = run_battery("127.0.0.2", helo, sender)
    relayed = {t: a for t, a in answers.items() if a[0] < 500}
    assert not relayed, f"relayed from outside: {relayed}"
    assert answers["<u@ext.test>"] == (550, "550 5.7.1 <u@ext.test>: relaying denied")
    assert "status=reject" in h.log_text()


def test_every_trick_is_plain_outside_mail_from_inside(holdfast_factory):
    holdfast_factory(config_text(limits={"errors": 1000}))
    answers = run_battery("127.0.0.1", "client.test", "<alice@example.test>")
    refused = {t: a for t, a in answers.items() if a[0] != 250}
    assert not refused, f"refused from a relay network: {refused}"


def test_relay_after_auth_over_starttls(holdfast_factory, tmp_path):
    cert, key = make_tls(tmp_path)
    users = make_users(tmp_path, {"alice": "s3cret"})
    h = holdfast_factory(config_text(tls=(cert, key), users=users))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", PORT, source_address=("127.0.0.2", 0)) as s:
        s.ehlo()
        assert s.has_extn("starttls") and not s.has_extn("auth")
        # Before authenticating, outside mail is refused ...
        s.starttls(context=ctx)
        s.ehlo()
        assert "PLAIN" in s.esmtp_features["auth"] and "LOGIN" in s.esmtp_features["auth"]
        assert not s.has_extn("starttls")
        s.mail("alice@example.test")
        assert s.rcpt("someone@ext.test")[0] == 550
        s.rset()
        # ... and accepted after.
        s.login("alice", "s3cret")
        assert s.sendmail("alice@example.test", ["someone@ext.test"], b"Subject: relayed\r\n\r\nhi\r\n") == {}
    listed = h.cli("queue", "list", "--json")
    assert "someone@ext.test" in listed.stdout, listed.stdout + listed.stderr
    assert 'user="alice"' in h.log_text()


def test_swaks_auth_login_over_starttls(holdfast_factory, tmp_path):
    import subprocess
    cert, key = make_tls(tmp_path)
    users = make_users(tmp_path, {"bob": "pa55word"})
    holdfast_factory(config_text(tls=(cert, key), users=users))
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{PORT}", "--local-interface", "127.0.0.2",
                        "--tls", "--auth", "LOGIN", "--auth-user", "bob", "--auth-password", "pa55word",
                        "--from", "bob@example.test", "--to", "friend@ext.test"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "235 2.7.0" in r.stdout and "queued as" in r.stdout


def test_auth_before_starttls_is_refused(holdfast_factory, tmp_path):
    cert, key = make_tls(tmp_path)
    users = make_users(tmp_path, {"alice": "s3cret"})
    holdfast_factory(config_text(tls=(cert, key), users=users))
    w = Wire(PORT, source="127.0.0.2")
    w.reply()
    w.cmd("EHLO client.test")
    code, text = w.cmd("AUTH PLAIN AGFsaWNlAHMzY3JldA==")
    assert (code, text) == (538, "538 5.7.11 Encryption required for requested authentication mechanism")


def test_wrong_password_is_refused_slower_each_time_then_disconnected(holdfast_factory, tmp_path):
    import time
    cert, key = make_tls(tmp_path)
    users = make_users(tmp_path, {"alice": "s3cret"})
    h = holdfast_factory(config_text(tls=(cert, key), users=users))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = smtplib.SMTP("127.0.0.1", PORT, source_address=("127.0.0.2", 0))
    s.starttls(context=ctx)
    s.ehlo()
    timings = []
    for password in ("wrong1", "wrong2"):
        start = time.monotonic()
        code, text = s.docmd("AUTH", "PLAIN " + __import__("base64").b64encode(
            b"\0alice\0" + password.encode()).decode())
        timings.append(time.monotonic() - start)
        assert (code, text[:5]) == (535, b"5.7.8"), text
    assert timings[1] > timings[0] + 0.5  # 1 s, then 2 s
    code, _ = s.docmd("AUTH", "PLAIN " + __import__("base64").b64encode(b"\0nobody\0x").decode())
    assert code == 421  # the third failure ends the session
    assert "status=auth-failed" in h.log_text()


def test_submission_needs_starttls_then_auth(holdfast_factory, tmp_path):
    cert, key = make_tls(tmp_path)
    users = make_users(tmp_path, {"alice": "s3cret"})
    holdfast_factory(config_text(tls=(cert, key), users=users,
                                 listeners=[("127.0.0.1:2525", "mx"), ("127.0.0.1:2587", "submission")]))
    w = Wire(2587)
    w.reply()
    w.cmd("EHLO client.test")
    assert w.cmd("MAIL FROM:<alice@example.test>") == (530, "530 5.7.0 Must issue a STARTTLS command first")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", 2587) as s:
        s.starttls(context=ctx)
        s.ehlo()
        code, _ = s.docmd("MAIL", "FROM:<alice@example.test>")
        assert code == 530
        s.rset()
        s.login("alice", "s3cret")
        assert s.sendmail("alice@example.test", ["bob@example.test"], b"Subject: sub\r\n\r\nx\r\n") == {}
