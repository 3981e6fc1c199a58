"""The web pages in a real browser: tests/browser/web.mjs drives Debian's
chromium (playwright-core from npm, installed by `scripts/install-deps
test` into tests/browser/node_modules) against a running holdfast, a
deliberately open Postfix and a test DNSBL zone. Screenshots of every page
go to build/test-output/screenshots/ (or $HOLDFAST_TEST_OUTPUT)."""
import os
import pathlib
import shutil
import smtplib
import subprocess

import pytest

from conftest import SOURCE_DIR
from relay_postfix import RelayPostfix, free_port
from web_fixture import (ADMIN_PASSWORD, ADMIN_USER, LISTED, add_customer_with_violation, admin_config,
                         start_dns, start_holdfast)

BROWSER_DIR = SOURCE_DIR / "tests" / "browser"
CHROMIUM = "/usr/bin/chromium"


def test_pages_in_a_real_browser(tmp_path):
    node = shutil.which("node")
    if not (node and os.path.exists(CHROMIUM) and (BROWSER_DIR / "node_modules" / "playwright-core").is_dir()):
        pytest.skip("chromium, node or playwright-core missing: run scripts/install-deps test")
    out = pathlib.Path(os.environ.get("HOLDFAST_TEST_OUTPUT", SOURCE_DIR / "build" / "test-output"))
    shots = out / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    dns = start_dns(tmp_path / "dns")
    # backup.test's primary is a port nothing listens on: its mail waits.
    backup = f'\n[[backup]]\ndomain = "backup.test"\nprimary = "127.0.0.1:{free_port()}"\n'
    h = start_holdfast(tmp_path, dns, admin_config(tmp_path) + backup)
    try:
        add_customer_with_violation(h)
        for n in range(2):
            with smtplib.SMTP("127.0.0.1", h.port, timeout=30) as s:
                s.sendmail("someone@example.net", [f"user{n}@backup.test"],
                           f"Subject: queued {n}\r\n\r\nwaits\r\n")
        with RelayPostfix("open") as pf:
            env = {**os.environ, "BASE": f"http://127.0.0.1:{h.web_port}", "CLOSED": f"127.0.0.1:{h.port}",
                   "OPEN": pf.address, "LISTED": LISTED, "SHOTS": str(shots), "HOME": str(tmp_path),
                   "ADMIN_USER": ADMIN_USER, "ADMIN_PASSWORD": ADMIN_PASSWORD}
            p = subprocess.run([node, "web.mjs"], cwd=BROWSER_DIR, env=env, capture_output=True,
                               text=True, timeout=400)
            print(p.stdout)
            assert p.returncode == 0, p.stdout + p.stderr + h.log_text()[-3000:]
        assert f'user="{ADMIN_USER}" domain=backup.test status=flush messages=2' in h.log_text()
    finally:
        h.stop()
        dns.stop()
    names = {f.name for f in shots.glob("*.png")}
    for want in ("front", "closed-holdfast", "open-postfix", "refused-outside", "rbl-listed",
                 "front-phone", "closed-holdfast-nojs", "admin-login", "admin", "admin-suspended",
                 "admin-csrf-refused", "admin-queue", "admin-customer", "admin-logged-out"):
        assert f"{want}.png" in names, names
