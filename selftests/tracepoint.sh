#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcpfsm:tcpfsm_set_state tracepoint, through tracefs (a trace
# instance of our own): one connection's life on loopback in a private
# netns must fire it once per transition, with the addresses, ports,
# protocol 253, the old and new state and the cause, in this order:
#   listener  CLOSE -> LISTEN -> CLOSE
#   client    CLOSE -> SYN_SENT -> ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2
#             -> TIME_WAIT (-> CLOSE as the TIME_WAIT entry takes over)
#   server    LISTEN -> SYN_RECV -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK
#             -> CLOSE
# Needs root and tcpfsm loaded; output is TAP-like.
set -u

ksft_skip=4
n=0
fails=0
port=7101
dir=$(mktemp -d)

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n $1"
}

if [ "$(id -u)" != 0 ] || [ ! -d /proc/tcpfsm ]; then
	echo "1..0 # SKIP needs root and tcpfsm loaded"
	exit $ksft_skip
fi
tracefs=/sys/kernel/tracing
[ -d $tracefs/events ] || mount -t tracefs nodev $tracefs 2>/dev/null
if [ ! -d $tracefs/events ]; then
	echo "1..0 # SKIP no tracefs"
	exit $ksft_skip
fi
echo "TAP version 13"

inst=$tracefs/instances/tcpfsm-selftest-$$
cleanup() {
	[ -d "$inst" ] && echo 0 >"$inst/events/tcpfsm/tcpfsm_set_state/enable"
	[ -d "$inst" ] && rmdir "$inst"
	rm -rf "$dir"
}
trap cleanup EXIT

if [ -r $tracefs/events/tcpfsm/tcpfsm_set_state/format ]; then
	ok "tcpfsm:tcpfsm_set_state is registered"
else
	not_ok "tcpfsm:tcpfsm_set_state is registered"
	echo "1..$n"
	exit 1
fi
fmt=$tracefs/events/tcpfsm/tcpfsm_set_state/format
missing=
for f in skaddr oldstate newstate sport dport family protocol saddr daddr cause; do
	grep -Eq "field:[^;]* $f(\[4\])?;" $fmt || missing="$missing $f"
done
if [ -z "$missing" ]; then
	ok "its fields are inet_sock_set_state's (IPv4) and the cause"
else
	not_ok "its fields are inet_sock_set_state's (IPv4) and the cause: missing$missing"
	sed 's/^/# /' $fmt
fi

mkdir "$inst" || { not_ok "trace instance"; echo "1..$n"; exit 1; }
echo "sport == $port || dport == $port" \
	>"$inst/events/tcpfsm/tcpfsm_set_state/filter"
echo 1 >"$inst/events/tcpfsm/tcpfsm_set_state/enable"

# One connection's life on loopback, in a netns of its own.
unshare -n python3 - "$port" >"$dir/life.log" 2>&1 <<'EOF'
import os, socket, sys, time
port = int(sys.argv[1])
os.system("ip link set lo up")
with open("/proc/sys/net/tcpfsm/msl_ms", "w") as f:
    f.write("100")
P = 253
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, P)
ls.bind(("127.0.0.1", port)); ls.listen(1)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, P)
c.connect(("127.0.0.1", port))
s, _ = ls.accept()
ls.close()
c.sendall(b"x"); assert s.recv(1) == b"x"
c.shutdown(socket.SHUT_WR)        # active close
assert s.recv(1) == b""
s.close()                          # passive close
def conns():
    return open("/proc/tcpfsm/conns").read()
for _ in range(100):
    if "TIME_WAIT" in conns():
        break
    time.sleep(0.05)
c.close()
for _ in range(100):               # 2 MSL of 200 ms
    if ":%d" % port not in conns():
        break
    time.sleep(0.05)
print(conns())
EOF
life=$?
echo 0 >"$inst/events/tcpfsm/tcpfsm_set_state/enable"
cp "$inst/trace" "$dir/trace"
if [ $life = 0 ]; then
	ok "a connection's life on loopback"
else
	not_ok "a connection's life on loopback"
	sed 's/^/# /' "$dir/life.log"
fi

python3 - "$dir/trace" "$port" >"$dir/check.log" 2>&1 <<'EOF'
import re, sys
port = int(sys.argv[2])
ev = re.compile(r"tcpfsm_set_state: protocol=(\d+) sport=(\d+) dport=(\d+) "
                r"saddr=(\S+) daddr=(\S+) oldstate=(\S+) newstate=(\S+) cause=(\S+)")
seqs = {"listener": [], "client": [], "server": []}
for line in open(sys.argv[1]):
    m = ev.search(line)
    if not m:
        continue
    proto, sport, dport, saddr, daddr, old, new, cause = m.groups()
    sport, dport = int(sport), int(dport)
    assert proto == "253", line
    if sport == port and dport == 0:
        who = "listener"
    elif sport == port:
        who = "server"
        assert daddr == "127.0.0.1", line
    else:
        who = "client"
        assert dport == port and daddr == "127.0.0.1", line
    seqs[who].append("%s>%s(%s)" % (old[4:], new[4:], cause))
want = {
    "listener": ["CLOSE>LISTEN(listen)", "LISTEN>CLOSE(close)"],
    "client": ["CLOSE>SYN_SENT(connect)", "SYN_SENT>ESTABLISHED(rcv-syn-ack)",
               "ESTABLISHED>FIN_WAIT1(close)", "FIN_WAIT1>FIN_WAIT2(rcv-ack-of-fin)",
               "FIN_WAIT2>TIME_WAIT(rcv-fin)"],
    # The full socket ends as its TIME_WAIT entry takes over (socket.c's
    # tcpfsm_time_wait() goes through the table's ABORT); the entry's own
    # end, 2 MSL later, is no socket's and fires no tracepoint.
    "client-handover": ["TIME_WAIT>CLOSE(abort)"],
    "server": ["LISTEN>SYN_RECV(rcv-syn)", "SYN_RECV>ESTABLISHED(rcv-ack)",
               "ESTABLISHED>CLOSE_WAIT(rcv-fin)", "CLOSE_WAIT>LAST_ACK(close)",
               "LAST_ACK>CLOSE(rcv-ack-of-fin)"],
}
bad = 0
for who in ("listener", "client", "server"):
    ok = seqs[who] in (want[who], want[who] + want.get(who + "-handover", []))
    print("%s %s: %s" % ("ok" if ok else "MISMATCH", who, " ".join(seqs[who])))
    if not ok:
        print("  want: " + " ".join(want[who]))
        bad = 1
sys.exit(bad)
EOF
if [ $? = 0 ]; then
	ok "one event per transition, in order, on each side"
	sed 's/^/# /' "$dir/check.log"
else
	not_ok "one event per transition, in order, on each side"
	sed 's/^/# /' "$dir/check.log"
	grep tcpfsm_set_state "$dir/trace" | head -30 | sed 's/^/# /'
fi

echo "1..$n"
[ $fails -eq 0 ]
