// SPDX-License-Identifier: GPL-2.0
/*
 * Finding sockets, per netns: full sockets by 4-tuple in an rhashtable,
 * listeners by port (an RCU hash list where a specific address beats the
 * wildcard, SO_REUSEPORT groups picked by a flow hash), and the port table
 * that bind(), listen() and connect() allocate from with Linux's
 * EADDRINUSE rules.
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

int tcpfsm_hash_net_init(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	int i;

	spin_lock_init(&tn->lock);
	INIT_LIST_HEAD(&tn->socks);
	for (i = 0; i < TCPFSM_LHASH_SIZE; i++)
		INIT_HLIST_HEAD(&tn->listen[i]);
	for (i = 0; i < TCPFSM_BHASH_SIZE; i++)
		INIT_HLIST_HEAD(&tn->bind[i]);
	tn->hash_seed = get_random_u32();
	return rhashtable_init(&tn->est, &tcpfsm_est_params);
}

void tcpfsm_hash_net_exit(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);

	/* tcpfsm_sock_net_exit() ended every socket of this netns. */
	WARN_ON_ONCE(!list_empty(&tn->socks));
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

int tcpfsm_hash_listener(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	u16 port = inet_sk(sk)->inet_num;

	spin_lock_bh(&tn->lock);
	if (!tp->listed) {
		hlist_add_head_rcu(&tp->listen_node,
				   &tn->listen[port % TCPFSM_LHASH_SIZE]);
		tp->listed = 1;
	}
	spin_unlock_bh(&tn->lock);
	return 0;
}

void tcpfsm_unhash_listener(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	spin_lock_bh(&tn->lock);
	if (tp->listed) {
		hlist_del_init_rcu(&tp->listen_node);
		tp->listed = 0;
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

/* Context: tn->lock held. */
static bool tcpfsm_port_conflict(struct tcpfsm_net *tn, struct sock *sk,
				 u16 port, bool any_user)
{
	struct tcpfsm_sock *tp;

	hlist_for_each_entry(tp, &tn->bind[port % TCPFSM_BHASH_SIZE],
			     bind_node) {
		if (tp->inet.inet_num != port || &tp->inet.sk == sk)
			continue;
		if (any_user || tcpfsm_bind_conflict(sk, &tp->inet.sk))
			return true;
	}
	return false;
}

/* Context: tn->lock held. */
static void tcpfsm_bind_add(struct tcpfsm_net *tn, struct sock *sk, u16 port)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	inet_sk(sk)->inet_num = port;
	hlist_add_head(&tp->bind_node, &tn->bind[port % TCPFSM_BHASH_SIZE]);
	tp->bound = 1;
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
 * Return: 0, or -EADDRINUSE.
 */
int tcpfsm_get_port(struct sock *sk, unsigned short snum)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	__be32 addr = inet_sk(sk)->inet_rcv_saddr;
	struct net *net = sock_net(sk);
	u32 n, i, off;
	int lo, err = 0;
	u16 port;

	spin_lock_bh(&tn->lock);
	if (snum) {
		if (tcpfsm_port_conflict(tn, sk, snum, false) ||
		    tcpfsm_tw_port_busy(net, addr, htons(snum), sk->sk_reuse))
			err = -EADDRINUSE;
		else if (!tp->bound)
			tcpfsm_bind_add(tn, sk, snum);
		if (!err)
			tp->bind_owned = 1;
		goto out;
	}
	off = tcpfsm_port_range(sk, &lo, &n);
	err = -EADDRINUSE;
	for (i = 0; i < n; i++) {
		port = lo + (off + i) % n;
		if (inet_is_local_reserved_port(net, port) ||
		    tcpfsm_port_conflict(tn, sk, port, true) ||
		    tcpfsm_tw_port_busy(net, addr, htons(port), false))
			continue;
		tcpfsm_bind_add(tn, sk, port);
		tp->bind_owned = 1;
		err = 0;
		break;
	}
out:
	spin_unlock_bh(&tn->lock);
	return err;
}

/* A listener's child holds the listener's port too, as in Linux. */
void tcpfsm_inherit_port(struct sock *child)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(child));

	spin_lock_bh(&tn->lock);
	tcpfsm_bind_add(tn, child, inet_sk(child)->inet_num);
	spin_unlock_bh(&tn->lock);
}

/* Give the local port back; inet_num becomes 0 as in __inet_put_port(). */
void tcpfsm_put_port(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	spin_lock_bh(&tn->lock);
	if (tp->bound) {
		hlist_del_init(&tp->bind_node);
		tp->bound = 0;
		tp->bind_owned = 0;
		inet_sk(sk)->inet_num = 0;
	}
	spin_unlock_bh(&tn->lock);
}

/*
 * Whether connect() may use @port as an ephemeral source port: like
 * __inet_hash_connect(), never a port that bind() or listen() took (even
 * an ephemeral one); other connections may share it if the 4-tuple
 * differs.
 */
static bool tcpfsm_connect_port_ok(struct tcpfsm_net *tn, u16 port)
{
	struct tcpfsm_sock *tp;

	hlist_for_each_entry(tp, &tn->bind[port % TCPFSM_BHASH_SIZE],
			     bind_node) {
		if (tp->inet.inet_num != port)
			continue;
		if (tp->bind_owned || tp->listed)
			return false;
	}
	return true;
}

/**
 * tcpfsm_hash_connect() - give a connecting socket its 4-tuple
 * @sk: the socket, remote address and port and source address set
 *
 * An unbound socket gets an ephemeral port whose 4-tuple is free (no full
 * socket, no TIME_WAIT entry); a bound one keeps its port.  Either way the
 * socket ends up in the 4-tuple table.
 *
 * Return: 0, or -EADDRNOTAVAIL when no 4-tuple is free.
 */
int tcpfsm_hash_connect(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
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
		if (inet_is_local_reserved_port(net, port) ||
		    !tcpfsm_connect_port_ok(tn, port))
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
		tcpfsm_bind_add(tn, sk, port);
		spin_unlock_bh(&tn->lock);
		return 0;
	}
	spin_unlock_bh(&tn->lock);
	inet->inet_sport = 0;
	return -EADDRNOTAVAIL;
}
