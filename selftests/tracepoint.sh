#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcpfsm:tcpfsm_set_state tracepoint, seen through tracefs (a trace
# instance of our own) and by bpftrace at once: one connection's life on
# loopback in a private netns must fire it once per transition, with the
# addresses, ports, protocol 253, the old and new state and the cause, in
# this order:
#   listener  CLOSE -> LISTEN -> CLOSE
#   client    CLOSE -> SYN_SENT -> ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2
#             -> TIME_WAIT -> CLOSE (its TIME_WAIT entry reaped, 2 MSL later)
#   server    LISTEN -> SYN_RECV -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK
#             -> CLOSE
# Needs root and tcpfsm loaded; output is TAP-like.  The bpftrace half is
# a SKIP where bpftrace or the kernel's BPF (CONFIG_BPF_SYSCALL,
# CONFIG_BPF_EVENTS) is missing.
set -u

# shellcheck disable=SC1091
. "$(dirname "$(readlink -f "$0")")/lib.sh"
port=7101
dir=$(mktemp -d)

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

# bpftrace, attached before the life begins.  nsecs orders the lines:
# bpftrace's per-CPU buffers do not.
bpf_skip=
if ! command -v bpftrace >/dev/null; then
	bpf_skip="bpftrace is not installed"
elif [ ! -e /proc/sys/kernel/unprivileged_bpf_disabled ]; then
	bpf_skip="kernel without CONFIG_BPF_SYSCALL"
elif [ ! -e /sys/kernel/debug/kprobes ]; then
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
fi
bpf_pid=
bpf_gone() { ! kill -0 "$bpf_pid" 2>/dev/null; }
if [ -z "$bpf_skip" ]; then
	bpftrace -e '
tracepoint:tcpfsm:tcpfsm_set_state
/args->sport == '"$port"' || args->dport == '"$port"'/
{
	printf("%llu tcpfsm_set_state: protocol=%d sport=%d dport=%d saddr=%s daddr=%s oldstate=%d newstate=%d cause=%d\n",
	       nsecs, args->protocol, args->sport, args->dport,
	       ntop(args->saddr), ntop(args->daddr), args->oldstate,
	       args->newstate, args->cause);
}' >"$dir/bpftrace.out" 2>"$dir/bpftrace.err" &
	bpf_pid=$!
	# Its start (BTF, the probe) is slow on the debug kernel under TCG.
	for _ in $(seq 1200); do
		grep -q '^Attaching' "$dir/bpftrace.out" && break
		kill -0 $bpf_pid 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^Attaching' "$dir/bpftrace.out"; then
		ok "bpftrace attaches tracepoint:tcpfsm:tcpfsm_set_state"
	else
		not_ok "bpftrace attaches tracepoint:tcpfsm:tcpfsm_set_state"
		sed 's/^/# /' "$dir/bpftrace.out" "$dir/bpftrace.err"
		kill $bpf_pid 2>/dev/null
		wait $bpf_pid 2>/dev/null
		bpf_pid=
		bpf_skip=failed
	fi
else
	ok "bpftrace attaches tracepoint:tcpfsm:tcpfsm_set_state # SKIP $bpf_skip"
fi

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
def wait(cond):                    # generous: the debug kernel is slow
    end = time.monotonic() + 120
    while not cond() and time.monotonic() < end:
        time.sleep(0.05)
wait(lambda: "TIME_WAIT" in conns())
c.close()
wait(lambda: ":%d" % port not in conns())   # 2 MSL of 200 ms
print(conns())
EOF
life=$?
echo 0 >"$inst/events/tcpfsm/tcpfsm_set_state/enable"
cp "$inst/trace" "$dir/trace"
if [ -n "$bpf_pid" ]; then
	# SIGINT: bpftrace prints what its buffers hold, then exits.
	kill -INT $bpf_pid
	if ! wait_for 120 bpf_gone; then
		echo "# bpftrace did not stop on SIGINT"
		kill -KILL $bpf_pid
	fi
	wait $bpf_pid
	sort -n "$dir/bpftrace.out" | grep tcpfsm_set_state >"$dir/bpftrace.trace"
fi
if [ $life = 0 ]; then
	ok "a connection's life on loopback"
else
	not_ok "a connection's life on loopback"
	sed 's/^/# /' "$dir/life.log"
fi

cat >"$dir/check.py" <<'EOF'
import re, sys
port = int(sys.argv[2])
STATES = [None, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
          "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
          "LISTEN", "CLOSING"]
CAUSES = ["none", "connect", "listen", "close", "abort", "rcv-syn",
          "rcv-syn-ack", "rcv-ack", "rcv-fin", "rcv-fin-ack",
          "rcv-ack-of-fin", "rcv-rst", "timeout-2msl", "timeout-fin-wait-2",
          "timeout-retries", "icmp-unreach", "time-wait-dropped"]
ev = re.compile(r"tcpfsm_set_state: protocol=(\d+) sport=(\d+) dport=(\d+) "
                r"saddr=(\S+) daddr=(\S+) oldstate=(\S+) newstate=(\S+) cause=(\S+)")
seqs = {"listener": [], "client": [], "server": []}
for line in open(sys.argv[1]):
    m = ev.search(line)
    if not m:
        continue
    proto, sport, dport, saddr, daddr, old, new, cause = m.groups()
    # bpftrace prints the numbers (Linux TCP's states, the spec's causes).
    if old.isdigit():
        old, new = "TCP_" + STATES[int(old)], "TCP_" + STATES[int(new)]
        cause = CAUSES[int(cause)]
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
               "FIN_WAIT2>TIME_WAIT(rcv-fin)",
               # The socket hands over to its TIME_WAIT entry silently;
               # the entry fires this when reaped.
               "TIME_WAIT>CLOSE(timeout-2msl)"],
    "server": ["LISTEN>SYN_RECV(rcv-syn)", "SYN_RECV>ESTABLISHED(rcv-ack)",
               "ESTABLISHED>CLOSE_WAIT(rcv-fin)", "CLOSE_WAIT>LAST_ACK(close)",
               "LAST_ACK>CLOSE(rcv-ack-of-fin)"],
}
bad = 0
for who in ("listener", "client", "server"):
    ok = seqs[who] == want[who]
    print("%s %s: %s" % ("ok" if ok else "MISMATCH", who, " ".join(seqs[who])))
    if not ok:
        print("  want: " + " ".join(want[who]))
        bad = 1
sys.exit(bad)
EOF

# check_life NAME TRACE: TRACE holds the life, a line per transition, in order.
check_life() {
	if python3 "$dir/check.py" "$2" "$port" >"$dir/check.log" 2>&1; then
		ok "$1: one event per transition, in order, on each side"
		sed 's/^/# /' "$dir/check.log"
	else
		not_ok "$1: one event per transition, in order, on each side"
		sed 's/^/# /' "$dir/check.log"
		grep tcpfsm_set_state "$2" | head -30 | sed 's/^/# /'
	fi
}

check_life tracefs "$dir/trace"
if [ -n "$bpf_pid" ]; then
	check_life bpftrace "$dir/bpftrace.trace"
else
	ok "bpftrace: one event per transition, in order, on each side # SKIP ${bpf_skip/failed/bpftrace did not attach}"
fi

tap_done
