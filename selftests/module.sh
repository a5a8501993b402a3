#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module life cycle: load and unload, autoload through
# socket(AF_INET, SOCK_STREAM, 253), the proto parameter, that an open
# socket pins the module, that TIME_WAIT entries do not (unloading frees
# them; guest-check's kmemleak scan and vm-run's log check catch what is
# left), and 100 load/unload cycles with a connection in each.  Expects tcpfsm installed where modprobe finds it
# (scripts/guest-check does that in the VM).
set -u

# shellcheck disable=SC1091
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# Every check's output is shown: the figures are in it.
CHECK_VERBOSE=1

loaded() {
	grep -q '^tcpfsm ' /proc/modules
}

# A closed socket's last reference goes after an RCU grace period, so the
# module may stay busy for a moment after its last socket is closed.
unload() {
	local i

	for i in $(seq 50); do
		loaded || return 0
		rmmod tcpfsm 2>/dev/null && return 0
		sleep 0.1
	done
	rmmod tcpfsm
}
export -f loaded unload

if [ "$(id -u)" != 0 ] || ! modinfo tcpfsm >/dev/null 2>&1; then
	echo "1..0 # SKIP needs root and tcpfsm installed"
	exit $ksft_skip
fi

open_socket='import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253).close()'

# One connection over lo: 64 KiB one way, 1 KiB back, the client closes
# first and so keeps a TIME_WAIT entry.  "tw N": N connections, then print
# the TIME_WAIT count; "cycles N": N times load, one connection, unload.
# One python3 process drives the cycles: it holds no tcpfsm socket between
# them, and starting python3 100 times would take minutes under TCG.
# shellcheck disable=SC2089
conn_py='
import os, socket, subprocess, sys, time
P = 253
DATA = bytes(range(256)) * 256

def recv_n(s, n):
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        assert b, "early EOF"
        got += b
    return got

def conn():
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, P)
    l.bind(("127.0.0.1", 0))
    l.listen(1)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, P)
    c.settimeout(10)
    c.connect(l.getsockname())
    s, _ = l.accept()
    s.settimeout(10)
    c.sendall(DATA)
    assert recv_n(s, len(DATA)) == DATA, "corrupt"
    s.sendall(DATA[:1024])
    assert recv_n(c, 1024) == DATA[:1024], "corrupt"
    c.close()
    assert s.recv(1) == b""
    s.close()
    l.close()

def tw():
    return sum(" TIME_WAIT " in x for x in open("/proc/tcpfsm/conns"))

def unload():
    # The last socket reference goes after an RCU grace period.
    for _ in range(50):
        if subprocess.call(["rmmod", "tcpfsm"], stderr=subprocess.DEVNULL) == 0:
            return
        time.sleep(0.1)
    sys.exit("rmmod tcpfsm failed")

mode, n = sys.argv[1], int(sys.argv[2])
if mode == "tw":
    for _ in range(n):
        conn()
    print(tw())
else:
    start = time.time()
    for i in range(n):
        subprocess.check_call(["modprobe", "tcpfsm"])
        conn()
        assert tw() >= 1, "cycle %d: no TIME_WAIT entry" % i
        unload()
        assert not os.path.exists("/proc/tcpfsm"), "cycle %d: /proc/tcpfsm left" % i
    print("%d cycles in %.1f s" % (n, time.time() - start))
'
# shellcheck disable=SC2090
export conn_py

echo "TAP version 13"
echo "1..11"

check "unload" unload
check "proc and sysctl gone after unload" \
	bash -c '[ ! -e /proc/tcpfsm ] && [ ! -e /proc/sys/net/tcpfsm ]'
check "socket() autoloads the module" \
	bash -c "python3 -c '$open_socket' && grep -q '^tcpfsm ' /proc/modules"
check "proc and sysctl present after load" \
	bash -c '[ -r /proc/tcpfsm/conns ] && [ -r /proc/tcpfsm/stats ] &&
		 [ "$(cat /proc/sys/net/tcpfsm/msl_ms)" = 30000 ]'
check "proto parameter defaults to 253" \
	bash -c '[ "$(cat /sys/module/tcpfsm/parameters/proto)" = 253 ]'
check "an open socket pins the module" bash -c "
	modprobe tcpfsm || exit 1
	rm -f /tmp/module.sh.ready
	python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
open(\"/tmp/module.sh.ready\", \"w\").close()
time.sleep(30)' &
	py=\$!
	for i in \$(seq 200); do [ -e /tmp/module.sh.ready ] && break; sleep 0.1; done
	[ -e /tmp/module.sh.ready ] || { kill \$py; exit 1; }
	! rmmod tcpfsm 2>/dev/null
	pinned=\$?
	kill \$py
	wait \$py
	[ \$pinned = 0 ] && unload"
check "proto=254 registers on 254 and refuses 253" bash -c "
	unload && modprobe tcpfsm proto=254 &&
	[ \"\$(cat /sys/module/tcpfsm/parameters/proto)\" = 254 ] &&
	python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 254).close()' &&
	! python3 -c '$open_socket' 2>/dev/null && unload"
check "a taken protocol number is refused" bash -c "
	unload && ! modprobe tcpfsm proto=6 2>/dev/null && ! grep -q '^tcpfsm ' /proc/modules"
check "load/unload 20 times" bash -c '
	for i in $(seq 20); do modprobe tcpfsm && unload || exit 1; done'
check "unload with TIME_WAIT entries pending frees them" bash -c '
	modprobe tcpfsm && echo 60000 >/proc/sys/net/tcpfsm/msl_ms || exit 1
	tw=$(python3 -c "$conn_py" tw 20) || exit 1
	echo "TIME_WAIT entries before unload: $tw"
	[ "$tw" -ge 20 ] || exit 1
	unload && [ ! -e /proc/tcpfsm ] && [ ! -e /proc/sys/net/tcpfsm ] &&
		! grep -q "^tcpfsm " /proc/modules'
# The debug kernel (not a Debian -amd64 one) is 5-10 times slower: 20 there.
cycles=100
case $(uname -r) in *-amd64) ;; *) cycles=20 ;; esac
check "load/unload $cycles times, a connection in each" \
	bash -c "unload && python3 -c \"\$conn_py\" cycles $cycles"

# Leave the module loaded, as the run found it.
modprobe tcpfsm
[ $fails -eq 0 ]
