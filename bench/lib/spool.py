"""Holdfast's spool version 2 (docs/queue-format.md: a segment log) from
the harness's side: writing a big queue directly for the recovery scenario,
reading one back strictly (the self-check), and counting the messages a
running daemon still holds (Holdfast.queued()).

From bench/ (as root or not; nothing is started):

    python3 -m lib.spool SPOOL                 # check a spool, count its messages
    python3 -m lib.spool --make N SPOOL        # write N messages, then check
    python3 -m lib.spool --self-test           # the writer and reader on 1,000"""
import argparse
import email.utils
import json
import os
import pathlib
import random
import re
import struct
import time
import zlib

MAGIC = b"HOLDFAST-LOG 2\n"
SEGMENT_LIMIT = 16 * 1024 * 1024  # a segment is closed once it holds this much
HEADER = struct.Struct("<II")  # length of the payload, CRC-32 of type + payload
SEGMENT_NAME = re.compile(r"[0-9a-f]{16}\.seg")

# Queue ids as src/mail/queue_id.cpp makes them: 11 Crockford base32 digits
# of the arrival in microseconds (so ids sort by arrival), then 4 random ones.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

SENDER = "load@source.bench.test"
RECIPIENT = "1user@bench.test"
HELO = "source.bench.test"
HOSTNAME = "holdfast.bench.test"
BODY_OCTETS = 1024


class SpoolError(Exception):
    pass


def segment_name(seq):
    return f"{seq:016x}.seg"


def queue_ids(first_us, count, seed=1):
    """(id, arrival µs) for `count` messages arriving one microsecond apart:
    unique and sorted by arrival whatever the random part."""
    rng = random.Random(seed)
    for i in range(count):
        us = first_us + i
        tpart = "".join(ALPHABET[(us >> (5 * k)) & 31] for k in range(10, -1, -1))
        yield tpart + "".join(rng.choice(ALPHABET) for _ in range(4)), us


def _smtp_source_text(date):
    """What `smtp-source -l 1024 -N -t user@bench.test` sends: four header
    lines, a blank line, 1024 octets of body in lines of 78 characters and
    CRLF."""
    head = (f"From: <{SENDER}>\r\nTo: <user@bench.test>\r\nDate: {date}\r\n"
            f"Message-Id: <1.0001.0000@{HELO}>\r\n\r\n").encode()
    body, n = b"", 1
    while len(body) < BODY_OCTETS:
        line = (str(n % 10) + "X" * 77)[:BODY_OCTETS - len(body) - 2].encode() + b"\r\n"
        body += line
        n += 1
    return head + body


def _received(qid, date):
    """Holdfast's own trace header (src/smtp/server/received_header.cpp)."""
    return (f"Received: from {HELO} ([127.0.0.1])\r\n\tby {HOSTNAME} (Holdfast) with ESMTP "
            f"id {qid}\r\n\tfor <{RECIPIENT}>; {date}\r\n").encode()


def _envelope(qid, us, size):
    """The M record's envelope: compact JSON on one line (json.dumps with
    the separators Holdfast's writer uses)."""
    return json.dumps({
        "id": qid,
        "sender": SENDER,
        "recipients": [{"address": RECIPIENT, "kind": "backup", "state": "pending",
                        "last_error": ""}],
        "arrival": us,
        "client": "localhost [127.0.0.1]",
        "auth_user": "",
        "smtputf8": False,
        "size": size,
    }, separators=(",", ":")).encode()


def write_spool(spool, messages, first_us=None, segment_limit=SEGMENT_LIMIT):
    """Writes `messages` queued messages for bench.test (one backup
    recipient, pending) as the segments of <spool>/log/, one file at a time
    through a large buffer. Nothing is fsync'd: the caller syncs once.
    Returns {"messages", "segments", "bytes"}."""
    pathlib.Path(spool).mkdir(parents=True, mode=0o700, exist_ok=True)
    log_dir = pathlib.Path(spool) / "log"
    log_dir.mkdir(mode=0o700)
    if first_us is None:
        first_us = int(time.time() * 1_000_000) - messages  # all arrived by now
    # The message text changes only with the Date (once a second) and the
    # Received header's id: build the rest once per second.
    date_cache = {}
    seq, seg_bytes, total, f = 0, SEGMENT_LIMIT, 0, None
    crc_m = zlib.crc32(b"M")
    try:
        for qid, us in queue_ids(first_us, messages):
            second = us // 1_000_000
            date = date_cache.get(second)
            if date is None:
                date = email.utils.formatdate(second, usegmt=True).replace("GMT", "+0000")
                date_cache = {second: date}
                text = _smtp_source_text(date)
            body = _received(qid, date) + text
            env = _envelope(qid, us, len(body))
            payload_len = len(env) + 1 + len(body)
            crc = zlib.crc32(body, zlib.crc32(b"\n", zlib.crc32(env, crc_m)))
            record = HEADER.pack(payload_len, crc) + b"M" + env + b"\n" + body
            if seg_bytes >= segment_limit:
                if f:
                    f.close()
                seq += 1
                f = open(log_dir / segment_name(seq), "wb", buffering=4 * 1024 * 1024)
                f.write(MAGIC)
                seg_bytes = len(MAGIC)
                total += len(MAGIC)
            f.write(record)
            seg_bytes += len(record)
            total += len(record)
    finally:
        if f:
            f.close()
    return {"messages": messages, "segments": seq, "bytes": total}


def _zeros(data, pos):
    """Whether data[pos:] is only zeros: the unused end of a segment, which
    the daemon makes full of zeros before it appends to it."""
    return data.count(0, pos) == len(data) - pos


def _records(data, name, strict):
    """(offset, type, payload) of the whole records in a segment's bytes;
    a torn tail raises when strict, else ends the walk (its offset is
    returned by the caller's bookkeeping). Zeros to the end are no tail."""
    pos = len(MAGIC)
    while pos < len(data):
        if data[pos] == 0 and _zeros(data, pos):
            return
        if len(data) - pos < HEADER.size + 1:
            if strict:
                raise SpoolError(f"{name}: {len(data) - pos} octets of a torn record at {pos}")
            return
        length, crc = HEADER.unpack_from(data, pos)
        end = pos + HEADER.size + 1 + length
        if end > len(data):
            if strict:
                raise SpoolError(f"{name}: record at {pos} claims {length} octets, "
                                 f"{len(data) - pos - HEADER.size - 1} left")
            return
        typed = data[pos + HEADER.size:end]
        if zlib.crc32(typed) != crc:
            if strict:
                raise SpoolError(f"{name}: CRC mismatch in the record at {pos}")
            return
        yield end, typed[:1], typed[1:]
        pos = end


def _segments(spool):
    log_dir = pathlib.Path(spool) / "log"
    names = sorted(os.listdir(log_dir)) if log_dir.is_dir() else []
    return log_dir, names


def _parse_m(payload, where):
    nl = payload.find(b"\n")
    if nl < 0:
        raise SpoolError(f"{where}: M record without a newline after its envelope")
    try:
        env = json.loads(payload[:nl])
    except ValueError as e:
        raise SpoolError(f"{where}: envelope is not JSON: {e}") from e
    if not isinstance(env, dict):
        raise SpoolError(f"{where}: envelope is not a JSON object")
    for key, kind in (("id", str), ("sender", str), ("recipients", list), ("arrival", int),
                      ("smtputf8", bool), ("size", int)):
        if not isinstance(env.get(key), kind):
            raise SpoolError(f"{where}: envelope field {key!r} missing or not {kind.__name__}")
    if len(env["id"]) != 15 or any(c not in ALPHABET for c in env["id"]):
        raise SpoolError(f"{where}: {env['id']!r} is not a queue id")
    for r in env["recipients"]:
        if (not isinstance(r, dict) or not isinstance(r.get("address"), str)
                or r.get("kind") not in ("local", "backup", "relay")
                or r.get("state") not in ("pending", "delivered", "failed")):
            raise SpoolError(f"{where}: bad recipient {r!r}")
    if not env["recipients"]:
        raise SpoolError(f"{where}: no recipients")
    if env["size"] != len(payload) - nl - 1:
        raise SpoolError(f"{where}: size {env['size']} but {len(payload) - nl - 1} octets follow")
    return env


def verify_spool(spool):
    """Reads every segment strictly (magic, framing, CRC, envelope JSON,
    size, ids unique and in arrival order) and applies the records as
    recovery does. Raises SpoolError at the first fault; returns counts."""
    log_dir, names = _segments(spool)
    if not names:
        raise SpoolError(f"{log_dir}: no segments")
    live, counts, total, last_id = {}, {t: 0 for t in "MSD"}, 0, ""
    for i, name in enumerate(names, 1):
        # Retired segments leave gaps: only the form of the name is fixed.
        if not SEGMENT_NAME.fullmatch(name) or name == segment_name(0):
            raise SpoolError(f"{log_dir}: {name!r} is not a segment name")
        data = (log_dir / name).read_bytes()
        total += len(data)
        if not data.startswith(MAGIC):
            raise SpoolError(f"{name}: does not start with {MAGIC!r}")
        for end, t, payload in _records(data, name, strict=True):
            where = f"{name}@{end}"
            if t == b"M":
                env = _parse_m(payload, where)
                if env["id"] in live or env["id"] <= last_id:
                    raise SpoolError(f"{where}: id {env['id']} repeated or out of order")
                last_id = env["id"]
                live[env["id"]] = i
            elif t == b"S":
                _, _, state = payload.partition(b"\n")
                try:
                    json.loads(state)
                except ValueError as e:
                    raise SpoolError(f"{where}: state is not JSON: {e}") from e
            elif t == b"D":
                live.pop(payload.decode(), None)
            else:
                raise SpoolError(f"{where}: unknown record type {t!r}")
            counts[t.decode()] += 1
    return {"segments": len(names), "bytes": total, "records": counts, "queued": len(live)}


class LiveCounter:
    """Counts the messages a running Holdfast still holds by following its
    log: reads only what was appended since the last call, stops before a
    record still being written, and forgets a message whose M segment was
    retired (a segment is only deleted when none of its messages is
    queued)."""

    def __init__(self, spool):
        self.spool = pathlib.Path(spool)
        self.offsets = {}  # segment name -> octets read
        self.live = {}  # queue id -> name of its M segment

    def count(self):
        log_dir, names = _segments(self.spool)
        present = set(names)
        for name in list(self.offsets):
            if name not in present:
                del self.offsets[name]
        self.live = {q: s for q, s in self.live.items() if s in present}
        for name in names:
            self._follow(log_dir, name)
        return len(self.live)

    def _follow(self, log_dir, name):
        # A bounded read per call: the active segment is mostly the zeros it
        # was made with, not worth reading again at every poll. A record
        # longer than the read is read whole by the next, larger one.
        size = 1 << 20
        while True:
            start = self.offsets.get(name, 0)
            progressed, more = self._follow_part(log_dir, name, start, size)
            if progressed:
                continue
            if not more:
                return
            size *= 2

    def _follow_part(self, log_dir, name, start, size):
        """Reads up to `size` octets from `start`: (whether the offset moved
        on, whether a record seems to go on past what was read)."""
        try:
            with open(log_dir / name, "rb") as f:
                f.seek(start)
                data = f.read(size)
        except FileNotFoundError:
            return False, False
        if not data:
            return False, False
        full = len(data) == size
        if start == 0:
            if len(data) < len(MAGIC):
                return False, False
            if not data.startswith(MAGIC):
                self.offsets[name] = 1 << 62  # not a segment we can read
                return False, False
        else:
            # _records() walks from len(MAGIC): put back a stand-in prefix.
            data = MAGIC + data
            start -= len(MAGIC)
        pos = len(MAGIC)
        for end, t, payload in _records(data, name, strict=False):
            pos = end
            if t == b"M":
                nl = payload.find(b"\n")
                try:
                    qid = json.loads(payload[:nl])["id"]
                except (ValueError, KeyError, TypeError):
                    continue
                self.live[qid] = name
            elif t == b"S":
                qid, _, state = payload.partition(b"\n")
                try:
                    rcpts = json.loads(state).get("recipients", [])
                except (ValueError, AttributeError):
                    continue
                if rcpts and all(r.get("state") != "pending" for r in rcpts):
                    self.live.pop(qid.decode(), None)
            elif t == b"D":
                self.live.pop(payload.decode(errors="replace"), None)
        progressed = start + pos > self.offsets.get(name, 0)
        self.offsets[name] = start + pos
        return progressed, full and not _zeros(data, pos)


def _record(t, payload):
    return HEADER.pack(len(payload), zlib.crc32(t + payload)) + t + payload


def _crc_by_hand(data):
    """CRC-32/ISO-HDLC bit by bit, to check zlib against the spec's words."""
    c = 0xFFFFFFFF
    for x in data:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
    return c ^ 0xFFFFFFFF


def self_test():
    """The writer against the reader: segments, framing, CRC, damage found,
    and LiveCounter following appends, a torn tail and a retired segment."""
    import shutil
    import tempfile
    d = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-spool-test-"))
    try:
        made = write_spool(d, 1000, segment_limit=100_000)
        got = verify_spool(d)
        assert got["queued"] == 1000 and got["bytes"] == made["bytes"], got
        log_dir, names = _segments(d)
        assert names == [segment_name(i) for i in range(1, made["segments"] + 1)], names
        sizes = [(log_dir / n).stat().st_size for n in names]
        assert all(100_000 <= n < 100_000 + 2000 for n in sizes[:-1]), sizes
        first = (log_dir / names[0]).read_bytes()
        length, crc = HEADER.unpack_from(first, len(MAGIC))
        typed = first[len(MAGIC) + HEADER.size:len(MAGIC) + HEADER.size + 1 + length]
        assert _crc_by_hand(b"123456789") == 0xCBF43926
        assert _crc_by_hand(typed) == crc and typed[:1] == b"M"
        ids = [json.loads(p[:p.find(b"\n")])["id"]
               for n in names for _, t, p in _records((log_dir / n).read_bytes(), n, True)]
        assert ids == sorted(set(ids)) and len(ids) == 1000

        for damage in (lambda b: b[:500] + bytes([b[500] ^ 1]) + b[501:], lambda b: b[:-10],
                       lambda b: b"HOLDFAST-LOG 3\n" + b[len(MAGIC):]):
            seg = log_dir / names[3]
            good = seg.read_bytes()
            seg.write_bytes(damage(good))
            try:
                verify_spool(d)
                raise AssertionError("damage not found")
            except SpoolError:
                pass
            seg.write_bytes(good)

        live = LiveCounter(d)
        assert live.count() == 1000
        last = log_dir / names[-1]
        torn = _record(b"D", ids[6].encode())
        with open(last, "ab") as f:
            for qid in ids[:5]:
                f.write(_record(b"D", qid.encode()))
            state = {"recipients": [{"address": RECIPIENT, "state": "delivered",
                                     "last_error": ""}], "next_attempt": 0}
            f.write(_record(b"S", ids[5].encode() + b"\n" + json.dumps(state).encode()))
            f.write(torn[:7])
        assert live.count() == 994, live.count()
        with open(last, "ab") as f:
            f.write(torn[7:])
        assert live.count() == 993, live.count()
        in_first = sum(1 for _, t, _ in _records((log_dir / names[0]).read_bytes(), "", True)
                       if t == b"M")
        (log_dir / names[0]).unlink()
        assert live.count() == 993 - (in_first - 7), live.count()
        assert verify_spool(d)["records"] == {"M": 1000 - in_first, "S": 1, "D": 6}
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("spool self-test: ok")


def _main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--make", type=int, metavar="N", help="write N messages first")
    p.add_argument("--self-test", action="store_true")
    p.add_argument("spool", nargs="?")
    a = p.parse_args()
    if a.self_test:
        self_test()
        return
    if not a.spool:
        p.error("a spool directory is needed")
    if a.make is not None:
        t0 = time.monotonic()
        made = write_spool(a.spool, a.make)
        t1 = time.monotonic()
        os.sync()
        t2 = time.monotonic()
        print(f"wrote {made} in {t1 - t0:.2f}s, os.sync {t2 - t1:.2f}s")
    t0 = time.monotonic()
    print(f"verified {verify_spool(a.spool)} in {time.monotonic() - t0:.2f}s")


if __name__ == "__main__":
    _main()
