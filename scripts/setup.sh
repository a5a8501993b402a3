#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing tcpfsm needs, idempotently: only the
# packages that are missing are installed.  Kernel versions are picked with
# apt-cache (newest of each series) so a newer Debian point release works.
#
# Prints the chosen kernel versions to scripts/.kvers (sourced by the
# Makefile and the other scripts).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cache=${TCPFSM_CACHE:-$top/.cache}
mkdir -p "$cache"
stamp=$cache/kvers

export DEBIAN_FRONTEND=noninteractive

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return
	apt-get update -qq
	apt_updated=1
}

# Newest package matching an extended regex, by version sort.
newest() {
	apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -n 1
}

# Fast path: everything already there.
if [ -s "$stamp" ]; then
	# shellcheck disable=SC1090
	. "$stamp"
	if [ -d "/lib/modules/$KVER_61/build" ] && [ -d "/lib/modules/$KVER_612/build" ] &&
	   [ -f "/boot/vmlinuz-$KVER_61" ] && [ -f "/boot/vmlinuz-$KVER_612" ] &&
	   [ -f "$LINUX_SRC_TAR" ] && [ -f "$LINUX_SRC/.tcpfsm-version" ] && [ -z "${TCPFSM_SETUP_FORCE:-}" ] &&
	   command -v qemu-system-x86_64 sparse socat tshark bpftrace busybox \
		   >/dev/null 2>&1; then
		exit 0
	fi
fi

if ! apt-cache show linux-source-6.12 >/dev/null 2>&1 ||
   [ -z "$(newest '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$')" ]; then
	apt_update
fi

img61=$(newest '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$')
img612=$(newest '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$')
[ -n "$img61" ] && [ -n "$img612" ] || {
	echo "setup: cannot find Debian 6.1/6.12 -amd64-unsigned images" >&2
	exit 1
}
kver61=${img61#linux-image-}
kver61=${kver61%-unsigned}
kver612=${img612#linux-image-}
kver612=${kver612%-unsigned}

pkgs=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod
	python3 python3-yaml python3-jsonschema
	qemu-system-x86 busybox-static
	"$img61" "linux-headers-$kver61"
	"$img612" "linux-headers-$kver612"
	linux-source-6.12
	sparse socat tshark iproute2 bpftrace libmnl-dev pkg-config
	ethtool procps
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	apt_update
	# tshark asks whether non-root may capture; answer for it.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' |
		debconf-set-selections
	apt-get install -y -q --no-install-recommends "${missing[@]}" >"$cache/apt.log" 2>&1 || {
		tail -n 30 "$cache/apt.log" >&2
		exit 1
	}
fi

src=$(ls /usr/src/linux-source-6.12*.tar.* 2>/dev/null | sort -V | tail -n 1)
[ -n "$src" ] || { echo "setup: linux-source-6.12 tarball missing" >&2; exit 1; }

# The kselftest harness, lib.mk, checkpatch, ynl and the debug kernel all
# come from this tree; unpack it once per tarball version.
srcdir=$cache/linux-source-6.12
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
if [ "$(cat "$srcdir/.tcpfsm-version" 2>/dev/null)" != "$srcver" ]; then
	echo "setup: unpacking $src"
	rm -rf "$srcdir" "$srcdir.tmp"
	mkdir -p "$srcdir.tmp"
	tar -xf "$src" -C "$srcdir.tmp" --strip-components=1
	echo "$srcver" >"$srcdir.tmp/.tcpfsm-version"
	mv "$srcdir.tmp" "$srcdir"
fi

cat >"$stamp.tmp" <<EOT
KVER_61=$kver61
KVER_612=$kver612
LINUX_SRC_TAR=$src
LINUX_SRC=$srcdir
EOT
mv "$stamp.tmp" "$stamp"
echo "setup: kernels $kver61 $kver612"
