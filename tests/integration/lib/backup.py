"""The backup-MX scenario the delivery tests share: Holdfast as
backup.isp.test (MX 20 for customer.test, 127.0.0.1), the primary at
127.0.0.10 (MX 10), a local sender whose Maildir receives the notices."""
import json
import smtplib

from config_parts import dns_servers, maildir_local, mx_server
from dnsserver import DnsServer
from peers import maildir_messages

PRIMARY = "127.0.0.10"
SENDER = "sender@example.test"  # local to Holdfast: notices land in its Maildir


def backup_config(dns, queue=None, extra=""):
    """queue: [queue] keys over the test defaults (retries and probes a
    second apart), e.g. {"lifetime": "5s"}."""
    q = {"retry_min": "1s", "retry_max": "2s", "probe_interval": "1s", **(queue or {})}
    queue_lines = "\n".join(f'{k} = "{v}"' for k, v in q.items())
    return mx_server("backup.isp.test") + maildir_local(["sender"]) + f"""
[[backup]]
domain = "customer.test"

[queue]
{queue_lines}
""" + dns_servers(dns.address, extra)


def message(seq, to, sender=SENDER):
    # Lines that need care on the way: a leading dot, a long line, 8-bit-free text.
    body = (f"Message number {seq}.\r\n.a line that starts with a dot\r\n"
            + "x" * 900 + "\r\n" + f"end of {seq}\r\n")
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: backlog {seq}\r\n"
            f"Message-ID: <seq{seq}@example.test>\r\nX-Seq: {seq}\r\n\r\n{body}").encode()


def send(port, sender, rcpts, data, source="127.0.0.2"):
    with smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=30) as s:
        s.ehlo("client.sender.test")
        refused = s.sendmail(sender, rcpts, data)
        assert not refused, refused


def queue_list(h):
    r = h.cli("queue", "list", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def seq_of(data):
    for line in data.split(b"\n"):
        if line.startswith(b"X-Seq: "):
            return int(line[7:].strip())
    raise AssertionError(f"no X-Seq in {data[:200]!r}")


def normalise(data):
    return data.replace(b"\r\n", b"\n")


def without_our_trace(data):
    """The message minus the Received: header Holdfast put on top (RFC 5321
    4.4: every relay adds one); asserts that it is there."""
    lines = normalise(data).split(b"\n")
    assert lines[0].startswith(b"Received: from client.sender.test"), lines[0]
    assert b"by backup.isp.test" in b" ".join(lines[:3]), lines[:3]
    i = 1
    while lines[i][:1] in (b"\t", b" "):
        i += 1
    return b"\n".join(lines[i:])


def delivery_status(report):
    """The message/delivery-status part: (per-message fields, [per-recipient fields])."""
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    parts = list(report.iter_parts())
    assert parts[0].get_content_type() == "text/plain"
    status = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    assert len(status) == 1
    # The part's body is groups of fields separated by empty lines (RFC 3464 2.1).
    raw = status[0].as_bytes().decode()
    body = raw.split("\n\n", 1)[1] if "\n\n" in raw.replace("\r\n", "\n") else raw
    groups = [g for g in body.replace("\r\n", "\n").split("\n\n") if g.strip()]

    def fields(group):
        out = {}
        for line in group.replace("\n ", " ").split("\n"):
            k, _, v = line.partition(":")
            out[k.strip().lower()] = v.strip()
        return out

    return fields(groups[0]), [fields(g) for g in groups[1:]], parts


def notices(h):
    return maildir_messages(h.dir / "mail" / "example.test" / "sender")


def backup_dns(directory):
    """dnsmasq with customer.test (MX 10 the primary, MX 20 us) and
    outside.test (a foreign domain, MX at 127.0.0.12), started."""
    d = DnsServer(directory)
    d.mx("customer.test", "mx1.customer.test", 10)
    d.mx("customer.test", "backup.isp.test", 20)
    d.a("mx1.customer.test", PRIMARY)
    d.a("backup.isp.test", "127.0.0.1")
    d.mx("outside.test", "mx.outside.test", 10)
    d.a("mx.outside.test", "127.0.0.12")
    return d
