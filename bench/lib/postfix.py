"""A private Postfix (Debian's) doing the same job as Holdfast: its own
config and queue directories in a scratch directory, smtpd on 127.0.0.1 at a
high port, bench.test relayed to the sink. Everything else is Postfix's
default, durability included (queue files are fsync'd before 250).

master runs in the foreground (`master -d`) as our child, so that every
Postfix process is in its process tree and the CPU the tree uses can be read
from /proc."""
import os
import pathlib
import shutil
import signal
import subprocess

from . import util
from .holdfast import DOMAIN

DAEMON_DIR = "/usr/lib/postfix/sbin"
QUEUE_DIRS = ["active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
              "private", "saved", "trace"]
WAITING_DIRS = ["maildrop", "incoming", "active", "deferred", "hold"]


class Postfix:
    name = "postfix"

    def __init__(self, workdir, next_hop_port):
        self.dir = pathlib.Path(workdir) / "postfix"
        self.port = util.free_port()
        self.next_hop_port = next_hop_port
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    @property
    def conf(self):
        return self.dir / "conf"

    def main_cf(self):
        d = self.dir
        return "\n".join([
            "compatibility_level = 3.6",
            "myhostname = postfix.bench.test",
            "mydomain = postfix.bench.test",
            "mydestination = $myhostname",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            f"queue_directory = {d}/queue",
            f"data_directory = {d}/data",
            "mail_owner = postfix",
            "setgid_group = postdrop",
            f"maillog_file = {d}/log/maillog",
            f"maillog_file_prefixes = {d}",
            "alias_maps =",
            "alias_database =",
            "mynetworks = 127.0.0.0/8",
            # The same job as Holdfast's [[backup]]: accept bench.test (any
            # local part) and relay it to the primary, the sink.
            f"relay_domains = {DOMAIN}",
            f"transport_maps = inline:{{ {DOMAIN}=relay:[127.0.0.1]:{self.next_hop_port} }}",
        ]) + "\n"

    def master_cf(self):
        rows = [
            f"127.0.0.1:{self.port} inet n - n - - smtpd",
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000 0 flush",
            "proxymap unix - - n - - proxymap",
            "showq unix n - n - - showq",
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "local unix - n n - - local",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        ]
        return "\n".join(rows) + "\n"

    def prepare(self):
        d = self.dir
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o755)  # Postfix's daemons run as postfix and must get in
        for sub in ("conf", "data", "log", "queue/pid", "queue/maildrop", "queue/public"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        for q in QUEUE_DIRS:
            (d / "queue" / q).mkdir(exist_ok=True)
            shutil.chown(d / "queue" / q, "postfix")
            os.chmod(d / "queue" / q, 0o700)
        for sub in ("data", "log"):
            shutil.chown(d / sub, "postfix")
        for sub, mode in (("maildrop", 0o730), ("public", 0o710)):
            shutil.chown(d / "queue" / sub, "postfix", "postdrop")
            os.chmod(d / "queue" / sub, mode)
        (self.conf / "main.cf").write_text(self.main_cf())
        (self.conf / "master.cf").write_text(self.master_cf())
        return self

    def start(self, timeout=30.0):
        self.prepare()
        self.proc = subprocess.Popen([f"{DAEMON_DIR}/master", "-d", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     preexec_fn=util.stock_nofile)
        try:
            util.wait_banner(self.port, timeout)
        except TimeoutError:
            raise RuntimeError(f"postfix did not start: {self.log_tail()}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"postfix master exited: {self.log_tail()}")
        return self

    def postconf(self, name):
        return subprocess.run(["postconf", "-c", str(self.conf), "-h", name], check=True,
                              capture_output=True, text=True).stdout.strip()

    def flush(self):
        """`postqueue -f`: deliver the deferred queue now, dead hosts or not."""
        subprocess.run(["postqueue", "-c", str(self.conf), "-f"], check=True,
                       capture_output=True, timeout=60)

    def queued(self, dirs=WAITING_DIRS):
        n = 0
        for q in dirs:
            for _, _, files in os.walk(self.dir / "queue" / q):
                n += len(files)
        return n

    def log_tail(self, n=20):
        p = self.dir / "log/maillog"
        if not p.exists():
            return ""
        return "\n".join(p.read_text(errors="replace").splitlines()[-n:])

    def cpu_seconds(self):
        return util.tree_cpu_seconds(self.pid)

    def processes(self, name):
        return [p for p in util.process_tree(self.pid) if util.proc_name(p) == name]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
