"""DKIM signing (RFC 6376, RFC 8463), checked by an independent verifier:
Python's dkimpy (Debian's python3-dkim) fetching the keys that
`holdfast dkim keygen` printed from the test DNS (dnsmasq). Mail relayed for
a relay.networks client is signed with every key of its From: domain (here
RSA and Ed25519 both), also when it is large enough to go to a body file;
mail from an outside client is not signed; a changed body fails."""
import os
import re
import smtplib
import stat
import subprocess

import dkim
import dnslib
import pytest

from config_parts import dns_servers, maildir_local, mx_server
from conftest import HOLDFAST_BIN
from dnsserver import DnsServer
from peers import Sink, maildir_messages, wait_until


def keygen(directory, domain, selector, kind):
    out = directory / f"{selector}.private"
    r = subprocess.run([HOLDFAST_BIN, "dkim", "keygen", domain, selector, "--type", kind,
                        "--out", str(out)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    record = r.stdout.strip()
    m = re.fullmatch(rf'{selector}\._domainkey\.{re.escape(domain)}\. IN TXT((?: "[^"]*")+)',
                     record)
    assert m, record
    strings = re.findall(r'"([^"]*)"', m.group(1))
    assert all(len(s) <= 255 for s in strings)
    assert "".join(strings).startswith(f"v=DKIM1; k={kind}; p=")
    return out, strings


def dns_lookup(dns):
    """dkimpy's dnsfunc: the TXT record from the test DNS server."""
    def lookup(name, timeout=5):
        reply = dns.query(name.decode().rstrip(".") + ".", "TXT")
        texts = [b"".join(rr.rdata.data) for rr in reply.rr if rr.rtype == dnslib.QTYPE.TXT]
        return texts[0] if texts else None
    return lookup


@pytest.fixture
def setup(tmp_path, holdfast_factory):
    keys = tmp_path / "keys"
    keys.mkdir()
    rsa_key, rsa_txt = keygen(keys, "example.test", "s1", "rsa")
    ed_key, ed_txt = keygen(keys, "example.test", "s2", "ed25519")
    assert stat.S_IMODE(os.stat(rsa_key).st_mode) == 0o600
    dns = DnsServer(tmp_path / "dns")
    dns.mx("remote.test", "mx.remote.test", 10)
    dns.a("mx.remote.test", "127.0.0.10")
    dns.txt("s1._domainkey.example.test", *rsa_txt)
    dns.txt("s2._domainkey.example.test", *ed_txt)
    dns.start()
    sink = Sink(tmp_path / "sink", host="127.0.0.10").start()
    config = mx_server() + maildir_local(["alice"]) + f"""
[[dkim]]
domain = "example.test"
selector = "s1"
key = "{rsa_key}"

[[dkim]]
domain = "example.test"
selector = "s2"
key = "{ed_key}"
type = "ed25519"

[limits]
data_in_memory = 4096
""" + dns_servers(dns.address)
    h = holdfast_factory(config)
    yield h, sink, dns_lookup(dns)
    sink.stop()
    dns.close()


def message(sender="alice@example.test", to="bob@remote.test", body="Hello,\r\n\r\nthe  body.\r\n"):
    return (f"From: Alice <{sender}>\r\nTo: {to}\r\nSubject: dkim test\r\n"
            f"Date: Mon, 30 Nov 2026 12:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n"
            f"\r\n{body}")


def send(msg, rcpt, source="127.0.0.1"):
    with smtplib.SMTP("127.0.0.1", 2525, source_address=(source, 0), timeout=10) as s:
        s.sendmail("alice@example.test", [rcpt], msg.encode())


def signatures(raw):
    """Verifies every DKIM-Signature of raw: [(d, s, a, verified)]."""
    d = dkim.DKIM(raw)
    sigs = [f for f in d.headers if f[0].lower() == b"dkim-signature"]
    return sigs, d


def verify_all(raw, lookup):
    sigs, _ = signatures(raw)
    results = []
    for i in range(len(sigs)):
        d = dkim.DKIM(raw)
        try:
            ok = d.verify(idx=i, dnsfunc=lookup)
        except dkim.ValidationError:
            ok = False
        tags = dkim.util.parse_tag_value(re.sub(rb"\s+", b"", sigs[i][1]))
        results.append((tags[b"s"].decode(), tags[b"a"].decode(), ok, tags))
    return results


@pytest.mark.parametrize("size", ["small", "body-file"])
def test_relayed_mail_is_signed_with_rsa_and_ed25519(setup, size):
    h, sink, lookup = setup
    body = "Hello,\r\n\r\nthe  body.\r\n"
    if size == "body-file":  # past data_in_memory: streamed to body/<ID>
        body = "".join(f"line {i} of a long message\t \r\n" for i in range(3000))
    send(message(body=body), "bob@remote.test")
    wait_until(lambda: len(sink.messages()) == 1, timeout=15)
    # smtp-sink stores lines with LF: back to the CRLF they had on the wire.
    raw = sink.messages()[0][1].replace(b"\n", b"\r\n")
    results = verify_all(raw, lookup)
    assert [(s, a, ok) for s, a, ok, _ in results] == [
        ("s1", "rsa-sha256", True), ("s2", "ed25519-sha256", True)], raw[:600]
    tags = results[0][3]
    assert tags[b"c"] == b"relaxed/relaxed"
    assert tags[b"h"].split(b":")[:2] == [b"from", b"from"]  # oversigned
    assert int(tags[b"t"]) > 1700000000
    assert "dkim=signed d=example.test s=s1 a=rsa-sha256" in h.log_text()
    # The independent checker also fails what was changed.
    tampered = raw.replace(b"the  body", b"the  b0dy") if size == "small" else \
        raw.replace(b"line 7 of", b"line 8 of")
    assert [ok for _, _, ok, _ in verify_all(tampered, lookup)] == [False, False]


def test_outside_client_to_local_domain_is_not_signed(setup, tmp_path):
    h, _, _ = setup
    send(message(sender="eve@example.test", to="alice@example.test"), "alice@example.test",
         source="127.0.0.5")
    box = h.dir / "mail/example.test/alice"
    wait_until(lambda: len(maildir_messages(box)) == 1, timeout=15)
    raw = (box / "new").iterdir().__next__().read_bytes()
    assert b"DKIM-Signature" not in raw
    assert "dkim=signed" not in h.log_text()


def test_other_from_domain_is_not_signed(setup):
    h, sink, _ = setup
    send(message(sender="carol@other.test"), "bob@remote.test")
    wait_until(lambda: len(sink.messages()) == 1, timeout=15)
    assert b"DKIM-Signature" not in sink.messages()[0][1]


def test_keygen_never_overwrites_and_check_config_checks_keys(tmp_path):
    key, _ = keygen(tmp_path, "example.test", "s1", "ed25519")
    r = subprocess.run([HOLDFAST_BIN, "dkim", "keygen", "example.test", "s1", "--out", str(key)],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "never overwritten" in r.stderr
    bad = tmp_path / "bad.private"
    bad.write_text("not a key\n")
    conf = tmp_path / "c.toml"
    conf.write_text(f"""\
[server]
hostname = "mx.example.test"
spool = "spool"

[[dkim]]
domain = "example.test"
selector = "s1"
key = "{key}"
type = "rsa"

[[dkim]]
domain = "example.test"
selector = "s2"
key = "{bad}"
""")
    r = subprocess.run([HOLDFAST_BIN, "check-config", "-c", str(conf)], capture_output=True,
                       text=True)
    assert r.returncode == 2
    assert re.search(r"c\.toml:\d+: \[\[dkim\]\] key .* is an ed25519 key, not rsa", r.stderr)
    assert re.search(r"c\.toml:\d+: \[\[dkim\]\] key .*bad\.private\" is not a PEM", r.stderr)
