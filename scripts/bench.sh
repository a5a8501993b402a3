#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [tcpfsm-bench arguments]: `make bench`.  Builds
# tools/bench/tcpfsm-bench and tcpfsm.ko for Debian 6.12, and runs
# scripts/bench-guest in QEMU TCG guests (2 vCPUs, 4 GiB): one for the
# table (CRR, RR, STREAM over lo and veth) and lookup, one for TIME_WAIT
# at scale, each within its own time limit.  Arguments, if any, are the
# tool's, for a single guest run instead (e.g. `scripts/bench.sh -d 1 -r 3
# --cpu 0 crr rr`).
#
# The guests run on this machine's CPUs in software emulation, so other
# load here shows up in their figures: the host's load is printed before
# and after each; redo a run that overlapped other work.
#
# Environment: BENCH_TW (tcpfsm TIME_WAIT entries, default 200000, about
# 5 minutes under TCG; BENCH_TW=1000000 is the full run, about 25),
# BENCH_MEM (default 4G), BENCH_CPUS (default 2), BENCH_TIMEOUT (seconds
# per guest; default 1800, 3000 for the TIME_WAIT one: 1000000 entries at
# TCG's 1.5-2k/s, then the wait for their common deadline and their expiry),
# BENCH_LOG (also copy the output to this file).
# See Documentation/performance.rst.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
mem=${BENCH_MEM:-4G}
cpus=${BENCH_CPUS:-2}
tw=${BENCH_TW:-200000}

make -s -C "$top/tools/bench" >&2 || {
	echo "bench: building tools/bench/tcpfsm-bench failed" >&2
	exit 1
}
build=$("$here/build-module.sh" 6.12 2>/dev/null) || {
	echo "bench: building tcpfsm.ko failed; run 'make' to see why" >&2
	exit 1
}

guest() {
	local rc=0 start=$SECONDS timeout=${BENCH_TIMEOUT:-1800}

	[ "$1" != tw ] || timeout=${BENCH_TIMEOUT:-3000}
	echo "host: $(nproc) CPUs, load before: $(cat /proc/loadavg)"
	echo "host: guest 6.12, QEMU TCG, $cpus vCPUs, $mem, limit ${timeout}s: bench-guest $*"
	"$here/vm-run" -k 6.12 -t "$timeout" -m "$mem" -c "$cpus" -- \
		scripts/bench-guest "$build" "$@" || rc=$?
	echo "host: load after: $(cat /proc/loadavg)"
	echo "host: guest run took $((SECONDS - start)) s, status $rc"
	return "$rc"
}

run() {
	local rc=0 rc2=0

	if [ $# -gt 0 ]; then
		guest "$@" || rc=$?
	else
		guest table || rc=$?
		echo
		guest tw "$tw" || rc2=$?
		[ "$rc" -ne 0 ] || rc=$rc2
	fi
	[ "$rc" -eq 0 ] || echo "bench: failed with status $rc"
	return "$rc"
}

if [ -n "${BENCH_LOG:-}" ]; then
	run "$@" 2>&1 | tee "$BENCH_LOG"
	exit "${PIPESTATUS[0]}"
fi
run "$@"
