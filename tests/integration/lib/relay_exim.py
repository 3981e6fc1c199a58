"""Exim 4.96 from Debian's exim4-daemon-light, for the relay tester's tests.

The package conflicts with Postfix, so it is not installed: scripts/install-deps
test unpacks it (and any library this machine lacks) into
build/test-peers/exim4, and this runs that binary as a daemon (`-bdf`) with a
config of its own on 127.0.0.1 at a high port. Nothing is delivered: mail is
only queued (queue_only) in a spool that is removed afterwards.

The binary looks up its compiled-in user "Debian-exim" at start; instead of
adding that user to the machine, the daemon runs in a private mount
namespace where /etc/passwd and /etc/group are copies with it added.

The ACL is Exim's example configuration (as Debian ships it), minus sender
verification (the tester's .invalid sender domain cannot verify, and there is
no DNS in the test namespace):

  closed   relay_from_hosts = 127.0.0.254 (the tester at 127.0.0.1 is outside):
           "550 relay not permitted"; domain-literal senders are refused with
           "501 domain literals not allowed", and after three such errors Exim
           hangs up ("Too many syntax or protocol errors").
  open     hostlist relay_from_hosts = *: everyone may relay.
"""
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import socket

from relay_postfix import free_port

SOURCE_DIR = pathlib.Path(os.environ.get("HOLDFAST_SOURCE_DIR", pathlib.Path(__file__).parents[3]))


def exim_root():
    """Where install-deps unpacked the package (HOLDFAST_EXIM_ROOT overrides)."""
    env = os.environ.get("HOLDFAST_EXIM_ROOT")
    if env:
        return pathlib.Path(env)
    bin_dir = pathlib.Path(os.environ.get("HOLDFAST_BIN", "build/holdfast")).resolve().parent
    for d in (bin_dir / "test-peers/exim4", SOURCE_DIR / "build/test-peers/exim4"):
        if (d / "usr/sbin/exim4").exists():
            return d
    return None


CONFIG = """\
keep_environment = LD_LIBRARY_PATH
exim_user = mail
exim_group = mail
never_users = root
primary_hostname = {hostname}
domainlist local_domains = {hostname}
domainlist relay_to_domains =
hostlist relay_from_hosts = {relay_from}
spool_directory = {dir}/spool
log_file_path = {dir}/log/%slog
pid_file_path = {dir}/exim.pid
daemon_smtp_ports = {port}
local_interfaces = 127.0.0.1
queue_only = true
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
  accept  hosts = :
  deny    message       = Restricted characters in address
          domains       = +local_domains
          local_parts   = ^[.] : ^.*[@%!/|]
  deny    message       = Restricted characters in address
          domains       = !+local_domains
          local_parts   = ^[./|] : ^.*[@%!] : ^.*/\\\\.\\\\./
  accept  local_parts   = postmaster
          domains       = +local_domains
  accept  hosts         = +relay_from_hosts
  require message = relay not permitted
          domains = +local_domains : +relay_to_domains
  require verify = recipient
  accept

begin routers

known:
  driver = accept
  domains = +local_domains
  local_parts = postmaster
  transport = devnull

begin transports

devnull:
  driver = appendfile
  file = /dev/null
"""


class RelayExim:
    def __init__(self, mode="closed", hostname="mx.exim.test"):
        assert mode in ("closed", "open")
        self.root = exim_root()
        if self.root is None:
            raise FileNotFoundError("exim4 not unpacked: run scripts/install-deps test")
        self.mode = mode
        self.hostname = hostname
        self.port = free_port()
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-exim-"))
        os.chmod(self.dir, 0o755)
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        d = self.dir
        for sub in ("spool", "log"):
            (d / sub).mkdir()
            shutil.chown(d / sub, "mail", "mail")
        relay_from = "*" if self.mode == "open" else "127.0.0.254"
        (d / "exim.conf").write_text(CONFIG.format(hostname=self.hostname, relay_from=relay_from,
                                                   dir=d, port=self.port))
        passwd = pathlib.Path("/etc/passwd").read_text()
        group = pathlib.Path("/etc/group").read_text()
        if "\nDebian-exim:" not in "\n" + passwd:
            passwd += "Debian-exim:x:8:8::/nonexistent:/usr/sbin/nologin\n"
        if "\nDebian-exim:" not in "\n" + group:
            group += "Debian-exim:x:8:\n"
        (d / "passwd").write_text(passwd)
        (d / "group").write_text(group)
        lib = self.root / "usr/lib/x86_64-linux-gnu"
        script = (f'mount --bind {d}/passwd /etc/passwd && mount --bind {d}/group /etc/group && '
                  f'LD_LIBRARY_PATH={lib} exec {self.root}/usr/sbin/exim4 -bdf -C {d}/exim.conf')
        self.proc = subprocess.Popen(["unshare", "--mount", "sh", "-c", script],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exim exited: {self.log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    if s.recv(512).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"exim on {self.address} not ready: {self.log()[-2000:]}")

    def log(self):
        out = ""
        for name in ("mainlog", "paniclog"):
            p = self.dir / "log" / name
            if p.exists():
                out += p.read_text(errors="replace")
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
