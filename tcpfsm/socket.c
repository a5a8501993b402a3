// SPDX-License-Identifier: GPL-2.0
/*
 * The socket layer: socket(AF_INET, SOCK_STREAM, proto) lands here through
 * inet_create() and our inet_protosw.  The calls behave as Linux TCP's do
 * (errors, blocking, poll bits); the generic inet and stream-socket helpers
 * are used wherever they exist (inet_bind(), inet_shutdown(),
 * inet_getname(), sk_stream_wait_*()).
 *
 * Lifetime: the socket's first reference belongs to the user socket, and
 * passes to the engine at close() when the connection still has to end
 * (an orphan); tcpfsm_destroy() drops it.  A listener's child belongs to
 * the listener's queue until accept() grafts it.  Hash tables hold no
 * references (SOCK_RCU_FREE); pending timers do.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/termios.h>
#include <linux/sockios.h>
#include <linux/swap.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/protocol.h>
#include <net/route.h>
#include <net/sock.h>

#include "tcpfsm.h"

/*
 * fsm.c stores the state with inet_sk_state_store(), which the kernel does
 * not export; this is its af_inet.c body without the tracepoint.  It goes
 * once fsm.c uses an exported helper (inet_sk_set_state()).
 */
void inet_sk_state_store(struct sock *sk, int newstate)
{
	/* Pairs with inet_sk_state_load() in lockless readers. */
	smp_store_release(&sk->sk_state, newstate);
}

/* Memory accounting as a stream protocol (TCP's defaults). */
static atomic_long_t tcpfsm_memory_allocated;
static DEFINE_PER_CPU(int, tcpfsm_memory_per_cpu_fw_alloc);
static struct percpu_counter tcpfsm_sockets_allocated;
static long tcpfsm_sysctl_mem[3];
static int tcpfsm_sysctl_wmem[3] = { 4096, 256 * 1024, 4 * 1024 * 1024 };
static int tcpfsm_sysctl_rmem[3] = { 4096, 256 * 1024, 6 * 1024 * 1024 };

#define TCPFSM_RTO_INIT_US	USEC_PER_SEC	/* RFC 6298 §2.1 */

/* Fresh connection variables: before connect() and for each child. */
void tcpfsm_conn_reset(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	tp->iss = 0;
	tp->snd_una = 0;
	tp->snd_nxt = 0;
	tp->snd_wnd = 0;
	tp->max_snd_wnd = 0;
	tp->snd_wl1 = 0;
	tp->snd_wl2 = 0;
	tp->write_seq = 0;
	tp->mss = TCPFSM_DEFAULT_MSS;
	tp->adv_mss = TCPFSM_DEFAULT_MSS;
	tp->cwnd = 10 * TCPFSM_DEFAULT_MSS;
	tp->ssthresh = 0x7fffffff;	/* RFC 5681 §3.1: arbitrarily high */
	tp->dupacks = 0;
	tp->recover = 0;
	tp->rtx_seq = 0;
	tp->lost_end = 0;
	tp->send_head = NULL;
	tp->irs = 0;
	tp->rcv_nxt = 0;
	tp->rcv_wnd = 0;
	tp->rcv_wup = 0;
	tp->snd_wscale = 0;
	tp->rcv_wscale = 0;
	tp->wscale_ok = 0;
	WRITE_ONCE(tp->copied_seq, 0);
	tp->srtt_us = 0;
	tp->rttvar_us = 0;
	tp->rto_us = TCPFSM_RTO_INIT_US;
	tp->backoff = 0;
	tp->retries = 0;
	tp->probes = 0;
	tp->in_loss = 0;
	tp->in_recovery = 0;
	tp->fin_queued = 0;
	WRITE_ONCE(tp->rcv_fin, 0);
	tp->rcv_mss = TCPFSM_DEFAULT_MSS;
	tp->quick = TCPFSM_QUICKACKS;
	tp->pingpong = 0;
	tp->ack_pending = 0;
	tp->lrcv_time = jiffies - HZ;
}

/* Everything after the inet_sock from scratch (a child copied its parent). */
void tcpfsm_sock_init(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	memset((char *)tp + sizeof(struct inet_sock), 0,
	       sizeof(*tp) - sizeof(struct inet_sock));
	INIT_HLIST_NODE(&tp->bind_node);
	INIT_HLIST_NODE(&tp->listen_node);
	INIT_LIST_HEAD(&tp->all_node);
	INIT_LIST_HEAD(&tp->accept_node);
	INIT_LIST_HEAD(&tp->accept_queue);
	INIT_LIST_HEAD(&tp->syn_queue);
	spin_lock_init(&tp->accept_lock);
	skb_queue_head_init(&tp->ooo_queue);
	tcpfsm_timer_init(sk);
	tcpfsm_conn_reset(sk);
	sk_sockets_allocated_inc(sk);
}

/* Wake writers once a third of the send buffer is free (sk_stream_write_space()). */
static void tcpfsm_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !__sk_stream_is_writeable(sk, 1))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

static int tcpfsm_sk_init(struct sock *sk)
{
	tcpfsm_sock_init(sk);
	/* sk_clone_lock() copies these to children. */
	sock_set_flag(sk, SOCK_RCU_FREE);
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	sk->sk_write_space = tcpfsm_write_space;
	WRITE_ONCE(sk->sk_sndbuf, tcpfsm_sysctl_wmem[1]);
	WRITE_ONCE(sk->sk_rcvbuf, tcpfsm_sysctl_rmem[1]);
	tcpfsm_socks_add(sk);
	return 0;
}

/* Give back everything a socket holds; it must be CLOSED already. */
static void tcpfsm_release_all(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	tcpfsm_timer_clear(sk);
	tcpfsm_delack_clear(sk);
	tcpfsm_unhash_est(sk);
	tcpfsm_unhash_listener(sk);
	tcpfsm_put_port(sk);
	tcpfsm_socks_del(sk);
	tcpfsm_purge_write_queue(sk);
	skb_queue_purge(&tp->ooo_queue);
	sk_stream_kill_queues(sk);
	sk_sockets_allocated_dec(sk);
}

/**
 * tcpfsm_destroy() - the end of a socket nobody uses any more
 * @sk: the socket, locked, CLOSED and SOCK_DEAD
 *
 * Drops the socket's first reference; the memory goes after an RCU grace
 * period once the last reference (timer, lookups in flight) is gone.
 */
void tcpfsm_destroy(struct sock *sk)
{
	tcpfsm_release_all(sk);
	sock_put(sk);
}

/* struct proto's destroy, for sk_common_release(): no reference dropped. */
static void tcpfsm_sk_destroy(struct sock *sk)
{
	tcpfsm_release_all(sk);
}

/* A listener's child leaves the listener's SYN queue (it is closed). */
static bool tcpfsm_child_unqueue(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_sock *ptp = tcpfsm_sk(tp->parent);
	bool mine = false;

	spin_lock_bh(&ptp->accept_lock);
	if (tp->queued == TCPFSM_Q_SYN) {
		list_del_init(&tp->accept_node);
		ptp->syn_len--;
		tp->queued = TCPFSM_Q_NONE;
		mine = true;
	}
	spin_unlock_bh(&ptp->accept_lock);
	if (mine) {
		sock_put(tp->parent);
		tp->parent = NULL;
	}
	return mine;
}

/**
 * tcpfsm_done() - the connection reached CLOSED
 * @sk: the socket, locked
 *
 * It leaves the 4-tuple table and gives its port back (unless bind() chose
 * it and the user still has the socket, as in Linux); the user is woken,
 * or a socket without user is destroyed.  A child on the listener's SYN
 * queue goes; one on the accept queue waits there for accept().
 */
void tcpfsm_done(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	tcpfsm_timer_clear(sk);
	tcpfsm_delack_clear(sk);
	tcpfsm_unhash_est(sk);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK) ||
	    sock_flag(sk, SOCK_DEAD))
		tcpfsm_put_port(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (tp->parent) {
		if (tcpfsm_child_unqueue(sk)) {
			sock_set_flag(sk, SOCK_DEAD);
			tcpfsm_destroy(sk);
		}
		return;
	}
	if (sock_flag(sk, SOCK_DEAD))
		tcpfsm_destroy(sk);
	else
		sk->sk_state_change(sk);
}

/*
 * TIME_WAIT: the compact entry takes over the 4-tuple (timewait.c) and the
 * full socket closes, as Linux's tcp_time_wait() ends in tcp_done().  The
 * entry carries the connection on, so the socket leaves TIME_WAIT without
 * a transition of its own: the entry records TIME_WAIT -> CLOSED when it
 * ends.  Without an entry (max_tw, no memory) the connection ends here.
 */
static void tcpfsm_time_wait(struct sock *sk)
{
	if (!tcpfsm_tw_enter(sk))
		tcpfsm_hand_over(sk);
	else if (tcpfsm_fsm_event(sk, TCPFSM_EV_TW_DROPPED) < 0)
		return;
	tcpfsm_purge_write_queue(sk);
	tcpfsm_done(sk);
}

/**
 * tcpfsm_apply_actions() - carry out what a transition asks for
 * @sk: the socket, locked, already in the new state
 * @actions: enum tcpfsm_action bits from tcpfsm_fsm_event()
 *
 * Return: @actions.
 */
int tcpfsm_apply_actions(struct sock *sk, int actions)
{
	if (actions & TCPFSM_ACT_SEND_ACK)
		tcpfsm_send_ack(sk);
	if (actions & TCPFSM_ACT_SEND_FIN) {
		tcpfsm_queue_fin(sk);
		tcpfsm_push(sk);
	}
	if (actions & TCPFSM_ACT_SEND_RST)
		tcpfsm_send_active_reset(sk);
	if (actions & TCPFSM_ACT_START_2MSL)
		tcpfsm_time_wait(sk);
	else if (actions & TCPFSM_ACT_DONE)
		tcpfsm_done(sk);
	return actions;
}

/* A child's handshake completed: onto the listener's accept queue. */
void tcpfsm_child_ready(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sock *parent = tp->parent;
	struct tcpfsm_sock *ptp = tcpfsm_sk(parent);
	bool ready = false;

	spin_lock_bh(&ptp->accept_lock);
	if (tp->queued == TCPFSM_Q_SYN) {
		list_move_tail(&tp->accept_node, &ptp->accept_queue);
		ptp->syn_len--;
		WRITE_ONCE(ptp->accept_len, ptp->accept_len + 1);
		tp->queued = TCPFSM_Q_ACCEPT;
		ready = true;
	}
	spin_unlock_bh(&ptp->accept_lock);
	if (ready)
		parent->sk_data_ready(parent);
}

/*
 * Stop listening: unaccepted children are reset (RST where the table
 * says so) and freed, as inet_csk_listen_stop() does.
 */
static void tcpfsm_listen_stop(struct sock *sk)
{
	struct tcpfsm_sock *ltp = tcpfsm_sk(sk), *tp, *n;
	LIST_HEAD(children);
	struct sock *child;
	int actions;

	tcpfsm_unhash_listener(sk);
	spin_lock_bh(&ltp->accept_lock);
	ltp->listening = 0;
	list_splice_init(&ltp->syn_queue, &children);
	list_splice_tail_init(&ltp->accept_queue, &children);
	list_for_each_entry(tp, &children, accept_node)
		tp->queued = TCPFSM_Q_NONE;
	ltp->syn_len = 0;
	WRITE_ONCE(ltp->accept_len, 0);
	spin_unlock_bh(&ltp->accept_lock);

	list_for_each_entry_safe(tp, n, &children, accept_node) {
		child = &tp->inet.sk;
		list_del_init(&tp->accept_node);
		lock_sock_nested(child, SINGLE_DEPTH_NESTING);
		actions = tcpfsm_fsm_event(child, TCPFSM_EV_ABORT);
		if (actions > 0 && (actions & TCPFSM_ACT_SEND_RST))
			tcpfsm_send_active_reset(child);
		tcpfsm_purge_write_queue(child);
		tp->parent = NULL;
		sock_put(sk);
		sock_set_flag(child, SOCK_DEAD);
		tcpfsm_done(child);
		release_sock(child);
	}
}

/* ---- close, disconnect, shutdown ---------------------------------------- */

/*
 * Like tcp_disconnect(): abort what is there (RST if the peer has a
 * connection), and make the socket a fresh, unconnected one that keeps
 * only what bind() gave it.
 */
static int tcpfsm_disconnect(struct sock *sk, int flags)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	int state = sk->sk_state, actions;

	if (state == TCPFSM_LISTEN) {
		tcpfsm_listen_stop(sk);
		tcpfsm_fsm_event(sk, TCPFSM_EV_CLOSE);
		if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			tcpfsm_put_port(sk);
	} else if (state != TCPFSM_CLOSED) {
		actions = tcpfsm_fsm_event(sk, TCPFSM_EV_ABORT);
		if (actions > 0 && (actions & TCPFSM_ACT_SEND_RST)) {
			tcpfsm_send_active_reset(sk);
			WRITE_ONCE(sk->sk_err, ECONNRESET);
		} else if (state == TCPFSM_SYN_SENT) {
			WRITE_ONCE(sk->sk_err, ECONNRESET);
		}
		tcpfsm_purge_write_queue(sk);
		if (actions >= 0)
			tcpfsm_done(sk);
	}
	__skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&tp->ooo_queue);
	tcpfsm_purge_write_queue(sk);
	inet->inet_dport = 0;
	inet->inet_daddr = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet->inet_saddr = 0;
		inet->inet_rcv_saddr = 0;
	}
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	tcpfsm_conn_reset(sk);
	__sk_dst_reset(sk);
	sk_error_report(sk);
	return 0;
}

/* shutdown(SHUT_WR): our FIN after the data (inet_shutdown() calls this). */
static void tcpfsm_shutdown(struct sock *sk, int how)
{
	int actions;

	if (!(how & SEND_SHUTDOWN))
		return;
	switch (sk->sk_state) {
	case TCPFSM_ESTABLISHED:
	case TCPFSM_SYN_RECEIVED:
	case TCPFSM_CLOSE_WAIT:
		actions = tcpfsm_fsm_event(sk, TCPFSM_EV_CLOSE);
		if (actions >= 0)
			tcpfsm_apply_actions(sk, actions);
		break;
	}
}

static bool tcpfsm_closing(const struct sock *sk)
{
	return (1 << sk->sk_state) &
	       (TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK);
}

/*
 * close(): as tcp_close().  Unread data or SO_LINGER with 0 abort with an
 * RST; otherwise FIN, and with SO_LINGER wait up to @timeout for it to be
 * acknowledged.  The socket then becomes an orphan that the engine ends.
 */
static void tcpfsm_close(struct sock *sk, long timeout)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	int state, actions;
	bool unread;

	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	state = sk->sk_state;
	if (state == TCPFSM_LISTEN) {
		tcpfsm_listen_stop(sk);
		tcpfsm_fsm_event(sk, TCPFSM_EV_CLOSE);
		goto adjudge;
	}
	unread = tcpfsm_inq(tp) > 0;
	__skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&tp->ooo_queue);
	sk_mem_reclaim(sk);
	if (state == TCPFSM_CLOSED)
		goto adjudge;

	if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		/* RFC 1122 §4.2.2.13, RFC 2525 §2.17: the data is lost. */
		actions = tcpfsm_fsm_event(sk, TCPFSM_EV_ABORT);
		if (actions >= 0) {
			tcpfsm_purge_write_queue(sk);
			tcpfsm_apply_actions(sk, actions);
		}
	} else {
		actions = tcpfsm_fsm_event(sk, TCPFSM_EV_CLOSE);
		if (actions >= 0)
			tcpfsm_apply_actions(sk, actions);
	}
	if (timeout && tcpfsm_closing(sk))
		sk_stream_wait_close(sk, timeout);

adjudge:
	sock_hold(sk);
	sock_orphan(sk);
	if (sk->sk_state == TCPFSM_CLOSED) {
		tcpfsm_destroy(sk);
	} else {
		tcpfsm_sk_net_release(sk);
		tcpfsm_timer_update(sk);
	}
	release_sock(sk);
	sock_put(sk);
}

/* ---- connect ------------------------------------------------------------ */

/* Route, pick the 4-tuple, send the SYN: tcp_v4_connect() for us. */
static int tcpfsm_v4_connect(struct sock *sk, struct sockaddr *uaddr,
			     int addr_len)
{
	struct sockaddr_in *usin = (struct sockaddr_in *)uaddr;
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	__be16 orig_sport, orig_dport;
	struct flowi4 *fl4;
	struct rtable *rt;
	int err;

	if (addr_len < sizeof(struct sockaddr_in))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;

	orig_sport = inet->inet_sport;
	orig_dport = usin->sin_port;
	fl4 = &inet->cork.fl.u.ip4;
	rt = ip_route_connect(fl4, usin->sin_addr.s_addr, inet->inet_saddr,
			      sk->sk_bound_dev_if, sk->sk_protocol, orig_sport,
			      orig_dport, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	if (!inet->inet_saddr)
		inet->inet_saddr = fl4->saddr;
	inet->inet_rcv_saddr = inet->inet_saddr;
	inet->inet_dport = usin->sin_port;
	inet->inet_daddr = usin->sin_addr.s_addr;

	tcpfsm_conn_reset(sk);
	err = tcpfsm_hash_connect(sk);
	if (err)
		goto failure;
	rt = ip_route_newports(fl4, rt, orig_sport, orig_dport,
			       inet->inet_sport, inet->inet_dport, sk);
	if (IS_ERR(rt)) {
		err = PTR_ERR(rt);
		rt = NULL;
		goto failure_hashed;
	}
	sk_setup_caps(sk, &rt->dst);
	rt = NULL;

	tp->adv_mss = tcpfsm_path_mss(sk);
	tp->mss = min_t(u32, tp->mss, tp->adv_mss);
	tcpfsm_offer_wscale(sk);
	tp->iss = tcpfsm_new_isn(sock_net(sk), inet->inet_saddr,
				 inet->inet_daddr, inet->inet_sport,
				 inet->inet_dport);
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->iss;
	tp->write_seq = tp->iss;
	atomic_set(&inet->inet_id, get_random_u16());
	err = tcpfsm_queue_syn(sk, TCPFSM_SYN);
	if (err)
		goto failure_hashed;
	tcpfsm_fsm_event(sk, TCPFSM_EV_CONNECT);
	tcpfsm_push(sk);
	return 0;

failure_hashed:
	tcpfsm_unhash_est(sk);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		tcpfsm_put_port(sk);
failure:
	ip_rt_put(rt);
	sk->sk_route_caps = 0;
	inet->inet_dport = 0;
	return err;
}

/* Wait while the handshake runs, as inet_wait_for_connect(). */
static long tcpfsm_wait_for_connect(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	sk->sk_write_pending++;
	while ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
		if (signal_pending(current) || !timeo)
			break;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	sk->sk_write_pending--;
	return timeo;
}

/* proto_ops connect: __inet_stream_connect()'s state logic over ours. */
static int tcpfsm_connect(struct socket *sock, struct sockaddr *uaddr,
			  int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	if (addr_len < sizeof(uaddr->sa_family))
		return -EINVAL;
	lock_sock(sk);
	if (uaddr->sa_family == AF_UNSPEC) {
		sk->sk_disconnects++;
		err = tcpfsm_disconnect(sk, flags);
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		goto out;
	}
	switch (sock->state) {
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != TCPFSM_CLOSED)
			goto out;
		err = tcpfsm_v4_connect(sk, uaddr, addr_len);
		if (err < 0)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	default:
		err = -EINVAL;
		goto out;
	}

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		/* The error set above is the answer without waiting. */
		if (!timeo || !tcpfsm_wait_for_connect(sk, timeo))
			goto out;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			goto out;
	}
	/* Refused, timed out, unreachable, or disconnected meanwhile. */
	if (sk->sk_state == TCPFSM_CLOSED)
		goto sock_error;
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;

sock_error:
	err = sock_error(sk) ? : -ECONNABORTED;
	sock->state = SS_UNCONNECTED;
	tcpfsm_disconnect(sk, flags);
	goto out;
}

/* ---- listen, accept ----------------------------------------------------- */

static int tcpfsm_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED || sock->type != SOCK_STREAM)
		goto out;
	if (sk->sk_state != TCPFSM_CLOSED && sk->sk_state != TCPFSM_LISTEN)
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	err = 0;
	if (sk->sk_state == TCPFSM_LISTEN)
		goto out;
	/* Autobind like TCP, or check the bound port again for listening. */
	err = tcpfsm_get_port(sk, inet->inet_num);
	if (err)
		goto out;
	inet->inet_sport = htons(inet->inet_num);
	spin_lock_bh(&tp->accept_lock);
	tp->listening = 1;
	spin_unlock_bh(&tp->accept_lock);
	tcpfsm_fsm_event(sk, TCPFSM_EV_LISTEN);
	tcpfsm_hash_listener(sk);
out:
	release_sock(sk);
	return err;
}

static struct sock *tcpfsm_accept_dequeue(struct sock *sk)
{
	struct tcpfsm_sock *ltp = tcpfsm_sk(sk), *tp;

	spin_lock_bh(&ltp->accept_lock);
	tp = list_first_entry_or_null(&ltp->accept_queue, struct tcpfsm_sock,
				      accept_node);
	if (tp) {
		list_del_init(&tp->accept_node);
		tp->queued = TCPFSM_Q_NONE;
		WRITE_ONCE(ltp->accept_len, ltp->accept_len - 1);
	}
	spin_unlock_bh(&ltp->accept_lock);
	return tp ? &tp->inet.sk : NULL;
}

static int tcpfsm_wait_for_child(struct sock *sk, long timeo)
{
	DEFINE_WAIT(wait);
	int err;

	for (;;) {
		prepare_to_wait_exclusive(sk_sleep(sk), &wait,
					  TASK_INTERRUPTIBLE);
		release_sock(sk);
		if (!READ_ONCE(tcpfsm_sk(sk)->accept_len))
			timeo = schedule_timeout(timeo);
		sched_annotate_sleep();
		lock_sock(sk);
		err = 0;
		if (READ_ONCE(tcpfsm_sk(sk)->accept_len))
			break;
		err = -EINVAL;
		if (sk->sk_state != TCPFSM_LISTEN)
			break;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			break;
		err = -EAGAIN;
		if (!timeo)
			break;
	}
	finish_wait(sk_sleep(sk), &wait);
	return err;
}

static int tcpfsm_accept(TCPFSM_ACCEPT_ARGS)
{
	struct sock *sk = sock->sk, *child = NULL;
	long timeo;
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCPFSM_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, tcpfsm_accept_flags() & O_NONBLOCK);
	if (!READ_ONCE(tcpfsm_sk(sk)->accept_len)) {
		err = -EAGAIN;
		if (!timeo)
			goto out;
		err = tcpfsm_wait_for_child(sk, timeo);
		if (err)
			goto out;
	}
	child = tcpfsm_accept_dequeue(sk);
	err = child ? 0 : -EAGAIN;
out:
	release_sock(sk);
	if (!child)
		return err;

	lock_sock(child);
	tcpfsm_sk(child)->parent = NULL;
	sock_put(sk);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
}

/* ---- data --------------------------------------------------------------- */

static int tcpfsm_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	int flags = msg->msg_flags, copied = 0, err;
	struct tcpfsm_skb_cb *cb;
	struct sk_buff *skb;
	long timeo;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto do_error;
	}
	sk_clear_bit(SOCKWQ_ASYNC_NOSPACE, sk);

	while (msg_data_left(msg)) {
		int goal = tcpfsm_size_goal(sk), copy, size;

		err = -EPIPE;
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
			goto do_error;
		/* Fill the last skb while it was never sent. */
		skb = skb_peek_tail(&sk->sk_write_queue);
		if (!skb || !tp->send_head ||
		    (TCPFSM_SKB_CB(skb)->flags & (TCPFSM_SYN | TCPFSM_FIN)) ||
		    skb->len >= goal || !skb_tailroom(skb)) {
			if (!sk_stream_memory_free(sk))
				goto wait_for_space;
			/* Room for what is written, not a whole segment: a
			 * 1-byte write must not allocate (and, with
			 * init_on_alloc, clear) 32 KiB of pages.
			 */
			size = min_t(int, goal, max_t(int, msg_data_left(msg),
						      TCPFSM_SMALL_SEG));
			skb = tcpfsm_alloc_send_skb(sk, size, sk->sk_allocation);
			if (!skb)
				goto wait_for_space;
			skb->ip_summed = CHECKSUM_PARTIAL;	/* no copy-and-sum */
			cb = TCPFSM_SKB_CB(skb);
			cb->seq = tp->write_seq;
			cb->end_seq = tp->write_seq;
			cb->flags = TCPFSM_ACK;
			__skb_queue_tail(&sk->sk_write_queue, skb);
			if (!tp->send_head)
				tp->send_head = skb;
		}
		cb = TCPFSM_SKB_CB(skb);
		copy = min_t(int, msg_data_left(msg), goal - skb->len);
		copy = min_t(int, copy, skb_tailroom(skb));
		err = skb_add_data_nocache(sk, skb, &msg->msg_iter, copy);
		if (err)
			goto do_error;
		cb->end_seq += copy;
		cb->flags |= TCPFSM_PSH;
		tp->write_seq += copy;
		copied += copy;
		continue;

wait_for_space:
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		tcpfsm_push(sk);
		err = sk_stream_wait_memory(sk, &timeo);
		if (err)
			goto do_error;
	}
out:
	tcpfsm_push(sk);
	release_sock(sk);
	return copied;

do_error:
	if (copied)
		goto out;
	err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

/*
 * After reading: if the window we could offer now is at least twice what
 * is left of the one advertised, say so (tcp_cleanup_rbuf()).
 */
static void tcpfsm_cleanup_rbuf(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	s32 left = (s32)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);
	u32 win;

	if (!((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)))
		return;
	if (left < 0)
		left = 0;
	if (2 * (u32)left > tcpfsm_max_rcv_win(tp))
		return;
	win = tcpfsm_rcv_space_win(sk);
	if (win < tp->mss && win < (u32)(sk->sk_rcvbuf / 4))
		return;
	if (win >= 2 * (u32)left)
		tcpfsm_send_ack(sk);
}

/*
 * Whether the receive buffer, not the header, bounds the window we can
 * offer, and the queue fills half of it: the sender had more to send.
 */
static bool tcpfsm_rcvbuf_bounds(const struct sock *sk)
{
	return tcpfsm_rcv_space_win(sk) < tcpfsm_max_rcv_win(tcpfsm_sk(sk)) &&
	       2 * atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf);
}

/*
 * Receive buffer autotuning, after Linux's tcp_rcv_space_adjust(): a reader
 * that read while the buffer bounded the window, and then emptied the
 * queue, keeps up with the sender, and the buffer held it back; double
 * the buffer, up to rmem[2], unless the user set SO_RCVBUF.  A reader
 * slower than the sender never empties the queue and never grows it.
 */
static void tcpfsm_rcvbuf_caught_up(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	int max = READ_ONCE(tcpfsm_sysctl_rmem[2]);

	if (!tp->rcv_bound || !skb_queue_empty(&sk->sk_receive_queue))
		return;
	tp->rcv_bound = 0;
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK) && rcvbuf < max)
		WRITE_ONCE(sk->sk_rcvbuf, min(2 * rcvbuf, max));
}

static int tcpfsm_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
			  int flags)
{
	struct sock *sk = sock->sk;
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	int copied = 0, target, addr_len;
	u32 peek_seq, *seq;
	long timeo;

	if (flags & MSG_OOB)
		return -EINVAL;
	if (flags & MSG_ERRQUEUE)
		return inet_recv_error(sk, msg, len, &addr_len);

	lock_sock(sk);
	copied = -ENOTCONN;
	if (sk->sk_state == TCPFSM_LISTEN)
		goto out;
	copied = 0;
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	peek_seq = tp->copied_seq;
	seq = flags & MSG_PEEK ? &peek_seq : &tp->copied_seq;

	do {
		struct sk_buff *skb, *found = NULL;
		u32 offset = 0, used;
		int err;

		skb_queue_walk(&sk->sk_receive_queue, skb) {
			offset = *seq - TCPFSM_SKB_CB(skb)->seq;
			if (offset < skb->len) {
				found = skb;
				break;
			}
		}
		if (!found) {
			if (copied >= target && !READ_ONCE(sk->sk_backlog.tail))
				break;
			if (copied) {
				if (sk->sk_err || sk->sk_state == TCPFSM_CLOSED ||
				    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
				    signal_pending(current))
					break;
			} else {
				if (sock_flag(sk, SOCK_DONE))
					break;
				if (sk->sk_err) {
					copied = sock_error(sk);
					break;
				}
				if (sk->sk_shutdown & RCV_SHUTDOWN)
					break;
				if (sk->sk_state == TCPFSM_CLOSED) {
					copied = -ENOTCONN;
					break;
				}
				if (!timeo) {
					copied = -EAGAIN;
					break;
				}
				if (signal_pending(current)) {
					copied = sock_intr_errno(timeo);
					break;
				}
			}
			if (copied && !(flags & MSG_PEEK))
				tcpfsm_rcvbuf_caught_up(sk);
			tcpfsm_cleanup_rbuf(sk);
			if (copied >= target) {
				/* Only the backlog to process. */
				release_sock(sk);
				lock_sock(sk);
			} else {
				sk_wait_data(sk, &timeo,
					     skb_peek_tail(&sk->sk_receive_queue));
			}
			continue;
		}
		used = min_t(u32, found->len - offset, len);
		err = skb_copy_datagram_msg(found, offset, msg, used);
		if (err) {
			if (!copied)
				copied = -EFAULT;
			break;
		}
		if (!(flags & MSG_PEEK) && tcpfsm_rcvbuf_bounds(sk))
			tp->rcv_bound = 1;
		*seq += used;
		copied += used;
		len -= used;
		if (!(flags & MSG_PEEK) && offset + used >= found->len)
			sk_eat_skb(sk, found);
	} while (len > 0);

	if (copied > 0 && !(flags & MSG_PEEK)) {
		tcpfsm_rcvbuf_caught_up(sk);
		sk_mem_reclaim(sk);
		tcpfsm_cleanup_rbuf(sk);
	}
out:
	release_sock(sk);
	return copied;
}

/* tcp_poll()'s answers. */
static __poll_t tcpfsm_poll(struct file *file, struct socket *sock,
			    poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);
	state = inet_sk_state_load(sk);
	if (state == TCPFSM_LISTEN)
		return READ_ONCE(tp->accept_len) ? EPOLLIN | EPOLLRDNORM : 0;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCPFSM_CLOSED)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;

	if (state != TCPFSM_SYN_SENT && state != TCPFSM_SYN_RECEIVED) {
		if (tcpfsm_inq(tp) >= sock_rcvlowat(sk, 0, INT_MAX))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (__sk_stream_is_writeable(sk, 1)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* Race against the ACK freeing space. */
				smp_mb__after_atomic();
				if (__sk_stream_is_writeable(sk, 1))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	/* Read sk_err after the state, as tcp_poll() does (pairs with the
	 * error being set before the state change is visible).
	 */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

static int tcpfsm_ioctl(struct socket *sock, unsigned int cmd,
			unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	int answ;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCPFSM_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		answ = tcpfsm_inq(tp);
		release_sock(sk);
		break;
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (sk->sk_state == TCPFSM_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			answ = 0;
		else if (cmd == SIOCOUTQ)
			answ = tp->write_seq - tp->snd_una;
		else
			answ = tp->write_seq - tp->snd_nxt;
		release_sock(sk);
		break;
	default:
		return inet_ioctl(sock, cmd, arg);
	}
	return put_user(answ, (int __user *)arg);
}

/* Level SOL_IP goes to IP; our own level has no options. */
static int tcpfsm_setsockopt(struct sock *sk, int level, int optname,
			     sockptr_t optval, unsigned int optlen)
{
	if (level == SOL_IP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	return -ENOPROTOOPT;
}

static int tcpfsm_getsockopt(struct sock *sk, int level, int optname,
			     char __user *optval, int __user *optlen)
{
	if (level == SOL_IP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	return -ENOPROTOOPT;
}

/* sk_common_release() (only on inet_create()'s error path) calls these. */
static int tcpfsm_sk_hash(struct sock *sk)
{
	return 0;
}

static void tcpfsm_sk_unhash(struct sock *sk)
{
	tcpfsm_unhash_est(sk);
	tcpfsm_unhash_listener(sk);
}

struct proto tcpfsm_prot = {
	.name			= "TCPFSM",
	.owner			= THIS_MODULE,
	.obj_size		= sizeof(struct tcpfsm_sock),
	.init			= tcpfsm_sk_init,
	.destroy		= tcpfsm_sk_destroy,
	.close			= tcpfsm_close,
	.disconnect		= tcpfsm_disconnect,
	.shutdown		= tcpfsm_shutdown,
	.setsockopt		= tcpfsm_setsockopt,
	.getsockopt		= tcpfsm_getsockopt,
	.backlog_rcv		= tcpfsm_do_rcv,
	.hash			= tcpfsm_sk_hash,
	.unhash			= tcpfsm_sk_unhash,
	.get_port		= tcpfsm_get_port,
	.memory_allocated	= &tcpfsm_memory_allocated,
	.per_cpu_fw_alloc	= &tcpfsm_memory_per_cpu_fw_alloc,
	.sockets_allocated	= &tcpfsm_sockets_allocated,
	.sysctl_mem		= tcpfsm_sysctl_mem,
	.sysctl_wmem		= tcpfsm_sysctl_wmem,
	.sysctl_rmem		= tcpfsm_sysctl_rmem,
	.max_header		= TCPFSM_HDR_ROOM,
};

static const struct proto_ops tcpfsm_stream_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= tcpfsm_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= tcpfsm_accept,
	.getname	= inet_getname,
	.poll		= tcpfsm_poll,
	.ioctl		= tcpfsm_ioctl,
	.listen		= tcpfsm_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= tcpfsm_sendmsg,
	.recvmsg	= tcpfsm_recvmsg,
	.mmap		= sock_no_mmap,
};

static struct inet_protosw tcpfsm_protosw = {
	.type		= SOCK_STREAM,
	.prot		= &tcpfsm_prot,
	.ops		= &tcpfsm_stream_ops,
};

/**
 * tcpfsm_sock_net_exit() - end the sockets left in a dying netns
 * @net: the netns
 *
 * Only sockets without a user can be left (a user socket keeps its netns
 * alive): orphans still closing.  They end without a word to the peer,
 * as the netns has no devices left to send on.
 */
void tcpfsm_sock_net_exit(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	struct tcpfsm_sock *tp;
	struct sock *sk;

	for (;;) {
		sk = NULL;
		spin_lock_bh(&tn->lock);
		list_for_each_entry(tp, &tn->socks, all_node) {
			if (refcount_inc_not_zero(&tp->inet.sk.sk_refcnt)) {
				sk = &tp->inet.sk;
				break;
			}
		}
		spin_unlock_bh(&tn->lock);
		if (!sk)
			break;
		lock_sock(sk);
		if (sk->sk_state == TCPFSM_LISTEN)
			tcpfsm_listen_stop(sk);
		if (sk->sk_state != TCPFSM_CLOSED)
			tcpfsm_fsm_event(sk, TCPFSM_EV_ABORT);
		tcpfsm_purge_write_queue(sk);
		if (WARN_ON_ONCE(!sock_flag(sk, SOCK_DEAD)))
			sock_set_flag(sk, SOCK_DEAD);
		if (tcpfsm_sk(sk)->on_socks)
			tcpfsm_done(sk);
		tcpfsm_socks_del(sk);
		release_sock(sk);
		sk_stop_timer_sync(sk, &tcpfsm_sk(sk)->timer);
		sk_stop_timer_sync(sk, &tcpfsm_sk(sk)->delack_timer);
		sock_put(sk);
	}
}

int tcpfsm_socket_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);
	int err;

	/* tcp_init_mem()'s numbers. */
	tcpfsm_sysctl_mem[0] = limit / 4 * 3;
	tcpfsm_sysctl_mem[1] = limit;
	tcpfsm_sysctl_mem[2] = tcpfsm_sysctl_mem[0] * 2;
	err = percpu_counter_init(&tcpfsm_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	err = proto_register(&tcpfsm_prot, 1);
	if (err) {
		percpu_counter_destroy(&tcpfsm_sockets_allocated);
		return err;
	}
	tcpfsm_protosw.protocol = tcpfsm_proto;
	inet_register_protosw(&tcpfsm_protosw);
	return 0;
}

void tcpfsm_socket_exit(void)
{
	inet_unregister_protosw(&tcpfsm_protosw);
	proto_unregister(&tcpfsm_prot);
	percpu_counter_destroy(&tcpfsm_sockets_allocated);
}
