// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path: validate a segment, find its connection (full socket, then
 * TIME_WAIT entry, then listener; else an RST), and process it as RFC 9293
 * §3.10.7 "SEGMENT ARRIVES" says for the connection's state, with RFC 5961's
 * challenge ACKs.  Anything we cannot use is dropped and counted by
 * reason, never trusted.
 *
 * Full sockets are processed under bh_lock_sock(), or queued to the socket
 * backlog while the user holds it (prot->backlog_rcv = tcpfsm_do_rcv()).
 * Listeners need no socket lock: a SYN makes a child socket, and the
 * listener's queues have their own spinlock (socket.c).
 */
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>

#include "tcpfsm.h"

/*
 * Check the header is whole and the checksum right (over the pseudo-header
 * with our protocol number).  Returns the drop reason, or TCPFSM_MIB_MAX
 * when the segment is usable.
 */
static enum tcpfsm_mib tcpfsm_validate(struct sk_buff *skb)
{
	const struct tcphdr *th;
	unsigned int doff;

	if (skb->pkt_type != PACKET_HOST)
		return TCPFSM_MIB_DROP_NOT_HOST;
	if (!pskb_may_pull(skb, sizeof(struct tcphdr)))
		return TCPFSM_MIB_DROP_HDR;
	th = (const struct tcphdr *)skb->data;
	doff = th->doff * 4;
	if (doff < sizeof(struct tcphdr) || !pskb_may_pull(skb, doff))
		return TCPFSM_MIB_DROP_HDR;
	if (skb_checksum_init(skb, tcpfsm_proto, inet_compute_pseudo))
		return TCPFSM_MIB_DROP_CSUM;
	if (skb_checksum_complete(skb))
		return TCPFSM_MIB_DROP_CSUM;
	return TCPFSM_MIB_MAX;
}

/* What a SYN's options ask for; see tcpfsm_parse_syn(). */
struct tcpfsm_syn_opts {
	u32	mss;		/* 0: none */
	int	wscale;		/* -1: none */
};

/*
 * The MSS and window scale options of a SYN.  Unknown options are skipped
 * by their length (RFC 9293 MUST-6); a malformed one ends parsing and the
 * rest of the segment is processed, as Linux's tcp_parse_options() does.
 */
static void tcpfsm_parse_syn(const struct tcphdr *th,
			     struct tcpfsm_syn_opts *o)
{
	const u8 *p = (const u8 *)(th + 1);
	int len = th->doff * 4 - sizeof(*th);

	o->mss = 0;
	o->wscale = -1;
	while (len > 0) {
		int kind = *p++, size;

		if (kind == TCPFSM_OPT_EOL)
			break;
		if (kind == TCPFSM_OPT_NOP) {
			len--;
			continue;
		}
		if (len < 2)
			break;
		size = *p++;
		if (size < 2 || size > len)
			break;
		if (kind == TCPFSM_OPT_MSS && size == TCPFSM_OPT_MSS_LEN)
			o->mss = p[0] << 8 | p[1];
		if (kind == TCPFSM_OPT_WSCALE && size == TCPFSM_OPT_WSCALE_LEN)
			o->wscale = p[0];
		p += size - 2;
		len -= size;
	}
}

static void tcpfsm_drop(struct net *net, struct sk_buff *skb,
			enum tcpfsm_mib reason)
{
	TCPFSM_INC_STATS(net, reason);
	kfree_skb(skb);
}

/*
 * Take the peer's SYN options: the send MSS (RFC 9293 §3.7.1: 536
 * without) and window scaling, which holds only if both SYNs carried it
 * (RFC 7323 §2.2; ours did if tp->wscale_ok); a shift above 14 counts as
 * 14 (§2.3).
 */
static void tcpfsm_syn_options(struct sock *sk, const struct tcphdr *th)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_syn_opts o;

	tcpfsm_parse_syn(th, &o);
	if (!o.mss)
		o.mss = TCPFSM_DEFAULT_MSS;
	tp->adv_mss = tcpfsm_path_mss(sk);
	tp->mss = clamp_t(u32, o.mss, TCPFSM_MIN_MSS, tp->adv_mss);
	tp->cwnd = 10 * tp->mss;	/* RFC 6928 IW10, as Linux */
	if (tp->wscale_ok && o.wscale >= 0) {
		tp->snd_wscale = min(o.wscale, TCPFSM_MAX_WSCALE);
	} else {
		tp->wscale_ok = 0;
		tp->snd_wscale = 0;
		tp->rcv_wscale = 0;
	}
}

/* ---- Listener ----------------------------------------------------------- */

/*
 * The SYN queue is full: its oldest half-open child, which has waited
 * longest for an ACK that a SYN flood never sends, goes to make room, so a
 * real client's SYN still gets its SYN-ACK while the queue stays bounded.
 * Returns false when there was nothing to evict.
 */
static bool tcpfsm_syn_evict(struct sock *lsk)
{
	struct tcpfsm_sock *ltp = tcpfsm_sk(lsk), *ctp;
	struct sock *child = NULL;

	spin_lock(&ltp->accept_lock);
	ctp = list_first_entry_or_null(&ltp->syn_queue, struct tcpfsm_sock,
				       accept_node);
	if (ctp) {
		child = &ctp->inet.sk;
		sock_hold(child);
	}
	spin_unlock(&ltp->accept_lock);
	if (!child)
		return false;
	bh_lock_sock(child);
	if (!sock_owned_by_user(child) &&
	    child->sk_state == TCPFSM_SYN_RECEIVED &&
	    READ_ONCE(ctp->queued) == TCPFSM_Q_SYN &&
	    tcpfsm_fsm_event(child, TCPFSM_EV_ABORT) >= 0)
		tcpfsm_done(child);
	bh_unlock_sock(child);
	sock_put(child);
	TCPFSM_INC_STATS(sock_net(lsk), TCPFSM_MIB_DROP_BACKLOG);
	return true;
}

/*
 * A SYN on a listener: a child socket in SYN_RECEIVED, in the 4-tuple
 * table and on the listener's SYN queue, answers with SYN-ACK.  A full
 * accept queue (Linux holds backlog + 1) drops the SYN; a full SYN queue
 * (backlog entries) loses its oldest half-open connection instead.
 */
static void tcpfsm_conn_request(struct sock *lsk, struct sk_buff *skb)
{
	struct tcpfsm_sock *ltp = tcpfsm_sk(lsk), *tp;
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct net *net = sock_net(lsk);
	u32 backlog = READ_ONCE(lsk->sk_max_ack_backlog);
	struct inet_sock *inet;
	struct sock *sk;

	spin_lock(&ltp->accept_lock);
	if (ltp->listening && ltp->accept_len <= backlog &&
	    ltp->syn_len >= max(backlog, 1U)) {
		spin_unlock(&ltp->accept_lock);
		tcpfsm_syn_evict(lsk);
		spin_lock(&ltp->accept_lock);
	}
	if (!ltp->listening || ltp->accept_len > backlog ||
	    ltp->syn_len >= max(backlog, 1U)) {
		spin_unlock(&ltp->accept_lock);
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_BACKLOG);
		return;
	}
	ltp->syn_len++;		/* the place is ours until we give it back */
	spin_unlock(&ltp->accept_lock);

	sk = sk_clone_lock(lsk, GFP_ATOMIC);
	if (!sk)
		goto fail;
	__acquire(&sk->sk_lock.slock);	/* sk_clone_lock() returns it locked */
	tp = tcpfsm_sk(sk);
	tcpfsm_sock_init(sk);
	inet = inet_sk(sk);
	inet->inet_daddr = iph->saddr;
	inet->inet_dport = th->source;
	inet->inet_rcv_saddr = iph->daddr;
	inet->inet_saddr = iph->daddr;
	inet->inet_sport = th->dest;
	RCU_INIT_POINTER(inet->inet_opt, NULL);
	RCU_INIT_POINTER(inet->mc_list, NULL);
	atomic_set(&inet->inet_id, get_random_u16());
	tcpfsm_socks_add(sk);

	/* The child starts where its listener is and makes the move. */
	tcpfsm_fsm_event(sk, TCPFSM_EV_RCV_SYN);
	if (inet_sk_rebuild_header(sk))
		goto fail_child;
	tp->irs = cb->seq;
	tp->rcv_nxt = cb->seq + 1;
	tp->rcv_wup = tp->rcv_nxt;
	tp->copied_seq = tp->rcv_nxt;
	tp->snd_wnd = ntohs(th->window);
	tp->max_snd_wnd = tp->snd_wnd;
	tp->snd_wl1 = cb->seq;
	tcpfsm_offer_wscale(sk);
	tcpfsm_syn_options(sk, th);
	if (cb->tw_syn)
		tp->iss = tcpfsm_tw_syn_isn(skb);
	else
		tp->iss = tcpfsm_new_isn(net, inet->inet_saddr,
					 inet->inet_daddr, inet->inet_sport,
					 inet->inet_dport);
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->iss;
	tp->snd_wl2 = tp->iss;
	if (tcpfsm_queue_syn(sk, TCPFSM_SYN | TCPFSM_ACK))
		goto fail_child;
	if (tcpfsm_hash_est(sk) || tcpfsm_inherit_port(sk))
		goto fail_child;

	spin_lock(&ltp->accept_lock);
	if (!ltp->listening) {
		/* The listener closed meanwhile: no connection after all. */
		spin_unlock(&ltp->accept_lock);
		goto fail_child;
	}
	sock_hold(lsk);
	tp->parent = lsk;
	tp->queued = TCPFSM_Q_SYN;
	list_add_tail(&tp->accept_node, &ltp->syn_queue);
	spin_unlock(&ltp->accept_lock);

	tcpfsm_push(sk);
	bh_unlock_sock(sk);
	sock_put(sk);		/* sk_clone_lock()'s second reference */
	consume_skb(skb);
	return;

fail_child:
	/* Never seen by anyone: end it quietly. */
	tcpfsm_fsm_event(sk, TCPFSM_EV_ABORT);
	sock_set_flag(sk, SOCK_DEAD);
	tcpfsm_destroy(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
fail:
	spin_lock(&ltp->accept_lock);
	ltp->syn_len--;
	spin_unlock(&ltp->accept_lock);
	tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_NOMEM);
}

/*
 * RFC 9293 §3.10.7.2: on a listener an RST is ignored, an ACK draws
 * <SEQ=SEG.ACK><CTL=RST>, a SYN opens a connection, anything else goes.
 */
static void tcpfsm_listen_rcv(struct sock *lsk, struct sk_buff *skb)
{
	struct net *net = sock_net(lsk);
	u8 flags = TCPFSM_SKB_CB(skb)->flags;

	if (flags & TCPFSM_RST) {
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_STATE);
	} else if (flags & TCPFSM_ACK) {
		tcpfsm_send_reset_for(net, skb);
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_STATE);
	} else if (flags & TCPFSM_SYN) {
		tcpfsm_conn_request(lsk, skb);
	} else {
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_STATE);
	}
}

/* ---- Connection teardown by the peer or by timeouts --------------------- */

/**
 * tcpfsm_reset() - an acceptable RST arrived: the connection is gone
 * @sk: the socket, locked
 *
 * The error the user sees is Linux's (tcp_reset()): ECONNREFUSED while
 * opening, EPIPE in CLOSE_WAIT, else ECONNRESET.
 */
void tcpfsm_reset(struct sock *sk)
{
	int err;

	switch (sk->sk_state) {
	case TCPFSM_SYN_SENT:
		err = ECONNREFUSED;
		break;
	case TCPFSM_SYN_RECEIVED:
		/* RFC 9293: refused if we opened actively; a child just goes. */
		err = tcpfsm_sk(sk)->parent ? ECONNRESET : ECONNREFUSED;
		break;
	case TCPFSM_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TCPFSM_CLOSED:
		return;
	default:
		err = ECONNRESET;
		break;
	}
	if (tcpfsm_fsm_event(sk, TCPFSM_EV_RCV_RST) < 0)
		return;
	WRITE_ONCE(sk->sk_err, err);
	tcpfsm_purge_write_queue(sk);
	tcpfsm_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

/* The retry limit ran out (timer.c): ETIMEDOUT, no RST. */
void tcpfsm_time_out(struct sock *sk)
{
	if (tcpfsm_fsm_event(sk, TCPFSM_EV_TIMEOUT_RETRIES) < 0)
		return;
	WRITE_ONCE(sk->sk_err, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
	tcpfsm_purge_write_queue(sk);
	tcpfsm_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

/* We end the connection because of this segment: RST per §3.10.7.1. */
static void tcpfsm_abort_on(struct sock *sk, struct sk_buff *skb)
{
	if (tcpfsm_fsm_event(sk, TCPFSM_EV_ABORT) < 0)
		return;
	tcpfsm_send_reset_for(sock_net(sk), skb);
	WRITE_ONCE(sk->sk_err, ECONNRESET);
	tcpfsm_purge_write_queue(sk);
	tcpfsm_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

/* ---- ACK processing ------------------------------------------------------ */

/*
 * Free what SEG.ACK covers; a partly covered skb loses its covered head.
 * Takes an RTT sample from the oldest fully acknowledged segment, unless
 * any segment this ACK covers was retransmitted (Karn's algorithm, RFC
 * 6298 §3, as Linux's FLAG_RETRANS_DATA_ACKED): the ACK that fills a hole
 * also covers what was sent once after it, and that segment's "RTT"
 * includes the whole recovery.
 */
static void tcpfsm_clean_acked(struct sock *sk, u32 ack)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb;
	bool retrans = false;
	u64 sent_ns = 0;

	while ((skb = skb_peek(&sk->sk_write_queue)) && skb != tp->send_head) {
		struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);

		if (tcpfsm_after(cb->end_seq, ack)) {
			u32 n = ack - cb->seq;

			if (tcpfsm_after(ack, cb->seq) &&
			    !(cb->flags & TCPFSM_SYN) && n < skb->len) {
				skb_pull(skb, n);
				cb->seq = ack;
			}
			break;
		}
		if (cb->retrans)
			retrans = true;
		else if (!sent_ns)
			sent_ns = cb->sent_ns;
		__skb_unlink(skb, &sk->sk_write_queue);
		tcpfsm_free_send_skb(sk, skb);
	}
	if (sent_ns && !retrans)
		tcpfsm_rtt_sample(tp, div_u64(ktime_get_ns() - sent_ns, 1000));
	sk_mem_reclaim(sk);
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		sk->sk_write_space(sk);
}

/*
 * RFC 5681 §3.1: slow start below ssthresh, congestion avoidance above,
 * both counting the bytes an ACK covers (RFC 3465), as Linux's
 * tcp_slow_start() and tcp_cong_avoid_ai() count the packets: one ACK
 * per super-segment is the rule here, and growth by at most an MSS per
 * ACK would leave the window where the first loss put it.
 */
static void tcpfsm_cwnd_grow(struct tcpfsm_sock *tp, u32 acked)
{
	u32 inc;

	if (tp->cwnd < tp->ssthresh) {
		inc = min(acked, tp->ssthresh - tp->cwnd);
		tp->cwnd += inc;
		acked -= inc;
	}
	if (acked)	/* at or above ssthresh now */
		tp->cwnd += max_t(u32, div_u64((u64)tp->mss * acked, tp->cwnd),
				  1);
	tp->cwnd = min_t(u32, tp->cwnd, 1U << 30);
}

/* The window update rule of RFC 9293 §3.10.7.4 (SND.WL1/SND.WL2). */
static void tcpfsm_update_window(struct sock *sk, const struct sk_buff *skb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	const struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	u32 wnd = ntohs(th->window);

	if (!th->syn)		/* a SYN's window is never scaled */
		wnd <<= tp->snd_wscale;
	if (!tcpfsm_before(tp->snd_wl1, cb->seq) &&
	    !(tp->snd_wl1 == cb->seq && !tcpfsm_after(tp->snd_wl2, cb->ack_seq)))
		return;
	if (wnd > tp->snd_wnd && tp->timer_kind == TCPFSM_TIMER_PERSIST)
		tp->backoff = 0;	/* the window opened: probes are over */
	tp->snd_wnd = wnd;
	tp->max_snd_wnd = max(tp->max_snd_wnd, wnd);
	tp->snd_wl1 = cb->seq;
	tp->snd_wl2 = cb->ack_seq;
}

/* RFC 5681 §3.2 fast retransmit and RFC 6582 NewReno fast recovery. */
static void tcpfsm_dupack(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (tp->in_loss)
		return;
	if (tp->in_recovery) {
		tp->cwnd += tp->mss;	/* inflate per further dup ACK */
		return;
	}
	if (++tp->dupacks < 3 || !skb || skb == tp->send_head)
		return;
	tp->ssthresh = max(tcpfsm_in_flight(tp) / 2, 2 * tp->mss);
	tp->recover = tp->snd_nxt;
	tp->in_recovery = 1;
	tcpfsm_retransmit_skb(sk, skb);
	tp->cwnd = tp->ssthresh + 3 * tp->mss;
}

/* New data acknowledged: congestion control's side. */
static void tcpfsm_new_ack(struct sock *sk, u32 acked)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb;

	tp->dupacks = 0;
	if (tp->in_loss && !tcpfsm_before(tp->snd_una, tp->lost_end))
		tp->in_loss = 0;
	if (tp->in_recovery) {
		if (!tcpfsm_before(tp->snd_una, tp->recover)) {
			tp->in_recovery = 0;
			tp->cwnd = tp->ssthresh;	/* deflate */
		} else {
			/* Partial ACK: the next hole is lost as well. */
			skb = skb_peek(&sk->sk_write_queue);
			if (skb && skb != tp->send_head)
				tcpfsm_retransmit_skb(sk, skb);
			tp->cwnd = tp->cwnd > acked ? tp->cwnd - acked : tp->mss;
			tp->cwnd += tp->mss;
		}
		return;
	}
	tcpfsm_cwnd_grow(tp, acked);
}

/*
 * ACK processing for synchronized states (RFC 9293 §3.10.7.4 fifth,
 * RFC 5961 §5).  Returns false when the segment must be dropped.
 */
static bool tcpfsm_ack(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	u32 ack = cb->ack_seq, acked, old_wnd = tp->snd_wnd;
	struct net *net = sock_net(sk);

	if (tcpfsm_after(ack, tp->snd_nxt)) {
		/* Acknowledges data never sent. */
		tcpfsm_send_ack(sk);
		TCPFSM_INC_STATS(net, TCPFSM_MIB_DROP_BAD_ACK);
		return false;
	}
	if (tcpfsm_before(ack, tp->snd_una - tp->max_snd_wnd)) {
		/* RFC 5961 §5.2: far too old; tell the sender where we are. */
		tcpfsm_send_challenge_ack(sk);
		TCPFSM_INC_STATS(net, TCPFSM_MIB_DROP_BAD_ACK);
		return false;
	}
	tp->probes = 0;		/* the peer answers */
	if (tcpfsm_after(ack, tp->snd_una)) {
		acked = ack - tp->snd_una;
		tp->snd_una = ack;
		tp->retries = 0;
		tp->backoff = 0;
		tcpfsm_clean_acked(sk, ack);
		tcpfsm_update_window(sk, skb);
		tcpfsm_new_ack(sk, acked);
		tcpfsm_timer_restart(sk);
	} else {
		tcpfsm_update_window(sk, skb);
		if (ack == tp->snd_una && cb->end_seq == cb->seq &&
		    tp->snd_wnd == old_wnd && tp->snd_nxt != tp->snd_una)
			tcpfsm_dupack(sk);
		else if (tp->snd_wnd > old_wnd)
			tcpfsm_timer_update(sk);
	}
	return true;
}

/* Our FIN is queued and everything up to it is acknowledged. */
static bool tcpfsm_fin_acked(const struct tcpfsm_sock *tp)
{
	return tp->fin_queued && tp->snd_una == tp->write_seq;
}

/* ---- Data and FIN ------------------------------------------------------- */

/* Bytes received and not yet read (the FIN is no byte). */
u32 tcpfsm_inq(const struct tcpfsm_sock *tp)
{
	u32 n = READ_ONCE(tp->rcv_nxt) - READ_ONCE(tp->copied_seq);

	return n && READ_ONCE(tp->rcv_fin) ? n - 1 : n;
}

static int tcpfsm_charge_rcv(struct sock *sk, struct sk_buff *skb)
{
	if (atomic_read(&sk->sk_rmem_alloc) > READ_ONCE(sk->sk_rcvbuf)) {
		TCPFSM_INC_STATS(sock_net(sk), TCPFSM_MIB_DROP_RCVBUF);
		return -ENOBUFS;
	}
	if (!sk_rmem_schedule(sk, skb, skb->truesize)) {
		TCPFSM_INC_STATS(sock_net(sk), TCPFSM_MIB_DROP_NOMEM);
		return -ENOMEM;
	}
	skb_set_owner_r(skb, sk);
	return 0;
}

/*
 * In-order data finds the receive buffer full: give up out-of-order data,
 * latest first, before in-order data is dropped (tcp_prune_ofo_queue()).
 * Otherwise a hole's retransmission could find no room for ever, the
 * buffer held by what waits behind the hole.  Each segment given up
 * counts as a DropRcvBuf.
 */
static void tcpfsm_prune_ooo(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb;

	while (atomic_read(&sk->sk_rmem_alloc) > READ_ONCE(sk->sk_rcvbuf) &&
	       (skb = skb_peek_tail(&tp->ooo_queue))) {
		__skb_unlink(skb, &tp->ooo_queue);
		TCPFSM_INC_STATS(sock_net(sk), TCPFSM_MIB_DROP_RCVBUF);
		kfree_skb(skb);
	}
}

/* Payload room of the skbs received bytes are copied into. */
#define TCPFSM_RCV_CHUNK	SKB_WITH_OVERHEAD(8192)

/*
 * Whether a segment's bytes are better copied than queued in the skb they
 * came in: a small segment, or one whose buffer is more overhead than
 * payload (over veth a 1460-byte segment arrives in a 4 KiB head,
 * truesize 4352).  The receive buffer is charged with truesize and the
 * window offers half its free space, which holds only while truesize is
 * at most twice the payload; queued as they came, such segments fill the
 * buffer with a third of the data the window let in, and the rest is
 * dropped (Linux collapses its queue for the same reason, tcp_collapse()).
 */
static bool tcpfsm_rcv_copy(const struct sk_buff *skb)
{
	return skb->len <= 1024 || skb->truesize > 2 * skb->len;
}

/*
 * Room of the fresh skb that @n bytes are copied into: 2 KiB for a small
 * rest; at least 8 KiB, which the next segments fill, while the queue's
 * tail is a copy too (over veth without GSO: 1460 bytes in 4 KiB heads);
 * else just the rest.  Behind an skb queued as it came (a GSO
 * super-segment, which over veth is the sender's clone) the next ones
 * likely go as they come too, and an 8 KiB skb would stay mostly empty.
 */
static unsigned int tcpfsm_rcv_room(struct sock *sk, unsigned int n)
{
	struct sk_buff *last = skb_peek_tail(&sk->sk_receive_queue);

	if (n <= 1024)
		return SKB_WITH_OVERHEAD(2048);
	if (!last || !skb_cloned(last))
		return max_t(unsigned int, n, TCPFSM_RCV_CHUNK);
	return n;
}

/* The tail of the receive queue, if @cb's bytes can be appended to it. */
static struct sk_buff *tcpfsm_rcv_tail(struct sock *sk,
				       const struct tcpfsm_skb_cb *cb)
{
	struct sk_buff *tail = skb_peek_tail(&sk->sk_receive_queue);

	if (!tail || skb_cloned(tail) || skb_is_nonlinear(tail) ||
	    !skb_tailroom(tail) || TCPFSM_SKB_CB(tail)->end_seq != cb->seq ||
	    (TCPFSM_SKB_CB(tail)->flags & TCPFSM_FIN))
		return NULL;
	return tail;
}

/*
 * Undo what tcpfsm_collapse_rcv() copied of one skb into @nskb, when the
 * rest found no memory: the skb stays whole where it was.
 */
static void tcpfsm_collapse_undo(struct sock *sk, struct sk_buff *nskb,
				 unsigned int copied)
{
	skb_trim(nskb, nskb->len - copied);
	TCPFSM_SKB_CB(nskb)->end_seq -= copied;
	if (!nskb->len) {
		__skb_unlink(nskb, &sk->sk_receive_queue);
		kfree_skb(nskb);
	}
}

/*
 * The buffer is full of skbs that are mostly overhead (cuts of GSO
 * super-segments in the sender's buffers, copies not yet filled): copy
 * their bytes into compact skbs, as Linux's tcp_collapse(), so that data
 * inside the window we advertised still finds room.  The reader finds
 * its place by sequence number, so the queue may change under it between
 * reads.  FIN skbs and compact ones stay as they are.
 */
static void tcpfsm_collapse_rcv(struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	struct sk_buff *skb, *next, *nskb = NULL;
	unsigned int off, n;

	skb_queue_walk_safe(q, skb, next) {
		struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);

		if (skb->truesize <= skb->len + skb->len / 2 ||
		    (cb->flags & TCPFSM_FIN)) {
			nskb = NULL;	/* a copy never spans a kept skb */
			continue;
		}
		for (off = 0; off < skb->len; off += n) {
			if (!nskb || !skb_tailroom(nskb)) {
				nskb = alloc_skb(TCPFSM_RCV_CHUNK,
						 GFP_ATOMIC | __GFP_NOWARN);
				if (nskb && !sk_rmem_schedule(sk, nskb,
							      nskb->truesize)) {
					kfree_skb(nskb);
					nskb = NULL;
				}
				if (!nskb)
					goto undo;
				skb_set_owner_r(nskb, sk);
				*TCPFSM_SKB_CB(nskb) = *cb;
				TCPFSM_SKB_CB(nskb)->seq = cb->seq + off;
				TCPFSM_SKB_CB(nskb)->end_seq = cb->seq + off;
				__skb_queue_before(q, skb, nskb);
			}
			n = min_t(unsigned int, skb_tailroom(nskb),
				  skb->len - off);
			/* Cannot fail: the offsets are within @skb. */
			skb_copy_bits(skb, off, skb_put(nskb, n), n);
			TCPFSM_SKB_CB(nskb)->end_seq += n;
		}
		__skb_unlink(skb, q);
		consume_skb(skb);
	}
	return;

undo:
	/* Only the last copy holds bytes of @skb: the ones before it are
	 * full and queued before it, each its own run of @skb's bytes.
	 */
	while (off) {
		struct sk_buff *prev = skb->prev;

		n = min_t(unsigned int, off, prev->len);
		tcpfsm_collapse_undo(sk, prev, n);
		off -= n;
	}
}

/*
 * Queue in-order data for the reader.  The bytes of segments that
 * tcpfsm_rcv_copy() picks are copied: first into the tailroom of the tail
 * skb, the rest into a fresh skb (tcpfsm_rcv_room()), so that the
 * queue's truesize stays close to its payload.  Consumes @skb on success.
 */
static int tcpfsm_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	unsigned int len = skb->len, off = 0;
	struct sk_buff *tail = NULL, *nskb = NULL;

	/* Room first from compacting what is queued, then from dropping
	 * out-of-order data, as tcp_prune_queue().
	 */
	if (atomic_read(&sk->sk_rmem_alloc) > READ_ONCE(sk->sk_rcvbuf))
		tcpfsm_collapse_rcv(sk);
	tcpfsm_prune_ooo(sk);
	if (!len || !tcpfsm_rcv_copy(skb))
		goto as_is;
	tail = tcpfsm_rcv_tail(sk, cb);
	if (tail)
		off = min_t(unsigned int, skb_tailroom(tail), len);
	if (off < len) {
		nskb = alloc_skb(tcpfsm_rcv_room(sk, len - off),
				 GFP_ATOMIC | __GFP_NOWARN);
		if (!nskb)
			goto as_is;
		if (tcpfsm_charge_rcv(sk, nskb)) {
			kfree_skb(nskb);
			return -ENOBUFS;
		}
		*TCPFSM_SKB_CB(nskb) = *cb;
		TCPFSM_SKB_CB(nskb)->seq = cb->seq + off;
		/* Cannot fail: the offsets are within @skb. */
		skb_copy_bits(skb, off, skb_put(nskb, len - off), len - off);
	}
	/* The tail's room is charged already: filling it costs nothing. */
	if (off) {
		skb_copy_bits(skb, 0, skb_put(tail, off), off);
		TCPFSM_SKB_CB(tail)->end_seq += off;
		if (!nskb)
			TCPFSM_SKB_CB(tail)->flags |= cb->flags & TCPFSM_FIN;
	}
	if (nskb)
		__skb_queue_tail(&sk->sk_receive_queue, nskb);
	consume_skb(skb);
	return 0;

as_is:
	if (tcpfsm_charge_rcv(sk, skb))
		return -ENOBUFS;
	skb_dst_drop(skb);
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	return 0;
}

/* Keep an out-of-order segment, sorted, without overlaps (kept data wins). */
static void tcpfsm_queue_ooo(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	struct sk_buff *p, *next;

	skb_queue_walk_safe(&tp->ooo_queue, p, next) {
		struct tcpfsm_skb_cb *pcb = TCPFSM_SKB_CB(p);

		if (!tcpfsm_after(cb->end_seq, pcb->end_seq) &&
		    !tcpfsm_before(cb->seq, pcb->seq)) {
			/* Nothing new. */
			TCPFSM_INC_STATS(sock_net(sk), TCPFSM_MIB_DROP_DUP);
			kfree_skb(skb);
			return;
		}
		if (tcpfsm_before(cb->seq, pcb->seq)) {
			if (!tcpfsm_after(cb->end_seq, pcb->seq))
				break;	/* goes before p */
			if (!tcpfsm_before(cb->end_seq, pcb->end_seq)) {
				/* Covers p whole: p goes. */
				__skb_unlink(p, &tp->ooo_queue);
				kfree_skb(p);
				continue;
			}
			/* Overlaps p's head: cut our tail. */
			if (pskb_trim(skb, pcb->seq - cb->seq)) {
				kfree_skb(skb);
				return;
			}
			cb->end_seq = pcb->seq;
			cb->flags &= ~TCPFSM_FIN;
			break;
		}
		if (tcpfsm_before(cb->seq, pcb->end_seq)) {
			/* Overlaps p's tail: cut our head. */
			if (!pskb_pull(skb, pcb->end_seq - cb->seq)) {
				kfree_skb(skb);
				return;
			}
			cb->seq = pcb->end_seq;
		}
	}
	if (tcpfsm_charge_rcv(sk, skb)) {
		kfree_skb(skb);
		return;
	}
	skb_dst_drop(skb);
	if (p == (struct sk_buff *)&tp->ooo_queue)
		__skb_queue_tail(&tp->ooo_queue, skb);
	else
		__skb_queue_before(&tp->ooo_queue, p, skb);
}

/* The peer's FIN is next in sequence: consume it. */
static void tcpfsm_rcv_fin(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	tp->rcv_nxt++;
	WRITE_ONCE(tp->rcv_fin, 1);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	/* Out-of-order data beyond a FIN cannot be. */
	skb_queue_purge(&tp->ooo_queue);
}

/* Move what the new in-order data made contiguous out of the OOO queue. */
static bool tcpfsm_drain_ooo(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb;
	bool fin = false;

	while ((skb = skb_peek(&tp->ooo_queue))) {
		struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
		u32 dlen;

		if (tcpfsm_after(cb->seq, tp->rcv_nxt))
			break;
		__skb_unlink(skb, &tp->ooo_queue);
		dlen = cb->end_seq - cb->seq - !!(cb->flags & TCPFSM_FIN);
		if (!tcpfsm_after(cb->end_seq, tp->rcv_nxt)) {
			kfree_skb(skb);
			continue;
		}
		if (tcpfsm_before(cb->seq, tp->rcv_nxt)) {
			u32 n = tp->rcv_nxt - cb->seq;

			if (!pskb_pull(skb, n)) {
				kfree_skb(skb);
				continue;
			}
			cb->seq += n;
			dlen -= n;
		}
		/* Already charged: move it as it is. */
		__skb_queue_tail(&sk->sk_receive_queue, skb);
		tp->rcv_nxt += dlen;
		if (cb->flags & TCPFSM_FIN) {
			fin = true;
			break;
		}
	}
	return fin;
}

/*
 * RFC 9293 §3.10.7.4 seventh and eighth: the segment's text and FIN.  The
 * header is pulled off; old bytes and bytes beyond our window are
 * trimmed.  Returns true when the peer's FIN was consumed.  Always
 * consumes @skb.  *@delay says whether its ACK may wait: only for new data
 * in order with no hole before or after it (RFC 5681 §4.2: out-of-order
 * segments, and those filling a hole, are acknowledged at once).
 */
static bool tcpfsm_data_queue(struct sock *sk, struct sk_buff *skb,
			      bool *delay)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	struct net *net = sock_net(sk);
	u32 wnd_end = tp->rcv_wup + tp->rcv_wnd;
	u32 seq = cb->seq, n;
	bool fin = false, trimmed = false;

	if (cb->flags & TCPFSM_SYN) {
		/* The SYN's place was consumed long ago. */
		cb->seq++;
		seq++;
		cb->flags &= ~TCPFSM_SYN;
	}
	__skb_pull(skb, tcp_hdr(skb)->doff * 4);
	if (!tcpfsm_after(cb->end_seq, tp->rcv_nxt)) {
		/* All old: a retransmission; the ACK below says so. */
		TCPFSM_INC_STATS(net, TCPFSM_MIB_DROP_DUP);
		kfree_skb(skb);
		return false;
	}
	if (tcpfsm_before(seq, tp->rcv_nxt)) {
		n = tp->rcv_nxt - seq;
		if (!pskb_pull(skb, n)) {
			kfree_skb(skb);
			return false;
		}
		cb->seq = tp->rcv_nxt;
		trimmed = true;
	}
	/* Beyond the right edge of the window: not accepted. */
	if (tcpfsm_after(cb->end_seq, wnd_end)) {
		trimmed = true;
		n = tcpfsm_after(wnd_end, cb->seq) ? wnd_end - cb->seq : 0;
		if (n < skb->len && pskb_trim(skb, n)) {
			kfree_skb(skb);
			return false;
		}
		cb->end_seq = cb->seq + skb->len;
		cb->flags &= ~TCPFSM_FIN;
		if (!skb->len) {
			TCPFSM_INC_STATS(net, TCPFSM_MIB_DROP_OUT_OF_WINDOW);
			kfree_skb(skb);
			return false;
		}
	}
	if (cb->seq != tp->rcv_nxt) {
		tcpfsm_queue_ooo(sk, skb);
		return false;
	}
	fin = cb->flags & TCPFSM_FIN;
	n = skb->len;
	if (n) {
		if (tcpfsm_queue_rcv(sk, skb)) {
			kfree_skb(skb);
			return false;
		}
		tp->rcv_nxt += n;
		tp->lrcv_time = jiffies;
		if (n > tp->rcv_mss)
			tp->rcv_mss = min(n, tp->adv_mss);
		if (skb_queue_empty(&tp->ooo_queue))
			*delay = !fin && !trimmed;
		else if (!fin)
			fin = tcpfsm_drain_ooo(sk);
	} else {
		consume_skb(skb);
	}
	if (fin)
		tcpfsm_rcv_fin(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return fin;
}

/* ---- SYN_SENT ------------------------------------------------------------ */

/* RFC 9293 §3.10.7.3. */
static void tcpfsm_rcv_syn_sent(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	struct net *net = sock_net(sk);
	bool ack_ok = false;
	int actions;

	if (cb->flags & TCPFSM_ACK) {
		if (!tcpfsm_after(cb->ack_seq, tp->iss) ||
		    tcpfsm_after(cb->ack_seq, tp->snd_nxt)) {
			tcpfsm_send_reset_for(net, skb);
			tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_BAD_ACK);
			return;
		}
		ack_ok = true;
	}
	if (cb->flags & TCPFSM_RST) {
		if (ack_ok)
			tcpfsm_reset(sk);
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_STATE);
		return;
	}
	if (!(cb->flags & TCPFSM_SYN)) {
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_STATE);
		return;
	}
	tp->irs = cb->seq;
	tp->rcv_nxt = cb->seq + 1;
	tp->rcv_wup = tp->rcv_nxt;
	tp->copied_seq = tp->rcv_nxt;
	tcpfsm_syn_options(sk, tcp_hdr(skb));
	if (ack_ok) {
		/* Data sent right after connect() makes us interactive, so
		 * the ACK of the answer can wait for our next segment (as
		 * Linux's tcp_finish_connect() sets icsk_ack.lrcvtime).
		 */
		tp->lrcv_time = jiffies;
		tp->snd_una = cb->ack_seq;
		tcpfsm_clean_acked(sk, cb->ack_seq);
		tp->snd_wl1 = cb->seq - 1;	/* let the window in */
		tcpfsm_update_window(sk, skb);
		tp->retries = 0;
		tp->backoff = 0;
		tp->in_loss = 0;
		actions = tcpfsm_fsm_event(sk, TCPFSM_EV_RCV_SYN_ACK);
		if (actions >= 0) {
			tcpfsm_apply_actions(sk, actions);
			tcpfsm_timer_restart(sk);
			if (!sock_flag(sk, SOCK_DEAD)) {
				sk->sk_state_change(sk);
				sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
			}
			tcpfsm_push(sk);
		}
	} else {
		/* Simultaneous open: our SYN becomes a SYN-ACK (same ISS). */
		struct sk_buff *syn = skb_peek(&sk->sk_write_queue);

		tp->snd_wnd = ntohs(tcp_hdr(skb)->window);
		tp->max_snd_wnd = tp->snd_wnd;
		tp->snd_wl1 = cb->seq;
		actions = tcpfsm_fsm_event(sk, TCPFSM_EV_RCV_SYN);
		if (actions >= 0 && syn &&
		    (TCPFSM_SKB_CB(syn)->flags & TCPFSM_SYN)) {
			TCPFSM_SKB_CB(syn)->flags |= TCPFSM_ACK;
			tp->send_head = syn;
			tcpfsm_push(sk);
		}
	}
	consume_skb(skb);
}

/* ---- Synchronized states and SYN_RECEIVED ------------------------------- */

/*
 * The sequence test of RFC 9293 §3.10.7.4, in Linux's form
 * (tcp_sequence()): the segment must end at or after RCV.NXT and start no
 * later than the window's right edge.  A zero window accepts only what
 * starts at RCV.NXT (data beyond it is trimmed later).
 */
static bool tcpfsm_seq_ok(const struct tcpfsm_sock *tp,
			  const struct tcpfsm_skb_cb *cb)
{
	u32 wnd_end = tp->rcv_wup + tp->rcv_wnd;

	if (tcpfsm_before(wnd_end, tp->rcv_nxt))
		wnd_end = tp->rcv_nxt;
	return !tcpfsm_before(cb->end_seq, tp->rcv_nxt) &&
	       !tcpfsm_after(cb->seq, wnd_end);
}

/* RST inside the window (RFC 5961 §3.2): exact resets, else challenge. */
static bool tcpfsm_rst_in_window(const struct tcpfsm_sock *tp, u32 seq)
{
	u32 wnd = max_t(u32, tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt, 1);

	return !tcpfsm_before(seq, tp->rcv_nxt) &&
	       tcpfsm_before(seq, tp->rcv_nxt + wnd);
}

/* SYN_RECEIVED -> ESTABLISHED on the ACK of our SYN. */
static bool tcpfsm_syn_received_ack(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	struct net *net = sock_net(sk);
	struct tcpfsm_sock *ptp;
	int actions;

	if (!tcpfsm_after(cb->ack_seq, tp->snd_una) ||
	    tcpfsm_after(cb->ack_seq, tp->snd_nxt)) {
		/* Not the ACK of our SYN: <SEQ=SEG.ACK><CTL=RST>. */
		tcpfsm_send_reset_for(net, skb);
		TCPFSM_INC_STATS(net, TCPFSM_MIB_DROP_BAD_ACK);
		return false;
	}
	if (tp->parent) {
		/* A full accept queue drops the ACK; the SYN-ACK comes again. */
		ptp = tcpfsm_sk(tp->parent);
		if (READ_ONCE(ptp->accept_len) >
		    READ_ONCE(tp->parent->sk_max_ack_backlog)) {
			TCPFSM_INC_STATS(net, TCPFSM_MIB_DROP_BACKLOG);
			return false;
		}
	}
	actions = tcpfsm_fsm_event(sk, TCPFSM_EV_RCV_ACK);
	if (actions < 0)
		return false;
	tp->snd_una = cb->ack_seq;
	tp->retries = 0;
	tp->backoff = 0;
	tp->in_loss = 0;
	tcpfsm_clean_acked(sk, cb->ack_seq);
	tp->snd_wl1 = cb->seq - 1;
	tcpfsm_update_window(sk, skb);
	tcpfsm_timer_restart(sk);
	if (tp->parent) {
		tcpfsm_child_ready(sk);
	} else if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
	return true;
}

/* Data for a socket whose reader is gone (Linux's tcp_rcv_state_process()). */
static bool tcpfsm_data_after_close(struct sock *sk, struct sk_buff *skb)
{
	const struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	const struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	u32 end = cb->end_seq - !!(cb->flags & TCPFSM_FIN);

	return (sk->sk_state == TCPFSM_FIN_WAIT_1 ||
		sk->sk_state == TCPFSM_FIN_WAIT_2) &&
	       (sk->sk_shutdown & RCV_SHUTDOWN) && cb->end_seq != cb->seq &&
	       tcpfsm_after(end, tp->rcv_nxt);
}

/*
 * Whether the ACK of new in-order data may wait (Linux's
 * __tcp_ack_snd_check()): not while quick-acking (the start of a
 * connection, as TCP's slow start wants ACKs) unless the connection is
 * interactive, not once more than a full segment is unacknowledged
 * (RFC 5681 §4.2: at least every second full-sized segment), and not when
 * what is left of the window we advertised would soon stall the sender.
 */
static bool tcpfsm_ack_may_wait(const struct sock *sk)
{
	const struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	u32 unacked = tp->rcv_nxt - tp->rcv_wup;
	s32 left = (s32)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);

	if (tp->quick && !tp->pingpong)
		return false;
	if (unacked > tp->rcv_mss)
		return false;
	return left >= 2 * (s32)tp->rcv_mss;
}

static void tcpfsm_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	struct net *net = sock_net(sk);
	int state = sk->sk_state;
	bool fin_acked = false, fin = false, ack_now = false, delay = false;
	enum tcpfsm_event ev;
	int actions;

	/* A retransmitted SYN in SYN_RECEIVED draws our SYN-ACK again. */
	if (state == TCPFSM_SYN_RECEIVED &&
	    (cb->flags & (TCPFSM_SYN | TCPFSM_ACK | TCPFSM_RST)) == TCPFSM_SYN &&
	    cb->seq == tp->irs) {
		struct sk_buff *syn = skb_peek(&sk->sk_write_queue);

		if (syn && (TCPFSM_SKB_CB(syn)->flags & TCPFSM_SYN))
			tcpfsm_retransmit_skb(sk, syn);
		consume_skb(skb);
		return;
	}

	/* Simultaneous open: their SYN-ACK acknowledging ours (Linux). */
	if (state == TCPFSM_SYN_RECEIVED && !tp->parent &&
	    (cb->flags & (TCPFSM_SYN | TCPFSM_ACK | TCPFSM_RST)) ==
	    (TCPFSM_SYN | TCPFSM_ACK) &&
	    cb->seq == tp->irs && cb->ack_seq == tp->snd_nxt) {
		if (tcpfsm_syn_received_ack(sk, skb))
			tcpfsm_send_ack(sk);
		consume_skb(skb);
		return;
	}

	/* First: sequence number. */
	if (!tcpfsm_seq_ok(tp, cb)) {
		if (!(cb->flags & TCPFSM_RST))
			tcpfsm_send_ack(sk);
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_OUT_OF_WINDOW);
		return;
	}

	/* Second: RST (RFC 5961 §3.2). */
	if (cb->flags & TCPFSM_RST) {
		if (cb->seq == tp->rcv_nxt) {
			tcpfsm_reset(sk);
			tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_STATE);
		} else {
			if (tcpfsm_rst_in_window(tp, cb->seq))
				tcpfsm_send_challenge_ack(sk);
			tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_OUT_OF_WINDOW);
		}
		return;
	}

	/* Fourth: SYN in a synchronized state (RFC 5961 §4.2). */
	if (cb->flags & TCPFSM_SYN) {
		tcpfsm_send_challenge_ack(sk);
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_STATE);
		return;
	}

	/* Fifth: ACK. */
	if (!(cb->flags & TCPFSM_ACK)) {
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_STATE);
		return;
	}
	if (state == TCPFSM_SYN_RECEIVED) {
		if (!tcpfsm_syn_received_ack(sk, skb)) {
			kfree_skb(skb);
			return;
		}
		state = sk->sk_state;
	} else {
		bool had_fin = tcpfsm_fin_acked(tp);

		if (!tcpfsm_ack(sk, skb)) {
			kfree_skb(skb);
			return;
		}
		fin_acked = !had_fin && tcpfsm_fin_acked(tp);
	}

	/* Orphans and readers that shut down take no new data: RST. */
	if (tcpfsm_data_after_close(sk, skb)) {
		tcpfsm_abort_on(sk, skb);
		kfree_skb(skb);
		return;
	}

	/* Seventh and eighth: text and FIN. */
	if (cb->end_seq != cb->seq) {
		switch (state) {
		case TCPFSM_ESTABLISHED:
		case TCPFSM_FIN_WAIT_1:
		case TCPFSM_FIN_WAIT_2:
			fin = tcpfsm_data_queue(sk, skb, &delay);
			ack_now = true;
			skb = NULL;
			break;
		default:
			/* CLOSE_WAIT, CLOSING, LAST_ACK: the peer's FIN is in;
			 * what comes again is ACKed, anything new ignored.
			 */
			if (tcpfsm_before(cb->seq, tp->rcv_nxt))
				ack_now = true;
			break;
		}
	}
	kfree_skb(skb);

	if (fin) {
		ev = state == TCPFSM_FIN_WAIT_1 && tcpfsm_fin_acked(tp) ?
		     TCPFSM_EV_RCV_FIN_ACK : TCPFSM_EV_RCV_FIN;
		if (ev == TCPFSM_EV_RCV_FIN_ACK)
			fin_acked = false;
		actions = tcpfsm_fsm_event(sk, ev);
		if (actions >= 0) {
			ack_now = false;
			tcpfsm_apply_actions(sk, actions);
		}
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_state_change(sk);
	}
	if (fin_acked && sk->sk_state != TCPFSM_CLOSED) {
		actions = tcpfsm_fsm_event(sk, TCPFSM_EV_RCV_ACK_OF_FIN);
		if (actions >= 0) {
			tcpfsm_apply_actions(sk, actions);
			if (!sock_flag(sk, SOCK_DEAD))
				sk->sk_state_change(sk);
		}
	}
	if (ack_now && sk->sk_state != TCPFSM_CLOSED) {
		if (delay && tcpfsm_ack_may_wait(sk))
			tcpfsm_delack_schedule(sk);
		else
			tcpfsm_send_ack(sk);
	}
	if (sk->sk_state != TCPFSM_CLOSED)
		tcpfsm_push(sk);
}

/**
 * tcpfsm_do_rcv() - process a segment for a full socket
 * @sk: the socket, locked (bh_lock_sock() or owned by us via the backlog)
 * @skb: the segment, header at skb->data, TCPFSM_SKB_CB() filled
 *
 * Also struct proto's backlog_rcv.
 *
 * Return: 0; the skb is always consumed.
 */
int tcpfsm_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct net *net = sock_net(sk);

	switch (sk->sk_state) {
	case TCPFSM_CLOSED:
	case TCPFSM_LISTEN:
	case TCPFSM_TIME_WAIT:
		/* Closed under our feet: as if there were no socket. */
		tcpfsm_send_reset_for(net, skb);
		tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_NO_SOCKET);
		break;
	case TCPFSM_SYN_SENT:
		tcpfsm_rcv_syn_sent(sk, skb);
		break;
	default:
		tcpfsm_rcv_state_process(sk, skb);
		break;
	}
	return 0;
}

static void tcpfsm_rcv_sock(struct sock *sk, struct sk_buff *skb)
{
	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		tcpfsm_do_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf))) {
		tcpfsm_drop(sock_net(sk), skb, TCPFSM_MIB_DROP_SOCK_BACKLOG);
	}
	bh_unlock_sock(sk);
}

/**
 * tcpfsm_rcv() - IP protocol handler for our protocol number
 * @skb: the segment, skb->data at its header
 *
 * Return: 0; the skb is always consumed.
 */
int tcpfsm_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct tcpfsm_skb_cb *cb;
	const struct tcphdr *th;
	const struct iphdr *iph;
	enum tcpfsm_mib reason;
	struct tcpfsm_tw *tw;
	struct sock *sk;

	reason = tcpfsm_validate(skb);
	if (reason != TCPFSM_MIB_MAX) {
		if (reason == TCPFSM_MIB_DROP_CSUM) {
			TCPFSM_INC_STATS(net, TCPFSM_MIB_INCSUMERRORS);
			TCPFSM_INC_STATS(net, TCPFSM_MIB_INERRS);
		} else if (reason == TCPFSM_MIB_DROP_HDR) {
			TCPFSM_INC_STATS(net, TCPFSM_MIB_INERRS);
		}
		tcpfsm_drop(net, skb, reason);
		return 0;
	}
	TCPFSM_INC_STATS(net, TCPFSM_MIB_INSEGS);

	skb_reset_transport_header(skb);
	th = tcp_hdr(skb);
	iph = ip_hdr(skb);
	cb = TCPFSM_SKB_CB(skb);
	memset(cb, 0, sizeof(*cb));
	cb->seq = ntohl(th->seq);
	cb->flags = ((const u8 *)th)[13];
	cb->end_seq = cb->seq + skb->len - th->doff * 4 +
		      !!(cb->flags & TCPFSM_SYN) + !!(cb->flags & TCPFSM_FIN);
	cb->ack_seq = ntohl(th->ack_seq);

	rcu_read_lock();
	sk = tcpfsm_lookup_est(net, iph->daddr, th->dest, iph->saddr,
			       th->source);
	if (sk) {
		rcu_read_unlock();
		tcpfsm_rcv_sock(sk, skb);
		sock_put(sk);
		return 0;
	}
	tw = tcpfsm_tw_lookup(net, iph->daddr, th->dest, iph->saddr,
			      th->source);
	if (tw) {
		if (tcpfsm_tw_rcv(tcpfsm_pernet(net)->reaper, tw, skb) <= 0) {
			rcu_read_unlock();
			return 0;
		}
		/* A new SYN ended the entry: on to the listener. */
		cb->tw_syn = 1;
	}
	sk = tcpfsm_lookup_listener(net, iph->daddr, th->dest, iph->saddr,
				    th->source, inet_iif(skb));
	rcu_read_unlock();
	if (sk) {
		tcpfsm_listen_rcv(sk, skb);
		sock_put(sk);
		return 0;
	}
	tcpfsm_send_reset_for(net, skb);
	tcpfsm_drop(net, skb, TCPFSM_MIB_DROP_NO_SOCKET);
	return 0;
}

/**
 * tcpfsm_err() - ICMP error handler for our protocol number
 * @skb: the ICMP message, skb->data at the quoted IP header
 * @info: ICMP-specific information (e.g. the MTU)
 *
 * Destination unreachable, parameter problem and time exceeded end a
 * connection that is still opening, with the errno Linux TCP gives them;
 * later they are only a soft error (RFC 1122 §4.2.3.9, RFC 5927).
 * Fragmentation-needed lowers the MSS to the path MTU.
 *
 * Return: 0.
 */
int tcpfsm_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct tcphdr *th;
	struct net *net = dev_net(skb->dev);
	int type = icmp_hdr(skb)->type, code = icmp_hdr(skb)->code;
	struct tcpfsm_sock *tp;
	struct sock *sk;
	int err;
	u32 seq;

	th = (const struct tcphdr *)(skb->data + iph->ihl * 4);
	rcu_read_lock();
	sk = tcpfsm_lookup_est(net, iph->saddr, th->source, iph->daddr,
			       th->dest);
	rcu_read_unlock();
	if (!sk)
		return 0;
	tp = tcpfsm_sk(sk);
	seq = ntohl(th->seq);
	bh_lock_sock(sk);
	if (sock_owned_by_user(sk) || tcpfsm_before(seq, tp->snd_una) ||
	    tcpfsm_after(seq, tp->snd_nxt))
		goto out;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		if (info >= 68 + sizeof(struct tcphdr) && info < 65536)
			tp->mss = clamp_t(u32, info - sizeof(struct iphdr) -
					  sizeof(struct tcphdr),
					  TCPFSM_MIN_MSS, tp->mss);
		goto out;
	}
	/* The errors and errnos of Linux's tcp_v4_err(). */
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH)
			goto out;
		err = icmp_err_convert[code].errno;
		break;
	case ICMP_PARAMETERPROB:
		err = EPROTO;
		break;
	case ICMP_TIME_EXCEEDED:
		err = EHOSTUNREACH;
		break;
	default:
		goto out;
	}
	/*
	 * Linux TCP ends an opening connection on any of them, not only on
	 * those RFC 1122 calls hard (icmp_err_convert[].fatal); we match it.
	 */
	if (sk->sk_state == TCPFSM_SYN_SENT ||
	    (sk->sk_state == TCPFSM_SYN_RECEIVED && !tp->parent)) {
		if (tcpfsm_fsm_event(sk, TCPFSM_EV_ICMP_UNREACH) >= 0) {
			WRITE_ONCE(sk->sk_err, err);
			tcpfsm_purge_write_queue(sk);
			tcpfsm_done(sk);
			sk_error_report(sk);
		}
	} else {
		WRITE_ONCE(sk->sk_err_soft, err);
	}
out:
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}
