"""`holdfast sendmail` (issue 19): Postfix-compatible local submission
through the daemon's submit socket, the invoking user recorded from the
socket's peer credentials, exit codes 0 / 64 / 75, and an unprivileged
user who may submit but not run queue admin commands."""
import json
import os
import pathlib
import shutil
import subprocess
import time

from config_parts import maildir_local, mx_server
from conftest import HOLDFAST_BIN

PORT = 2525


def config_text():
    return (mx_server(port=PORT) + maildir_local(["alice", "bob", "carol"])
            + '\n[dns]\nservers = ["127.0.0.1:1"]\n')


def sendmail(h, *args, stdin="", user=None, argv0=None):
    cmd = [HOLDFAST_BIN, "sendmail", "-c", str(h.config), *args]
    if argv0:  # through a symlink named sendmail
        cmd = [argv0, "-c", str(h.config), *args]
    if user:
        group = "nogroup" if user == "nobody" else user
        cmd = ["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups", *cmd]
    return subprocess.run(cmd, input=stdin.encode(), capture_output=True, cwd=h.dir, timeout=30)


def inbox(h, user):
    new = h.dir / "mail" / "example.test" / user / "new"
    return sorted(new.iterdir()) if new.exists() else []


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def delivered(h, user, n=1):
    assert wait_for(lambda: len(inbox(h, user)) >= n), h.log_text()
    return inbox(h, user)[n - 1].read_text()


def test_cron_style_t_adds_headers_and_records_the_user(holdfast_factory):
    h = holdfast_factory(config_text())
    msg = "To: alice@example.test\nCc: Team: bob@example.test;\nBcc: carol@example.test\n" \
          "Subject: cron output\n\nline one\n"
    r = sendmail(h, "-t", stdin=msg)
    assert r.returncode == 0, r.stderr
    a = delivered(h, "alice")
    assert "Subject: cron output" in a
    assert "From: root@mx.example.test" in a
    assert "Date: " in a and "Message-ID: <" in a
    assert "Received: by mx.example.test (Holdfast, from userid 0 (root))" in a
    assert "Bcc" not in a and "carol" not in a
    assert "Return-Path: <root@mx.example.test>" in a
    assert "Subject: cron output" in delivered(h, "bob")
    assert "Bcc" not in delivered(h, "carol")  # the Bcc recipient got it, without the field
    assert "via=sendmail uid=0 user=root" in h.log_text()


def test_f_F_and_named_recipients_through_a_sendmail_symlink(holdfast_factory, tmp_path):
    h = holdfast_factory(config_text())
    link = tmp_path / "sendmail"
    os.symlink(os.path.abspath(HOLDFAST_BIN), link)
    r = sendmail(h, "-oi", "-odb", "-oem", "-B", "8BITMIME", "-f", "app@example.test", "-F",
                 "The App", "--", "alice@example.test", stdin="Subject: hi\n\nbody\n",
                 argv0=str(link))
    assert r.returncode == 0, r.stderr
    a = delivered(h, "alice")
    assert 'From: "The App" <app@example.test>' in a
    assert "Return-Path: <app@example.test>" in a


def test_dot_ends_the_message_unless_i(holdfast_factory):
    h = holdfast_factory(config_text())
    text = "Subject: dots\n\nbefore\n.\nafter\n"
    assert sendmail(h, "alice@example.test", stdin=text).returncode == 0
    first = delivered(h, "alice")
    assert "before" in first and "after" not in first
    assert sendmail(h, "-i", "alice@example.test", stdin=text).returncode == 0
    second = delivered(h, "alice", 2)
    assert "before" in second and "\n.\nafter" in second.replace("\r\n", "\n")


def test_bs_runs_an_smtp_session_on_stdin(holdfast_factory):
    h = holdfast_factory(config_text())
    dialog = ("EHLO me\r\nMAIL FROM:<bs@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
              "DATA\r\nSubject: via -bs\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n")
    r = sendmail(h, "-bs", stdin=dialog)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert out.startswith("220 ")
    assert "250 2.0.0 Ok: queued as " in out and "221 " in out, out
    b = delivered(h, "bob")
    assert "Subject: via -bs" in b and "\n.leading dot" in b.replace("\r\n", "\n")


def test_usage_and_daemon_down(holdfast_factory):
    h = holdfast_factory(config_text())
    r = sendmail(h, stdin="x")  # no recipients, no -t
    assert r.returncode == 64 and b"holdfast: " in r.stderr
    assert sendmail(h, "-k", "a@example.test").returncode == 64
    h.stop()
    r = sendmail(h, "alice@example.test", stdin="Subject: x\n\ny\n")
    assert r.returncode == 75, r.stderr
    assert b"not queued" in r.stderr
    assert inbox(h, "alice") == []


def test_unknown_local_user_is_refused_at_once(holdfast_factory):
    h = holdfast_factory(config_text())
    r = sendmail(h, "nosuch@example.test", stdin="Subject: x\n\ny\n")
    assert r.returncode == 65, r.stderr
    assert b"nosuch@example.test" in r.stderr


def test_unprivileged_user_submits_but_cannot_administer(holdfast_factory, tmp_path):
    h = holdfast_factory(config_text())
    # nobody must reach the config and the submit socket: open the test
    # directories for traversal (pytest makes them 0700).
    p = pathlib.Path(h.dir)
    while str(p) not in ("/", "/tmp"):
        os.chmod(p, os.stat(p).st_mode | 0o711)
        p = p.parent
    os.chmod(h.config, 0o644)
    r = sendmail(h, "someone@remote.test", stdin="Subject: from nobody\n\nhello\n",
                 user="nobody")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: "via=sendmail uid=65534 user=nobody" in h.log_text()), h.log_text()
    listing = json.loads(h.cli("queue", "list", "--json").stdout)
    assert len(listing) == 1 and listing[0]["sender"] == "nobody@mx.example.test"
    qid = listing[0]["id"]
    # mailq / sendmail -bp: the queue listing (as root here).
    bp = sendmail(h, "-bp")
    assert bp.returncode == 0 and qid in bp.stdout.decode(), bp.stderr
    # nobody cannot run admin commands: control.sock is root's, mode 0600.
    d = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        HOLDFAST_BIN, "queue", "delete", qid, "-c", str(h.config)],
                       capture_output=True, text=True, cwd=h.dir, timeout=30)
    assert d.returncode != 0, d.stdout + d.stderr
    assert qid in h.cli("queue", "list").stdout
    # Nor speak the control protocol on the submit socket.
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(h.dir / "spool" / "submit.sock"))
    s.sendall(json.dumps({"cmd": "delete", "id": qid}).encode() + b"\n")
    s.shutdown(socket.SHUT_WR)
    answer = json.loads(s.makefile().readline())
    assert answer["ok"] is False and "only" in answer["error"]
    assert qid in h.cli("queue", "list").stdout
