"""SIGTERM under load: 20 SMTP sessions sending, deliveries in flight to a
slow primary (Postfix's smtp-sink answering DATA after a second). The
daemon stops accepting, lets each session finish what it is doing (or
cuts it with 421), drains the spool's writer and exits 0 — every time,
and under AddressSanitizer too (build-asan/holdfast, when it is built).
Nothing that got a 250 is lost: after a restart each acknowledged message
is delivered or still queued. It used to die with "double free or
corruption (fasttop)", exit 134, 5 times out of 5."""
import json
import pathlib
import signal
import smtplib
import subprocess
import threading
import time

import pytest

from conftest import HOLDFAST_BIN, SOURCE_DIR, Holdfast
from peers import SMTP_SINK, Sink, maildir_messages, wait_until

PORT = 2525
SESSIONS = 20
ROUNDS = 3
PRIMARY = ("127.0.0.10", 2626)

CONFIG = f"""\
[server]
hostname = "mx.example.test"
spool = "spool"

[[listen]]
address = "127.0.0.1:{PORT}"
role = "mx"

[relay]
networks = ["127.0.0.1/32"]

[[local]]
domain = "example.test"
maildir = "mail/%d/%u"
recipients = ["alice"]

[[backup]]
domain = "customer.test"
primary = "{PRIMARY[0]}:{PRIMARY[1]}"

[queue]
retry_min = "1s"
retry_max = "1s"
probe_interval = "1s"
"""


def asan_binary():
    b = pathlib.Path(SOURCE_DIR) / "build-asan" / "holdfast"
    return str(b) if b.exists() else None


def sender(n, acked, lock, stop, enough):
    """Sends until `stop`; once `enough` acknowledged messages are in, it
    only keeps a few transactions going, so that at the signal some sessions
    are in the middle of DATA and others wait for their next command."""
    seq = 0
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as s:
                s.ehlo("load.test")
                while not stop.is_set():
                    if len(acked) >= enough:
                        time.sleep(0.05)
                    seq += 1
                    key = f"{n}.{seq}"
                    body = f"Subject: load {key}\r\nX-Key: {key}\r\n\r\nmessage {key}\r\n"
                    s.mail("sender@outside.test")
                    s.rcpt("alice@example.test")
                    s.rcpt("carol@customer.test")
                    code, reply = s.data(body.encode())
                    if code == 250:
                        with lock:
                            acked[key] = reply.decode().split("queued as ")[1]
        except (OSError, smtplib.SMTPException):
            time.sleep(0.02)  # 421, or the daemon is gone: try again until stop


def keys_in(messages):
    return {m["X-Key"] for m in messages if m["X-Key"]}


@pytest.mark.parametrize("build", ["release", "asan"])
def test_sigterm_under_load_exits_0_and_loses_nothing(tmp_path, build):
    binary = HOLDFAST_BIN if build == "release" else asan_binary()
    if binary is None:
        pytest.skip("no build-asan/holdfast (cmake -B build-asan -DHOLDFAST_SANITIZE=ON)")
    env = {"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:exitcode=99"}
    h = Holdfast(tmp_path / "holdfast", CONFIG, port=PORT, binary=binary, env=env)
    sink = Sink(tmp_path / "sink", host=PRIMARY[0], port=PRIMARY[1])
    # -w 1: each delivery waits a second for its DATA reply, so deliveries
    # are in flight whenever the signal comes.
    sink.proc = subprocess.Popen(
        [SMTP_SINK, "-u", "root", "-h", "primary.customer.test", "-w", "1", "-d",
         f"{sink.dir}/m.", f"{PRIMARY[0]}:{PRIMARY[1]}", "256"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    acked, lock = {}, threading.Lock()
    try:
        for round_ in range(ROUNDS):
            h.start()
            stop = threading.Event()
            before = len(acked)
            threads = [threading.Thread(target=sender,
                                        args=(f"{round_}-{i}", acked, lock, stop, before + 200))
                       for i in range(SESSIONS)]
            for t in threads:
                t.start()
            wait_until(lambda: len(acked) >= before + 100, timeout=30)
            # The courier picks each message up at once and the sink holds
            # every DATA for a second: deliveries are in flight now.
            time.sleep(0.3)
            t0 = time.monotonic()
            h.proc.send_signal(signal.SIGTERM)
            rc = h.proc.wait(timeout=30)
            took = time.monotonic() - t0
            stop.set()
            for t in threads:
                t.join(timeout=20)
            log = h.log_text()
            print(f"\nround {round_} ({build}): {len(acked) - before} acknowledged, "
                  f"stopped in {took:.2f}s, exit {rc}")
            assert "AddressSanitizer" not in log, log[-6000:]
            assert "double free" not in log, log[-3000:]
            assert rc == 0, log[-3000:]
            assert "status=stopped" in log.splitlines()[-1] or "status=stopped" in log
            h.log.close()

        # Nothing acknowledged is lost: restart, then each message is in
        # alice's Maildir and, for carol, at the primary or still queued.
        h.start()
        maildir = h.dir / "mail" / "example.test" / "alice"
        files = lambda: list(maildir.glob("new/*")) + list(maildir.glob("cur/*"))
        wait_until(lambda: len(files()) >= len(acked), timeout=60)
        missing = set(acked) - keys_in(maildir_messages(maildir))
        assert not missing, f"{len(missing)} acknowledged messages lost for alice"
        # The queue first: a message leaves it only after reaching the sink.
        queued = {e["id"] for e in json.loads(h.cli("queue", "list", "--json", check=True).stdout)}
        at_primary = {line[7:].strip().decode() for _, data in sink.messages()
                      for line in data.split(b"\n") if line.startswith(b"X-Key: ")}
        missing = [k for k, qid in acked.items() if k not in at_primary and qid not in queued]
        assert not missing, f"{len(missing)} acknowledged messages lost for carol: {missing[:5]}"
        assert h.stop() == 0
    finally:
        if h.proc and h.proc.poll() is None:
            h.proc.kill()
        sink.stop()
