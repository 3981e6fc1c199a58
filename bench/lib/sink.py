"""Postfix's smtp-sink as the next hop both servers relay to. It throws the
mail away; its running counter (-c, a line per session end, QUIT or ".")
tells how many messages have arrived."""
import re
import signal
import subprocess
import threading
import time

from . import util

SMTP_SINK = "/usr/sbin/smtp-sink"
_MESG = re.compile(rb"mesg=(\d+)")


class Sink:
    def __init__(self, port):
        self.port = port
        self.proc = None
        self.messages = 0
        self.started_at = None
        self._last_change = None
        self._reader = None

    def start(self):
        # -u: smtp-sink refuses to run as root without a user to drop to.
        cmd = [SMTP_SINK, "-c", "-u", "nobody", "-m", "1000", f"127.0.0.1:{self.port}", "1024"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        util.wait_banner(self.port)
        self.started_at = time.monotonic()
        return self

    def _read(self):
        tail = b""
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            tail = (tail + chunk)[-256:]
            found = _MESG.findall(tail)
            if found:
                n = int(found[-1])
                if n != self.messages:
                    self.messages = n
                    self._last_change = time.monotonic()

    def wait_messages(self, n, timeout):
        """Monotonic time at which the counter reached n."""
        util.wait_for(lambda: self.messages >= n or self.proc.poll() is not None, timeout,
                      f"the sink to receive {n} messages (has {self.messages})", interval=0.02)
        if self.messages < n:
            raise RuntimeError(f"smtp-sink exited with {self.messages}/{n} messages")
        return self._last_change

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._reader:
            self._reader.join(timeout=2)
