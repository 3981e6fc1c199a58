"""Reload (SIGHUP and `holdfast reload`): a new config is checked first and
refused whole when anything in it is wrong; a good one changes the rules
for new sessions while sessions in progress finish under the old ones."""
import signal
import smtplib
import socket
import ssl
import time

import pytest

from conftest import wait_for_port
from holdfast_config import config_text, make_tls, make_users


def recipients_config(recipients, **kw):
    text = config_text(**kw)
    return text.replace('recipients = ["alice", "bob"]',
                        "recipients = [" + ", ".join(f'"{r}"' for r in recipients) + "]")


def reload(h):
    return h.cli("reload")


def wait_for_log(h, needle, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in h.log_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not in the log after {timeout}s")


def outside_client(port=2525):
    s = smtplib.SMTP("127.0.0.1", port, source_address=("127.0.0.2", 0), timeout=10)
    s.ehlo("client.example.net")
    return s


def test_reload_changes_recipients_for_new_sessions_only(holdfast_factory):
    h = holdfast_factory(recipients_config(["alice", "bob"]))
    before = outside_client()
    before.mail("someone@example.net")
    assert before.rcpt("dave@example.test")[0] == 550

    h.config.write_text(recipients_config(["alice", "bob", "dave"]))
    r = reload(h)
    assert r.returncode == 0, r.stderr
    assert "reloaded" in r.stdout
    assert "status=reloaded" in h.log_text()

    # The session opened before keeps its rules, and is not dropped.
    assert before.rcpt("dave@example.test")[0] == 550
    assert before.rcpt("alice@example.test")[0] == 250
    code, reply = before.data(b"Subject: before\r\n\r\nstill here\r\n")
    assert code == 250, reply
    before.quit()

    after = outside_client()
    after.mail("someone@example.net")
    assert after.rcpt("dave@example.test")[0] == 250
    after.quit()


@pytest.mark.parametrize("bad,why", [
    ("[server\nhostname = 'x'", "invalid configuration"),
    # An open relay: the self-check refuses it as check-config does.
    ('[relay]\nnetworks = ["0.0.0.0/0"]\n', "relay"),
    # A file the config points at that is not there.
    ('[auth]\nusers = "missing-users-file"\n', "missing-users-file"),
])
def test_a_bad_config_is_refused_and_the_old_one_kept(holdfast_factory, bad, why):
    good = recipients_config(["alice", "bob"])
    h = holdfast_factory(good)
    if bad.startswith("[server"):
        h.config.write_text(bad)
    else:
        h.config.write_text(good.replace('[relay]\nnetworks = ["127.0.0.1/32"]\n', "") + bad)
    r = reload(h)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert why in r.stderr or why in h.log_text(), (r.stderr, h.log_text()[-2000:])
    # The old rules hold: an outside client still cannot relay, alice still exists.
    c = outside_client()
    c.mail("someone@example.net")
    assert c.rcpt("victim@elsewhere.example")[0] == 550
    assert c.rcpt("alice@example.test")[0] == 250
    c.quit()


def test_reload_refused_when_the_config_file_itself_is_broken(holdfast_factory):
    """`holdfast reload` reads the file for the spool's place: a broken file
    is refused before the daemon is asked, and the daemon, asked by SIGHUP,
    refuses it too."""
    h = holdfast_factory(recipients_config(["alice"]))
    h.config.write_text("[[listen]\n")
    h.proc.send_signal(signal.SIGHUP)
    wait_for_log(h, "status=reload-refused")
    assert h.proc.poll() is None
    c = outside_client()
    c.mail("someone@example.net")
    assert c.rcpt("alice@example.test")[0] == 250
    c.quit()


def peer_certificate(port, source="127.0.0.1"):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=10)
    s.ehlo("client.example.net")
    s.starttls(context=ctx)
    der = s.sock.getpeercert(binary_form=True)
    return s, der


def test_sighup_swaps_certificate_users_and_listeners(holdfast_factory, tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    tls_old, tls_new = make_tls(old_dir), make_tls(new_dir)
    users_old = make_users(old_dir, {"alice": "secret-a"})
    users_new = make_users(new_dir, {"bob": "secret-b"})
    h = holdfast_factory(config_text(tls=tls_old, users=users_old))

    held, cert_before = peer_certificate(2525)
    held.login("alice", "secret-a")

    h.config.write_text(config_text(
        tls=tls_new, users=users_new,
        listeners=[("127.0.0.1:2526", "mx")]))
    h.proc.send_signal(signal.SIGHUP)
    wait_for_log(h, "status=reloaded")
    wait_for_port("127.0.0.1", 2526)
    # 2525 is gone from the config: no new connection there ...
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", 2525), timeout=0.5).close()
            time.sleep(0.05)
        except OSError:
            break
    else:
        pytest.fail("still listening on 2525 after the reload removed it")
    # ... but the session opened there goes on under its old settings.
    held.mail("alice@example.test")
    assert held.rcpt("someone@elsewhere.example")[0] == 250  # relayed: authenticated
    code, _ = held.data(b"Subject: across a reload\r\n\r\nhello\r\n")
    assert code == 250
    held.quit()

    fresh, cert_after = peer_certificate(2526)
    assert cert_after != cert_before
    with pytest.raises(smtplib.SMTPAuthenticationError):
        fresh.login("alice", "secret-a")
    fresh.quit()
    fresh, _ = peer_certificate(2526)
    fresh.login("bob", "secret-b")
    fresh.quit()


def test_reload_refused_when_a_new_listener_cannot_bind(holdfast_factory):
    h = holdfast_factory(recipients_config(["alice"]))
    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    taken.bind(("127.0.0.1", 2527))
    taken.listen(1)
    try:
        h.config.write_text(config_text(listeners=[("127.0.0.1:2525", "mx"),
                                                   ("127.0.0.1:2527", "mx")]))
        r = reload(h)
        assert r.returncode == 2
        assert "2527" in r.stderr
    finally:
        taken.close()
    # Nothing changed: 2525 still served.
    c = outside_client()
    c.quit()


def test_reload_names_what_needs_a_restart(holdfast_factory):
    text = recipients_config(["alice"])
    h = holdfast_factory(text)
    h.config.write_text(text + '\n[queue]\nretry_min = "1m"\n')
    r = reload(h)
    assert r.returncode == 0, r.stderr
    assert "next restart: [queue]" in r.stdout
    assert 'restart_needed="[queue]"' in h.log_text()


def test_reload_serves_a_new_local_domain_end_to_end(holdfast_factory):
    """A [[local]] domain added by a reload is accepted by new sessions and
    delivered by the local courier (it knows the new domain too)."""
    text = recipients_config(["alice"])
    h = holdfast_factory(text)
    h.config.write_text(text + '\n[[local]]\ndomain = "new.test"\nmaildir = "mail/%d/%u"\n'
                        'recipients = ["erin"]\n')
    assert reload(h).returncode == 0
    c = outside_client()
    c.sendmail("someone@example.net", ["erin@new.test"], b"Subject: new\r\n\r\nhi\r\n")
    c.quit()
    maildir = h.dir / "mail" / "new.test" / "erin" / "new"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (maildir.exists() and any(maildir.iterdir())):
        time.sleep(0.05)
    assert maildir.exists() and any(maildir.iterdir()), h.log_text()[-2000:]


def test_reload_without_a_daemon_says_so(tmp_path):
    import subprocess
    from conftest import HOLDFAST_BIN
    cfg = tmp_path / "holdfast.toml"
    cfg.write_text(recipients_config(["alice"]))
    r = subprocess.run([HOLDFAST_BIN, "reload", "-c", str(cfg)], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith("holdfast: no daemon")
