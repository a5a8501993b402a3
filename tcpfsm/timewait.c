// SPDX-License-Identifier: GPL-2.0
/*
 * TIME_WAIT (RFC 9293 §3.3.2, §3.10.7.4; RFC 1337; RFC 6191) without the
 * socket.
 *
 * When the active closer reaches TIME_WAIT the engine calls
 * tcpfsm_tw_enter() and frees the socket; what TIME_WAIT needs (4-tuple,
 * SND.NXT, RCV.NXT, window, deadline, the move into TIME_WAIT) goes into a
 * struct tcpfsm_tw of under 128 bytes from its own kmem_cache, found by
 * 4-tuple in an rhashtable.
 *
 * The reaper.  Each netns has one: its entries on deadline-ordered queues
 * and ONE hrtimer (CLOCK_MONOTONIC, soft, absolute) armed for the earliest
 * deadline; there is no per-entry timer.  A run frees what is due, at most
 * TCPFSM_TW_BATCH entries and TCPFSM_TW_RUN_NS of time, then re-arms for
 * the next deadline, or for "now" when it stopped early, so that softirq
 * work stays small and others get their turn even with a million entries
 * expiring together.
 *
 * Why queues rather than one FIFO: with a single 2 MSL, appending keeps a
 * FIFO in deadline order.  But msl_ms is read when an entry is created, so
 * after it is lowered new entries expire before older ones already queued.
 * An entry is therefore appended to a queue whose tail expires no later
 * than it does (the fullest such, best fit), else to an empty queue: every
 * queue stays sorted and insertion O(1).  A queue is needed per step down
 * of msl_ms still alive (raising it, or going back up, reuses a queue);
 * TCPFSM_TW_NQUEUES covers any sane use.  Should all be taken, the entry is
 * inserted in order walking back from a tail: O(n), but only after several
 * decreases within one 2 MSL.  The timer is armed for the earliest head.
 *
 * Concurrency.  The reaper's spinlock (taken with BH off: the timer runs in
 * softirq) guards the queues, the port table, the counters and each
 * entry's queue linkage and @dead flag; the rhashtables have their own
 * bucket locks, always taken inside ours.  Lookups are lockless under RCU:
 * the protocol handler runs in an RCU read-side section, and the entry it
 * finds stays valid for that whole section because entries are freed
 * with call_rcu().  An entry is unlinked exactly once, by whoever takes
 * the lock and finds @dead clear: the reaper, a SYN reusing the 4-tuple,
 * a replacing entry, or netns teardown; everyone else sees @dead and lets
 * go.  Every hrtimer_start() happens under the lock, so @armed is always
 * the pending expiry; the callback re-arms with hrtimer_start() rather
 * than HRTIMER_RESTART because another CPU may have started the timer
 * while the callback waited for the lock.
 *
 * Freeing: call_rcu(), not SLAB_TYPESAFE_BY_RCU.  rhashtable readers may
 * still follow a removed entry's ->next, so its memory must not be reused
 * before they are done, and a type-safe cache would need a refcount and a
 * key re-check on every lookup.  The rcu_head costs nothing: it shares
 * space with the queue linkage, which an unlinked entry no longer uses.
 * call_rcu() rather than kfree_rcu() because rcu_barrier() waits for the
 * former only, and the cache must be empty when tcpfsm_tw_exit()
 * destroys it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "tcpfsm.h"
#include "timewait.h"
#include "trace.h"

/* One reaper run frees at most this many entries ... */
#define TCPFSM_TW_BATCH		512
/* ... and stops after this long, checked every TCPFSM_TW_CHECK entries. */
#define TCPFSM_TW_RUN_NS	(500 * NSEC_PER_USEC)
#define TCPFSM_TW_CHECK		16
/* Teardown frees this many per lock hold, then may reschedule. */
#define TCPFSM_TW_EXIT_BATCH	1024
/* Out-of-window ACKs, at most one per entry this often (Linux's
 * tcp_invalid_ratelimit default).
 */
#define TCPFSM_TW_OOW_MS	500

/* The entries holding one local port, for bind() conflict checks. */
struct tcpfsm_tw_port {
	struct rhash_head	node;
	struct hlist_head	entries;
	struct rcu_head		rcu;
	__be16			port;
};

static struct kmem_cache *tcpfsm_tw_cachep __read_mostly;

static const struct rhashtable_params tcpfsm_tw_params = {
	.head_offset		= offsetof(struct tcpfsm_tw, node),
	.key_offset		= offsetof(struct tcpfsm_tw, key),
	.key_len		= sizeof(struct tcpfsm_tw_key),
	.automatic_shrinking	= true,
};

static const struct rhashtable_params tcpfsm_tw_port_params = {
	.head_offset		= offsetof(struct tcpfsm_tw_port, node),
	.key_offset		= offsetof(struct tcpfsm_tw_port, port),
	.key_len		= sizeof(__be16),
	.automatic_shrinking	= true,
};

static struct tcpfsm_tw_reaper *tcpfsm_tw_reaper_of(struct net *net)
{
	return tcpfsm_pernet(net)->reaper;
}

static void tcpfsm_tw_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(tcpfsm_tw_cachep,
			container_of(head, struct tcpfsm_tw, rcu));
}

/* The entry with the earliest deadline: the earliest of the queue heads. */
static struct tcpfsm_tw *tcpfsm_tw_earliest(struct tcpfsm_tw_reaper *r)
{
	struct tcpfsm_tw *best = NULL, *tw;
	int q;

	for (q = 0; q < TCPFSM_TW_NQUEUES; q++) {
		tw = list_first_entry_or_null(&r->queue[q], struct tcpfsm_tw,
					      fifo);
		if (tw && (!best || tw->deadline < best->deadline))
			best = tw;
	}
	return best;
}

/* Walk order, for /proc and teardown: queue by queue. */
static struct tcpfsm_tw *tcpfsm_tw_first_from(struct tcpfsm_tw_reaper *r,
					      int q)
{
	for (; q < TCPFSM_TW_NQUEUES; q++)
		if (!list_empty(&r->queue[q]))
			return list_first_entry(&r->queue[q], struct tcpfsm_tw,
						fifo);
	return NULL;
}

static struct tcpfsm_tw *tcpfsm_tw_walk_next(struct tcpfsm_tw_reaper *r,
					     struct tcpfsm_tw *tw)
{
	if (!list_is_last(&tw->fifo, &r->queue[tw->queue]))
		return list_next_entry(tw, fifo);
	return tcpfsm_tw_first_from(r, tw->queue + 1);
}

/* @tw leaves its place in the walk: a /proc reader there moves on. */
static void tcpfsm_tw_walk_forget(struct tcpfsm_tw_reaper *r,
				  struct tcpfsm_tw *tw)
{
	if (r->walk_valid && r->walk_tw == tw) {
		r->walk_tw = tcpfsm_tw_walk_next(r, tw);
		r->walk_skip = true;
	}
}

/* Arm the timer for @when unless it already fires no later. */
static void tcpfsm_tw_arm(struct tcpfsm_tw_reaper *r, ktime_t when)
{
	lockdep_assert_held(&r->lock);
	if (r->dying || when >= r->armed)
		return;
	r->armed = when;
	hrtimer_start(&r->timer, when, HRTIMER_MODE_ABS_SOFT);
}

/*
 * Queue @tw, whose deadline is set, keeping every queue sorted: see the
 * comment at the top.  Arms the timer if @tw is now the earliest.
 */
static void tcpfsm_tw_queue_add(struct tcpfsm_tw_reaper *r,
				struct tcpfsm_tw *tw)
{
	int q, fit = -1, empty = -1, earliest = -1;
	ktime_t fit_tail = 0, earliest_tail = 0;
	struct tcpfsm_tw *pos;
	ktime_t tail;

	lockdep_assert_held(&r->lock);
	for (q = 0; q < TCPFSM_TW_NQUEUES; q++) {
		if (list_empty(&r->queue[q])) {
			if (empty < 0)
				empty = q;
			continue;
		}
		tail = list_last_entry(&r->queue[q], struct tcpfsm_tw,
				       fifo)->deadline;
		if (tail <= tw->deadline && (fit < 0 || tail > fit_tail)) {
			fit = q;
			fit_tail = tail;
		}
		if (earliest < 0 || tail < earliest_tail) {
			earliest = q;
			earliest_tail = tail;
		}
	}
	if (fit < 0)
		fit = empty;
	if (fit >= 0) {
		list_add_tail(&tw->fifo, &r->queue[fit]);
		tw->queue = fit;
	} else {
		/* Every queue ends later than @tw: insert it in order. */
		list_for_each_entry_reverse(pos, &r->queue[earliest], fifo)
			if (pos->deadline <= tw->deadline)
				break;
		list_add(&tw->fifo, &pos->fifo);
		tw->queue = earliest;
	}
	tcpfsm_tw_arm(r, tw->deadline);
}

static int tcpfsm_tw_port_add(struct tcpfsm_tw_reaper *r,
			      struct tcpfsm_tw *tw)
{
	struct tcpfsm_tw_port *p;
	int err;

	p = rhashtable_lookup_fast(&r->ports, &tw->key.sport,
				   tcpfsm_tw_port_params);
	if (!p) {
		p = kmalloc(sizeof(*p), GFP_ATOMIC | __GFP_NOWARN);
		if (!p)
			return -ENOMEM;
		p->port = tw->key.sport;
		INIT_HLIST_HEAD(&p->entries);
		err = rhashtable_insert_fast(&r->ports, &p->node,
					     tcpfsm_tw_port_params);
		if (err) {
			kfree(p);
			return err;
		}
	}
	hlist_add_head(&tw->port_node, &p->entries);
	return 0;
}

static void tcpfsm_tw_port_del(struct tcpfsm_tw_reaper *r,
			       struct tcpfsm_tw *tw)
{
	struct tcpfsm_tw_port *p;

	p = rhashtable_lookup_fast(&r->ports, &tw->key.sport,
				   tcpfsm_tw_port_params);
	hlist_del(&tw->port_node);
	if (p && hlist_empty(&p->entries)) {
		rhashtable_remove_fast(&r->ports, &p->node,
				       tcpfsm_tw_port_params);
		kfree_rcu(p, rcu);
	}
}

/*
 * The connection's last transition, TIME_WAIT -> CLOSED, as the socket's
 * transitions are told (tcpfsm_set_state()).
 */
static void tcpfsm_tw_notify_closed(struct tcpfsm_tw_reaper *r,
				    const struct tcpfsm_tw *tw,
				    enum tcpfsm_event cause, u64 late_ns)
{
	trace_tcpfsm_set_state(tw, tcpfsm_proto, tw->key.saddr, tw->key.sport,
			       tw->key.daddr, tw->key.dport, TCPFSM_TIME_WAIT,
			       TCPFSM_CLOSED, cause);
	tcpfsm_nl_tw_closed(r->net, tw, cause, late_ns);
}

/*
 * Unlink @tw for good and free it after a grace period.  Lookups stop
 * finding it; RCU readers that already have it see @dead.  @late_ns: for
 * a reaped entry, how long after its deadline.
 */
static void tcpfsm_tw_unlink(struct tcpfsm_tw_reaper *r, struct tcpfsm_tw *tw,
			     enum tcpfsm_event cause, u64 late_ns)
{
	lockdep_assert_held(&r->lock);
	tcpfsm_tw_walk_forget(r, tw);
	list_del(&tw->fifo);
	rhashtable_remove_fast(&r->table, &tw->node, tcpfsm_tw_params);
	tcpfsm_tw_port_del(r, tw);
	WRITE_ONCE(tw->dead, 1);
	WRITE_ONCE(r->count, r->count - 1);
	tcpfsm_tw_notify_closed(r, tw, cause, late_ns);
	/* @rcu overlays @fifo, which is done with. */
	call_rcu(&tw->rcu, tcpfsm_tw_free_rcu);
}

/*
 * The lateness histogram: bucket i counts entries freed more than
 * bound[i - 1] and at most bound[i] after their deadline, in 1-2-5 steps
 * from 10 us to 100 ms, the last bucket everything later; fine enough to
 * read a p99 against the 1 ms target from it.
 */
static const u32 tcpfsm_tw_late_bound_us[] = {
	10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000,
	100000,
};

VISIBLE_IF_KUNIT void tcpfsm_tw_count_late(struct tcpfsm_tw_reaper *r,
					   u64 late_ns)
{
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(tcpfsm_tw_late_bound_us) + 1 !=
		     ARRAY_SIZE(r->late_hist));
	for (i = 0; i < ARRAY_SIZE(tcpfsm_tw_late_bound_us); i++)
		if (late_ns <= (u64)tcpfsm_tw_late_bound_us[i] * NSEC_PER_USEC)
			break;
	WRITE_ONCE(r->late_hist[i], r->late_hist[i] + 1);
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_count_late);

static enum hrtimer_restart tcpfsm_tw_reap(struct hrtimer *timer)
{
	struct tcpfsm_tw_reaper *r = container_of(timer,
						  struct tcpfsm_tw_reaper,
						  timer);
	ktime_t start, now, next = KTIME_MAX;
	struct tcpfsm_tw *tw;
	unsigned int n = 0;
	bool more = false;
	u64 late, took;

	spin_lock_bh(&r->lock);
	start = ktime_get();
	now = start;
	WRITE_ONCE(r->runs, r->runs + 1);	/* see tcpfsm_tw_runs() */
	while (!r->dying) {
		tw = tcpfsm_tw_earliest(r);
		if (!tw || tw->deadline > start)
			break;
		if (n && !(n % TCPFSM_TW_CHECK)) {
			now = ktime_get();
			if (n >= TCPFSM_TW_BATCH ||
			    ktime_sub(now, start) >= TCPFSM_TW_RUN_NS) {
				more = true;
				break;
			}
		}
		late = ktime_sub(now, tw->deadline);
		if (late > r->lateness_max_ns)
			WRITE_ONCE(r->lateness_max_ns, late);
		tcpfsm_tw_count_late(r, late);
		tcpfsm_tw_unlink(r, tw, TCPFSM_EV_TIMEOUT_2MSL, late);
		TCPFSM_INC_STATS(r->net, TCPFSM_MIB_TW_REAPED);
		n++;
	}

	if (!r->dying) {
		/*
		 * Stopped early: go again at once, in a later softirq run.
		 * "Now" is after this run's base time, so the hrtimer core
		 * does not loop straight back into us.
		 */
		tw = tcpfsm_tw_earliest(r);
		if (more)
			next = ktime_get();
		else if (tw)
			next = tw->deadline;
	}
	r->armed = next;
	if (next != KTIME_MAX)
		hrtimer_start(&r->timer, next, HRTIMER_MODE_ABS_SOFT);
	took = ktime_sub(ktime_get(), start);
	if (took > r->run_max_ns) {
		WRITE_ONCE(r->run_max_ns, took);
		WRITE_ONCE(r->run_max_entries, n);
	}
	WRITE_ONCE(r->run_total_ns, r->run_total_ns + took);
	/* In whole us, as ReaperRunMaxUs: over 1000 there means counted here. */
	if (div_u64(took, NSEC_PER_USEC) > USEC_PER_MSEC)
		WRITE_ONCE(r->runs_over_1ms, r->runs_over_1ms + 1);
	spin_unlock_bh(&r->lock);
	return HRTIMER_NORESTART;
}

/**
 * tcpfsm_tw_decide() - what TIME_WAIT does with a segment
 * @rcv_nxt: the entry's RCV.NXT (their FIN included)
 * @seq: SEG.SEQ
 * @len: payload length
 * @flags: the header's flags byte (TCPHDR_*)
 *
 * As Linux's tcp_timewait_state_process() with RFC 1337 on and without
 * timestamps:
 *  - an RST never ends TIME_WAIT and draws nothing (RFC 1337);
 *  - a SYN without ACK above RCV.NXT may open a new incarnation
 *    (RFC 9293 §3.6.1 / RFC 1122 4.2.2.13, RFC 6191);
 *  - their FIN again (it ends at RCV.NXT): our ACK was lost, ACK again and
 *    restart 2 MSL (RFC 9293 §3.10.7.4, "TIME-WAIT STATE");
 *  - a bare segment at RCV.NXT (an ACK of our FIN, duplicated) is
 *    acceptable and needs no answer;
 *  - anything else is not acceptable and draws <SEQ=SND.NXT>
 *    <ACK=RCV.NXT><CTL=ACK> (§3.10.7.4); only data never is ACKed, so
 *    for everything else (pure ACKs, SYNs) those ACKs are rate-limited
 *    against ACK loops, as Linux's tcp_oow_rate_limited().
 *
 * Only the FIN restarts the 2 MSL timer: RFC 9293 names nothing else (Linux
 * also restarts it on ACKs, which lets a peer keep the entry forever).
 *
 * Return: an enum tcpfsm_tw_verdict.
 */
VISIBLE_IF_KUNIT enum tcpfsm_tw_verdict tcpfsm_tw_decide(u32 rcv_nxt, u32 seq,
							 u32 len, u8 flags)
{
	u32 end_seq = seq + len + !!(flags & TCPHDR_SYN) +
		      !!(flags & TCPHDR_FIN);

	if (flags & TCPHDR_RST)
		return TCPFSM_TW_DROP;
	if ((flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN &&
	    after(seq, rcv_nxt))
		return TCPFSM_TW_REUSE;
	if ((flags & (TCPHDR_SYN | TCPHDR_FIN | TCPHDR_ACK)) ==
	    (TCPHDR_FIN | TCPHDR_ACK) && end_seq == rcv_nxt)
		return TCPFSM_TW_FIN_ACK;
	if (seq == rcv_nxt && end_seq == seq)
		return TCPFSM_TW_DROP;
	if (seq != end_seq && !(flags & TCPHDR_SYN))
		return TCPFSM_TW_ACK;
	return TCPFSM_TW_ACK_LIMITED;
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_decide);

/**
 * tcpfsm_tw_restart() - restart @tw's 2 MSL, their FIN having come again
 * @r: its reaper
 * @tw: the entry, found under RCU
 *
 * The entry moves to the tail of a queue with a new deadline, its own
 * duration from now (msl_ms as it was at creation).
 */
VISIBLE_IF_KUNIT void tcpfsm_tw_restart(struct tcpfsm_tw_reaper *r,
				       struct tcpfsm_tw *tw)
{
	spin_lock_bh(&r->lock);
	if (!tw->dead) {
		tcpfsm_tw_walk_forget(r, tw);
		list_del(&tw->fifo);
		tw->deadline = ktime_add_ms(ktime_get(), tw->dur_ms);
		tcpfsm_tw_queue_add(r, tw);
	}
	spin_unlock_bh(&r->lock);
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_restart);

/*
 * tcpfsm_tw_insert(), keeping from @h (the socket's history, its newest
 * record the move into TIME_WAIT) what conn-get reports of the entry.
 */
static int __tcpfsm_tw_insert(struct tcpfsm_tw_reaper *r,
			      const struct tcpfsm_tw_key *key, u32 snd_nxt,
			      u32 rcv_nxt, u32 rcv_wnd, u32 dur_ms, bool reuse,
			      const struct tcpfsm_history *h)
{
	const struct tcpfsm_record *rec = NULL;
	struct tcpfsm_tw *tw, *old;
	int err, tries = 2;

	tw = kmem_cache_alloc(tcpfsm_tw_cachep, GFP_ATOMIC | __GFP_NOWARN);
	if (!tw)
		return -ENOMEM;
	/* Everything lockless readers look at, before it is published. */
	tw->key = *key;
	tw->snd_nxt = snd_nxt;
	tw->rcv_nxt = rcv_nxt;
	tw->rcv_wnd = min_t(u32, rcv_wnd, U16_MAX);
	tw->dur_ms = dur_ms;
	tw->reuse = reuse;
	tw->last_oow = (u32)jiffies - msecs_to_jiffies(TCPFSM_TW_OOW_MS);
	tw->dead = 0;
	if (h && h->count)
		rec = &h->rec[(h->count - 1) % TCPFSM_HISTORY];
	tw->entered_ns = rec ? rec->time_ns : ktime_get_real_ns();
	tw->history_count = rec ? h->count : 1;
	tw->entered_from = rec ? rec->from : TCPFSM_FIN_WAIT_2;
	tw->entered_cause = rec ? rec->cause : TCPFSM_EV_RCV_FIN;

	spin_lock_bh(&r->lock);
	err = -ENOENT;
	if (r->dying)
		goto unlock_free;
	do {
		old = rhashtable_lookup_get_insert_fast(&r->table, &tw->node,
							tcpfsm_tw_params);
		if (IS_ERR(old)) {
			err = PTR_ERR(old);
			goto unlock_free;
		}
		/* The engine let a new connection take the 4-tuple. */
		if (old)
			tcpfsm_tw_unlink(r, old, TCPFSM_EV_ABORT, 0);
	} while (old && --tries);
	err = -EEXIST;
	if (old)
		goto unlock_free;
	err = tcpfsm_tw_port_add(r, tw);
	if (err) {
		rhashtable_remove_fast(&r->table, &tw->node, tcpfsm_tw_params);
		goto unlock_free;
	}
	tw->deadline = ktime_add_ms(ktime_get(), dur_ms);
	tcpfsm_tw_queue_add(r, tw);
	WRITE_ONCE(r->count, r->count + 1);
	spin_unlock_bh(&r->lock);
	TCPFSM_INC_STATS(r->net, TCPFSM_MIB_TW_ENTERED);
	return 0;

unlock_free:
	spin_unlock_bh(&r->lock);
	/* Published for a moment if the port failed: readers may have it. */
	call_rcu(&tw->rcu, tcpfsm_tw_free_rcu);
	return err;
}

/* The KUnit tests' way in: entries with no socket behind them. */
#if IS_ENABLED(CONFIG_KUNIT)
/**
 * tcpfsm_tw_insert() - create a TIME_WAIT entry
 * @r: the netns's reaper
 * @key: the 4-tuple, local end first
 * @snd_nxt: our SND.NXT, our FIN included
 * @rcv_nxt: our RCV.NXT, their FIN included
 * @rcv_wnd: the window field last advertised (scaled)
 * @dur_ms: how long it lasts: 2 MSL
 * @reuse: the socket had SO_REUSEADDR (see tcpfsm_tw_port_held())
 *
 * An entry already there for the 4-tuple is replaced.
 *
 * Return: 0, -ENOMEM, -ENOENT when the netns is going away, or the
 * rhashtable's error.
 */
VISIBLE_IF_KUNIT int tcpfsm_tw_insert(struct tcpfsm_tw_reaper *r,
				      const struct tcpfsm_tw_key *key,
				      u32 snd_nxt, u32 rcv_nxt, u32 rcv_wnd,
				      u32 dur_ms, bool reuse)
{
	return __tcpfsm_tw_insert(r, key, snd_nxt, rcv_nxt, rcv_wnd, dur_ms,
				  reuse, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_insert);
#endif

/**
 * tcpfsm_tw_find() - the live entry for @key, under rcu_read_lock()
 * @r: the netns's reaper
 * @key: the 4-tuple, local end first
 *
 * Return: the entry, valid until rcu_read_unlock(), or NULL.
 */
VISIBLE_IF_KUNIT struct tcpfsm_tw *tcpfsm_tw_find(struct tcpfsm_tw_reaper *r,
						  const struct tcpfsm_tw_key *key)
{
	struct tcpfsm_tw *tw;

	tw = rhashtable_lookup(&r->table, key, tcpfsm_tw_params);
	if (tw && READ_ONCE(tw->dead))
		return NULL;
	return tw;
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_find);

/**
 * tcpfsm_tw_port_held() - does an entry hold local port @port on @addr?
 * @r: the netns's reaper
 * @addr: local address, 0 for any
 * @port: local port
 * @reuse: the binding socket has SO_REUSEADDR
 *
 * Usually O(1): the first entry on the port decides, unless the host has
 * several addresses and the ones in TIME_WAIT are not @addr.  As in Linux
 * TCP's bind conflict test, SO_REUSEADDR lets a socket bind over an entry
 * only when the socket that left the entry had it too.
 *
 * Return: true when one does, the addresses overlapping (0 overlaps all).
 */
VISIBLE_IF_KUNIT bool tcpfsm_tw_port_held(struct tcpfsm_tw_reaper *r,
					  __be32 addr, __be16 port, bool reuse)
{
	struct tcpfsm_tw_port *p;
	struct tcpfsm_tw *tw;
	bool busy = false;

	spin_lock_bh(&r->lock);
	p = rhashtable_lookup_fast(&r->ports, &port, tcpfsm_tw_port_params);
	if (p) {
		hlist_for_each_entry(tw, &p->entries, port_node) {
			if (reuse && tw->reuse)
				continue;
			if (!addr || !tw->key.saddr || tw->key.saddr == addr) {
				busy = true;
				break;
			}
		}
	}
	spin_unlock_bh(&r->lock);
	return busy;
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_port_held);

/**
 * tcpfsm_tw_reaper_create() - a netns's (empty) reaper
 * @net: the netns
 *
 * Return: the reaper, or NULL.
 */
VISIBLE_IF_KUNIT struct tcpfsm_tw_reaper *tcpfsm_tw_reaper_create(struct net *net)
{
	struct tcpfsm_tw_reaper *r;
	int q;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	if (rhashtable_init(&r->table, &tcpfsm_tw_params))
		goto free;
	if (rhashtable_init(&r->ports, &tcpfsm_tw_port_params))
		goto destroy_table;
	spin_lock_init(&r->lock);
	for (q = 0; q < TCPFSM_TW_NQUEUES; q++)
		INIT_LIST_HEAD(&r->queue[q]);
	hrtimer_init(&r->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	r->timer.function = tcpfsm_tw_reap;
	r->armed = KTIME_MAX;
	r->net = net;
	return r;

destroy_table:
	rhashtable_destroy(&r->table);
free:
	kfree(r);
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_reaper_create);

/**
 * tcpfsm_tw_reaper_destroy() - free a reaper and every entry it holds
 * @r: the reaper, or NULL
 *
 * Process context.  No new entries once it starts; the timer is cancelled
 * before anything is freed, then the entries go in batches with the lock
 * dropped and a chance to reschedule between them.
 */
VISIBLE_IF_KUNIT void tcpfsm_tw_reaper_destroy(struct tcpfsm_tw_reaper *r)
{
	struct tcpfsm_tw *tw;
	unsigned int n;

	if (!r)
		return;
	/* First, so that nothing (re-)arms the timer once it is cancelled. */
	spin_lock_bh(&r->lock);
	r->dying = true;
	spin_unlock_bh(&r->lock);
	hrtimer_cancel(&r->timer);

	do {
		n = 0;
		spin_lock_bh(&r->lock);
		while (n < TCPFSM_TW_EXIT_BATCH &&
		       (tw = tcpfsm_tw_first_from(r, 0))) {
			tcpfsm_tw_unlink(r, tw, TCPFSM_EV_ABORT, 0);
			n++;
		}
		spin_unlock_bh(&r->lock);
		cond_resched();
	} while (n);

	/* Empty now; the entries' RCU callbacks do not look at @r. */
	rhashtable_destroy(&r->ports);
	rhashtable_destroy(&r->table);
	kfree(r);
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_reaper_destroy);

/* TIME_WAIT's answer: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
static void tcpfsm_tw_ack(struct tcpfsm_tw_reaper *r,
			  const struct tcpfsm_tw *tw, struct sk_buff *skb)
{
	tcpfsm_send_reply(r->net, skb, tw->snd_nxt, tw->rcv_nxt,
			  TCPHDR_ACK, tw->rcv_wnd);
}

/* At most one ACK per TCPFSM_TW_OOW_MS to non-data segments. */
static bool tcpfsm_tw_oow_limited(struct tcpfsm_tw *tw)
{
	u32 now = (u32)jiffies;
	s32 elapsed = now - READ_ONCE(tw->last_oow);

	if (elapsed >= 0 &&
	    elapsed < (s32)msecs_to_jiffies(TCPFSM_TW_OOW_MS))
		return true;
	WRITE_ONCE(tw->last_oow, now);
	return false;
}

/* Where tcpfsm_tw_syn_isn() finds it: the last word of skb->cb. */
#define TCPFSM_TW_ISN_OFF	(sizeof_field(struct sk_buff, cb) - sizeof(u32))

/**
 * tcpfsm_tw_syn_isn() - the ISN for a connection reusing a TIME_WAIT tuple
 * @skb: the SYN for which tcpfsm_tw_rcv() returned TCPFSM_TW_SYN_REUSE
 *
 * Above anything the old incarnation sent, as RFC 1122 4.2.2.13 asks
 * (Linux's tw_snd_nxt + 65535 + 2).  It lives in the last 32-bit word of
 * skb->cb, past struct tcpfsm_skb_cb and IPCB: read it before anything
 * else writes all of skb->cb.
 *
 * Return: the ISN, never 0.
 */
u32 tcpfsm_tw_syn_isn(const struct sk_buff *skb)
{
	return *(const u32 *)&skb->cb[TCPFSM_TW_ISN_OFF];
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_syn_isn);

/**
 * tcpfsm_tw_rcv() - a segment for a TIME_WAIT entry
 * @r: its reaper
 * @tw: the entry, from tcpfsm_tw_lookup() in the same RCU read section
 * @skb: the segment, skb->data at its (checksummed) header
 *
 * Return: 0 when consumed (the skb is freed), or TCPFSM_TW_SYN_REUSE
 * (timewait.h): the entry is gone and the SYN, still the caller's, is
 * for the listener, with tcpfsm_tw_syn_isn() as the ISN.
 */
int tcpfsm_tw_rcv(struct tcpfsm_tw_reaper *r, struct tcpfsm_tw *tw,
		  struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb->data;
	u8 flags = tcp_flag_byte(th);
	bool killed = false;
	u32 isn;

	switch (tcpfsm_tw_decide(tw->rcv_nxt, ntohl(th->seq),
				 skb->len - th->doff * 4, flags)) {
	case TCPFSM_TW_REUSE:
		spin_lock_bh(&r->lock);
		if (!tw->dead) {
			tcpfsm_tw_unlink(r, tw, TCPFSM_EV_RCV_SYN, 0);
			killed = true;
		}
		spin_unlock_bh(&r->lock);
		if (killed)
			TCPFSM_INC_STATS(r->net, TCPFSM_MIB_TW_REUSED);
		isn = tw->snd_nxt + 65535 + 2;
		*(u32 *)&skb->cb[TCPFSM_TW_ISN_OFF] = isn ?: 1;
		return TCPFSM_TW_SYN_REUSE;
	case TCPFSM_TW_FIN_ACK:
		tcpfsm_tw_restart(r, tw);
		tcpfsm_tw_ack(r, tw, skb);
		break;
	case TCPFSM_TW_ACK:
		tcpfsm_tw_ack(r, tw, skb);
		break;
	case TCPFSM_TW_ACK_LIMITED:
		if (!tcpfsm_tw_oow_limited(tw))
			tcpfsm_tw_ack(r, tw, skb);
		break;
	case TCPFSM_TW_DROP:
		if (flags & TCPHDR_RST) {
			/* RFC 1337: TIME_WAIT assassination refused. */
			TCPFSM_INC_STATS(r->net, TCPFSM_MIB_DROP_STATE);
			kfree_skb(skb);
			return 0;
		}
		break;
	}
	consume_skb(skb);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_tw_rcv);

/**
 * tcpfsm_tw_enter() - replace @sk, now in TIME_WAIT, by an entry
 * @sk: the socket, locked; the caller frees it afterwards
 *
 * The entry lasts 2 * msl_ms as the sysctl reads now.  With max_tw
 * entries already there, none is made (counted in TimeWaitOverflow).
 *
 * Return: 0, or a negative errno (no memory, max_tw, netns going away): the
 * connection then simply ends without TIME_WAIT.
 */
int tcpfsm_tw_enter(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	const struct inet_sock *inet = inet_sk(sk);
	const struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_tw_key key = {
		.saddr	= inet->inet_rcv_saddr,
		.daddr	= inet->inet_daddr,
		.sport	= inet->inet_sport,
		.dport	= inet->inet_dport,
	};

	if (!tn->reaper)
		return -ENOENT;
	if (tcpfsm_tw_count(sock_net(sk)) >= READ_ONCE(tn->max_tw)) {
		/* As Linux's "time wait bucket table overflow", counted. */
		TCPFSM_INC_STATS(sock_net(sk), TCPFSM_MIB_TW_OVERFLOW);
		return -ENOSPC;
	}
	return __tcpfsm_tw_insert(tn->reaper, &key, tp->snd_nxt, tp->rcv_nxt,
				  tp->rcv_wnd >> tp->rcv_wscale, 2 * (u32)READ_ONCE(tn->msl_ms),
				  sk->sk_reuse, &tp->history);
}

/**
 * tcpfsm_tw_lookup() - the TIME_WAIT entry for a 4-tuple
 * @net: the netns
 * @saddr: local address
 * @sport: local port
 * @daddr: remote address
 * @dport: remote port
 *
 * O(1), for softirq.  The caller holds rcu_read_lock() (the protocol
 * handler runs in one) and calls tcpfsm_tw_rcv() in the same section.
 *
 * Return: the entry, or NULL.
 */
struct tcpfsm_tw *tcpfsm_tw_lookup(struct net *net, __be32 saddr, __be16 sport,
				   __be32 daddr, __be16 dport)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);
	const struct tcpfsm_tw_key key = {
		.saddr	= saddr,
		.daddr	= daddr,
		.sport	= sport,
		.dport	= dport,
	};

	if (!r)
		return NULL;
	return tcpfsm_tw_find(r, &key);
}

/**
 * tcpfsm_tw_kill() - end a TIME_WAIT entry now (netlink conn-kill)
 * @net: the netns
 * @key: the 4-tuple, local end first
 *
 * Like Linux's tcp_abort() on a timewait socket: the entry goes without
 * a segment (there is no one to tell), freeing the 4-tuple and the port.
 *
 * Return: 0, or -ENOENT when there is no such entry.
 */
int tcpfsm_tw_kill(struct net *net, const struct tcpfsm_tw_key *key)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);
	struct tcpfsm_tw *tw;
	int err = -ENOENT;

	if (!r)
		return err;
	rcu_read_lock();
	tw = tcpfsm_tw_find(r, key);
	if (tw) {
		spin_lock_bh(&r->lock);
		if (!tw->dead) {
			tcpfsm_tw_unlink(r, tw, TCPFSM_EV_ABORT, 0);
			err = 0;
		}
		spin_unlock_bh(&r->lock);
	}
	rcu_read_unlock();
	return err;
}

/**
 * tcpfsm_tw_port_busy() - is local port @port taken by TIME_WAIT on @addr?
 * @net: the netns
 * @addr: the address to bind, 0 for any
 * @port: the port
 * @reuse: the binding socket has SO_REUSEADDR
 *
 * Return: true when an entry holds @port on an address overlapping @addr
 * and @reuse does not let the socket share it.
 */
bool tcpfsm_tw_port_busy(struct net *net, __be32 addr, __be16 port,
			 bool reuse)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);

	return r && tcpfsm_tw_port_held(r, addr, port, reuse);
}

/**
 * tcpfsm_tw_count() - entries in TIME_WAIT now
 * @net: the netns
 *
 * Return: the count.
 */
long tcpfsm_tw_count(struct net *net)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);

	return r ? READ_ONCE(r->count) : 0;
}

/**
 * tcpfsm_tw_lateness_max_ns() - the reaper's worst lateness so far
 * @net: the netns
 *
 * Return: the largest delay, in ns, from an entry's deadline to the run
 * that freed it.
 */
u64 tcpfsm_tw_lateness_max_ns(struct net *net)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);

	return r ? READ_ONCE(r->lateness_max_ns) : 0;
}

/**
 * tcpfsm_tw_stat() - one of the reaper's figures, for /proc and netlink
 * @net: the netns
 * @which: the figure
 *
 * Read without the reaper's lock: each is one word, written under it.
 *
 * Return: its value (times in microseconds), 0 without a reaper.
 */
u64 tcpfsm_tw_stat(struct net *net, enum tcpfsm_tw_stat which)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);

	if (!r)
		return 0;
	switch (which) {
	case TCPFSM_TW_STAT_CURRENT:
		return READ_ONCE(r->count);
	case TCPFSM_TW_STAT_RUNS:
		return READ_ONCE(r->runs);
	case TCPFSM_TW_STAT_RUN_MAX_US:
		return div_u64(READ_ONCE(r->run_max_ns), NSEC_PER_USEC);
	case TCPFSM_TW_STAT_RUN_TOTAL_US:
		return div_u64(READ_ONCE(r->run_total_ns), NSEC_PER_USEC);
	case TCPFSM_TW_STAT_RUNS_OVER_1MS:
		return READ_ONCE(r->runs_over_1ms);
	case TCPFSM_TW_STAT_LATE_MAX_US:
		return div_u64(READ_ONCE(r->lateness_max_ns), NSEC_PER_USEC);
	case TCPFSM_TW_STAT_LATE_LE_10US ... TCPFSM_TW_STAT_LATE_OVER_100MS:
		return READ_ONCE(r->late_hist[which -
					      TCPFSM_TW_STAT_LATE_LE_10US]);
	case TCPFSM_TW_STAT_RUN_MAX_ENTRIES:
		return READ_ONCE(r->run_max_entries);
	default:
		return 0;
	}
}

/**
 * tcpfsm_tw_runs() - how often the reaper's timer has run
 * @net: the netns
 *
 * Return: the count.
 */
u64 tcpfsm_tw_runs(struct net *net)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);

	return r ? READ_ONCE(r->runs) : 0;
}

/*
 * /proc/tcpfsm/conns.  start() takes the reaper's lock (BH off) and stop()
 * drops it: call stop() once after every start(), NULL returned or not.
 * seq_file calls start() again with the position it stopped at, or the
 * one after; the reaper remembers where the last reader was, so reading
 * the whole list is O(n), not O(n^2).  When that entry goes away the
 * resume point moves on to its successor.
 */
static void tcpfsm_tw_walk_set(struct tcpfsm_tw_reaper *r,
			       struct tcpfsm_tw *tw, loff_t pos)
{
	r->walk_tw = tw;
	r->walk_pos = pos;
	r->walk_valid = true;
	r->walk_skip = false;
}

/**
 * tcpfsm_tw_seq_start() - start or resume a walk of the entries
 * @net: the netns
 * @pos: position among the entries
 *
 * Return: the entry at @pos, or NULL past the end.
 */
void *tcpfsm_tw_seq_start(struct net *net, loff_t pos)
	__acquires(tw_reaper_lock)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);
	struct tcpfsm_tw *tw;
	loff_t i;

	if (!r) {
		__acquire(tw_reaper_lock);
		return NULL;
	}
	spin_lock_bh(&r->lock);
	if (pos && r->walk_valid && pos == r->walk_pos) {
		tw = r->walk_tw;
	} else if (pos && r->walk_valid && pos == r->walk_pos + 1) {
		tw = r->walk_tw;
		if (tw && !r->walk_skip)
			tw = tcpfsm_tw_walk_next(r, tw);
	} else {
		tw = tcpfsm_tw_first_from(r, 0);
		for (i = 0; tw && i < pos; i++)
			tw = tcpfsm_tw_walk_next(r, tw);
	}
	tcpfsm_tw_walk_set(r, tw, pos);
	return tw;
}

/**
 * tcpfsm_tw_seq_next() - the entry after @v
 * @net: the netns
 * @v: an entry from tcpfsm_tw_seq_start() or tcpfsm_tw_seq_next()
 *
 * Return: the next entry, or NULL.
 */
void *tcpfsm_tw_seq_next(struct net *net, void *v)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);
	struct tcpfsm_tw *tw = tcpfsm_tw_walk_next(r, v);

	tcpfsm_tw_walk_set(r, tw, r->walk_pos + 1);
	return tw;
}

/**
 * tcpfsm_tw_seq_stop() - end a walk started by tcpfsm_tw_seq_start()
 * @net: the netns
 */
void tcpfsm_tw_seq_stop(struct net *net)
	__releases(tw_reaper_lock)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_of(net);

	if (!r) {
		__release(tw_reaper_lock);
		return;
	}
	spin_unlock_bh(&r->lock);
}

/**
 * tcpfsm_tw_seq_show() - one /proc/tcpfsm/conns line for an entry
 * @seq: the seq_file
 * @v: the entry, between tcpfsm_tw_seq_start() and tcpfsm_tw_seq_stop()
 */
void tcpfsm_tw_seq_show(struct seq_file *seq, void *v)
{
	const struct tcpfsm_tw *tw = v;
	char local[24], remote[24];
	s64 left = ktime_to_ms(ktime_sub(tw->deadline, ktime_get()));

	snprintf(local, sizeof(local), "%pI4:%u", &tw->key.saddr,
		 ntohs(tw->key.sport));
	snprintf(remote, sizeof(remote), "%pI4:%u", &tw->key.daddr,
		 ntohs(tw->key.dport));
	seq_printf(seq, TCPFSM_CONNS_FMT, local, remote,
		   tcpfsm_state_name(TCPFSM_TIME_WAIT), tw->snd_nxt,
		   tw->snd_nxt, tw->rcv_nxt, 0U, 0U, "timewait",
		   (unsigned long)max_t(s64, left, 0));
}

/**
 * tcpfsm_tw_net_init() - a netns's reaper
 * @net: the netns
 *
 * Return: 0 or -ENOMEM.
 */
int tcpfsm_tw_net_init(struct net *net)
{
	struct tcpfsm_tw_reaper *r = tcpfsm_tw_reaper_create(net);

	if (!r)
		return -ENOMEM;
	tcpfsm_pernet(net)->reaper = r;
	return 0;
}

/**
 * tcpfsm_tw_net_exit() - free a netns's reaper and its entries
 * @net: the netns
 *
 * Call before the netns's counters are freed.
 */
void tcpfsm_tw_net_exit(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);

	tcpfsm_tw_reaper_destroy(tn->reaper);
	tn->reaper = NULL;
}

/**
 * tcpfsm_tw_init() - module-wide set-up: the entries' cache
 *
 * Return: 0 or -ENOMEM.
 */
int tcpfsm_tw_init(void)
{
	/* The entry the reaper makes cheap: keep it in 96 bytes. */
	BUILD_BUG_ON(sizeof(struct tcpfsm_tw) > 96);
	/* jhash2() over whole words. */
	BUILD_BUG_ON(sizeof(struct tcpfsm_tw_key) % sizeof(u32));
	/* tcpfsm_tw_syn_isn()'s word is past both users of skb->cb. */
	BUILD_BUG_ON(sizeof(struct tcpfsm_skb_cb) >
		     sizeof_field(struct sk_buff, cb) - sizeof(u32));
	BUILD_BUG_ON(sizeof(struct inet_skb_parm) >
		     sizeof_field(struct sk_buff, cb) - sizeof(u32));

	tcpfsm_tw_cachep = kmem_cache_create("tcpfsm_tw",
					     sizeof(struct tcpfsm_tw), 0, 0,
					     NULL);
	if (!tcpfsm_tw_cachep)
		return -ENOMEM;
	pr_debug("TIME_WAIT entry: %zu bytes\n", sizeof(struct tcpfsm_tw));
	return 0;
}

/**
 * tcpfsm_tw_exit() - module-wide tear-down, after every netns's exit
 */
void tcpfsm_tw_exit(void)
{
	/* The entries' call_rcu() callbacks, before their cache goes. */
	rcu_barrier();
	kmem_cache_destroy(tcpfsm_tw_cachep);
}
