"""Pieces of holdfast.toml that most integration tests share: one MX on
127.0.0.1 relaying for 127.0.0.1 only, local Maildir users, the test DNS
server. Each test adds the tables it is about."""


def mx_server(hostname="mx.example.test", port=2525):
    """[server], one MX listener on 127.0.0.1:port, [relay] for 127.0.0.1."""
    return f"""\
[server]
hostname = "{hostname}"
spool = "spool"

[[listen]]
address = "127.0.0.1:{port}"
role = "mx"

[relay]
networks = ["127.0.0.1/32"]
"""


def maildir_local(recipients, domain="example.test"):
    """A [[local]] domain delivering to mail/<domain>/<user>."""
    names = ", ".join(f'"{r}"' for r in recipients)
    return f"""
[[local]]
domain = "{domain}"
maildir = "mail/%d/%u"
recipients = [{names}]
"""


def dns_servers(address, extra=""):
    """[dns] asking only the test's DNS server, failing fast."""
    return f"""
[dns]
servers = ["{address}"]
timeout = "1s"
{extra}"""
