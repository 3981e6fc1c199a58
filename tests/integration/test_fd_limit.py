"""File descriptors (issue 16): with a low RLIMIT_NOFILE, `connections` is
capped to what fits beside a reserve, so that a client past the cap still
gets a 421 instead of a connection that never sees a banner."""
import socket
import subprocess
import time

from conftest import HOLDFAST_BIN, wait_for_port
from holdfast_config import config_text

PORT = 2525


def test_connections_are_capped_to_the_descriptor_limit(tmp_path):
    cfg = tmp_path / "holdfast.toml"
    cfg.write_text(config_text(limits={"connections": 10000, "connections_per_ip": 100000}))
    log = open(tmp_path / "holdfast.log", "wb")
    # 400 descriptors: 256 + 40 are kept in reserve, 104 for clients.
    proc = subprocess.Popen(["prlimit", "--nofile=400:400", HOLDFAST_BIN, "serve", "-c", str(cfg),
                             "--allow-root"],
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    socks = []
    try:
        wait_for_port("127.0.0.1", PORT)
        time.sleep(0.2)  # the probe connection is gone
        codes = []
        for _ in range(130):
            s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
            socks.append(s)
            codes.append(int(s.recv(512)[:3]))
        text = (tmp_path / "holdfast.log").read_text()
        assert "status=rlimit nofile=400" in text
        assert "status=connections-capped connections=104 configured=10000" in text
        assert codes.count(220) == 104, codes
        assert codes.count(421) == 130 - 104, codes
    finally:
        for s in socks:
            s.close()
        proc.terminate()
        proc.wait(timeout=10)
