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
#include <net/inet_sock.h>

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
	[TCPFSM_MIB_DROP_OUT_OF_WINDOW]	= "DropOutOfWindow",
	[TCPFSM_MIB_DROP_BAD_ACK]	= "DropBadAck",
	[TCPFSM_MIB_DROP_BACKLOG]	= "DropListenOverflow",
	[TCPFSM_MIB_DROP_RCVBUF]	= "DropRcvBuf",
	[TCPFSM_MIB_DROP_STATE]		= "DropState",
	[TCPFSM_MIB_DROP_NOMEM]		= "DropNoMem",
	[TCPFSM_MIB_DROP_SOCK_BACKLOG]	= "DropSocketBacklog",
	[TCPFSM_MIB_DROP_DUP]		= "DropDuplicate",
	[TCPFSM_MIB_CHALLENGE_ACKS]	= "ChallengeACKs",
	[TCPFSM_MIB_TW_ENTERED]		= "TimeWaitEntered",
	[TCPFSM_MIB_TW_REAPED]		= "TimeWaitReaped",
	[TCPFSM_MIB_TW_REUSED]		= "TimeWaitReused",
	[TCPFSM_MIB_TW_OVERFLOW]	= "TimeWaitOverflow",
};

/* One socket's line; fields are read without its lock, as /proc/net/tcp. */
static void tcpfsm_conns_show_sock(struct seq_file *seq, struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	int state = inet_sk_state_load(sk);
	int kind = READ_ONCE(tp->timer_kind);
	char local[24], remote[24];
	unsigned long left = 0;
	u32 sendq, recvq;

	snprintf(local, sizeof(local), "%pI4:%u", &inet->inet_rcv_saddr,
		 READ_ONCE(inet->inet_num));
	snprintf(remote, sizeof(remote), "%pI4:%u", &inet->inet_daddr,
		 ntohs(READ_ONCE(inet->inet_dport)));
	if (kind != TCPFSM_TIMER_NONE &&
	    time_after(READ_ONCE(tp->timer_expires), jiffies))
		left = jiffies_to_msecs(READ_ONCE(tp->timer_expires) - jiffies);
	if (state == TCPFSM_LISTEN) {
		sendq = READ_ONCE(tp->accept_len);
		recvq = READ_ONCE(tp->syn_len);
	} else {
		sendq = READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_una);
		recvq = tcpfsm_inq(tp);
	}
	seq_printf(seq, TCPFSM_CONNS_FMT, local, remote,
		   tcpfsm_state_name(state), READ_ONCE(tp->snd_una),
		   READ_ONCE(tp->snd_nxt), READ_ONCE(tp->rcv_nxt), sendq, recvq,
		   tcpfsm_timer_name(kind), left);
}

/*
 * Every socket of the reader's netns that is past CLOSED: listeners (with
 * remote 0.0.0.0:0; sendq/recvq are the accept and SYN queue lengths),
 * connections in any state, children and orphans; then TIME_WAIT.
 */
static int tcpfsm_conns_show(struct seq_file *seq, void *v)
{
	struct net *net = seq->private;
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	struct tcpfsm_sock *tp;
	void *tw;

	seq_printf(seq, TCPFSM_CONNS_HEADER_FMT,
		   "local", "remote", "state", "snd_una", "snd_nxt", "rcv_nxt",
		   "sendq", "recvq", "timer", "expires_ms");
	spin_lock_bh(&tn->lock);
	list_for_each_entry(tp, &tn->socks, all_node) {
		if (inet_sk_state_load(&tp->inet.sk) != TCPFSM_CLOSED)
			tcpfsm_conns_show_sock(seq, &tp->inet.sk);
	}
	spin_unlock_bh(&tn->lock);
	for (tw = tcpfsm_tw_seq_start(net, 0); tw;
	     tw = tcpfsm_tw_seq_next(net, tw))
		tcpfsm_tw_seq_show(seq, tw);
	tcpfsm_tw_seq_stop(net);
	return 0;
}

static const char *const tcpfsm_tw_stat_names[TCPFSM_TW_STAT_MAX] = {
	[TCPFSM_TW_STAT_CURRENT]	= "TimeWaitCurrent",
	[TCPFSM_TW_STAT_RUNS]		= "ReaperRuns",
	[TCPFSM_TW_STAT_RUN_MAX_US]	= "ReaperRunMaxUs",
	[TCPFSM_TW_STAT_RUN_TOTAL_US]	= "ReaperRunTotalUs",
	[TCPFSM_TW_STAT_RUNS_OVER_1MS]	= "ReaperRunsOver1ms",
	[TCPFSM_TW_STAT_LATE_MAX_US]	= "ReaperLatenessMaxUs",
	[TCPFSM_TW_STAT_LATE_LE_10US]	= "ReaperLateLe10us",
	[TCPFSM_TW_STAT_LATE_LE_20US]	= "ReaperLateLe20us",
	[TCPFSM_TW_STAT_LATE_LE_50US]	= "ReaperLateLe50us",
	[TCPFSM_TW_STAT_LATE_LE_100US]	= "ReaperLateLe100us",
	[TCPFSM_TW_STAT_LATE_LE_200US]	= "ReaperLateLe200us",
	[TCPFSM_TW_STAT_LATE_LE_500US]	= "ReaperLateLe500us",
	[TCPFSM_TW_STAT_LATE_LE_1MS]	= "ReaperLateLe1ms",
	[TCPFSM_TW_STAT_LATE_LE_2MS]	= "ReaperLateLe2ms",
	[TCPFSM_TW_STAT_LATE_LE_5MS]	= "ReaperLateLe5ms",
	[TCPFSM_TW_STAT_LATE_LE_10MS]	= "ReaperLateLe10ms",
	[TCPFSM_TW_STAT_LATE_LE_20MS]	= "ReaperLateLe20ms",
	[TCPFSM_TW_STAT_LATE_LE_50MS]	= "ReaperLateLe50ms",
	[TCPFSM_TW_STAT_LATE_LE_100MS]	= "ReaperLateLe100ms",
	[TCPFSM_TW_STAT_LATE_OVER_100MS]	= "ReaperLateOver100ms",
	[TCPFSM_TW_STAT_RUN_MAX_ENTRIES]	= "ReaperRunMaxEntries",
};

static int tcpfsm_stats_show(struct seq_file *seq, void *v)
{
	struct net *net = seq->private;
	int i;

	for (i = 0; i < TCPFSM_MIB_MAX; i++)
		seq_printf(seq, "%s %lu\n", tcpfsm_mib_names[i],
			   tcpfsm_mib_read(net, i));
	for (i = 0; i < TCPFSM_TW_STAT_MAX; i++)
		seq_printf(seq, "%s %llu\n", tcpfsm_tw_stat_names[i],
			   tcpfsm_tw_stat(net, i));
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
