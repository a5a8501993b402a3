#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# harness-selftest.sh KERNEL BUILD_DIR: the test harness tests itself.  A
# guest command's exit status must come back as vm-run's, and a WARN_ON in
# the guest must fail the run even though the command succeeded.  TAP out.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
k=$1
build=$2
n=0
fails=0

expect() {
	local want=$1 name=$2 got
	shift 2
	"$here/vm-run" -k "$k" -t 300 -- "$@" >/dev/null 2>&1
	got=$?
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n harness: $name (exit $got)"
	else
		echo "not ok $n harness: $name (exit $got, want $want)"
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
echo "1..2"
expect 3 "a failing guest command fails the run" bash -c 'exit 3'
expect 126 "a guest WARN_ON fails the run" \
	insmod "$build/../harness/tcpfsm_warn_on.ko"
[ $fails -eq 0 ]
