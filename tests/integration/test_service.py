"""The daemon under systemd (Type=notify): it says READY=1 once the
listeners accept, RELOADING=1 then READY=1 around a reload, and STOPPING=1
when told to stop, on $NOTIFY_SOCKET."""
import signal
import socket

from holdfast_config import config_text

PORT = 2525


def test_notifies_systemd_when_ready_and_when_stopping(holdfast_factory, tmp_path, monkeypatch):
    path = tmp_path / "notify.sock"
    sd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sd.bind(str(path))
    sd.settimeout(10)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    h = holdfast_factory(config_text(), start=False)
    h.start(wait=False)
    ready = sd.recv(4096).decode()
    assert "READY=1" in ready.split("\n")
    # Ready means accepting: a client gets its banner at once.
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as c:
        assert c.recv(512).startswith(b"220 ")
    h.proc.send_signal(signal.SIGHUP)
    assert "RELOADING=1" in sd.recv(4096).decode().split("\n")
    assert "READY=1" in sd.recv(4096).decode().split("\n")
    h.proc.terminate()
    assert "STOPPING=1" in sd.recv(4096).decode().split("\n")
    assert h.proc.wait(timeout=10) == 0
