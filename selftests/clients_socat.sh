#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A real, unmodified client: socat moves a ~2 MiB random file over each
# protocol in TCPFSM_PROTOS (default "6 253"), both ways (listener receives,
# then listener sends), each protocol in its own netns on loopback, and the
# sha256 of what arrived must match.  socat's generic SOCKET-LISTEN and
# SOCKET-CONNECT addresses take the protocol number and the sockaddr in
# hex: the bytes after sa_family, i.e. port and address in network order
# followed by the 8 zero bytes of sin_zero.
#
# Output is TAP-like; exit status 0 when every protocol passed, 1 otherwise.

set -u

PORT=5000
ADDR=127.0.0.1

# sockaddr_in without its family, as socat 1.7.4 wants it: x<port><addr><zero>
sockaddr_hex() {
	local port=$1 a b c d

	IFS=. read -r a b c d <<<"$2"
	printf 'x%04x%02x%02x%02x%02x0000000000000000' "$port" "$a" "$b" "$c" "$d"
}

# One protocol, already inside a private netns: both directions.
one() {
	local proto=$1 dir=$2 sa listen connect leg rc=0

	ip link set lo up || return 1
	sa=$(sockaddr_hex "$PORT" "$ADDR")
	listen="SOCKET-LISTEN:2:$proto:$sa,reuseaddr"
	connect="SOCKET-CONNECT:2:$proto:$sa,retry=50,interval=0.1"
	for leg in up down; do
		rm -f "$dir/out"
		if [ "$leg" = up ]; then
			timeout 30 socat -u "$listen" "OPEN:$dir/out,creat,trunc" &
			timeout 30 socat -u "OPEN:$dir/in" "$connect" || rc=1
		else
			timeout 30 socat -u "OPEN:$dir/in" "$listen" &
			timeout 30 socat -u "$connect" "OPEN:$dir/out,creat,trunc" || rc=1
		fi
		wait $! || rc=1
		if [ "$(sha256sum <"$dir/in")" != "$(sha256sum 2>/dev/null <"$dir/out")" ]; then
			echo "# proto $proto, $leg: sha256 differs" \
			     "($(stat -c %s "$dir/out" 2>/dev/null || echo no) bytes arrived)"
			rc=1
		fi
	done
	return $rc
}

if [ "${1:-}" = --one ]; then
	one "$2" "$3"
	exit
fi

command -v socat >/dev/null || { echo "not ok 1 - socat not installed"; exit 1; }
protos=${TCPFSM_PROTOS:-6 253}
protos=${protos//,/ }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
head -c $((2 * 1024 * 1024 + 4321)) /dev/urandom >"$dir/in"

# shellcheck disable=SC2086 # split the list on purpose
set -- $protos
echo "1..$#"
n=0
fail=0
for proto in $protos; do
	n=$((n + 1))
	if unshare -n "$0" --one "$proto" "$dir"; then
		echo "ok $n - socat file transfer over protocol $proto"
	else
		echo "not ok $n - socat file transfer over protocol $proto"
		fail=1
	fi
done
exit $fail
