#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# static-check.sh KERNEL...: W=1 and sparse (C=2) builds of the module for
# each kernel, and checkpatch over the sources.  Prints one TAP line per
# check, with the offending output as comments; exits non-zero on any.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
# shellcheck disable=SC1091
. "$top/.cache/kvers"
rc=0

report() {
	local name=$1 out=$2
	if [ -s "$out" ]; then
		echo "not ok $name"
		sed -n '1,40s/^/# /p' "$out"
		rc=1
	else
		echo "ok $name"
	fi
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for k in "$@"; do
	# Warnings in our own files only: kernel headers are not ours to fix.
	# A clean rebuild, so every file is compiled under the flag.
	rm -rf "$top/.cache/build/$k"
	if "$here/build-module.sh" "$k" W=1 >/dev/null 2>"$out.log"; then
		grep -E '(warning|error):' "$out.log" | grep -E 'tcpfsm/|selftests/' >"$out"
	else
		cp "$out.log" "$out"
	fi
	report "W=1 build, $k" "$out"
	if "$here/build-module.sh" "$k" C=2 >/dev/null 2>"$out.log"; then
		grep -E '(warning|error):' "$out.log" | grep -E 'tcpfsm/|selftests/' >"$out"
	else
		cp "$out.log" "$out"
	fi
	report "sparse (C=2), $k" "$out"
	rm -f "$out.log"
done

# checkpatch in file mode.  What it flags that cannot apply is ignored
# per kind of file: version tests are compat.h's whole point, and user
# space has no __printf() or strscpy() and builds tests on flow-control
# macros and fixture-defining macros as kselftest_harness.h does.
checkpatch() {
	local ignore=$1
	shift
	[ $# -gt 0 ] || return 0
	(cd "$top" && "$LINUX_SRC/scripts/checkpatch.pl" --no-tree --terse \
		--show-types --ignore "FILE_PATH_CHANGES,$ignore" -f "$@") |
		grep -E 'WARNING|ERROR|CHECK'
}

listed() {
	(cd "$top" && git ls-files -co --exclude-standard "$@")
}

mapfile -t kernel < <(listed 'tcpfsm/*.[ch]' 'include/*.h' 'include/*/*/*.h' \
	'selftests/harness/*.c' | grep -v '^tcpfsm/compat.h$')
mapfile -t user < <(listed 'selftests/*.[ch]' 'tools/*.[ch]' 'tools/*/*.[ch]')
{
	checkpatch "" "${kernel[@]}"
	checkpatch LINUX_VERSION_CODE,CONSTANT_COMPARISON tcpfsm/compat.h
	checkpatch MACRO_WITH_FLOW_CONTROL,MULTISTATEMENT_MACRO_USE_DO_WHILE,VOLATILE,PREFER_DEFINED_ATTRIBUTE_MACRO,STRCPY,STRNCPY,NEW_TYPEDEFS \
		"${user[@]}"
} >"$out"
report "checkpatch ($((${#kernel[@]} + ${#user[@]} + 1)) files)" "$out"
exit $rc
