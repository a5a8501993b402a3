# SPDX-License-Identifier: GPL-2.0
#
# tcpfsm: `make` builds tcpfsm.ko here for the default kernel (Debian's
# newest 6.12), `make KVER=<version>` for another installed one.
# Set-up (packages, kernels, sources) happens on first use, see
# scripts/setup.sh.  `make help` lists the targets.

TOP := $(CURDIR)
KVERS_FILE := $(TOP)/.cache/kvers
kvers = $(shell . $(KVERS_FILE) 2>/dev/null && echo $$$(1))

.PHONY: all modules setup all-kernels check static demo selftests \
	debug-kernel bench fuzz stress clean help tools

all: modules tools

# tcpfsm(8), the command-line tool (userspace, libmnl).
tools:
	@$(MAKE) -C $(TOP)/tools/tcpfsm

setup:
	@$(TOP)/scripts/setup.sh

# KVER is read after setup has picked the kernels, hence the sub-make.
modules: setup
	@$(MAKE) --no-print-directory -f $(TOP)/scripts/module.mk TOP=$(TOP) \
		KVER=$(if $(KVER),$(KVER),$(call kvers,KVER_612))

# Every supported kernel, each in its own .cache/build/<kernel>.
all-kernels: setup
	@for k in 6.1 6.12 debug; do \
		$(TOP)/scripts/build-module.sh $$k >/dev/null || exit 1; \
		echo "built .cache/build/$$k"; \
	done

debug-kernel: setup
	@$(TOP)/scripts/build-debug-kernel.sh

static: setup
	@$(TOP)/scripts/static-check.sh 6.1 6.12 debug

selftests: setup tools
	@$(MAKE) -C $(TOP)/selftests

check:
	@$(TOP)/scripts/check.sh

demo: setup tools
	@$(TOP)/scripts/demo.sh

# tcpfsm against Linux TCP in one 6.12 guest; see Documentation/performance.rst.
bench: setup
	@$(TOP)/scripts/bench.sh

# robust_fuzz with 1,000,000 segments on the debug kernel (FUZZ_COUNT=N
# for another count), and robust_teardown with a 60 s stress (STRESS_S=N).
fuzz: setup
	@$(TOP)/scripts/long-run.sh fuzz $(FUZZ_COUNT)

stress: setup
	@$(TOP)/scripts/long-run.sh stress $(STRESS_S)

clean:
	@rm -rf $(TOP)/.cache/build
	@rm -f tcpfsm.ko
	@$(MAKE) -s -C $(TOP)/tools/tcpfsm clean
	@-[ -e $(KVERS_FILE) ] && $(MAKE) -s -C $(TOP)/selftests clean
	@-for k in $(call kvers,KVER_612); do \
		$(MAKE) -s -C /lib/modules/$$k/build M=$(TOP) clean; done

help:
	@echo "make                 build tcpfsm.ko for Debian 6.12 (KVER=... for another)"
	@echo "make all-kernels     build for 6.1, 6.12 and the debug kernel"
	@echo "make check           static checks + kselftests in VMs on every kernel"
	@echo "                     (KERNELS=\"6.12\" TESTS=\"proc_sysctl\" for a subset)"
	@echo "make demo            boot a 6.12 VM and show tcpfsm at work"
	@echo "make tools           build tools/tcpfsm/tcpfsm, the command-line tool"
	@echo "make static          W=1, sparse and checkpatch only"
	@echo "make debug-kernel    build the KASAN/lockdep/kmemleak kernel"
	@echo "make fuzz            robust_fuzz, 1,000,000 segments, debug-kernel guest"
	@echo "                     (FUZZ_COUNT=N for another count)"
	@echo "make stress          robust_teardown with a 60 s stress, debug-kernel guest"
	@echo "                     (STRESS_S=N for another length)"
	@echo "make bench           CRR/RR/STREAM and TIME_WAIT at scale, tcpfsm vs TCP"
