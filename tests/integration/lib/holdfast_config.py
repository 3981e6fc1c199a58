"""Config files for integration tests: the defaults a test usually wants,
with TLS material and AUTH users made on demand."""
import pathlib
import subprocess
import textwrap


def make_tls(directory):
    """A self-signed certificate for mx.example.test; returns (cert, key)."""
    d = pathlib.Path(directory)
    cert, key = d / "cert.pem", d / "key.pem"
    if not cert.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                        str(cert), "-days", "2", "-subj", "/CN=mx.example.test"],
                       check=True, capture_output=True)
    return cert, key


def make_users(directory, users):
    """A users file of name:SHA-512-crypt lines; users is {name: password}."""
    path = pathlib.Path(directory) / "users"
    lines = []
    for name, password in users.items():
        h = subprocess.run(["openssl", "passwd", "-6", password], check=True,
                           capture_output=True, text=True).stdout.strip()
        lines.append(f"{name}:{h}\n")
    path.write_text("".join(lines))
    return path


def config_text(port=2525, relay_networks=('127.0.0.1/32',), tls=None, users=None,
                listeners=None, limits=None, extra=""):
    """A complete config. tls=(cert, key); users=path; listeners=[(addr, role)]."""
    listeners = listeners or [(f"127.0.0.1:{port}", "mx")]
    out = textwrap.dedent(f"""\
        [server]
        hostname = "mx.example.test"
        spool = "spool"

        [relay]
        networks = [{", ".join(f'"{n}"' for n in relay_networks)}]

        [[local]]
        domain = "example.test"
        maildir = "mail/%d/%u"
        recipients = ["alice", "bob"]

        [[backup]]
        domain = "customer.test"
        recipients = ["carol"]
        """)
    for address, role in listeners:
        out += f'\n[[listen]]\naddress = "{address}"\nrole = "{role}"\n'
    if tls:
        out += f'\n[tls]\ncert = "{tls[0]}"\nkey = "{tls[1]}"\n'
    if users:
        out += f'\n[auth]\nusers = "{users}"\nfailure_delay = "1s"\n'
    if limits:
        out += "\n[limits]\n" + "".join(f"{k} = {v}\n" for k, v in limits.items())
    return out + extra
