"""SPF (RFC 7208) and DMARC (RFC 7489) checks of mail arriving at the mx
role, with the records in the test DNS (dnsmasq): the results land in an
Authentication-Results: field (RFC 8601) with our host name as authserv-id
(`tag`), or refuse the mail (`reject-fail`: 550 5.7.23 at RCPT; a DNS
failure 451 4.7.24). Clients in relay.networks are not checked."""
import smtplib

import pytest

from config_parts import dns_servers, maildir_local, mx_server
from dnsserver import DnsServer
from peers import maildir_messages, wait_until

OUTSIDE = "127.0.0.5"  # not in relay.networks


def config(dns, spf="tag", dmarc="off"):
    return mx_server() + maildir_local(["alice"]) + f"""
[checks]
spf = "{spf}"
dmarc = "{dmarc}"
""" + dns_servers(dns.address, "tries = 1\n")


@pytest.fixture
def dns(tmp_path):
    d = DnsServer(tmp_path / "dns")
    d.txt("pass.test", "v=spf1 ip4:127.0.0.5 -all")
    d.txt("fail.test", "v=spf1 ip4:192.0.2.1 -all")
    d.txt("soft.test", "v=spf1 ~all")
    d.txt("neutral.test", "v=spf1 ?all")
    d.txt("broken.test", "v=spf1 ip4:1.2.3")
    d.a("mx.none.test", "127.0.0.9")  # exists, no TXT: none
    d.dead("temp.test")               # queries time out: temperror
    with d:
        yield d


def send(sender, source=OUTSIDE, body="Subject: hi\r\n\r\nhello\r\n"):
    """(code, text) of the first refusal, or (250, queue reply)."""
    with smtplib.SMTP("127.0.0.1", 2525, source_address=(source, 0), timeout=15) as s:
        s.ehlo("client.example.org")
        s.mail(sender)
        code, text = s.rcpt("alice@example.test")
        if code != 250:
            return code, text.decode()
        code, text = s.data(body.encode())
        return code, text.decode()


def delivered(h, n):
    box = h.dir / "mail/example.test/alice"
    wait_until(lambda: len(maildir_messages(box)) == n, timeout=15)
    files = sorted(list((box / "new").iterdir()), key=lambda f: f.stat().st_mtime_ns)
    return [f.read_bytes() for f in files]


def auth_results(raw):
    """The Authentication-Results fields, unfolded (Maildir files use LF)."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode()
    return [f for f in head.replace("\n\t", " ").split("\n")
            if f.lower().startswith("authentication-results:")]


@pytest.mark.parametrize("sender,result", [
    ("a@pass.test", "pass"), ("a@fail.test", "fail"), ("a@soft.test", "softfail"),
    ("a@neutral.test", "neutral"), ("a@none.test", "none"), ("a@broken.test", "permerror"),
    ("a@temp.test", "temperror")])
def test_spf_results_are_tagged(holdfast_factory, dns, sender, result):
    h = holdfast_factory(config(dns, spf="tag"))
    code, _ = send(sender)
    assert code == 250
    raw = delivered(h, 1)[0]
    assert auth_results(raw) == [
        f"Authentication-Results: mx.example.test; spf={result} smtp.mailfrom={sender}"], raw[:500]
    assert f"spf={result} domain={sender.split('@')[1]}" in h.log_text()


def test_spf_reject_fail(holdfast_factory, dns):
    h = holdfast_factory(config(dns, spf="reject-fail"))
    code, text = send("a@fail.test")
    assert code == 550 and text.startswith("5.7.23"), text
    code, text = send("a@temp.test")
    assert code == 451 and text.startswith("4.7.24"), text
    # softfail and pass are accepted (and tagged)
    assert send("a@soft.test")[0] == 250
    assert send("a@pass.test")[0] == 250
    got = [auth_results(m)[0] for m in delivered(h, 2)]
    assert sorted(r.split("; ")[1].split()[0] for r in got) == ["spf=pass", "spf=softfail"]


def test_relay_clients_are_not_checked(holdfast_factory, dns):
    h = holdfast_factory(config(dns, spf="reject-fail"))
    assert send("a@fail.test", source="127.0.0.1")[0] == 250
    assert auth_results(delivered(h, 1)[0]) == []


# --- DMARC ------------------------------------------------------------------

def signed(tmp_path, dns, domain="signed.test", selector="k1", tamper=False):
    """A message From: domain, DKIM-signed by dkimpy (relaxed/simple) with a
    key that `holdfast dkim keygen` made and the test DNS publishes."""
    import subprocess
    import dkim
    from conftest import HOLDFAST_BIN
    key = tmp_path / f"{selector}.private"
    r = subprocess.run([HOLDFAST_BIN, "dkim", "keygen", domain, selector, "--out", str(key)],
                       capture_output=True, text=True, check=True)
    dns.txt(f"{selector}._domainkey.{domain}", *r.stdout.split('"')[1::2])
    dns.restart()
    msg = (f"From: Bob <bob@{domain}>\r\nTo: alice@example.test\r\nSubject: signed\r\n"
           f"Date: Mon, 30 Nov 2026 12:00:00 +0000\r\n\r\nsigned body\r\n").encode()
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key.read_bytes(),
                    canonicalize=(b"relaxed", b"simple"),
                    include_headers=[b"from", b"to", b"subject", b"date"])
    out = sig + msg
    if tamper:
        out = out.replace(b"signed body", b"changed body")
    return out.decode()


@pytest.fixture
def dmarc_dns(dns):
    dns.txt("_dmarc.pass.test", "v=DMARC1; p=reject")
    dns.txt("_dmarc.fail.test", "v=DMARC1; p=reject")
    dns.txt("_dmarc.soft.test", "v=DMARC1; p=quarantine")
    dns.txt("_dmarc.signed.test", "v=DMARC1; p=reject; adkim=s")
    dns.txt("_dmarc.neutral.test", "v=DMARC1; p=none")
    dns.restart()
    return dns


def message_from(sender_domain):
    return f"From: x@{sender_domain}\r\nSubject: hi\r\n\r\nhello\r\n"


def test_dmarc_tag_and_enforce(holdfast_factory, dmarc_dns, tmp_path):
    h = holdfast_factory(config(dmarc_dns, spf="tag", dmarc="enforce"))
    # SPF pass, aligned: DMARC pass.
    assert send("a@pass.test", body=message_from("pass.test"))[0] == 250
    # SPF fail, p=reject: refused at the end of data.
    code, text = send("a@fail.test", body=message_from("fail.test"))
    assert code == 550 and text.startswith("5.7.1") and "DMARC" in text, text
    # SPF softfail, p=quarantine: accepted, marked.
    assert send("a@soft.test", body=message_from("soft.test"))[0] == 250
    # p=none: accepted, dmarc=fail noted.
    assert send("a@neutral.test", body=message_from("neutral.test"))[0] == 250
    got = [auth_results(m)[0] for m in delivered(h, 3)]
    assert any("dmarc=pass header.from=pass.test" in r for r in got), got
    assert any("dmarc=fail (p=quarantine) policy.dmarc=quarantine header.from=soft.test" in r
               for r in got), got
    assert any("dmarc=fail (p=none) policy.dmarc=none header.from=neutral.test" in r
               for r in got), got
    assert all("dkim=none" in r for r in got)


def test_dmarc_passes_on_an_aligned_dkim_signature(holdfast_factory, dmarc_dns, tmp_path):
    good = signed(tmp_path, dmarc_dns)
    h = holdfast_factory(config(dmarc_dns, spf="tag", dmarc="enforce"))
    # The envelope sender's domain has no SPF record: only DKIM can align.
    code, text = send("bounce@none.test", body=good)
    assert code == 250, text
    r = auth_results(delivered(h, 1)[0])[0]
    assert "spf=none smtp.mailfrom=bounce@none.test" in r
    assert "dkim=pass header.d=signed.test header.s=k1 header.a=rsa-sha256" in r
    assert "dmarc=pass header.from=signed.test" in r
    # The same message changed in transit: dkim=fail, and p=reject refuses it.
    bad = good.replace("signed body", "changed body")
    code, text = send("bounce@none.test", body=bad)
    assert code == 550 and text.startswith("5.7.1"), text
    assert "dkim=fail d=signed.test s=k1" in h.log_text()


def test_forged_results_with_our_name_are_removed(holdfast_factory, dns):
    """RFC 8601 5: a field the sender wrote under our authserv-id is removed
    (any case, folded, with a comment), in memory and from a body file;
    another server's field stays, and ours is the one left with our name."""
    h = holdfast_factory(config(dns, spf="tag"))
    forged = ("Authentication-Results: mx.example.test; spf=pass\r\n"
              "\tsmtp.mailfrom=a@fail.test; dmarc=pass header.from=bank.test\r\n"
              "authentication-results: (forged) MX.Example.Test; dkim=pass\r\n"
              "Authentication-Results: other.example; spf=none\r\n")
    padding = "".join(f"line {i:06d} of padding to go past the in-memory limit\r\n"
                      for i in range(3000))  # about 160 KiB: a body file
    for body in ("hello\r\n", padding):
        code, _ = send("a@fail.test", body=forged + "Subject: hi\r\n\r\n" + body)
        assert code == 250
    for raw in delivered(h, 2):
        assert auth_results(raw) == [
            "Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=a@fail.test",
            "Authentication-Results: other.example; spf=none"], raw[:800]
    assert h.log_text().count("action=removed reason=\"Authentication-Results") == 2
