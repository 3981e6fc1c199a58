"""Medians, ratios, the machine, and the two outputs: results JSON and the
table in bench/README.md (between the results markers)."""
import datetime
import json
import os
import platform
import re
import subprocess

from . import util
from .scenarios import HOLDFAST_FLUSH_SESSIONS, POSTFIX_FLUSH_SESSIONS

START = "<!-- results:start -->"
END = "<!-- results:end -->"

# (scenario key, metric, label, unit, better[, the entry's two parts shown
# in the Holdfast and Postfix columns, if not "holdfast" and "postfix"])
SINK_SIDES = (f"sessions_{HOLDFAST_FLUSH_SESSIONS}", f"sessions_{POSTFIX_FLUSH_SESSIONS}")
TABLE = [
    ("accept_20", "accept_per_second", "1. acceptance, 20 sessions, a connection per message",
     "msg/s", "higher"),
    ("accept_1", "accept_per_second", "1. acceptance, 1 session, a connection per message",
     "msg/s", "higher"),
    ("accept_100", "accept_per_second", "1. acceptance, 100 sessions, a connection per message",
     "msg/s", "higher"),
    ("accept_20_reuse", "accept_per_second",
     "1. acceptance, 20 sessions, all messages on one connection each (-d)", "msg/s", "higher"),
    ("accept_20", "relay_per_second", "2. end-to-end relay rate, 20 sessions", "msg/s", "higher"),
    ("accept_20", "relay_seconds", "2. end-to-end relay, 20 sessions", "s", "lower"),
    ("backlog", "flush_seconds", "3. backlog flush after the primary returns", "s", "lower"),
    ("backlog", "flush_per_second", "3. backlog flush rate", "msg/s", "higher"),
    ("backlog_sink", "flush_per_second",
     f"3. sink ceiling: smtp-source straight into smtp-sink, {HOLDFAST_FLUSH_SESSIONS} "
     f"sessions / {POSTFIX_FLUSH_SESSIONS} sessions",
     "msg/s", "-", SINK_SIDES),
    ("backlog", "flush_fraction_of_sink",
     "3. backlog flush rate / sink ceiling at the same concurrency "
     f"({HOLDFAST_FLUSH_SESSIONS} / {POSTFIX_FLUSH_SESSIONS})", "fraction",
     "higher"),
    ("idle", "sessions_held", "4. idle sessions held", "sessions", "higher"),
    ("idle", "kib_per_session", "4. memory per idle session", "KiB", "lower"),
    ("idle", "rss_kib", "4. Holdfast RSS with all sessions open", "KiB", "lower"),
    ("idle", "process_limit", "4. Postfix smtpd process limit", "processes", "-"),
    ("recovery", "startup_seconds", "5. start-up with a full queue", "s", "lower"),
    ("recovery", "rss_kib", "5. RSS after start-up with a full queue", "KiB", "lower"),
    ("accept_20", "cpu_ms_per_message_accept", "6. CPU per message, acceptance, 20 sessions", "ms", "lower"),
    ("accept_1", "cpu_ms_per_message_accept", "6. CPU per message, acceptance, 1 session", "ms", "lower"),
    ("accept_100", "cpu_ms_per_message_accept", "6. CPU per message, acceptance, 100 sessions", "ms", "lower"),
    ("accept_20_reuse", "cpu_ms_per_message_accept",
     "6. CPU per message, acceptance, 20 sessions, -d", "ms", "lower"),
    ("accept_20", "cpu_ms_per_message_relay", "6. CPU per message, relay, 20 sessions", "ms", "lower"),
]


def summarize(runs):
    """{"runs": [...], "median": {metric: value}}; errors kept, not counted."""
    ok = [r for r in runs if "error" not in r]
    out = {"runs": runs}
    if ok:
        keys = [k for k in ok[0] if isinstance(ok[0][k], (int, float))]
        out["median"] = {k: util.median([r.get(k) for r in ok]) for k in keys}
    else:
        out["error"] = runs[-1]["error"] if runs else "not run"
    return out


def ratios(hf, pf):
    a, b = hf.get("median", {}), pf.get("median", {})
    return {k: round(a[k] / b[k], 3) for k in a if k in b and b[k]}


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    osname = ""
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            osname = m.group(1) if m else ""
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": osname,
        "tmp_filesystem": _fs_type("/tmp"),
    }


def _fs_type(path):
    r = subprocess.run(["df", "--output=fstype", path], capture_output=True, text=True)
    lines = r.stdout.split()
    return lines[-1] if r.returncode == 0 and lines else ""


def versions(binary):
    def run(*cmd):
        r = subprocess.run(cmd, capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    return {
        "holdfast_binary": str(binary),
        "holdfast_binary_built": datetime.datetime.fromtimestamp(
            binary.stat().st_mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        # The checkout the binary was built in (it may be older than HEAD).
        "holdfast_commit": run("git", "-C", str(binary.parent), "rev-parse", "--short", "HEAD"),
        "postfix": run("postconf", "-d", "-h", "mail_version"),
    }


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return f"{int(v)}"


def table(results):
    sc = results["scenarios"]
    rows = ["| figure | unit | Holdfast | Postfix | Holdfast / Postfix | better |",
            "| --- | --- | --- | --- | --- | --- |"]
    for key, metric, label, unit, better, *sides in TABLE:
        if key not in sc:
            continue
        s = sc[key]
        cells = []
        for side in (sides[0] if sides else ("holdfast", "postfix")):
            part = s.get(side)
            if part is None:
                cells.append("n/a")
            elif "error" in part:
                cells.append("error")
            else:
                cells.append(_fmt(part.get("median", {}).get(metric)))
        if all(c == "-" for c in cells):
            continue  # e.g. results from before the figure existed
        ratio = s.get("ratio", {}).get(metric)
        rows.append(f"| {label} | {unit} | {cells[0]} | {cells[1]} | "
                    f"{_fmt(ratio) if ratio is not None else '-'} | {better} |")
    return "\n".join(rows)


def markdown(results):
    m = results["machine"]
    p = results["params"]
    kind = ("**Smoke run** (scaled down, not a measurement: the full run is "
            "`bench/run` without --scale)" if results["smoke"] else "Full run")
    scale = p["scale"]
    if isinstance(scale, dict):
        # Scenarios run separately at different scales (--only ... --scale
        # ...), their results merged: say which ran at which.
        kind = "Run scenario by scenario"
        by = {}
        for scenario, v in scale.items():
            by.setdefault(v, []).append(scenario)
        scale = ", ".join(f"{v} ({', '.join(names)})" for v, names in sorted(by.items()))
    lines = [
        f"{kind}: scale {scale}, {p['rounds']} round(s), medians.",
        f"{results['date']}; {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"{m['os']}, kernel {m['kernel']}, /tmp on {m['tmp_filesystem']}; "
        f"Holdfast {results['versions']['holdfast_commit'] or '?'}, "
        f"Postfix {results['versions']['postfix']}.",
        f"Messages: {p['messages']} (acceptance, relay), {p['backlog']} (backlog), "
        f"{p['idle_sessions']} idle sessions, {p['recovery']} queued (recovery).",
        _load_line(results),
        "",
        table(results),
    ]
    errors = []
    for key, s in results["scenarios"].items():
        for side, part in s.items():
            if not isinstance(part, dict) or "runs" not in part:
                continue
            if "error" in part:
                errors.append(f"- {key} / {side}: {_oneline(part['error'])}")
            elif part:
                for i, r in enumerate(part["runs"]):
                    if "error" in r:
                        errors.append(f"- {key} / {side} round {i + 1}: {_oneline(r['error'])}")
    if errors:
        lines += ["", "Errors:", ""] + errors
    return "\n".join(lines)


def _load_line(results):
    """The machine's load as the runs started: their median and maximum."""
    loads = []
    for s in results["scenarios"].values():
        for part in s.values():
            if isinstance(part, dict):
                loads += [r["load_before"] for r in part.get("runs", [])
                          if isinstance(r, dict) and "load_before" in r]
    if not loads:
        return "Load average as the runs started: not recorded."
    return (f"Load average (1 min) as the runs started: median {util.median(loads):.2f}, "
            f"maximum {max(loads):.2f}, over {len(loads)} runs.")


def _oneline(text, limit=300):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def write(results, out_path, readme_path):
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=2) + "\n")
    if readme_path is None or not readme_path.exists():
        return
    text = readme_path.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        readme_path.write_text(f"{head}{START}\n{markdown(results)}\n{END}{tail}")
