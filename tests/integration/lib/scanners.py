"""Real content scanners for tests: Debian's clamd with a one-signature
database made here (no freshclam, no download) and Debian's rspamd with a
small configuration of its own (no network lookups, no redis). Both run
in the test's network namespace and directory; stop() ends them."""
import os
import pathlib
import signal
import socket
import subprocess
import time

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
# The EICAR file's MD5 and size: matches a 68-octet attachment, once clamd
# has decoded it from the mail.
EICAR_HDB = "44d88612fea8a8f36de82e1278abb02f:68:Test.EICAR.HDB\n"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
# With enable_test_patterns, rspamd's other actions on demand.
GTUBE_ADD_HEADER = "Y" + GTUBE[1:]
GTUBE_REWRITE_SUBJECT = "Z" + GTUBE[1:]


def _wait(check, what, timeout, proc=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = pathlib.Path(log).read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}\n{tail}")
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid):
    """RSS of a process and its children (rspamd's workers)."""
    total = rss_kib(pid)
    try:
        children = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(tree_rss_kib(int(c)) for c in children)


class Clamd:
    """clamd on a Unix socket (address "unix:PATH") or on 127.0.0.1:port."""

    def __init__(self, directory, tcp_port=None):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        db = self.dir / "db"
        db.mkdir(exist_ok=True)
        (db / "test.hdb").write_text(EICAR_HDB)
        self.socket_path = self.dir / "clamd.sock"
        self.tcp_port = tcp_port
        conf = [f"DatabaseDirectory {db}", f"LogFile {self.dir / 'clamd.log'}",
                f"PidFile {self.dir / 'clamd.pid'}", "Foreground yes", "StreamMaxLength 64M",
                "MaxThreads 4"]
        if tcp_port:
            conf += [f"TCPSocket {tcp_port}", "TCPAddr 127.0.0.1"]
        else:
            conf += [f"LocalSocket {self.socket_path}"]
        self.conf = self.dir / "clamd.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.tcp_port}" if self.tcp_port else f"unix:{self.socket_path}"

    def _ready(self):
        try:
            if self.tcp_port:
                s = socket.create_connection(("127.0.0.1", self.tcp_port), timeout=0.5)
            else:
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(0.5)
                s.connect(str(self.socket_path))
            with s:
                s.sendall(b"zPING\0")
                return s.recv(16).startswith(b"PONG")
        except OSError:
            return False

    def start(self):
        self.out = open(self.dir / "clamd.out", "ab")
        self.proc = subprocess.Popen(["clamd", "-c", str(self.conf)], stdout=self.out,
                                     stderr=subprocess.STDOUT)
        _wait(self._ready, "clamd", 30, self.proc, self.dir / "clamd.out")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def rss_kib(self):
        return rss_kib(self.proc.pid)


class Rspamd:
    """rspamd's normal worker on 127.0.0.1:port; actions: reject at 15,
    rewrite subject at 8, add header at 6, no greylisting."""

    MODULES_OFF = ["rbl", "spf", "dkim", "dmarc", "fuzzy_check", "phishing", "asn", "emails",
                   "neural", "ratelimit", "greylist", "replies", "history_redis", "mx_check",
                   "dkim_signing", "arc", "reputation", "multimap", "url_redirector",
                   "clickhouse", "metric_exporter", "dcc", "elastic", "external_services",
                   "antivirus", "p0f", "spamassassin", "whitelist", "maillist"]

    def __init__(self, directory, port=11333):
        self.dir = pathlib.Path(directory)
        self.port = port
        for sub in ("local.d", "override.d", "db", "run"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        local, override = self.dir / "local.d", self.dir / "override.d"
        (local / "worker-normal.inc").write_text(
            f'bind_socket = "127.0.0.1:{port}";\ncount = 1;\ntask_timeout = 30s;\n')
        for w in ("controller", "proxy", "fuzzy"):
            (override / f"worker-{w}.inc").write_text("enabled = false;\n")
        # The public-suffix list takes seconds to compile: a few suffixes do.
        (self.dir / "tld.dat").write_text("test\ncom\norg\nnet\n")
        (local / "options.inc").write_text(
            'dns { nameserver = ["127.0.0.1:5353"]; timeout = 0.2s; retransmits = 1; }\n'
            f'url_tld = "{self.dir / "tld.dat"}";\n'
            "enable_test_patterns = true;\ndisable_hyperscan = true;\n")
        (local / "logging.inc").write_text(
            f'type = "file";\nfilename = "{self.dir / "rspamd.log"}";\nlevel = "info";\n')
        (local / "actions.conf").write_text(
            "reject = 15;\nrewrite_subject = 8;\nadd_header = 6;\ngreylist = null;\n")
        for m in self.MODULES_OFF:
            (local / f"{m}.conf").write_text("enabled = false;\n")
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _ready(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"GET /ping HTTP/1.0\r\n\r\n")
                return b"pong" in s.recv(1024)
        except OSError:
            return False

    def start(self):
        self.out = open(self.dir / "rspamd.out", "ab")
        self.proc = subprocess.Popen(
            ["rspamd", "-f", "-i", "-u", "root", "-g", "root", "-c", "/etc/rspamd/rspamd.conf",
             f"--var=LOCAL_CONFDIR={self.dir}", f"--var=DBDIR={self.dir / 'db'}",
             f"--var=RUNDIR={self.dir / 'run'}"],
            stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        _wait(self._ready, "rspamd", 30, self.proc, self.dir / "rspamd.out")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


class Hang:
    """A scanner that accepts connections and never answers (reads and
    discards what it is sent): the client's timeout must save it."""

    def __init__(self, port):
        import threading
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.port = port
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _run(self):
        import threading
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._drain, args=(c,), daemon=True).start()

    def _drain(self, c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass

    def stop(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in self.conns:
            c.close()


class Garbage(Hang):
    """A scanner that answers nonsense at once."""

    def _drain(self, c):
        try:
            c.recv(65536)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot json!" * 3
                      + b"stream: ??? maybe\0")
            c.close()
        except OSError:
            pass
