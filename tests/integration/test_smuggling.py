"""SMTP smuggling: only CRLF.CRLF ends the data. Every other end-of-data
look-alike stays inside the (refused) message and never starts a second one."""
import time

import pytest
from holdfast_config import config_text
from smtpwire import Wire

PORT = 2525
SEQUENCES = ["\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\n.\r"]


@pytest.mark.parametrize("seq", SEQUENCES, ids=[repr(s) for s in SEQUENCES])
def test_smuggled_message_is_never_accepted(holdfast_factory, seq):
    h = holdfast_factory(config_text())
    w = Wire(PORT, source="127.0.0.2")
    w.reply()
    w.cmd("EHLO client.test")
    assert w.cmd("MAIL FROM:<a@ext.test>")[0] == 250
    assert w.cmd("RCPT TO:<alice@example.test>")[0] == 250
    assert w.cmd("DATA")[0] == 354
    w.send("Subject: outer\r\n\r\nouter body" + seq +
           "MAIL FROM:<admin@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
           "Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n")
    code, text = w.reply()
    # The whole thing is one message with a bare CR/LF in it: refused.
    assert (code, text[4:9]) == (550, "5.5.2"), text
    # No extra replies are waiting: the next reply answers our NOOP.
    code, text = w.cmd("NOOP")
    assert (code, text) == (250, "250 2.0.0 Ok")
    assert w.cmd("QUIT")[0] == 221
    time.sleep(0.3)
    for user in ("alice", "bob"):
        d = h.dir / "mail" / "example.test" / user / "new"
        assert not (d.exists() and list(d.iterdir())), f"{user} got mail"


def test_starttls_pipelined_commands_are_discarded(holdfast_factory, tmp_path):
    from holdfast_config import make_tls
    import socket
    import ssl
    cert, key = make_tls(tmp_path)
    holdfast_factory(config_text(tls=(cert, key)))
    w = Wire(PORT)
    w.reply()
    w.cmd("EHLO client.test")
    # The injection: commands sent in clear text in the same packet as STARTTLS.
    w.send("STARTTLS\r\nMAIL FROM:<evil@ext.test>\r\n")
    assert w.reply()[0] == 220
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tls = ctx.wrap_socket(w.sock, server_hostname="mx.example.test")
    tls.sendall(b"EHLO client.test\r\n")
    data = b""
    while not data.endswith(b"\r\n") or b"250 " not in data:
        data += tls.recv(4096)
    # Had the MAIL been executed, a 250 for it would arrive first, and the
    # EHLO answer would not start the conversation afresh.
    assert data.startswith(b"250-mx.example.test"), data
    tls.sendall(b"RCPT TO:<alice@example.test>\r\n")
    assert tls.recv(4096).startswith(b"503"), "the pipelined MAIL must not have started a transaction"
    tls.close()
