#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# long-run.sh fuzz [COUNT] | stress [SECONDS]: the long forms of two
# robustness tests, on the debug kernel (KASAN, lockdep, UBSAN, kmemleak)
# by default.  `make fuzz` runs selftests/robust_fuzz with COUNT segments
# (default 1,000,000; TCPFSM_FUZZ_SEED picks the seed); `make stress` runs
# selftests/robust_teardown with its stress test for SECONDS (default 60).
# LONG_KERNEL (default debug) and LONG_TIMEOUT (seconds, default 6 hours)
# choose the guest.  The guest fails on a splat or a leak, as under
# `make check`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
what=${1:-}
kernel=${LONG_KERNEL:-debug}
limit=${LONG_TIMEOUT:-21600}

case $what in
fuzz)	n=${2:-1000000}; prog=robust_fuzz; knobs=("TCPFSM_FUZZ_COUNT=$n")
	[ -n "${TCPFSM_FUZZ_SEED:-}" ] && knobs+=("TCPFSM_FUZZ_SEED=$TCPFSM_FUZZ_SEED") ;;
stress)	n=${2:-60}; prog=robust_teardown; knobs=("TCPFSM_STRESS_S=$n") ;;
*)	echo "usage: long-run.sh fuzz [COUNT] | stress [SECONDS]" >&2; exit 2 ;;
esac
case $n in
''|*[!0-9]*) echo "long-run.sh: '$n' is not a number" >&2; exit 2 ;;
esac

build=$("$here/build-module.sh" "$kernel")
make -s -C "$top/selftests" >&2
make -s -C "$top/tools/tcpfsm" >&2

# The guest gets argv only, not this environment: pass the knobs with
# env(1).  The kselftest runner's own limit is raised to the guest's.
echo "# long-run: $prog ${knobs[*]} on $kernel, limit ${limit}s" >&2
exec "$here/vm-run" -k "$kernel" -t "$limit" -- \
	env "${knobs[@]}" kselftest_override_timeout="$limit" \
	scripts/guest-check "$build" "$prog"
