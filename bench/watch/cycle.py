"""How long one watch cycle takes for N customer domains against a local
DNS server (dnsmasq). Run inside a loopback-only namespace:

    unshare --net sh -c 'ip link set lo up && /usr/bin/python3 bench/watch/cycle.py build/holdfast 1000'

Each domain has two MX hosts (its primary, an address where nothing listens
on the test port, and our backup MX); one customer holds all domains. The
first cycle polls every domain and relay-tests every new address (each
refused at once: inconclusive); the second polls every domain again with
nothing changed (the steady state); zones = one test DNSBL zone, so the
first cycle also blacklist-checks every address."""
import json
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parents[2] / "tests/integration/lib"))
from dnsserver import DnsServer  # noqa: E402

binary = pathlib.Path(sys.argv[1]).resolve()
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
work = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-watch-bench-"))
with DnsServer(work / "dns", ttl=0) as dns:
    dns.a("mx.isp.test", "127.0.0.1")
    for i in range(n):
        dns.mx(f"d{i}.test", f"mx.d{i}.test", 10).mx(f"d{i}.test", "mx.isp.test", 20)
        dns.a(f"mx.d{i}.test", f"127.0.{1 + i // 250}.{1 + i % 250}")
    dns.restart()
    (work / "holdfast.toml").write_text(f"""\
[server]
hostname = "mx.isp.test"
spool = "spool"
[[listen]]
address = "127.0.0.1:2525"
[dns]
servers = ["{dns.address}"]
[store]
url = "sqlite:holdfast.db"
[watch]
enabled = true
test_port = 2999
test_pause = "0s"
test_timeout = "2s"
concurrency = 16
zones = ["bl.test"]
""")

    def cli(*args):
        r = subprocess.run([str(binary), *args, "-c", "holdfast.toml"], cwd=work,
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(r.stderr)
        return r.stdout

    domains = []
    for i in range(n):
        domains += ["--domain", f"d{i}.test"]
    cli("customers", "add", "big", "--email", "noc@isp.test", *domains)
    for label in ("first cycle (all new: polls, relay tests, blacklist checks)",
                  "second cycle (polls only, nothing changed)"):
        t = time.monotonic()
        doc = json.loads(cli("watch", "run-once", "--json"))
        wall = time.monotonic() - t
        print(f"{n} domains, {label}: {doc['seconds']:.2f}s in the watch "
              f"({wall:.2f}s with the CLI's start-up); polled={doc['polled']} "
              f"tested={doc['tested']} checked={doc['checked']}")
