#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: boot a Debian 6.12 guest, load tcpfsm and show what a user
# comes for.  Runs scripts/demo-guest inside the VM.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$("$here/build-module.sh" 6.12 2>/dev/null) || {
	echo "demo: building tcpfsm.ko failed; run 'make' to see why" >&2
	exit 1
}
exec "$here/vm-run" -k 6.12 -t 600 -- scripts/demo-guest "$build"
