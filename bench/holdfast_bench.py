#!/usr/bin/python3
"""Holdfast against Postfix on this machine: see bench/README.md.

Runs each scenario for Holdfast and Postfix alternately (A B A B ...),
records every run, and writes medians and ratios to results/latest.json
and the table in README.md."""
import argparse
import os
import pathlib
import sys
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from lib import report, scenarios, spool, util  # noqa: E402

SCENARIOS = ["accept", "backlog", "idle", "recovery"]
SERVERS = ["holdfast", "postfix"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--holdfast", default=str(REPO / "build" / "holdfast"),
                   help="the holdfast binary (default: %(default)s)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every message and session count (0.01 for a smoke run)")
    p.add_argument("--rounds", type=int, default=3, help="A/B rounds per scenario (default 3)")
    p.add_argument("--only", action="append", choices=SCENARIOS,
                   help="run only this scenario (repeatable)")
    p.add_argument("--out", default=str(HERE / "results" / "latest.json"),
                   help="results file (default: %(default)s)")
    p.add_argument("--no-readme", action="store_true",
                   help="do not rewrite the table in bench/README.md")
    p.add_argument("--drop-caches", action="store_true",
                   help="recovery: drop the page cache before each start (cold start)")
    p.add_argument("--verify-spool", action="store_true",
                   help="recovery: read the generated spool back and check it before the "
                        "rounds (lib/spool.py)")
    p.add_argument("--keep", action="store_true", help="keep the scratch directories")
    return p.parse_args()


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run_guarded(label, fn, *args):
    # The machine's 1-minute load average as the run starts: other work on
    # the machine shows in the figures (bench/README.md).
    load = round(os.getloadavg()[0], 2)
    log(f"{label} (load {load}) ...")
    t0 = time.monotonic()
    try:
        r = fn(*args)
        if isinstance(r, dict):
            r["load_before"] = load
        log(f"{label}: {r} ({time.monotonic() - t0:.1f}s)")
        return r
    except Exception as e:  # a failed run is a result, not a crash
        msg = f"{type(e).__name__}: {e}"
        log(f"{label}: ERROR {msg}")
        if os.environ.get("BENCH_DEBUG"):
            traceback.print_exc()
        return {"error": msg, "load_before": load}


def ab(results, key, params, rounds, fn, references=None):
    """Runs fn(server) for holdfast and postfix alternately, `rounds` times.
    references: {"key": ..., "params": ..., "runs": {label: fn()},
    "fraction": {server: label}}: reference runs made once per round after
    the servers' (stored under their own key), and each server's
    flush_per_second as a fraction of its matching reference in the same
    round (flush_fraction_of_sink)."""
    runs = {s: [] for s in SERVERS}
    ref_runs = {label: [] for label in (references or {}).get("runs", {})}
    for r in range(rounds):
        for server in SERVERS:
            runs[server].append(run_guarded(f"{key} round {r + 1} {server}", fn, server))
        for label, ref in (references or {}).get("runs", {}).items():
            ref_runs[label].append(run_guarded(f"{references['key']} round {r + 1} {label}", ref))
    if references:
        for server, label in references["fraction"].items():
            for run, ref in zip(runs[server], ref_runs[label]):
                if "error" not in run and "error" not in ref and ref["flush_per_second"]:
                    run["flush_fraction_of_sink"] = round(
                        run["flush_per_second"] / ref["flush_per_second"], 3)
        results["scenarios"][references["key"]] = {"params": references["params"]} | {
            label: report.summarize(r) for label, r in ref_runs.items()}
    entry = {"params": params}
    for server in SERVERS:
        entry[server] = report.summarize(runs[server])
    entry["ratio"] = report.ratios(entry["holdfast"], entry["postfix"])
    results["scenarios"][key] = entry


def main():
    a = parse_args()
    binary = pathlib.Path(a.holdfast).resolve()
    if not binary.exists():
        sys.exit(f"bench: {binary} not found (build it: make build)")
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (Postfix's master and smtp-sink need it)")
    only = a.only or SCENARIOS
    n_msg = util.scaled(10_000, a.scale)
    n_backlog = util.scaled(100_000, a.scale)
    # The 100,000 where the machine's hard open-file limit allows
    # it, else as many as Holdfast admits within that limit.
    n_idle = util.scaled(min(100_000, util.idle_sessions_within_nofile()), a.scale)
    n_recovery = util.scaled(1_000_000, a.scale)
    util.raise_nofile(max(65536, 2 * n_idle + 1000))
    ctx = scenarios.Context(binary, a.scale, keep=a.keep)
    results = {
        "date": report.now_utc(),
        "smoke": a.scale < 1.0,
        "machine": report.machine(),
        "versions": report.versions(binary),
        "params": {"scale": a.scale, "rounds": a.rounds, "messages": n_msg,
                   "message_body_octets": scenarios.source.PAYLOAD, "backlog": n_backlog,
                   "idle_sessions": n_idle, "recovery": n_recovery},
        "scenarios": {},
    }
    out = pathlib.Path(a.out)
    readme = None if a.no_readme else HERE / "README.md"

    def save():
        report.write(results, out, readme)

    if "accept" in only:
        # One message per connection (the headline: mail from many senders),
        # then the same 20 sessions each sending message after message on
        # one connection (smtp-source -d).
        for sessions, reuse in ((20, False), (1, False), (100, False), (20, True)):
            key = f"accept_{sessions}" + ("_reuse" if reuse else "")
            ab(results, key, {"messages": n_msg, "sessions": sessions,
                              "messages_per_connection": "all" if reuse else 1},
               a.rounds, lambda s, n=sessions, r=reuse: scenarios.accept(s, ctx, n_msg, n, r))
            save()
    if "backlog" in only:
        hf_n, pf_n = scenarios.HOLDFAST_FLUSH_SESSIONS, scenarios.POSTFIX_FLUSH_SESSIONS
        sink = {
            "key": "backlog_sink",
            "params": {"messages": n_backlog, "sessions": [hf_n, pf_n]},
            "runs": {f"sessions_{n}": (lambda n=n: scenarios.sink_ceiling(n_backlog, n))
                     for n in (hf_n, pf_n)},
            "fraction": {"holdfast": f"sessions_{hf_n}", "postfix": f"sessions_{pf_n}"},
        }
        ab(results, "backlog", {"messages": n_backlog, "sessions": 20}, a.rounds,
           lambda s: scenarios.backlog(s, ctx, n_backlog), references=sink)
        save()
    if "idle" in only:
        ab(results, "idle", {"sessions": n_idle}, a.rounds,
           lambda s: scenarios.idle(s, ctx, n_idle))
        save()
    if "recovery" in only:
        recovery(results, ctx, n_recovery, a.rounds, a.drop_caches, a.verify_spool)
        save()
    log(f"wrote {out}" + (f" and the table in {readme}" if readme else ""))


def recovery(results, ctx, n, rounds, drop_caches, verify=False):
    entry = {"params": {"messages": n, "drop_caches": drop_caches},
             "postfix": None,
             "postfix_note": "not measured: Postfix's master starts without reading its "
                             "queue (qmgr scans it incrementally afterwards), and filling a "
                             "Postfix queue means feeding it over SMTP"}
    made = run_guarded(f"recovery: making a spool of {n} messages",
                       lambda: scenarios.make_spool(ctx, n))
    if isinstance(made, dict):
        entry["holdfast"] = {"runs": [made], "error": made["error"]}
        results["scenarios"]["recovery"] = entry
        return
    workdir, down_port, gen_s, spool_size = made
    entry["params"]["spool_generation_seconds"] = round(gen_s, 1)
    entry["params"]["spool_segments"] = spool_size["segments"]
    entry["params"]["spool_bytes"] = spool_size["bytes"]
    if verify:
        checked = run_guarded("recovery: checking the spool", spool.verify_spool,
                              pathlib.Path(workdir) / "holdfast" / "spool")
        if checked.get("queued") != n:
            ctx.cleanup(workdir, background=True)
            entry["holdfast"] = {"runs": [], "error": f"spool check: {checked}"}
            results["scenarios"]["recovery"] = entry
            return
    try:
        runs = [run_guarded(f"recovery round {r + 1} holdfast", scenarios.recovery, ctx,
                            workdir, down_port, n, drop_caches) for r in range(rounds)]
    finally:
        log(f"recovery: removing {workdir} in the background")
        ctx.cleanup(workdir, background=True)
    entry["holdfast"] = report.summarize(runs)
    entry["ratio"] = {}
    results["scenarios"]["recovery"] = entry


if __name__ == "__main__":
    main()
