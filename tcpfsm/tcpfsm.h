/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfsm: a TCP-style connection protocol over its own IP protocol number,
 * with an explicit per-socket finite-state machine.
 */
#ifndef _TCPFSM_H
#define _TCPFSM_H

#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/rhashtable.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include <linux/seq_file.h>
#include <linux/timer.h>
#include <net/inet_sock.h>

#include "compat.h"
#include "fsm.h"

#define TCPFSM_DEFAULT_PROTO	253	/* RFC 3692 experimental */

/* The IP protocol number we run over: module parameter "proto". */
extern int tcpfsm_proto;

/*
 * Counters, per netns and per CPU.  The first block carries the TCP-MIB
 * names of /proc/net/snmp so the two read alike; the rest are ours.
 */
enum tcpfsm_mib {
	TCPFSM_MIB_ACTIVEOPENS,
	TCPFSM_MIB_PASSIVEOPENS,
	TCPFSM_MIB_ATTEMPTFAILS,
	TCPFSM_MIB_ESTABRESETS,
	TCPFSM_MIB_INSEGS,
	TCPFSM_MIB_OUTSEGS,
	TCPFSM_MIB_RETRANSSEGS,
	TCPFSM_MIB_INERRS,
	TCPFSM_MIB_OUTRSTS,
	TCPFSM_MIB_INCSUMERRORS,
	/* Segments dropped, by reason. */
	TCPFSM_MIB_DROP_CSUM,
	TCPFSM_MIB_DROP_HDR,
	TCPFSM_MIB_DROP_NOT_HOST,
	TCPFSM_MIB_DROP_NO_SOCKET,
	TCPFSM_MIB_DROP_OUT_OF_WINDOW,	/* unacceptable seq, RFC 9293 §3.10.7.4 */
	TCPFSM_MIB_DROP_BAD_ACK,	/* ACK of data never sent */
	TCPFSM_MIB_DROP_BACKLOG,	/* listener's accept/SYN queue full */
	TCPFSM_MIB_DROP_RCVBUF,		/* receive buffer full */
	TCPFSM_MIB_DROP_STATE,		/* segment not allowed in this state */
	TCPFSM_MIB_DROP_NOMEM,
	TCPFSM_MIB_DROP_SOCK_BACKLOG,	/* socket busy and its backlog full */
	TCPFSM_MIB_DROP_DUP,		/* data already received (ACKed again) */
	TCPFSM_MIB_CHALLENGE_ACKS,	/* RFC 5961 */
	TCPFSM_MIB_TW_ENTERED,
	TCPFSM_MIB_TW_REAPED,
	TCPFSM_MIB_TW_REUSED,
	TCPFSM_MIB_TW_OVERFLOW,		/* max_tw reached: no TIME_WAIT entry */
	TCPFSM_MIB_MAX
};

struct tcpfsm_mib_cpu {
	unsigned long	mibs[TCPFSM_MIB_MAX];
};

/*
 * Sizes of the per-netns listener table and port bucket table (hash by
 * port).  Bind buckets are one per port in use, so 2048 chains hold 32
 * buckets at most even with every port taken; they cost 16 KiB a netns.
 */
#define TCPFSM_LHASH_SIZE	256
#define TCPFSM_BHASH_SIZE	2048

/**
 * struct tcpfsm_bind_bucket - one local port in use (inet_bind_bucket)
 * @node: in tcpfsm_net.bhash
 * @socks: every socket holding @port (tcpfsm_sock.bind_node)
 * @owners: those of @socks that took @port by bind() or listen() or that
 *	listen on it (bind_owned or listed): connect() never shares @port
 *	with one
 * @port: the port
 *
 * Created by the first socket on @port, freed when the last one goes;
 * protected by tcpfsm_net.lock.
 */
struct tcpfsm_bind_bucket {
	struct hlist_node	node;
	struct hlist_head	socks;
	u32			owners;
	u16			port;
};

/**
 * struct tcpfsm_net - per network namespace state
 * @msl_ms: maximum segment lifetime; TIME_WAIT lasts 2 * @msl_ms
 * @fin_timeout_ms: how long an orphaned FIN_WAIT_2 connection lives
 * @syn_retries: SYN retransmissions before connect() gives up
 * @retries: data retransmissions before the connection times out
 * @isn_test: test only: when non-zero, every new ISN is this value
 * @max_tw: most TIME_WAIT entries at once (Linux's tcp_max_tw_buckets)
 * @window_scaling: offer window scaling in SYNs (tcp_window_scaling)
 * @mib: per-CPU counters, read by /proc/tcpfsm/stats
 * @curr_estab: connections in ESTABLISHED or CLOSE_WAIT (fsm.c)
 * @sysctl_hdr: /proc/sys/net/tcpfsm registration
 * @reaper: TIME_WAIT entries (timewait.c)
 * @est: full sockets by 4-tuple (hash.c)
 * @lock: protects @listen, @bhash (and its buckets) and @socks
 * @listen: listening sockets by port, read under RCU
 * @bhash: TCPFSM_BHASH_SIZE chains of bind buckets, by port
 * @socks: every socket of this netns, for /proc and netns exit
 * @hash_seed: seed of the reuseport flow hash
 * @ctl_sk: raw control socket for segments sent without a socket
 * @chal_second: the second @chal_count counts challenge ACKs in
 * @chal_count: challenge ACKs sent in @chal_second (RFC 5961 §7)
 */
struct tcpfsm_net {
	int				msl_ms;
	int				fin_timeout_ms;
	int				syn_retries;
	int				retries;
	unsigned int			isn_test;
	int				max_tw;
	int				window_scaling;
	struct tcpfsm_mib_cpu __percpu	*mib;
	atomic_long_t			curr_estab;
	struct ctl_table_header		*sysctl_hdr;
	struct tcpfsm_tw_reaper		*reaper;

	struct rhashtable		est;
	spinlock_t			lock;
	struct hlist_head		listen[TCPFSM_LHASH_SIZE];
	struct hlist_head		*bhash;
	struct list_head		socks;
	u32				hash_seed;
	struct sock			*ctl_sk;
	unsigned long			chal_second;
	u32				chal_count;
};

extern unsigned int tcpfsm_net_id;

static inline struct tcpfsm_net *tcpfsm_pernet(const struct net *net)
{
	return net_generic(net, tcpfsm_net_id);
}

#define TCPFSM_INC_STATS(net, field) \
	this_cpu_inc(tcpfsm_pernet(net)->mib->mibs[field])

unsigned long tcpfsm_mib_read(const struct net *net, enum tcpfsm_mib field);

/* Header flag bits (byte 13 of the header, RFC 9293 §3.1). */
#define TCPFSM_FIN	0x01
#define TCPFSM_SYN	0x02
#define TCPFSM_RST	0x04
#define TCPFSM_PSH	0x08
#define TCPFSM_ACK	0x10
#define TCPFSM_URG	0x20

/* Options (RFC 9293 §3.2): we send the MSS and window scale (RFC 7323). */
#define TCPFSM_OPT_EOL		0
#define TCPFSM_OPT_NOP		1
#define TCPFSM_OPT_MSS		2
#define TCPFSM_OPT_MSS_LEN	4
#define TCPFSM_OPT_WSCALE	3
#define TCPFSM_OPT_WSCALE_LEN	3
#define TCPFSM_MAX_WSCALE	14	/* RFC 7323 §2.3 */

/* Sequence-number comparisons modulo 2^32 (RFC 9293 §3.4). */
static inline bool tcpfsm_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

#define tcpfsm_after(a, b)	tcpfsm_before(b, a)

/**
 * struct tcpfsm_skb_cb - what the receive and send paths keep in skb->cb
 * @seq: sequence number of the first byte (or of the SYN)
 * @end_seq: @seq + payload length + SYN + FIN
 * @ack_seq: the acknowledgment field (receive path)
 * @flags: the header's flags byte (TCPFSM_SYN ...)
 * @retrans: how often it was retransmitted (Karn: no sample if non-zero)
 * @charged: counted in sk_wmem_queued and the socket's memory (send queue)
 * @tw_syn: a SYN that ended a TIME_WAIT entry (tcpfsm_tw_syn_isn())
 * @sent_ns: when it was first sent, for RTT samples (send queue only)
 */
struct tcpfsm_skb_cb {
	u32	seq;
	u32	end_seq;
	u32	ack_seq;
	u8	flags;
	u8	retrans;
	u8	charged;
	u8	tw_syn;
	u64	sent_ns;
};

#define TCPFSM_SKB_CB(skb)	((struct tcpfsm_skb_cb *)&((skb)->cb[0]))

/* The rhashtable key of a full socket: its 4-tuple from its own side. */
struct tcpfsm_key {
	__be32	laddr;
	__be32	raddr;
	__be16	lport;
	__be16	rport;
};

/* Where a listener's child is queued (tcpfsm_sock.queued). */
enum {
	TCPFSM_Q_NONE,
	TCPFSM_Q_SYN,		/* SYN_RECEIVED, on the listener's syn_queue */
	TCPFSM_Q_ACCEPT,	/* ready, on the listener's accept_queue */
};

/**
 * struct tcpfsm_sock - one connection (or listener) of ours
 * @inet: the inet socket; addresses and ports live there
 * @history: the last transitions, kept by tcpfsm_set_state()
 *
 * Sequence variables are RFC 9293's (§3.3.1).  The rest is the engine's:
 * see socket.c, input.c, output.c and timer.c.  Everything after @inet
 * starts zeroed (tcpfsm_sock_init(), also for a listener's child, which
 * is a copy of the listener); tcpfsm_conn_reset() starts a connection.
 */
struct tcpfsm_sock {
	struct inet_sock	inet;	/* must be first */
	struct tcpfsm_history	history;

	/* Lookup: the 4-tuple table, the listener and port tables. */
	struct tcpfsm_key	key;
	struct rhash_head	node;
	struct hlist_node	bind_node;	/* tcpfsm_bind_bucket.socks */
	struct tcpfsm_bind_bucket *bb;	/* our port's bucket while bound */
	struct hlist_node	listen_node;
	struct list_head	all_node;	/* tcpfsm_net.socks */
	u8	hashed:1,		/* in tcpfsm_net.est */
		bound:1,		/* in a bind bucket, @bb */
		listed:1,		/* in tcpfsm_net.listen */
		bind_owned:1,		/* port from bind()/listen(), not connect() */
		on_socks:1;		/* in tcpfsm_net.socks */

	/* Send sequence space.  snd_nxt is the highest sent (RFC's SND.NXT
	 * outside of a retransmission after a timeout, see rtx_seq).
	 */
	u32	iss;
	u32	snd_una;
	u32	snd_nxt;
	u32	snd_wnd;
	u32	max_snd_wnd;	/* RFC 5961 §5 MAX.SND.WND */
	u32	snd_wl1;
	u32	snd_wl2;
	u32	write_seq;	/* end of data (and FIN) queued by the user */
	u32	mss;		/* send MSS: peer's, capped by our path */
	u32	adv_mss;	/* the MSS we announce */
	u32	cwnd;		/* congestion window, bytes (RFC 5681) */
	u32	ssthresh;
	u32	dupacks;
	u32	recover;	/* fast recovery ends when this is acked */
	u32	rtx_seq;	/* after a timeout: next byte to resend ... */
	u32	lost_end;	/* ... up to here (go-back-N) */
	struct sk_buff	*send_head;	/* first skb never sent */

	/* Receive sequence space. */
	u32	irs;
	u32	rcv_nxt;
	u32	rcv_wnd;	/* window last advertised */
	u32	rcv_wup;	/* rcv_nxt when it was advertised */
	u8	snd_wscale:4,	/* RFC 7323 shift of the peer's windows, */
		rcv_wscale:4;	/* and of ours; 0 unless both SYNs had it */
	u32	copied_seq;	/* next byte the user reads */
	struct sk_buff_head	ooo_queue;

	/* Retransmission (RFC 6298), microseconds. */
	u32	srtt_us;
	u32	rttvar_us;
	u32	rto_us;
	u8	backoff;
	u8	retries;
	u8	probes;		/* zero-window probes without an answer */
	u32	total_retrans;

	/* One timer does retransmit, persist and FIN_WAIT_2; see timer.c. */
	struct timer_list	timer;
	u8	timer_kind;	/* enum tcpfsm_timer */
	unsigned long	timer_expires;

	/* Delayed ACK (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2); see timer.c. */
	struct timer_list	delack_timer;
	unsigned long	ack_deadline;	/* when the pending ACK must go */
	unsigned long	lrcv_time;	/* jiffies of the last data received */
	u32	rcv_mss;	/* largest segment received, at least 536 */
	u8	quick;		/* ACKs still to send at once (quick-ack) */
	u8	ack_pending:1,	/* data received and not yet acknowledged */
		pingpong:1,	/* interactive: our data follows theirs */
		rcv_bound:1,	/* read while the buffer bound the window */
		wscale_ok:1;	/* window scale offered, then agreed */

	/* Listener: half-open and ready children, under accept_lock. */
	spinlock_t	accept_lock;
	struct sock	*parent;	/* a child's listener until accepted */
	struct list_head	accept_node;
	struct list_head	accept_queue;
	struct list_head	syn_queue;
	u32	accept_len;
	u32	syn_len;
	u8	queued;		/* TCPFSM_Q_*, a child's place */

	u8	in_loss:1,	/* retransmitting after a timeout */
		in_recovery:1,	/* fast recovery (RFC 6582 NewReno) */
		fin_queued:1,	/* FIN is in the send queue (write_seq has it) */
		listening:1;	/* listener takes SYNs (under accept_lock) */
	u8	rcv_fin;	/* peer's FIN received (rcv_nxt has it) */
};

/* enum tcpfsm_timer: what the connection's one timer is doing. */
enum tcpfsm_timer {
	TCPFSM_TIMER_NONE,
	TCPFSM_TIMER_RETRANSMIT,
	TCPFSM_TIMER_PERSIST,
	TCPFSM_TIMER_FIN_WAIT_2,
	TCPFSM_TIMER_DELACK,
};

static inline struct tcpfsm_sock *tcpfsm_sk(const struct sock *sk)
{
	return (struct tcpfsm_sock *)sk;
}

/* netlink.c: the "events" multicast group of the tcpfsm genl family. */
struct tcpfsm_tw;
void tcpfsm_nl_transition(struct sock *sk, int from, int to,
			  enum tcpfsm_event cause);

/* fsm.c hooks observers (netlink events, tracepoint) in here. */
static inline void tcpfsm_notify_transition(struct sock *sk, int from, int to,
					    enum tcpfsm_event cause)
{
	tcpfsm_nl_transition(sk, from, to, cause);
}

/*
 * timewait.c: compact TIME_WAIT entries and their per-netns reaper.
 *
 * The engine relies on this contract:
 * - tcpfsm_tw_enter(sk) is called with @sk locked, in state TIME_WAIT,
 *   after the ACK of the peer's FIN went out; it copies what it needs and
 *   returns 0 (or a negative errno: no entry, the connection just ends).
 *   The engine then closes the full socket.
 * - tcpfsm_tw_lookup() takes our view: @saddr/@sport are the local end,
 *   @daddr/@dport the remote one.  It is called under rcu_read_lock() and
 *   returns an entry without taking a reference; tcpfsm_tw_rcv() must be
 *   called inside the same RCU section.
 * - tcpfsm_tw_rcv() returns 0 when it consumed @skb, or a positive value
 *   (TCPFSM_TW_SYN_REUSE) when @skb is a SYN that may open a new connection
 *   on the 4-tuple (RFC 1122 §4.2.2.13): the entry is gone and the engine
 *   passes @skb on to the listener, whose child then takes
 *   tcpfsm_tw_syn_isn(@skb) as its ISN (above the old SND.NXT).
 * - tcpfsm_tw_port_busy() says whether an entry holds @port on an address
 *   overlapping @addr (either may be INADDR_ANY); with @reuse (the binding
 *   socket has SO_REUSEADDR) only entries whose socket lacked it count.
 */
struct tcpfsm_tw;
struct tcpfsm_tw_reaper;
int tcpfsm_tw_init(void);
void tcpfsm_tw_exit(void);
int tcpfsm_tw_net_init(struct net *net);
void tcpfsm_tw_net_exit(struct net *net);
int tcpfsm_tw_enter(struct sock *sk);
struct tcpfsm_tw *tcpfsm_tw_lookup(struct net *net, __be32 saddr, __be16 sport,
				   __be32 daddr, __be16 dport);
int tcpfsm_tw_rcv(struct tcpfsm_tw_reaper *r, struct tcpfsm_tw *tw,
		  struct sk_buff *skb);
u32 tcpfsm_tw_syn_isn(const struct sk_buff *skb);
bool tcpfsm_tw_port_busy(struct net *net, __be32 addr, __be16 port,
			 bool reuse);
long tcpfsm_tw_count(struct net *net);
/*
 * The reaper's figures, after the counters in /proc/tcpfsm/stats and
 * stats-get: entries now, timer runs, the longest run, the worst lateness
 * (deadline to free) and a histogram of lateness.
 */
enum tcpfsm_tw_stat {
	TCPFSM_TW_STAT_CURRENT,
	TCPFSM_TW_STAT_RUNS,
	TCPFSM_TW_STAT_RUN_MAX_US,
	TCPFSM_TW_STAT_RUN_TOTAL_US,
	TCPFSM_TW_STAT_RUNS_OVER_1MS,
	TCPFSM_TW_STAT_LATE_MAX_US,
	/* The lateness histogram, in 1-2-5 steps: see tcpfsm_tw_count_late(). */
	TCPFSM_TW_STAT_LATE_LE_10US,
	TCPFSM_TW_STAT_LATE_LE_20US,
	TCPFSM_TW_STAT_LATE_LE_50US,
	TCPFSM_TW_STAT_LATE_LE_100US,
	TCPFSM_TW_STAT_LATE_LE_200US,
	TCPFSM_TW_STAT_LATE_LE_500US,
	TCPFSM_TW_STAT_LATE_LE_1MS,
	TCPFSM_TW_STAT_LATE_LE_2MS,
	TCPFSM_TW_STAT_LATE_LE_5MS,
	TCPFSM_TW_STAT_LATE_LE_10MS,
	TCPFSM_TW_STAT_LATE_LE_20MS,
	TCPFSM_TW_STAT_LATE_LE_50MS,
	TCPFSM_TW_STAT_LATE_LE_100MS,
	TCPFSM_TW_STAT_LATE_OVER_100MS,
	/* Entries the longest run freed: after the histogram, as added later. */
	TCPFSM_TW_STAT_RUN_MAX_ENTRIES,
	TCPFSM_TW_STAT_MAX
};

u64 tcpfsm_tw_stat(struct net *net, enum tcpfsm_tw_stat which);
/* /proc/tcpfsm/conns walks the entries between start and stop. */
void *tcpfsm_tw_seq_start(struct net *net, loff_t pos);
void *tcpfsm_tw_seq_next(struct net *net, void *v);
void tcpfsm_tw_seq_stop(struct net *net);
void tcpfsm_tw_seq_show(struct seq_file *seq, void *v);

/* /proc/tcpfsm/conns line format, shared by sockets and TIME_WAIT. */
#define TCPFSM_CONNS_HEADER_FMT	"%-21s %-21s %-12s %10s %10s %10s %8s %8s %-9s %s\n"
#define TCPFSM_CONNS_FMT	"%-21s %-21s %-12s %10u %10u %10u %8u %8u %-9s %lu\n"

/* hash.c */
int tcpfsm_hash_init(void);
void tcpfsm_hash_exit(void);
int tcpfsm_hash_net_init(struct net *net);
void tcpfsm_hash_net_exit(struct net *net);
void tcpfsm_socks_add(struct sock *sk);
void tcpfsm_socks_del(struct sock *sk);
struct sock *tcpfsm_lookup_est(struct net *net, __be32 laddr, __be16 lport,
			       __be32 raddr, __be16 rport);
struct sock *tcpfsm_lookup_listener(struct net *net, __be32 laddr,
				    __be16 lport, __be32 raddr, __be16 rport,
				    int dif);
int tcpfsm_hash_est(struct sock *sk);
void tcpfsm_unhash_est(struct sock *sk);
int tcpfsm_hash_listener(struct sock *sk);
void tcpfsm_unhash_listener(struct sock *sk);
int tcpfsm_get_port(struct sock *sk, unsigned short snum);
int tcpfsm_inherit_port(struct sock *child);
void tcpfsm_put_port(struct sock *sk);
int tcpfsm_hash_connect(struct sock *sk);

/* output.c */
/*
 * Headroom of our skbs: our header (28 bytes at most) and IP's (60) push
 * into it, the link layer's MAX_HEADER after that (ip_finish_output2()
 * expands a head that lacks it).  64 rather than TCP's 128 spare, so that
 * a 1460-byte segment (MTU 1500) fits a 2 KiB skb head, truesize 2304,
 * and not a 4 KiB one, 4352: received over veth as it was sent, that
 * buffer is what the receive buffer is charged.
 */
#define TCPFSM_HDR_ROOM		L1_CACHE_ALIGN(64 + MAX_HEADER)
#define TCPFSM_MIN_MSS		64
#define TCPFSM_DEFAULT_MSS	536	/* RFC 9293 §3.7.1 */
/* The largest window the header's 16 bits hold, before scaling. */
#define TCPFSM_MAX_WIN		65535U

/* The largest receive window our scale lets the header carry. */
static inline u32 tcpfsm_max_rcv_win(const struct tcpfsm_sock *tp)
{
	return TCPFSM_MAX_WIN << tp->rcv_wscale;
}

/* Payload room of a small skb (a short write; received bytes copied). */
#define TCPFSM_SMALL_SEG	(SKB_WITH_OVERHEAD(2048) - TCPFSM_HDR_ROOM)
int tcpfsm_output_init(void);
int tcpfsm_output_net_init(struct net *net);
void tcpfsm_output_net_exit(struct net *net);
u32 tcpfsm_new_isn(struct net *net, __be32 saddr, __be32 daddr,
		   __be16 sport, __be16 dport);
u32 tcpfsm_path_mss(const struct sock *sk);
u32 tcpfsm_size_goal(struct sock *sk);
struct sk_buff *tcpfsm_gso_segment(struct sk_buff *skb,
				   netdev_features_t features);
u32 tcpfsm_rcv_space_win(const struct sock *sk);
void tcpfsm_offer_wscale(struct sock *sk);
u16 tcpfsm_select_window(struct sock *sk, bool syn);
void tcpfsm_send_reply(struct net *net, const struct sk_buff *skb, u32 seq,
		       u32 ack, u8 flags, u16 window);
void tcpfsm_send_reset_for(struct net *net, const struct sk_buff *skb);
void tcpfsm_send_ack(struct sock *sk);
void tcpfsm_send_challenge_ack(struct sock *sk);
void tcpfsm_send_active_reset(struct sock *sk);
void tcpfsm_send_probe(struct sock *sk);
int tcpfsm_queue_syn(struct sock *sk, u8 flags);
void tcpfsm_queue_fin(struct sock *sk);
struct sk_buff *tcpfsm_alloc_send_skb(struct sock *sk, int size, gfp_t gfp);
void tcpfsm_free_send_skb(struct sock *sk, struct sk_buff *skb);
void tcpfsm_purge_write_queue(struct sock *sk);
void __tcpfsm_push(struct sock *sk, bool sws_override);

static inline void tcpfsm_push(struct sock *sk)
{
	__tcpfsm_push(sk, false);
}
int tcpfsm_retransmit_skb(struct sock *sk, struct sk_buff *skb);
u32 tcpfsm_in_flight(const struct tcpfsm_sock *tp);

/* timer.c */
#define TCPFSM_DELACK		(HZ / 25 ?: 1)	/* 40 ms, Linux's TCP_DELACK_MIN */
#define TCPFSM_QUICKACKS	16		/* Linux's TCP_MAX_QUICKACKS */
void tcpfsm_timer_init(struct sock *sk);
void tcpfsm_timer_update(struct sock *sk);
void tcpfsm_timer_restart(struct sock *sk);
void tcpfsm_timer_clear(struct sock *sk);
void tcpfsm_delack_schedule(struct sock *sk);
void tcpfsm_delack_clear(struct sock *sk);
void tcpfsm_rtt_sample(struct tcpfsm_sock *tp, u32 rtt_us);
unsigned long tcpfsm_rto_backoff(const struct tcpfsm_sock *tp);
const char *tcpfsm_timer_name(int kind);

/* input.c */
int tcpfsm_rcv(struct sk_buff *skb);
int tcpfsm_err(struct sk_buff *skb, u32 info);
int tcpfsm_do_rcv(struct sock *sk, struct sk_buff *skb);
void tcpfsm_reset(struct sock *sk);
void tcpfsm_time_out(struct sock *sk);

/* socket.c */
extern struct proto tcpfsm_prot;
int tcpfsm_socket_init(void);
void tcpfsm_socket_exit(void);
void tcpfsm_sock_init(struct sock *sk);
void tcpfsm_conn_reset(struct sock *sk);
void tcpfsm_done(struct sock *sk);
void tcpfsm_destroy(struct sock *sk);
void tcpfsm_child_ready(struct sock *sk);
void tcpfsm_sock_net_exit(struct net *net);
u32 tcpfsm_inq(const struct tcpfsm_sock *tp);
int tcpfsm_apply_actions(struct sock *sk, int actions);

/* sysctl.c */
int tcpfsm_sysctl_net_init(struct net *net);
void tcpfsm_sysctl_net_exit(struct net *net);

/* proc.c */
int tcpfsm_proc_init(void);
void tcpfsm_proc_exit(void);

#endif /* _TCPFSM_H */
