"""Real receiving peers for delivery tests, on loopback addresses inside the
test's network namespace (so a primary can listen on 127.0.0.10:25 like a
real MX host):

* Sink: Postfix's smtp-sink, dumping every transaction to a file; the
  fastest real SMTP server there is, but it treats all recipients alike.
* Primary: an aiosmtpd server that refuses chosen recipients (5xx or 4xx)
  and keeps every message it accepted, for per-recipient tests.
"""
import email
import email.policy
import pathlib
import subprocess
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

SMTP_SINK = "/usr/sbin/smtp-sink"


def wait_until(predicate, timeout, interval=0.05):
    """Polls predicate until it is true; returns the seconds it took, or
    raises AssertionError after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    raise AssertionError(f"condition not met after {timeout}s")


class Sink:
    """smtp-sink on host:port; every message lands in dir as one file."""

    def __init__(self, directory, host="127.0.0.10", port=25):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host, self.port = host, port
        self.proc = None

    def start(self):
        # -u root: stay the user we are (the namespace's root); -d: one file
        # per transaction, named m.<random hex>.
        self.proc = subprocess.Popen(
            [SMTP_SINK, "-u", "root", "-h", "primary.customer.test", "-d", f"{self.dir}/m.",
             f"{self.host}:{self.port}", "256"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        from conftest import wait_for_port
        wait_for_port(self.host, self.port)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)

    def messages(self):
        """The messages received so far, each as (envelope dict, message
        bytes as the client sent them). A dump file holds smtp-sink's own
        X-* records and Received header, then the message, then an empty
        line; files still being written are skipped."""
        out = []
        for f in sorted(self.dir.glob("m.*")):
            try:
                raw = f.read_bytes()
            except FileNotFoundError:
                continue  # a transaction the client abandoned: smtp-sink deletes its file
            if not raw.endswith(b"\n\n") and not raw.endswith(b"\r\n\r\n"):
                continue
            env = {"rcpt": []}
            lines = raw.split(b"\n")
            i = 0
            while i < len(lines) and lines[i].startswith(b"X-"):
                key, _, value = lines[i].decode().partition(": ")
                if key == "X-Mail-Args":
                    env["mail"] = value
                elif key == "X-Rcpt-Args":
                    env["rcpt"].append(value)
                i += 1
            # Received: three lines (the first and two continuations).
            assert lines[i].startswith(b"Received:"), raw[:300]
            i += 1
            while i < len(lines) and lines[i][:1] in (b"\t", b" "):
                i += 1
            out.append((env, b"\n".join(lines[i:])[:-1]))  # minus the dump's empty line
        return out


class _Handler:
    def __init__(self, primary):
        self.primary = primary

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        for prefix, reply in self.primary.refuse.items():
            if local.startswith(prefix):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        self.primary.received.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
             "data": envelope.original_content})
        return "250 2.0.0 Ok: queued"


class Primary:
    """An aiosmtpd primary MX. refuse = {local-part prefix: reply}, e.g.
    {"nobody": "550 5.1.1 <x>: no such user", "later": "451 4.3.0 try later"}."""

    def __init__(self, host="127.0.0.10", port=25, refuse=None):
        self.host, self.port = host, port
        self.refuse = refuse or {}
        self.received = []
        self.controller = None

    def start(self):
        self.controller = Controller(_Handler(self), hostname=self.host, port=self.port,
                                     server_hostname="primary.customer.test",
                                     ready_timeout=5)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


def parse_message(data):
    """bytes -> email.message.EmailMessage."""
    return email.message_from_bytes(data, policy=email.policy.default)


def maildir_messages(maildir):
    """The messages delivered into a Maildir's new/ (and cur/), parsed."""
    d = pathlib.Path(maildir)
    files = sorted(list(d.glob("new/*")) + list(d.glob("cur/*")))
    return [parse_message(f.read_bytes()) for f in files]
