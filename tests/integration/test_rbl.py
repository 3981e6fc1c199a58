"""holdfast rbl against a real DNS server (dnsmasq on 127.0.0.1, inside the
loopback-only namespace): listings with TXT, clean addresses, IPv6, domains
(IDN too), a zone that lists everything, a dead zone, operator error codes,
--health, config, and the overall deadline."""
import json
import subprocess
import time

import pytest

from conftest import HOLDFAST_BIN
from dnsserver import DnsServer

V6 = "2001:db8::10"
V6_NAME = "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
V6_TEST = "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    d = DnsServer(tmp_path_factory.mktemp("dns"))
    # bl.test: an IP list with RFC 5782 test entries, one v4 and one v6 listing.
    d.a("2.0.0.127.bl.test", "127.0.0.2").txt("2.0.0.127.bl.test", "test entry")
    d.a(f"{V6_TEST}.bl.test", "127.0.0.2")
    d.a("10.2.0.192.bl.test", "127.0.0.2", "127.0.0.4")
    d.txt("10.2.0.192.bl.test", "Listed: see https://bl.test/q?ip=192.0.2.10")
    d.a(f"{V6_NAME}.bl.test", "127.0.0.3").txt(f"{V6_NAME}.bl.test", "IPv6 listing")
    # dbl.test: a domain list (RHSBL).
    d.a("test.dbl.test", "127.0.1.2")
    d.a("spam.example.test.dbl.test", "127.0.1.2").txt("spam.example.test.dbl.test", "spam domain")
    d.a("xn--bcher-kva.example.test.dbl.test", "127.0.1.2")
    # all.test lists everything (127.0.0.1 too); err.test answers "public resolver".
    d.wildcard("all.test", "127.0.0.2")
    d.wildcard("err.test", "127.255.255.254")
    d.dead("dead.test")
    # clean.test and z1..z30.test: zones with nothing in them (NXDOMAIN).
    with d:
        yield d


def rbl(dns, *args, config=None, timeout=30):
    cmd = [HOLDFAST_BIN, "rbl", *args]
    if config:
        cmd += ["-c", str(config)]
    if "--dns" not in args and not config:
        cmd += ["--dns", dns.address]
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    p.elapsed = time.monotonic() - start
    return p


def rows(text):
    """{zone: (status, rest of the row)} from the text output."""
    out = {}
    for line in text.splitlines()[1:]:
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[1] in ("listed", "clean", "timeout", "error", "broken"):
            out[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return out


def by_zone(report):
    return {z["zone"]: z for z in report["zones"]}


def test_rbl_listed_ipv4_text(dns):
    p = rbl(dns, "192.0.2.10", "--zone", "bl.test", "--zone", "clean.test")
    assert p.returncode == 1, p.stdout + p.stderr
    r = rows(p.stdout)
    assert r["bl.test"][0] == "listed"
    assert "127.0.0.2" in r["bl.test"][1] and "127.0.0.4" in r["bl.test"][1]
    assert "Listed: see https://bl.test/q?ip=192.0.2.10" in r["bl.test"][1]
    assert r["clean.test"][0] == "clean"
    assert "192.0.2.10: LISTED on 1 of 2 zones" in p.stdout


def test_rbl_listed_ipv4_json(dns):
    p = rbl(dns, "192.0.2.10", "--zone", "bl.test", "--zone", "clean.test", "--json")
    assert p.returncode == 1, p.stderr
    report = json.loads(p.stdout)
    assert report["query"] == "192.0.2.10"
    assert report["listed"] is True
    zones = by_zone(report)
    assert zones["bl.test"]["status"] == "listed"
    assert sorted(zones["bl.test"]["codes"]) == ["127.0.0.2", "127.0.0.4"]
    assert zones["bl.test"]["txt"] == "Listed: see https://bl.test/q?ip=192.0.2.10"
    assert zones["clean.test"] == {**zones["clean.test"], "status": "clean", "codes": [], "txt": ""}
    for z in report["zones"]:
        assert {"zone", "status", "codes", "txt"} <= set(z)


def test_rbl_unlisted(dns):
    p = rbl(dns, "192.0.2.20", "--zone", "bl.test", "--zone", "clean.test")
    assert p.returncode == 0, p.stdout + p.stderr
    assert {z: s for z, (s, _) in rows(p.stdout).items()} == {"bl.test": "clean", "clean.test": "clean"}
    assert "192.0.2.20: not listed on 0 of 2 zones" in p.stdout
    report = json.loads(rbl(dns, "192.0.2.20", "--zone", "bl.test", "--json").stdout)
    assert report["listed"] is False and report["zones"][0]["status"] == "clean"


def test_rbl_ipv6_listing(dns):
    p = rbl(dns, V6, "--zone", "bl.test", "--json")
    assert p.returncode == 1, p.stdout + p.stderr
    z = by_zone(json.loads(p.stdout))["bl.test"]
    assert z["status"] == "listed" and z["codes"] == ["127.0.0.3"] and z["txt"] == "IPv6 listing"
    # Nibbles must be zero-expanded: the neighbour address is not listed.
    assert rbl(dns, "2001:db8::11", "--zone", "bl.test").returncode == 0


def test_rbl_domain_listing_and_idn(dns):
    p = rbl(dns, "spam.example.test", "--zone", "dbl.test", "--json")
    assert p.returncode == 1, p.stdout + p.stderr
    z = by_zone(json.loads(p.stdout))["dbl.test"]
    assert z["status"] == "listed" and z["codes"] == ["127.0.1.2"] and z["txt"] == "spam domain"
    assert rbl(dns, "ham.example.test", "--zone", "dbl.test").returncode == 0
    idn = rbl(dns, "Bücher.example.test", "--zone", "dbl.test", "--json")
    assert idn.returncode == 1, idn.stdout + idn.stderr
    assert json.loads(idn.stdout)["query"] == "xn--bcher-kva.example.test"


def test_rbl_zone_that_lists_everything_is_broken(dns):
    p = rbl(dns, "192.0.2.20", "--zone", "all.test", "--zone", "bl.test", "--json")
    zones = by_zone(json.loads(p.stdout))
    assert zones["all.test"]["status"] == "broken"
    assert "127.0.0.1" in zones["all.test"]["detail"]
    assert zones["bl.test"]["status"] == "clean"
    assert p.returncode == 0  # a broken zone's answer is ignored
    text = rbl(dns, "192.0.2.20", "--zone", "all.test")
    assert rows(text.stdout)["all.test"][0] == "broken"


def test_rbl_operator_error_code_is_an_error_not_a_listing(dns):
    p = rbl(dns, "192.0.2.20", "--zone", "err.test", "--zone", "clean.test", "--json")
    zones = by_zone(json.loads(p.stdout))
    assert zones["err.test"]["status"] == "error"
    assert zones["err.test"]["codes"] == ["127.255.255.254"]
    assert json.loads(p.stdout)["listed"] is False
    assert p.returncode == 2  # unknown is never clean
    text = rbl(dns, "192.0.2.10", "--zone", "err.test", "--zone", "bl.test")
    assert text.returncode == 1
    assert rows(text.stdout)["err.test"][0] == "error"
    assert "public/open resolver" in rows(text.stdout)["err.test"][1]


def test_rbl_dead_zone_times_out_within_the_deadline(dns):
    p = rbl(dns, "192.0.2.10", "--zone", "bl.test", "--zone", "dead.test", "--timeout", "2")
    assert p.elapsed < 3.0, p.elapsed
    r = rows(p.stdout)
    assert r["dead.test"][0] == "timeout"
    assert r["bl.test"][0] == "listed"
    assert p.returncode == 1
    p = rbl(dns, "192.0.2.20", "--zone", "dead.test", "--zone", "clean.test", "--timeout", "1", "--json")
    assert p.elapsed < 2.0, p.elapsed
    assert by_zone(json.loads(p.stdout))["dead.test"]["status"] == "timeout"
    assert p.returncode == 2


def test_rbl_health(dns):
    p = rbl(dns, "192.0.2.20", "--health", "--json", "--zone", "bl.test", "--zone", "clean.test",
            "--zone", "all.test", "--zone", "dead.test", "--timeout", "2")
    zones = by_zone(json.loads(p.stdout))
    assert zones["bl.test"]["status"] == "clean"        # healthy: 127.0.0.2 listed, .1 not
    assert zones["clean.test"]["status"] == "broken"    # no test entry
    assert "127.0.0.2" in zones["clean.test"]["detail"]
    assert zones["all.test"]["status"] == "broken"      # lists 127.0.0.1
    assert zones["dead.test"]["status"] in ("broken", "timeout")
    v6 = rbl(dns, V6, "--health", "--json", "--zone", "bl.test")
    assert by_zone(json.loads(v6.stdout))["bl.test"]["status"] == "listed"  # ::FFFF:7F00:2 is there
    dom = rbl(dns, "ham.example.test", "--health", "--json", "--zone", "dbl.test")
    assert by_zone(json.loads(dom.stdout))["dbl.test"]["status"] == "clean"  # TEST listed, INVALID not


def test_rbl_config_gives_servers_and_zones(dns, tmp_path):
    cfg = tmp_path / "holdfast.toml"
    cfg.write_text('[[listen]]\naddress = "127.0.0.1:2525"\n\n'
                   f'[dns]\nservers = ["{dns.address}"]\n\n[dnsbl]\nzones = ["bl.test", "clean.test"]\n')
    p = rbl(dns, "192.0.2.10", config=cfg)
    assert p.returncode == 1, p.stdout + p.stderr
    assert set(rows(p.stdout)) == {"bl.test", "clean.test"}
    p = rbl(dns, "192.0.2.10", "--zone", "clean.test", config=cfg)  # --zone overrides
    assert p.returncode == 0 and set(rows(p.stdout)) == {"clean.test"}


def test_rbl_thirty_zones_in_parallel(dns):
    zones = [a for i in range(1, 31) for a in ("--zone", f"z{i}.test")]
    p = rbl(dns, "192.0.2.20", *zones, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(p.stdout)
    assert len(report["zones"]) == 30 and all(z["status"] == "clean" for z in report["zones"])
    print(f"30 zones: {p.elapsed:.3f}s")
    assert p.elapsed < 2.0


def test_rbl_bad_input(dns):
    p = rbl(dns, "300.1.2.3", "--zone", "bl.test")
    assert p.returncode == 2
    assert p.stderr.startswith("holdfast: rbl:")
    p = rbl(dns, "192.0.2.1", "--zone", "bl.test", "--dns", "not-an-ip:53")
    assert p.returncode == 2 and "holdfast:" in p.stderr
