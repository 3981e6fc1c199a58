"""What a restart must not forget (issue 18), with dnsmasq as the real DNS
server and the spool as the only memory: that the primary is down and
when it is probed next (no burst of `concurrency` connections to a host
known dead a second earlier), and each message's attempt count (a message
at a long backoff does not go back to retry_min)."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller

from backup import SENDER, backup_config, backup_dns, message, queue_list, send
from peers import wait_until


@pytest.fixture
def dns(tmp_path):
    with backup_dns(tmp_path / "dns") as d:
        yield d


def attempts_in(text):
    """Delivery attempts logged (one line per recipient; one recipient each)."""
    return sum(1 for line in text.splitlines() if "status=deferred" in line and "relay=" in line)


def test_kill_9_with_a_dead_primary_makes_no_burst_at_start(holdfast_factory, dns):
    # Nothing listens on 127.0.0.10:25: every connection is refused.
    h = holdfast_factory(backup_config(dns, {"probe_interval": "2s", "retry_min": "1s",
                                             "retry_max": "60s"}))
    for seq in range(20):
        send(h.port, SENDER, [f"user{seq}@customer.test"], message(seq, f"user{seq}@customer.test"))
    # Down since the first attempt; then one probe per 2 s, the other
    # messages waiting behind it (never tried themselves).
    wait_until(lambda: attempts_in(h.log_text()) >= 3, timeout=15)
    assert (h.dir / "spool" / "destinations.json").exists()
    h.kill9()
    mark = len(h.log_text())
    h.start()
    time.sleep(1.5)
    after = h.log_text()[mark:]
    first = attempts_in(after)
    print(f"\nattempts in the first 1.5 s after kill -9 and restart: {first}")
    assert first <= 1, f"a burst of {first} connections to a primary known dead"
    assert "status=down" in after, "the down state came back from the spool"
    # The probe cadence goes on: about one attempt per probe_interval.
    time.sleep(4)
    later = attempts_in(h.log_text()[mark:])
    assert 1 <= later <= 4, later
    entries = queue_list(h)
    assert len(entries) == 20
    assert all(e["last_error"] for e in entries)
    # next_attempt is the later of the message's own time and the
    # destination's next probe: never in the past while it is down.
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for e in entries:
        nxt = datetime.strptime(e["next_attempt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert nxt >= now - timedelta(seconds=1) or e["in_flight"], e
    text = h.cli("queue", "list").stdout
    assert "Next Attempt" in text.splitlines()[0], text[:300]
    # Without the daemon, `queue list` reads the same from the spool.
    assert h.stop() == 0
    offline = queue_list(h)
    # Those never tried themselves carry the destination's down reason. Up to
    # `concurrency` (10) may have been tried at once before the first
    # refusal marked the destination down, so at least 10 of the 20.
    suspended = sum(e["last_error"].startswith("delivery temporarily suspended: ") for e in offline)
    assert suspended >= 10, offline
    assert not any(e["in_flight"] for e in offline)


class _Later:
    """A primary that answers every RCPT 451: up, but deferring (the
    per-message backoff applies, not the probe)."""

    def __init__(self):
        self.times = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.times.append(time.monotonic())
        return "451 4.3.0 try again later"


def test_kill_9_keeps_each_messages_backoff(holdfast_factory, dns):
    later = _Later()
    primary = Controller(later, hostname="127.0.0.10", port=25,
                         server_hostname="primary.customer.test", ready_timeout=5)
    primary.start()
    try:
        h = holdfast_factory(backup_config(dns, {"retry_min": "1s", "retry_max": "60s"}))
        send(h.port, SENDER, ["alice@customer.test"], message(1, "alice@customer.test"))
        # Attempts at about 0, 1, 3 s (backoff 1, 2, then 4 s to the next).
        wait_until(lambda: len(later.times) >= 3, timeout=15)
        time.sleep(0.3)  # the third outcome is recorded
        h.kill9()
        h.start()
        shown = h.cli("queue", "show", queue_list(h)[0]["id"]).stdout
        assert "attempts: 3" in shown, shown
        # The 4th attempt comes when the stored time says (about 4 s after
        # the 3rd); after it the wait is 8 s (attempts 4), not retry_min.
        wait_until(lambda: len(later.times) >= 4, timeout=10)
        time.sleep(3)
        assert len(later.times) == 4, "back to retry_min after a restart"
        gaps = [round(b - a, 1) for a, b in zip(later.times, later.times[1:])]
        print(f"\ngaps between attempts (s), kill -9 after the 3rd: {gaps}")
    finally:
        primary.stop()
