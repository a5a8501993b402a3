#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gen-uapi.sh: regenerate include/uapi/linux/tcpfsm.h from
# Documentation/netlink/specs/tcpfsm.yaml with the kernel's ynl-gen-c.py
# (linux-source-6.12).  Run it after editing the spec; netlink_ynl.sh
# fails while the two disagree.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" >&2
# shellcheck disable=SC1091
. "$top/.cache/kvers"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The generator wants a kernel tree around the spec (it looks for
# MAINTAINERS and the schema beside specs/).
mkdir -p "$tmp/k/Documentation/netlink/specs"
touch "$tmp/k/MAINTAINERS"
cp "$LINUX_SRC/Documentation/netlink/genetlink.yaml" "$tmp/k/Documentation/netlink/"
cp "$top/Documentation/netlink/specs/tcpfsm.yaml" "$tmp/k/Documentation/netlink/specs/"
(cd "$tmp/k" && python3 "$LINUX_SRC/tools/net/ynl/ynl-gen-c.py" --mode uapi \
	--header --spec "$tmp/k/Documentation/netlink/specs/tcpfsm.yaml" \
	-o "$tmp/tcpfsm.h")
cp "$tmp/tcpfsm.h" "$top/include/uapi/linux/tcpfsm.h"
