"""Shared fixtures: start the real holdfast binary with a config, wait for
its ports, stop it and show its log when a test fails."""
import os
import pathlib
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent / "lib"))

HOLDFAST_BIN = os.environ.get("HOLDFAST_BIN", "build/holdfast")
SOURCE_DIR = pathlib.Path(os.environ.get("HOLDFAST_SOURCE_DIR", pathlib.Path(__file__).parents[2]))


def wait_for_port(host, port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class Holdfast:
    """A running `holdfast serve` with its own directory, config and log."""

    def __init__(self, workdir, config_text, port=2525, host="127.0.0.1", binary=None, env=None):
        self.bin = binary or HOLDFAST_BIN
        self.env = env  # extra environment variables (ASAN_OPTIONS ...)
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "holdfast.toml"
        self.config.write_text(config_text)
        self.host, self.port = host, port
        self.log_path = self.dir / "holdfast.log"
        self.proc = None
        self.start_prefix = []  # e.g. ["prlimit", "--nofile=128:128"]
        self.allow_root = True

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        env = {**os.environ, **self.env} if self.env else None
        # The tests run as root in their namespace; a config without
        # server.user needs --allow-root then (see test_privileges.py).
        allow_root = ["--allow-root"] if os.geteuid() == 0 and self.allow_root else []
        self.proc = subprocess.Popen([*self.start_prefix, self.bin, "serve", "-c", str(self.config),
                                      *allow_root],
                                     cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env)
        if wait:
            wait_for_port(self.host, self.port)
        return self

    def cli(self, *args, check=False, timeout=30):
        return subprocess.run([HOLDFAST_BIN, *args, "-c", str(self.config)], cwd=self.dir,
                              capture_output=True, text=True, check=check, timeout=timeout)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def holdfast_factory(tmp_path, request):
    """holdfast_factory(config_text, port=...) -> started Holdfast."""
    started = []

    def make(config_text, port=2525, host="127.0.0.1", name="holdfast", start=True):
        h = Holdfast(tmp_path / name, config_text, port=port, host=host)
        started.append(h)
        return h.start() if start else h

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for h in started:
        h.stop()
        if failed:
            print(f"--- {h.log_path} ---\n{h.log_text()[-4000:]}")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


# The fault campaign's table (test_faults.py): one row per scenario.
FAULT_ROWS = []


@pytest.fixture
def fault_table():
    """Append (scenario, faults injected, acknowledged, delivered, lost, duplicated)."""
    return FAULT_ROWS


def pytest_terminal_summary(terminalreporter):
    if not FAULT_ROWS:
        return
    w = terminalreporter
    w.section("fault campaign")
    head = ("scenario", "faults", "acked", "delivered", "lost", "duplicated")
    w.write_line(f"{head[0]:<58} {head[1]:>7} {head[2]:>7} {head[3]:>9} {head[4]:>5} {head[5]:>10}")
    for r in FAULT_ROWS:
        w.write_line(f"{r[0]:<58} {r[1]:>7} {r[2]:>7} {r[3]:>9} {r[4]:>5} {r[5]:>10}")
