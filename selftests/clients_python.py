#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A real client stack: Python's socket module over each protocol.

For every protocol in TCPFSM_PROTOS (default "6 253") a child process in its
own netns (unshare -n) runs a listener and a client on loopback through
socket.socket(AF_INET, SOCK_STREAM, proto): connect/accept with names and
SO_PROTOCOL checked, a line-by-line echo through makefile(), a bulk echo of
random data with shutdown(SHUT_WR) and EOF, a refused connect and the
timeout/non-blocking paths.  Output is TAP-like; exit status 0 when every
protocol passed, 1 otherwise.
"""

import hashlib
import os
import socket
import subprocess
import sys
import threading
import traceback

HOST = "127.0.0.1"


def echo(conn):
    """Send back everything until EOF, then close (the client sees EOF)."""
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)


def new_socket(proto):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    sock.settimeout(10)
    return sock


def check(proto):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    lst = new_socket(proto)
    assert lst.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) == proto
    assert lst.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM
    lst.bind((HOST, 0))
    lst.listen(4)
    addr = lst.getsockname()
    assert addr[0] == HOST and addr[1] != 0

    # Nothing pending: a non-blocking accept fails, a timed one times out.
    lst.setblocking(False)
    try:
        lst.accept()
        raise AssertionError("accept() without a client succeeded")
    except BlockingIOError:
        pass
    lst.settimeout(0.2)
    try:
        lst.accept()
        raise AssertionError("accept() without a client succeeded")
    except socket.timeout:
        pass
    lst.settimeout(10)

    cli = new_socket(proto)
    cli.connect(addr)
    conn, peer = lst.accept()
    assert peer == cli.getsockname(), (peer, cli.getsockname())
    assert cli.getpeername() == addr
    assert conn.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) == proto
    server = threading.Thread(target=echo, args=(conn,))
    server.start()

    # Request/response, one line at a time.
    f = cli.makefile("rwb")
    for i in range(100):
        line = b"line %d %s\n" % (i, b"x" * i)
        f.write(line)
        f.flush()
        got = f.readline()
        assert got == line, (got, line)
    f.close()

    # Bulk: a writer thread so the echo never waits for a reader.
    payload = os.urandom(512 * 1024 + 17)

    def writer():
        cli.sendall(payload)
        cli.shutdown(socket.SHUT_WR)

    wthread = threading.Thread(target=writer)
    wthread.start()
    digest = hashlib.sha256()
    total = 0
    while True:
        data = cli.recv(65536)
        if not data:
            break
        digest.update(data)
        total += len(data)
    wthread.join()
    server.join()
    assert total == len(payload), (total, len(payload))
    assert digest.digest() == hashlib.sha256(payload).digest()
    assert cli.recv(1) == b""
    cli.close()

    # The listener's port is known, so close it and be refused there.
    lst.close()
    ref = new_socket(proto)
    try:
        ref.connect(addr)
        raise AssertionError("connect() to a closed port succeeded")
    except ConnectionRefusedError:
        pass
    ref.close()


def one(proto):
    try:
        check(proto)
        return 0
    except Exception:  # report any failure as a TAP comment
        for line in traceback.format_exc().splitlines():
            print("# " + line)
        return 1


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        sys.exit(one(int(sys.argv[2])))
    protos = os.environ.get("TCPFSM_PROTOS", "6 253").replace(",", " ").split()
    print("1..%d" % len(protos), flush=True)
    failed = 0
    for n, proto in enumerate(protos, 1):
        try:
            rc = subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__),
                                 "--one", proto], timeout=60).returncode
        except subprocess.TimeoutExpired:
            print("# protocol %s: timed out" % proto)
            rc = 1
        print("%sok %d - python socket exchange over protocol %s"
              % ("not " if rc else "", n, proto), flush=True)
        failed |= rc != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
