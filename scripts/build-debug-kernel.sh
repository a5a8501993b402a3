#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the tcpfsm debug kernel (KASAN, lockdep, UBSAN, kmemleak, debug
# objects, KUnit; see scripts/debug-kernel.config) from the unpacked
# linux-source-6.12 tree.  The distro kernels catch none of the memory and
# locking bugs these find, so the QEMU tests boot this one.
#
# The build is out of tree (O=) in $TCPFSM_CACHE/debug-kernel, which also
# serves as the tree external modules build against:
#	make -C .cache/debug-kernel M=$PWD/tcpfsm modules
# A hash of the inputs (fragment, this script, source version, toolchain) is
# written only once the build has finished, so an interrupted build is simply
# resumed by make and a finished one is reused.
#
# Prints the path of bzImage as the only line on stdout; progress goes to
# stderr, the full log to $TCPFSM_CACHE/debug-kernel/build.log.
# TCPFSM_DEBUG_KERNEL_FORCE=1 rebuilds even when the hash matches.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
cache=${TCPFSM_CACHE:-$top/.cache}
frag=$here/debug-kernel.config
self=$here/$(basename "${BASH_SOURCE[0]}")
obj=$cache/debug-kernel
log=$obj/build.log
stamp=$obj/.tcpfsm-hash
srcstamp=$obj/.tcpfsm-src
bzimage=$obj/arch/x86/boot/bzImage
start=$SECONDS

msg() {
	echo "build-debug-kernel: $*" >&2
}

die() {
	msg "$*"
	exit 1
}

elapsed() {
	local s=$((SECONDS - start))

	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# A parent make (e.g. the module Makefile) must not leak its flags or
# variable overrides into the kernel build, nor must a stray kconfig or
# kbuild setting from the environment.
unset MAKEFLAGS MFLAGS MAKELEVEL KCONFIG_CONFIG KCONFIG_ALLCONFIG KBUILD_OUTPUT

[ -s "$cache/kvers" ] || die "$cache/kvers missing: run scripts/setup.sh first"
# shellcheck disable=SC1091
. "$cache/kvers"
if [ -z "${LINUX_SRC:-}" ] || [ ! -f "$LINUX_SRC/.tcpfsm-version" ]; then
	die "no unpacked kernel source (LINUX_SRC=${LINUX_SRC:-}): run scripts/setup.sh"
fi
command -v pahole >/dev/null || die "pahole missing (dwarves): run scripts/setup.sh"
srcver=$(cat "$LINUX_SRC/.tcpfsm-version")

hash=$({
	cat "$frag" "$self"
	echo "$srcver"
	gcc --version | head -n 1
	pahole --version
} | sha256sum | cut -d ' ' -f 1)

kmake() {
	make -C "$LINUX_SRC" O="$obj" ARCH=x86_64 "$@"
}

# Every assignment in the fragment must be in the final .config; a
# "# CONFIG_FOO is not set" line only needs FOO not to be set (a symbol whose
# dependencies are off is absent from .config altogether).
check_config() {
	local line sym bad=0

	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$obj/.config" && continue
			sym=${line%%=*}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			grep -q "^$sym=" "$obj/.config" || continue
			;;
		*)
			continue
			;;
		esac
		msg "DROPPED: '$line' -> '$(grep -E "^(# )?${sym}[= ]" "$obj/.config" || echo absent)'"
		bad=1
	done <"$frag"
	return $bad
}

mkdir -p "$cache"
# One build at a time; a second caller waits and then reuses the result.
exec 9>"$cache/debug-kernel.lock"
flock 9

if [ -z "${TCPFSM_DEBUG_KERNEL_FORCE:-}" ] && [ -f "$bzimage" ] &&
   [ -f "$obj/Module.symvers" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
	msg "up to date: $obj ($(elapsed))"
	echo "$bzimage"
	exit 0
fi

rm -f "$stamp"
# Objects built from another source tree cannot be trusted: tar keeps the
# old mtimes, so make would not see the change.  Start over.
if [ -d "$obj" ] && [ "$(cat "$srcstamp" 2>/dev/null)" != "$LINUX_SRC $srcver" ]; then
	msg "kernel source changed, removing $obj"
	rm -rf "$obj"
fi
mkdir -p "$obj"
echo "$LINUX_SRC $srcver" >"$srcstamp"
: >"$log"

msg "configuring $srcver in $obj (log: $log)"
{
	kmake tinyconfig
	"$LINUX_SRC/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag"
	kmake olddefconfig
} >>"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	die "configuration failed"
}
check_config || die "options of $frag did not survive olddefconfig (see above)"

msg "building with $(nproc) jobs"
if ! kmake -j"$(nproc)" all >>"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "build failed after $(elapsed); full log: $log"
fi
if [ ! -f "$bzimage" ] || [ ! -f "$obj/Module.symvers" ]; then
	die "build finished without bzImage or Module.symvers; see $log"
fi

echo "$hash" >"$stamp.tmp"
mv "$stamp.tmp" "$stamp"
msg "built in $(elapsed)"
echo "$bzimage"
