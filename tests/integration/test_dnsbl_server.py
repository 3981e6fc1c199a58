"""The SMTP server's DNSBL check against a real DNS server (dnsmasq): a
listed client is refused at RCPT with the list's reason, an unlisted one is
served, a relay-network client is never checked, and a dead list fails open."""
import smtplib
import time

import pytest
from dnsserver import DnsServer
from holdfast_config import config_text
from smtpwire import Wire

PORT = 2525


@pytest.fixture
def dns(tmp_path):
    d = DnsServer(tmp_path / "dns")
    # 127.0.0.2 is listed with a reason; 127.0.0.4 (in our relay networks)
    # is listed too, to show it is never asked about. (127.0.0.1 must stay
    # unlisted: a zone listing it "lists everything" and is ignored.)
    d.a("2.0.0.127.bl.test", "127.0.0.2").txt("2.0.0.127.bl.test", "Listed for testing")
    d.a("4.0.0.127.bl.test", "127.0.0.2")
    d.dead("dead.test")
    with d:
        yield d


def holdfast_with(holdfast_factory, dns, zones):
    zone_list = ", ".join(f'"{z}"' for z in zones)
    extra = f'\n[dns]\nservers = ["{dns.address}"]\ntimeout = "1s"\n' \
            f'\n[dnsbl]\nzones = [{zone_list}]\naction = "reject"\ndeadline = "2s"\n'
    return holdfast_factory(config_text(relay_networks=("127.0.0.1/32", "127.0.0.4/32"), extra=extra))


def rcpt_from(source):
    w = Wire(PORT, source=source)
    assert w.reply()[0] == 220
    w.cmd("EHLO client.test")
    assert w.cmd("MAIL FROM:<someone@ext.test>")[0] == 250
    answer = w.cmd("RCPT TO:<alice@example.test>")
    w.cmd("QUIT")
    return answer


def test_listed_client_is_refused_at_rcpt_with_the_reason(holdfast_factory, dns):
    h = holdfast_with(holdfast_factory, dns, ["bl.test"])
    code, text = rcpt_from("127.0.0.2")
    assert code == 554
    assert text == ("554 5.7.1 Service unavailable; client [127.0.0.2] blocked using bl.test; "
                    "Listed for testing")
    assert "bl.test" in h.log_text()


def test_unlisted_client_is_served(holdfast_factory, dns):
    holdfast_with(holdfast_factory, dns, ["bl.test"])
    assert rcpt_from("127.0.0.3")[0] == 250


def test_relay_network_client_is_never_checked(holdfast_factory, dns):
    holdfast_with(holdfast_factory, dns, ["bl.test"])
    with smtplib.SMTP("127.0.0.1", PORT, source_address=("127.0.0.4", 0)) as s:
        assert s.sendmail("a@example.test", ["u@ext.test"], b"Subject: x\r\n\r\nx\r\n") == {}


def test_dead_list_fails_open_within_the_deadline(holdfast_factory, dns):
    h = holdfast_with(holdfast_factory, dns, ["dead.test", "bl.test"])
    start = time.monotonic()
    w = Wire(PORT, source="127.0.0.3")
    assert w.reply()[0] == 220
    banner_time = time.monotonic() - start
    w.cmd("EHLO client.test")
    w.cmd("MAIL FROM:<someone@ext.test>")
    assert w.cmd("RCPT TO:<alice@example.test>")[0] == 250
    assert banner_time < 0.5, "the banner must not wait for DNS"
    assert time.monotonic() - start < 5
    w.cmd("QUIT")
