"""Maildir delivery hardening (issue 16): no symbolic link is followed, files
get the configured owner and mode, check-config refuses recipients and
templates that could never be delivered."""
import os
import smtplib
import stat
import subprocess
import time

from holdfast_config import config_text

PORT = 2525


def send(to):
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        assert s.sendmail("x@ext.test", [to], b"Subject: t\r\n\r\nbody\r\n") == {}


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_symlinked_maildir_component_is_not_followed(holdfast_factory, tmp_path):
    h = holdfast_factory(config_text())
    outside = tmp_path / "outside"
    outside.mkdir()
    md = h.dir / "mail" / "example.test" / "alice"
    (md / "tmp").mkdir(parents=True)
    (md / "cur").mkdir()
    os.symlink(outside, md / "new")
    send("alice@example.test")
    assert wait_for(lambda: "symbolic link" in h.log_text()), h.log_text()
    assert list(outside.iterdir()) == []
    assert "status=deferred" in h.log_text()
    out = h.cli("queue", "list", "--json")
    assert "alice@example.test" in out.stdout


def test_owner_and_mode_of_delivered_files(holdfast_factory):
    if os.geteuid() != 0:
        return
    base = "mail"
    extra = ""
    text = config_text().replace('recipients = ["alice", "bob"]',
                                 'recipients = ["alice", "bob"]\nmaildir_user = "nobody"\n'
                                 'maildir_mode = "0660"')
    h = holdfast_factory(text, start=False)
    (h.dir / base).mkdir()
    os.chown(h.dir / base, 65534, 65534)
    os.chmod(h.dir, 0o755)
    os.chmod(h.dir.parent, 0o755)
    h.start()
    send("bob@example.test")
    new = h.dir / "mail" / "example.test" / "bob" / "new"
    assert wait_for(lambda: new.exists() and list(new.iterdir())), h.log_text()
    [f] = list(new.iterdir())
    st = f.stat()
    assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert f.read_bytes().endswith(b"Subject: t\n\nbody\n")


def test_check_config_refuses_undeliverable_recipients_and_escapes(tmp_path):
    from conftest import HOLDFAST_BIN
    cfg = tmp_path / "bad.toml"
    cfg.write_text(config_text().replace('maildir = "mail/%d/%u"', 'maildir = "mail/%x/%u"')
                   .replace('recipients = ["alice", "bob"]', 'recipients = ["alice", "../x", "a/b", ".."]'))
    r = subprocess.run([HOLDFAST_BIN, "check-config", "-c", str(cfg)], capture_output=True, text=True)
    assert r.returncode == 2, r.stdout + r.stderr
    for what in ('"../x"', '"a/b"', '".."', "unknown escape %x"):
        assert what in r.stderr + r.stdout, what
