#!/usr/bin/python3
"""Postfix's acceptance under the bench's set-up and its variants, run
interleaved (A B C ... A B C ...), with Holdfast in the same rounds: the
measurements behind bench/README.md, "Postfix at its best". Root, like
bench/run.

    bench/postfix_variants.py [--holdfast build/holdfast] [-n 10000] [--rounds 3]
"""
import argparse
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lib import source, util  # noqa: E402
from lib.holdfast import Holdfast  # noqa: E402
from lib.postfix import Postfix  # noqa: E402
from lib.sink import Sink  # noqa: E402


class Variant(Postfix):
    """The bench's Postfix with main.cf lines dropped or added."""

    def __init__(self, workdir, port, drop=(), add=()):
        super().__init__(workdir, port)
        self.drop, self.add = drop, add

    def main_cf(self):
        lines = [x for x in super().main_cf().splitlines()
                 if not any(x.startswith(d) for d in self.drop)]
        return "\n".join(lines + list(self.add)) + "\n"


# (label, how to make the server, smtp-source -d, the harness's open-file
# limit inherited instead of the stock one)
def variants(binary):
    return [
        ("the bench's set-up", lambda d, p: Variant(d, p), False, False),
        ("no log at all (no maillog_file)", lambda d, p: Variant(d, p, drop=["maillog_file"]),
         False, False),
        ("in_flow_delay = 0", lambda d, p: Variant(d, p, add=["in_flow_delay = 0"]), False, False),
        ("the harness's open-file limit inherited", lambda d, p: Variant(d, p), False, True),
        ("smtp-source -d", lambda d, p: Variant(d, p), True, False),
        ("Holdfast, same load", lambda d, p: Holdfast(binary, d, p), False, False),
    ]


def run(make, messages, sessions, reuse, inherit):
    d = tempfile.mkdtemp(prefix="holdfast-variants-")
    os.chmod(d, 0o755)
    sink = Sink(util.free_port())
    server = make(d, sink.port)
    stock = util.stock_nofile
    if inherit:
        util.stock_nofile = lambda: None
    try:
        sink.start()
        server.start()
        time.sleep(1)
        cpu0 = server.cpu_seconds()
        accept_s = source.send(server.port, messages, sessions, "user@bench.test",
                               120 + messages * 0.05, reuse=reuse)
        cpu = server.cpu_seconds() - cpu0
        return messages / accept_s, 1000 * cpu / messages
    finally:
        util.stock_nofile = stock
        server.stop()
        sink.stop()
        shutil.rmtree(d, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--holdfast", default=str(HERE.parent / "build" / "holdfast"))
    p.add_argument("-n", type=int, default=10000, help="messages a run (default %(default)s)")
    p.add_argument("-s", type=int, default=20, help="sessions (default %(default)s)")
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("postfix_variants: must run as root (Postfix's master and smtp-sink need it)")
    util.raise_nofile(65536)
    runs = {}
    for r in range(a.rounds):
        for label, make, reuse, inherit in variants(a.holdfast):
            load = os.getloadavg()[0]
            rate, cpu = run(make, a.n, a.s, reuse, inherit)
            runs.setdefault(label, []).append((rate, cpu, load))
            print(f"round {r + 1}: {label}: {rate:.0f} msg/s, {cpu:.2f} ms CPU/msg, "
                  f"load {load:.1f}", flush=True)
    print("\n| variant | accepted msg/s | CPU ms/msg | load |\n| --- | --- | --- | --- |")
    for label, rs in runs.items():
        print(f"| {label} | {statistics.median(x[0] for x in rs):.0f} | "
              f"{statistics.median(x[1] for x in rs):.2f} | "
              f"{min(x[2] for x in rs):.1f}-{max(x[2] for x in rs):.1f} |")


if __name__ == "__main__":
    main()
