"""A private Dovecot LMTP server for tests (Debian's dovecot-core +
dovecot-lmtpd): its own base_dir, state_dir and log in a temp directory, a
unix socket and a 127.0.0.1 listener, a passwd-file userdb, mail stored
as the `nobody` user into maildir:<dir>/mail/%n. Runs as root (the test
namespace's), like the system service; only LMTP, no auth, no TLS."""
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONF = """\
protocols = lmtp
base_dir = {d}/run
state_dir = {d}/state
instance_name = holdfast-test-{port}
log_path = {d}/dovecot.log
ssl = no
default_internal_user = root
default_internal_group = root
default_login_user = root
mail_location = maildir:{d}/mail/%n
mail_plugins = quota
lmtp_rcpt_check_quota = yes
quota_full_tempfail = yes
plugin {{
  quota = maildir:User quota
}}
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
  default_fields = uid=nobody gid={group} home={d}/mail/%n
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {port}
  }}
}}
"""


class Dovecot:
    def __init__(self, port=24024):
        if not os.path.exists(DOVECOT):
            raise RuntimeError("dovecot is not installed (scripts/install-deps test)")
        # Not under pytest's 0700 tmp_path: `nobody` writes the Maildirs.
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-dovecot-"))
        os.chmod(self.dir, 0o755)
        self.port = port
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        os.chown(self.dir / "mail", pwd.getpwnam("nobody").pw_uid, -1)
        group = "nogroup"
        (self.dir / "dovecot.conf").write_text(CONF.format(d=self.dir, port=port, group=group))
        self.proc = None
        self.users({})

    @property
    def socket(self):
        return str(self.dir / "run" / "lmtp")

    def users(self, users):
        """users: {"alice@example.test": "quota rule or None"}; rewritten at once
        (Dovecot re-reads a changed passwd-file)."""
        lines = []
        for u, quota in users.items():
            extra = f"userdb_quota_rule=*:storage={quota}" if quota else ""
            lines.append(f"{u}:{{PLAIN}}x::::::{extra}\n")
        tmp = self.dir / "users.new"
        tmp.write_text("".join(lines))
        os.replace(tmp, self.dir / "users")
        # passwd-file is re-read when its mtime changes, compared in whole
        # seconds: every version gets a different second.
        self.version = getattr(self, "version", 0) + 1
        stamp = int(time.time()) + 10 * self.version
        os.utime(self.dir / "users", (stamp, stamp))
        if self.proc:
            time.sleep(1.1)  # the auth process looks at the file's mtime at most once a second

    def start(self):
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.dir / "dovecot.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dovecot did not start:\n" + self.log())
            time.sleep(0.02)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        # The master removes its sockets only on a clean stop.
        for p in (self.dir / "run").glob("*"):
            if p.is_socket() or p.name == "master.pid":
                p.unlink(missing_ok=True)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def inbox(self, user):
        new = self.dir / "mail" / user / "new"
        cur = self.dir / "mail" / user / "cur"
        return [p for d in (new, cur) if d.exists() for p in sorted(d.iterdir())]

    def log(self):
        try:
            return (self.dir / "dovecot.log").read_text(errors="replace")
        except OSError:
            return ""
