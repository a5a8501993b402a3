# SPDX-License-Identifier: GPL-2.0
# Builds tcpfsm.ko in the repository root for kernel $(KVER).
modules:
	@test -d /lib/modules/$(KVER)/build || \
		{ echo "no headers for $(KVER): apt-get install linux-headers-$(KVER)"; exit 1; }
	$(MAKE) -C /lib/modules/$(KVER)/build M=$(TOP) modules
