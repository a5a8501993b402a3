# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh: TAP helpers for the shell selftests, sourced by them:
#   . "$(dirname "$(readlink -f "$0")")/lib.sh"
# ok NAME / not_ok NAME report one test; result STATUS NAME reports one by
# a command's status; check NAME CMD... runs CMD and reports its status,
# showing its output when it fails (always with CHECK_VERBOSE=1);
# wait_for SECONDS CMD... retries CMD until it succeeds or SECONDS pass;
# tap_done prints the plan and returns non-zero when anything failed.

# shellcheck disable=SC2034
ksft_skip=4
n=0
fails=0
lib_out=

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n $1"
}

result() {
	if [ "$1" = 0 ]; then
		ok "$2"
	else
		not_ok "$2"
	fi
}

check() {
	local name=$1 rc
	shift
	[ -n "$lib_out" ] || lib_out=$(mktemp)
	"$@" >"$lib_out" 2>&1
	rc=$?
	result $rc "$name"
	if [ $rc != 0 ] || [ "${CHECK_VERBOSE:-0}" = 1 ]; then
		sed 's/^/# /' "$lib_out"
	fi
	return $rc
}

# Conditions, not fixed sleeps: the debug kernel under TCG is slow, so
# deadlines are generous; a met condition returns at once.
wait_for() {
	local secs=$1 end
	shift
	end=$((SECONDS + secs))
	while :; do
		"$@" && return 0
		[ $SECONDS -ge $end ] && break
		sleep 0.1
	done
	return 1
}

tap_done() {
	[ -n "$lib_out" ] && rm -f "$lib_out"
	echo "1..$n"
	[ $fails -eq 0 ]
}
