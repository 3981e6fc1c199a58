"""kill -9 while mail is being sent: every message that got a 250 ends up
delivered, exactly once; none that did not is invented."""
import random
import re
import smtplib
import threading
import time

from holdfast_config import config_text

PORT = 2525
SENDERS = 4  # concurrent sessions: their messages share flushes (group commit)
EACH = 250


def send_all(sender, acked, stop):
    n = 0
    while n < EACH and not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", PORT, timeout=5) as s:
                while n < EACH:
                    body = f"Subject: durable {sender}.{n}\r\n\r\nmessage {sender}.{n}\r\n"
                    s.ehlo_or_helo_if_needed()
                    s.mail("sender@ext.test")
                    s.rcpt("alice@example.test")
                    code, reply = s.data(body.encode())
                    if code == 250:
                        acked[(sender, n)] = reply.decode().split("queued as ")[1]
                    n += 1
        except (OSError, smtplib.SMTPException):
            # The server died: a message in flight may or may not be stored
            # (it was never acknowledged); move on to the next one.
            n += 1
            time.sleep(0.05)


def test_kill_9_loses_nothing_acknowledged(holdfast_factory):
    h = holdfast_factory(config_text())
    acked, stop = {}, threading.Event()
    senders = [threading.Thread(target=send_all, args=(i, acked, stop)) for i in range(SENDERS)]
    for t in senders:
        t.start()
    # Killed in the middle of the load, whatever the machine's speed.
    kill_at = random.randint(50, SENDERS * EACH // 2)
    deadline = time.monotonic() + 60
    while len(acked) < kill_at and time.monotonic() < deadline:
        time.sleep(0.001)
    h.kill9()
    killed_after = len(acked)
    time.sleep(0.2)
    h.start()  # recovery, then local delivery of whatever was spooled
    for t in senders:
        t.join(timeout=120)
    stop.set()
    assert kill_at <= killed_after < SENDERS * EACH, "the kill did not come during the load"

    # Wait until the spool has delivered everything.
    new = h.dir / "mail" / "example.test" / "alice" / "new"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = h.cli("queue", "list", "--json")
        if listed.returncode == 0 and listed.stdout.strip() in ("[]", ""):
            break
        time.sleep(0.2)
    ids = []
    for f in new.iterdir():
        m = re.search(rb"\(Holdfast\) with ESMTP id (\w+)", f.read_bytes())
        assert m, f
        ids.append(m.group(1).decode())
    missing = [i for i in acked.values() if i not in ids]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    print(f"acked={len(acked)} (before the kill: {killed_after}) delivered={len(ids)} "
          f"duplicates={len(duplicates)}")
    assert not missing, f"acknowledged but lost: {missing}"
    # kill -9 leaves at most a torn write (the segment made at start, full
    # of zeros, included): nothing that recovery would call damage.
    assert "spool: corrupt file" not in h.log_text()
    assert "are not whole records" not in h.log_text()
    assert not duplicates, f"delivered twice: {duplicates}"
