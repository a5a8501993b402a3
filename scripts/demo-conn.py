#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# demo-conn.py: one tcpfsm connection's life between two network
# namespaces, "srv" (10.53.0.1) and "cli" (10.53.0.2), joined by veth,
# shown step by step in each side's /proc/tcpfsm/conns.  The client
# closes first, so it is the active closer and the one in TIME_WAIT.
# Run as root inside a guest with tcpfsm loaded (scripts/demo-guest
# sets up the namespaces).
import ctypes
import os
import socket
import subprocess
import sys
import time

PROTO = 253
TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "tools", "tcpfsm", "tcpfsm")
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    """Switch this process to netns @ns (sockets keep the one they had)."""
    with open(f"/run/netns/{ns}") as f:
        if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
            sys.exit(f"setns {ns}: {os.strerror(ctypes.get_errno())}")


def conns(ns):
    out = subprocess.run(["ip", "netns", "exec", ns, "cat",
                          "/proc/tcpfsm/conns"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    return lines[0], [l for l in lines[1:] if ":5001" in l]


def show(step, why):
    print(f"\n## {step}")
    print(f"   {why}")
    for ns in ("cli", "srv"):
        header, rows = conns(ns)
        print(f"  [{ns}] {header}")
        for r in rows:
            print(f"  [{ns}] {r}")
        if not rows:
            print(f"  [{ns}] (no connection)")


def tool(ns, *args):
    """Run tools/tcpfsm/tcpfsm in netns @ns, showing the command line."""
    print(f"\n  [{ns}] $ tcpfsm {' '.join(args)}")
    out = subprocess.run(["ip", "netns", "exec", ns, TOOL, *args],
                         capture_output=True, text=True)
    for line in (out.stdout + out.stderr).splitlines():
        print(f"  [{ns}] {line}")


def wait_state(ns, state, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(r.split()[2] == state for r in conns(ns)[1]):
            return
        time.sleep(0.05)
    sys.exit(f"demo: {ns} never reached {state}")


def main():
    msl_ms = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    watch_dir = sys.argv[2] if len(sys.argv) > 2 else None

    enter("srv")
    lsk = socket.socket(socket.AF_INET, socket.SOCK_STREAM, PROTO)
    lsk.bind(("10.53.0.1", 5001))
    lsk.listen(1)
    enter("cli")
    with open("/proc/sys/net/tcpfsm/msl_ms", "w") as f:
        f.write(str(msl_ms))
    csk = socket.socket(socket.AF_INET, socket.SOCK_STREAM, PROTO)
    show("1. The server listens", "srv: socket(AF_INET, SOCK_STREAM, 253), "
         "bind 10.53.0.1:5001, listen")

    csk.connect(("10.53.0.1", 5001))
    csk_port = csk.getsockname()[1]
    ssk, _ = lsk.accept()
    lsk.close()
    show("2. Three-way handshake done: SYN, SYN-ACK, ACK",
         "cli connect() returned, srv accept() returned")
    print("\n   The same through the tool (generic netlink), as ss shows TCP:")
    tool("cli", "conns")
    tool("srv", "conns", "state", "established")

    csk.sendall(b"hello over protocol 253\n")
    print("\n   srv reads:", ssk.recv(100).decode().strip())

    csk.shutdown(socket.SHUT_WR)
    wait_state("cli", "FIN_WAIT_2")
    show("3. cli sends FIN (seq = x); srv ACKs it with ack = x + 1",
         "cli: ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2; "
         "srv: ESTABLISHED -> CLOSE_WAIT")

    print("\n   Half-way, both sides still have their sockets: trace finds "
          "the peer's\n   history in the other netns and draws both sides "
          "as they were:")
    tool("cli", "trace", f"10.53.0.2:{csk_port}", "10.53.0.1:5001")

    print("\n   srv reads EOF:", repr(ssk.recv(100)))
    ssk.sendall(b"the passive side may still send\n")
    print("   cli still reads in FIN_WAIT_2:", csk.recv(100).decode().strip())

    ssk.close()
    wait_state("cli", "TIME_WAIT")
    t0 = time.monotonic()
    show("4. srv sends its FIN (seq = y); cli ACKs it with ack = y + 1",
         "srv: CLOSE_WAIT -> LAST_ACK -> CLOSED (gone); "
         "cli: FIN_WAIT_2 -> TIME_WAIT")
    csk.close()
    print("\n   The closed connection, still in TIME_WAIT, drawn as the "
          "article draws the four-way close:")
    tool("cli", "trace", f"10.53.0.2:{csk_port}", "10.53.0.1:5001")

    print(f"\n   Only the active closer (cli) waits, 2MSL = {2 * msl_ms} ms "
          f"(msl_ms lowered from 30000 for the demo).")
    while any(r.split()[2] == "TIME_WAIT" for r in conns("cli")[1]):
        time.sleep(0.1)
    took = (time.monotonic() - t0) * 1000
    show(f"5. 2MSL later: the TIME_WAIT entry is reaped ({took:.0f} ms "
         "after we first saw it)",
         "cli: TIME_WAIT -> CLOSED")


if __name__ == "__main__":
    main()
