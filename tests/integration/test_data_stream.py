"""DATA is streamed to the spool (issue 16): a large message never sits in
the daemon's memory, is durable before its 250, survives kill -9 and is
delivered from its body file; Received: loops and NUL octets are refused."""
import smtplib
import time

from holdfast_config import config_text
from smtpwire import Wire

PORT = 2525


def big_message(size, tag):
    line = (tag + " " + "x" * 70 + "\r\n").encode()
    body = line * (size // len(line) + 1)
    return b"Subject: big " + tag.encode() + b"\r\n\r\n" + body


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def queued_on_port(port):
    """Octets waiting in the send and receive queues of loopback TCP sockets
    to or from port: 0 once the daemon has read everything sent to it."""
    total = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            ports = {int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)}
            if port in ports:
                tx, rx = fields[4].split(":")
                total += int(tx, 16) + int(rx, 16)
    return total


def wait_file(d, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(d.glob("*")) if d.exists() else []
        if files:
            return files
        time.sleep(0.05)
    raise AssertionError(f"nothing in {d}")


def test_large_message_is_streamed_delivered_and_survives_kill9(holdfast_factory):
    h = holdfast_factory(config_text())
    local = big_message(3 * 1024 * 1024, "local")
    queued = big_message(2 * 1024 * 1024, "queued")
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        assert s.sendmail("x@ext.test", ["alice@example.test"], local) == {}
        # customer.test's primary cannot be reached here: it stays queued.
        s.mail("x@ext.test")
        s.rcpt("carol@customer.test")
        code, text = s.data(queued)
        assert code == 250, text
    queue_id = text.decode().split("queued as ")[1].split()[0]
    [f] = wait_file(h.dir / "mail" / "example.test" / "alice" / "new")
    delivered = f.read_bytes()
    # Maildir files store LF line ends.
    assert delivered.endswith(local.replace(b"\r\n", b"\n"))
    assert b"\r\n" not in delivered
    # The queued one lives in a body file, not in the log.
    assert (h.dir / "spool" / "body" / queue_id).stat().st_size > 2 * 1024 * 1024
    # (Segments are made full of zeros: what counts is what precedes them.)
    logged = sum(len(p.read_bytes().rstrip(b"\0")) for p in (h.dir / "spool" / "log").iterdir())
    assert 0 < logged < 1024 * 1024
    h.kill9()
    h.start()
    shown = h.cli("queue", "show", queue_id)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("queued " + "x" * 70) > 25000
    # Delivered ones leave no body file behind.
    assert sorted(p.name for p in (h.dir / "spool" / "body").iterdir()) == [queue_id]


def test_unfinished_large_transfers_do_not_grow_memory(holdfast_factory):
    h = holdfast_factory(config_text())
    before = rss_kib(h.proc.pid)
    socks = []
    chunk = (b"y" * 998 + b"\r\n") * 1024  # 1 MiB
    for _ in range(10):
        w = Wire(PORT)
        w.reply()
        w.cmd("EHLO client.test")
        assert w.cmd("MAIL FROM:<x@ext.test>")[0] == 250
        assert w.cmd("RCPT TO:<alice@example.test>")[0] == 250
        assert w.cmd("DATA")[0] == 354
        w.send(b"Subject: unfinished\r\n\r\n")
        socks.append(w)
    for _ in range(8):  # 10 sessions x 8 MiB, never finished
        for w in socks:
            w.send(chunk)
    # Measured once the daemon has read it all.
    deadline = time.monotonic() + 20
    while queued_on_port(PORT) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queued_on_port(PORT) == 0
    grown = rss_kib(h.proc.pid) - before
    for w in socks:
        w.close()
    # Held in memory that would be 80 MiB; streamed it is a few reads per session.
    assert grown < 30 * 1024, f"RSS grew by {grown} KiB"
    time.sleep(0.5)
    assert list((h.dir / "spool" / "body").iterdir()) == []  # the clients left: files removed


def test_too_many_received_fields_is_a_loop(holdfast_factory):
    h = holdfast_factory(config_text(limits={"hops": 5}))
    w = Wire(PORT)
    w.reply()
    w.cmd("EHLO client.test")

    def send(n):
        assert w.cmd("MAIL FROM:<x@ext.test>")[0] == 250
        assert w.cmd("RCPT TO:<alice@example.test>")[0] == 250
        assert w.cmd("DATA")[0] == 354
        hdrs = "".join(f"Received: from hop{i} by hop{i + 1}; date\r\n" for i in range(n))
        return w.cmd(hdrs + "Subject: loop\r\n\r\nReceived: in the body does not count\r\n.")

    assert send(4)[0] == 250  # 4 + ours = 5
    code, text = send(5)
    assert (code, text[4:9]) == (554, "5.4.6"), text
    assert "hops" in text.lower()
    assert w.cmd("QUIT")[0] == 221
    assert "status=reject" in h.log_text()


def test_nul_in_data_is_refused(holdfast_factory):
    h = holdfast_factory(config_text())
    w = Wire(PORT)
    w.reply()
    w.cmd("EHLO client.test")
    assert w.cmd("MAIL FROM:<x@ext.test>")[0] == 250
    assert w.cmd("RCPT TO:<alice@example.test>")[0] == 250
    assert w.cmd("DATA")[0] == 354
    code, text = w.cmd("Subject: nul\r\n\r\na\0b\r\n.")
    assert (code, text[4:9]) == (550, "5.6.0"), text
    assert w.cmd("NOOP")[0] == 250
    time.sleep(0.3)
    d = h.dir / "mail" / "example.test" / "alice" / "new"
    assert not (d.exists() and list(d.iterdir()))
