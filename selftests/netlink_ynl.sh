#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcpfsm generic netlink family through the kernel's own YNL client
# (tools/net/ynl/cli.py) and Documentation/netlink/specs/tcpfsm.yaml:
# the spec validates against genetlink.yaml, include/uapi/linux/tcpfsm.h is
# what ynl-gen-c.py makes of it, and cli.py can dump connections (states
# by name), get one, and read the counters (equal to /proc/tcpfsm/stats).
set -u

if [ -z "${TCPFSM_YNL_INNER:-}" ]; then
	TCPFSM_YNL_INNER=1 exec unshare -n "$0" "$@"
fi

here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd -P)
top=$(dirname "$here")
# shellcheck disable=SC1091
. "$here/lib.sh"
# shellcheck disable=SC1091
. "$top/.cache/kvers"
ynl=$LINUX_SRC/tools/net/ynl
spec=$top/Documentation/netlink/specs/tcpfsm.yaml
schema=$LINUX_SRC/Documentation/netlink/genetlink.yaml
tmp=$(mktemp -d)
trap 'kill $holder 2>/dev/null; rm -rf "$tmp"' EXIT
holder=
# Deadline for waits on a condition: cli.py (python, YAML) is slow on the
# debug kernel under TCG; a condition met returns at once.
T=120

cli() {
	python3 "$ynl/cli.py" --spec "$spec" --schema "$schema" "$@"
}

echo "TAP version 13"

# The generated header, from a tree laid out as the generator expects.
mkdir -p "$tmp/k/Documentation/netlink/specs"
touch "$tmp/k/MAINTAINERS"
cp "$schema" "$tmp/k/Documentation/netlink/"
cp "$spec" "$tmp/k/Documentation/netlink/specs/"
(cd "$tmp/k" && python3 "$ynl/ynl-gen-c.py" --mode uapi --header \
	--spec "$tmp/k/Documentation/netlink/specs/tcpfsm.yaml" -o "$tmp/tcpfsm.h")
diff -u "$top/include/uapi/linux/tcpfsm.h" "$tmp/tcpfsm.h"
result $? "include/uapi/linux/tcpfsm.h is ynl-gen-c.py's output for the spec"

# The connections below in a netns of our own, held open by a python
# process while cli.py looks.
ip link set lo up
python3 - "$tmp/ready" <<'PY' &
import socket, sys, time
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
l.bind(("127.0.0.1", 7777))
l.listen(4)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
c.connect(("127.0.0.1", 7777))
s, _ = l.accept()
open(sys.argv[1], "w").write("%d\n" % c.getsockname()[1])
time.sleep(100000)	# until killed by the EXIT trap
PY
holder=$!
wait_for $T test -s "$tmp/ready"
cport=$(cat "$tmp/ready")

cli --dump conn-get >"$tmp/dump" 2>&1
[ "$(grep -c "'state': 'established'" "$tmp/dump")" = 2 ] &&
	grep -q "'state': 'listen'" "$tmp/dump"
result $? "--dump conn-get: 2 established, 1 listen, by name"
sed 's/^/# /' "$tmp/dump" | head -n 40

cli --dump conn-get --json '{"state": "listen"}' >"$tmp/listen" 2>&1
[ "$(grep -c "'state'" "$tmp/listen")" = 1 ] &&
	grep -q "'local-port': 7777" "$tmp/listen"
result $? "--dump conn-get filtered by state"

# cli.py (6.12) prints ipv4 display hints but takes only numbers:
# 2130706433 is 127.0.0.1.
cli --do conn-get --json "{\"local-addr\": 2130706433, \"local-port\": $cport,
	\"remote-addr\": 2130706433, \"remote-port\": 7777}" >"$tmp/do" 2>&1
grep -q "'state': 'established'" "$tmp/do" &&
	grep -q "'cause': 'rcv-syn-ack'" "$tmp/do" &&
	grep -q "'cause': 'connect'" "$tmp/do" &&
	grep -q "'timer': " "$tmp/do"
result $? "--do conn-get by 4-tuple: state, history causes by name"
sed 's/^/# /' "$tmp/do"

cli --do stats-get >"$tmp/stats" 2>&1
grep -q "'active-opens': 1," "$tmp/stats" &&
	grep -q "'passive-opens': 1," "$tmp/stats" &&
	grep -q "'time-wait-reused'" "$tmp/stats"
result $? "--do stats-get: the counters"
sed 's/^/# /' "$tmp/stats"

# Every /proc counter has its stats-get twin, with the same value.  A
# connection of the tests above may still be moving into TIME_WAIT (slow on
# the debug kernel), so a counter may change between the two reads: try a
# until a deadline before calling a difference a failure.
compare_stats() {
	local name value attr got bad=0

	cli --do stats-get >"$tmp/stats" 2>&1
	while read -r name value; do
		attr=$(echo "$name" | sed -E 's/([a-z])([A-Z])/\1-\2/g; s/ACKs/acks/' |
		       tr 'A-Z' 'a-z')
		got=$(grep -o "'[a-z0-9-]*': [0-9]*" "$tmp/stats" |
		      sed -n "s/^'$attr': //p")
		[ -n "$got" ] || { echo "# no attribute for $name ($attr)"; bad=1; continue; }
		# InSegs/OutSegs may move between the two reads: only these two.
		case $name in
		InSegs|OutSegs) ;;
		*) [ "$got" = "$value" ] ||
			{ echo "# $name: proc $value, netlink $got"; bad=1; } ;;
		esac
	done </proc/tcpfsm/stats
	return $bad
}
bad=0
wait_for $T compare_stats || bad=1
result $bad "stats-get matches /proc/tcpfsm/stats name by name"

cli --do conn-get --json '{"local-addr": 2130706433, "local-port": 0,
	"remote-addr": 2130706433, "remote-port": 7777}' >"$tmp/bad" 2>&1
grep -q "local port must not be 0" "$tmp/bad"
result $? "extack message reaches cli.py"
sed 's/^/# /' "$tmp/bad" | tail -n 3
tap_done
