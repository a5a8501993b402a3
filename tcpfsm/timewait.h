/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TIME_WAIT without the socket: once the active closer reaches TIME_WAIT
 * its full socket is freed and a compact entry (struct tcpfsm_tw) answers
 * for the 4-tuple until 2 MSL have passed.  One reaper per netns keeps the
 * entries in deadline order and frees them from a single hrtimer.
 *
 * The functions the engine calls are declared in tcpfsm.h; what is here is
 * for timewait.c, its KUnit tests and the observability code.
 */
#ifndef _TCPFSM_TIMEWAIT_H
#define _TCPFSM_TIMEWAIT_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "tcpfsm.h"

/*
 * tcpfsm_tw_rcv() returns 0 when it consumed the segment (the skb is
 * freed), or TCPFSM_TW_SYN_REUSE for a SYN that may open a new
 * incarnation of the 4-tuple (RFC 9293 §3.6.1, RFC 1122 4.2.2.13,
 * RFC 6191): the entry is then already gone, the skb is untouched and
 * still the caller's, which goes on to the listener lookup.  The new
 * connection's ISN must lie above the old one's sequence space;
 * tcpfsm_tw_syn_isn() gives the one to use.
 */
#define TCPFSM_TW_SYN_REUSE	1

/* The 4-tuple as seen from our side: saddr/sport are the local end. */
struct tcpfsm_tw_key {
	__be32	saddr;
	__be32	daddr;
	__be16	sport;
	__be16	dport;
};

/**
 * struct tcpfsm_tw - a connection in TIME_WAIT, without its socket
 * @node: in the reaper's 4-tuple table (RCU readers walk it)
 * @port_node: on the reaper's list of entries holding @key.sport
 * @fifo: on one of the reaper's deadline-ordered queues
 * @rcu: frees the entry once unlinked (replaces @fifo, unused by then)
 * @deadline: CLOCK_MONOTONIC time at which 2 MSL are over
 * @key: the 4-tuple
 * @snd_nxt: our final SND.NXT, the seq of our ACKs (FIN included)
 * @rcv_nxt: our final RCV.NXT, their FIN included
 * @dur_ms: this entry's 2 MSL, fixed when it was created
 * @last_oow: jiffies of the last rate-limited ACK (tcp_invalid_ratelimit)
 * @rcv_wnd: the window our ACKs advertise
 * @queue: index of the queue @fifo is on
 * @reuse: the closed socket had SO_REUSEADDR: a new socket with it may
 *	bind the port (Linux TCP asks both, see tcpfsm_tw_port_held())
 * @dead: unlinked, being freed; set under the reaper's lock
 * @entered_ns: ktime_get_real_ns() of the move into TIME_WAIT
 * @history_count: the connection's transitions up to that one included
 * @entered_from: the state it moved from (FIN_WAIT_1, FIN_WAIT_2, CLOSING)
 * @entered_cause: the enum tcpfsm_event that moved it
 *
 * Of the socket's history the entry keeps only the move into TIME_WAIT:
 * sixteen records would not fit in 128 bytes.
 *
 * Everything but @deadline, @fifo, @queue, @last_oow and @dead is written
 * once before the entry is published and read locklessly under RCU.
 */
struct tcpfsm_tw {
	struct rhash_head	node;
	struct hlist_node	port_node;
	union {
		struct list_head	fifo;
		struct rcu_head		rcu;
	};
	ktime_t			deadline;
	struct tcpfsm_tw_key	key;
	u32			snd_nxt;
	u32			rcv_nxt;
	u32			dur_ms;
	u32			last_oow;
	u16			rcv_wnd;
	/* A bit-field, to keep the entry small; both under the lock. */
	u8			queue:7,
				reuse:1;
	u8			dead;
	u64			entered_ns;
	u32			history_count;
	u8			entered_from;
	u8			entered_cause;
};

/*
 * Queues in deadline order, a handful: entries are appended to one whose
 * tail expires no later than they do.  See tcpfsm_tw_queue_add().
 */
#define TCPFSM_TW_NQUEUES	4

/**
 * struct tcpfsm_tw_reaper - a netns's TIME_WAIT entries and their timer
 * @lock: guards the queues, the port table, @armed, @count, the stats,
 *	the /proc resume point and every entry's @fifo, @queue and @dead
 * @timer: the one hrtimer, armed for the earliest deadline
 * @armed: when @timer fires, KTIME_MAX when it is not armed
 * @queue: the deadline-ordered queues, see tcpfsm_tw_queue_add()
 * @table: entries by 4-tuple
 * @ports: struct tcpfsm_tw_port by local port, for bind()
 * @net: the netns (not a reference: the reaper dies with it)
 * @count: entries linked
 * @dying: the netns is going away: no new entries, no re-arming
 * @lateness_max_ns: largest delay from a deadline to the entry's removal
 * @runs: timer runs
 * @run_max_ns: longest timer run
 * @run_max_entries: entries that run freed: few in a long run means the
 *	time went elsewhere (interrupts, the host), not to our work
 * @run_total_ns: all timer runs together: the softirq time spent reaping
 * @runs_over_1ms: timer runs that took longer than 1 ms (wall clock, so
 *	under emulation also the host's preemption of the vCPU)
 * @late_hist: entries freed by lateness, see tcpfsm_tw_count_late()
 * @walk_tw: /proc resume point: the entry at @walk_pos, or NULL past the
 *	end
 * @walk_pos: its position
 * @walk_valid: @walk_tw and @walk_pos mean something
 * @walk_skip: @walk_tw replaced, at @walk_pos, an entry that went away
 */
struct tcpfsm_tw_reaper {
	spinlock_t		lock;
	struct hrtimer		timer;
	ktime_t			armed;
	struct list_head	queue[TCPFSM_TW_NQUEUES];
	struct rhashtable	table;
	struct rhashtable	ports;
	struct net		*net;
	long			count;
	bool			dying;
	u64			lateness_max_ns;
	u64			runs;
	u64			run_max_ns;
	u64			run_max_entries;
	u64			run_total_ns;
	u64			runs_over_1ms;
	u64			late_hist[TCPFSM_TW_STAT_LATE_OVER_100MS -
					  TCPFSM_TW_STAT_LATE_LE_10US + 1];
	struct tcpfsm_tw	*walk_tw;
	loff_t			walk_pos;
	bool			walk_valid;
	bool			walk_skip;
};

u64 tcpfsm_tw_lateness_max_ns(struct net *net);
u64 tcpfsm_tw_runs(struct net *net);

/*
 * An entry's end, TIME_WAIT -> CLOSED, is the connection's last transition:
 * timewait.c fires the tracepoint and netlink.c's event for it.  @cause:
 * TCPFSM_EV_TIMEOUT_2MSL (reaped, @lateness_ns after its deadline),
 * TCPFSM_EV_RCV_SYN (a new SYN reused the 4-tuple), TCPFSM_EV_ABORT
 * (conn-kill, netns teardown, or replaced by a new entry for the same
 * 4-tuple).  Called with the reaper's lock held and BH off.
 */
void tcpfsm_nl_tw_closed(struct net *net, const struct tcpfsm_tw *tw, enum tcpfsm_event cause,
			 u64 lateness_ns);

/* What TIME_WAIT does with a segment; see tcpfsm_tw_decide(). */
enum tcpfsm_tw_verdict {
	TCPFSM_TW_DROP,		/* nothing to say */
	TCPFSM_TW_ACK,		/* ACK it */
	TCPFSM_TW_ACK_LIMITED,	/* ACK it, at most every 500 ms */
	TCPFSM_TW_FIN_ACK,	/* retransmitted FIN: ACK, restart 2 MSL */
	TCPFSM_TW_REUSE,	/* new SYN: free the 4-tuple for it */
};

/* netlink.c's conn-kill of an entry. */
int tcpfsm_tw_kill(struct net *net, const struct tcpfsm_tw_key *key);

#if IS_ENABLED(CONFIG_KUNIT)
/* Internals the KUnit tests drive directly (EXPORT_SYMBOL_IF_KUNIT). */
enum tcpfsm_tw_verdict tcpfsm_tw_decide(u32 rcv_nxt, u32 seq, u32 len,
					u8 flags);
struct tcpfsm_tw_reaper *tcpfsm_tw_reaper_create(struct net *net);
void tcpfsm_tw_reaper_destroy(struct tcpfsm_tw_reaper *r);
int tcpfsm_tw_insert(struct tcpfsm_tw_reaper *r,
		     const struct tcpfsm_tw_key *key, u32 snd_nxt,
		     u32 rcv_nxt, u32 rcv_wnd, u32 dur_ms, bool reuse);
struct tcpfsm_tw *tcpfsm_tw_find(struct tcpfsm_tw_reaper *r,
				 const struct tcpfsm_tw_key *key);
bool tcpfsm_tw_port_held(struct tcpfsm_tw_reaper *r, __be32 addr,
			 __be16 port, bool reuse);
void tcpfsm_tw_restart(struct tcpfsm_tw_reaper *r, struct tcpfsm_tw *tw);
void tcpfsm_tw_count_late(struct tcpfsm_tw_reaper *r, u64 late_ns);
#endif

#endif /* _TCPFSM_TIMEWAIT_H */
