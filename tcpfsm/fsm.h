/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection state machine of RFC 9293 §3.3.2: states, the events that
 * move a connection between them, and the one function that does.
 */
#ifndef _TCPFSM_FSM_H
#define _TCPFSM_FSM_H

#include <linux/types.h>
#include <net/tcp_states.h>

struct sock;

/*
 * States carry Linux TCP's numbers (TCP_ESTABLISHED ...), so sk->sk_state
 * means the same to the generic socket code (inet_getname(), sk_stream_*)
 * and to tools as it does for TCP.
 */
enum tcpfsm_state {
	TCPFSM_ESTABLISHED	= TCP_ESTABLISHED,
	TCPFSM_SYN_SENT		= TCP_SYN_SENT,
	TCPFSM_SYN_RECEIVED	= TCP_SYN_RECV,
	TCPFSM_FIN_WAIT_1	= TCP_FIN_WAIT1,
	TCPFSM_FIN_WAIT_2	= TCP_FIN_WAIT2,
	TCPFSM_TIME_WAIT	= TCP_TIME_WAIT,
	TCPFSM_CLOSED		= TCP_CLOSE,
	TCPFSM_CLOSE_WAIT	= TCP_CLOSE_WAIT,
	TCPFSM_LAST_ACK		= TCP_LAST_ACK,
	TCPFSM_LISTEN		= TCP_LISTEN,
	TCPFSM_CLOSING		= TCP_CLOSING,
	TCPFSM_NSTATES		= TCP_CLOSING + 1,
};

/*
 * What moves a connection: the user's calls, segments as RFC 9293 §3.10.7
 * classifies them, and timers.  Each transition is recorded with its event
 * as the cause.
 */
enum tcpfsm_event {
	TCPFSM_EV_NONE,
	TCPFSM_EV_CONNECT,		/* user: active OPEN, SYN sent */
	TCPFSM_EV_LISTEN,		/* user: passive OPEN */
	TCPFSM_EV_CLOSE,		/* user: CLOSE or shutdown(SHUT_WR) */
	TCPFSM_EV_ABORT,		/* user: ABORT (linger 0, kill): RST */
	TCPFSM_EV_RCV_SYN,		/* SYN without ACK */
	TCPFSM_EV_RCV_SYN_ACK,		/* SYN+ACK that acknowledges our SYN */
	TCPFSM_EV_RCV_ACK,		/* ACK of our SYN (SYN_RECEIVED) */
	TCPFSM_EV_RCV_FIN,		/* FIN, our FIN (if any) not yet acked */
	TCPFSM_EV_RCV_FIN_ACK,		/* FIN that also acknowledges our FIN */
	TCPFSM_EV_RCV_ACK_OF_FIN,	/* ACK covering our FIN */
	TCPFSM_EV_RCV_RST,		/* acceptable RST */
	TCPFSM_EV_TIMEOUT_2MSL,		/* TIME_WAIT over */
	TCPFSM_EV_TIMEOUT_FIN_WAIT_2,	/* orphan waited fin_timeout_ms */
	TCPFSM_EV_TIMEOUT_RETRIES,	/* retransmission limit reached */
	TCPFSM_EV_ICMP_UNREACH,		/* hard ICMP error while opening */
	TCPFSM_EV_TW_DROPPED,		/* no TIME_WAIT entry could be kept */
	TCPFSM_NEVENTS,
};

/* What the caller must do alongside a transition. */
enum tcpfsm_action {
	TCPFSM_ACT_NONE		= 0,
	TCPFSM_ACT_SEND_SYN	= BIT(0),
	TCPFSM_ACT_SEND_SYN_ACK	= BIT(1),
	TCPFSM_ACT_SEND_ACK	= BIT(2),
	TCPFSM_ACT_SEND_FIN	= BIT(3),
	TCPFSM_ACT_SEND_RST	= BIT(4),
	TCPFSM_ACT_START_2MSL	= BIT(5),	/* hand over to a TIME_WAIT entry */
	TCPFSM_ACT_DONE		= BIT(6),	/* connection gone: unhash, wake */
};

/**
 * struct tcpfsm_transition - one cell of the state table
 * @next: the state after the event
 * @actions: enum tcpfsm_action bits
 * @valid: the RFC allows this event in this state
 */
struct tcpfsm_transition {
	u8	next;
	u8	actions;
	u8	valid;
};

#define TCPFSM_HISTORY	16

/**
 * struct tcpfsm_record - one recorded transition
 * @time_ns: ktime_get_real_ns() when it happened
 * @from: state before
 * @to: state after
 * @cause: the enum tcpfsm_event that caused it
 */
struct tcpfsm_record {
	u64	time_ns;
	u8	from;
	u8	to;
	u8	cause;
};

/**
 * struct tcpfsm_history - the last TCPFSM_HISTORY transitions, a ring
 * @rec: the records
 * @count: transitions ever recorded; the newest is rec[(count - 1) % N]
 */
struct tcpfsm_history {
	struct tcpfsm_record	rec[TCPFSM_HISTORY];
	u32			count;
};

const struct tcpfsm_transition *tcpfsm_fsm_lookup(int state,
						  enum tcpfsm_event ev);
int tcpfsm_fsm_event(struct sock *sk, enum tcpfsm_event ev);
void tcpfsm_set_state(struct sock *sk, int state, enum tcpfsm_event cause);
void tcpfsm_hand_over(struct sock *sk);
const char *tcpfsm_state_name(int state);
const char *tcpfsm_event_name(enum tcpfsm_event ev);

#endif /* _TCPFSM_FSM_H */
