# SPDX-License-Identifier: GPL-2.0
# Prints the selftests Makefile's test list, for scripts/guest-check.
include Makefile
list:
	@echo $(notdir $(TEST_GEN_PROGS)) $(TEST_PROGS)
