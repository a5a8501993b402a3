// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpfsm generic netlink family, as Documentation/netlink/specs/tcpfsm.yaml
 * describes it: conn-get (do and dump), conn-kill, stats-get, and the
 * "events" multicast group (every state transition, every TIME_WAIT entry
 * reaped).  Everything is per netns: the requester's, or the connection's
 * for events.
 *
 * Written by hand rather than by ynl-gen-c.py: the generated code uses
 * struct genl_split_ops, which 6.1 does not have.  include/uapi/linux/tcpfsm.h
 * is generated from the spec; the BUILD_BUG_ON()s in tcpfsm_nl_init() keep
 * its enums equal to the kernel's.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <uapi/linux/tcpfsm.h>

#include "tcpfsm.h"
#include "timewait.h"
#include "netlink.h"

/* Index of the "events" group in tcpfsm_nl_mcgrps[]. */
enum { TCPFSM_NLGRP_EVENTS };

static struct genl_family tcpfsm_nl_family;

/*
 * Events are sent only while the family is registered: netns teardown at
 * module unload ends orphans after tcpfsm_nl_exit().
 */
static bool tcpfsm_nl_up;

/* enum tcpfsm_mib -> its stats-get attribute, whatever the two orders. */
static const u16 tcpfsm_nl_stats_attr[TCPFSM_MIB_MAX] = {
	[TCPFSM_MIB_ACTIVEOPENS]	= TCPFSM_A_STATS_ACTIVE_OPENS,
	[TCPFSM_MIB_PASSIVEOPENS]	= TCPFSM_A_STATS_PASSIVE_OPENS,
	[TCPFSM_MIB_ATTEMPTFAILS]	= TCPFSM_A_STATS_ATTEMPT_FAILS,
	[TCPFSM_MIB_ESTABRESETS]	= TCPFSM_A_STATS_ESTAB_RESETS,
	[TCPFSM_MIB_INSEGS]		= TCPFSM_A_STATS_IN_SEGS,
	[TCPFSM_MIB_OUTSEGS]		= TCPFSM_A_STATS_OUT_SEGS,
	[TCPFSM_MIB_RETRANSSEGS]	= TCPFSM_A_STATS_RETRANS_SEGS,
	[TCPFSM_MIB_INERRS]		= TCPFSM_A_STATS_IN_ERRS,
	[TCPFSM_MIB_OUTRSTS]		= TCPFSM_A_STATS_OUT_RSTS,
	[TCPFSM_MIB_INCSUMERRORS]	= TCPFSM_A_STATS_IN_CSUM_ERRORS,
	[TCPFSM_MIB_DROP_CSUM]		= TCPFSM_A_STATS_DROP_BAD_CHECKSUM,
	[TCPFSM_MIB_DROP_HDR]		= TCPFSM_A_STATS_DROP_BAD_HEADER,
	[TCPFSM_MIB_DROP_NOT_HOST]	= TCPFSM_A_STATS_DROP_NOT_FOR_HOST,
	[TCPFSM_MIB_DROP_NO_SOCKET]	= TCPFSM_A_STATS_DROP_NO_SOCKET,
	[TCPFSM_MIB_DROP_OUT_OF_WINDOW]	= TCPFSM_A_STATS_DROP_OUT_OF_WINDOW,
	[TCPFSM_MIB_DROP_BAD_ACK]	= TCPFSM_A_STATS_DROP_BAD_ACK,
	[TCPFSM_MIB_DROP_BACKLOG]	= TCPFSM_A_STATS_DROP_LISTEN_OVERFLOW,
	[TCPFSM_MIB_DROP_RCVBUF]	= TCPFSM_A_STATS_DROP_RCV_BUF,
	[TCPFSM_MIB_DROP_STATE]		= TCPFSM_A_STATS_DROP_STATE,
	[TCPFSM_MIB_DROP_NOMEM]		= TCPFSM_A_STATS_DROP_NO_MEM,
	[TCPFSM_MIB_DROP_SOCK_BACKLOG]	= TCPFSM_A_STATS_DROP_SOCKET_BACKLOG,
	[TCPFSM_MIB_DROP_DUP]		= TCPFSM_A_STATS_DROP_DUPLICATE,
	[TCPFSM_MIB_CHALLENGE_ACKS]	= TCPFSM_A_STATS_CHALLENGE_ACKS,
	[TCPFSM_MIB_TW_ENTERED]		= TCPFSM_A_STATS_TIME_WAIT_ENTERED,
	[TCPFSM_MIB_TW_REAPED]		= TCPFSM_A_STATS_TIME_WAIT_REAPED,
	[TCPFSM_MIB_TW_REUSED]		= TCPFSM_A_STATS_TIME_WAIT_REUSED,
	[TCPFSM_MIB_TW_OVERFLOW]	= TCPFSM_A_STATS_TIME_WAIT_OVERFLOW,
};

/* The reaper's figures follow the counters. */
static const u16 tcpfsm_nl_tw_stat_attr[TCPFSM_TW_STAT_MAX] = {
	[TCPFSM_TW_STAT_CURRENT]	= TCPFSM_A_STATS_TIME_WAIT_CURRENT,
	[TCPFSM_TW_STAT_RUNS]		= TCPFSM_A_STATS_REAPER_RUNS,
	[TCPFSM_TW_STAT_RUN_MAX_US]	= TCPFSM_A_STATS_REAPER_RUN_MAX_US,
	[TCPFSM_TW_STAT_RUN_TOTAL_US]	= TCPFSM_A_STATS_REAPER_RUN_TOTAL_US,
	[TCPFSM_TW_STAT_RUNS_OVER_1MS]	= TCPFSM_A_STATS_REAPER_RUNS_OVER1MS,
	[TCPFSM_TW_STAT_LATE_MAX_US]	= TCPFSM_A_STATS_REAPER_LATENESS_MAX_US,
	[TCPFSM_TW_STAT_LATE_LE_10US]	= TCPFSM_A_STATS_REAPER_LATE_LE10US,
	[TCPFSM_TW_STAT_LATE_LE_20US]	= TCPFSM_A_STATS_REAPER_LATE_LE20US,
	[TCPFSM_TW_STAT_LATE_LE_50US]	= TCPFSM_A_STATS_REAPER_LATE_LE50US,
	[TCPFSM_TW_STAT_LATE_LE_100US]	= TCPFSM_A_STATS_REAPER_LATE_LE100US,
	[TCPFSM_TW_STAT_LATE_LE_200US]	= TCPFSM_A_STATS_REAPER_LATE_LE200US,
	[TCPFSM_TW_STAT_LATE_LE_500US]	= TCPFSM_A_STATS_REAPER_LATE_LE500US,
	[TCPFSM_TW_STAT_LATE_LE_1MS]	= TCPFSM_A_STATS_REAPER_LATE_LE1MS,
	[TCPFSM_TW_STAT_LATE_LE_2MS]	= TCPFSM_A_STATS_REAPER_LATE_LE2MS,
	[TCPFSM_TW_STAT_LATE_LE_5MS]	= TCPFSM_A_STATS_REAPER_LATE_LE5MS,
	[TCPFSM_TW_STAT_LATE_LE_10MS]	= TCPFSM_A_STATS_REAPER_LATE_LE10MS,
	[TCPFSM_TW_STAT_LATE_LE_20MS]	= TCPFSM_A_STATS_REAPER_LATE_LE20MS,
	[TCPFSM_TW_STAT_LATE_LE_50MS]	= TCPFSM_A_STATS_REAPER_LATE_LE50MS,
	[TCPFSM_TW_STAT_LATE_LE_100MS]	= TCPFSM_A_STATS_REAPER_LATE_LE100MS,
	[TCPFSM_TW_STAT_LATE_OVER_100MS]	= TCPFSM_A_STATS_REAPER_LATE_OVER100MS,
	[TCPFSM_TW_STAT_RUN_MAX_ENTRIES]	= TCPFSM_A_STATS_REAPER_RUN_MAX_ENTRIES,
};

/* conn-get: the 4-tuple (do), or the filters state and local-port (dump). */
static const struct nla_policy tcpfsm_nl_conn_get_policy[TCPFSM_A_CONN_STATE + 1] = {
	[TCPFSM_A_CONN_LOCAL_ADDR]	= { .type = NLA_BE32 },
	[TCPFSM_A_CONN_LOCAL_PORT]	= { .type = NLA_BE16 },
	[TCPFSM_A_CONN_REMOTE_ADDR]	= { .type = NLA_BE32 },
	[TCPFSM_A_CONN_REMOTE_PORT]	= { .type = NLA_BE16 },
	[TCPFSM_A_CONN_STATE]		=
		NLA_POLICY_RANGE(NLA_U32, TCPFSM_CONN_STATE_ESTABLISHED,
				 TCPFSM_CONN_STATE_CLOSING),
};

/* conn-kill: the 4-tuple only. */
static const struct nla_policy tcpfsm_nl_conn_kill_policy[TCPFSM_A_CONN_REMOTE_PORT + 1] = {
	[TCPFSM_A_CONN_LOCAL_ADDR]	= { .type = NLA_BE32 },
	[TCPFSM_A_CONN_LOCAL_PORT]	= { .type = NLA_BE16 },
	[TCPFSM_A_CONN_REMOTE_ADDR]	= { .type = NLA_BE32 },
	[TCPFSM_A_CONN_REMOTE_PORT]	= { .type = NLA_BE16 },
};

/* A 4-tuple from our side, as a request names it. */
struct tcpfsm_nl_tuple {
	__be32	laddr;
	__be32	raddr;
	__be16	lport;
	__be16	rport;
};

static int tcpfsm_nl_put_tuple(struct sk_buff *skb, __be32 laddr, __be16 lport,
			       __be32 raddr, __be16 rport)
{
	if (nla_put_in_addr(skb, TCPFSM_A_CONN_LOCAL_ADDR, laddr) ||
	    nla_put_be16(skb, TCPFSM_A_CONN_LOCAL_PORT, lport) ||
	    nla_put_in_addr(skb, TCPFSM_A_CONN_REMOTE_ADDR, raddr) ||
	    nla_put_be16(skb, TCPFSM_A_CONN_REMOTE_PORT, rport))
		return -EMSGSIZE;
	return 0;
}

/*
 * A copy of @tp's history.  Dumps read without the socket lock (taking it
 * under tn->lock would invert the engine's order), so the ring may change
 * while copied: retry while the count moves; a transition that lands in
 * the middle of the last try may leave one record torn, as /proc fields
 * may be.
 */
static u32 tcpfsm_nl_history_copy(const struct tcpfsm_sock *tp,
				  struct tcpfsm_history *h)
{
	int tries = 3;
	u32 count;

	do {
		count = READ_ONCE(tp->history.count);
		smp_rmb();	/* the count before the records it covers */
		memcpy(h->rec, tp->history.rec, sizeof(h->rec));
		smp_rmb();	/* the records before the count re-read */
	} while (count != READ_ONCE(tp->history.count) && --tries);
	h->count = count;
	return count;
}

static int tcpfsm_nl_put_history(struct sk_buff *skb,
				 const struct tcpfsm_sock *tp)
{
	struct tcpfsm_history h;
	const struct tcpfsm_record *r;
	struct nlattr *nest;
	u32 count, i;

	count = tcpfsm_nl_history_copy(tp, &h);
	if (nla_put_u32(skb, TCPFSM_A_CONN_HISTORY_COUNT, count))
		return -EMSGSIZE;
	/* Oldest first. */
	for (i = count - min_t(u32, count, TCPFSM_HISTORY); i != count; i++) {
		r = &h.rec[i % TCPFSM_HISTORY];
		nest = nla_nest_start(skb, TCPFSM_A_CONN_HISTORY);
		if (!nest ||
		    nla_put_u32(skb, TCPFSM_A_TRANSITION_FROM, r->from) ||
		    nla_put_u32(skb, TCPFSM_A_TRANSITION_TO, r->to) ||
		    nla_put_u32(skb, TCPFSM_A_TRANSITION_CAUSE, r->cause) ||
		    nla_put_u64_64bit(skb, TCPFSM_A_TRANSITION_TIME_NS,
				      r->time_ns, TCPFSM_A_TRANSITION_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/* A socket's attributes, read as /proc/tcpfsm/conns reads them. */
static int tcpfsm_nl_put_sock(struct sk_buff *skb, struct sock *sk)
{
	const struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	int state = inet_sk_state_load(sk);
	int kind = READ_ONCE(tp->timer_kind);
	unsigned long expires = READ_ONCE(tp->timer_expires);
	u32 left = 0, sendq, recvq;

	if (kind != TCPFSM_TIMER_NONE && time_after(expires, jiffies))
		left = jiffies_to_msecs(expires - jiffies);
	if (state == TCPFSM_LISTEN) {
		sendq = READ_ONCE(tp->accept_len);
		recvq = READ_ONCE(tp->syn_len);
	} else {
		sendq = READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_una);
		recvq = tcpfsm_inq(tp);
	}
	if (tcpfsm_nl_put_tuple(skb, READ_ONCE(inet->inet_rcv_saddr),
				htons(READ_ONCE(inet->inet_num)),
				READ_ONCE(inet->inet_daddr),
				READ_ONCE(inet->inet_dport)) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_STATE, state) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_SND_UNA, READ_ONCE(tp->snd_una)) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_SND_NXT, READ_ONCE(tp->snd_nxt)) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_RCV_NXT, READ_ONCE(tp->rcv_nxt)) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_SEND_QUEUE, sendq) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_RECV_QUEUE, recvq) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_TIMER, kind) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_TIMER_LEFT_MS, left) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_SRTT_US, READ_ONCE(tp->srtt_us)) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_RTTVAR_US,
			READ_ONCE(tp->rttvar_us)) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_RTO_US, READ_ONCE(tp->rto_us)) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_RETRANSMITS,
			READ_ONCE(tp->total_retrans)))
		return -EMSGSIZE;
	return tcpfsm_nl_put_history(skb, tp);
}

/* A TIME_WAIT entry's attributes; call under rcu_read_lock(). */
static int tcpfsm_nl_put_tw(struct sk_buff *skb, const struct tcpfsm_tw *tw)
{
	s64 left = ktime_to_ms(ktime_sub(READ_ONCE(tw->deadline),
					 ktime_get()));
	struct nlattr *nest;

	if (tcpfsm_nl_put_tuple(skb, tw->key.saddr, tw->key.sport,
				tw->key.daddr, tw->key.dport) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_STATE, TCPFSM_CONN_STATE_TIME_WAIT) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_SND_UNA, tw->snd_nxt) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_SND_NXT, tw->snd_nxt) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_RCV_NXT, tw->rcv_nxt) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_SEND_QUEUE, 0) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_RECV_QUEUE, 0) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_TIMER, TCPFSM_TIMER_KIND_TIME_WAIT) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_TIMER_LEFT_MS,
			clamp_t(s64, left, 0, U32_MAX)) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_HISTORY_COUNT, tw->history_count))
		return -EMSGSIZE;
	/* The entry keeps one record, its move into TIME_WAIT. */
	nest = nla_nest_start(skb, TCPFSM_A_CONN_HISTORY);
	if (!nest ||
	    nla_put_u32(skb, TCPFSM_A_TRANSITION_FROM, tw->entered_from) ||
	    nla_put_u32(skb, TCPFSM_A_TRANSITION_TO, TCPFSM_TIME_WAIT) ||
	    nla_put_u32(skb, TCPFSM_A_TRANSITION_CAUSE, tw->entered_cause) ||
	    nla_put_u64_64bit(skb, TCPFSM_A_TRANSITION_TIME_NS, tw->entered_ns,
			      TCPFSM_A_TRANSITION_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* One conn-get message: a socket (@sk) or a TIME_WAIT entry (@tw). */
static int tcpfsm_nl_fill_conn(struct sk_buff *skb, u32 portid, u32 seq,
			       int flags, struct sock *sk,
			       const struct tcpfsm_tw *tw)
{
	void *hdr;
	int err;

	hdr = genlmsg_put(skb, portid, seq, &tcpfsm_nl_family, flags,
			  TCPFSM_CMD_CONN_GET);
	if (!hdr)
		return -EMSGSIZE;
	err = sk ? tcpfsm_nl_put_sock(skb, sk) : tcpfsm_nl_put_tw(skb, tw);
	if (err) {
		genlmsg_cancel(skb, hdr);
		return err;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The request's 4-tuple: all four attributes, local port non-zero. */
static int tcpfsm_nl_get_tuple(struct genl_info *info,
			       struct tcpfsm_nl_tuple *t)
{
	struct nlattr **tb = info->attrs;

	if (GENL_REQ_ATTR_CHECK(info, TCPFSM_A_CONN_LOCAL_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, TCPFSM_A_CONN_LOCAL_PORT) ||
	    GENL_REQ_ATTR_CHECK(info, TCPFSM_A_CONN_REMOTE_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, TCPFSM_A_CONN_REMOTE_PORT))
		return -EINVAL;
	t->laddr = nla_get_in_addr(tb[TCPFSM_A_CONN_LOCAL_ADDR]);
	t->lport = nla_get_be16(tb[TCPFSM_A_CONN_LOCAL_PORT]);
	t->raddr = nla_get_in_addr(tb[TCPFSM_A_CONN_REMOTE_ADDR]);
	t->rport = nla_get_be16(tb[TCPFSM_A_CONN_REMOTE_PORT]);
	if (!t->lport) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[TCPFSM_A_CONN_LOCAL_PORT],
				    "local port must not be 0");
		return -EINVAL;
	}
	if (!t->raddr != !t->rport) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[TCPFSM_A_CONN_REMOTE_PORT],
				    "remote address and port: both 0 (a listener) or neither");
		return -EINVAL;
	}
	return 0;
}

/* A listener on exactly @t's local address and port, referenced. */
static struct sock *tcpfsm_nl_find_listener(struct net *net,
					    const struct tcpfsm_nl_tuple *t)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	u16 port = ntohs(t->lport);
	struct sock *sk = NULL;
	struct tcpfsm_sock *tp;

	spin_lock_bh(&tn->lock);
	hlist_for_each_entry(tp, &tn->listen[port % TCPFSM_LHASH_SIZE],
			     listen_node) {
		if (tp->inet.inet_num == port &&
		    tp->inet.inet_rcv_saddr == t->laddr &&
		    refcount_inc_not_zero(&tp->inet.sk.sk_refcnt)) {
			sk = &tp->inet.sk;
			break;
		}
	}
	spin_unlock_bh(&tn->lock);
	return sk;
}

/* The socket of @t (a connection or, remote 0:0, a listener), referenced. */
static struct sock *tcpfsm_nl_find_sock(struct net *net,
					const struct tcpfsm_nl_tuple *t)
{
	struct sock *sk;

	if (!t->raddr)
		return tcpfsm_nl_find_listener(net, t);
	rcu_read_lock();
	sk = tcpfsm_lookup_est(net, t->laddr, t->lport, t->raddr, t->rport);
	rcu_read_unlock();
	return sk;
}

static int tcpfsm_nl_conn_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct tcpfsm_nl_tuple t;
	struct tcpfsm_tw *tw;
	struct sk_buff *msg;
	struct sock *sk;
	int err;

	err = tcpfsm_nl_get_tuple(info, &t);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	sk = tcpfsm_nl_find_sock(net, &t);
	if (sk) {
		/* Locked, so that all fields are of one moment. */
		lock_sock(sk);
		err = tcpfsm_nl_fill_conn(msg, info->snd_portid, info->snd_seq,
					  0, sk, NULL);
		release_sock(sk);
		sock_put(sk);
	} else {
		rcu_read_lock();
		tw = tcpfsm_tw_lookup(net, t.laddr, t.lport, t.raddr, t.rport);
		err = tw ? tcpfsm_nl_fill_conn(msg, info->snd_portid,
					       info->snd_seq, 0, NULL, tw) :
			   -ENOENT;
		rcu_read_unlock();
	}
	if (err) {
		if (err == -ENOENT)
			NL_SET_ERR_MSG(info->extack, "no such connection");
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Dumps.  A dump of many connections spans many messages, and connections
 * come and go in between.  Two ways to cope: a generation counter that
 * marks the dump NLM_F_DUMP_INTR when the set changed, or a cursor that
 * stays valid.  The counter would need bumping wherever the engine adds
 * or drops a socket or a TIME_WAIT entry, and under steady churn a dump of
 * 100,000 connections would be interrupted every time, so that retrying
 * never ends.  tn->socks and the reaper's queues offer no cursor that
 * survives its element going away.
 *
 * So the dump's start takes a snapshot, in one pass under the locks: a
 * reference on every socket, the 4-tuple of every TIME_WAIT entry (they
 * have no reference count; each is looked up again when its turn comes).
 * The snapshot is the cursor: every connection that exists when the dump
 * starts and still does when it is reached is reported exactly once;
 * those that ended meanwhile are skipped, those that began are not
 * reported (they would be in a dump started later).  The cost is 24 bytes
 * per connection for the dump's duration, and sockets closed meanwhile
 * are freed once the dump has passed them or ended (netlink ends it when
 * the requester closes its socket).
 */
struct tcpfsm_nl_ent {
	struct sock		*sk;	/* a socket, referenced, or NULL: */
	struct tcpfsm_tw_key	key;	/* a TIME_WAIT entry */
};

struct tcpfsm_nl_dump {
	unsigned int		n;
	unsigned int		pos;
	int			state;	/* filter; 0: any */
	struct tcpfsm_nl_ent	ent[];
};

static void tcpfsm_nl_dump_free(struct tcpfsm_nl_dump *d)
{
	unsigned int i;

	for (i = d->pos; i < d->n; i++)
		if (d->ent[i].sk)
			sock_put(d->ent[i].sk);
	kvfree(d);
}

/*
 * Fill @d with what is there now, at most @cap entries, filtered by local
 * port.  Return: false when there were more than @cap.
 */
static bool tcpfsm_nl_snapshot(struct net *net, struct tcpfsm_nl_dump *d,
			       unsigned int cap, __be16 port)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	struct tcpfsm_tw_reaper *r = tn->reaper;
	struct tcpfsm_sock *tp;
	struct tcpfsm_tw *tw;
	bool fits = true;
	int q;

	spin_lock_bh(&tn->lock);
	list_for_each_entry(tp, &tn->socks, all_node) {
		struct sock *sk = &tp->inet.sk;

		if (inet_sk_state_load(sk) == TCPFSM_CLOSED ||
		    (port && htons(READ_ONCE(tp->inet.inet_num)) != port))
			continue;
		if (d->n == cap) {
			fits = false;
			break;
		}
		if (!refcount_inc_not_zero(&sk->sk_refcnt))
			continue;
		d->ent[d->n++].sk = sk;
	}
	spin_unlock_bh(&tn->lock);
	if (!fits || !r)
		return fits;

	spin_lock_bh(&r->lock);
	for (q = 0; q < TCPFSM_TW_NQUEUES && fits; q++) {
		list_for_each_entry(tw, &r->queue[q], fifo) {
			if (port && tw->key.sport != port)
				continue;
			if (d->n == cap) {
				fits = false;
				break;
			}
			d->ent[d->n].sk = NULL;
			d->ent[d->n++].key = tw->key;
		}
	}
	spin_unlock_bh(&r->lock);
	return fits;
}

/* How many sockets and TIME_WAIT entries there are, about. */
static unsigned int tcpfsm_nl_count(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	struct list_head *pos;
	unsigned int n = 0;

	spin_lock_bh(&tn->lock);
	list_for_each(pos, &tn->socks)
		n++;
	spin_unlock_bh(&tn->lock);
	return n + tcpfsm_tw_count(net);
}

static int tcpfsm_nl_conn_get_start(struct netlink_callback *cb)
{
	struct nlattr **tb = tcpfsm_genl_dump_attrs(cb);
	struct net *net = sock_net(cb->skb->sk);
	struct tcpfsm_nl_dump *d;
	unsigned int cap, i;
	__be16 port = 0;
	int tries = 4;

	if (tb[TCPFSM_A_CONN_LOCAL_ADDR] || tb[TCPFSM_A_CONN_REMOTE_ADDR] ||
	    tb[TCPFSM_A_CONN_REMOTE_PORT]) {
		NL_SET_ERR_MSG(cb->extack,
			       "a dump filters by state and local port only");
		return -EINVAL;
	}
	if (tb[TCPFSM_A_CONN_LOCAL_PORT])
		port = nla_get_be16(tb[TCPFSM_A_CONN_LOCAL_PORT]);

	cap = tcpfsm_nl_count(net);
	do {
		/* Room for those that arrive while we allocate. */
		cap += cap / 8 + 64;
		d = kvzalloc(struct_size(d, ent, cap), GFP_KERNEL_ACCOUNT);
		if (!d)
			return -ENOMEM;
		if (tb[TCPFSM_A_CONN_STATE])
			d->state = nla_get_u32(tb[TCPFSM_A_CONN_STATE]);
		if (tcpfsm_nl_snapshot(net, d, cap, port))
			break;
		for (i = 0; i < d->n; i++)
			if (d->ent[i].sk)
				sock_put(d->ent[i].sk);
		kvfree(d);
		d = NULL;
		cap *= 2;
	} while (--tries);
	if (!d) {
		NL_SET_ERR_MSG(cb->extack, "connections grow faster than a dump starts");
		return -EAGAIN;
	}
	cb->args[0] = (long)d;
	return 0;
}

static int tcpfsm_nl_conn_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	struct tcpfsm_nl_dump *d = (struct tcpfsm_nl_dump *)cb->args[0];
	struct net *net = sock_net(skb->sk);
	u32 portid = NETLINK_CB(cb->skb).portid;
	u32 seq = cb->nlh->nlmsg_seq;
	struct tcpfsm_nl_ent *e;
	struct tcpfsm_tw *tw;
	int err = 0, state;

	for (; d->pos < d->n; d->pos++) {
		e = &d->ent[d->pos];
		if (e->sk) {
			state = inet_sk_state_load(e->sk);
			if (state != TCPFSM_CLOSED &&
			    (!d->state || state == d->state))
				err = tcpfsm_nl_fill_conn(skb, portid, seq,
							  NLM_F_MULTI, e->sk,
							  NULL);
			if (err)
				break;
			sock_put(e->sk);
			e->sk = NULL;
			continue;
		}
		if (d->state && d->state != TCPFSM_TIME_WAIT)
			continue;
		rcu_read_lock();
		tw = tcpfsm_tw_lookup(net, e->key.saddr, e->key.sport,
				      e->key.daddr, e->key.dport);
		if (tw)
			err = tcpfsm_nl_fill_conn(skb, portid, seq, NLM_F_MULTI,
						  NULL, tw);
		rcu_read_unlock();
		if (err)
			break;
	}
	/* A full message ends this round; the next resumes at d->pos. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

static int tcpfsm_nl_conn_get_done(struct netlink_callback *cb)
{
	struct tcpfsm_nl_dump *d = (struct tcpfsm_nl_dump *)cb->args[0];

	if (d)
		tcpfsm_nl_dump_free(d);
	return 0;
}

/*
 * Reset @sk as an ABORT from its user would (tcp_abort() for ss -K):
 * RST where the state table says so, ECONNRESET to the owner.
 */
static int tcpfsm_nl_abort(struct sock *sk)
{
	int actions = tcpfsm_fsm_event(sk, TCPFSM_EV_ABORT);

	if (actions < 0)
		return -ENOENT;
	if (actions & TCPFSM_ACT_SEND_RST)
		tcpfsm_send_active_reset(sk);
	WRITE_ONCE(sk->sk_err, ECONNRESET);
	tcpfsm_purge_write_queue(sk);
	tcpfsm_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
	return 0;
}

static int tcpfsm_nl_conn_kill_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct tcpfsm_tw_key key;
	struct tcpfsm_nl_tuple t;
	struct sock *sk;
	int err;

	err = tcpfsm_nl_get_tuple(info, &t);
	if (err)
		return err;
	key = (struct tcpfsm_tw_key){
		.saddr = t.laddr, .daddr = t.raddr,
		.sport = t.lport, .dport = t.rport,
	};
	if (!t.raddr) {
		NL_SET_ERR_MSG(info->extack, "listeners cannot be killed");
		return -EOPNOTSUPP;
	}
	sk = tcpfsm_nl_find_sock(net, &t);
	if (!sk) {
		/* A TIME_WAIT entry just goes, as tcp_abort() does it. */
		err = tcpfsm_tw_kill(net, &key);
		if (err)
			NL_SET_ERR_MSG(info->extack, "no such connection");
		return err;
	}
	lock_sock(sk);
	err = tcpfsm_nl_abort(sk);
	release_sock(sk);
	sock_put(sk);
	if (err)
		NL_SET_ERR_MSG(info->extack, "connection already closed");
	return err;
}

static int tcpfsm_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct sk_buff *msg;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &tcpfsm_nl_family, 0,
				TCPFSM_CMD_STATS_GET);
	if (!hdr)
		goto nospace;
	for (i = 0; i < TCPFSM_MIB_MAX; i++)
		if (nla_put_u64_64bit(msg, tcpfsm_nl_stats_attr[i],
				      tcpfsm_mib_read(net, i),
				      TCPFSM_A_STATS_PAD))
			goto nospace;
	for (i = 0; i < TCPFSM_TW_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, tcpfsm_nl_tw_stat_attr[i],
				      tcpfsm_tw_stat(net, i),
				      TCPFSM_A_STATS_PAD))
			goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops tcpfsm_nl_ops[] = {
	{
		.cmd		= TCPFSM_CMD_CONN_GET,
		.doit		= tcpfsm_nl_conn_get_doit,
		.start		= tcpfsm_nl_conn_get_start,
		.dumpit		= tcpfsm_nl_conn_get_dumpit,
		.done		= tcpfsm_nl_conn_get_done,
		.policy		= tcpfsm_nl_conn_get_policy,
		.maxattr	= ARRAY_SIZE(tcpfsm_nl_conn_get_policy) - 1,
	},
	{
		.cmd		= TCPFSM_CMD_CONN_KILL,
		.doit		= tcpfsm_nl_conn_kill_doit,
		.policy		= tcpfsm_nl_conn_kill_policy,
		.maxattr	= ARRAY_SIZE(tcpfsm_nl_conn_kill_policy) - 1,
		/* CAP_NET_ADMIN in the netns's own user namespace. */
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		/* No policy: the request takes no attributes. */
		.cmd		= TCPFSM_CMD_STATS_GET,
		.doit		= tcpfsm_nl_stats_get_doit,
	},
};

static const struct genl_multicast_group tcpfsm_nl_mcgrps[] = {
	[TCPFSM_NLGRP_EVENTS] = { .name = TCPFSM_MCGRP_EVENTS },
};

static struct genl_family tcpfsm_nl_family __ro_after_init = {
	.name		= TCPFSM_FAMILY_NAME,
	.version	= TCPFSM_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= tcpfsm_nl_ops,
	.n_ops		= ARRAY_SIZE(tcpfsm_nl_ops),
	/* Strict validation, reserved header fields checked: all ops. */
	.resv_start_op	= TCPFSM_CMD_CONN_GET,
	.mcgrps		= tcpfsm_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(tcpfsm_nl_mcgrps),
};

/* Is anyone in @net listening for events?  Cheap: one bit test. */
static bool tcpfsm_nl_want_events(struct net *net)
{
	return READ_ONCE(tcpfsm_nl_up) && net &&
	       genl_has_listeners(&tcpfsm_nl_family, net, TCPFSM_NLGRP_EVENTS);
}

#define TCPFSM_NL_EVENT_SIZE						\
	(2 * nla_total_size(sizeof(__be32)) +				\
	 2 * nla_total_size(sizeof(__be16)) +				\
	 3 * nla_total_size(sizeof(u32)) +				\
	 3 * nla_total_size_64bit(sizeof(u64)))

/*
 * One transition-ntf to @net's "events" group; @late: a reaped TIME_WAIT
 * entry's lateness, or NULL.  GFP_ATOMIC: the callers hold a socket's or
 * the reaper's lock, often in softirq.  An event that cannot be allocated
 * is lost, as netlink multicast is lossy anyway (listeners see ENOBUFS on
 * overrun).
 */
static void tcpfsm_nl_event(struct net *net, __be32 laddr, __be16 lport,
			    __be32 raddr, __be16 rport, int from, int to,
			    enum tcpfsm_event cause, u64 when, const u64 *late)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(TCPFSM_NL_EVENT_SIZE, GFP_ATOMIC);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &tcpfsm_nl_family, 0,
			  TCPFSM_CMD_TRANSITION_NTF);
	if (!hdr ||
	    tcpfsm_nl_put_tuple(skb, laddr, lport, raddr, rport) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_OLD_STATE, from) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_STATE, to) ||
	    nla_put_u32(skb, TCPFSM_A_CONN_CAUSE, cause) ||
	    nla_put_u64_64bit(skb, TCPFSM_A_CONN_TIME_NS, when,
			      TCPFSM_A_CONN_PAD) ||
	    (late && nla_put_u64_64bit(skb, TCPFSM_A_CONN_LATENESS_NS, *late,
				       TCPFSM_A_CONN_PAD))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&tcpfsm_nl_family, net, skb, 0,
				TCPFSM_NLGRP_EVENTS, GFP_ATOMIC);
}

/**
 * tcpfsm_nl_transition() - multicast a socket's state transition to "events"
 * @sk: the socket, locked (often in softirq)
 * @from: the state before
 * @to: the state after
 * @cause: the event that moved it
 *
 * Called by tcpfsm_set_state() for every transition, so it returns at once
 * when nobody in the netns listens.
 */
void tcpfsm_nl_transition(struct sock *sk, int from, int to,
			  enum tcpfsm_event cause)
{
	const struct tcpfsm_history *h = &tcpfsm_sk(sk)->history;
	const struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	u64 when;

	if (!tcpfsm_nl_want_events(net))
		return;
	/* tcpfsm_set_state() recorded it just now, with its time. */
	when = h->count ? h->rec[(h->count - 1) % TCPFSM_HISTORY].time_ns :
			  ktime_get_real_ns();
	tcpfsm_nl_event(net, inet->inet_rcv_saddr, htons(inet->inet_num),
			inet->inet_daddr, inet->inet_dport, from, to, cause,
			when, NULL);
}

/**
 * tcpfsm_nl_tw_closed() - multicast a TIME_WAIT entry's end to "events"
 * @net: the entry's netns
 * @tw: the entry, being freed (the reaper's lock held, BH off)
 * @cause: why it ended
 * @lateness_ns: for TCPFSM_EV_TIMEOUT_2MSL, how long after its deadline
 */
void tcpfsm_nl_tw_closed(struct net *net, const struct tcpfsm_tw *tw,
			 enum tcpfsm_event cause, u64 lateness_ns)
{
	if (!tcpfsm_nl_want_events(net))
		return;
	tcpfsm_nl_event(net, tw->key.saddr, tw->key.sport, tw->key.daddr,
			tw->key.dport, TCPFSM_TIME_WAIT, TCPFSM_CLOSED, cause,
			ktime_get_real_ns(),
			cause == TCPFSM_EV_TIMEOUT_2MSL ? &lateness_ns : NULL);
}

/* The uAPI (generated from the spec) and the engine must agree. */
static void __init tcpfsm_nl_check_uapi(void)
{
#define SAME(a, b)	BUILD_BUG_ON((int)(a) != (int)(b))
	SAME(TCPFSM_CONN_STATE_ESTABLISHED, TCPFSM_ESTABLISHED);
	SAME(TCPFSM_CONN_STATE_SYN_SENT, TCPFSM_SYN_SENT);
	SAME(TCPFSM_CONN_STATE_SYN_RECEIVED, TCPFSM_SYN_RECEIVED);
	SAME(TCPFSM_CONN_STATE_FIN_WAIT_1, TCPFSM_FIN_WAIT_1);
	SAME(TCPFSM_CONN_STATE_FIN_WAIT_2, TCPFSM_FIN_WAIT_2);
	SAME(TCPFSM_CONN_STATE_TIME_WAIT, TCPFSM_TIME_WAIT);
	SAME(TCPFSM_CONN_STATE_CLOSED, TCPFSM_CLOSED);
	SAME(TCPFSM_CONN_STATE_CLOSE_WAIT, TCPFSM_CLOSE_WAIT);
	SAME(TCPFSM_CONN_STATE_LAST_ACK, TCPFSM_LAST_ACK);
	SAME(TCPFSM_CONN_STATE_LISTEN, TCPFSM_LISTEN);
	SAME(TCPFSM_CONN_STATE_CLOSING, TCPFSM_CLOSING);
	SAME(TCPFSM_CONN_STATE_CLOSING + 1, TCPFSM_NSTATES);

	SAME(TCPFSM_CAUSE_NONE, TCPFSM_EV_NONE);
	SAME(TCPFSM_CAUSE_CONNECT, TCPFSM_EV_CONNECT);
	SAME(TCPFSM_CAUSE_LISTEN, TCPFSM_EV_LISTEN);
	SAME(TCPFSM_CAUSE_CLOSE, TCPFSM_EV_CLOSE);
	SAME(TCPFSM_CAUSE_ABORT, TCPFSM_EV_ABORT);
	SAME(TCPFSM_CAUSE_RCV_SYN, TCPFSM_EV_RCV_SYN);
	SAME(TCPFSM_CAUSE_RCV_SYN_ACK, TCPFSM_EV_RCV_SYN_ACK);
	SAME(TCPFSM_CAUSE_RCV_ACK, TCPFSM_EV_RCV_ACK);
	SAME(TCPFSM_CAUSE_RCV_FIN, TCPFSM_EV_RCV_FIN);
	SAME(TCPFSM_CAUSE_RCV_FIN_ACK, TCPFSM_EV_RCV_FIN_ACK);
	SAME(TCPFSM_CAUSE_RCV_ACK_OF_FIN, TCPFSM_EV_RCV_ACK_OF_FIN);
	SAME(TCPFSM_CAUSE_RCV_RST, TCPFSM_EV_RCV_RST);
	SAME(TCPFSM_CAUSE_TIMEOUT_2MSL, TCPFSM_EV_TIMEOUT_2MSL);
	SAME(TCPFSM_CAUSE_TIMEOUT_FIN_WAIT_2, TCPFSM_EV_TIMEOUT_FIN_WAIT_2);
	SAME(TCPFSM_CAUSE_TIMEOUT_RETRIES, TCPFSM_EV_TIMEOUT_RETRIES);
	SAME(TCPFSM_CAUSE_ICMP_UNREACH, TCPFSM_EV_ICMP_UNREACH);
	SAME(TCPFSM_CAUSE_TIME_WAIT_DROPPED, TCPFSM_EV_TW_DROPPED);
	SAME(TCPFSM_CAUSE_TIME_WAIT_DROPPED + 1, TCPFSM_NEVENTS);

	SAME(TCPFSM_TIMER_KIND_NONE, TCPFSM_TIMER_NONE);
	SAME(TCPFSM_TIMER_KIND_RETRANSMIT, TCPFSM_TIMER_RETRANSMIT);
	SAME(TCPFSM_TIMER_KIND_PERSIST, TCPFSM_TIMER_PERSIST);
	SAME(TCPFSM_TIMER_KIND_FIN_WAIT_2, TCPFSM_TIMER_FIN_WAIT_2);
	SAME(TCPFSM_TIMER_KIND_DELACK, TCPFSM_TIMER_DELACK);

	/* Every counter and figure has an attribute (the maps say which). */
	SAME(TCPFSM_A_STATS_MAX - TCPFSM_A_STATS_PAD,
	     TCPFSM_MIB_MAX + TCPFSM_TW_STAT_MAX);
#undef SAME
}

int __init tcpfsm_nl_init(void)
{
	int err, i;

	tcpfsm_nl_check_uapi();
	for (i = 0; i < TCPFSM_MIB_MAX; i++)
		if (WARN_ON(!tcpfsm_nl_stats_attr[i]))
			return -EINVAL;
	for (i = 0; i < TCPFSM_TW_STAT_MAX; i++)
		if (WARN_ON(!tcpfsm_nl_tw_stat_attr[i]))
			return -EINVAL;
	err = genl_register_family(&tcpfsm_nl_family);
	if (err)
		return err;
	WRITE_ONCE(tcpfsm_nl_up, true);
	return 0;
}

void tcpfsm_nl_exit(void)
{
	WRITE_ONCE(tcpfsm_nl_up, false);
	/* Event senders in softirq (RCU readers) are done with the family. */
	synchronize_net();
	genl_unregister_family(&tcpfsm_nl_family);
}
