#!/usr/bin/python3
"""Peak memory of `holdfast serve` while many clients send large messages
(issue 16): N sessions each send SIZE MiB of DATA at once. Reports the
daemon's RSS when every session has sent all its data but not yet the final
dot (what a client can pin without finishing), and its peak RSS (VmHWM) after
all messages were accepted and delivered to a local Maildir.

    unshare --net sh -c 'ip link set lo up; bench/data_memory.py build/holdfast 50 30'

Loopback only; takes about a minute for 50 x 30 MiB."""
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

PORT = 2599


def status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def reply(sock, buf):
    while True:
        while b"\r\n" not in buf[0]:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            buf[0] += chunk
        line, buf[0] = buf[0].split(b"\r\n", 1)
        if line[3:4] != b"-":
            return int(line[:3])


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/holdfast"
    sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    mib = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    work = pathlib.Path(tempfile.mkdtemp(prefix="holdfast-datamem-"))
    (work / "holdfast.toml").write_text(f"""
[server]
hostname = "mx.example.test"
spool = "spool"
[[listen]]
address = "127.0.0.1:{PORT}"
role = "mx"
[relay]
networks = ["127.0.0.1/32"]
[[local]]
domain = "example.test"
maildir = "mail/%d/%u"
recipients = ["alice"]
[limits]
connections_per_ip = {sessions + 10}
message_size = {(mib + 2) * 1024 * 1024}
""")
    log = open(work / "holdfast.log", "wb")
    proc = subprocess.Popen([str(pathlib.Path(binary).resolve()), "serve", "-c", "holdfast.toml",
                             *(["--allow-root"] if os.geteuid() == 0 else [])],
                            cwd=work, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        idle = status(proc.pid, "VmRSS")
        line = b"z" * 76 + b"\r\n"
        chunk = line * (1024 * 1024 // len(line))
        sent = threading.Barrier(sessions + 1)
        finish = threading.Event()
        codes = []

        def client():
            s = socket.create_connection(("127.0.0.1", PORT))
            buf = [b""]
            reply(s, buf)
            for cmd in (b"EHLO bench.test", b"MAIL FROM:<b@bench.test>", b"RCPT TO:<alice@example.test>",
                        b"DATA"):
                s.sendall(cmd + b"\r\n")
                reply(s, buf)
            s.sendall(b"Subject: big\r\n\r\n")
            for _ in range(mib):
                s.sendall(chunk)
            sent.wait()
            finish.wait()
            s.sendall(b".\r\n")
            codes.append(reply(s, buf))
            s.sendall(b"QUIT\r\n")
            s.close()

        threads = [threading.Thread(target=client) for _ in range(sessions)]
        start = time.monotonic()
        for t in threads:
            t.start()
        sent.wait()
        time.sleep(0.5)
        unfinished = status(proc.pid, "VmRSS")
        finish.set()
        for t in threads:
            t.join()
        accepted = time.monotonic() - start
        new = work / "mail" / "example.test" / "alice" / "new"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and (not new.exists() or len(list(new.iterdir())) < sessions):
            time.sleep(0.2)
        peak = status(proc.pid, "VmHWM")
        print(f"sessions={sessions} size={mib}MiB accepted={codes.count(250)}/{sessions} "
              f"in {accepted:.1f}s delivered={len(list(new.iterdir())) if new.exists() else 0}")
        print(f"rss_idle={idle // 1024}MiB rss_all_data_sent_unfinished={unfinished // 1024}MiB "
              f"peak_rss_vmhwm={peak // 1024}MiB")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
