#!/usr/bin/python3
"""Where Holdfast's CPU goes under the bench's headline load (bench/profile.md).

Runs the accept_20 load (smtp-source, 20 sessions, a connection per
message, relayed to smtp-sink) twice against fresh instances: once to
read the CPU per message from /proc with nothing attached, once under
`perf record` (flat, timer-sampled). Prints the CPU per message, each
thread's share of the samples and the samples grouped by kind of work.
Needs root (like bench/run) and perf (Debian: linux-perf).

    bench/profile.py [--holdfast build/holdfast] [-n 10000] [--reuse] [--keep FILE]
                     [--call-graph]
"""
import argparse
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lib import source, util  # noqa: E402
from lib.holdfast import Holdfast  # noqa: E402
from lib.sink import Sink  # noqa: E402

# (kind of work, regular expression over "dso [k|.] symbol"), first match
# wins: the kernel's context-switch symbols before its networking ones.
KINDS = [
    ("spool: fdatasync, ext4, block layer",
     r"ext4|jbd2|blk_|bio_|iowrite|virtio_blk|file_write|generic_perform_write|filemap|xas_"
     r"|folio|fdatasync|iomap|crc32c"),
    ("spool: record CRC (zlib)", r"crc32_z|libz"),
    ("JSON (envelope and state records)", r"nlohmann|json"),
    ("logging (spdlog, fmt)", r"spdlog|fmt::|vformat|format_to|pattern_formatter|localtime"),
    ("SMTP parsing (framer, commands, data, addresses)",
     r"LineFramer|DataReader|parse_command|parse_mailbox|Address|received_header|Reply::wire"),
    ("policy", r"policy::"),
    ("SMTP client (delivery)", r"smtp::client|dot_stuff"),
    ("scheduler, couriers", r"queue::Scheduler|delivery::"),
    ("spool (index, records)", r"queue::|segment::"),
    ("malloc, free, memcpy", r"malloc|free|_int_|memmove|memcpy|memset|memchr|memcmp|strlen"
     r"|unlink_chunk|tcache|operator new|operator delete|consolidate"),
    ("Asio (coroutines, strands, reactor)", r"boost::asio|co_spawn|awaitable|\.actor|\.destroy"),
    ("futex, mutexes, condition variables", r"futex|pthread_mutex|pthread_cond|__lll"),
    ("kernel: scheduling, context switches, epoll, timers",
     r"finish_task_switch|schedule|_raw_spin|ep_|epoll|hrtimer|wake_up|try_to_wake|enqueue"
     r"|dequeue|update_curr|pick_next|__switch_to|irq|ttwu|psi_|rcu|sched"),
    ("kernel: TCP over loopback", r"tcp_|inet_|ip_|__ip|sock|skb|net_|loopback|__dev_|netif"
     r"|napi|\bsk_|accept|connect"),
    ("kernel: syscall entry/exit, descriptors, other", r"\[k\]"),
]


def run_load(binary, n, sessions, reuse, perf_out=None, call_graph=False):
    d = tempfile.mkdtemp(prefix="holdfast-profile-")
    os.chmod(d, 0o755)
    sink = Sink(util.free_port())
    hf = Holdfast(binary, d, sink.port)
    perf = None
    try:
        sink.start()
        hf.start()
        if perf_out:
            how = ["-F", "499", "--call-graph", "dwarf"] if call_graph else ["-F", "1999"]
            perf = subprocess.Popen(["perf", "record", *how, "-p", str(hf.pid),
                                     "-o", perf_out], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        cpu0 = hf.cpu_seconds()
        t0 = time.monotonic()
        accept_s = source.send(hf.port, n, sessions, "user@bench.test", 120 + n * 0.05,
                               reuse=reuse)
        sink.wait_messages(n, 120 + n * 0.05)
        util.wait_for(lambda: hf.queued() == 0, 120 + n * 0.05, "the queue to empty", 0.1)
        cpu = hf.cpu_seconds() - cpu0
        return {"accept_per_second": round(n / accept_s),
                "relay_per_second": round(n / (time.monotonic() - t0)),
                "cpu_ms_per_message": round(1000 * cpu / n, 3),
                "load_before": round(os.getloadavg()[0], 2)}
    finally:
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        hf.stop()
        sink.stop()
        shutil.rmtree(d, ignore_errors=True)


def report(perf_data):
    def perf_report(*args):
        return subprocess.run(["perf", "report", "-i", perf_data, "--stdio", *args],
                              capture_output=True, text=True).stdout
    print("\nthreads (share of the samples):")
    for line in perf_report("-s", "pid").splitlines():
        if re.match(r"\s+[\d.]+%", line):
            print("  " + line.strip())
    kinds = {}
    for line in perf_report("-s", "dso,sym", "--percent-limit", "0").splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+(\[[k.]\])\s+(.*)", line)
        if not m:
            continue
        key = f"{m.group(2)} {m.group(3)} {m.group(4)}"
        kind = next((k for k, rx in KINDS if re.search(rx, key)), f"other ({m.group(2)})")
        kinds[kind] = kinds.get(kind, 0.0) + float(m.group(1))
    print("\nkinds of work (share of the samples, self time):")
    for kind, pct in sorted(kinds.items(), key=lambda kv: -kv[1]):
        if pct >= 0.1:
            print(f"  {pct:5.1f}%  {kind}")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--holdfast", default=str(HERE.parent / "build" / "holdfast"))
    p.add_argument("-n", type=int, default=10000, help="messages (default %(default)s)")
    p.add_argument("-s", type=int, default=20, help="sessions (default %(default)s)")
    p.add_argument("--reuse", action="store_true", help="all messages on one connection (-d)")
    p.add_argument("--keep", help="keep perf's data in this file")
    p.add_argument("--call-graph", action="store_true",
                   help="record call graphs (dwarf, 499 Hz) for `perf report --children`")
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("profile: must run as root (smtp-sink needs it)")
    if not shutil.which("perf"):
        sys.exit("profile: needs perf (apt-get install linux-perf)")
    util.raise_nofile(65536)
    plain = run_load(a.holdfast, a.n, a.s, a.reuse)
    print(f"without perf: {plain}")
    out = a.keep or tempfile.mktemp(prefix="holdfast-perf-", suffix=".data")
    profiled = run_load(a.holdfast, a.n, a.s, a.reuse, perf_out=out, call_graph=a.call_graph)
    print(f"under perf:   {profiled}")
    report(out)
    if not a.keep:
        os.unlink(out)


if __name__ == "__main__":
    main()
