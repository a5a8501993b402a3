// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/sys/net/tcpfsm: per-netns knobs.  Each netns gets its own copy of
 * the table with .data pointing into its struct tcpfsm_net.
 */
#include <linux/slab.h>
#include <linux/sysctl.h>

#include "tcpfsm.h"

static int msl_ms_max = 3600 * 1000;	/* 2MSL of two hours is plenty */
static int retries_max = 255;

static struct ctl_table tcpfsm_sysctl_template[] = {
	{
		.procname	= "msl_ms",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &msl_ms_max,
	},
	{
		.procname	= "fin_timeout_ms",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &msl_ms_max,
	},
	{
		.procname	= "syn_retries",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &retries_max,
	},
	{
		.procname	= "retries",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &retries_max,
	},
	{
		/* Test only: non-zero makes every new ISN this value. */
		.procname	= "isn_test",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec,
	},
	{
		/* TIME_WAIT entries at most; beyond, connections just end. */
		.procname	= "max_tw",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
	},
	{
		/* Offer RFC 7323 window scaling in SYNs: 0 or 1. */
		.procname	= "window_scaling",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{ }	/* sentinel, still required by 6.1 */
};

/* Number of real entries, for kernels that take the size. */
#define TCPFSM_SYSCTL_N	(ARRAY_SIZE(tcpfsm_sysctl_template) - 1)

int tcpfsm_sysctl_net_init(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	void *data[TCPFSM_SYSCTL_N] = {
		&tn->msl_ms, &tn->fin_timeout_ms, &tn->syn_retries, &tn->retries,
		&tn->isn_test, &tn->max_tw, &tn->window_scaling,
	};
	struct ctl_table *table;
	size_t i;

	table = kmemdup(tcpfsm_sysctl_template, sizeof(tcpfsm_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < TCPFSM_SYSCTL_N; i++)
		table[i].data = data[i];

	tn->sysctl_hdr = tcpfsm_register_sysctl(net, "net/tcpfsm", table,
						TCPFSM_SYSCTL_N);
	if (!tn->sysctl_hdr) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

void tcpfsm_sysctl_net_exit(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	const struct ctl_table *table = tn->sysctl_hdr->ctl_table_arg;

	unregister_net_sysctl_table(tn->sysctl_hdr);
	kfree(table);
}
