"""Mail loops (RFC 5321 6.3), with dnsmasq as the real DNS server: a
customer's MX set is 10 prim.loop.test (down: no address) and 20
mx-b.isp.test, a service name that resolves to this very host. Holdfast
must see that mx-b is itself and hold or defer the mail, never deliver it
to itself (which, accepted again, went round without end: one message
became 1,850 queue entries in 3 s). The checks, in the order they fire:
the hop count of a queued message, the MX host that is us (by name or by
address, a wildcard listener making every interface address ours), the
peer that greets with our name, and at DATA the hop count again."""
import smtplib
import subprocess
import time

import pytest

from dnsserver import DnsServer
from backup import SENDER, message, notices, queue_list, send, delivery_status
from peers import SMTP_SINK, Sink, wait_until


def loop_config(dns, listen="0.0.0.0:25", addresses=None, extra=""):
    addr_line = f"addresses = {addresses!r}".replace("'", '"') if addresses else ""
    return f"""\
[server]
hostname = "backup.isp.test"
spool = "spool"
{addr_line}

[[listen]]
address = "{listen}"
role = "mx"

[relay]
networks = ["127.0.0.1/32"]

[[local]]
domain = "example.test"
maildir = "mail/%d/%u"
recipients = ["sender"]

[[backup]]
domain = "loop.test"

[queue]
retry_min = "1s"
retry_max = "2s"
probe_interval = "1s"

[dns]
servers = ["{dns.address}"]
timeout = "1s"
{extra}"""


def loop_dns(directory, mx_b):
    d = DnsServer(directory)
    d.mx("loop.test", "prim.loop.test", 10)  # the primary: down (no address at all)
    d.mx("loop.test", "mx-b.isp.test", 20)
    d.a("mx-b.isp.test", mx_b)
    d.a("backup.isp.test", "127.0.0.1")
    return d  # started by `with`


def assert_no_loop(h, seconds=3):
    """One message in, still one after a few retries: nothing went round."""
    time.sleep(seconds)
    queued = queue_list(h)
    assert len(queued) == 1, f"the message looped: {len(queued)} queue entries"
    log = h.log_text()
    assert "status=sent" not in log
    assert log.count("status=queued") == 1, "accepted once, never again from ourselves"
    return queued[0], log


@pytest.mark.parametrize("variant", ["interfaces", "server.addresses"])
def test_an_mx_host_that_resolves_to_us_ends_the_walk(holdfast_factory, tmp_path, variant):
    # "interfaces": server.addresses unset, mx-b is 127.0.0.1, which only the
    # interface list (getifaddrs) names as ours under a 0.0.0.0 listener.
    # "server.addresses": mx-b is 127.0.0.5 (think: the NAT's public address).
    mx_b = "127.0.0.1" if variant == "interfaces" else "127.0.0.5"
    with loop_dns(tmp_path / "dns", mx_b) as dns:
        addresses = ["127.0.0.5"] if variant == "server.addresses" else None
        h = holdfast_factory(loop_config(dns, addresses=addresses), port=25)
        send(25, SENDER, ["alice@loop.test"], message(1, "alice@loop.test"))
        entry, log = assert_no_loop(h)
        # The walk stopped at mx-b: only the (address-less) primary was left.
        assert "no address found for any mail host of loop.test" in entry["last_error"], entry
        assert "loops back to myself" not in log, "caught before any connection"
        assert notices(h) == [], "deferred, never bounced"


def test_a_peer_that_greets_with_our_name_is_a_loop(holdfast_factory, tmp_path):
    # mx-b is 127.0.0.7: not an interface address, not in server.addresses,
    # so the MX walk cannot tell; the connection reaches our own wildcard
    # listener, whose banner names backup.isp.test.
    with loop_dns(tmp_path / "dns", "127.0.0.7") as dns:
        h = holdfast_factory(loop_config(dns), port=25)
        send(25, SENDER, ["alice@loop.test"], message(2, "alice@loop.test"))
        wait_until(lambda: "loops back to myself" in h.log_text(), timeout=10)
        entry, log = assert_no_loop(h)
        assert "mail for loop.test loops back to myself" in entry["last_error"], entry
        assert "greets with our own name backup.isp.test" in entry["last_error"], entry
        assert notices(h) == [], "deferred, never bounced"


def test_a_foreign_peer_greeting_with_our_name_is_refused(holdfast_factory, tmp_path):
    # A real Postfix smtp-sink that calls itself backup.isp.test (a
    # misconfigured relay, a NAT back to us): no mail is sent to it.
    with loop_dns(tmp_path / "dns", "127.0.0.10") as dns:
        sink = Sink(tmp_path / "sink", host="127.0.0.10")
        sink.proc = subprocess.Popen(
            [SMTP_SINK, "-u", "root", "-h", "backup.isp.test", "-d", f"{sink.dir}/m.",
             "127.0.0.10:25", "16"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        from conftest import wait_for_port
        wait_for_port("127.0.0.10", 25)
        try:
            h = holdfast_factory(loop_config(dns, listen="127.0.0.1:2525"))
            send(h.port, SENDER, ["alice@loop.test"], message(3, "alice@loop.test"))
            wait_until(lambda: "loops back to myself" in h.log_text(), timeout=10)
            time.sleep(1)
            assert sink.messages() == []
            entry = queue_list(h)[0]
            assert "loops back to myself" in entry["last_error"], entry
        finally:
            sink.stop()


def received_lines(n):
    return "".join(f"Received: from hop{i}.test by hop{i + 1}.test; Mon, 30 Nov 2026 10:00:00 +0000\r\n"
                   for i in range(n))


def test_sixty_received_lines_get_554_5_4_6(holdfast_factory, tmp_path):
    with loop_dns(tmp_path / "dns", "127.0.0.1") as dns:
        h = holdfast_factory(loop_config(dns, listen="127.0.0.1:2525"))
        body = (received_lines(60) + "From: a@example.test\r\nSubject: loop\r\n\r\nround\r\n").encode()
        with smtplib.SMTP("127.0.0.1", h.port, timeout=10) as s:
            s.ehlo("client.test")
            s.mail(SENDER)
            s.rcpt("alice@loop.test")
            code, reply = s.data(body)
        assert code == 554, reply
        assert reply.startswith(b"5.4.6"), reply
        assert queue_list(h) == []


def test_a_queued_message_over_the_hop_limit_is_bounced_at_delivery(holdfast_factory, tmp_path):
    # Accepted under a limit of 50 (40 Received: lines plus ours), then the
    # limit is lowered to 20 and the daemon restarted: at its next attempt
    # the message is bounced with 5.4.6 instead of being sent on.
    with loop_dns(tmp_path / "dns", "127.0.0.1") as dns:
        config = loop_config(dns, listen="127.0.0.1:2525")
        h = holdfast_factory(config)
        body = (received_lines(40) + "From: sender@example.test\r\nSubject: hops\r\n\r\nx\r\n").encode()
        send(h.port, SENDER, ["alice@loop.test"], body)
        assert len(queue_list(h)) == 1
        assert h.stop() == 0
        h.config.write_text(config + "\n[limits]\nhops = 20\n")
        h.start()
        wait_until(lambda: queue_list(h) == [] and notices(h), timeout=15)
        log = h.log_text()
        assert "dsn=5.4.6" in log and "status=bounced" in log
        _, per_rcpt, _ = delivery_status(notices(h)[0])
        assert per_rcpt[0]["status"] == "5.4.6", per_rcpt
