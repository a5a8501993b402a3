// SPDX-License-Identifier: GPL-2.0
/*
 * A module that does nothing but WARN_ON() when loaded: the harness's own
 * test loads it in a guest and expects vm-run to fail the run because the
 * kernel log has a splat, even though insmod itself succeeds.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init warn_on_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit warn_on_exit(void)
{
}

module_init(warn_on_init);
module_exit(warn_on_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tcpfsm test harness: WARN_ON at load");
