"""`holdfast queue list/--json/show/delete` on a spool without a daemon.

The spool content is written here by hand, following docs/queue-format.md,
which also checks that the document is enough to produce a valid spool."""
import datetime
import fcntl
import json
import os
import random

import pytest

import spool_log

CONFIG = """
[server]
hostname = "mx.example.test"
spool = "var/spool"

[[listen]]
address = "127.0.0.1:2525"
role = "mx"

[[local]]
domain = "example.test"
maildir = "var/mail/%d/%u"
recipients = ["alice", "bob"]
"""

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def queue_id(arrival_us):
    time_part = "".join(ALPHABET[(arrival_us >> (5 * i)) & 31] for i in reversed(range(11)))
    return time_part + "".join(random.choice(ALPHABET) for _ in range(4))


def envelope_json(qid, sender, recipients, body, arrival_us):
    rcpts = [{"address": a, "kind": k, "state": s, "last_error": e} for a, k, s, e in recipients]
    return json.dumps({"id": qid, "sender": sender, "recipients": rcpts, "arrival": arrival_us,
                       "client": "client.example [127.0.0.2]", "auth_user": "", "smtputf8": False,
                       "size": len(body)}).encode()


def write_message(spool, sender, recipients, body, arrival_us=1700000000_000000, state=None):
    """Appends the message's M record (and an S record when state is given)
    to the spool's log, as the spool does."""
    qid = queue_id(arrival_us)
    recs = [(b"M", envelope_json(qid, sender, recipients, body, arrival_us) + b"\n" + body)]
    if state is not None:
        line = json.dumps({"recipients": state["recipients"], "next_attempt": state["next_attempt"]})
        recs.append((b"S", qid.encode() + b"\n" + line.encode()))
    spool_log.append(spool, *recs)
    return qid


def write_v1_message(spool, sender, recipients, body, arrival_us=1700000000_000000):
    """msg/<ID> as spool version 1 (one file per message) wrote it."""
    qid = queue_id(arrival_us)
    for sub in ("tmp", "msg", "state", "corrupt"):
        (spool / sub).mkdir(parents=True, exist_ok=True)
    header = envelope_json(qid, sender, recipients, body, arrival_us)
    (spool / "msg" / qid).write_bytes(b"HOLDFAST-QUEUE 1\n" + header + b"\n" + body)
    return qid


@pytest.fixture
def hf(holdfast_factory):
    return holdfast_factory(CONFIG, start=False)


def spool_of(hf):
    return hf.dir / "var" / "spool"


BODY = b"Received: from client.example\r\nSubject: hello\r\n\r\nline one\r\n"


def test_queue_list_empty(hf):
    r = hf.cli("queue", "list")
    assert r.returncode == 0, r.stderr
    assert "Mail queue is empty" in r.stdout
    r = hf.cli("queue", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    # Looking does not create a spool.
    assert not spool_of(hf).exists()


def test_queue_list_text_and_json(hf):
    spool = spool_of(hf)
    a = write_message(spool, "bob@example.org",
                      [("alice@example.test", "local", "pending", "maildir var/mail: Permission denied"),
                       ("carol@customer.test", "backup", "pending", "")], BODY)
    b = write_message(spool, "", [("dave@elsewhere.test", "relay", "pending", ""),
                                  ("bob@example.test", "local", "delivered", "")],
                      b"x\r\n", arrival_us=1700000100_000000)
    r = hf.cli("queue", "list")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert a in out and b in out
    assert str(len(BODY)) in out
    assert "bob@example.org" in out and "<>" in out
    assert "alice@example.test" in out and "carol@customer.test" in out
    assert "(maildir var/mail: Permission denied)" in out
    assert "bob@example.test" not in out  # delivered: no longer queued
    assert "2 messages" in out

    r = hf.cli("queue", "list", "--json")
    assert r.returncode == 0, r.stderr
    listed = {m["id"]: m for m in json.loads(r.stdout)}
    assert set(listed) == {a, b}
    m = listed[a]
    assert set(m) >= {"id", "sender", "recipients", "size", "arrival", "next_attempt", "last_error"}
    assert m["sender"] == "bob@example.org"
    assert m["recipients"] == ["alice@example.test", "carol@customer.test"]
    assert m["size"] == len(BODY)
    assert m["last_error"] == "maildir var/mail: Permission denied"
    arrival = datetime.datetime.fromisoformat(m["arrival"].replace("Z", "+00:00"))
    assert arrival == datetime.datetime.fromtimestamp(1700000000, datetime.timezone.utc)
    datetime.datetime.fromisoformat(m["next_attempt"].replace("Z", "+00:00"))
    assert listed[b]["sender"] == "" and listed[b]["recipients"] == ["dave@elsewhere.test"]


def test_queue_state_file_overrides_recipients(hf):
    spool = spool_of(hf)
    rcpts = [("alice@example.test", "local", "pending", ""), ("bob@example.test", "local", "pending", "")]
    state = {"recipients": [
        {"address": "alice@example.test", "kind": "local", "state": "delivered", "last_error": ""},
        {"address": "bob@example.test", "kind": "local", "state": "pending", "last_error": "disk full"}],
        "next_attempt": 1700000300_000000}
    qid = write_message(spool, "s@example.org", rcpts, BODY, state=state)
    m = json.loads(hf.cli("queue", "list", "--json").stdout)[0]
    assert m["id"] == qid
    assert m["recipients"] == ["bob@example.test"]
    assert m["last_error"] == "disk full"
    assert m["next_attempt"] == "2023-11-14T22:18:20Z"


def test_queue_show(hf):
    spool = spool_of(hf)
    qid = write_message(spool, "bob@example.org", [("alice@example.test", "local", "pending", "")], BODY)
    r = subprocess_bytes(hf, "queue", "show", qid)
    assert r.returncode == 0, r.stderr
    assert f"id: {qid}".encode() in r.stdout
    assert b"sender: <bob@example.org>" in r.stdout
    assert b"recipient: <alice@example.test> kind=local state=pending" in r.stdout
    assert r.stdout.endswith(b"\n\n" + BODY)

    r = hf.cli("queue", "show", "0000000000000ZZ")
    assert r.returncode == 1
    assert r.stderr.strip() == "holdfast: no such message: 0000000000000ZZ"


def test_queue_delete(hf):
    spool = spool_of(hf)
    a = write_message(spool, "s@example.org", [("alice@example.test", "local", "pending", "")], BODY)
    b = write_message(spool, "s@example.org", [("bob@example.test", "local", "pending", "")], BODY)
    r = hf.cli("queue", "delete", a)
    assert r.returncode == 0, r.stderr
    assert (b"D", a.encode()) in spool_log.records(spool)
    r = hf.cli("queue", "delete", "NOSUCHID0000000", b)
    assert r.returncode == 1
    assert "holdfast: no such message: NOSUCHID0000000" in r.stderr
    assert (b"D", b.encode()) in spool_log.records(spool)  # the existing one is still deleted
    assert json.loads(hf.cli("queue", "list", "--json").stdout) == []


def test_queue_recovery_on_direct_access(hf):
    spool = spool_of(hf)
    good = write_message(spool, "s@example.org", [("alice@example.test", "local", "pending", "")], BODY)
    # A crash in the middle of appending the next record: its first half.
    torn = spool_log.frame(b"M", envelope_json("1K15T0RN0000000", "s@example.org",
                                               [("bob@example.test", "local", "pending", "")],
                                               BODY, 1700000000_000000) + b"\n" + BODY)
    seg = spool_log.segments(spool)[0]
    with open(seg, "ab") as f:
        f.write(torn[:len(torn) // 2])
    (spool / "log" / "notes.txt").write_text("not a segment")
    r = hf.cli("queue", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert [m["id"] for m in json.loads(r.stdout)] == [good]
    assert (f"holdfast: spool: var/spool/log/{seg.name}: the last {len(torn) // 2} octets "
            "are not a whole record") in r.stderr
    assert "holdfast: spool: corrupt file var/spool/log/notes.txt (not a segment name)" in r.stderr
    assert (spool / "corrupt" / "notes.txt").exists()
    assert not (spool / "log" / "notes.txt").exists()


def test_queue_imports_a_version_1_spool(hf):
    spool = spool_of(hf)
    good = write_v1_message(spool, "s@example.org", [("alice@example.test", "local", "pending", "")],
                            BODY)
    (spool / "tmp" / "half-written").write_bytes(b"HOLDFAST-QUEUE 1\n{")
    torn = write_v1_message(spool, "s@example.org", [("bob@example.test", "local", "pending", "")],
                            BODY)
    data = (spool / "msg" / torn).read_bytes()
    (spool / "msg" / torn).write_bytes(data[:-5])
    r = hf.cli("queue", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert [m["id"] for m in json.loads(r.stdout)] == [good]
    assert f"holdfast: spool: corrupt file var/spool/msg/{torn}" in r.stderr
    assert (spool / "corrupt" / torn).exists()
    for old in ("tmp", "msg", "state"):
        assert not (spool / old).exists()
    # Imported into the log: the message and its bytes are there from now on.
    assert spool_log.envelope(spool, good)["recipients"][0]["address"] == "alice@example.test"
    r = hf.cli("queue", "show", good)
    assert r.returncode == 0, r.stderr
    assert "Subject: hello" in r.stdout


def test_queue_refuses_spool_held_by_daemon(hf):
    spool = spool_of(hf)
    write_message(spool, "s@example.org", [("alice@example.test", "local", "pending", "")], BODY)
    # A daemon that holds the spool but does not answer on control.sock.
    fd = os.open(spool / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        r = hf.cli("queue", "list")
        assert r.returncode == 2
        assert r.stderr.startswith("holdfast: ") and "in use" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    finally:
        os.close(fd)


def test_queue_bad_config(hf):
    hf.config.write_text("[server\n")
    r = hf.cli("queue", "list")
    assert r.returncode == 2
    assert r.stderr.startswith("holdfast: ")


def subprocess_bytes(hf, *args):
    import subprocess
    from conftest import HOLDFAST_BIN
    return subprocess.run([HOLDFAST_BIN, *args, "-c", str(hf.config)], cwd=hf.dir,
                          capture_output=True, timeout=30)
