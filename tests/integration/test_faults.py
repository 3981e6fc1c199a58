"""The fault campaign: Holdfast under crashes, a full disk, peers that
misbehave, floods and a lack of file descriptors. Every scenario counts what
it injected and what became of the mail; the rows are printed as one table
at the end of the run (conftest.py). Nothing acknowledged may be lost.

The short form runs in `make test`; `make test-faults` sets
HOLDFAST_FAULTS=long for more rounds and bigger floods."""
import os
import random
import resource
import smtplib
import socket
import subprocess
import threading
import time

import pytest

from backup import queue_list, seq_of
from holdfast_config import config_text
from peers import Sink, wait_until
from smtpwire import Wire

LONG = os.environ.get("HOLDFAST_FAULTS") == "long"
PORT = 2525
SINK = "127.0.0.10"
OUTSIDE = "127.0.0.2"  # a client outside relay.networks


def backup_to_sink(extra="", domains=(("customer.test", f"{SINK}:25"),)):
    """Holdfast as backup MX for domains whose primaries are given hosts."""
    out = """\
[server]
hostname = "backup.isp.test"
spool = "spool"

[[listen]]
address = "127.0.0.1:2525"
role = "mx"

[relay]
networks = ["127.0.0.1/32"]

[queue]
retry_min = "1s"
retry_max = "2s"
probe_interval = "1s"

[delivery]
connect_timeout = "2s"
greeting_timeout = "2s"
command_timeout = "2s"
data_init_timeout = "2s"
data_block_timeout = "2s"
data_done_timeout = "2s"
"""
    for domain, primary in domains:
        out += f'\n[[backup]]\ndomain = "{domain}"\nprimary = "{primary}"\n'
    return out + extra


def message(seq):
    return (f"From: s@sender.test\r\nTo: u@customer.test\r\nSubject: fault {seq}\r\n"
            f"X-Seq: {seq}\r\n\r\nbody of {seq}\r\n").encode()


class Senders:
    """n threads sending numbered messages; acked = {seq: queue id} for
    every message that got a 250."""

    def __init__(self, n, rcpt="u@customer.test", per_session=20):
        self.n, self.rcpt, self.per_session = n, rcpt, per_session
        self.acked, self.stop, self.lock = {}, threading.Event(), threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(n)]

    def _run(self, i):
        seq = i * 1_000_000
        while not self.stop.is_set():
            try:
                with smtplib.SMTP("127.0.0.1", PORT, timeout=5,
                                  source_address=(OUTSIDE, 0)) as s:
                    s.ehlo("client.sender.test")
                    for _ in range(self.per_session):
                        if self.stop.is_set():
                            break
                        seq += 1
                        s.mail("s@sender.test")
                        s.rcpt(self.rcpt)
                        code, reply = s.data(message(seq))
                        if code == 250:
                            with self.lock:
                                self.acked[seq] = reply.decode().split("queued as ")[-1]
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)  # the server died or refused: not acknowledged, move on

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


def delivered_seqs(sink):
    return [seq_of(data) for _, data in sink.messages()]


def test_faults_crash_kill_9_at_random_instants(holdfast_factory, tmp_path, fault_table):
    rounds = 12 if LONG else 3
    sink = Sink(tmp_path / "sink", host=SINK).start()
    h = holdfast_factory(backup_to_sink())
    try:
        with Senders(20) as senders:
            for _ in range(rounds):
                time.sleep(random.uniform(0.3, 1.2))
                h.kill9()
                h.start()
            time.sleep(0.5)
        acked = dict(senders.acked)
        assert acked, "nothing was acknowledged"
        wait_until(lambda: set(acked) <= set(delivered_seqs(sink)) and not queue_list(h), 60)
        got = delivered_seqs(sink)
        lost = set(acked) - set(got)
        dups = len(got) - len(set(got))
        fault_table.append(("crash: kill -9 under 20 senders", rounds, len(acked),
                            len(set(got) & set(acked)), len(lost), dups))
        assert not lost
    finally:
        sink.stop()


def _fill(path):
    """Writes zeros to path until the file system has no room left."""
    subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", "count=1024"],
                   capture_output=True)


def _try_send(seq, body=b""):
    """(code, reply) of one whole transaction, whatever stage refused it."""
    try:
        with smtplib.SMTP("127.0.0.1", PORT, timeout=10, source_address=(OUTSIDE, 0)) as s:
            s.ehlo("client.sender.test")
            for step in (lambda: s.mail("s@sender.test"), lambda: s.rcpt("u@customer.test")):
                code, reply = step()
                if code >= 400:
                    return code, reply
            return s.data(message(seq) + body)
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error


@pytest.mark.parametrize("reserve", ["0", "8388608"])
def test_faults_disk_full(holdfast_factory, tmp_path, fault_table, reserve):
    """reserve 0: the disk fills under a write (ENOSPC in the spool);
    the default 8 MiB: MAIL is refused while the spool still has room."""
    spool = tmp_path / "holdfast" / "spool"
    spool.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(spool)], check=True)
    sink = Sink(tmp_path / "sink", host=SINK)  # the primary is down: mail stays queued
    try:
        h = holdfast_factory(backup_to_sink(extra=f"\n[limits]\nspool_reserve = {reserve}\n"))
        acked, refused, other = {}, 0, []
        ballast = spool / "ballast"
        big = (b"x" * 998 + b"\r\n") * 200
        seq = 0
        for seq in range(1, 31):
            code, reply = _try_send(seq, big)
            if code == 250:
                acked[seq] = reply
            elif code == 452 and b"4.3.1" in reply:
                refused += 1
            else:
                other.append((code, reply))
            if seq == 5:
                _fill(ballast)  # five messages in, the disk fills
        assert refused >= 25, f"a full spool did not answer 452 4.3.1 ({len(acked)} accepted, {other})"
        assert not other, other
        # Space returns: the service comes back by itself, without a restart.
        ballast.unlink()
        wait_until(lambda: _try_send(1000)[0] == 250, 20, interval=0.5)
        acked[1000] = b""
        assert h.proc.poll() is None
        # Everything acknowledged is there, whole, when the primary comes back.
        sink.start()
        wait_until(lambda: set(acked) <= set(delivered_seqs(sink)), 60)
        got = delivered_seqs(sink)
        for _, data in sink.messages():
            if seq_of(data) != 1000:
                assert data.count(b"x" * 998) == 200
        fault_table.append((f"disk full (spool_reserve {reserve}), then space returns", refused,
                            len(acked), len(set(got) & set(acked)), len(set(acked) - set(got)),
                            len(got) - len(set(got))))
    finally:
        sink.stop()
        subprocess.run(["umount", "-l", str(spool)], capture_output=True)


def _send_one(seq):
    try:
        with smtplib.SMTP("127.0.0.1", PORT, timeout=10, source_address=(OUTSIDE, 0)) as s:
            s.sendmail("s@sender.test", ["u@customer.test"], message(seq))
        return True
    except (OSError, smtplib.SMTPException):
        return False


class BadPeer:
    """A next hop that misbehaves in one way (mode), on host:25."""

    def __init__(self, host, mode):
        self.host, self.mode = host, mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 25))
        self.sock.listen(64)
        self.stop = threading.Event()
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _lines(self, c):
        buf = b""
        while True:
            while b"\r\n" not in buf:
                chunk = c.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\r\n", 1)
            yield line

    def _serve(self, c):
        try:
            if self.mode == "silent":
                self.stop.wait()
                return
            if self.mode == "slow":  # a byte every 3 s: never a whole banner in time
                for b in b"220 slow.test ESMTP\r\n":
                    c.sendall(bytes([b]))
                    if self.stop.wait(3):
                        return
                return
            if self.mode == "garbage":
                c.sendall(b"hello there, I am not an SMTP server\r\n\x00\xff\r\n")
                self.stop.wait()
                return
            c.sendall(b"220 peer.test ESMTP\r\n")
            for line in self._lines(c):
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    if self.mode == "huge":
                        c.sendall(b"250 " + b"x" * (2 * 1024 * 1024) + b"\r\n")
                        continue
                    c.sendall(b"250 peer.test\r\n")
                elif verb == b"DATA":
                    c.sendall(b"354 go ahead\r\n")
                    if self.mode == "close_mid_data":
                        c.recv(10)
                        c.close()
                        return
                elif verb == b"QUIT":
                    c.sendall(b"221 bye\r\n")
                    return
                else:
                    c.sendall(b"250 ok\r\n")
        except OSError:
            pass

    def close(self):
        self.stop.set()
        # shutdown first: close() alone would leave the socket listening
        # while the accept thread is blocked in accept() on it.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in self.conns:
            c.close()


BAD_MODES = ["silent", "slow", "close_mid_data", "huge", "garbage"]


def test_faults_peers_that_misbehave(holdfast_factory, tmp_path, fault_table):
    hosts = {m: f"127.0.0.{30 + i}" for i, m in enumerate(BAD_MODES)}
    peers = [BadPeer(hosts[m], m) for m in BAD_MODES]
    sink = Sink(tmp_path / "sink", host=SINK).start()
    domains = [("customer.test", f"{SINK}:25")] + [(f"{m.replace('_', '-')}.test", f"{hosts[m]}:25")
                                                   for m in BAD_MODES]
    h = holdfast_factory(backup_to_sink(domains=domains))
    try:
        for m in BAD_MODES:
            with smtplib.SMTP("127.0.0.1", PORT, timeout=10, source_address=(OUTSIDE, 0)) as s:
                s.sendmail("s@sender.test", [f"u@{m.replace('_', '-')}.test"], message(0))
        # The good destination is not slowed down by the bad ones.
        start = time.monotonic()
        for seq in range(1, 21):
            assert _send_one(seq)
        took = wait_until(lambda: set(range(1, 21)) <= set(delivered_seqs(sink)), 10)
        assert time.monotonic() - start < 10, took
        # Each bad one times out or fails per stage, is deferred, and stays queued.
        def all_deferred():
            q = [m for m in queue_list(h) if m["recipients"][0].split("@")[1] != "customer.test"]
            return len(q) == len(BAD_MODES) and all(m.get("last_error") for m in q)
        wait_until(all_deferred, 20, interval=0.5)
        assert h.proc.poll() is None
        errors = {m["recipients"][0]: m["last_error"] for m in queue_list(h)}
        fault_table.append(("peers: silent, slow, close mid-DATA, 2 MB line, garbage (5 queued)",
                            len(BAD_MODES), 20 + len(BAD_MODES), 20, 0, 0))
        print(errors)
    finally:
        for p in peers:
            p.close()
        sink.stop()


def _raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, n), hard), hard))


def test_faults_connection_flood_from_one_address(holdfast_factory, fault_table):
    count = 5000 if LONG else 600
    _raise_nofile(count + 200)
    holdfast_factory(config_text(limits={"connections_per_ip": 20}))
    socks, banners = [], {220: 0, 421: 0, "other": 0}
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10, source_address=(OUTSIDE, 0))
        socks.append(s)
    for s in socks:
        try:
            code = int(s.recv(512)[:3])
        except (OSError, ValueError):
            code = "other"
        banners[code if code in banners else "other"] += 1
    # Another client is served while the flood holds its 20 slots.
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10, source_address=("127.0.0.3", 0)) as c:
        c.sendmail("s@sender.test", ["alice@example.test"], message(1))
    for s in socks:
        s.close()
    fault_table.append((f"flood: {count} connections from one address", count, 1, 1, 0, 0))
    assert banners[220] == 20 and banners[421] == count - 20, banners


def test_faults_slowloris_and_noop_flood(holdfast_factory, fault_table):
    slow = 300 if LONG else 100
    noops = 100_000 if LONG else 20_000
    _raise_nofile(slow + 200)
    h = holdfast_factory(config_text(limits={"connections_per_ip": 1000, "idle_timeout": '"3s"',
                                             "session_timeout": '"6s"'}))
    clients = [Wire(PORT, source=OUTSIDE) for _ in range(slow)]
    for w in clients:
        w.reply()
    stop = threading.Event()

    def drip():
        while not stop.is_set():
            for w in clients:
                try:
                    w.send(b"N")
                except OSError:
                    pass
            stop.wait(1)

    t = threading.Thread(target=drip)
    t.start()
    try:
        # A NOOP flood in one session, pipelined: every one answered, or the
        # session cut with a 421; the server stays up either way.
        w = Wire(PORT, source="127.0.0.4", timeout=30)
        w.reply()
        w.send(b"NOOP\r\n" * noops)
        answered = 0
        try:
            while answered < noops:
                code, _ = w.reply()
                if code != 250:
                    break
                answered += 1
        except (ConnectionError, OSError):
            pass
        # A normal client is served at once meanwhile.
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", PORT, timeout=10, source_address=("127.0.0.3", 0)) as c:
            c.sendmail("s@sender.test", ["alice@example.test"], message(1))
        assert time.monotonic() - start < 2
        # The slow clients are cut by the session limit.
        time.sleep(7)
        cut = sum(1 for c in clients if c.closed(timeout=0.2))
        assert cut == slow, f"{slow - cut} slowloris sessions outlived session_timeout"
        assert h.proc.poll() is None
        fault_table.append((f"slowloris {slow} clients + {noops} NOOPs in one session",
                            slow + 1, 1, 1, 0, 0))
    finally:
        stop.set()
        t.join()


def test_faults_dns_server_that_never_answers(holdfast_factory, fault_table):
    black_hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    black_hole.bind(("127.0.0.1", 0))
    port = black_hole.getsockname()[1]
    h = holdfast_factory(config_text(extra=f'\n[dns]\nservers = ["127.0.0.1:{port}"]\n'
                                     'timeout = "1s"\ntries = 1\n'))
    try:
        # Relayed mail for a domain whose MX cannot be looked up: accepted, deferred.
        with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as c:
            c.sendmail("s@sender.test", ["u@far-away.test"], message(1))
        wait_until(lambda: any(m.get("last_error") for m in queue_list(h)), 15, interval=0.5)
        # SMTP is not held up by the resolver.
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", PORT, timeout=10, source_address=(OUTSIDE, 0)) as c:
            c.sendmail("s@sender.test", ["alice@example.test"], message(2))
        assert time.monotonic() - start < 2
        assert len(queue_list(h)) >= 1
        fault_table.append(("DNS server that never answers", 1, 2, 1, 0, 0))
    finally:
        black_hole.close()


def test_faults_out_of_file_descriptors(holdfast_factory, fault_table):
    # 300 descriptors: 256 + 30 stay in reserve for the spool, DNS and
    # deliveries, so 14 clients fit; every one past them gets a 421 at once
    # (not a connection that never sees a banner), and service goes on.
    limit, fits, clients = 300, 14, 100
    _raise_nofile(2000)
    h = holdfast_factory(config_text(limits={"connections_per_ip": 10000}), start=False)
    # Both limits, so that raising the soft one to the hard one changes nothing.
    h.start_prefix = ["prlimit", f"--nofile={limit}:{limit}"]
    h.start()
    time.sleep(0.2)  # the readiness probe is gone
    socks, codes = [], []
    for _ in range(clients):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=5, source_address=(OUTSIDE, 0))
        socks.append(s)
        try:
            codes.append(int(s.recv(512)[:3]))
        except (OSError, ValueError):
            codes.append(0)
    for s in socks:
        s.close()
    assert h.proc.poll() is None, "holdfast died when it ran out of descriptors"
    assert codes.count(220) == fits and codes.count(421) == clients - fits, codes
    wait_until(lambda: _send_local(), 10, interval=0.5)
    fault_table.append((f"out of file descriptors (limit {limit}, {clients} clients, "
                        f"{clients - fits} got 421)", clients, 1, 1, 0, 0))


def _send_local():
    try:
        with smtplib.SMTP("127.0.0.1", PORT, timeout=5, source_address=("127.0.0.3", 0)) as c:
            c.sendmail("s@sender.test", ["alice@example.test"], message(3))
        return True
    except (OSError, smtplib.SMTPException):
        return False


def test_faults_auth_brute_force(holdfast_factory, tmp_path, fault_table):
    from holdfast_config import make_tls, make_users
    import ssl
    cert, key = make_tls(tmp_path)
    users = make_users(tmp_path, {"alice": "s3cret"})
    holdfast_factory(config_text(tls=(cert, key), users=users))  # failure_delay 1s, 3 a session
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sessions = 2 if LONG else 1
    waits, cut = [], 0
    for _ in range(sessions):
        with smtplib.SMTP("127.0.0.1", PORT, source_address=(OUTSIDE, 0), timeout=60) as s:
            s.starttls(context=ctx)
            s.ehlo()
            for _ in range(3):
                start = time.monotonic()
                try:
                    s.user, s.password = "alice", "guess"
                    s.auth("PLAIN", s.auth_plain)  # one attempt (login() tries every mechanism)
                except smtplib.SMTPAuthenticationError:
                    pass
                except smtplib.SMTPServerDisconnected:
                    break
                waits.append(time.monotonic() - start)
            try:
                code = s.noop()[0]
            except (smtplib.SMTPServerDisconnected, OSError):
                code = 421
            cut += code == 421
    # Each failure waits longer than the one before (1 s more each).
    assert all(b > a + 0.5 for a, b in zip(waits, waits[1:])), waits
    assert cut == sessions, "the session was not cut after auth.max_failures"
    # The right password from elsewhere is answered at once.
    start = time.monotonic()
    with smtplib.SMTP("127.0.0.1", PORT, source_address=("127.0.0.3", 0), timeout=10) as s:
        s.starttls(context=ctx)
        s.ehlo()
        s.login("alice", "s3cret")
    assert time.monotonic() - start < 1
    fault_table.append((f"AUTH brute force: {len(waits)} wrong passwords", len(waits), 0, 0, 0, 0))
