// SPDX-License-Identifier: GPL-2.0
/*
 * The connection's one timer, doing one job at a time:
 * - retransmit (RFC 6298): while anything sent is unacknowledged;
 * - persist: unsent data, nothing in flight, the peer's window closed
 *   (zero-window probes, backing off like the RTO);
 * - FIN_WAIT_2: an orphaned connection waits fin_timeout_ms for the FIN.
 * A second timer sends a delayed ACK that no segment of ours carried.
 *
 * It runs in softirq; if the user holds the socket it tries again a little
 * later.  sk_reset_timer() holds a socket reference while it is pending.
 */
#include <linux/jiffies.h>
#include <net/sock.h>

#include "tcpfsm.h"

#define TCPFSM_RTO_MIN_US	(200 * USEC_PER_MSEC)	/* Linux's TCP_RTO_MIN */
#define TCPFSM_RTO_MAX_US	(120 * USEC_PER_SEC)	/* Linux's TCP_RTO_MAX */
#define TCPFSM_SYNACK_RETRIES	5			/* tcp_synack_retries */

static const char *const tcpfsm_timer_names[] = {
	[TCPFSM_TIMER_NONE]		= "off",
	[TCPFSM_TIMER_RETRANSMIT]	= "retrans",
	[TCPFSM_TIMER_PERSIST]		= "persist",
	[TCPFSM_TIMER_FIN_WAIT_2]	= "finwait2",
	[TCPFSM_TIMER_DELACK]		= "delack",
};

const char *tcpfsm_timer_name(int kind)
{
	if (kind < 0 || kind >= ARRAY_SIZE(tcpfsm_timer_names))
		return "off";
	return tcpfsm_timer_names[kind];
}

/**
 * tcpfsm_rtt_sample() - fold a round-trip time into SRTT/RTTVAR/RTO
 * @tp: the connection
 * @rtt_us: the sample, from a segment sent once only (Karn)
 *
 * RFC 6298 §2 with alpha 1/8, beta 1/4, G one jiffy; RTO within Linux's
 * 200 ms .. 120 s (RFC 6298's 1 s minimum is a SHOULD; Linux uses 200 ms).
 */
void tcpfsm_rtt_sample(struct tcpfsm_sock *tp, u32 rtt_us)
{
	u32 g = jiffies_to_usecs(1), var;

	if (!rtt_us)
		rtt_us = 1;
	if (!tp->srtt_us) {
		tp->srtt_us = rtt_us;
		tp->rttvar_us = rtt_us / 2;
	} else {
		var = tp->srtt_us > rtt_us ? tp->srtt_us - rtt_us :
					     rtt_us - tp->srtt_us;
		tp->rttvar_us = tp->rttvar_us - tp->rttvar_us / 4 + var / 4;
		tp->srtt_us = tp->srtt_us - tp->srtt_us / 8 + rtt_us / 8;
	}
	tp->rto_us = clamp_t(u32, tp->srtt_us + max(g, 4 * tp->rttvar_us),
			     TCPFSM_RTO_MIN_US, TCPFSM_RTO_MAX_US);
}

/* The current timeout with exponential backoff (RFC 6298 §5.5), jiffies. */
unsigned long tcpfsm_rto_backoff(const struct tcpfsm_sock *tp)
{
	u64 us = (u64)tp->rto_us << min_t(u8, tp->backoff, 20);

	return usecs_to_jiffies(min_t(u64, us, TCPFSM_RTO_MAX_US));
}

static void tcpfsm_timer_set(struct sock *sk, int kind, unsigned long delay)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	tp->timer_kind = kind;
	tp->timer_expires = jiffies + delay;
	sk_reset_timer(sk, &tp->timer, tp->timer_expires);
}

void tcpfsm_timer_clear(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	tp->timer_kind = TCPFSM_TIMER_NONE;
	sk_stop_timer(sk, &tp->timer);
}

/**
 * tcpfsm_timer_update() - give the timer the job the connection needs now
 * @sk: the socket, locked
 *
 * A running job of the right kind is left alone (the retransmit timer is
 * restarted on new ACKs by tcpfsm_timer_restart(), RFC 6298 §5.3).
 */
void tcpfsm_timer_update(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	int state = sk->sk_state;
	int kind = TCPFSM_TIMER_NONE;
	unsigned long delay = 0;

	if (state == TCPFSM_CLOSED || state == TCPFSM_LISTEN) {
		kind = TCPFSM_TIMER_NONE;
	} else if (tp->snd_nxt != tp->snd_una) {
		kind = TCPFSM_TIMER_RETRANSMIT;
		delay = tcpfsm_rto_backoff(tp);
	} else if (tp->send_head) {
		kind = TCPFSM_TIMER_PERSIST;
		delay = tcpfsm_rto_backoff(tp);
	} else if (state == TCPFSM_FIN_WAIT_2 && sock_flag(sk, SOCK_DEAD)) {
		kind = TCPFSM_TIMER_FIN_WAIT_2;
		delay = msecs_to_jiffies(READ_ONCE(tcpfsm_pernet(sock_net(sk))->fin_timeout_ms));
	}
	if (kind == tp->timer_kind)
		return;
	if (kind == TCPFSM_TIMER_NONE)
		tcpfsm_timer_clear(sk);
	else
		tcpfsm_timer_set(sk, kind, delay);
}

/* New data was acknowledged: the retransmit timer starts over. */
void tcpfsm_timer_restart(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	tp->timer_kind = TCPFSM_TIMER_NONE;
	tcpfsm_timer_update(sk);
}

static int tcpfsm_retry_limit(struct sock *sk)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(sock_net(sk));

	switch (sk->sk_state) {
	case TCPFSM_SYN_SENT:
		return READ_ONCE(tn->syn_retries);
	case TCPFSM_SYN_RECEIVED:
		/* A passive open uses Linux's tcp_synack_retries default. */
		if (tcpfsm_sk(sk)->parent)
			return TCPFSM_SYNACK_RETRIES;
		return READ_ONCE(tn->syn_retries);
	default:
		return READ_ONCE(tn->retries);
	}
}

/*
 * RTO expiry: give up after the retry limit, else resend from SND.UNA
 * (go-back-N) with the congestion window at one segment and ssthresh at
 * half the flight (RFC 5681 §3.1), and back the timer off.
 */
static void tcpfsm_retransmit_timer(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);
	int state = sk->sk_state;

	if (tp->retries >= tcpfsm_retry_limit(sk)) {
		tcpfsm_time_out(sk);
		return;
	}
	if (state != TCPFSM_SYN_SENT && state != TCPFSM_SYN_RECEIVED) {
		tp->ssthresh = max(tcpfsm_in_flight(tp) / 2, 2 * tp->mss);
		tp->cwnd = tp->mss;
	}
	tp->in_loss = 1;
	tp->in_recovery = 0;
	tp->dupacks = 0;
	tp->rtx_seq = tp->snd_una;
	tp->lost_end = tp->snd_nxt;
	tp->retries++;
	if (tp->backoff < 20)
		tp->backoff++;
	tp->timer_kind = TCPFSM_TIMER_NONE;
	tcpfsm_push(sk);
}

/* Persist: probe the closed window; the probes are not a failure while
 * the peer answers them (tcpfsm_sock.probes restarts on every ACK).
 */
static void tcpfsm_persist_timer(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	if (tp->probes >= tcpfsm_retry_limit(sk)) {
		tcpfsm_time_out(sk);
		return;
	}
	tcpfsm_send_probe(sk);
	tp->probes++;
	if (tp->backoff < 20)
		tp->backoff++;
	tp->timer_kind = TCPFSM_TIMER_NONE;
	tcpfsm_timer_update(sk);
}

static void tcpfsm_fin_wait_2_timer(struct sock *sk)
{
	tcpfsm_sk(sk)->timer_kind = TCPFSM_TIMER_NONE;
	if (sk->sk_state != TCPFSM_FIN_WAIT_2)
		return;
	if (tcpfsm_fsm_event(sk, TCPFSM_EV_TIMEOUT_FIN_WAIT_2) < 0)
		return;
	tcpfsm_done(sk);
}

static void tcpfsm_timer_fn(struct timer_list *t)
{
	struct tcpfsm_sock *tp = from_timer(tp, t, timer);
	struct sock *sk = &tp->inet.sk;

	bh_lock_sock(sk);
	if (tp->timer_kind == TCPFSM_TIMER_NONE)
		goto out;
	if (sock_owned_by_user(sk)) {
		/* Busy: try again shortly, as TCP's delack timer does. */
		sk_reset_timer(sk, &tp->timer, jiffies + HZ / 20);
		goto out;
	}
	if (time_before(jiffies, tp->timer_expires)) {
		sk_reset_timer(sk, &tp->timer, tp->timer_expires);
		goto out;
	}
	switch (tp->timer_kind) {
	case TCPFSM_TIMER_RETRANSMIT:
		tcpfsm_retransmit_timer(sk);
		break;
	case TCPFSM_TIMER_PERSIST:
		tcpfsm_persist_timer(sk);
		break;
	case TCPFSM_TIMER_FIN_WAIT_2:
		tcpfsm_fin_wait_2_timer(sk);
		break;
	default:
		tp->timer_kind = TCPFSM_TIMER_NONE;
		break;
	}
out:
	bh_unlock_sock(sk);
	sock_put(sk);
}

/**
 * tcpfsm_delack_schedule() - acknowledge received data later
 * @sk: the socket, locked
 *
 * The ACK goes with the next segment we send (any segment carries
 * RCV.NXT), else when the delayed-ACK timer fires, TCPFSM_DELACK after the
 * data (Linux's TCP_DELACK_MIN, far below RFC 9293's 0.5 s limit).
 */
void tcpfsm_delack_schedule(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	if (tp->ack_pending)
		return;
	tp->ack_pending = 1;
	tp->ack_deadline = jiffies + TCPFSM_DELACK;
	/* A timer still pending from an earlier ACK re-arms itself. */
	if (!timer_pending(&tp->delack_timer))
		sk_reset_timer(sk, &tp->delack_timer, tp->ack_deadline);
}

void tcpfsm_delack_clear(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	tp->ack_pending = 0;
	sk_stop_timer(sk, &tp->delack_timer);
}

/*
 * The delayed ACK is due and nothing carried it: send it, and leave
 * interactive mode (our answers do not follow fast enough to carry ACKs).
 */
static void tcpfsm_delack_fn(struct timer_list *t)
{
	struct tcpfsm_sock *tp = from_timer(tp, t, delack_timer);
	struct sock *sk = &tp->inet.sk;

	bh_lock_sock(sk);
	if (!tp->ack_pending)
		goto out;
	if (sock_owned_by_user(sk)) {
		/* The owner may yet send something that carries it. */
		sk_reset_timer(sk, &tp->delack_timer, jiffies + TCPFSM_DELACK / 4 + 1);
		goto out;
	}
	if (time_before(jiffies, tp->ack_deadline)) {
		sk_reset_timer(sk, &tp->delack_timer, tp->ack_deadline);
		goto out;
	}
	tp->ack_pending = 0;
	tp->pingpong = 0;
	if ((1 << sk->sk_state) &
	    ~(TCPF_CLOSE | TCPF_LISTEN | TCPF_SYN_SENT | TCPF_TIME_WAIT))
		tcpfsm_send_ack(sk);
out:
	bh_unlock_sock(sk);
	sock_put(sk);
}

void tcpfsm_timer_init(struct sock *sk)
{
	struct tcpfsm_sock *tp = tcpfsm_sk(sk);

	timer_setup(&tp->timer, tcpfsm_timer_fn, 0);
	tp->timer_kind = TCPFSM_TIMER_NONE;
	timer_setup(&tp->delack_timer, tcpfsm_delack_fn, 0);
}
