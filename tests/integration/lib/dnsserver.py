"""A real DNS server for tests: dnsmasq on 127.0.0.1 at a free high port,
serving the records a test declares. Never the system resolver.

    with DnsServer(tmp_path) as dns:          # or dns = DnsServer(...); dns.start()
        dns.a("2.0.0.127.bl.test", "127.0.0.2")
        dns.txt("2.0.0.127.bl.test", "Listed: see https://bl.test/")
        dns.mx("customer.test", "mx1.customer.test", 10)
        dns.wildcard("all.test", "127.0.0.2")   # every name under all.test
        dns.dead("dead.test")                    # queries under dead.test time out
        dns.restart()                            # records take effect on (re)start
        holdfast(..., "--dns", dns.address)

Names under the `local` domains (default: "test") that have no records
answer NXDOMAIN; names elsewhere are REFUSED (there is no upstream).
dnsmasq reads records only at start, so changing them means restart()
(about 0.03 s)."""
import pathlib
import socket
import subprocess
import time

import dnslib

DNSMASQ = "/usr/sbin/dnsmasq"


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq binds both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


class DnsServer:
    def __init__(self, workdir, port=None, local=("test",), ttl=60):
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.local = list(local)
        self.ttl = ttl
        self.records = []  # dnsmasq options, in order
        self.proc = None
        self.log_path = self.dir / "dnsmasq.log"
        self._blackholes = []  # UDP sockets that read nothing and answer nothing

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    # --- records -----------------------------------------------------------
    def a(self, name, *addresses):
        """A and/or AAAA records (several addresses = several records)."""
        for addr in addresses:
            self.records.append(f"--host-record={name},{addr}")
        return self

    aaaa = a

    def txt(self, name, *strings):
        """One TXT record of one or more character-strings. dnsmasq splits
        its option on commas and keeps quotes literally, so no commas."""
        if any("," in s for s in strings):
            raise ValueError("dnsmasq TXT strings cannot contain commas")
        self.records.append(f"--txt-record={name},{','.join(strings)}")
        return self

    def mx(self, name, host, preference=10):
        self.records.append(f"--mx-host={name},{host},{preference}")
        return self

    def wildcard(self, domain, address):
        """Every name at and under `domain` gets this A (or AAAA) address."""
        self.records.append(f"--address=/{domain}/{address}")
        return self

    def dead(self, domain):
        """Queries under `domain` are forwarded to a socket that never
        answers, so clients time out (the server stays alive)."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        self._blackholes.append(s)
        self.records.append(f"--server=/{domain}/127.0.0.1#{s.getsockname()[1]}")
        return self

    def forget(self, name):
        """Drops every record declared for `name` (then restart())."""
        self.records = [r for r in self.records
                        if r.split("=", 1)[1].split(",", 1)[0] != name
                        and not r.startswith(f"--address=/{name}/")]
        return self

    # --- process -----------------------------------------------------------
    def command(self):
        return [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--user=root",
                "--pid-file=", f"--port={self.port}", "--listen-address=127.0.0.1",
                "--bind-interfaces", "--no-resolv", "--no-hosts", "--no-negcache",
                f"--local-ttl={self.ttl}", "--log-queries", f"--log-facility={self.log_path}",
                *[f"--local=/{d}/" for d in self.local], *self.records]

    def start(self, timeout=5.0):
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dnsmasq exited: {self.proc.stderr.read().decode()}")
            if self.query("ready.invalid.", "A", timeout=0.2) is not None:
                return self
            time.sleep(0.02)
        raise TimeoutError(f"dnsmasq not answering on {self.address}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        self.stop()
        for s in self._blackholes:
            s.close()
        self._blackholes = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def query(self, name, qtype="A", timeout=1.0):
        """Asks the server directly: a dnslib.DNSRecord, or None on timeout."""
        q = dnslib.DNSRecord.question(name, qtype)
        try:
            return dnslib.DNSRecord.parse(q.send("127.0.0.1", self.port, timeout=timeout))
        except (socket.timeout, OSError):
            return None

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
