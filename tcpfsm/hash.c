// SPDX-License-Identifier: GPL-2.0
/*
 * Finding sockets, per netns: full sockets by 4-tuple in an rhashtable,
 * listeners by port (an RCU hash list where a specific address beats the
 * wildcard, SO_REUSEPORT groups picked by a flow hash), and the port table
 * that bind(), listen() and connect() allocate from with Linux's
 * EADDRINUSE rules: one bucket per port in use, as Linux's
 * inet_bind_bucket, so that whether a port is free or owned costs one
 * short chain however many sockets the netns has.
 *
 * Readers in softirq look up under RCU and take a reference with
 * refcount_inc_not_zero(); our sockets are SOCK_RCU_FREE, so the memory
 * stays valid for the whole read-side section.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>

#include "tcpfsm.h"

static const struct rhashtable_params tcpfsm_est_params = {
	.key_len		= sizeof(struct tcpfsm_key),
	.key_offset		= offsetof(struct tcpfsm_sock, key),
	.head_offset		= offsetof(struct tcpfsm_sock, node),
	.automatic_shrinking	= true,
};

static struct kmem_cache *tcpfsm_bb_cachep __read_mostly;

int tcpfsm_hash_init(void)
{
	tcpfsm_bb_cachep = kmem_cache_create("tcpfsm_bind_bucket",
					     sizeof(struct tcpfsm_bind_bucket),
					     0, 0, NULL);
	return tcpfsm_bb_cachep ? 0 : -ENOMEM;
}

/* After the last netns exit: every bucket is back. */
void tcpfsm_hash_exit(void)
{
	kmem_cache_destroy(tcpfsm_bb_cachep);
}

int tcpfsm_hash_net_init(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	int i, err;

	spin_lock_init(&tn->lock);
	INIT_LIST_HEAD(&tn->socks);
	for (i = 0; i < TCPFSM_LHASH_SIZE; i++)
		INIT_HLIST_HEAD(&tn->listen[i]);
	tn->bhash = kvmalloc_array(TCPFSM_BHASH_SIZE, sizeof(*tn->bhash),
				   GFP_KERNEL);
	if (!tn->bhash)
		return -ENOMEM;
	for (i = 0; i < TCPFSM_BHASH_SIZE; i++)
		INIT_HLIST_HEAD(&tn->bhash[i]);
	tn->hash_seed = get_random_u32();
	err = rhashtable_init(&tn->est, &tcpfsm_est_params);
	if (err) {
		kvfree(tn->bhash);
		tn->bhash = NULL;
	}
	return err;
}

void tcpfsm_hash_net_exit(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	struct tcpfsm_bind_bucket *bb;
	struct hlist_node *n;
	int i;

	/* tcpfsm_sock_net_exit() ended every socket of this netns, and the
	 * last socket on a port freed its bucket: none should be left.
	 */
	WARN_ON_ONCE(!list_empty(&tn->socks));
	for (i = 0; i < TCPFSM_BHASH_SIZE; i++) {
		hlist_for_each_entry_safe(bb, n, &tn->bhash[i], node) {
			WARN_ON_ONCE(1);
			hlist_del(&bb->node);
			kmem_cache_free(tcpfsm_bb_cachep, bb);
		}
	}
	kvfree(tn->bhash);
	tn->bhash = NULL;
	rhashtable_destroy(&tn->est);
}

/* Every socket is on its netns's list from init to destroy. */
void tcpfsm_socks_add(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	spin_lock_bh(&tn->lock);
	list_add_tail(&tp->all_node, &tn->socks);
	tp->on_socks = 1;
	spin_unlock_bh(&tn->lock);
}

void tcpfsm_socks_del(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	spin_lock_bh(&tn->lock);
	if (tp->on_socks) {
		list_del_init(&tp->all_node);
		tp->on_socks = 0;
	}
	spin_unlock_bh(&tn->lock);
}

static struct sock *tcpfsm_hold_rcu(struct sock *sk)
{
	return sk && refcount_inc_not_zero(&sk->sk_refcnt) ? sk : NULL;
}

/**
 * tcpfsm_lookup_est() - the full socket of a 4-tuple
 * @net: the netns
 * @laddr: our address
 * @lport: our port
 * @raddr: the peer's address
 * @rport: the peer's port
 *
 * Context: rcu_read_lock() held.
 * Return: the socket with a reference taken, or NULL.
 */
struct sock *tcpfsm_lookup_est(struct net *net, __be32 laddr, __be16 lport,
			       __be32 raddr, __be16 rport)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	struct tcpfsm_key key = {
		.laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport,
	};
	struct tcpfsm_sock *tp;

	tp = rhashtable_lookup(&tn->est, &key, tcpfsm_est_params);
	return tcpfsm_hold_rcu(tp ? &tp->inet.sk : NULL);
}

/* How well listener @sk matches: -1 not at all, higher is better. */
static int tcpfsm_listen_score(const struct sock *sk, __be32 laddr, u16 port,
			       int dif)
{
	const struct inet_sock *inet = inet_sk(sk);
	int score = 1;

	if (inet->inet_num != port ||
	    inet_sk_state_load(sk) != TCPFSM_LISTEN)
		return -1;
	if (inet->inet_rcv_saddr) {
		if (inet->inet_rcv_saddr != laddr)
			return -1;
		score += 2;	/* a specific address beats the wildcard */
	}
	if (sk->sk_bound_dev_if) {
		if (sk->sk_bound_dev_if != dif)
			return -1;
		score++;
	}
	return score;
}

/**
 * tcpfsm_lookup_listener() - the listener a new connection goes to
 * @net: the netns
 * @laddr: our address (the segment's destination)
 * @lport: our port
 * @raddr: the peer's address
 * @rport: the peer's port
 * @dif: the interface the segment came in on
 *
 * Among equally good listeners of one SO_REUSEPORT group the choice is a
 * hash of the 4-tuple, so a connection's segments all go the same way.
 *
 * Context: rcu_read_lock() held.
 * Return: the listener with a reference taken, or NULL.
 */
struct sock *tcpfsm_lookup_listener(struct net *net, __be32 laddr,
				    __be16 lport, __be32 raddr, __be16 rport,
				    int dif)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	u16 port = ntohs(lport);
	struct hlist_head *head = &tn->listen[port % TCPFSM_LHASH_SIZE];
	struct sock *best = NULL;
	struct tcpfsm_sock *tp;
	int score, best_score = -1, n = 0, pick;
	u32 hash;

	hlist_for_each_entry_rcu(tp, head, listen_node) {
		score = tcpfsm_listen_score(&tp->inet.sk, laddr, port, dif);
		if (score < 0)
			continue;
		if (score > best_score) {
			best = &tp->inet.sk;
			best_score = score;
			n = 1;
		} else if (score == best_score && best->sk_reuseport &&
			   tp->inet.sk.sk_reuseport) {
			n++;
		}
	}
	if (n > 1 && best->sk_reuseport) {
		hash = jhash_3words((__force u32)laddr, (__force u32)raddr,
				    (__force u32)lport << 16 | (__force u32)rport,
				    tn->hash_seed);
		pick = reciprocal_scale(hash, n);
		hlist_for_each_entry_rcu(tp, head, listen_node) {
			if (!tp->inet.sk.sk_reuseport ||
			    tcpfsm_listen_score(&tp->inet.sk, laddr, port,
						dif) != best_score)
				continue;
			if (!pick--) {
				best = &tp->inet.sk;
				break;
			}
		}
	}
	return tcpfsm_hold_rcu(best);
}

/**
 * tcpfsm_hash_est() - make a connection findable by its 4-tuple
 * @sk: the socket, addresses and ports set
 *
 * Return: 0, or -EADDRNOTAVAIL when another socket has the 4-tuple.
 */
int tcpfsm_hash_est(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	int err;

	if (tp->hashed)
		return 0;
	tp->key.laddr = inet->inet_saddr;
	tp->key.lport = inet->inet_sport;
	tp->key.raddr = inet->inet_daddr;
	tp->key.rport = inet->inet_dport;
	err = rhashtable_lookup_insert_fast(&tn->est, &tp->node,
					    tcpfsm_est_params);
	if (err)
		return err == -EEXIST ? -EADDRNOTAVAIL : err;
	tp->hashed = 1;
	return 0;
}

void tcpfsm_unhash_est(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	if (!tp->hashed)
		return;
	rhashtable_remove_fast(&tn->est, &tp->node, tcpfsm_est_params);
	tp->hashed = 0;
}

/* Whether @tp counts in its bucket's owners (connect() must not share). */
static bool tcpfsm_port_owner(const struct tcpfsm_sock *tp)
{
	return tp->bind_owned || tp->listed;
}

/*
 * Call after bind_owned or listed changed, with @was what
 * tcpfsm_port_owner() said before.  Context: tn->lock held.
 */
static void tcpfsm_owners_update(struct tcpfsm_sock *tp, bool was)
{
	bool now = tcpfsm_port_owner(tp);

	if (!tp->bound || was == now)
		return;
	if (now)
		tp->bb->owners++;
	else
		tp->bb->owners--;
}

int tcpfsm_hash_listener(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	u16 port = inet_sk(sk)->inet_num;
	bool was;

	spin_lock_bh(&tn->lock);
	if (!tp->listed) {
		hlist_add_head_rcu(&tp->listen_node,
				   &tn->listen[port % TCPFSM_LHASH_SIZE]);
		was = tcpfsm_port_owner(tp);
		tp->listed = 1;
		tcpfsm_owners_update(tp, was);
	}
	spin_unlock_bh(&tn->lock);
	return 0;
}

void tcpfsm_unhash_listener(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	bool was;

	spin_lock_bh(&tn->lock);
	if (tp->listed) {
		hlist_del_init_rcu(&tp->listen_node);
		was = tcpfsm_port_owner(tp);
		tp->listed = 0;
		tcpfsm_owners_update(tp, was);
	}
	spin_unlock_bh(&tn->lock);
}

static bool tcpfsm_addr_overlap(__be32 a, __be32 b)
{
	return !a || !b || a == b;
}

/*
 * Linux's bind conflict rule (inet_bind_conflict()): two sockets on one
 * port clash when their addresses overlap and their devices may meet,
 * unless both have SO_REUSEADDR and the other is not listening, or both
 * have SO_REUSEPORT with the same owner.  Only the other socket's state
 * counts: of two SO_REUSEADDR sockets the first to listen() wins.
 */
static bool tcpfsm_bind_conflict(const struct sock *sk, const struct sock *sk2)
{
	if (sk == sk2)
		return false;
	if (sk->sk_bound_dev_if && sk2->sk_bound_dev_if &&
	    sk->sk_bound_dev_if != sk2->sk_bound_dev_if)
		return false;
	if (!tcpfsm_addr_overlap(inet_sk(sk)->inet_rcv_saddr,
				 inet_sk(sk2)->inet_rcv_saddr))
		return false;
	if (sk->sk_reuse && sk2->sk_reuse &&
	    inet_sk_state_load(sk2) != TCPFSM_LISTEN)
		return false;
	if (sk->sk_reuseport && sk2->sk_reuseport &&
	    uid_eq(sk->sk_uid, sk2->sk_uid))
		return false;
	return true;
}

/* The bucket of @port, or NULL when no socket holds it.  tn->lock held. */
static struct tcpfsm_bind_bucket *tcpfsm_bb_find(struct tcpfsm_net *tn,
						  u16 port)
{
	struct tcpfsm_bind_bucket *bb;

	hlist_for_each_entry(bb, &tn->bhash[port % TCPFSM_BHASH_SIZE], node) {
		if (bb->port == port)
			return bb;
	}
	return NULL;
}

/* Whether a socket on @bb's port keeps @sk off it.  tn->lock held. */
static bool tcpfsm_port_conflict(struct tcpfsm_bind_bucket *bb,
				 struct sock *sk)
{
	struct tcpfsm_sock *tp;

	if (!bb)
		return false;
	hlist_for_each_entry(tp, &bb->socks, bind_node) {
		if (tcpfsm_bind_conflict(sk, &tp->inet.sk))
			return true;
	}
	return false;
}

/*
 * Put @sk on @port, in @bb (its bucket, or NULL: a new one).  Called
 * under a spinlock with BH off, hence GFP_ATOMIC.
 * Context: tn->lock held.
 * Return: 0, or -ENOMEM.
 */
static int tcpfsm_bind_add(struct tcpfsm_net *tn, struct sock *sk, u16 port,
			   struct tcpfsm_bind_bucket *bb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	if (!bb) {
		bb = kmem_cache_alloc(tcpfsm_bb_cachep, GFP_ATOMIC);
		if (!bb)
			return -ENOMEM;
		bb->port = port;
		bb->owners = 0;
		INIT_HLIST_HEAD(&bb->socks);
		hlist_add_head(&bb->node, &tn->bhash[port % TCPFSM_BHASH_SIZE]);
	}
	inet_sk(sk)->inet_num = port;
	hlist_add_head(&tp->bind_node, &bb->socks);
	tp->bb = bb;
	tp->bound = 1;
	if (tcpfsm_port_owner(tp))
		bb->owners++;
	return 0;
}

/* The ephemeral range of the socket's netns, and a random place in it. */
static u32 tcpfsm_port_range(struct sock *sk, int *low, u32 *remaining)
{
	int lo, hi;

	inet_sk_get_local_port_range(sk, &lo, &hi);
	*low = lo;
	*remaining = hi - lo + 1;
	return get_random_u32();
}

/**
 * tcpfsm_get_port() - struct proto's get_port: take a local port
 * @sk: the socket, inet_rcv_saddr already set
 * @snum: the port, or 0 for an ephemeral one
 *
 * Used by inet_bind() and by listen().  A socket already holding @snum
 * (listen() after bind()) is only checked again, since listening changes
 * what SO_REUSEADDR allows.  An ephemeral port is one nobody else uses.
 * TIME_WAIT entries hold their port against sockets without SO_REUSEADDR.
 *
 * Return: 0, -EADDRINUSE, or -ENOMEM when no bucket could be allocated.
 */
int tcpfsm_get_port(struct sock *sk, unsigned short snum)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	__be32 addr = inet_sk(sk)->inet_rcv_saddr;
	struct net *net = sock_net(sk);
	struct tcpfsm_bind_bucket *bb;
	u32 n, i, off;
	int lo, err = 0;
	bool was;
	u16 port;

	spin_lock_bh(&tn->lock);
	if (snum) {
		bb = tcpfsm_bb_find(tn, snum);
		if (tcpfsm_port_conflict(bb, sk) ||
		    tcpfsm_tw_port_busy(net, addr, htons(snum), sk->sk_reuse))
			err = -EADDRINUSE;
		else if (!tp->bound)
			err = tcpfsm_bind_add(tn, sk, snum, bb);
		if (!err) {
			was = tcpfsm_port_owner(tp);
			tp->bind_owned = 1;
			tcpfsm_owners_update(tp, was);
		}
		goto out;
	}
	off = tcpfsm_port_range(sk, &lo, &n);
	err = -EADDRINUSE;
	for (i = 0; i < n; i++) {
		port = lo + (off + i) % n;
		/* A port with a bucket has a user: not "one nobody uses". */
		if (inet_is_local_reserved_port(net, port) ||
		    tcpfsm_bb_find(tn, port) ||
		    tcpfsm_tw_port_busy(net, addr, htons(port), false))
			continue;
		tp->bind_owned = 1;
		err = tcpfsm_bind_add(tn, sk, port, NULL);
		if (err)
			tp->bind_owned = 0;
		break;
	}
out:
	spin_unlock_bh(&tn->lock);
	return err;
}

/**
 * tcpfsm_inherit_port() - a listener's child holds its port, as in Linux
 * @child: the new socket, inet_num the listener's port
 *
 * Return: 0, or -ENOMEM when the port's bucket had gone (the listener
 * closed meanwhile) and no new one could be allocated.
 */
int tcpfsm_inherit_port(struct sock *child)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(child));
	u16 port = inet_sk(child)->inet_num;
	int err;

	spin_lock_bh(&tn->lock);
	err = tcpfsm_bind_add(tn, child, port, tcpfsm_bb_find(tn, port));
	spin_unlock_bh(&tn->lock);
	return err;
}

/* Give the local port back; inet_num becomes 0 as in __inet_put_port(). */
void tcpfsm_put_port(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_bind_bucket *bb;

	spin_lock_bh(&tn->lock);
	if (tp->bound) {
		bb = tp->bb;
		if (tcpfsm_port_owner(tp))
			bb->owners--;
		hlist_del_init(&tp->bind_node);
		tp->bb = NULL;
		tp->bound = 0;
		tp->bind_owned = 0;
		inet_sk(sk)->inet_num = 0;
		if (hlist_empty(&bb->socks)) {
			WARN_ON_ONCE(bb->owners);
			hlist_del(&bb->node);
			kmem_cache_free(tcpfsm_bb_cachep, bb);
		}
	}
	spin_unlock_bh(&tn->lock);
}

/**
 * tcpfsm_hash_connect() - give a connecting socket its 4-tuple
 * @sk: the socket, remote address and port and source address set
 *
 * An unbound socket gets an ephemeral port whose 4-tuple is free (no full
 * socket, no TIME_WAIT entry); a bound one keeps its port.  Either way the
 * socket ends up in the 4-tuple table.
 *
 * Return: 0, -EADDRNOTAVAIL when no 4-tuple is free, or -ENOMEM when the
 * port's bucket could not be allocated.
 */
int tcpfsm_hash_connect(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct tcpfsm_bind_bucket *bb;
	u32 n, i, off;
	bool tw;
	int lo, err;
	u16 port;

	if (inet->inet_num) {
		inet->inet_sport = htons(inet->inet_num);
		return tcpfsm_hash_est(sk);
	}
	off = tcpfsm_port_range(sk, &lo, &n);
	spin_lock_bh(&tn->lock);
	for (i = 0; i < n; i++) {
		port = lo + (off + i) % n;
		if (inet_is_local_reserved_port(net, port))
			continue;
		/* Like __inet_hash_connect(), never a port that bind() or
		 * listen() took (even an ephemeral one); other connections
		 * may share it if the 4-tuple differs.
		 */
		bb = tcpfsm_bb_find(tn, port);
		if (bb && bb->owners)
			continue;
		rcu_read_lock();
		tw = tcpfsm_tw_lookup(net, inet->inet_saddr, htons(port),
				      inet->inet_daddr, inet->inet_dport);
		rcu_read_unlock();
		if (tw)
			continue;
		inet->inet_sport = htons(port);
		err = tcpfsm_hash_est(sk);
		if (err)
			continue;
		err = tcpfsm_bind_add(tn, sk, port, bb);
		if (err)
			tcpfsm_unhash_est(sk);
		spin_unlock_bh(&tn->lock);
		if (err)
			inet->inet_sport = 0;
		return err;
	}
	spin_unlock_bh(&tn->lock);
	inet->inet_sport = 0;
	return -EADDRNOTAVAIL;
}
