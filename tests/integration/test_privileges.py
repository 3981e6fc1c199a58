"""Least privilege: started as root, serve binds its listeners and opens the
spool, then runs as server.user for good; root without a user is refused
unless --allow-root."""
import os
import pathlib
import pwd
import smtplib
import time

import pytest

from holdfast_config import config_text

PORT = 2525
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (the test namespace's)")


def ids(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines())
    return ([int(x) for x in fields["Uid"].split()], [int(x) for x in fields["Gid"].split()],
            [int(x) for x in fields["Groups"].split()])


def test_root_without_a_user_is_refused(holdfast_factory):
    h = holdfast_factory(config_text(), start=False)
    h.allow_root = False
    h.start(wait=False)
    assert h.proc.wait(timeout=10) == 2
    assert "refusing to run as root: set server.user" in h.log_text()


def test_runs_as_server_user_after_binding(holdfast_factory, tmp_path):
    nobody = pwd.getpwnam("nobody")
    # nobody must be able to reach its spool and Maildir below the test's
    # (root-only) temporary directory.
    for d in [tmp_path, *tmp_path.parents]:
        if str(d).startswith("/tmp/"):
            d.chmod(d.stat().st_mode | 0o011)
    text = config_text().replace('spool = "spool"\n', 'spool = "spool"\nuser = "nobody"\n')
    h = holdfast_factory(text, start=False)
    (h.dir / "spool" / "log").mkdir(parents=True)  # an older spool, made by root
    (h.dir / "mail").mkdir()
    (h.dir / "mail").chmod(0o777)  # a mail tree nobody may write
    h.dir.chmod(0o755)
    h.allow_root = False
    h.start()
    uids, gids, groups = ids(h.proc.pid)
    assert uids == [nobody.pw_uid] * 4 and gids == [nobody.pw_gid] * 4, (uids, gids)
    assert groups == [nobody.pw_gid]
    assert "status=privileges-dropped user=nobody" in h.log_text()
    # It still takes mail (spool, now nobody's) and delivers it.
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as s:
        s.sendmail("s@sender.test", ["alice@example.test"], b"Subject: hi\r\n\r\nhello\r\n")
    new = h.dir / "mail" / "example.test" / "alice" / "new"
    deadline = time.monotonic() + 10
    while not (new.exists() and any(new.iterdir())):
        assert time.monotonic() < deadline, h.log_text()
        time.sleep(0.05)
    assert next(new.iterdir()).stat().st_uid == nobody.pw_uid
    for f in [h.dir / "spool", *(h.dir / "spool").rglob("*")]:
        assert f.lstat().st_uid == nobody.pw_uid, f
    assert h.cli("queue", "list").returncode == 0
    assert h.stop() == 0


def test_an_unknown_user_is_refused(holdfast_factory):
    text = config_text().replace('spool = "spool"\n', 'spool = "spool"\nuser = "no-such-user-x"\n')
    h = holdfast_factory(text, start=False)
    h.start(wait=False)
    assert h.proc.wait(timeout=10) == 2
    assert "server.user no-such-user-x: no such user" in h.log_text()
