#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KERNEL [make args...]: build tcpfsm.ko (and the harness's
# test module) for one kernel in .cache/build/KERNEL, so builds for several
# kernels never share object files.  KERNEL is a Debian version, "6.1",
# "6.12" or "debug".  Prints the build directory on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cache=${TCPFSM_CACHE:-$top/.cache}

kernel=${1:?kernel}
shift

"$here/setup.sh" >&2
# shellcheck disable=SC1091
. "$cache/kvers"
case $kernel in
6.1) kernel=$KVER_61 ;;
6.12) kernel=$KVER_612 ;;
esac
if [ "$kernel" = debug ]; then
	"$here/build-debug-kernel.sh" >/dev/null
	kdir=$cache/debug-kernel
	krel=$(cat "$kdir/include/config/kernel.release")
else
	kdir=/lib/modules/$kernel/build
	krel=$kernel
fi
[ -d "$kdir" ] || { echo "build-module: no kernel tree at $kdir" >&2; exit 2; }

out=$cache/build/$kernel
mkdir -p "$out"
# Mirror the sources, keeping objects and timestamps so make rebuilds
# only what changed; sources removed from the tree go here too.
# The harness's test module gets a directory of its own beside src/: 6.1's
# kbuild deletes the .mod.c files of an external module nested in another.
src=$out/src
harness=$out/harness
mkdir -p "$src/tcpfsm" "$harness"
for f in "$src"/tcpfsm/*.[ch]; do
	[ -e "$f" ] && [ ! -e "$top/tcpfsm/${f##*/}" ] && rm -f "$f" "${f%.c}.o"
done
cp -a "$top/tcpfsm"/. "$src/tcpfsm/"
cp -a "$top/Kbuild" "$src/"
# The UAPI headers (include/uapi/linux/), when there are any.
if [ -d "$top/include" ]; then
	mkdir -p "$src/include"
	cp -a "$top/include"/. "$src/include/"
fi
cp -a "$top/selftests/harness"/. "$harness/"
make -C "$kdir" M="$src" "$@" modules >&2
make -C "$kdir" M="$harness" "$@" modules >&2

# A module tree whose depmod output knows tcpfsm, made here because depmod
# over 9p in a TCG guest takes minutes.  The guest copies it in place.
modroot=$out/modroot
mods=$modroot/lib/modules/$krel
if [ ! -e "$mods/extra/tcpfsm.ko" ] || [ "$src/tcpfsm.ko" -nt "$mods/extra/tcpfsm.ko" ]; then
	rm -rf "$modroot"
	mkdir -p "$mods/extra"
	if [ "$kernel" = debug ]; then
		cp "$kdir"/modules.builtin* "$mods/" 2>/dev/null || true
	else
		ln -s "/lib/modules/$kernel/kernel" "$mods/kernel"
		cp /lib/modules/"$kernel"/modules.{order,builtin,builtin.modinfo} "$mods/"
	fi
	cp "$src/tcpfsm.ko" "$mods/extra/"
	depmod -b "$modroot" "$krel" >&2
fi
echo "$src"
