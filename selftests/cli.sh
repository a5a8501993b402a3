#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/tcpfsm/tcpfsm, the command-line tool, against real connections
# between two netns joined by veth: conns (table, -j, filters), stats,
# kill (the owner sees ECONNRESET), watch (a connection's whole life on
# each side), trace (the four-way close with ack = seq + 1, from the
# active closer in TIME_WAIT and from the passive one in CLOSE_WAIT, whose
# peer is found in the other netns) and the exit codes (2 usage, 3 no such
# connection).  Needs root and tcpfsm loaded; output is TAP-like.
set -u

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
# shellcheck disable=SC1091
. "$top/selftests/lib.sh"
tool=$top/tools/tcpfsm/tcpfsm
dir=$(mktemp -d)
srv=tcpfsm-cli-srv-$$
cli=tcpfsm-cli-cli-$$
S=10.77.0.1
C=10.77.0.2
pids=()
# Deadline for every wait on a condition, generous for the debug kernel
# under TCG: a condition met returns at once.
T=120

# status WANT NAME CMD...: CMD must exit with WANT.
status() {
	local want=$1 name=$2 rc
	shift 2
	"$@" >"$dir/out" 2>&1
	rc=$?
	if [ $rc = "$want" ]; then
		ok "$name (exit $rc)"
	else
		not_ok "$name (exit $rc, want $want)"
		sed 's/^/# /' "$dir/out"
	fi
}

in_srv() { ip netns exec "$srv" "$@"; }
in_cli() { ip netns exec "$cli" "$@"; }

cleanup() {
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ] || [ ! -d /proc/tcpfsm ]; then
	echo "1..0 # SKIP needs root and tcpfsm loaded"
	exit $ksft_skip
fi
if [ ! -x "$tool" ]; then
	echo "1..0 # SKIP $tool not built (make tools)"
	exit $ksft_skip
fi
echo "TAP version 13"

# --- usage and exit codes that need no connection --------------------------
status 2 "no command is a usage error" "$tool"
status 2 "an unknown command is a usage error" "$tool" frob
status 2 "kill with one endpoint is a usage error" "$tool" kill 10.0.0.1:1
status 2 "trace with a bad endpoint is a usage error" "$tool" trace a b
status 2 "an unknown state is a usage error" "$tool" conns state bogus
status 2 "an unknown option is a usage error" "$tool" --frob conns
check "--help explains every command and the exit codes" bash -c "
	'$tool' --help >'$dir/help' &&
	for w in conns watch kill stats trace 'Exit status' 'no such connection'; do
		grep -q \"\$w\" '$dir/help' || { echo \"no '\$w'\"; exit 1; }
	done"

# --- two netns over veth -----------------------------------------------------
ip netns add "$srv" && ip netns add "$cli" &&
ip link add veth-cli netns "$cli" type veth peer name veth-srv netns "$srv" &&
ip -n "$srv" addr add $S/24 dev veth-srv &&
ip -n "$cli" addr add $C/24 dev veth-cli &&
ip -n "$srv" link set lo up && ip -n "$cli" link set lo up &&
ip -n "$srv" link set veth-srv up && ip -n "$cli" link set veth-cli up || {
	not_ok "set up two netns over veth"
	echo "1..$n"
	exit 1
}
# TIME_WAIT must outlast the looks at it below: 2 MSL of 8 s, 40 s on the
# debug kernel (kmemleak), 5-10 times slower under TCG.
msl=4000
[ -e /sys/kernel/debug/kmemleak ] && msl=20000
echo $msl | in_cli tee /proc/sys/net/tcpfsm/msl_ms >/dev/null

# watch, one per side, from before the connections are made.  A listener
# opened and closed on port 7999 shows each is subscribed.
# -N, not ip netns exec: $! must be the tool itself, to be killed.
"$tool" -N "$cli" watch >"$dir/watch-cli" 2>&1 &
pids+=($!)
"$tool" -N "$srv" watch >"$dir/watch-srv" 2>&1 &
pids+=($!)
poke='import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
s.bind(("0.0.0.0", 7999)); s.listen(1); s.close()'
subscribed() {
	in_cli python3 -c "$poke" && in_srv python3 -c "$poke" &&
	grep -q ':7999 ' "$dir/watch-cli" && grep -q ':7999 ' "$dir/watch-srv"
}
check "watch is subscribed in both netns" wait_for $T subscribed

# The connections: A (port 7001) lives its whole life, B (port 7002) is
# killed from the server side.  Steps are driven by files in $dir.
cat >"$dir/conns.py" <<'EOF'
import ctypes, errno, os, socket, sys, threading, time
d, srv, cli = sys.argv[1:4]
libc = ctypes.CDLL(None, use_errno=True)
def enter(ns):
    with open("/run/netns/" + ns) as f:
        assert libc.setns(f.fileno(), 0x40000000) == 0
def wait(name):
    while not os.path.exists(os.path.join(d, name)):
        time.sleep(0.05)
def say(name, text=""):
    with open(os.path.join(d, name + ".tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(d, name + ".tmp"), os.path.join(d, name))
enter(srv)
la = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
la.bind(("10.77.0.1", 7001)); la.listen(4)
lb = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
lb.bind(("10.77.0.1", 7002)); lb.listen(4)
enter(cli)
ca = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
ca.connect(("10.77.0.1", 7001))
cb = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
cb.connect(("10.77.0.1", 7002))
sa, _ = la.accept()
sb, _ = lb.accept()
ca.sendall(b"hello")
assert sa.recv(5) == b"hello"
def owner_of_b():
    try:
        r = sb.recv(10)
        say("killed", "EOF" if not r else "DATA")
    except OSError as e:
        say("killed", errno.errorcode.get(e.errno, str(e.errno)))
threading.Thread(target=owner_of_b, daemon=True).start()
say("ports", "%d %d\n" % (ca.getsockname()[1], cb.getsockname()[1]))
wait("close-a")
ca.shutdown(socket.SHUT_WR)       # cli: FIN_WAIT_1 -> FIN_WAIT_2
assert sa.recv(10) == b""         # srv: CLOSE_WAIT
say("half-closed")
wait("close-a2")
sa.close()                        # srv: LAST_ACK -> CLOSED; cli: TIME_WAIT
say("closed")
wait("exit")
EOF
python3 "$dir/conns.py" "$dir" "$srv" "$cli" >"$dir/conns.log" 2>&1 &
pids+=($!)
if ! wait_for $T test -s "$dir/ports"; then
	not_ok "connections A and B set up"
	sed 's/^/# /' "$dir/conns.log"
	echo "1..$n"
	exit 1
fi
read -r A B <"$dir/ports"
ok "connections A ($C:$A) and B ($C:$B) set up"

# --- conns ---------------------------------------------------------------
check "conns shows listeners and connections (srv)" bash -c "
	ip netns exec $srv '$tool' conns >'$dir/t' || exit 1
	cat '$dir/t'
	head -1 '$dir/t' | grep -q '^State.*Local.*Remote' &&
	grep -Eq '^LISTEN .* $S:7001 +0\.0\.0\.0:0' '$dir/t' &&
	grep -Eq '^LISTEN .* $S:7002 +0\.0\.0\.0:0' '$dir/t' &&
	grep -Eq '^ESTABLISHED .* $S:7001 +$C:$A ' '$dir/t' &&
	grep -Eq '^ESTABLISHED .* $S:7002 +$C:$B ' '$dir/t' &&
	[ \$(wc -l <'$dir/t') = 5 ]"
check "conns -j is JSON with the same connections" in_srv python3 -c "
import json, subprocess
j = json.loads(subprocess.run(['$tool', '-j', 'conns'], check=True,
                              capture_output=True, text=True).stdout)
got = sorted((c['state'], c['local_addr'], c['local_port'], c['remote_addr'],
              c['remote_port']) for c in j)
want = sorted([('LISTEN', '$S', 7001, '0.0.0.0', 0),
               ('LISTEN', '$S', 7002, '0.0.0.0', 0),
               ('ESTABLISHED', '$S', 7001, '$C', $A),
               ('ESTABLISHED', '$S', 7002, '$C', $B)])
assert got == want, got
est = [c for c in j if c['state'] == 'ESTABLISHED' and c['local_port'] == 7001][0]
for k in ('snd_una', 'snd_nxt', 'rcv_nxt', 'send_queue', 'recv_queue',
          'history_count', 'history'):
    assert k in est, k
assert [h['to'] for h in est['history']][-2:] == ['SYN_RECEIVED', 'ESTABLISHED'], est['history']
"
rows() { # rows NETNS ARGS...: the table's rows (no header), one per line
	local ns=$1
	shift
	ip netns exec "$ns" "$tool" conns "$@" | tail -n +2
}
check "conns state listen: the two listeners only" bash -c "
	r=\$(ip netns exec $srv '$tool' conns state listen | tail -n +2)
	echo \"\$r\"; [ \$(echo \"\$r\" | grep -c '^LISTEN ') = 2 ] &&
	[ \$(echo \"\$r\" | wc -l) = 2 ]"
check "conns port 7002: listener and connection B" bash -c "
	r=\$(ip netns exec $srv '$tool' conns port 7002 | tail -n +2)
	echo \"\$r\"; [ \$(echo \"\$r\" | wc -l) = 2 ] && ! echo \"\$r\" | grep -q 7001"
check "conns state ESTABLISHED sport 7001: connection A only" bash -c "
	r=\$(ip netns exec $srv '$tool' conns state ESTABLISHED sport 7001 | tail -n +2)
	echo \"\$r\"; [ \$(echo \"\$r\" | wc -l) = 1 ] && echo \"\$r\" | grep -q ':$A '"
check "conns dport 7002 (cli): connection B only" bash -c "
	r=\$(ip netns exec $cli '$tool' conns dport 7002 | tail -n +2)
	echo \"\$r\"; [ \$(echo \"\$r\" | wc -l) = 1 ] && echo \"\$r\" | grep -q '$C:$B '"
check "conns state time-wait with none: header-less, exit 0" bash -c "
	[ -z \"\$(ip netns exec $cli '$tool' conns state time-wait)\" ] &&
	[ \"\$(ip netns exec $cli '$tool' -j conns state time-wait)\" = '[]' ]"

# --- stats ---------------------------------------------------------------
check "stats: the counters of /proc/tcpfsm/stats" in_cli bash -c "
	'$tool' stats >'$dir/s' || exit 1
	cat '$dir/s'
	while read -r k v; do
		got=\$(awk -v k=\$k '\$1 == k { print \$2 }' '$dir/s')
		# The reaper's live figures may move between the two reads.
		case \$k in
		TimeWaitCurrent|Reaper*) [ -n \"\$got\" ] && continue ;;
		esac
		[ \"\$got\" = \"\$v\" ] ||
			{ echo \"\$k: /proc says \$v\"; exit 1; }
	done </proc/tcpfsm/stats
	[ \$(awk '\$1 == \"ActiveOpens\" { print \$2 }' '$dir/s') -ge 2 ]"
check "stats -j is JSON" in_cli python3 -c "
import json, subprocess
j = json.loads(subprocess.run(['$tool', 'stats', '-j'], check=True,
                              capture_output=True, text=True).stdout)
proc = dict(l.split() for l in open('/proc/tcpfsm/stats'))
assert j['active-opens'] == int(proc['ActiveOpens']) >= 2, j
assert len(j) == len(proc), (len(j), len(proc))
"

# --- kill ----------------------------------------------------------------
check "kill B from the server side" in_srv "$tool" kill $S:7002 $C:$B
wait_for $T test -s "$dir/killed"
check "B's owner sees ECONNRESET" bash -c "
	cat '$dir/killed'; [ \"\$(cat '$dir/killed')\" = ECONNRESET ]"
# The client's end goes when our RST reaches it, over veth.
b_gone() {
	! ip netns exec "$srv" "$tool" conns | grep -q ":$B" &&
	! ip netns exec "$cli" "$tool" conns | grep -q ":$B "
}
check "B is gone on both sides" wait_for $T b_gone
status 3 "kill of a connection that is gone" in_srv "$tool" kill $S:7002 $C:$B
status 3 "trace of an unknown connection" in_cli "$tool" trace $C:1 $S:1

# --- the four-way close of A ----------------------------------------------
# parse_trace FILE: the figure's rows as "LEFT|ARROW|LABEL|RIGHT" lines.
cat >"$dir/parse.py" <<'EOF'
import re, sys
row = re.compile(r"^\s*(?:[\d.]+ ms)?\s+(\S+)( \*)?\s+(<?-+) (.+?) (-+>?)\s+(\S+)( \*)?$")
for line in open(sys.argv[1]):
    m = row.match(line.rstrip("\n"))
    if m:
        d = "->" if m.group(5).endswith(">") else "<-"
        print("|".join([m.group(1), d, m.group(4), m.group(6),
                        "inferred" if m.group(7) else "seen"]))
EOF
touch "$dir/close-a"
wait_for $T test -e "$dir/half-closed"
# The active closer reaches FIN_WAIT_2 when our ACK of its FIN arrives.
fw2() { ip netns exec "$cli" "$tool" conns state fin-wait-2 | grep -q "$C:$A "; }
wait_for $T fw2
check "trace from the passive side in CLOSE_WAIT, the peer found in its netns" bash -c "
	ip netns exec $srv '$tool' trace $S:7001 $C:$A >'$dir/tr1' || exit 1
	cat '$dir/tr1'
	grep -q 'its own recorded ones (found in network namespace $cli)' '$dir/tr1' &&
	python3 '$dir/parse.py' '$dir/tr1' >'$dir/rows1' &&
	grep -Eq '^CLOSE_WAIT\|<-\|FIN seq=[0-9]+\|FIN_WAIT_1\|seen' '$dir/rows1' &&
	grep -Eq '^CLOSE_WAIT\|->\|ACK ack=[0-9]+\|FIN_WAIT_2\|seen' '$dir/rows1'"

touch "$dir/close-a2"
wait_for $T test -e "$dir/closed"
tw() { ip netns exec "$cli" "$tool" conns state time-wait | grep -q "$C:$A "; }
check "the active closer's side is in TIME_WAIT" wait_for $T tw
check "trace of A in TIME_WAIT draws the four-way close" bash -c "
	ip netns exec $cli '$tool' trace $C:$A $S:7001 >'$dir/tr' || exit 1
	cat '$dir/tr'
	python3 '$dir/parse.py' '$dir/tr' >'$dir/rows' || exit 1
	cat '$dir/rows'
	ip netns exec $cli '$tool' -j conns sport $A >'$dir/a.json'
	python3 - '$dir/rows' '$dir/a.json' <<'EOF'
import json, re, sys
rows = [l.strip().split('|') for l in open(sys.argv[1])]
conn = json.load(open(sys.argv[2]))[0]
# left, arrow, label, right: the article's figure, in order
want = [('FIN_WAIT_1', '->', r'FIN seq=(\d+)', 'CLOSE_WAIT'),
        ('FIN_WAIT_2', '<-', r'ACK ack=(\d+)', 'CLOSE_WAIT'),
        ('TIME_WAIT', '<-', r'FIN seq=(\d+)', 'LAST_ACK'),
        ('TIME_WAIT', '->', r'ACK ack=(\d+)', 'CLOSED')]
assert len(rows) == 4, rows
nums = []
for r, w in zip(rows, want):
    assert (r[0], r[1], r[3]) == (w[0], w[1], w[3]), (r, w)
    nums.append(int(re.fullmatch(w[2], r[2]).group(1)))
x, ackx, y, acky = nums
assert ackx == x + 1, 'ACK of our FIN: ack %d != seq %d + 1' % (ackx, x)
assert acky == y + 1, 'ACK of their FIN: ack %d != seq %d + 1' % (acky, y)
assert conn['state'] == 'TIME_WAIT' and conn['snd_nxt'] == x + 1 and \
       conn['rcv_nxt'] == y + 1, conn
EOF"
check "trace labels the peer's states: seen or inferred (*), and says so" bash -c "
	grep -Eq 'inferred from this side|its own recorded ones' '$dir/tr'"

reaped() { ! ip netns exec "$cli" "$tool" conns | grep -q "$C:$A "; }
check "A's TIME_WAIT entry is reaped after 2 MSL" wait_for $((T + 2 * msl / 1000)) reaped
status 3 "trace of A once reaped: no such connection" in_cli "$tool" trace $C:$A $S:7001

# --- watch ---------------------------------------------------------------
# Both watchers have printed the lives' last events before they stop.
watched() {
	grep -Eq " $C:$A +$S:7001 +TIME_WAIT +-> CLOSED " "$dir/watch-cli" &&
	grep -Eq " $S:7001 +$C:$A +LAST_ACK +-> CLOSED " "$dir/watch-srv" &&
	grep -Eq " $S:7002 +$C:$B +ESTABLISHED +-> CLOSED " "$dir/watch-srv"
}
wait_for $T watched
kill "${pids[0]}" "${pids[1]}" 2>/dev/null
# seq FILE ENDPOINTS TRANSITION...: the transitions, in this order, on the
# lines of FILE for that connection.
seq_in() {
	local file=$1 ends=$2 got
	shift 2
	got=$(grep -E "$ends" "$file" | sed -E 's/.* ([A-Z_12]+) +-> ([A-Z_12]+) .*/\1>\2/' | tr '\n' ' ')
	echo "got:  $got"
	echo "want: $*"
	[ "$got" = "$* " ]
}
check "watch (cli) shows A's reaping with its lateness" \
	grep -Eq " $C:$A +$S:7001 +TIME_WAIT +-> CLOSED +timeout-2msl \(entry reaped [0-9.]+ ms after its deadline\)" "$dir/watch-cli"
check "watch (cli) shows A's life: connect to TIME_WAIT and its reaping" \
	seq_in "$dir/watch-cli" " $C:$A +$S:7001 " \
	CLOSED\>SYN_SENT SYN_SENT\>ESTABLISHED ESTABLISHED\>FIN_WAIT_1 \
	FIN_WAIT_1\>FIN_WAIT_2 FIN_WAIT_2\>TIME_WAIT TIME_WAIT\>CLOSED
check "watch (srv) shows A's life: SYN_RECEIVED to LAST_ACK, CLOSED" \
	seq_in "$dir/watch-srv" " $S:7001 +$C:$A " \
	LISTEN\>SYN_RECEIVED SYN_RECEIVED\>ESTABLISHED ESTABLISHED\>CLOSE_WAIT \
	CLOSE_WAIT\>LAST_ACK LAST_ACK\>CLOSED
check "watch (srv) shows B killed: ESTABLISHED -> CLOSED, abort" \
	grep -Eq " $S:7002 +$C:$B +ESTABLISHED +-> CLOSED +abort" "$dir/watch-srv"
check "watch -j -c 2: two JSON events, then exit 0" bash -c "
	'$tool' -N $cli -j watch -c 2 >'$dir/wj' &
	w=\$!
	for i in \$(seq 100); do
		ip netns exec $cli python3 -c '$poke'
		kill -0 \$w 2>/dev/null || break
		sleep 0.2
	done
	wait \$w || exit 1
	cat '$dir/wj'
	python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 2, ev
assert all(e[\"event\"] == \"transition\" and e[\"local_port\"] == 7999 for e in ev), ev
' '$dir/wj'"

touch "$dir/exit"
tap_done
