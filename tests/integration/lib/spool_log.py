"""Reading and writing Holdfast's spool (version 2, a segment log) by hand,
following docs/queue-format.md, so that tests check the document as well as
the code: log/<SEQ>.seg files starting with b"HOLDFAST-LOG 2\\n", records
framed as u32-LE length, u32-LE zlib.crc32(type + payload), type, payload."""
import json
import struct
import zlib

MAGIC = b"HOLDFAST-LOG 2\n"


def segments(spool):
    return sorted((spool / "log").glob("*.seg"))


def frame(rtype, payload):
    return struct.pack("<II", len(payload), zlib.crc32(rtype + payload)) + rtype + payload


def records(spool):
    """Every whole record of every segment, in order: (type, payload)."""
    out = []
    for seg in segments(spool):
        data = seg.read_bytes()
        assert data.startswith(MAGIC), seg
        pos = len(MAGIC)
        while pos + 9 <= len(data):
            length, crc = struct.unpack_from("<II", data, pos)
            rtype = data[pos + 8:pos + 9]
            payload = data[pos + 9:pos + 9 + length]
            if len(payload) < length or zlib.crc32(rtype + payload) != crc:
                break
            out.append((rtype, payload))
            pos += 9 + length
    return out


def envelope(spool, qid):
    """The M record's envelope of message qid (None if there is none)."""
    for rtype, payload in records(spool):
        if rtype == b"M":
            head = json.loads(payload.split(b"\n", 1)[0])
            if head["id"] == qid:
                return head
    return None


def append(spool, *recs):
    """Appends records (type, payload) to segment 1, creating it if needed."""
    (spool / "log").mkdir(parents=True, exist_ok=True)
    seg = spool / "log" / "0000000000000001.seg"
    with open(seg, "ab") as f:
        if f.tell() == 0:
            f.write(MAGIC)
        for rtype, payload in recs:
            f.write(frame(rtype, payload))
    return seg
