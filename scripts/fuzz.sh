#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh [COUNT]: build tcpfsm for the debug kernel (KASAN, lockdep,
# UBSAN, kmemleak) and run selftests/robust_fuzz with COUNT segments
# (default 1,000,000, or TCPFSM_FUZZ_COUNT) in a debug-kernel guest.
# TCPFSM_FUZZ_SEED picks the seed; FUZZ_KERNEL (default debug) and
# FUZZ_TIMEOUT (seconds, default 6 hours) the guest.  `make fuzz` runs it.
# The guest fails on a splat or a leak, as under `make check`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
count=${1:-${TCPFSM_FUZZ_COUNT:-1000000}}
kernel=${FUZZ_KERNEL:-debug}
limit=${FUZZ_TIMEOUT:-21600}

case $count in
''|*[!0-9]*) echo "fuzz.sh: COUNT must be a number, not '$count'" >&2; exit 2 ;;
esac

build=$("$here/build-module.sh" "$kernel")
make -s -C "$top/selftests" >&2

# The guest gets argv only, not this environment: pass the knobs with
# env(1).  The kselftest runner's own limit is raised to the guest's.
seed=()
[ -n "${TCPFSM_FUZZ_SEED:-}" ] && seed=("TCPFSM_FUZZ_SEED=$TCPFSM_FUZZ_SEED")
echo "# fuzz: $count segments on $kernel, limit ${limit}s" >&2
exec "$here/vm-run" -k "$kernel" -t "$limit" -- \
	env TCPFSM_FUZZ_COUNT="$count" kselftest_override_timeout="$limit" \
	"${seed[@]}" scripts/guest-check "$build" robust_fuzz
