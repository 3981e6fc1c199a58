"""Load from Postfix's smtp-source: N messages of a fixed payload over S
parallel sessions. By default each connection carries one message and ends
with QUIT (a new connection per message, as mail from many senders
arrives); with reuse=True each session sends message after message on one
connection (smtp-source -d)."""
import subprocess
import time

SMTP_SOURCE = "/usr/sbin/smtp-source"
PAYLOAD = 1024  # octets of body (smtp-source adds a few header lines)
SENDER = "load@source.bench.test"


def send(port, messages, sessions, recipient, timeout, reuse=False):
    """Sends and returns the wall-clock seconds smtp-source took. Every
    message must be accepted: smtp-source aborts on an unexpected reply."""
    cmd = [SMTP_SOURCE, *(["-d"] if reuse else []), "-s", str(sessions), "-m", str(messages),
           "-l", str(PAYLOAD), "-N", "-f", SENDER, "-t", recipient, "-M", "source.bench.test",
           f"127.0.0.1:{port}"]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"smtp-source failed (exit {r.returncode}): "
                           f"{(r.stderr or r.stdout).strip()[-500:]}")
    return elapsed
