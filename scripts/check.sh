#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: everything `make check` does.
#   1. static checks (W=1, sparse, checkpatch) for each kernel;
#   2. the selftests built on the host;
#   3. per kernel, the kernels side by side: the harness's own tests (a
#      failing guest command and a guest WARN_ON must each fail a run),
#      then one guest that loads tcpfsm, runs the kselftests, unloads it
#      and scans for leaks.
# Ends with a line "N passed, N failed" over everything (skips on the
# line before).
#
# KERNELS="6.1 6.12 debug" (default: all) and TESTS="proc_sysctl ..."
# (default: all) select a subset for quick iteration.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cache=$top/.cache
KERNELS=${KERNELS:-6.1 6.12 debug}
TESTS=${TESTS:-}
VM_TIMEOUT=${VM_TIMEOUT:-3600}

"$here/setup.sh" || exit 1
mkdir -p "$cache/check"
log=$cache/check
passed=0 failed=0 skipped=0
start=$(date +%s)

# Add a TAP stream's results (file $1) to the totals, with label $2.
tally() {
	local p f s
	read -r p f s < <("$here/tap-summary.py" <"$1")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "# $2: $p passed, $f failed, $s skipped"
}

elapsed() {
	echo "$(( $(date +%s) - $1 ))s"
}

section() {
	echo "#"
	echo "# ==== $* ===="
}

section "static checks"
t=$(date +%s)
static_kernels=()
for k in $KERNELS; do
	static_kernels+=("$k")
done
"$here/static-check.sh" "${static_kernels[@]}" | tee "$log/static.tap"
tally "$log/static.tap" "static checks ($(elapsed "$t"))"

section "selftests build"
if make -s -C "$top/selftests" >"$log/selftests-build.log" 2>&1 &&
   make -s -C "$top/tools/tcpfsm" >>"$log/selftests-build.log" 2>&1; then
	echo "ok selftests build" | tee "$log/build.tap"
else
	{ echo "not ok selftests build"; sed 's/^/# /' "$log/selftests-build.log"; } |
		tee "$log/build.tap"
fi
tally "$log/build.tap" "selftests build"

# One kernel: build, the harness's self-test, the guest run.  Writes
# $log/harness-$k.tap and $log/$k.tap (with the run's own result last) and
# $log/$k.time.
run_kernel() {
	local k=$1 build vmrc t
	t=$(date +%s)
	: >"$log/harness-$k.tap"
	if ! build=$("$here/build-module.sh" "$k" 2>"$log/build-$k.log"); then
		{ echo "not ok build for $k"; tail -n 20 "$log/build-$k.log" |
			sed 's/^/# /'; } >"$log/$k.tap"
		return
	fi
	"$here/harness-selftest.sh" "$k" "$build" >"$log/harness-$k.tap"
	# shellcheck disable=SC2086
	"$here/vm-run" -k "$k" -t "$VM_TIMEOUT" -l "$log/console-$k.log" -- \
		scripts/guest-check "$build" $TESTS >"$log/$k.tap" 2>"$log/vm-$k.err"
	vmrc=$?
	sed 's/^/# /' "$log/vm-$k.err" >>"$log/$k.tap"
	# The run as a whole is a test too: a splat or a lost guest fails it
	# even when every test inside passed.
	if [ $vmrc -eq 0 ]; then
		echo "ok guest run on $k" >>"$log/$k.tap"
	else
		echo "not ok guest run on $k (vm-run exit $vmrc)" >>"$log/$k.tap"
	fi
	elapsed "$t" >"$log/$k.time"
}

# The kernels' guests run side by side, as many at a time as there are
# CPUs (CHECK_JOBS): TCG runs a guest on one host thread, so one after
# another would leave a core idle, while more guests than cores would
# slow each past its tests' time limits.  Each writes its own files; they
# are printed in order once all are done.
jobs=${CHECK_JOBS:-$(nproc)}
pids=()
for k in $KERNELS; do
	# The debug module needs the debug kernel, built once, up front.
	[ "$k" = debug ] && "$here/build-debug-kernel.sh" >/dev/null
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	run_kernel "$k" &
	pids+=($!)
done
wait "${pids[@]}"

for k in $KERNELS; do
	section "kernel $k"
	cat "$log/harness-$k.tap"
	[ -s "$log/harness-$k.tap" ] && tally "$log/harness-$k.tap" "harness self-test on $k"
	cat "$log/$k.tap"
	tally "$log/$k.tap" "kernel $k ($(cat "$log/$k.time" 2>/dev/null || echo failed))"
done

section "summary ($(elapsed "$start"))"
echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
