#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module life cycle: load and unload, autoload through
# socket(AF_INET, SOCK_STREAM, 253), the proto parameter, and that an open
# socket pins the module.  Expects tcpfsm installed where modprobe finds it
# (scripts/guest-check does that in the VM).
set -u

ksft_skip=4
fails=0
n=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n $1"
}

check() {
	local name=$1
	shift
	if "$@" >/tmp/module.sh.out 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		sed 's/^/# /' /tmp/module.sh.out
	fi
}

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

echo "TAP version 13"
echo "1..9"

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

# Leave the module loaded, as the run found it.
modprobe tcpfsm
[ $fails -eq 0 ]
