"""Fake misbehaving SMTP servers for the relay tester's tests.

Each is a tiny threaded TCP server on 127.0.0.1 with one behaviour:
  tempfail      220 banner, then 451 to every command (QUIT: 221)
  close         220 banner, then closes the connection
  tarpit        accepts the connection and never says anything
  rcpt-ok-data-554
                250 to EHLO/MAIL/RCPT (any RCPT, even <>), 554 to DATA
  greylist      a greylister in front of a closed relay: the first RCPT of
                each (sender, recipient) pair gets "451 4.7.1 Greylisted,
                try again in 60 seconds", later ones "554 5.7.1 Relay access
                denied"
It records every command line it received (`commands`), so a test can check
what the tester sent (e.g. never DATA without --deliver)."""
import socket
import threading

BANNER = b"220 fake.relay.test ESMTP fake\r\n"


class FakeSmtp:
    def __init__(self, mode, host="127.0.0.1", port=0):
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.host, self.port = self.sock.getsockname()
        self.commands = []
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._clients = []
        self._seen = set()  # greylist: (sender, recipient) pairs already deferred
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in self._clients:
            try:
                c.close()
            except OSError:
                pass

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._clients.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            if self.mode == "tarpit":
                self._stop.wait()  # say nothing, ever
                return
            conn.sendall(BANNER)
            if self.mode == "close":
                conn.close()
                return
            f = conn.makefile("rb")
            in_data = False
            sender = ""
            for raw in f:
                line = raw.decode("latin-1").rstrip("\r\n")
                if in_data:
                    if line == ".":
                        in_data = False
                        conn.sendall(b"250 2.0.0 queued\r\n")
                    continue
                with self._lock:
                    self.commands.append(line)
                verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
                if verb == "QUIT":
                    conn.sendall(b"221 2.0.0 bye\r\n")
                    break
                if verb == "MAIL":
                    sender = line
                conn.sendall(self._answer(verb, sender, line))
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _answer(self, verb, sender="", line=""):
        if self.mode == "tempfail":
            return b"451 4.3.0 Temporary failure, please try again later\r\n"
        if self.mode == "greylist" and verb == "RCPT":
            with self._lock:
                first = (sender, line) not in self._seen
                self._seen.add((sender, line))
            if first:
                return b"451 4.7.1 Greylisted, try again in 60 seconds\r\n"
            return b"554 5.7.1 <relaytest@x>: Relay access denied\r\n"
        # rcpt-ok-data-554: accepts every recipient, refuses every message.
        if verb == "EHLO":
            return b"250-fake.relay.test\r\n250 PIPELINING\r\n"
        if verb == "DATA":
            return b"554 5.7.1 Message refused\r\n"
        return b"250 2.0.0 Ok\r\n"

    def saw(self, verb):
        with self._lock:
            return [c for c in self.commands if c.upper().startswith(verb)]
