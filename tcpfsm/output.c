// SPDX-License-Identifier: GPL-2.0
/*
 * Send path: segments are RFC 9293 §3.1 headers (SYN and SYN-ACK with the
 * MSS option) in front of the send queue's data, checksummed over the IPv4
 * pseudo-header with our protocol number, and sent with ip_queue_xmit()
 * on the socket's route.  Segments without a socket (RSTs for unknown
 * connections, TIME_WAIT's ACKs) go out through a per-netns raw control
 * socket.
 *
 * The send queue is sk->sk_write_queue: the SYN (or SYN-ACK) skb, then
 * linear skbs of user data, each at most one segment, or several whole
 * segments where the route's device takes GSO skbs (tcpfsm_size_goal());
 * the FIN rides on the
 * last of them, or on an skb of its own.  TCPFSM_SKB_CB() has each one's
 * sequence range.  Everything before send_head was sent at least once and
 * stays until acknowledged; a transmission sends a clone, or a copy while
 * an earlier clone is still out (as TCP does).
 */
#include <linux/siphash.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>

#include "tcpfsm.h"

/* Largest skb of the send queue: one 32 KiB allocation with its header. */
#define TCPFSM_MAX_SEG	(SKB_WITH_OVERHEAD(32768) - TCPFSM_HDR_ROOM)

static siphash_key_t tcpfsm_isn_key __read_mostly;

int tcpfsm_output_init(void)
{
	get_random_bytes(&tcpfsm_isn_key, sizeof(tcpfsm_isn_key));
	return 0;
}

int tcpfsm_output_net_init(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);

	return inet_ctl_sock_create(&tn->ctl_sk, PF_INET, SOCK_RAW,
				    tcpfsm_proto, net);
}

void tcpfsm_output_net_exit(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);

	inet_ctl_sock_destroy(tn->ctl_sk);
	tn->ctl_sk = NULL;
}

/**
 * tcpfsm_new_isn() - initial sequence number of a new connection
 * @net: the netns
 * @saddr: our address
 * @daddr: the peer's
 * @sport: our port
 * @dport: the peer's
 *
 * RFC 9293 §3.4.1 / RFC 6528, as Linux's secure_tcp_seq(): a keyed hash of
 * the 4-tuple plus a clock ticking every 64 ns (ns >> 6), so a new
 * incarnation of a 4-tuple starts above the old one's sequence numbers.
 *
 * Return: the ISN (the isn_test sysctl's value when that is set).
 */
u32 tcpfsm_new_isn(struct net *net, __be32 saddr, __be32 daddr,
		   __be16 sport, __be16 dport)
{
	u32 test = READ_ONCE(tcpfsm_pernet(net)->isn_test);
	u32 hash;

	if (test)
		return test;
	hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
			    (__force u32)sport << 16 | (__force u32)dport,
			    &tcpfsm_isn_key);
	return hash + (u32)(ktime_get_real_ns() >> 6);
}

/* The MSS our path allows: route MTU less IP and our header. */
u32 tcpfsm_path_mss(const struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get((struct sock *)sk);
	u32 mtu = dst ? dst_mtu(dst) : 576;
	u32 mss = mtu - sizeof(struct iphdr) - sizeof(struct tcphdr);

	return clamp_t(u32, mss, TCPFSM_MIN_MSS, 65535);
}

/*
 * Whether the route's device takes super-segments whole: software devices
 * (lo, veth, bridges) that pass along what they are given, as they pass
 * TCP's GSO skbs; SKB_GSO_SCTP is the software-only GSO type that no
 * hardware segments, so no NIC takes our segments for its own.  Elsewhere
 * the stack cuts them with tcpfsm_gso_segment().
 */
static bool tcpfsm_gso_ok(struct sock *sk)
{
	const struct dst_entry *dst = __sk_dst_get(sk);

	return dst && !dst->header_len &&
	       (dst->dev->features & NETIF_F_GSO_SCTP);
}

/*
 * How much data one send-queue skb carries: a segment, or as many whole
 * segments as fit TCPFSM_MAX_SEG where the device takes them as one
 * (per-packet costs are what limit a stream over veth, MTU 1500).
 */
u32 tcpfsm_size_goal(struct sock *sk)
{
	u32 mss = tcpfsm_sk(sk)->mss;

	if (mss <= TCPFSM_MAX_SEG / 2 && tcpfsm_gso_ok(sk))
		return rounddown(TCPFSM_MAX_SEG, mss);
	return min_t(u32, mss, TCPFSM_MAX_SEG);
}

/*
 * tcpfsm_gso_segment() - cut a super-segment into segments of gso_size
 * @skb: the super-segment, skb->data at our header
 * @features: what the device does
 *
 * The offload's gso_segment for our protocol, for devices that do not
 * take SKB_GSO_SCTP (and for netem).  Each segment gets its sequence
 * number, the FIN and PSH only on the last, and its checksum computed
 * here (the device may not know how to checksum our protocol).
 *
 * Return: the list of segments, or an ERR_PTR().
 */
struct sk_buff *tcpfsm_gso_segment(struct sk_buff *skb,
				   netdev_features_t features)
{
	unsigned int thlen, mss, len, off;
	struct sk_buff *segs, *seg;
	struct tcphdr *th;
	u32 seq;

	if (!(skb_shinfo(skb)->gso_type & SKB_GSO_SCTP) ||
	    !pskb_may_pull(skb, sizeof(*th)))
		return ERR_PTR(-EINVAL);
	thlen = tcp_hdr(skb)->doff * 4;
	if (thlen < sizeof(*th) || !pskb_may_pull(skb, thlen))
		return ERR_PTR(-EINVAL);
	mss = skb_shinfo(skb)->gso_size;
	if (!mss || skb->len - thlen <= mss)
		return ERR_PTR(-EINVAL);
	seq = ntohl(tcp_hdr(skb)->seq);
	__skb_pull(skb, thlen);
	segs = skb_segment(skb, features);
	if (IS_ERR_OR_NULL(segs))
		return segs;
	for (seg = segs; seg; seg = seg->next) {
		th = tcp_hdr(seg);
		th->seq = htonl(seq);
		seq += mss;
		if (seg->next)
			((u8 *)th)[13] &= ~(TCPFSM_FIN | TCPFSM_PSH);
		off = skb_transport_offset(seg);
		len = seg->len - off;
		th->check = 0;
		th->check = csum_tcpudp_magic(ip_hdr(seg)->saddr,
					      ip_hdr(seg)->daddr, len,
					      tcpfsm_proto,
					      skb_checksum(seg, off, len, 0));
		seg->ip_summed = CHECKSUM_NONE;
	}
	return segs;
}

/* An skb of more than a segment goes as one, for the device to cut. */
static void tcpfsm_set_gso(struct sk_buff *skb, u32 mss)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (skb->len > mss) {
		shinfo->gso_size = mss;
		shinfo->gso_type = SKB_GSO_SCTP;
		shinfo->gso_segs = DIV_ROUND_UP(skb->len, mss);
	} else {
		shinfo->gso_size = 0;
		shinfo->gso_type = 0;
		shinfo->gso_segs = 0;
	}
}

/*
 * The window the free receive buffer allows: half of it (the other half
 * covers skb overhead, as Linux's tcp_adv_win_scale did), at most what
 * the header can carry at our window scale.
 */
u32 tcpfsm_rcv_space_win(const struct sock *sk)
{
	int space = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);

	return space > 0 ? min_t(u32, space / 2,
				 tcpfsm_max_rcv_win(tcpfsm_sk(sk))) : 0;
}

/**
 * tcpfsm_offer_wscale() - decide the window scale our SYN will carry
 * @sk: a socket about to send its first SYN or SYN-ACK
 *
 * The shift lets the largest buffer the socket could grow to be offered
 * whole: as Linux's tcp_select_initial_window(), the larger of rmem[2],
 * rmem_max and the current buffer, over 2^15 (7 for a 6 MiB rmem[2],
 * as Linux sends).  Nothing is offered when the netns's
 * window_scaling is off.  The SYN's reply settles it (see input.c).
 */
void tcpfsm_offer_wscale(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	u32 space = max_t(u32, READ_ONCE(sk->sk_prot->sysctl_rmem[2]),
			  READ_ONCE(sysctl_rmem_max));

	space = max_t(u32, space, READ_ONCE(sk->sk_rcvbuf));
	tp->wscale_ok = !!READ_ONCE(tcpfsm_pernet(sock_net(sk))->window_scaling);
	tp->rcv_wscale = tp->wscale_ok ?
		clamp_t(int, ilog2(space) - 15, 0, TCPFSM_MAX_WSCALE) : 0;
}

/**
 * tcpfsm_select_window() - the receive window to advertise now
 * @sk: the socket
 * @syn: for a SYN or SYN-ACK, whose window is never scaled
 *
 * What the free receive buffer allows (tcpfsm_rcv_space_win()), and
 * never less than what is left of the window already advertised: the
 * right edge does not move left (RFC 9293 §3.8.6).  With a window scale
 * the window is a multiple of its unit, rounded down from the free
 * buffer but up from what is left (RFC 7323 §2.4).  Records it as the
 * window last advertised.
 *
 * Return: the window for the header, scaled.
 */
u16 tcpfsm_select_window(struct sock *sk, bool syn)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	u8 shift = syn ? 0 : tp->rcv_wscale;
	u32 win = round_down(tcpfsm_rcv_space_win(sk), 1U << shift);
	s32 left = (s32)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);
	u32 kept = left > 0 ? ALIGN((u32)left, 1U << shift) : 0;

	if (win < kept)
		win = kept;
	/* Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): no tiny openings. */
	if (win < tp->mss && win < (u32)(sk->sk_rcvbuf / 4) && win > kept)
		win = kept;
	if (syn)
		win = min(win, TCPFSM_MAX_WIN);
	tp->rcv_wnd = win;
	tp->rcv_wup = tp->rcv_nxt;
	return win >> shift;
}

/* Push the header in front of @skb's payload and set up the checksum. */
static void tcpfsm_build_header(struct sock *sk, struct sk_buff *skb, u32 seq,
				u8 flags, bool fill_ack)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	int hlen = sizeof(struct tcphdr);
	struct tcphdr *th;

	if (flags & TCPFSM_SYN)
		hlen += tp->wscale_ok ? 8 : 4;
	skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	th = tcp_hdr(skb);
	memset(th, 0, hlen);
	th->source = inet->inet_sport;
	th->dest = inet->inet_dport;
	th->seq = htonl(seq);
	if (flags & TCPFSM_ACK && fill_ack) {
		th->ack_seq = htonl(tp->rcv_nxt);
		/* This carries any delayed ACK (its timer finds nothing). */
		tp->ack_pending = 0;
		if (tp->quick)
			tp->quick--;
	}
	th->doff = hlen / 4;
	((u8 *)th)[13] = flags;
	th->window = htons(tcpfsm_select_window(sk, flags & TCPFSM_SYN));
	if (flags & TCPFSM_SYN) {
		__be32 *opt = (__be32 *)(th + 1);

		*opt++ = htonl(TCPFSM_OPT_MSS << 24 | TCPFSM_OPT_MSS_LEN << 16 |
			       tp->adv_mss);
		/* As Linux lays it out: NOP, then the 3-byte option. */
		if (tp->wscale_ok)
			*opt = htonl(TCPFSM_OPT_NOP << 24 |
				     TCPFSM_OPT_WSCALE << 16 |
				     TCPFSM_OPT_WSCALE_LEN << 8 |
				     tp->rcv_wscale);
	}

	/* The device (or skb_checksum_help()) folds in the rest. */
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	th->check = ~csum_tcpudp_magic(inet->inet_saddr, inet->inet_daddr,
				       skb->len, tcpfsm_proto, 0);
}

static int tcpfsm_xmit(struct sock *sk, struct sk_buff *skb, u8 flags)
{
	struct net *net = sock_net(sk);
	int err;

	/* IP reads its control block; ours must not look like options. */
	memset(skb->cb, 0, sizeof(struct inet_skb_parm));
	skb_set_owner_w(skb, sk);
	err = ip_queue_xmit(sk, skb, &inet_sk(sk)->cork.fl);
	err = net_xmit_eval(err);
	if (!err) {
		TCPFSM_INC_STATS(net, TCPFSM_MIB_OUTSEGS);
		if (flags & TCPFSM_RST)
			TCPFSM_INC_STATS(net, TCPFSM_MIB_OUTRSTS);
	}
	return err;
}

/* Send a segment of the send queue: a clone, or a copy if one is out. */
static int tcpfsm_transmit_skb(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
	struct sk_buff *c;
	u8 flags = cb->flags;

	/*
	 * The GSO fields live in the shared info a clone shares.  A copy
	 * gets only the headroom a header needs (after partial ACKs the
	 * data may start far into the buffer), and is also what goes when
	 * a big buffer is mostly unused (a super-segment cut to the window)
	 * and a copy would take less than half of it: the receiver charges
	 * truesize, and the window it offers holds only while that is about
	 * the payload.
	 */
	if (skb_cloned(skb) || (skb->truesize > SKB_TRUESIZE(4096) &&
	    skb->truesize > 2 * SKB_TRUESIZE(skb->len + TCPFSM_HDR_ROOM))) {
		c = __pskb_copy(skb, TCPFSM_HDR_ROOM, gfp_any());
		if (c)
			tcpfsm_set_gso(c, tcpfsm_sk(sk)->mss);
	} else {
		tcpfsm_set_gso(skb, tcpfsm_sk(sk)->mss);
		c = skb_clone(skb, gfp_any());
	}
	if (!c)
		return -ENOBUFS;
	tcpfsm_build_header(sk, c, cb->seq, flags, true);
	return tcpfsm_xmit(sk, c, flags);
}

/* A segment with no data: ACK, RST or probe, from the connection. */
static void tcpfsm_send_ctl(struct sock *sk, u32 seq, u8 flags)
{
	struct sk_buff *skb;

	skb = alloc_skb(TCPFSM_HDR_ROOM, gfp_any());
	if (!skb) {
		TCPFSM_INC_STATS(sock_net(sk), TCPFSM_MIB_DROP_NOMEM);
		return;
	}
	skb_reserve(skb, TCPFSM_HDR_ROOM);
	tcpfsm_build_header(sk, skb, seq, flags, true);
	tcpfsm_xmit(sk, skb, flags);
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
void tcpfsm_send_ack(struct sock *sk)
{
	tcpfsm_send_ctl(sk, tcpfsm_sk(sk)->snd_nxt, TCPFSM_ACK);
}

/*
 * RFC 5961 §3.2/§4.2/§5.2: an ACK telling the sender where we are, at most
 * 1000 a second per netns (RFC 5961 §7; Linux TCP's tcp_challenge_ack_limit
 * before 6.0, which now limits per socket, 2 a second).
 */
void tcpfsm_send_challenge_ack(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));
	unsigned long now = jiffies / HZ;

	if (READ_ONCE(tn->chal_second) != now) {
		WRITE_ONCE(tn->chal_second, now);
		WRITE_ONCE(tn->chal_count, 0);
	}
	if (READ_ONCE(tn->chal_count) >= 1000)
		return;
	WRITE_ONCE(tn->chal_count, READ_ONCE(tn->chal_count) + 1);
	TCPFSM_INC_STATS(sock_net(sk), TCPFSM_MIB_CHALLENGE_ACKS);
	tcpfsm_send_ack(sk);
}

/* ABORT: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, as tcp_send_active_reset() */
void tcpfsm_send_active_reset(struct sock *sk)
{
	tcpfsm_send_ctl(sk, tcpfsm_sk(sk)->snd_nxt, TCPFSM_RST | TCPFSM_ACK);
}

/*
 * Zero-window probe as Linux sends it (tcp_xmit_probe_skb()): a bare ACK
 * with SEQ = SND.UNA - 1, which the peer must answer with an ACK carrying
 * its window, and which sends nothing beyond that window.
 */
void tcpfsm_send_probe(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	u32 nxt = tp->snd_nxt;

	/* A window open less than silly window avoidance waits for gets
	 * what fits now, as Linux's tcp_write_wakeup() sends it.
	 */
	if (tp->snd_wnd) {
		__tcpfsm_push(sk, true);
		if (tp->snd_nxt != nxt)
			return;
	}
	tcpfsm_send_ctl(sk, tp->snd_una - 1, TCPFSM_ACK);
}

/**
 * tcpfsm_send_reply() - send a segment answering @skb, without a socket
 * @net: the netns
 * @skb: the segment answered (addresses and ports are swapped)
 * @seq: sequence number
 * @ack: acknowledgment number (used when @flags has TCPFSM_ACK)
 * @flags: TCPFSM_RST, TCPFSM_ACK
 * @window: the window field
 *
 * For RSTs to segments of no connection and for TIME_WAIT's ACKs.  Sent
 * through the netns's control socket after a route lookup.
 */
void tcpfsm_send_reply(struct net *net, const struct sk_buff *skb, u32 seq,
		       u32 ack, u8 flags, u16 window)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct sock *ctl = tn->ctl_sk;
	struct sk_buff *nskb;
	struct tcphdr *rth;
	struct flowi4 fl4;
	struct rtable *rt;
	int err;

	if (!ctl)
		return;
	nskb = alloc_skb(TCPFSM_HDR_ROOM, GFP_ATOMIC);
	if (!nskb) {
		TCPFSM_INC_STATS(net, TCPFSM_MIB_DROP_NOMEM);
		return;
	}
	skb_reserve(nskb, TCPFSM_HDR_ROOM);
	rth = skb_push(nskb, sizeof(*rth));
	skb_reset_transport_header(nskb);
	memset(rth, 0, sizeof(*rth));
	rth->source = th->dest;
	rth->dest = th->source;
	rth->seq = htonl(seq);
	rth->ack_seq = flags & TCPFSM_ACK ? htonl(ack) : 0;
	rth->doff = sizeof(*rth) / 4;
	((u8 *)rth)[13] = flags;
	rth->window = htons(window);
	rth->check = csum_tcpudp_magic(iph->daddr, iph->saddr, sizeof(*rth),
				       tcpfsm_proto,
				       csum_partial(rth, sizeof(*rth), 0));
	nskb->ip_summed = CHECKSUM_NONE;

	flowi4_init_output(&fl4, 0, 0, RT_TOS(iph->tos), RT_SCOPE_UNIVERSE,
			   tcpfsm_proto, 0, iph->saddr, iph->daddr, th->source,
			   th->dest, sock_net_uid(net, NULL));
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt)) {
		kfree_skb(nskb);
		return;
	}
	skb_dst_set(nskb, &rt->dst);
	/* net_xmit_eval() is a macro that evaluates its argument twice. */
	err = ip_build_and_send_pkt(nskb, ctl, iph->daddr, iph->saddr, NULL,
				    RT_TOS(iph->tos));
	if (net_xmit_eval(err))
		return;
	TCPFSM_INC_STATS(net, TCPFSM_MIB_OUTSEGS);
	if (flags & TCPFSM_RST)
		TCPFSM_INC_STATS(net, TCPFSM_MIB_OUTRSTS);
}

/**
 * tcpfsm_send_reset_for() - the RST of RFC 9293 §3.10.7.1 for @skb
 * @net: the netns
 * @skb: a segment that belongs to no connection (never an RST itself)
 *
 * With ACK: <SEQ=SEG.ACK><CTL=RST>; without: <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>.
 */
void tcpfsm_send_reset_for(struct net *net, const struct sk_buff *skb)
{
	const struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);

	if (cb->flags & TCPFSM_RST)
		return;
	if (cb->flags & TCPFSM_ACK)
		tcpfsm_send_reply(net, skb, cb->ack_seq, 0, TCPFSM_RST, 0);
	else
		tcpfsm_send_reply(net, skb, 0, cb->end_seq,
				  TCPFSM_RST | TCPFSM_ACK, 0);
}

/**
 * tcpfsm_alloc_send_skb() - a send-queue skb, charged to the socket
 * @sk: the socket
 * @size: payload room
 * @gfp: allocation flags
 *
 * Charged like a stream socket's: sk_wmem_queued and the protocol's
 * memory accounting (sk_wmem_schedule()).
 *
 * Return: the skb with room for @size bytes after the headers, or NULL.
 */
struct sk_buff *tcpfsm_alloc_send_skb(struct sock *sk, int size, gfp_t gfp)
{
	struct sk_buff *skb;

	skb = alloc_skb(size + TCPFSM_HDR_ROOM, gfp);
	if (!skb)
		return NULL;
	if (!sk_wmem_schedule(sk, skb->truesize)) {
		kfree_skb(skb);
		return NULL;
	}
	skb_reserve(skb, TCPFSM_HDR_ROOM);
	memset(TCPFSM_SKB_CB(skb), 0, sizeof(struct tcpfsm_skb_cb));
	TCPFSM_SKB_CB(skb)->charged = 1;
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
	return skb;
}

void tcpfsm_free_send_skb(struct sock *sk, struct sk_buff *skb)
{
	if (TCPFSM_SKB_CB(skb)->charged) {
		sk_wmem_queued_add(sk, -skb->truesize);
		sk_mem_uncharge(sk, skb->truesize);
	}
	__kfree_skb(skb);
}

void tcpfsm_purge_write_queue(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		tcpfsm_free_send_skb(sk, skb);
	tp->send_head = NULL;
	sk_mem_reclaim(sk);
}

static void tcpfsm_queue_tail(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	__skb_queue_tail(&sk->sk_write_queue, skb);
	if (!tp->send_head)
		tp->send_head = skb;
}

/**
 * tcpfsm_queue_syn() - queue our SYN (or SYN-ACK) at ISS
 * @sk: the socket, iss set
 * @flags: TCPFSM_SYN, or TCPFSM_SYN | TCPFSM_ACK
 *
 * Return: 0 or -ENOBUFS.
 */
int tcpfsm_queue_syn(struct sock *sk, u8 flags)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb;

	skb = alloc_skb(TCPFSM_HDR_ROOM, gfp_any());
	if (!skb)
		return -ENOBUFS;
	skb_reserve(skb, TCPFSM_HDR_ROOM);
	memset(TCPFSM_SKB_CB(skb), 0, sizeof(struct tcpfsm_skb_cb));
	TCPFSM_SKB_CB(skb)->seq = tp->iss;
	TCPFSM_SKB_CB(skb)->end_seq = tp->iss + 1;
	TCPFSM_SKB_CB(skb)->flags = flags;
	tp->write_seq = tp->iss + 1;
	tcpfsm_queue_tail(sk, skb);
	return 0;
}

/*
 * Queue our FIN after all data: on the last skb if it was never sent, else
 * on an skb of its own.  A FIN is never lost for want of memory: its own
 * skb is then simply not charged.
 */
void tcpfsm_queue_fin(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (tp->fin_queued)
		return;
	if (skb && tp->send_head &&
	    !(TCPFSM_SKB_CB(skb)->flags & (TCPFSM_SYN | TCPFSM_FIN))) {
		TCPFSM_SKB_CB(skb)->flags |= TCPFSM_FIN;
		TCPFSM_SKB_CB(skb)->end_seq++;
	} else {
		skb = tcpfsm_alloc_send_skb(sk, 0, GFP_KERNEL);
		if (!skb) {
			/* close() and shutdown() run in process context. */
			skb = alloc_skb(TCPFSM_HDR_ROOM,
					GFP_KERNEL | __GFP_NOFAIL);
			skb_reserve(skb, TCPFSM_HDR_ROOM);
			memset(TCPFSM_SKB_CB(skb), 0,
			       sizeof(struct tcpfsm_skb_cb));
		}
		TCPFSM_SKB_CB(skb)->seq = tp->write_seq;
		TCPFSM_SKB_CB(skb)->end_seq = tp->write_seq + 1;
		TCPFSM_SKB_CB(skb)->flags = TCPFSM_ACK | TCPFSM_FIN;
		tcpfsm_queue_tail(sk, skb);
	}
	tp->write_seq++;
	tp->fin_queued = 1;
}

/*
 * Split @skb after its first @len bytes of data, the FIN (if any) staying
 * with the rest.  The smaller part is copied into an skb of its own sized
 * to it and the larger stays where it is: copying the rest out of a
 * super-segment cut to the window would leave a few segments' worth in a
 * 32 KiB buffer, and truesize is what the receiver, which over veth gets
 * our skb itself, charges its buffer and socket backlog (both sides then
 * ran out of buffer within the window, and dropped).  The rest was sent
 * as often and as early, for a resend.
 *
 * Return: the skb holding the first @len bytes, or NULL without memory.
 */
static struct sk_buff *tcpfsm_fragment(struct sock *sk, struct sk_buff *skb,
				       u32 len)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb), *ncb;
	u32 rest = skb->len - len;
	bool head = len < rest;
	struct sk_buff *nskb;

	nskb = tcpfsm_alloc_send_skb(sk, head ? len : rest, GFP_ATOMIC);
	if (!nskb)
		return NULL;
	ncb = TCPFSM_SKB_CB(nskb);
	ncb->retrans = cb->retrans;
	ncb->sent_ns = cb->sent_ns;
	ncb->flags = cb->flags;
	nskb->ip_summed = CHECKSUM_PARTIAL;
	if (head) {
		skb_put_data(nskb, skb->data, len);
		ncb->seq = cb->seq;
		ncb->end_seq = cb->seq + len;
		ncb->flags &= ~(TCPFSM_FIN | TCPFSM_PSH);
		__skb_pull(skb, len);
		cb->seq += len;
		__skb_queue_before(&sk->sk_write_queue, skb, nskb);
		if (tp->send_head == skb)
			tp->send_head = nskb;
		return nskb;
	}
	skb_put_data(nskb, skb->data + len, rest);
	ncb->seq = cb->seq + len;
	ncb->end_seq = cb->end_seq;
	cb->end_seq = cb->seq + len;
	cb->flags &= ~(TCPFSM_FIN | TCPFSM_PSH);
	skb_trim(skb, len);
	__skb_queue_after(&sk->sk_write_queue, skb, nskb);
	return skb;
}

/* Largest cut of a super-segment copied into an skb of its own: 16 KiB. */
#define TCPFSM_CUT_COPY	(SKB_WITH_OVERHEAD(16384) - TCPFSM_HDR_ROOM)

/*
 * How much of @skb to send when only @room (whole segments) fits.  A cut
 * of about half a 32 KiB buffer is the one size that neither stays in it
 * (it would be the smaller part of its truesize) nor is copied well (its
 * copy takes a 32 KiB buffer too); the receiver, charged truesize, needs
 * at most twice the payload.  Cut to what fits 16 KiB then.
 */
static u32 tcpfsm_cut_len(const struct sk_buff *skb, u32 room, u32 mss)
{
	if (room > TCPFSM_CUT_COPY && 2 * room < skb->truesize &&
	    mss <= TCPFSM_CUT_COPY)
		return rounddown(TCPFSM_CUT_COPY, mss);
	return room;
}

/* Bytes in flight (RFC 5681 FlightSize); after a timeout only the resent. */
u32 tcpfsm_in_flight(const struct tcpfsm_sock *tp)
{
	if (tp->in_loss)
		return (tp->rtx_seq - tp->snd_una) + (tp->snd_nxt - tp->lost_end);
	return tp->snd_nxt - tp->snd_una;
}

/* Room the congestion window leaves; one segment always goes if idle. */
static bool tcpfsm_cwnd_allows(const struct tcpfsm_sock *tp, u32 len)
{
	u32 flight = tcpfsm_in_flight(tp);

	return !flight || flight + len <= tp->cwnd;
}

/**
 * tcpfsm_retransmit_skb() - send a send-queue skb again
 * @sk: the socket
 * @skb: an skb before send_head
 *
 * Return: 0 or the transmit error.
 */
int tcpfsm_retransmit_skb(struct sock *sk, struct sk_buff *skb)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	int err;

	/* Fast retransmit resends one segment of a super-segment (RFC 5681). */
	if (!tp->in_loss && skb->len > tp->mss &&
	    !(TCPFSM_SKB_CB(skb)->flags & TCPFSM_SYN)) {
		skb = tcpfsm_fragment(sk, skb, tp->mss);
		if (!skb)
			return -ENOMEM;
	}
	err = tcpfsm_transmit_skb(sk, skb);
	if (err)
		return err;
	TCPFSM_SKB_CB(skb)->retrans++;
	tp->total_retrans++;
	TCPFSM_INC_STATS(sock_net(sk), TCPFSM_MIB_RETRANSSEGS);
	return 0;
}

/*
 * Cut @skb, of more than a segment, to what the congestion window leaves,
 * in whole segments (one when nothing is in flight); with @nagle also
 * hold back a short tail, which Nagle would keep were it an skb of its
 * own, once the rest is in flight (TCP's tcp_mss_split_point()).
 *
 * Return: the skb to send now (@skb or its first part; the congestion
 * window check may still stop it), or NULL without memory.
 */
static struct sk_buff *tcpfsm_cwnd_split(struct sock *sk, struct sk_buff *skb,
					 bool nagle)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	u32 flight = tcpfsm_in_flight(tp);
	u32 room = tp->cwnd > flight ?
		   rounddown(tp->cwnd - flight, tp->mss) : 0;

	if (!room && !flight)
		room = tp->mss;
	if (!room)
		return skb;
	if (nagle && skb->len % tp->mss && flight)
		room = min_t(u32, room, rounddown(skb->len, tp->mss));
	if (room >= skb->len)
		return skb;
	return tcpfsm_fragment(sk, skb, tcpfsm_cut_len(skb, room, tp->mss));
}

/* After a timeout, resend what was outstanding as the window allows. */
static void tcpfsm_push_retransmits(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb;

	if (tcpfsm_before(tp->rtx_seq, tp->snd_una))
		tp->rtx_seq = tp->snd_una;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);

		if (skb == tp->send_head ||
		    !tcpfsm_before(tp->rtx_seq, tp->lost_end))
			break;
		if (!tcpfsm_after(cb->end_seq, tp->rtx_seq))
			continue;
		if (skb->len > tp->mss) {
			skb = tcpfsm_cwnd_split(sk, skb, false);
			if (!skb)
				break;
			cb = TCPFSM_SKB_CB(skb);
		}
		if (!tcpfsm_cwnd_allows(tp, cb->end_seq - cb->seq))
			break;
		if (tcpfsm_retransmit_skb(sk, skb))
			break;
		tp->rtx_seq = cb->end_seq;
	}
}

/**
 * __tcpfsm_push() - send what the windows allow
 * @sk: the socket, locked
 * @sws_override: the persist timer's call: a window open less than silly
 *	window avoidance waits for takes what fits
 *
 * New data goes while it fits in the peer's window (SND.UNA + SND.WND) and
 * the congestion window.  A segment that only partly fits is split if the
 * part is a full MSS, or half the largest window offered with nothing in
 * flight (sender-side silly window avoidance, RFC 9293 §3.8.6.2.1); a
 * closed or silly window leaves the data to the persist timer; a short
 * last segment waits for the ACK of what is in flight (Nagle).  The SYN
 * goes regardless of windows.
 */
void __tcpfsm_push(struct sock *sk, bool sws_override)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	struct sk_buff *skb;

	if (tp->in_loss)
		tcpfsm_push_retransmits(sk);
	while ((skb = tp->send_head)) {
		struct tcpfsm_skb_cb *cb = TCPFSM_SKB_CB(skb);
		u32 wnd_end = tp->snd_una + tp->snd_wnd;

		if (!(cb->flags & TCPFSM_SYN)) {
			if (tcpfsm_after(cb->end_seq, wnd_end)) {
				u32 room = tcpfsm_after(wnd_end, cb->seq) ?
					   wnd_end - cb->seq : 0;

				if (!room || room >= skb->len)
					break;
				/* Sender SWS avoidance (RFC 9293 §3.8.6.2.1):
				 * less than a segment only when nothing is in
				 * flight and it is half the largest window
				 * offered, or when the persist timer says so.
				 */
				if (room < tp->mss && !sws_override &&
				    (tcpfsm_in_flight(tp) ||
				     room < tp->max_snd_wnd / 2))
					break;
				if (room > tp->mss)
					room = tcpfsm_cut_len(skb,
							      rounddown(room, tp->mss),
							      tp->mss);
				skb = tcpfsm_fragment(sk, skb, room);
				if (!skb)
					break;
				cb = TCPFSM_SKB_CB(skb);
			}
			if (skb->len > tp->mss) {
				skb = tcpfsm_cwnd_split(sk, skb,
							!(cb->flags & TCPFSM_FIN) &&
							skb_queue_is_last(&sk->sk_write_queue,
									  skb));
				if (!skb)
					break;
				cb = TCPFSM_SKB_CB(skb);
			}
			/* Nagle (RFC 9293 §3.7.4), on by default as in Linux:
			 * the last, short segment waits while data is unacked.
			 */
			if (!(cb->flags & TCPFSM_FIN) && skb->len < tp->mss &&
			    skb_queue_is_last(&sk->sk_write_queue, skb) &&
			    tcpfsm_in_flight(tp))
				break;
			if (!tcpfsm_cwnd_allows(tp, cb->end_seq - cb->seq))
				break;
		}
		if (tcpfsm_transmit_skb(sk, skb))
			break;
		if (tcpfsm_before(cb->seq, tp->snd_nxt)) {
			/* Sent before (its SYN-ACK or a resend of a SYN). */
			cb->retrans++;
		} else {
			cb->sent_ns = ktime_get_ns();
			/* Our data answers theirs: let it carry the ACKs. */
			if (skb->len &&
			    time_before(jiffies, tp->lrcv_time + TCPFSM_DELACK))
				tp->pingpong = 1;
		}
		if (tcpfsm_after(cb->end_seq, tp->snd_nxt))
			tp->snd_nxt = cb->end_seq;
		tp->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
				NULL : skb->next;
	}
	tcpfsm_timer_update(sk);
}
