"""A deliberately open Postfix (Debian's) for the relay tester's tests.

Its own config_directory and queue_directory in a fresh directory, smtpd on
127.0.0.1 at a high port, master in the foreground (`master -d`), nothing
delivered anywhere (every transport is discard:). Two personalities:

  open          relays for anyone: `mynetworks = 0.0.0.0/0` with the stock
                `smtpd_relay_restrictions = permit_mynetworks,
                reject_unauth_destination` -- the classic real-world
                misconfiguration. (Postfix refuses to start with a bare
                `smtpd_relay_restrictions = permit`: it insists on a working
                reject_unauth_destination, and ignores one after a permit.)

  closed        relays for nobody outside mynetworks (127.0.0.254/32):
                the stock reject_unauth_destination -- the fixed server.

  routing       relays only recipients that route with '%' or '!' in the
                local part (the percent hack and UUCP bang paths), refuses
                plain third-party relay. Postfix's access maps cannot do this:
                smtpd resolves the address first (u%ext@local becomes u@ext)
                and looks up the result. The policy delegation protocol,
                though, passes the recipient as the client wrote it, so a
                tiny policy server (a thread here) answers OK when the local
                part holds '%' or '!', DUNNO otherwise, followed by
                reject_unauth_destination.

  default       Debian's stock relay setting: smtpd_relay_restrictions left
                at Postfix's default (permit_mynetworks,
                permit_sasl_authenticated, defer_unauth_destination), so an
                outside recipient gets "454 4.7.1 <rcpt>: Relay access
                denied". mynetworks is 127.0.0.254/32 (Debian's own default
                holds 127.0.0.0/8, which would trust the tester).

  relaydomain   the default relay setting, plus `relay_domains` holding the
                banner's parent domain (postfix.test: a backup MX for it) and
                `allow_untrusted_routing = yes`: routed recipients at that
                domain (u%ext@postfix.test, ext!u@postfix.test) are accepted
                and would go on to postfix.test's own server (RFC 2505's
                backup-MX hole).

  tlsonly       the default relay setting behind `smtpd_tls_security_level =
                encrypt` (a fresh self-signed certificate): MAIL FROM in plain
                text gets "530 5.7.0 Must issue a STARTTLS command first".
"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

MASTER = "/usr/lib/postfix/sbin/master"
QUEUE_DIRS = ["active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
              "private", "saved", "trace"]


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class RoutingPolicy:
    """Postfix policy server: OK for '%' / '!' routed recipients, else DUNNO."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.seen = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn, conn.makefile("rw", newline="\n") as f:
            attrs = {}
            for line in f:
                line = line.rstrip("\n")
                if line:
                    k, _, v = line.partition("=")
                    attrs[k] = v
                    continue
                rcpt = attrs.get("recipient", "")
                local = rcpt.rsplit("@", 1)[0] if "@" in rcpt else rcpt
                self.seen.append(rcpt)
                action = "OK" if ("%" in local or "!" in local) else "DUNNO"
                f.write(f"action={action}\n\n")
                f.flush()
                attrs = {}

    def close(self):
        self.sock.close()


class RelayPostfix:
    def __init__(self, mode="open", hostname="relay.postfix.test", error_sleep=True,
                 host="127.0.0.1", port=None, no_penalties=False):
        """error_sleep: Postfix sleeps smtpd_error_sleep_time (1 s) before each
        reply once a session has made smtpd_soft_error_limit (10) errors, and
        hangs up at 20. Kept as shipped (the tester starts a fresh session
        before that); error_sleep=False turns the sleep off.
        no_penalties: no smtpd error sleeps or limits and no in_flow_delay
        (1 s a refusal after ten, or a recipient once the flow-control
        tokens are spent, would make repeated batteries take minutes)."""
        assert mode in ("open", "routing", "default", "relaydomain", "tlsonly", "closed")
        self.no_penalties = no_penalties or mode == "closed"
        self.mode = mode
        self.hostname = hostname
        self.error_sleep = error_sleep
        self.host = host
        self.port = port or free_port(host)
        # Postfix's daemons run as the postfix user: the tree must be
        # traversable by it, which pytest's 0700 tmp_path is not.
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-postfix-"))
        os.chmod(self.dir, 0o755)
        self.policy = None
        self.proc = None

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def _main_cf(self):
        d = self.dir
        lines = [
            "compatibility_level = 3.6",
            f"myhostname = {self.hostname}",
            f"mydomain = {self.hostname}",
            "myorigin = $myhostname",
            "mydestination = $myhostname",
            # Postfix looks for an interface with exactly this address; lo
            # has 127.0.0.1 only (as 127.0.0.1/8). master.cf binds host:port.
            "inet_interfaces = " + ("127.0.0.1" if self.host == "127.0.0.1" else "all"),
            "inet_protocols = ipv4",
            f"queue_directory = {d}/queue",
            f"data_directory = {d}/data",
            "mail_owner = postfix",
            "setgid_group = postdrop",
            f"maillog_file = {d}/log/maillog",
            f"maillog_file_prefixes = {d}",
            "alias_maps =",
            "alias_database =",
            # Not a catch-all: unknown local users are refused, as on a
            # real server (else routed vectors could be local deliveries).
            "local_recipient_maps = inline:{ postmaster=postmaster }",
            "smtpd_peername_lookup = no",
            "smtp_host_lookup = native",
            "disable_dns_lookups = yes",
            # Accepted mail goes nowhere.
            "default_transport = discard:holdfast test instance",
            "relay_transport = discard:holdfast test instance",
            "local_transport = discard:holdfast test instance",
            "smtpd_recipient_restrictions =",
            "allow_percent_hack = yes",
            "swap_bangpath = yes",
        ]
        if not self.error_sleep:
            lines += ["smtpd_error_sleep_time = 0"]
        if self.mode == "open":
            lines += ["mynetworks = 0.0.0.0/0",
                      "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"]
        elif self.mode in ("default", "relaydomain", "tlsonly"):
            lines += ["mynetworks = 127.0.0.254/32"]
            if self.mode == "tlsonly":
                lines += ["smtpd_tls_security_level = encrypt",
                          f"smtpd_tls_cert_file = {self.dir}/conf/cert.pem",
                          f"smtpd_tls_key_file = {self.dir}/conf/key.pem"]
            if self.mode == "relaydomain":
                parent = self.hostname.split(".", 1)[1]
                lines += [f"relay_domains = {parent}", "allow_untrusted_routing = yes"]
        elif self.mode == "closed":
            lines += ["mynetworks = 127.0.0.254/32",
                      "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"]
        else:
            lines += ["mynetworks = 127.0.0.254/32",
                      f"smtpd_relay_restrictions = check_policy_service inet:127.0.0.1:{self.policy.port},"
                      " reject_unauth_destination"]
        if self.no_penalties:
            lines += ["smtpd_error_sleep_time = 0", "smtpd_soft_error_limit = 1000",
                      "smtpd_hard_error_limit = 1000", "smtpd_junk_command_limit = 1000",
                      # Batteries reset before DATA: no message ever returns
                      # the flow-control token, and smtpd would wait 1 s.
                      "in_flow_delay = 0"]
        return "\n".join(lines) + "\n"

    def _master_cf(self):
        rows = [
            f"{self.host}:{self.port} inet n - n - - smtpd",
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
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "local unix - n n - - local",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
            "tlsmgr unix - - n 1000? 1 tlsmgr",
        ]
        return "\n".join(rows) + "\n"

    def start(self):
        if self.mode == "routing":
            self.policy = RoutingPolicy()
        d = self.dir
        for sub in ("conf", "data", "log", "queue/pid", "queue/maildrop", "queue/public"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        for q in QUEUE_DIRS:
            (d / "queue" / q).mkdir(exist_ok=True)
            shutil.chown(d / "queue" / q, "postfix")
        for sub in ("data", "log"):
            shutil.chown(d / sub, "postfix")
        for sub, mode in (("maildrop", 0o730), ("public", 0o710)):
            shutil.chown(d / "queue" / sub, "postfix", "postdrop")
            os.chmod(d / "queue" / sub, mode)
        if self.mode == "tlsonly":
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                            "-subj", f"/CN={self.hostname}", "-keyout", str(d / "conf/key.pem"),
                            "-out", str(d / "conf/cert.pem")], check=True, capture_output=True)
        (d / "conf/main.cf").write_text(self._main_cf())
        (d / "conf/master.cf").write_text(self._master_cf())
        self.proc = subprocess.Popen([MASTER, "-d", "-c", str(d / "conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout=15.0):
        # Ready when smtpd itself answers (not just master's listen socket).
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postfix master exited: {self.log()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=2) as s:
                    if s.recv(512).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"postfix on {self.address} not ready: {self.log()[-2000:]}")

    def log(self):
        p = self.dir / "log/maillog"
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.policy:
            self.policy.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
