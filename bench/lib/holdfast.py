"""A private Holdfast: its own config and spool in a scratch directory,
listening on 127.0.0.1 at a high port, relaying one domain to the sink."""
import os
import pathlib
import signal
import subprocess
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
        self._log = None
        self._reader = None
        self._partial = b""
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
        log_path = self.dir / "holdfast.log"
        # The log goes straight to a file, as Postfix's goes to its
        # maillog_file: the same logging cost for both (bench/README.md), and
        # no reader in the harness competing for the CPU.
        self._log = open(log_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            # The bench runs as root, like Postfix's master: same footing.
            [self.binary, "serve", "-c", str(self.dir / "holdfast.toml"),
             *(["--allow-root"] if os.geteuid() == 0 else [])], cwd=self.dir,
            stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=util.stock_nofile)
        self._reader = open(log_path, "rb")
        util.wait_for(lambda: self._scan() or self.proc.poll() is not None, timeout,
                      "holdfast to log status=started", interval=0.005)
        if self.started_at is None:
            raise RuntimeError(f"holdfast exited with status {self.proc.returncode}: "
                               f"{self.log_tail()}")
        return self.started_at - t0

    def _scan(self):
        """Reads what the log gained; True once the start line is there."""
        self._partial += self._reader.read()
        *lines, self._partial = self._partial.split(b"\n")
        for line in lines:
            if self.started_at is None and b"status=started" in line:
                self.started_line = line.decode(errors="replace")
                self.started_at = time.monotonic()
        return self.started_at is not None

    def log_tail(self, n=20):
        try:
            with open(self.dir / "holdfast.log", "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 16384))
                lines = f.read().splitlines()
        except OSError:
            return ""
        keep = [x for x in lines if b"error" in x or b"critical" in x][-n // 2:]
        return b"\n".join(keep + lines[-n:]).decode(errors="replace")

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
        for f in (self._reader, self._log):
            if f:
                f.close()
