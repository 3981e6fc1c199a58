"""Small helpers: ports, waiting, and what /proc says about a process tree."""
import os
import resource
import socket
import statistics
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls predicate until true; raises TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def wait_banner(port, timeout=20.0):
    """True once something on 127.0.0.1:port answers with a 220 greeting."""
    def ready():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return True
        except OSError:
            pass
        return False
    wait_for(ready, timeout, f"a 220 banner on 127.0.0.1:{port}")


def raise_nofile(want):
    """Raises this process's open-file limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    new_hard = max(hard, want)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, new_hard))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# The open-file limit every server starts with: the soft limit a service
# gets from systemd (and a login shell) on Debian. The harness raises its
# own limit for the idle scenario's client sockets; the servers do not
# inherit that: each raises its own as far as it wants (Holdfast raises it
# to the hard limit at start; Postfix's processes keep what they are given).
STOCK_NOFILE = 1024


def idle_sessions_within_nofile():
    """How many idle sessions Holdfast can hold under the hard open-file limit.

    Holdfast raises its soft limit to the hard one and keeps 256 + a tenth
    of it for itself (src/app/fd_limit.cpp); the idle scenario configures
    100 connections more than it opens. Rounded down to a thousand.
    """
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        return 1_000_000
    admitted = hard - (256 + hard // 10) - 100
    return max(1000, admitted // 1000 * 1000)


def stock_nofile():
    """preexec_fn for a server: the stock soft open-file limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(STOCK_NOFILE, hard), hard))


def _stat(pid):
    """(ppid, user+sys of the process, user+sys of its reaped children) in ticks."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    # The command name is in parentheses and may hold spaces.
    fields = data[data.rindex(")") + 2:].split()
    ppid = int(fields[1])
    own = int(fields[11]) + int(fields[12])
    children = int(fields[13]) + int(fields[14])
    return ppid, own, children


def process_tree(root):
    """root and all its descendants' pids."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                parents[int(name)] = _stat(int(name))[0]
            except (OSError, ValueError):
                pass
    tree, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        for child, parent in parents.items():
            if parent == p and child not in tree:
                tree.add(child)
                frontier.append(child)
    return tree


def tree_cpu_seconds(root):
    """CPU (user+sys) used so far by root and every descendant, living or
    reaped: a process that exited was waited for by its parent in the tree,
    so its time is in that parent's children counters. The difference of two
    readings is what the tree spent in between."""
    ticks = 0
    for pid in process_tree(root):
        try:
            _, own, children = _stat(pid)
        except (OSError, ValueError):
            continue
        ticks += own + children
    return ticks / CLK_TCK


def status_kib(pid, key):
    """A kB figure from /proc/PID/status, e.g. VmRSS or VmHWM."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def pss_kib(pid):
    """Proportional set size: shared pages split between their users, so a
    sum over many forked processes is not counted N times."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise KeyError("Pss")


def proc_name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def scaled(n, scale, minimum=1):
    return max(minimum, int(round(n * scale)))
