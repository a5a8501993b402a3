// SPDX-License-Identifier: GPL-2.0
/*
 * The state machine, as one table to read beside RFC 9293's diagram
 * (§3.3.2, Figure 5), and the one function through which every state
 * change passes.
 *
 * Rows are states, columns the events of enum tcpfsm_event.  A cell not
 * listed is a forbidden transition: tcpfsm_fsm_event() refuses it and the
 * connection stays where it was.  What the event does besides (sending a
 * segment, handing over to TIME_WAIT) is in the cell's actions; the caller
 * carries them out, since only it has the segment at hand.
 */
#include <kunit/visibility.h>
#include <linux/ktime.h>
#include <net/sock.h>

#include "tcpfsm.h"
#include "trace.h"

#define T(state, act)	{ .next = TCPFSM_##state, .actions = (act), .valid = 1 }
#define SEND(x)		TCPFSM_ACT_SEND_##x
#define DONE		TCPFSM_ACT_DONE
#define START_2MSL	TCPFSM_ACT_START_2MSL

static const struct tcpfsm_transition
tcpfsm_table[TCPFSM_NSTATES][TCPFSM_NEVENTS] = {
	[TCPFSM_CLOSED] = {
		[TCPFSM_EV_CONNECT]		= T(SYN_SENT, SEND(SYN)),
		[TCPFSM_EV_LISTEN]		= T(LISTEN, 0),
	},
	[TCPFSM_LISTEN] = {
		/* The new connection's own socket makes this move. */
		[TCPFSM_EV_RCV_SYN]		= T(SYN_RECEIVED, SEND(SYN_ACK)),
		[TCPFSM_EV_CLOSE]		= T(CLOSED, DONE),
		[TCPFSM_EV_ABORT]		= T(CLOSED, DONE),
	},
	[TCPFSM_SYN_SENT] = {
		[TCPFSM_EV_RCV_SYN_ACK]		= T(ESTABLISHED, SEND(ACK)),
		/* Simultaneous open. */
		[TCPFSM_EV_RCV_SYN]		= T(SYN_RECEIVED, SEND(SYN_ACK)),
		[TCPFSM_EV_CLOSE]		= T(CLOSED, DONE),
		/* RFC 9293 §3.10.5: no RST from SYN-SENT, as Linux. */
		[TCPFSM_EV_ABORT]		= T(CLOSED, DONE),
		[TCPFSM_EV_RCV_RST]		= T(CLOSED, DONE),
		[TCPFSM_EV_TIMEOUT_RETRIES]	= T(CLOSED, DONE),
		[TCPFSM_EV_ICMP_UNREACH]	= T(CLOSED, DONE),
	},
	[TCPFSM_SYN_RECEIVED] = {
		[TCPFSM_EV_RCV_ACK]		= T(ESTABLISHED, 0),
		[TCPFSM_EV_RCV_FIN]		= T(CLOSE_WAIT, SEND(ACK)),
		[TCPFSM_EV_CLOSE]		= T(FIN_WAIT_1, SEND(FIN)),
		[TCPFSM_EV_ABORT]		= T(CLOSED, SEND(RST) | DONE),
		/* RFC 9293 returns a passive open to LISTEN; our listener never
		 * left it, so it is this connection's socket that closes.
		 */
		[TCPFSM_EV_RCV_RST]		= T(CLOSED, DONE),
		[TCPFSM_EV_TIMEOUT_RETRIES]	= T(CLOSED, DONE),
		[TCPFSM_EV_ICMP_UNREACH]	= T(CLOSED, DONE),
	},
	[TCPFSM_ESTABLISHED] = {
		[TCPFSM_EV_CLOSE]		= T(FIN_WAIT_1, SEND(FIN)),
		[TCPFSM_EV_RCV_FIN]		= T(CLOSE_WAIT, SEND(ACK)),
		[TCPFSM_EV_ABORT]		= T(CLOSED, SEND(RST) | DONE),
		[TCPFSM_EV_RCV_RST]		= T(CLOSED, DONE),
		[TCPFSM_EV_TIMEOUT_RETRIES]	= T(CLOSED, DONE),
	},
	[TCPFSM_FIN_WAIT_1] = {
		[TCPFSM_EV_RCV_ACK_OF_FIN]	= T(FIN_WAIT_2, 0),
		/* Simultaneous close. */
		[TCPFSM_EV_RCV_FIN]		= T(CLOSING, SEND(ACK)),
		/* Their FIN acknowledges ours: straight to TIME_WAIT. */
		[TCPFSM_EV_RCV_FIN_ACK]		= T(TIME_WAIT, SEND(ACK) | START_2MSL),
		[TCPFSM_EV_ABORT]		= T(CLOSED, SEND(RST) | DONE),
		[TCPFSM_EV_RCV_RST]		= T(CLOSED, DONE),
		[TCPFSM_EV_TIMEOUT_RETRIES]	= T(CLOSED, DONE),
	},
	[TCPFSM_FIN_WAIT_2] = {
		[TCPFSM_EV_RCV_FIN]		= T(TIME_WAIT, SEND(ACK) | START_2MSL),
		[TCPFSM_EV_TIMEOUT_FIN_WAIT_2]	= T(CLOSED, DONE),
		[TCPFSM_EV_ABORT]		= T(CLOSED, SEND(RST) | DONE),
		[TCPFSM_EV_RCV_RST]		= T(CLOSED, DONE),
	},
	[TCPFSM_CLOSE_WAIT] = {
		[TCPFSM_EV_CLOSE]		= T(LAST_ACK, SEND(FIN)),
		[TCPFSM_EV_ABORT]		= T(CLOSED, SEND(RST) | DONE),
		[TCPFSM_EV_RCV_RST]		= T(CLOSED, DONE),
		[TCPFSM_EV_TIMEOUT_RETRIES]	= T(CLOSED, DONE),
	},
	[TCPFSM_CLOSING] = {
		[TCPFSM_EV_RCV_ACK_OF_FIN]	= T(TIME_WAIT, START_2MSL),
		/* RFC 9293 §3.10.5 and Linux: ABORT here sends no RST. */
		[TCPFSM_EV_ABORT]		= T(CLOSED, DONE),
		[TCPFSM_EV_RCV_RST]		= T(CLOSED, DONE),
		[TCPFSM_EV_TIMEOUT_RETRIES]	= T(CLOSED, DONE),
	},
	[TCPFSM_LAST_ACK] = {
		[TCPFSM_EV_RCV_ACK_OF_FIN]	= T(CLOSED, DONE),
		[TCPFSM_EV_ABORT]		= T(CLOSED, DONE),
		[TCPFSM_EV_RCV_RST]		= T(CLOSED, DONE),
		[TCPFSM_EV_TIMEOUT_RETRIES]	= T(CLOSED, DONE),
	},
	[TCPFSM_TIME_WAIT] = {
		[TCPFSM_EV_TIMEOUT_2MSL]	= T(CLOSED, DONE),
		/* A new SYN above the old rcv_nxt reuses the 4-tuple. */
		[TCPFSM_EV_RCV_SYN]		= T(CLOSED, DONE),
		/* conn-kill of an entry; RSTs are ignored here (RFC 1337). */
		[TCPFSM_EV_ABORT]		= T(CLOSED, DONE),
		/* max_tw reached or no memory: the socket closes at once. */
		[TCPFSM_EV_TW_DROPPED]		= T(CLOSED, DONE),
	},
};

#undef T
#undef SEND
#undef DONE
#undef START_2MSL

static const char *const tcpfsm_state_names[TCPFSM_NSTATES] = {
	[TCPFSM_ESTABLISHED]	= "ESTABLISHED",
	[TCPFSM_SYN_SENT]	= "SYN_SENT",
	[TCPFSM_SYN_RECEIVED]	= "SYN_RECEIVED",
	[TCPFSM_FIN_WAIT_1]	= "FIN_WAIT_1",
	[TCPFSM_FIN_WAIT_2]	= "FIN_WAIT_2",
	[TCPFSM_TIME_WAIT]	= "TIME_WAIT",
	[TCPFSM_CLOSED]		= "CLOSED",
	[TCPFSM_CLOSE_WAIT]	= "CLOSE_WAIT",
	[TCPFSM_LAST_ACK]	= "LAST_ACK",
	[TCPFSM_LISTEN]		= "LISTEN",
	[TCPFSM_CLOSING]	= "CLOSING",
};

static const char *const tcpfsm_event_names[TCPFSM_NEVENTS] = {
	[TCPFSM_EV_NONE]		= "none",
	[TCPFSM_EV_CONNECT]		= "connect",
	[TCPFSM_EV_LISTEN]		= "listen",
	[TCPFSM_EV_CLOSE]		= "close",
	[TCPFSM_EV_ABORT]		= "abort",
	[TCPFSM_EV_RCV_SYN]		= "rcv-syn",
	[TCPFSM_EV_RCV_SYN_ACK]		= "rcv-syn-ack",
	[TCPFSM_EV_RCV_ACK]		= "rcv-ack",
	[TCPFSM_EV_RCV_FIN]		= "rcv-fin",
	[TCPFSM_EV_RCV_FIN_ACK]		= "rcv-fin-ack",
	[TCPFSM_EV_RCV_ACK_OF_FIN]	= "rcv-ack-of-fin",
	[TCPFSM_EV_RCV_RST]		= "rcv-rst",
	[TCPFSM_EV_TIMEOUT_2MSL]	= "timeout-2msl",
	[TCPFSM_EV_TIMEOUT_FIN_WAIT_2]	= "timeout-fin-wait-2",
	[TCPFSM_EV_TIMEOUT_RETRIES]	= "timeout-retries",
	[TCPFSM_EV_ICMP_UNREACH]	= "icmp-unreach",
	[TCPFSM_EV_TW_DROPPED]		= "time-wait-dropped",
};

/**
 * tcpfsm_state_name() - a state's name as /proc/tcpfsm/conns spells it
 * @state: an enum tcpfsm_state
 *
 * Return: the name, or "UNKNOWN" for a value outside the enum.
 */
const char *tcpfsm_state_name(int state)
{
	if (state < 0 || state >= TCPFSM_NSTATES || !tcpfsm_state_names[state])
		return "UNKNOWN";
	return tcpfsm_state_names[state];
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_state_name);

/**
 * tcpfsm_event_name() - an event's name, as recorded causes are shown
 * @ev: an enum tcpfsm_event
 *
 * Return: the name, or "unknown".
 */
const char *tcpfsm_event_name(enum tcpfsm_event ev)
{
	if (ev >= TCPFSM_NEVENTS)
		return "unknown";
	return tcpfsm_event_names[ev];
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_event_name);

/**
 * tcpfsm_fsm_lookup() - the table's cell for @ev in @state
 * @state: the current state
 * @ev: the event
 *
 * Return: the transition, or NULL when the event is forbidden there.
 */
const struct tcpfsm_transition *tcpfsm_fsm_lookup(int state,
						  enum tcpfsm_event ev)
{
	const struct tcpfsm_transition *t;

	if (state < 0 || state >= TCPFSM_NSTATES || ev >= TCPFSM_NEVENTS)
		return NULL;
	t = &tcpfsm_table[state][ev];
	return t->valid ? t : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(tcpfsm_fsm_lookup);

/* TCP-MIB CurrEstab counts connections in ESTABLISHED or CLOSE_WAIT. */
static bool tcpfsm_counts_as_estab(int state)
{
	return state == TCPFSM_ESTABLISHED || state == TCPFSM_CLOSE_WAIT;
}

static void tcpfsm_count_transition(struct net *net, int from, int to,
				    enum tcpfsm_event cause)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);

	if (from == TCPFSM_CLOSED && to == TCPFSM_SYN_SENT)
		TCPFSM_INC_STATS(net, TCPFSM_MIB_ACTIVEOPENS);
	else if (from == TCPFSM_LISTEN && to == TCPFSM_SYN_RECEIVED)
		TCPFSM_INC_STATS(net, TCPFSM_MIB_PASSIVEOPENS);

	/* RFC 1213 tcpAttemptFails and tcpEstabResets, as Linux counts them. */
	if ((from == TCPFSM_SYN_SENT || from == TCPFSM_SYN_RECEIVED) &&
	    to == TCPFSM_CLOSED)
		TCPFSM_INC_STATS(net, TCPFSM_MIB_ATTEMPTFAILS);
	if (tcpfsm_counts_as_estab(from) && to == TCPFSM_CLOSED &&
	    (cause == TCPFSM_EV_RCV_RST || cause == TCPFSM_EV_ABORT))
		TCPFSM_INC_STATS(net, TCPFSM_MIB_ESTABRESETS);

	if (tcpfsm_counts_as_estab(to) && !tcpfsm_counts_as_estab(from))
		atomic_long_inc(&tn->curr_estab);
	else if (!tcpfsm_counts_as_estab(to) && tcpfsm_counts_as_estab(from))
		atomic_long_dec(&tn->curr_estab);
}

/**
 * tcpfsm_set_state() - change a connection's state; the only place that does
 * @sk: the socket, locked by the caller
 * @state: the new state
 * @cause: the event that caused it, recorded with the transition
 *
 * Records the transition in the socket's history ring (last
 * TCPFSM_HISTORY), keeps the counters, and tells observers.  It does not
 * check the table: tcpfsm_fsm_event() does, and the few callers that
 * bypass it (a new connection's first state) know the move is legal.
 */
void tcpfsm_set_state(struct sock *sk, int state, enum tcpfsm_event cause)
{
	struct tcpfsm_history *h = &tcpfsm_sk(sk)->history;
	struct tcpfsm_record *r;
	int from = sk->sk_state;

	r = &h->rec[h->count % TCPFSM_HISTORY];
	r->time_ns = ktime_get_real_ns();
	r->from = from;
	r->to = state;
	r->cause = cause;
	h->count++;

	tcpfsm_count_transition(sock_net(sk), from, state, cause);
	/* Lockless readers (poll, /proc) pair with this store. */
	inet_sk_state_store(sk, state);
	trace_tcpfsm_set_state(sk, sk->sk_protocol, sk->sk_rcv_saddr,
			       htons(sk->sk_num), sk->sk_daddr, sk->sk_dport,
			       from, state, cause);
	tcpfsm_notify_transition(sk, from, state, cause);
}

/**
 * tcpfsm_hand_over() - a TIME_WAIT socket passes its connection to its entry
 * @sk: the socket, locked, in TIME_WAIT, whose entry timewait.c just made
 *
 * The connection lives on in the entry, which records its TIME_WAIT ->
 * CLOSED when it ends; the socket only has to read CLOSED for its release.
 * So this is the one state store besides tcpfsm_set_state(), and it
 * records nothing: no transition of the connection happens here.
 */
void tcpfsm_hand_over(struct sock *sk)
{
	WARN_ON_ONCE(sk->sk_state != TCPFSM_TIME_WAIT);
	inet_sk_state_store(sk, TCPFSM_CLOSED);
}

/**
 * tcpfsm_fsm_event() - apply @ev to @sk through the table
 * @sk: the socket, locked by the caller
 * @ev: what happened
 *
 * Return: the enum tcpfsm_action bits the caller must carry out, or
 * -EPROTO when the table forbids @ev in the current state (the state is
 * left alone).
 */
int tcpfsm_fsm_event(struct sock *sk, enum tcpfsm_event ev)
{
	const struct tcpfsm_transition *t = tcpfsm_fsm_lookup(sk->sk_state, ev);

	if (!t)
		return -EPROTO;
	tcpfsm_set_state(sk, t->next, ev);
	return t->actions;
}
