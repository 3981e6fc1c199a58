"""A private Holdfast: its own config and spool in a scratch directory,
listening on 127.0.0.1 at a high port, relaying one domain to the sink."""
import os
import pathlib
import signal
import subprocess
import threading
import time

from . import util
from .spool import LiveCounter

DOMAIN = "bench.test"


class Holdfast:
    name = "holdfast"

    def __init__(self, binary, workdir, next_hop_port, probe_interval="1s",
                 connections=1000, log_level="info"):
        self.binary = str(binary)
        self.dir = pathlib.Path(workdir) / "holdfast"
        self.port = util.free_port()
        self.next_hop_port = next_hop_port
        self.probe_interval = probe_interval
        self.connections = connections
        self.log_level = log_level
        self.proc = None
        self.started_at = None  # monotonic time of the "status=started" line
        self.started_line = ""
        self._lines = []
        self._reader = None
        self._counter = None

    @property
    def spool(self):
        return self.dir / "spool"

    @property
    def pid(self):
        return self.proc.pid

    def config_text(self):
        # The same job Postfix gets: a backup MX for bench.test whose primary
        # is the sink. Queue and durability settings are Holdfast's defaults
        # except probe_interval (how soon a down primary is tried again).
        return f"""\
[server]
hostname = "holdfast.bench.test"
spool = "{self.spool}"

[[listen]]
address = "127.0.0.1:{self.port}"
role = "mx"

[relay]
networks = ["127.0.0.0/8"]

[[backup]]
domain = "{DOMAIN}"
primary = "127.0.0.1:{self.next_hop_port}"
probe_interval = "{self.probe_interval}"

[limits]
connections_per_ip = {self.connections}
connections = {self.connections}

[log]
level = "{self.log_level}"
"""

    def prepare(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "holdfast.toml").write_text(self.config_text())
        return self

    def start(self, timeout=60.0):
        """Starts serve; returns the seconds from exec to "status=started"."""
        self.prepare()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            # The bench runs as root, like Postfix's master: same footing.
            [self.binary, "serve", "-c", str(self.dir / "holdfast.toml"),
             *(["--allow-root"] if os.geteuid() == 0 else [])], cwd=self.dir,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        util.wait_for(lambda: self.started_at is not None or self.proc.poll() is not None,
                      timeout, "holdfast to log status=started")
        if self.started_at is None:
            self._reader.join(timeout=2)
            raise RuntimeError(f"holdfast exited with status {self.proc.returncode}")
        return self.started_at - t0

    def _read(self):
        # The log goes to a file as well as being watched for the start line.
        with open(self.dir / "holdfast.log", "wb") as out:
            for line in self.proc.stdout:
                out.write(line)
                if self.started_at is None and b"status=started" in line:
                    self.started_line = line.decode(errors="replace")
                    self.started_at = time.monotonic()
                if len(self._lines) < 200 or b"error" in line or b"critical" in line:
                    self._lines.append(line)
                    del self._lines[:-400]

    def log_tail(self, n=20):
        return b"".join(self._lines[-n:]).decode(errors="replace")

    def cpu_seconds(self):
        return util.tree_cpu_seconds(self.pid)

    def rss_kib(self):
        return util.status_kib(self.pid, "VmRSS")

    def hwm_kib(self):
        return util.status_kib(self.pid, "VmHWM")

    def queued(self):
        """Messages in the spool: read from its segment log (spool version
        2), following what was appended since the last call; a binary from
        before the log (version 1) has a file per message in msg/."""
        try:
            return len(os.listdir(self.spool / "msg"))
        except FileNotFoundError:
            pass
        if self._counter is None:
            self._counter = LiveCounter(self.spool)
        return self._counter.count()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._reader:
            self._reader.join(timeout=5)
