"""The scenarios. Each run starts fresh instances in a scratch directory and
returns a flat dict of figures; a failure is raised and recorded by the
caller as that run's error."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from . import source, spool, util
from .holdfast import DOMAIN, Holdfast
from .postfix import Postfix
from .sink import Sink

RECIPIENT = f"user@{DOMAIN}"  # smtp-source -N makes it 1user@, 2user@, ...
SETTLE = 2.0  # seconds to let a server reach a steady state before reading it


class Context:
    def __init__(self, binary, scale, keep=False):
        self.binary = binary
        self.scale = scale
        self.keep = keep

    def workdir(self, label):
        d = tempfile.mkdtemp(prefix=f"holdfast-bench-{label}-")
        os.chmod(d, 0o755)
        return d

    def cleanup(self, d, background=False):
        if self.keep:
            return
        if background:
            # Freeing gigabytes (the recovery spool) takes a while on a disk
            # mounted with `discard`; nothing after this needs the space
            # back at once.
            subprocess.Popen(["rm", "-rf", "--", d], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return
        shutil.rmtree(d, ignore_errors=True)


def _timeout(n):
    return 120 + n * 0.05


def _server(kind, ctx, workdir, next_hop_port, **holdfast_args):
    if kind == "holdfast":
        return Holdfast(ctx.binary, workdir, next_hop_port, **holdfast_args)
    return Postfix(workdir, next_hop_port)


def _drain(server, timeout):
    """Waits until the server's queue is empty (everything delivered)."""
    util.wait_for(lambda: server.queued() == 0, timeout, f"{server.name}'s queue to empty",
                  interval=0.1)


# 1, 2 and 6: acceptance, end-to-end relay, CPU per message.
def accept(kind, ctx, messages, sessions, reuse=False):
    d = ctx.workdir(kind)
    sink = Sink(util.free_port())
    server = _server(kind, ctx, d, sink.port)
    try:
        sink.start()
        server.start()
        cpu0 = server.cpu_seconds()
        t0 = time.monotonic()
        accept_s = source.send(server.port, messages, sessions, RECIPIENT, _timeout(messages),
                               reuse=reuse)
        cpu_accept = server.cpu_seconds() - cpu0
        t_all = sink.wait_messages(messages, _timeout(messages))
        e2e_s = t_all - t0
        _drain(server, _timeout(messages))
        cpu_e2e = server.cpu_seconds() - cpu0
        return {
            "accept_seconds": round(accept_s, 3),
            "accept_per_second": round(messages / accept_s, 1),
            "relay_seconds": round(e2e_s, 3),
            "relay_per_second": round(messages / e2e_s, 1),
            "cpu_ms_per_message_accept": round(1000 * cpu_accept / messages, 3),
            "cpu_ms_per_message_relay": round(1000 * cpu_e2e / messages, 3),
        }
    except Exception as e:
        raise RuntimeError(f"{e}; {kind} log: {server.log_tail(8)}") from e
    finally:
        server.stop()
        sink.stop()
        ctx.cleanup(d)


# 3: backlog flush.
def backlog(kind, ctx, messages, sessions=20):
    d = ctx.workdir(kind)
    sink = Sink(util.free_port())
    # Holdfast probes a down primary every probe_interval: 1s, so that the
    # flush is not mostly waiting for the next probe. Postfix is told with
    # `postqueue -f` the moment the sink is up.
    server = _server(kind, ctx, d, sink.port, probe_interval="1s")
    try:
        server.start()
        load_s = source.send(server.port, messages, sessions, RECIPIENT, _timeout(messages),
                             reuse=True)
        if kind == "postfix":
            # Every message tried once and deferred, none still in flight.
            util.wait_for(lambda: server.queued(["maildrop", "incoming", "active"]) == 0,
                          _timeout(messages), "postfix to defer the backlog", interval=0.2)
        time.sleep(SETTLE)
        queued = server.queued()
        if queued != messages:
            raise RuntimeError(f"{queued} of {messages} messages queued before the flush")
        cpu0 = server.cpu_seconds()
        t0 = time.monotonic()
        sink.start()
        if kind == "postfix":
            server.flush()
        t_all = sink.wait_messages(messages, _timeout(messages))
        flush_s = t_all - t0
        _drain(server, _timeout(messages))
        cpu = server.cpu_seconds() - cpu0
        return {
            "load_seconds": round(load_s, 3),
            "flush_seconds": round(flush_s, 3),
            "flush_per_second": round(messages / flush_s, 1),
            "cpu_ms_per_message_flush": round(1000 * cpu / messages, 3),
        }
    except Exception as e:
        raise RuntimeError(f"{e}; {kind} log: {server.log_tail(8)}") from e
    finally:
        server.stop()
        sink.stop()
        ctx.cleanup(d)


# 3, the reference: how fast smtp-sink takes the backlog's messages
# straight from smtp-source, with nothing in between: the ceiling of any
# flush into this sink on this machine.
HOLDFAST_FLUSH_SESSIONS = 10  # Holdfast's [queue] concurrency default
POSTFIX_FLUSH_SESSIONS = 20  # Postfix's default_destination_concurrency_limit


def sink_ceiling(messages, sessions):
    """Timed like backlog(): from the sink's start until it has counted
    every message (the same Sink, so the same smtp-sink options)."""
    sink = Sink(util.free_port())
    try:
        t0 = time.monotonic()
        sink.start()
        # Message after message on each connection, as a flush that
        # reuses its connections sends them.
        send_s = source.send(sink.port, messages, sessions, RECIPIENT, _timeout(messages),
                             reuse=True)
        t_all = sink.wait_messages(messages, _timeout(messages))
        flush_s = t_all - t0
        return {
            "sessions": sessions,
            "send_seconds": round(send_s, 3),
            "flush_seconds": round(flush_s, 3),
            "flush_per_second": round(messages / flush_s, 1),
        }
    finally:
        sink.stop()


# Connections from one source address to one port are limited by the
# ephemeral port range (about 28,000 on Linux): the idle scenario spreads
# its sessions over 127.0.0.2, 127.0.0.3, ... this many each.
SESSIONS_PER_SOURCE = 10_000


def _open_idle(port, n, banner_timeout=10.0):
    """Opens n sessions and reads each greeting; returns (sockets, greeted)."""
    socks, greeted = [], 0
    for i in range(n):
        s = socket.socket()
        s.settimeout(banner_timeout)
        try:
            s.bind((f"127.0.0.{2 + i // SESSIONS_PER_SOURCE}", 0))
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            break
        socks.append(s)
        try:
            if s.recv(512).startswith(b"220"):
                greeted += 1
        except OSError:
            pass
    return socks, greeted


# 4: many idle sessions.
def idle(kind, ctx, sessions):
    d = ctx.workdir(kind)
    unused = util.free_port()  # no next hop is needed
    if kind == "holdfast":
        server = Holdfast(ctx.binary, d, unused, connections=sessions + 100)
    else:
        server = Postfix(d, unused)
    socks = []
    try:
        server.start()
        time.sleep(SETTLE)
        if kind == "holdfast":
            base = server.rss_kib()
            socks, greeted = _open_idle(server.port, sessions)
            time.sleep(SETTLE)
            rss = server.rss_kib()
            if greeted < sessions:
                raise RuntimeError(f"only {greeted} of {sessions} sessions were greeted")
            return {
                "sessions_held": greeted,
                "rss_idle_kib": base,
                "rss_kib": rss,
                "kib_per_session": round((rss - base) / sessions, 2),
            }
        # Postfix: one smtpd process per session, at most process_limit of them
        # (master.cf "-" = default_process_limit). Beyond it a connection waits
        # in the listen queue without a greeting. Measured at the limit.
        limit = int(server.postconf("default_process_limit"))
        held = min(sessions, limit)
        smtpds_before = server.processes("smtpd")
        base = sum(util.pss_kib(p) for p in smtpds_before)
        socks, greeted = _open_idle(server.port, held)
        time.sleep(SETTLE)
        smtpds = server.processes("smtpd")
        pss = sum(util.pss_kib(p) for p in smtpds)
        rss = sum(util.status_kib(p, "VmRSS") for p in smtpds)
        extra = {}
        if sessions > limit:
            # Shows the limit: one more session is connected but not greeted.
            more, more_greeted = _open_idle(server.port, 1, banner_timeout=3.0)
            socks += more
            extra["greeted_beyond_limit"] = more_greeted
        return extra | {
            "process_limit": limit,
            "sessions_held": greeted,
            "smtpd_processes": len(smtpds),
            "smtpd_pss_kib": pss,
            "smtpd_rss_kib": rss,
            "kib_per_session": round((pss - base) / max(1, greeted), 2),
        }
    finally:
        for s in socks:
            s.close()
        server.stop()
        ctx.cleanup(d)


# 5: start-up recovery with a big queue (Holdfast only).
def make_spool(ctx, messages):
    """A version-2 spool (docs/queue-format.md) of `messages` queued
    messages for a down primary, written directly as segment files: see
    lib/spool.py. Returns (workdir, the down primary's port, seconds it
    took, {"segments", "bytes"})."""
    t0 = time.monotonic()
    d = ctx.workdir("recovery")
    down = util.free_port()
    hf = Holdfast(ctx.binary, d, down, probe_interval="90s").prepare()
    made = spool.write_spool(hf.spool, messages)
    os.sync()  # written back before anything is timed
    return d, down, time.monotonic() - t0, {"segments": made["segments"],
                                            "bytes": made["bytes"]}


def recovery(ctx, workdir, down_port, messages, drop_caches=False):
    hf = Holdfast(ctx.binary, workdir, down_port, probe_interval="90s")
    try:
        if drop_caches:
            os.sync()
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")
        start_s = hf.start(timeout=_timeout(messages))
        time.sleep(SETTLE)
        queued = _started_queued(hf)
        if queued != messages:
            raise RuntimeError(f"recovered {queued} of {messages} messages")
        return {
            "messages": queued,
            "startup_seconds": round(start_s, 3),
            "rss_kib": hf.rss_kib(),
            "peak_rss_kib": hf.hwm_kib(),
            "kib_per_message": round(hf.rss_kib() / messages, 3),
        }
    except Exception as e:
        raise RuntimeError(f"{e}; holdfast log: {hf.log_tail(8)}") from e
    finally:
        hf.stop()


def _started_queued(hf):
    for field in hf.started_line.split():
        if field.startswith("queued="):
            return int(field[len("queued="):])
    return -1
