"""RFC 3461 DSN parameters on the real server: EHLO offers DSN, MAIL/RCPT
parameters are accepted and kept with the queued message (control socket
JSON, `queue show`, the spool file), malformed ones get 501 5.5.4."""
import json
import socket
import time

import spool_log
from smtpwire import Wire

PORT = 2525

# The backup domain's primary refuses connections (nothing on port 9): the
# message stays queued, so what was stored can be looked at.
CONFIG = f"""
[server]
hostname = "mx.example.test"
spool = "spool"

[[listen]]
address = "127.0.0.1:{PORT}"
role = "mx"

[[local]]
domain = "example.test"
maildir = "mail/%d/%u"
recipients = ["alice"]

[[backup]]
domain = "customer.test"
recipients = ["carol", "dan"]
primary = "127.0.0.1:9"
"""


def control(h, request):
    """One request on <spool>/control.sock; the decoded JSON answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(h.dir / "spool" / "control.sock"))
        s.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def session():
    w = Wire(PORT)
    assert w.reply()[0] == 220
    code, text = w.cmd("EHLO client.test")
    assert code == 250
    return w, text


def queue_message(w, mail, rcpts):
    assert w.cmd(mail)[0] == 250
    for r in rcpts:
        code, text = w.cmd(r)
        assert code == 250, text
    assert w.cmd("DATA")[0] == 354
    code, text = w.cmd("Subject: dsn\r\n\r\nbody\r\n.")
    assert code == 250, text
    return text.split("queued as ")[1].split()[0]


def test_ehlo_advertises_dsn(holdfast_factory):
    holdfast_factory(CONFIG)
    w, text = session()
    assert "250-DSN" in text or "250 DSN" in text
    w.cmd("QUIT")


def test_valid_parameters_are_stored_with_the_message(holdfast_factory):
    h = holdfast_factory(CONFIG)
    w, _ = session()
    qid = queue_message(w, "MAIL FROM:<sender@ext.test> RET=FULL ENVID=QQ+2B314",
                        ["RCPT TO:<carol@customer.test> NOTIFY=SUCCESS,DELAY "
                         "ORCPT=rfc822;Carol+40Customer.test",
                         "RCPT TO:<dan@customer.test> notify=never"])
    w.cmd("QUIT")

    resp = control(h, {"cmd": "show", "id": qid})
    assert resp["ok"], resp
    m = resp["message"]
    assert m["ret"] == "full"
    assert m["envid"] == "QQ+314"
    assert m["held"] is False and m["warned"] is False
    details = {r["address"]: r for r in m["recipient_details"]}
    assert details["carol@customer.test"]["notify"] == "success,delay"
    assert details["carol@customer.test"]["orcpt"] == "rfc822;Carol@Customer.test"
    assert details["dan@customer.test"]["notify"] == "never"
    assert details["dan@customer.test"]["orcpt"] == ""

    show = h.cli("queue", "show", qid)
    assert show.returncode == 0, show.stderr
    assert "recipient: <carol@customer.test>" in show.stdout
    assert "Subject: dsn" in show.stdout

    # The spool's log itself (docs/queue-format.md) keeps them across a restart.
    h.stop()
    header = spool_log.envelope(h.dir / "spool", qid)
    assert header["ret"] == "full" and header["envid"] == "QQ+314"
    assert header["recipients"][0]["notify"] == "success,delay"
    assert header["recipients"][0]["orcpt"] == "rfc822;Carol@Customer.test"
    assert header["recipients"][1]["notify"] == "never"
    h.start()
    m = control(h, {"cmd": "show", "id": qid})["message"]
    assert m["envid"] == "QQ+314"
    assert {r["address"]: r["notify"] for r in m["recipient_details"]} == {
        "carol@customer.test": "success,delay", "dan@customer.test": "never"}


def test_without_parameters_nothing_is_stored(holdfast_factory):
    h = holdfast_factory(CONFIG)
    w, _ = session()
    qid = queue_message(w, "MAIL FROM:<sender@ext.test>", ["RCPT TO:<carol@customer.test>"])
    w.cmd("QUIT")
    m = control(h, {"cmd": "show", "id": qid})["message"]
    assert m["ret"] == "" and m["envid"] == ""
    assert m["recipient_details"][0]["notify"] == ""
    header = spool_log.envelope(h.dir / "spool", qid)
    assert "ret" not in header and "notify" not in header["recipients"][0]


def test_malformed_parameters_are_refused_with_501(holdfast_factory):
    holdfast_factory(CONFIG)
    w, _ = session()
    for mail in ["MAIL FROM:<s@ext.test> RET=EVERYTHING",
                 "MAIL FROM:<s@ext.test> RET=FULL RET=HDRS",
                 "MAIL FROM:<s@ext.test> ENVID=bad+zz",
                 "MAIL FROM:<s@ext.test> ENVID=" + "x" * 101,
                 "MAIL FROM:<s@ext.test> ENVID=a ENVID=b"]:
        code, text = w.cmd(mail)
        assert (code, text[4:9]) == (501, "5.5.4"), (mail, text)
    assert w.cmd("MAIL FROM:<s@ext.test> RET=HDRS")[0] == 250
    for rcpt in ["RCPT TO:<carol@customer.test> NOTIFY=NEVER,FAILURE",
                 "RCPT TO:<carol@customer.test> NOTIFY=SOMETIMES",
                 "RCPT TO:<carol@customer.test> NOTIFY=DELAY,DELAY",
                 "RCPT TO:<carol@customer.test> NOTIFY=DELAY NOTIFY=FAILURE",
                 "RCPT TO:<carol@customer.test> ORCPT=carol@customer.test",
                 "RCPT TO:<carol@customer.test> ORCPT=rfc822;carol+4"]:
        code, text = w.cmd(rcpt)
        assert (code, text[4:9]) == (501, "5.5.4"), (rcpt, text)
        assert "NOTIFY" in text or "ORCPT" in text, text  # says what was wrong
    # The transaction survived the refusals.
    assert w.cmd("RCPT TO:<carol@customer.test> NOTIFY=FAILURE")[0] == 250
    assert w.cmd("RSET")[0] == 250
    assert w.cmd("QUIT")[0] == 221


def test_parameters_need_ehlo(holdfast_factory):
    holdfast_factory(CONFIG)
    w = Wire(PORT)
    w.reply()
    w.cmd("HELO client.test")
    code, _ = w.cmd("MAIL FROM:<s@ext.test> RET=FULL")
    assert code == 555
    assert w.cmd("MAIL FROM:<s@ext.test>")[0] == 250
    assert w.cmd("RCPT TO:<carol@customer.test> NOTIFY=NEVER")[0] == 555
    w.cmd("QUIT")
