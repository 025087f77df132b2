#!/usr/bin/env python3
"""drip_peer.py: slow SMTP peers for deadlines.sh, dripping bytes on a timer.

Servers (print their port on the first line, then serve every connection on
a thread of its own until killed):

  server greeting-lines   "220-line N" every 0.5 s (100 lines), then "220 end"
  server greeting-bytes   "220 drip.example.test ESMTP" one byte every 0.5 s
  server ehlo-lines       a prompt greeting, then the EHLO reply a line
                          every 0.5 s (100 lines)
  server tls-bytes        a TLS record header claiming 16 KiB, then one byte
                          every 0.5 s (for implicit TLS)
  server tls13-silent CERT KEY
                          SMTP with STARTTLS; after it, a ClientHello that
                          offers TLS 1.2 gets a TLS 1.2 server (Python's ssl,
                          CERT a PEM chain, KEY its key; EHLO, QUIT over it),
                          one that offers only TLS 1.3 gets no answer at all
                          (the connection stays open until the client hangs up)

Clients (connect to 127.0.0.1:PORT, print what happened as key=value lines,
and give up on their own after 30 s):

  client trickle PORT [FILE]  after the greeting, "EHLO ..." one byte a second
  client noop PORT        after the greeting, "NOOP" every 0.5 s
  client data PORT        EHLO, MAIL, RCPT, DATA, then the message one byte
                          every 0.5 s

With a FILE after PORT, a client keeps its socket open after the server
closed until FILE exists (at most 30 s), so the caller can check that the
server freed the connection's slot on its own.

Client output: "greeting=CODE", one "reply=LINE" per reply line received
after the greeting, "eof_ms=N" (milliseconds from the first byte the client
dripped to the server's close; "eof_ms=none" if it never closed), "sent=N"
bytes dripped.
"""
import os
import select
import socket
import ssl
import sys
import threading
import time

DRIP = 0.5


def drip_lines(c, lines):
    for line in lines:
        c.sendall(line)
        time.sleep(DRIP)


def drip_bytes(c, data):
    for i in range(len(data)):
        c.sendall(data[i:i + 1])
        time.sleep(DRIP)


def client_hello(c):
    """The first TLS record (a ClientHello), peeked: it stays unread. None
    when it does not come within 10 s or is not a handshake record."""
    want, data, end = 5, b"", time.monotonic() + 10
    while len(data) < want and select.select([c], [], [], end - time.monotonic())[0]:
        data = c.recv(want, socket.MSG_PEEK)
        if not data or data[0] != 0x16:
            return None
        if len(data) >= 5:
            want = 5 + int.from_bytes(data[3:5], "big")
        if len(data) < want:
            time.sleep(0.01)    # more of the record is on its way
    return data if len(data) >= want else None


def offers_tls12(hello):
    """Does the ClientHello offer TLS 1.2? Without a supported_versions
    extension its legacy version says; with one, the list."""
    p = 5 + 4 + 2 + 32                              # headers, version, random
    p += 1 + hello[p]                               # session id
    p += 2 + int.from_bytes(hello[p:p + 2], "big")  # cipher suites
    p += 1 + hello[p]                               # compression methods
    end = p + 2 + int.from_bytes(hello[p:p + 2], "big")
    p += 2
    while p + 4 <= end:
        typ = int.from_bytes(hello[p:p + 2], "big")
        n = int.from_bytes(hello[p + 2:p + 4], "big")
        if typ == 43:                               # supported_versions
            vers = hello[p + 5:p + 5 + hello[p + 4]]
            return any(vers[i:i + 2] == b"\x03\x03" for i in range(0, len(vers), 2))
        p += 4 + n
    return hello[9:11] >= b"\x03\x03"


def smtp_lines(f, send, tls):
    """A minimal SMTP dialogue until QUIT or EOF; True after STARTTLS."""
    for line in f:
        verb = line.strip().upper()[:8]
        if verb.startswith(b"EHLO"):
            send(b"250-silent.example.test\r\n" +
                 (b"250 SIZE 1000000\r\n" if tls else b"250 STARTTLS\r\n"))
        elif verb == b"STARTTLS" and not tls:
            send(b"220 go ahead\r\n")
            return True
        elif verb.startswith(b"QUIT"):
            send(b"221 bye\r\n")
            return False
        else:
            send(b"250 ok\r\n")
    return False


def tls13_silent(c, cert, key):
    c.sendall(b"220 silent.example.test ESMTP\r\n")
    # unbuffered: the ClientHello after STARTTLS must stay in the socket
    if not smtp_lines(c.makefile("rb", buffering=0), c.sendall, False):
        return
    hello = client_hello(c)
    if hello is None:
        return
    if not offers_tls12(hello):
        while c.recv(4096):     # no answer, until the client gives up
            pass
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    s = ctx.wrap_socket(c, server_side=True)
    smtp_lines(s.makefile("rb"), s.sendall, True)
    s.close()


def handle(mode, c, args=()):
    try:
        if mode == "greeting-lines":
            drip_lines(c, [b"220-drip line %d\r\n" % i for i in range(100)] +
                       [b"220 end\r\n"])
        elif mode == "greeting-bytes":
            drip_bytes(c, b"220 drip.example.test ESMTP\r\n")
        elif mode == "ehlo-lines":
            c.sendall(b"220 drip.example.test ESMTP\r\n")
            f = c.makefile("rb")
            f.readline()
            drip_lines(c, [b"250-drip line %d\r\n" % i for i in range(100)] +
                       [b"250 end\r\n"])
        elif mode == "tls-bytes":
            drip_bytes(c, b"\x16\x03\x03\x40\x00" + b"\x02" * 16384)
        elif mode == "tls13-silent":
            tls13_silent(c, *args)
    except (OSError, ValueError, IndexError):
        pass
    c.close()


def server(mode, args=()):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    print(s.getsockname()[1], flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(mode, c, args), daemon=True).start()


class Reader(threading.Thread):
    """Collects reply lines and the time of EOF."""

    def __init__(self, f):
        super().__init__(daemon=True)
        self.f = f
        self.lines = []
        self.eof = None

    def run(self):
        try:
            for line in self.f:
                self.lines.append(line.decode("latin-1").rstrip("\r\n"))
        except OSError:
            pass
        self.eof = time.monotonic()


def read_reply(f):
    """One (multi-line) reply; its last line, or None at EOF."""
    while True:
        line = f.readline()
        if not line:
            return None
        line = line.decode("latin-1").rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return line


def client(mode, port, hold=None):
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = c.makefile("rb")
    greeting = read_reply(f)
    print("greeting=%s" % (greeting[:3] if greeting else "none"), flush=True)
    if mode == "data":
        for cmd in (b"EHLO drip.example.test", b"MAIL FROM:<a@example.test>",
                    b"RCPT TO:<b@example.test>", b"DATA"):
            c.sendall(cmd + b"\r\n")
            print("setup=%s" % read_reply(f), flush=True)
    rd = Reader(f)
    rd.start()
    start = time.monotonic()
    sent = 0
    if mode == "trickle":
        data = b"EHLO trickle.example.test\r\n" * 2
        step = 1.0
    elif mode == "noop":
        data = None
        step = DRIP
    else:
        data = b"Subject: slow\r\n\r\n" + b"x" * 60 + b"\r\n.\r\n"
        step = DRIP
    while rd.eof is None and time.monotonic() - start < 30:
        try:
            if data is None:
                c.sendall(b"NOOP\r\n")
                sent += 6
            elif sent < len(data):
                c.sendall(data[sent:sent + 1])
                sent += 1
        except OSError:
            break
        rd.join(step)
    rd.join(5)
    for line in rd.lines:
        print("reply=%s" % line)
    if rd.eof is None:
        print("eof_ms=none")
    else:
        print("eof_ms=%d" % int((rd.eof - start) * 1000))
    print("sent=%d" % sent, flush=True)
    while hold and not os.path.exists(hold) and time.monotonic() - start < 30:
        time.sleep(0.05)
    c.close()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "server":
        server(sys.argv[2], tuple(sys.argv[3:]))
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]),
               sys.argv[4] if len(sys.argv) == 5 else None)
    else:
        sys.exit("usage: drip_peer.py server MODE | client MODE PORT")


if __name__ == "__main__":
    main()
