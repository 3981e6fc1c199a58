#!/usr/bin/python3
"""Holdfast's DKIM signing and SPF/DKIM/DMARC checks next to a stock Debian
Postfix + OpenDKIM + OpenDMARC, on the same messages (issue 19's closing
note; docs/authentication-compared.md). Not part of `make test`.

    sudo /usr/bin/python3 bench/auth_compare.py [build/holdfast]

Run as root: it re-executes itself in a throwaway network + mount namespace
(loopback only; /etc/resolv.conf bind-mounted to the test DNS there, so
OpenDMARC's and libspf2's res_query() see dnsmasq on 127.0.0.1:53 and
nothing outside changes). Needs Debian's postfix, opendkim, opendkim-tools,
opendmarc, dnsmasq-base, python3-aiosmtpd, python3-dkim, python3-dnslib.

Everything lives in a temporary directory on a tmpfs mounted over /mnt in
that namespace (gone when it ends): dnsmasq (the test zone, 127.0.0.1:53),
an aiosmtpd sink on 127.0.0.10:25 (the "remote" MX and Postfix's inbound
next hop), Postfix (`master -d`, own config and queue) with two opendkim
instances (RSA + verify, Ed25519) and opendmarc as milters on loopback TCP
sockets, and `holdfast serve`. Prints Markdown tables. About 20 s.

Environment: AUTH_COMPARE_HARDEN=1 adds `SPFIgnoreResults true` to
opendmarc.conf (not in Debian's default); AUTH_COMPARE_LOGS=1 prints the
logs; AUTH_COMPARE_KEEP=1 copies the scratch tree to /tmp."""
import email
import email.policy
import os
import pathlib
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

if os.environ.get("AUTH_COMPARE_NS") != "1":
    if os.geteuid() != 0:
        sys.exit("run as root (it needs its own network and mount namespace)")
    os.environ["AUTH_COMPARE_NS"] = "1"
    os.execvp("unshare", ["unshare", "--net", "--mount", "sh", "-c",
                          'ip link set lo up && ip addr add 198.51.100.5/32 dev lo && '
                          'exec /usr/bin/python3 "$0" "$@"',
                          str(pathlib.Path(__file__).resolve()), *sys.argv[1:]])

import dkim  # noqa: E402  (Debian's python3-dkim)
import dnslib  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

HOLDFAST = str(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build/holdfast").resolve())
PF_DAEMONS = "/usr/lib/postfix/sbin"
SINK_HOST = "127.0.0.10"
# An Internet client: not in relay.networks / mynetworks, and not loopback
# either: libspf2 (OpenDMARC's SPFSelfValidate) answers "pass" for every
# 127.0.0.0/8 client ("localhost is always allowed"), whatever the record.
OUTSIDE = "198.51.100.5"  # TEST-NET-2, put on lo inside the namespace
HF_PORT, PF_PORT = 2525, 2526
OPENDKIM_PORT, OPENDKIM_ED_PORT, OPENDMARC_PORT = 8891, 8892, 8893
HF_ID, PF_ID = "mx.example.test", "postfix.example.test"   # authserv-ids


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60, **kw)


def wait_port(host, port, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing on {host}:{port}")


def wait_until(pred, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def chunks(text, n=255):
    return [text[i:i + n] for i in range(0, len(text), n)]


def lines_of(path):
    """Non-empty, non-comment lines: what an operator writes."""
    return sum(1 for ln in pathlib.Path(path).read_text().splitlines()
               if ln.strip() and not ln.lstrip().startswith("#"))


# --- the sink ---------------------------------------------------------------

class SinkHandler:
    def __init__(self):
        self.messages = []  # (mail_from, [rcpts], bytes)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


# --- keys and DNS -------------------------------------------------------------

def holdfast_keygen(d, domain, selector, kind):
    out = d / f"{domain}-{selector}.private"
    r = run(HOLDFAST, "dkim", "keygen", domain, selector, "--type", kind, "--out", str(out))
    return out, "".join(re.findall(r'"([^"]*)"', r.stdout))


def opendkim_genkey(d, domain, selector):
    run("opendkim-genkey", "-b", "2048", "-d", domain, "-s", selector, "-D", str(d))
    key = d / f"{selector}.private"
    txt = "".join(re.findall(r'"([^"]*)"', (d / f"{selector}.txt").read_text()))
    return key, txt.replace(" ", "")  # "v=DKIM1; h=sha256; ..." -> no spaces is the same record


def openssl_ed25519(d, selector):
    """OpenDKIM 2.11's genkey makes RSA only; its README says to use openssl."""
    key = d / f"{selector}.private"
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key))
    os.chmod(key, 0o600)
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    import base64
    return key, "v=DKIM1;k=ed25519;p=" + base64.b64encode(der[-32:]).decode()


class Dns:
    def __init__(self, d):
        self.d, self.records, self.proc = d, [], None

    def txt(self, name, text):
        assert "," not in text
        self.records.append(f"--txt-record={name},{','.join(chunks(text))}")

    def start(self):
        self.proc = subprocess.Popen(
            ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--user=root",
             "--pid-file=", "--port=53", "--listen-address=127.0.0.1", "--bind-interfaces",
             "--no-resolv", "--no-hosts", "--no-negcache", "--log-queries",
             f"--log-facility={self.d}/dnsmasq.log", "--local=/test/",
             "--local=/in-addr.arpa/", *self.records],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(100):
            if self.query("ready.test.", "A") is not None:
                return
            time.sleep(0.05)
        raise RuntimeError("dnsmasq did not start")

    def query(self, name, qtype):
        try:
            q = dnslib.DNSRecord.question(name, qtype)
            return dnslib.DNSRecord.parse(q.send("127.0.0.1", 53, timeout=0.5))
        except OSError:
            return None

    def dkim_lookup(self, name, timeout=5):
        reply = self.query(name.decode().rstrip(".") + ".", "TXT")
        texts = [b"".join(rr.rdata.data) for rr in reply.rr if rr.rtype == dnslib.QTYPE.TXT]
        return texts[0] if texts else None


# --- the two set-ups ------------------------------------------------------------

def holdfast_config(d, keys):
    dkim_tables = "".join(f'\n[[dkim]]\ndomain = "example.test"\nselector = "{s}"\nkey = "{k}"\n'
                          + (f'type = "{t}"\n' if t == "ed25519" else "")
                          for s, k, t in keys)
    return f"""\
[server]
hostname = "{HF_ID}"
spool = "spool"

[[listen]]
address = "127.0.0.1:{HF_PORT}"
role = "mx"

[relay]
networks = ["127.0.0.1/32"]

[[local]]
domain = "example.test"
maildir = "mail/%d/%u"
recipients = ["alice"]

[dns]
servers = ["127.0.0.1:53"]
{dkim_tables}
[checks]
spf = "reject-fail"
dmarc = "enforce"
"""


def write_postfix(d):
    """bench/lib/postfix.py's private instance, plus the milter lines."""
    for sub in ("conf", "data", "log", "queue/pid", "queue/maildrop", "queue/public"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    for q in ["active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
              "private", "saved", "trace"]:
        (d / "queue" / q).mkdir(exist_ok=True)
        shutil.chown(d / "queue" / q, "postfix")
        os.chmod(d / "queue" / q, 0o700)
    for sub in ("data", "log"):
        shutil.chown(d / sub, "postfix")
    for sub, mode in (("maildrop", 0o730), ("public", 0o710)):
        shutil.chown(d / "queue" / sub, "postfix", "postdrop")
        os.chmod(d / "queue" / sub, mode)
    base = [
        "compatibility_level = 3.6",
        f"myhostname = {PF_ID}",
        "mydomain = example.test",
        "mydestination =",
        "inet_interfaces = 127.0.0.1",
        "inet_protocols = ipv4",
        f"queue_directory = {d}/queue",
        f"data_directory = {d}/data",
        "mail_owner = postfix",
        "setgid_group = postdrop",
        f"maillog_file = {d}/log/maillog",
        f"maillog_file_prefixes = {d}",
        "alias_maps =",
        "alias_database =",
        "mynetworks = 127.0.0.1/32",
        "relay_domains = example.test",
        # the sink plays both the remote MX and the inbound mailbox host
        f"transport_maps = inline:{{ example.test=relay:[{SINK_HOST}]:25, remote.test=smtp:[{SINK_HOST}]:25 }}",
    ]
    milters = [
        "# --- DKIM / DMARC: the part this comparison is about ---",
        f"smtpd_milters = inet:127.0.0.1:{OPENDKIM_PORT}, inet:127.0.0.1:{OPENDKIM_ED_PORT},"
        f" inet:127.0.0.1:{OPENDMARC_PORT}",
        "non_smtpd_milters = $smtpd_milters",
        "milter_default_action = accept",
    ]
    (d / "conf/main.cf").write_text("\n".join(base + milters) + "\n")
    rows = [f"127.0.0.1:{PF_PORT} inet n - n - - smtpd"] + [
        "pickup unix n - n 60 1 pickup", "cleanup unix n - n - 0 cleanup",
        "qmgr unix n - n 300 1 qmgr", "rewrite unix - - n - - trivial-rewrite",
        "bounce unix - - n - 0 bounce", "defer unix - - n - 0 bounce",
        "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify",
        "flush unix n - n 1000 0 flush", "proxymap unix - - n - - proxymap",
        "showq unix n - n - - showq", "smtp unix - - n - - smtp", "relay unix - - n - - smtp",
        "error unix - - n - - error", "retry unix - - n - - error",
        "discard unix - - n - - discard", "local unix - n n - - local",
        "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache",
        "postlog unix-dgram n - n - 1 postlogd"]
    (d / "conf/master.cf").write_text("\n".join(rows) + "\n")
    return len(milters) - 1


def write_opendkim(d, keys, port, ed25519=False):
    """One OpenDKIM instance. Debian 12's 2.11.0~beta2 takes the signing
    algorithm from the global SignatureAlgorithm, not per key (upstream
    issue #6, fixed in 2026 after 2.11.0~beta2), so an RSA + Ed25519 pair
    needs two instances: this one verifies and signs RSA, a second one
    (ed25519=True, Mode s) adds the Ed25519 signature."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "KeyTable").write_text("".join(
        f"{s}._domainkey.example.test example.test:{s}:{k}\n" for s, k in keys))
    (d / "SigningTable").write_text("".join(
        f"*@example.test {s}._domainkey.example.test\n" for s, _ in keys))
    (d / "TrustedHosts").write_text("127.0.0.1\n")
    conf = f"""\
Syslog			no
Background		no
Mode			{"s" if ed25519 else "sv"}
Canonicalization	relaxed/relaxed
OversignHeaders		From
KeyTable		{d}/KeyTable
SigningTable		refile:{d}/SigningTable
InternalHosts		{d}/TrustedHosts
Socket			inet:{port}@127.0.0.1
PidFile			{d}/opendkim.pid
"""
    if ed25519:
        conf += "SignatureAlgorithm\ted25519-sha256\n"
    else:
        conf += f"AuthservID\t\t{PF_ID}\nResolverConfiguration\t{d}/unbound.conf\n"
        # libunbound (OpenDKIM's resolver) answers test. itself unless told not to.
        (d / "unbound.conf").write_text(
            'server:\n  local-zone: "test." nodefault\n  do-not-query-localhost: no\n'
            'forward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@53\n')
    (d / "opendkim.conf").write_text(conf)


def write_opendmarc(d):
    d.mkdir(parents=True, exist_ok=True)
    (d / "opendmarc.conf").write_text(f"""\
Syslog			false
Background		false
AuthservID		{PF_ID}
TrustedAuthservIDs	{PF_ID}
Socket			inet:{OPENDMARC_PORT}@127.0.0.1
PidFile			{d}/opendmarc.pid
PublicSuffixList	/usr/share/publicsuffix/public_suffix_list.dat
SPFSelfValidate		true
RejectFailures		true
""" + ("SPFIgnoreResults\ttrue\n" if os.environ.get("AUTH_COMPARE_HARDEN") else ""))


# --- messages -----------------------------------------------------------------

def msg(frm, subject, body="Hello,\r\n\r\nthe  body.\r\n", extra=""):
    return (f"{extra}From: {frm}\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 30 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{subject}@client.test>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{body}")


def dkimpy_sign(raw, key, domain="signed.test", selector="k1"):
    sig = dkim.sign(raw.encode(), selector.encode(), domain.encode(), key.read_bytes(),
                    canonicalize=(b"relaxed", b"simple"),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return sig.decode() + raw


def send(port, source, mail_from, rcpt, data):
    """('250', '') or the first refusal: (code, where+text)."""
    with smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=30) as s:
        s.ehlo("client.example.org")
        code, text = s.mail(mail_from)
        if code != 250:
            return f"{code}", "MAIL " + text.decode()
        code, text = s.rcpt(rcpt)
        if code != 250:
            return f"{code}", "RCPT " + text.decode()
        code, text = s.data(data.encode())
        return f"{code}", ("DATA " + text.decode()) if code != 250 else ""


def header_fields(raw, name):
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    return [re.sub(r"\s+", " ", str(v)).strip() for v in (m.get_all(name) or [])]


def verify_all(raw, dns):
    """[(s=, a=, pass/FAIL)] of every DKIM-Signature, by dkimpy."""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    n = sum(1 for h in dkim.DKIM(raw).headers if h[0].lower() == b"dkim-signature")
    out = []
    for i in range(n):
        d = dkim.DKIM(raw)
        try:
            ok = d.verify(idx=i, dnsfunc=dns.dkim_lookup)
        except Exception:  # noqa: BLE001
            ok = False
        out.append((d.signature_fields.get(b"s", b"?").decode(),
                    d.signature_fields.get(b"a", b"?").decode(), "pass" if ok else "FAIL"))
    return out


def main():
    t0 = time.monotonic()
    # A private tmpfs on /mnt (this mount namespace only): OpenDKIM's default
    # RequireSafeKeys refuses keys below a world-writable directory like /tmp
    # (signing then answers 451 4.7.1), so the scratch tree must not be there.
    run("mount", "-t", "tmpfs", "-o", "mode=0755", "auth-compare", "/mnt")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="auth-compare-", dir="/mnt"))
    os.chmod(tmp, 0o755)
    procs = []
    sink_ctl = None
    try:
        # resolv.conf for OpenDMARC/libspf2 (res_query) and Postfix: this namespace only.
        (tmp / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        run("mount", "--bind", str(tmp / "resolv.conf"), "/etc/resolv.conf")

        keys = tmp / "keys"
        keys.mkdir()
        hf_rsa, hf_rsa_txt = holdfast_keygen(keys, "example.test", "hf1", "rsa")
        hf_ed, hf_ed_txt = holdfast_keygen(keys, "example.test", "hf2", "ed25519")
        od_rsa, od_rsa_txt = opendkim_genkey(keys, "example.test", "od1")
        od_ed, od_ed_txt = openssl_ed25519(keys, "od2")
        ext_key, ext_txt = holdfast_keygen(keys, "signed.test", "k1", "rsa")

        dns = Dns(tmp)
        dns.records += ["--mx-host=remote.test,mx.remote.test,10",
                        f"--host-record=mx.remote.test,{SINK_HOST}",
                        "--host-record=none.test,192.0.2.9",
                        "--host-record=example.test,192.0.2.8"]
        for name, txt in [("hf1._domainkey.example.test", hf_rsa_txt),
                          ("hf2._domainkey.example.test", hf_ed_txt),
                          ("od1._domainkey.example.test", od_rsa_txt),
                          ("od2._domainkey.example.test", od_ed_txt),
                          ("k1._domainkey.signed.test", ext_txt),
                          ("pass.test", f"v=spf1 ip4:{OUTSIDE} -all"),
                          ("_dmarc.pass.test", "v=DMARC1; p=reject"),
                          ("fail.test", "v=spf1 ip4:192.0.2.1 -all"),
                          ("soft.test", "v=spf1 ip4:192.0.2.1 ~all"),
                          ("_dmarc.signed.test", "v=DMARC1; p=reject"),
                          ("reject.test", "v=spf1 ip4:192.0.2.1 ~all"),
                          ("_dmarc.reject.test", "v=DMARC1; p=reject"),
                          ("quar.test", "v=spf1 ip4:192.0.2.1 ~all"),
                          ("_dmarc.quar.test", "v=DMARC1; p=quarantine")]:
            dns.txt(name, txt)
        dns.start()
        procs.append(dns.proc)

        sink = SinkHandler()
        sink_ctl = Controller(sink, hostname=SINK_HOST, port=25)
        sink_ctl.start()

        # --- Holdfast
        hfd = tmp / "holdfast"
        hfd.mkdir()
        (hfd / "holdfast.toml").write_text(holdfast_config(
            hfd, [("hf1", hf_rsa, "rsa"), ("hf2", hf_ed, "ed25519")]))
        hf_log = open(hfd / "holdfast.log", "wb")
        procs.append(subprocess.Popen([HOLDFAST, "serve", "-c", str(hfd / "holdfast.toml"),
                                       "--allow-root"], cwd=hfd, stdout=hf_log,
                                      stderr=subprocess.STDOUT))

        # --- OpenDKIM, OpenDMARC, Postfix
        odk, odm, pfd = tmp / "opendkim", tmp / "opendmarc", tmp / "postfix"
        ode = tmp / "opendkim-ed25519"
        write_opendkim(odk, [("od1", od_rsa)], OPENDKIM_PORT)
        write_opendkim(ode, [("od2", od_ed)], OPENDKIM_ED_PORT, ed25519=True)
        write_opendmarc(odm)
        pf_milter_lines = write_postfix(pfd)
        odk_log, odm_log = open(odk / "stderr.log", "wb"), open(odm / "stderr.log", "wb")
        procs.append(subprocess.Popen(["opendkim", "-f", "-x", str(odk / "opendkim.conf")],
                                      stdout=odk_log, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(["opendkim", "-f", "-x", str(ode / "opendkim.conf")],
                                      stdout=odk_log, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(["opendmarc", "-f", "-c", str(odm / "opendmarc.conf")],
                                      stdout=odm_log, stderr=subprocess.STDOUT))
        wait_port("127.0.0.1", OPENDKIM_PORT)
        wait_port("127.0.0.1", OPENDKIM_ED_PORT)
        wait_port("127.0.0.1", OPENDMARC_PORT)
        procs.append(subprocess.Popen([f"{PF_DAEMONS}/master", "-d", "-c", str(pfd / "conf")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        wait_port("127.0.0.1", PF_PORT)
        wait_port("127.0.0.1", HF_PORT)
        started = time.monotonic() - t0

        mtas = [("Holdfast", HF_PORT, "hf"), ("Postfix+OpenDKIM+OpenDMARC", PF_PORT, "pf")]

        # --- (a) outbound: a LAN client's mail, signed, verified by dkimpy
        outbound = {
            "out-plain": msg("Alice <alice@example.test>", "out-plain"),
            "out-mime": msg("Alice <alice@example.test>", "out-mime",
                            body="--b\r\nContent-Type: text/plain\r\n\r\ntrailing  \t\r\n"
                                 "\r\n\r\n--b--\r\n\r\n\r\n",
                            extra="Cc: Carol <carol@remote.test>\r\nReply-To: a@example.test\r\n")
            .replace("Content-Type: text/plain\r\n\r\n--b",
                     "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b", 1),
        }
        out_rows = []
        for case, data in outbound.items():
            for name, port, tag in mtas:
                code, text = send(port, "127.0.0.1", "alice@example.test",
                                  f"bob-{tag}@remote.test", data)
                got = None
                if code == "250" and wait_until(lambda: any(
                        f"bob-{tag}@remote.test" in r and f"<{case}@" in c.decode(errors="replace")
                        for _, r, c in sink.messages)):
                    got = next(c for _, r, c in sink.messages
                               if f"bob-{tag}@remote.test" in r
                               and f"<{case}@" in c.decode(errors="replace"))
                sigs = verify_all(got, dns) if got else []
                tampered = verify_all(got.replace(b"the  body", b"the  b0dy")
                                      .replace(b"trailing", b"trai1ing"), dns) if got else []
                hdrs = []
                if got:
                    for f in header_fields(got, "DKIM-Signature"):
                        h = re.search(r"(?:^|;)\s*h=([^;]*)", f)
                        c = re.search(r"(?:^|;)\s*c=([^;]*)", f)
                        hdrs.append((c.group(1).strip() if c else "simple/simple",
                                     re.sub(r"\s", "", h.group(1)) if h else ""))
                out_rows.append((case, name, code, sigs, [t[2] for t in tampered], hdrs, text))

        # --- (b) inbound: Internet client 127.0.0.5 -> alice@example.test
        signed = dkimpy_sign(msg("Bob <bob@signed.test>", "in-dkim-aligned"), ext_key)
        tampered = dkimpy_sign(msg("Bob <bob@signed.test>", "in-dkim-tampered"), ext_key) \
            .replace("the  body", "the  b0dy")
        forged = ("Authentication-Results: %s; dkim=pass header.d=bank.test; "
                  "dmarc=pass header.from=bank.test\r\n")
        forged_spf = "Authentication-Results: %s; spf=pass smtp.mailfrom=reject.test\r\n"
        forged_dkim = ("Authentication-Results: %s; dkim=pass header.d=reject.test "
                       "header.s=k1\r\n")
        inbound = [
            # case, MAIL FROM, message, what the records say
            ("in-spf-pass", "a@pass.test", msg("a@pass.test", "in-spf-pass"),
             "SPF ip4:client -all, DMARC p=reject (aligned SPF)"),
            ("in-spf-fail", "a@fail.test", msg("a@fail.test", "in-spf-fail"),
             "SPF -all (client not listed), no DMARC"),
            ("in-spf-softfail", "a@soft.test", msg("a@soft.test", "in-spf-softfail"),
             "SPF ~all, no DMARC"),
            ("in-spf-none", "a@none.test", msg("a@none.test", "in-spf-none"),
             "no SPF, no DMARC"),
            ("in-dkim-aligned", "bounce@none.test", signed,
             "no SPF; dkimpy-signed d=signed.test, DMARC p=reject"),
            ("in-dkim-tampered", "bounce@none.test", tampered,
             "as above, body changed after signing"),
            ("in-dmarc-reject", "a@reject.test", msg("a@reject.test", "in-dmarc-reject"),
             "SPF ~all, no DKIM, DMARC p=reject"),
            ("in-dmarc-quar", "a@quar.test", msg("a@quar.test", "in-dmarc-quar"),
             "SPF ~all, no DKIM, DMARC p=quarantine"),
            ("in-forged-ar", "a@none.test",
             msg("x@none.test", "in-forged-ar", extra=forged % HF_ID + forged % PF_ID),
             "arrives with A-R fields naming both receivers' authserv-ids"),
            ("in-forged-ar-dkim", "a@reject.test",
             msg("x@reject.test", "in-forged-ar-dkim",
                 extra=forged_dkim % HF_ID + forged_dkim % PF_ID),
             "as in-dmarc-reject, plus forged A-R `dkim=pass header.d=reject.test` "
             "naming both authserv-ids"),
            ("in-forged-ar-spf", "a@reject.test",
             msg("x@reject.test", "in-forged-ar-spf",
                 extra=forged_spf % HF_ID + forged_spf % PF_ID),
             "as in-dmarc-reject, plus forged A-R `spf=pass smtp.mailfrom=reject.test` "
             "naming both authserv-ids"),
        ]
        in_rows = []
        for case, mail_from, data, what in inbound:
            for name, port, tag in mtas:
                code, text = send(port, OUTSIDE, mail_from, "alice@example.test", data)
                got = None
                if code == "250":
                    if tag == "hf":
                        box = hfd / "mail/example.test/alice/new"

                        def find():
                            for f in box.glob("*") if box.exists() else []:
                                b = f.read_bytes()
                                if f"<{case}@".encode() in b:
                                    return b
                            return None
                    else:
                        def find():
                            for _, r, c in sink.messages:
                                if "alice@example.test" in r and f"<{case}@".encode() in c:
                                    return c
                            return None
                    wait_until(lambda: find() is not None)
                    got = find()
                ar = header_fields(got, "Authentication-Results") if got else []
                in_rows.append((case, what, name, code, text, ar, got is not None))
        elapsed = time.monotonic() - t0

        # --- report
        print(f"# auth_compare: Holdfast ({HOLDFAST}) vs "
              f"Postfix {run('postconf', '-d', '-h', 'mail_version').stdout.strip()}, "
              f"{run('opendkim', '-V').stdout.splitlines()[0].strip()}, "
              f"{run('opendmarc', '-V').stdout.splitlines()[0].strip()}")
        print(f"# started in {started:.1f} s, all done in {elapsed:.1f} s\n")
        print("## Set-up written by this run (non-empty, non-comment lines)\n")
        hf_text = (hfd / "holdfast.toml").read_text()
        hf_dkim = sum(1 for ln in hf_text.split("[dns]")[1].split("[checks]")[0].splitlines()
                      if ln.strip() and not ln.startswith("servers"))
        hf_checks = sum(1 for ln in hf_text.split("[checks]")[1].splitlines() if ln.strip()) + 1
        hf_lines = hf_dkim + hf_checks
        print(f"Holdfast: 1 file (holdfast.toml): {hf_lines} lines for DKIM + checks "
              f"([[dkim]] x2 = {hf_dkim}, [checks] = {hf_checks}), 1 process, "
              "keys: `holdfast dkim keygen`")
        for f in [pfd / "conf/main.cf", odk / "opendkim.conf", odk / "KeyTable",
                  odk / "SigningTable", odk / "TrustedHosts", odk / "unbound.conf",
                  ode / "opendkim.conf", ode / "KeyTable", ode / "SigningTable",
                  ode / "TrustedHosts",
                  odm / "opendmarc.conf"]:
            extra = f" (of which {pf_milter_lines} for the milters)" if f.name == "main.cf" else ""
            print(f"Postfix side: {f.relative_to(tmp)}: {lines_of(f)} lines{extra}")
        print("Postfix side: 4 daemons (master + opendkim x2 + opendmarc), 3 milter sockets\n")

        print("## (a) Outbound, LAN client 127.0.0.1, From: alice@example.test -> bob@remote.test\n")
        print("| message | MTA | reply | signatures (dkimpy verify) | after tampering | c= | h= |")
        print("|---|---|---|---|---|---|---|")
        for case, name, code, sigs, tam, hdrs, text in out_rows:
            s = ", ".join(f"s={a} {b} {c}" for a, b, c in sigs) or "none"
            print(f"| {case} | {name} | {code} {text} | {s} | {', '.join(tam) or '-'} | "
                  f"{'; '.join(sorted({h[0] for h in hdrs}))} | "
                  f"{'<br>'.join(sorted({h[1] for h in hdrs}))} |")
        print(f"\n## (b) Inbound, Internet client {OUTSIDE} -> alice@example.test\n")
        print("| case | records | MTA | reply | Authentication-Results written |")
        print("|---|---|---|---|---|")
        for case, what, name, code, text, ar, delivered in in_rows:
            a = "<br>".join(f"`{x}`" for x in ar) or ("(not delivered)" if not delivered else "none")
            print(f"| {case} | {what} | {name} | {code} {text.strip()} | {a} |")
        for label, path in [("holdfast.log", hfd / "holdfast.log"),
                            ("opendkim", odk / "stderr.log"), ("opendmarc", odm / "stderr.log"),
                            ("postfix maillog", pfd / "log/maillog")]:
            if os.environ.get("AUTH_COMPARE_LOGS"):
                print(f"\n--- {label} ---\n" + path.read_text(errors="replace")[-6000:])
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if sink_ctl:
            sink_ctl.stop()
        if os.environ.get("AUTH_COMPARE_KEEP"):  # the tmpfs goes with the namespace
            shutil.copytree(tmp, "/tmp/" + tmp.name, symlinks=True)
            print(f"kept a copy in /tmp/{tmp.name}")


if __name__ == "__main__":
    main()
