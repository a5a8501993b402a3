// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/tcpfsm: "conns" lists the connections of the reader's netns,
 * "stats" its counters.  /proc/tcpfsm is one directory for all netns, so
 * each open pins the opener's netns, as /proc/self/net does.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>

#include "tcpfsm.h"

static struct proc_dir_entry *tcpfsm_proc_dir;

static const char *const tcpfsm_mib_names[TCPFSM_MIB_MAX] = {
	[TCPFSM_MIB_ACTIVEOPENS]	= "ActiveOpens",
	[TCPFSM_MIB_PASSIVEOPENS]	= "PassiveOpens",
	[TCPFSM_MIB_ATTEMPTFAILS]	= "AttemptFails",
	[TCPFSM_MIB_ESTABRESETS]	= "EstabResets",
	[TCPFSM_MIB_INSEGS]		= "InSegs",
	[TCPFSM_MIB_OUTSEGS]		= "OutSegs",
	[TCPFSM_MIB_RETRANSSEGS]	= "RetransSegs",
	[TCPFSM_MIB_INERRS]		= "InErrs",
	[TCPFSM_MIB_OUTRSTS]		= "OutRsts",
	[TCPFSM_MIB_INCSUMERRORS]	= "InCsumErrors",
	[TCPFSM_MIB_DROP_CSUM]		= "DropBadChecksum",
	[TCPFSM_MIB_DROP_HDR]		= "DropBadHeader",
	[TCPFSM_MIB_DROP_NOT_HOST]	= "DropNotForHost",
	[TCPFSM_MIB_DROP_NO_SOCKET]	= "DropNoSocket",
};

static int tcpfsm_conns_show(struct seq_file *seq, void *v)
{
	seq_printf(seq, "%-21s %-21s %-12s %10s %10s %10s %8s %8s %-9s %s\n",
		   "local", "remote", "state", "snd_una", "snd_nxt", "rcv_nxt",
		   "sendq", "recvq", "timer", "expires_ms");
	return 0;
}

static int tcpfsm_stats_show(struct seq_file *seq, void *v)
{
	struct net *net = seq->private;
	int i;

	for (i = 0; i < TCPFSM_MIB_MAX; i++)
		seq_printf(seq, "%s %lu\n", tcpfsm_mib_names[i],
			   tcpfsm_mib_read(net, i));
	return 0;
}

static int tcpfsm_proc_open(struct inode *inode, struct file *file)
{
	int (*show)(struct seq_file *seq, void *v) = pde_data(inode);
	struct net *net = get_net(current->nsproxy->net_ns);
	int err;

	err = single_open(file, show, net);
	if (err)
		put_net(net);
	return err;
}

static int tcpfsm_proc_release(struct inode *inode, struct file *file)
{
	struct seq_file *seq = file->private_data;

	put_net(seq->private);
	return single_release(inode, file);
}

static const struct proc_ops tcpfsm_proc_ops = {
	.proc_open	= tcpfsm_proc_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= tcpfsm_proc_release,
};

int tcpfsm_proc_init(void)
{
	tcpfsm_proc_dir = proc_mkdir("tcpfsm", NULL);
	if (!tcpfsm_proc_dir)
		return -ENOMEM;
	if (!proc_create_data("conns", 0444, tcpfsm_proc_dir, &tcpfsm_proc_ops,
			      tcpfsm_conns_show) ||
	    !proc_create_data("stats", 0444, tcpfsm_proc_dir, &tcpfsm_proc_ops,
			      tcpfsm_stats_show)) {
		proc_remove(tcpfsm_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void tcpfsm_proc_exit(void)
{
	proc_remove(tcpfsm_proc_dir);
}
