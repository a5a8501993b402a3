// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the state machine's table (fsm.c) against RFC 9293, and
 * of the TIME_WAIT entries and their reaper (timewait.c).  Built as
 * tcpfsm_kunit.ko when the kernel has KUnit; the suites run when it is
 * loaded, after tcpfsm.ko.
 *
 * In the spirit of smoltcp's tcp.rs tests: one small named case per
 * transition of RFC 9293's diagram (§3.3.2) and per forbidden one that
 * matters, the expectation written out here from the RFC rather than
 * copied from the table, so that a changed cell fails a named case.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/tcp.h>

#include "fsm.h"
#include "tcpfsm.h"
#include "timewait.h"

#define SYN		TCPFSM_ACT_SEND_SYN
#define SYN_ACK		TCPFSM_ACT_SEND_SYN_ACK
#define ACK		TCPFSM_ACT_SEND_ACK
#define FIN		TCPFSM_ACT_SEND_FIN
#define RST		TCPFSM_ACT_SEND_RST
#define TW		TCPFSM_ACT_START_2MSL
#define DONE		TCPFSM_ACT_DONE

/**
 * struct fsm_case - a cell of the table as the RFC has it
 * @state: the state
 * @ev: the event
 * @next: the state after, for a valid cell
 * @actions: enum tcpfsm_action bits, for a valid cell
 * @ref: where the RFC (or Linux) says so
 */
struct fsm_case {
	u8		state;
	u8		ev;
	u8		next;
	u8		actions;
	const char	*ref;
};

#define CELL(s, e, n, a, r) \
	{ TCPFSM_##s, TCPFSM_EV_##e, TCPFSM_##n, (a), (r) }
#define NO(s, e, r) \
	{ TCPFSM_##s, TCPFSM_EV_##e, 0, 0, (r) }

/* Every transition: the table must hold exactly these. */
static const struct fsm_case valid_cases[] = {
	CELL(CLOSED, CONNECT, SYN_SENT, SYN, "3.10.1 active OPEN: send SYN"),
	CELL(CLOSED, LISTEN, LISTEN, 0, "3.10.1 passive OPEN"),

	CELL(LISTEN, RCV_SYN, SYN_RECEIVED, SYN_ACK,
	     "3.10.7.2 SYN: send SYN,ACK, enter SYN-RECEIVED"),
	CELL(LISTEN, CLOSE, CLOSED, DONE, "3.10.4 LISTEN: delete TCB"),
	CELL(LISTEN, ABORT, CLOSED, DONE, "3.10.5 LISTEN: delete TCB"),

	CELL(SYN_SENT, RCV_SYN_ACK, ESTABLISHED, ACK,
	     "3.10.7.3 our SYN acked: enter ESTABLISHED, send ACK"),
	CELL(SYN_SENT, RCV_SYN, SYN_RECEIVED, SYN_ACK,
	     "3.10.7.3 simultaneous open: send SYN,ACK"),
	CELL(SYN_SENT, CLOSE, CLOSED, DONE, "3.10.4 SYN-SENT: delete TCB"),
	CELL(SYN_SENT, ABORT, CLOSED, DONE,
	     "3.10.5 SYN-SENT: delete TCB, no RST"),
	CELL(SYN_SENT, RCV_RST, CLOSED, DONE,
	     "3.10.7.3 acceptable RST: connection reset"),
	CELL(SYN_SENT, TIMEOUT_RETRIES, CLOSED, DONE,
	     "3.8.3 R2 for SYN: give up"),
	CELL(SYN_SENT, ICMP_UNREACH, CLOSED, DONE,
	     "RFC 1122 4.2.3.9 hard error while opening"),

	CELL(SYN_RECEIVED, RCV_ACK, ESTABLISHED, 0,
	     "3.10.7.4 ACK of our SYN: enter ESTABLISHED"),
	CELL(SYN_RECEIVED, RCV_FIN, CLOSE_WAIT, ACK,
	     "3.10.7.4 FIN in SYN-RECEIVED: enter CLOSE-WAIT"),
	CELL(SYN_RECEIVED, CLOSE, FIN_WAIT_1, FIN,
	     "3.10.4 SYN-RECEIVED: send FIN, enter FIN-WAIT-1"),
	CELL(SYN_RECEIVED, ABORT, CLOSED, RST | DONE,
	     "3.10.5 SYN-RECEIVED: send RST"),
	CELL(SYN_RECEIVED, RCV_RST, CLOSED, DONE,
	     "3.10.7.4 RST (our listener never left LISTEN)"),
	CELL(SYN_RECEIVED, TIMEOUT_RETRIES, CLOSED, DONE,
	     "3.8.3 R2 for SYN,ACK: give up"),
	CELL(SYN_RECEIVED, ICMP_UNREACH, CLOSED, DONE,
	     "RFC 1122 4.2.3.9 hard error while opening"),

	CELL(ESTABLISHED, CLOSE, FIN_WAIT_1, FIN,
	     "3.10.4 ESTABLISHED: send FIN, enter FIN-WAIT-1"),
	CELL(ESTABLISHED, RCV_FIN, CLOSE_WAIT, ACK,
	     "3.10.7.4 FIN: ACK it, enter CLOSE-WAIT"),
	CELL(ESTABLISHED, ABORT, CLOSED, RST | DONE,
	     "3.10.5 ESTABLISHED: send RST"),
	CELL(ESTABLISHED, RCV_RST, CLOSED, DONE, "3.10.7.4 RST: reset"),
	CELL(ESTABLISHED, TIMEOUT_RETRIES, CLOSED, DONE,
	     "3.8.3 R2: give up"),

	CELL(FIN_WAIT_1, RCV_ACK_OF_FIN, FIN_WAIT_2, 0,
	     "3.10.7.4 our FIN acked: enter FIN-WAIT-2"),
	CELL(FIN_WAIT_1, RCV_FIN, CLOSING, ACK,
	     "3.10.7.4 simultaneous close: enter CLOSING"),
	CELL(FIN_WAIT_1, RCV_FIN_ACK, TIME_WAIT, ACK | TW,
	     "3.10.7.4 FIN acking our FIN: enter TIME-WAIT"),
	CELL(FIN_WAIT_1, ABORT, CLOSED, RST | DONE,
	     "3.10.5 FIN-WAIT-1: send RST"),
	CELL(FIN_WAIT_1, RCV_RST, CLOSED, DONE, "3.10.7.4 RST: reset"),
	CELL(FIN_WAIT_1, TIMEOUT_RETRIES, CLOSED, DONE,
	     "3.8.3 R2 for our FIN: give up"),

	CELL(FIN_WAIT_2, RCV_FIN, TIME_WAIT, ACK | TW,
	     "3.10.7.4 FIN: enter TIME-WAIT, start 2MSL"),
	CELL(FIN_WAIT_2, TIMEOUT_FIN_WAIT_2, CLOSED, DONE,
	     "Linux tcp_fin_timeout for orphans"),
	CELL(FIN_WAIT_2, ABORT, CLOSED, RST | DONE,
	     "3.10.5 FIN-WAIT-2: send RST"),
	CELL(FIN_WAIT_2, RCV_RST, CLOSED, DONE, "3.10.7.4 RST: reset"),

	CELL(CLOSE_WAIT, CLOSE, LAST_ACK, FIN,
	     "3.10.4 CLOSE-WAIT: send FIN, enter LAST-ACK"),
	CELL(CLOSE_WAIT, ABORT, CLOSED, RST | DONE,
	     "3.10.5 CLOSE-WAIT: send RST"),
	CELL(CLOSE_WAIT, RCV_RST, CLOSED, DONE, "3.10.7.4 RST: reset"),
	CELL(CLOSE_WAIT, TIMEOUT_RETRIES, CLOSED, DONE, "3.8.3 R2: give up"),

	CELL(CLOSING, RCV_ACK_OF_FIN, TIME_WAIT, TW,
	     "3.10.7.4 our FIN acked: enter TIME-WAIT"),
	CELL(CLOSING, ABORT, CLOSED, DONE, "3.10.5 CLOSING: no RST"),
	CELL(CLOSING, RCV_RST, CLOSED, DONE, "3.10.7.4 RST: enter CLOSED"),
	CELL(CLOSING, TIMEOUT_RETRIES, CLOSED, DONE,
	     "3.8.3 R2 for our FIN: give up"),

	CELL(LAST_ACK, RCV_ACK_OF_FIN, CLOSED, DONE,
	     "3.10.7.4 our FIN acked: delete TCB, enter CLOSED"),
	CELL(LAST_ACK, ABORT, CLOSED, DONE, "3.10.5 LAST-ACK: no RST"),
	CELL(LAST_ACK, RCV_RST, CLOSED, DONE, "3.10.7.4 RST: enter CLOSED"),
	CELL(LAST_ACK, TIMEOUT_RETRIES, CLOSED, DONE,
	     "3.8.3 R2 for our FIN: give up"),

	CELL(TIME_WAIT, TIMEOUT_2MSL, CLOSED, DONE,
	     "3.10.8 time-wait timeout: delete TCB"),
	CELL(TIME_WAIT, RCV_SYN, CLOSED, DONE,
	     "3.6.1 / RFC 6191 new SYN reuses the 4-tuple"),
	CELL(TIME_WAIT, ABORT, CLOSED, DONE, "3.10.5 TIME-WAIT: no RST"),
	CELL(TIME_WAIT, TW_DROPPED, CLOSED, DONE,
	     "Linux tcp_time_wait(): no bucket, the socket just closes"),
};

/* Forbidden ones that matter. */
static const struct fsm_case forbidden_cases[] = {
	NO(TIME_WAIT, RCV_RST, "RFC 1337: no TIME-WAIT assassination"),
	NO(TIME_WAIT, RCV_FIN, "3.10.7.4 FIN again: stay, restart 2MSL"),
	NO(TIME_WAIT, CLOSE, "3.10.4 TIME-WAIT: connection closing"),
	NO(TIME_WAIT, CONNECT, "3.10.1 connection already exists"),
	NO(TIME_WAIT, RCV_ACK, "3.10.7.4 TIME-WAIT: nothing but their FIN"),
	NO(LISTEN, RCV_FIN, "3.10.7.2 LISTEN: drop FIN"),
	NO(LISTEN, RCV_ACK, "3.10.7.2 LISTEN: ACK draws RST, stays"),
	NO(LISTEN, RCV_RST, "3.10.7.2 LISTEN: ignore RST"),
	NO(LISTEN, RCV_SYN_ACK, "3.10.7.2 LISTEN: ACK draws RST"),
	NO(LISTEN, CONNECT, "socket API: listener cannot connect"),
	NO(LISTEN, TIMEOUT_RETRIES, "LISTEN sends nothing to retry"),
	NO(CLOSED, RCV_ACK, "3.10.7.1 CLOSED: answer RST, no TCB"),
	NO(CLOSED, RCV_SYN, "3.10.7.1 CLOSED: answer RST, no TCB"),
	NO(CLOSED, RCV_FIN, "3.10.7.1 CLOSED: answer RST, no TCB"),
	NO(CLOSED, RCV_RST, "3.10.7.1 CLOSED: discard RST"),
	NO(CLOSED, CLOSE, "3.10.4 CLOSED: connection does not exist"),
	NO(CLOSED, ABORT, "3.10.5 CLOSED: connection does not exist"),
	NO(CLOSED, TIMEOUT_2MSL, "no TIME-WAIT to end"),
	NO(SYN_SENT, RCV_ACK_OF_FIN, "no FIN sent"),
	NO(SYN_SENT, RCV_FIN, "3.10.7.3 SYN-SENT: drop FIN"),
	NO(SYN_SENT, RCV_ACK, "3.10.7.3 bare ACK: RST if bad, else drop"),
	NO(SYN_SENT, CONNECT, "3.10.1 connection already exists"),
	NO(SYN_SENT, LISTEN, "3.10.1 connection already exists"),
	NO(SYN_RECEIVED, RCV_SYN, "RFC 5961 4.2: challenge ACK"),
	NO(SYN_RECEIVED, RCV_ACK_OF_FIN, "no FIN sent"),
	NO(ESTABLISHED, CONNECT, "3.10.1 connection already exists"),
	NO(ESTABLISHED, LISTEN, "3.10.1 connection already exists"),
	NO(ESTABLISHED, RCV_SYN, "RFC 5961 4.2: challenge ACK, stay"),
	NO(ESTABLISHED, RCV_SYN_ACK, "3.10.7.4 duplicate SYN,ACK: ACK"),
	NO(ESTABLISHED, RCV_ACK_OF_FIN, "no FIN sent"),
	NO(ESTABLISHED, TIMEOUT_2MSL, "not in TIME-WAIT"),
	NO(ESTABLISHED, ICMP_UNREACH, "RFC 1122 4.2.3.9 soft once open"),
	NO(FIN_WAIT_1, CLOSE, "3.10.4 FIN-WAIT-1: no second FIN"),
	NO(FIN_WAIT_2, CLOSE, "3.10.4 FIN-WAIT-2: no second FIN"),
	NO(FIN_WAIT_2, RCV_ACK_OF_FIN, "our FIN already acked"),
	NO(CLOSE_WAIT, RCV_FIN, "3.10.7.4 CLOSE-WAIT: remain"),
	NO(CLOSE_WAIT, TIMEOUT_FIN_WAIT_2, "the peer closed, not us"),
	NO(CLOSE_WAIT, RCV_ACK_OF_FIN, "no FIN sent"),
	NO(CLOSING, CLOSE, "3.10.4 CLOSING: connection closing"),
	NO(CLOSING, RCV_FIN, "3.10.7.4 CLOSING: remain"),
	NO(LAST_ACK, CLOSE, "3.10.4 LAST-ACK: connection closing"),
	NO(LAST_ACK, RCV_FIN, "3.10.7.4 LAST-ACK: remain"),
	NO(LAST_ACK, RCV_FIN_ACK, "peer's FIN came before: CLOSE-WAIT path"),
	NO(ESTABLISHED, NONE, "no event"),
};

static const char *const action_names[] = {
	"SYN", "SYN_ACK", "ACK", "FIN", "RST", "2MSL", "DONE",
};

static void actions_str(u8 actions, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(action_names); i++)
		if (actions & BIT(i))
			n += scnprintf(buf + n, len - n, "%s%s", n ? "|" : "",
				       action_names[i]);
	if (!n)
		scnprintf(buf, len, "-");
}

static void valid_desc(const struct fsm_case *c, char *desc)
{
	char act[48];

	actions_str(c->actions, act, sizeof(act));
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s + %s -> %s (%s)",
		 tcpfsm_state_name(c->state), tcpfsm_event_name(c->ev),
		 tcpfsm_state_name(c->next), act);
}

static void forbidden_desc(const struct fsm_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s + %s forbidden",
		 tcpfsm_state_name(c->state), tcpfsm_event_name(c->ev));
}

KUNIT_ARRAY_PARAM(valid, valid_cases, valid_desc);
KUNIT_ARRAY_PARAM(forbidden, forbidden_cases, forbidden_desc);

static void fsm_transition(struct kunit *test)
{
	const struct fsm_case *c = test->param_value;
	const struct tcpfsm_transition *t = tcpfsm_fsm_lookup(c->state, c->ev);

	KUNIT_ASSERT_NOT_NULL_MSG(test, t, "forbidden, but RFC 9293 %s",
				  c->ref);
	KUNIT_EXPECT_STREQ_MSG(test, tcpfsm_state_name(t->next),
			       tcpfsm_state_name(c->next), "%s", c->ref);
	KUNIT_EXPECT_EQ_MSG(test, t->actions, c->actions, "%s", c->ref);
}

static void fsm_forbidden(struct kunit *test)
{
	const struct fsm_case *c = test->param_value;

	KUNIT_EXPECT_NULL_MSG(test, tcpfsm_fsm_lookup(c->state, c->ev),
			      "allowed, but %s", c->ref);
}

static bool in_valid_cases(int state, int ev)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(valid_cases); i++)
		if (valid_cases[i].state == state && valid_cases[i].ev == ev)
			return true;
	return false;
}

/* The table allows nothing the cases above do not name. */
static void fsm_no_unlisted_cell(struct kunit *test)
{
	int s, e;

	for (s = 0; s < TCPFSM_NSTATES; s++)
		for (e = 0; e < TCPFSM_NEVENTS; e++)
			if (!in_valid_cases(s, e))
				KUNIT_EXPECT_NULL_MSG(test,
						      tcpfsm_fsm_lookup(s, e),
						      "untested cell %s + %s",
						      tcpfsm_state_name(s),
						      tcpfsm_event_name(e));
}

static void fsm_lookup_out_of_range(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, tcpfsm_fsm_lookup(-1, TCPFSM_EV_CLOSE));
	KUNIT_EXPECT_NULL(test, tcpfsm_fsm_lookup(TCPFSM_NSTATES,
						  TCPFSM_EV_CLOSE));
	KUNIT_EXPECT_NULL(test, tcpfsm_fsm_lookup(TCPFSM_ESTABLISHED,
						  TCPFSM_NEVENTS));
	/* 0 is no state: TCP_ESTABLISHED is 1. */
	KUNIT_EXPECT_NULL(test, tcpfsm_fsm_lookup(0, TCPFSM_EV_CONNECT));
}

/* States reachable from @from; @stop: do not go on from CLOSED. */
static void fsm_reach(int from, bool stop, int skip_ev,
		      bool seen[TCPFSM_NSTATES])
{
	int queue[TCPFSM_NSTATES], head = 0, tail = 0, s, e;
	const struct tcpfsm_transition *t;

	memset(seen, 0, TCPFSM_NSTATES * sizeof(bool));
	seen[from] = true;
	queue[tail++] = from;
	while (head < tail) {
		s = queue[head++];
		if (stop && s == TCPFSM_CLOSED && s != from)
			continue;
		for (e = 0; e < TCPFSM_NEVENTS; e++) {
			t = tcpfsm_fsm_lookup(s, e);
			if (!t || e == skip_ev || seen[t->next])
				continue;
			seen[t->next] = true;
			queue[tail++] = t->next;
		}
	}
}

static const int all_states[] = {
	TCPFSM_LISTEN, TCPFSM_SYN_SENT, TCPFSM_SYN_RECEIVED,
	TCPFSM_ESTABLISHED, TCPFSM_FIN_WAIT_1, TCPFSM_FIN_WAIT_2,
	TCPFSM_CLOSE_WAIT, TCPFSM_CLOSING, TCPFSM_LAST_ACK,
	TCPFSM_TIME_WAIT, TCPFSM_CLOSED,
};

static void fsm_all_reachable_from_closed(struct kunit *test)
{
	bool seen[TCPFSM_NSTATES];
	int i;

	fsm_reach(TCPFSM_CLOSED, false, -1, seen);
	for (i = 0; i < ARRAY_SIZE(all_states); i++)
		KUNIT_EXPECT_TRUE_MSG(test, seen[all_states[i]],
				      "%s unreachable from CLOSED",
				      tcpfsm_state_name(all_states[i]));
}

static void fsm_closed_reachable_from_all(struct kunit *test)
{
	bool seen[TCPFSM_NSTATES];
	int i;

	for (i = 0; i < ARRAY_SIZE(all_states); i++) {
		fsm_reach(all_states[i], true, -1, seen);
		KUNIT_EXPECT_TRUE_MSG(test, seen[TCPFSM_CLOSED],
				      "no way from %s to CLOSED",
				      tcpfsm_state_name(all_states[i]));
	}
}

/*
 * Only the active closer reaches TIME_WAIT: within one connection (not
 * going on from CLOSED) nothing leads there from CLOSE_WAIT or LAST_ACK,
 * and from an open connection nothing does without our CLOSE.
 */
static void fsm_only_active_closer_time_wait(struct kunit *test)
{
	static const int passive[] = { TCPFSM_CLOSE_WAIT, TCPFSM_LAST_ACK };
	static const int open[] = {
		TCPFSM_CLOSED, TCPFSM_LISTEN, TCPFSM_SYN_SENT,
		TCPFSM_SYN_RECEIVED, TCPFSM_ESTABLISHED,
	};
	bool seen[TCPFSM_NSTATES];
	int i;

	for (i = 0; i < ARRAY_SIZE(passive); i++) {
		fsm_reach(passive[i], true, -1, seen);
		KUNIT_EXPECT_FALSE_MSG(test, seen[TCPFSM_TIME_WAIT],
				       "passive closer %s reaches TIME_WAIT",
				       tcpfsm_state_name(passive[i]));
	}
	for (i = 0; i < ARRAY_SIZE(open); i++) {
		fsm_reach(open[i], true, TCPFSM_EV_CLOSE, seen);
		KUNIT_EXPECT_FALSE_MSG(test, seen[TCPFSM_TIME_WAIT],
				       "%s reaches TIME_WAIT without CLOSE",
				       tcpfsm_state_name(open[i]));
	}
}

/* Invariants of the actions, over every cell. */
static void fsm_action_invariants(struct kunit *test)
{
	const struct tcpfsm_transition *t;
	int s, e;

	for (s = 0; s < TCPFSM_NSTATES; s++) {
		for (e = 0; e < TCPFSM_NEVENTS; e++) {
			t = tcpfsm_fsm_lookup(s, e);
			if (!t)
				continue;
			/* Into TIME_WAIT only by handing over to an entry,
			 * only from where our FIN is out.
			 */
			KUNIT_EXPECT_EQ_MSG(test, t->next == TCPFSM_TIME_WAIT,
					    !!(t->actions & TW), "%s + %s",
					    tcpfsm_state_name(s),
					    tcpfsm_event_name(e));
			if (t->next == TCPFSM_TIME_WAIT)
				KUNIT_EXPECT_TRUE_MSG(test,
						      s == TCPFSM_FIN_WAIT_1 ||
						      s == TCPFSM_FIN_WAIT_2 ||
						      s == TCPFSM_CLOSING,
						      "TIME_WAIT from %s",
						      tcpfsm_state_name(s));
			/* A connection ends exactly when it reaches CLOSED. */
			KUNIT_EXPECT_EQ_MSG(test, t->next == TCPFSM_CLOSED,
					    !!(t->actions & DONE), "%s + %s",
					    tcpfsm_state_name(s),
					    tcpfsm_event_name(e));
			/* An RST ends it. */
			if (t->actions & RST)
				KUNIT_EXPECT_TRUE(test, t->actions & DONE);
			/* One FIN per connection: from where none was sent. */
			if (t->actions & FIN)
				KUNIT_EXPECT_TRUE_MSG(test,
						      s == TCPFSM_SYN_RECEIVED ||
						      s == TCPFSM_ESTABLISHED ||
						      s == TCPFSM_CLOSE_WAIT,
						      "FIN from %s",
						      tcpfsm_state_name(s));
			/* A SYN only from CLOSED. */
			if (t->actions & SYN)
				KUNIT_EXPECT_EQ(test, s, TCPFSM_CLOSED);
		}
	}
}

/* Walk @n events from @from, expecting @states after each. */
static void fsm_path(struct kunit *test, int from, const int *events,
		     const int *states, int n)
{
	const struct tcpfsm_transition *t;
	int s = from, i;

	for (i = 0; i < n; i++) {
		t = tcpfsm_fsm_lookup(s, events[i]);
		KUNIT_ASSERT_NOT_NULL_MSG(test, t, "%s + %s forbidden",
					  tcpfsm_state_name(s),
					  tcpfsm_event_name(events[i]));
		KUNIT_EXPECT_STREQ(test, tcpfsm_state_name(t->next),
				   tcpfsm_state_name(states[i]));
		s = t->next;
	}
}

#define PATH(test, from, ev, st) do {				\
	BUILD_BUG_ON(ARRAY_SIZE(ev) != ARRAY_SIZE(st));		\
	fsm_path(test, from, ev, st, ARRAY_SIZE(ev));		\
} while (0)

/* RFC 9293 Figure 7: the client opens and closes first. */
static void fsm_path_active_open_active_close(struct kunit *test)
{
	static const int ev[] = {
		TCPFSM_EV_CONNECT, TCPFSM_EV_RCV_SYN_ACK, TCPFSM_EV_CLOSE,
		TCPFSM_EV_RCV_ACK_OF_FIN, TCPFSM_EV_RCV_FIN,
		TCPFSM_EV_TIMEOUT_2MSL,
	};
	static const int st[] = {
		TCPFSM_SYN_SENT, TCPFSM_ESTABLISHED, TCPFSM_FIN_WAIT_1,
		TCPFSM_FIN_WAIT_2, TCPFSM_TIME_WAIT, TCPFSM_CLOSED,
	};

	PATH(test, TCPFSM_CLOSED, ev, st);
}

/* The server's side of it: the passive closer never sees TIME_WAIT. */
static void fsm_path_passive_open_passive_close(struct kunit *test)
{
	static const int ev[] = {
		TCPFSM_EV_RCV_SYN, TCPFSM_EV_RCV_ACK, TCPFSM_EV_RCV_FIN,
		TCPFSM_EV_CLOSE, TCPFSM_EV_RCV_ACK_OF_FIN,
	};
	static const int st[] = {
		TCPFSM_SYN_RECEIVED, TCPFSM_ESTABLISHED, TCPFSM_CLOSE_WAIT,
		TCPFSM_LAST_ACK, TCPFSM_CLOSED,
	};

	PATH(test, TCPFSM_LISTEN, ev, st);
}

/* RFC 9293 Figure 8. */
static void fsm_path_simultaneous_open(struct kunit *test)
{
	static const int ev[] = {
		TCPFSM_EV_CONNECT, TCPFSM_EV_RCV_SYN, TCPFSM_EV_RCV_ACK,
	};
	static const int st[] = {
		TCPFSM_SYN_SENT, TCPFSM_SYN_RECEIVED, TCPFSM_ESTABLISHED,
	};

	PATH(test, TCPFSM_CLOSED, ev, st);
}

/* RFC 9293 Figure 13: both get to TIME_WAIT through CLOSING. */
static void fsm_path_simultaneous_close(struct kunit *test)
{
	static const int ev[] = {
		TCPFSM_EV_CLOSE, TCPFSM_EV_RCV_FIN, TCPFSM_EV_RCV_ACK_OF_FIN,
		TCPFSM_EV_TIMEOUT_2MSL,
	};
	static const int st[] = {
		TCPFSM_FIN_WAIT_1, TCPFSM_CLOSING, TCPFSM_TIME_WAIT,
		TCPFSM_CLOSED,
	};

	PATH(test, TCPFSM_ESTABLISHED, ev, st);
}

/* RFC 9293 Figure 13's shortcut: their FIN acknowledges ours. */
static void fsm_path_fin_acking_fin(struct kunit *test)
{
	static const int ev[] = {
		TCPFSM_EV_CLOSE, TCPFSM_EV_RCV_FIN_ACK, TCPFSM_EV_TIMEOUT_2MSL,
	};
	static const int st[] = {
		TCPFSM_FIN_WAIT_1, TCPFSM_TIME_WAIT, TCPFSM_CLOSED,
	};

	PATH(test, TCPFSM_ESTABLISHED, ev, st);
}

static void fsm_state_names(struct kunit *test)
{
	static const struct {
		int		state;
		const char	*name;
	} names[] = {
		{ TCPFSM_LISTEN,	"LISTEN" },
		{ TCPFSM_SYN_SENT,	"SYN_SENT" },
		{ TCPFSM_SYN_RECEIVED,	"SYN_RECEIVED" },
		{ TCPFSM_ESTABLISHED,	"ESTABLISHED" },
		{ TCPFSM_FIN_WAIT_1,	"FIN_WAIT_1" },
		{ TCPFSM_FIN_WAIT_2,	"FIN_WAIT_2" },
		{ TCPFSM_CLOSE_WAIT,	"CLOSE_WAIT" },
		{ TCPFSM_CLOSING,	"CLOSING" },
		{ TCPFSM_LAST_ACK,	"LAST_ACK" },
		{ TCPFSM_TIME_WAIT,	"TIME_WAIT" },
		{ TCPFSM_CLOSED,	"CLOSED" },
	};
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(names) != TCPFSM_NSTATES - 1);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		KUNIT_EXPECT_STREQ(test, tcpfsm_state_name(names[i].state),
				   names[i].name);
	KUNIT_EXPECT_STREQ(test, tcpfsm_state_name(0), "UNKNOWN");
	KUNIT_EXPECT_STREQ(test, tcpfsm_state_name(-1), "UNKNOWN");
	KUNIT_EXPECT_STREQ(test, tcpfsm_state_name(TCPFSM_NSTATES), "UNKNOWN");
}

static void fsm_event_names(struct kunit *test)
{
	int i, j;

	for (i = 0; i < TCPFSM_NEVENTS; i++) {
		KUNIT_ASSERT_NOT_NULL(test, tcpfsm_event_name(i));
		KUNIT_EXPECT_STRNEQ(test, tcpfsm_event_name(i), "unknown");
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, tcpfsm_event_name(i),
					    tcpfsm_event_name(j));
	}
	KUNIT_EXPECT_STREQ(test, tcpfsm_event_name(TCPFSM_NEVENTS), "unknown");
}

static struct kunit_case tcpfsm_fsm_cases[] = {
	KUNIT_CASE_PARAM(fsm_transition, valid_gen_params),
	KUNIT_CASE_PARAM(fsm_forbidden, forbidden_gen_params),
	KUNIT_CASE(fsm_no_unlisted_cell),
	KUNIT_CASE(fsm_lookup_out_of_range),
	KUNIT_CASE(fsm_all_reachable_from_closed),
	KUNIT_CASE(fsm_closed_reachable_from_all),
	KUNIT_CASE(fsm_only_active_closer_time_wait),
	KUNIT_CASE(fsm_action_invariants),
	KUNIT_CASE(fsm_path_active_open_active_close),
	KUNIT_CASE(fsm_path_passive_open_passive_close),
	KUNIT_CASE(fsm_path_simultaneous_open),
	KUNIT_CASE(fsm_path_simultaneous_close),
	KUNIT_CASE(fsm_path_fin_acking_fin),
	KUNIT_CASE(fsm_state_names),
	KUNIT_CASE(fsm_event_names),
	{}
};

static struct kunit_suite tcpfsm_fsm_suite = {
	.name = "tcpfsm_fsm",
	.test_cases = tcpfsm_fsm_cases,
};

/*
 * TIME_WAIT.  Each case gets a reaper of its own, on init_net (whose
 * counters tcpfsm.ko keeps), with entries on TEST-NET addresses.  Times
 * are generous: the debug kernel may run under TCG.
 */

/**
 * struct tw_case - a segment and what TIME_WAIT must do with it
 * @name: the case
 * @rcv_nxt: the entry's RCV.NXT
 * @seq: SEG.SEQ
 * @len: payload length
 * @flags: TCPHDR_*
 * @verdict: enum tcpfsm_tw_verdict
 */
struct tw_case {
	const char	*name;
	u32		rcv_nxt;
	u32		seq;
	u32		len;
	u8		flags;
	u8		verdict;
};

#define F_ACK	TCPHDR_ACK
#define F_SYN	TCPHDR_SYN
#define F_FIN	TCPHDR_FIN
#define F_RST	TCPHDR_RST

static const struct tw_case tw_cases[] = {
	{ "retransmitted FIN: ACK, restart 2MSL", 1000, 999, 0,
	  F_FIN | F_ACK, TCPFSM_TW_FIN_ACK },
	{ "retransmitted data+FIN: ACK, restart 2MSL", 1000, 990, 9,
	  F_FIN | F_ACK, TCPFSM_TW_FIN_ACK },
	{ "RST at RCV.NXT ignored (RFC 1337)", 1000, 1000, 0, F_RST,
	  TCPFSM_TW_DROP },
	{ "RST+ACK ignored (RFC 1337)", 1000, 1000, 0, F_RST | F_ACK,
	  TCPFSM_TW_DROP },
	{ "RST out of window ignored", 1000, 5, 0, F_RST, TCPFSM_TW_DROP },
	{ "SYN+RST ignored", 1000, 2000, 0, F_SYN | F_RST, TCPFSM_TW_DROP },
	{ "bare ACK at RCV.NXT: nothing", 1000, 1000, 0, F_ACK,
	  TCPFSM_TW_DROP },
	{ "data at RCV.NXT: ACK", 1000, 1000, 10, F_ACK, TCPFSM_TW_ACK },
	{ "new FIN past RCV.NXT: ACK", 1000, 1000, 0, F_FIN | F_ACK,
	  TCPFSM_TW_ACK },
	{ "FIN without ACK: ACK, no restart", 1000, 999, 0, F_FIN,
	  TCPFSM_TW_ACK },
	{ "old ACK: rate-limited ACK", 1000, 999, 0, F_ACK,
	  TCPFSM_TW_ACK_LIMITED },
	{ "future ACK: rate-limited ACK", 1000, 5000, 0, F_ACK,
	  TCPFSM_TW_ACK_LIMITED },
	{ "new SYN above RCV.NXT: reuse", 1000, 1001, 0, F_SYN,
	  TCPFSM_TW_REUSE },
	{ "new SYN across the wrap: reuse", 0xfffffff0, 0x10, 0, F_SYN,
	  TCPFSM_TW_REUSE },
	{ "old SYN below RCV.NXT: ACK", 1000, 0, 0, F_SYN,
	  TCPFSM_TW_ACK_LIMITED },
	{ "SYN at RCV.NXT: ACK", 1000, 1000, 0, F_SYN,
	  TCPFSM_TW_ACK_LIMITED },
	{ "SYN+ACK above RCV.NXT: ACK, no reuse", 1000, 1001, 0,
	  F_SYN | F_ACK, TCPFSM_TW_ACK_LIMITED },
};

static void tw_case_desc(const struct tw_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(tw_seg, tw_cases, tw_case_desc);

static void tw_decide(struct kunit *test)
{
	const struct tw_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, tcpfsm_tw_decide(c->rcv_nxt, c->seq, c->len,
					       c->flags), c->verdict);
}

static void tw_entry_size(struct kunit *test)
{
	kunit_info(test, "struct tcpfsm_tw: %zu bytes\n",
		   sizeof(struct tcpfsm_tw));
	KUNIT_EXPECT_LE(test, sizeof(struct tcpfsm_tw), 128);
	/* 80 bytes, then the move into TIME_WAIT that conn-get reports. */
	KUNIT_EXPECT_LE(test, sizeof(struct tcpfsm_tw), 96);
}

static int tw_test_init(struct kunit *test)
{
	test->priv = tcpfsm_tw_reaper_create(&init_net);
	return test->priv ? 0 : -ENOMEM;
}

static void tw_test_exit(struct kunit *test)
{
	tcpfsm_tw_reaper_destroy(test->priv);
}

/* 192.0.2.1:port -> 198.51.100.1:80 */
static struct tcpfsm_tw_key tw_key(u16 port)
{
	struct tcpfsm_tw_key key = {
		.saddr	= htonl(0xc0000201),
		.daddr	= htonl(0xc6336401),
		.sport	= htons(port),
		.dport	= htons(80),
	};

	return key;
}

static bool tw_found(struct tcpfsm_tw_reaper *r,
		     const struct tcpfsm_tw_key *key)
{
	bool found;

	rcu_read_lock();
	found = tcpfsm_tw_find(r, key);
	rcu_read_unlock();
	return found;
}

static bool tw_present(struct tcpfsm_tw_reaper *r, u16 port)
{
	struct tcpfsm_tw_key key = tw_key(port);

	return tw_found(r, &key);
}

/* Wait up to @ms for the reaper to be down to @count entries. */
static bool tw_wait_count(struct tcpfsm_tw_reaper *r, long count,
			  unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (READ_ONCE(r->count) != count) {
		if (time_after(jiffies, end))
			return false;
		msleep(20);
	}
	return true;
}

static void tw_insert_find(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key key = tw_key(10000);
	struct tcpfsm_tw *tw;

	KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &key, 111, 222, 100000,
					       60000, false), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(r->count), 1);
	rcu_read_lock();
	tw = tcpfsm_tw_find(r, &key);
	KUNIT_EXPECT_NOT_NULL(test, tw);
	if (tw) {
		KUNIT_EXPECT_EQ(test, tw->snd_nxt, 111);
		KUNIT_EXPECT_EQ(test, tw->rcv_nxt, 222);
		KUNIT_EXPECT_EQ(test, tw->rcv_wnd, U16_MAX);
		KUNIT_EXPECT_EQ(test, tw->dur_ms, 60000);
	}
	rcu_read_unlock();
	/* The other direction is another 4-tuple. */
	swap(key.saddr, key.daddr);
	swap(key.sport, key.dport);
	KUNIT_EXPECT_FALSE(test, tw_found(r, &key));

	/* Same 4-tuple again: replaced, not doubled. */
	key = tw_key(10000);
	KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &key, 333, 444, 0, 60000,
					       false),
			0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(r->count), 1);
	rcu_read_lock();
	tw = tcpfsm_tw_find(r, &key);
	KUNIT_EXPECT_TRUE(test, tw && tw->snd_nxt == 333);
	rcu_read_unlock();
}

static void tw_port_busy(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key key = tw_key(10000);
	__be32 a1 = key.saddr, a2 = htonl(0xc0000202);
	__be16 p = key.sport, q = htons(10001);

	KUNIT_EXPECT_FALSE(test, tcpfsm_tw_port_held(r, 0, p, false));
	KUNIT_ASSERT_EQ(test,
			tcpfsm_tw_insert(r, &key, 1, 1, 0, 60000, false), 0);
	key.dport = htons(81);
	KUNIT_ASSERT_EQ(test,
			tcpfsm_tw_insert(r, &key, 1, 1, 0, 60000, false), 0);
	KUNIT_EXPECT_TRUE(test, tcpfsm_tw_port_held(r, 0, p, false));
	KUNIT_EXPECT_TRUE(test, tcpfsm_tw_port_held(r, a1, p, false));
	KUNIT_EXPECT_FALSE(test, tcpfsm_tw_port_held(r, a2, p, false));
	KUNIT_EXPECT_FALSE(test, tcpfsm_tw_port_held(r, 0, q, false));
	KUNIT_EXPECT_FALSE(test, tcpfsm_tw_port_held(r, a1, q, false));

	/* An entry on the wildcard address overlaps every address. */
	key = tw_key(10001);
	key.saddr = 0;
	KUNIT_ASSERT_EQ(test,
			tcpfsm_tw_insert(r, &key, 1, 1, 0, 60000, false), 0);
	KUNIT_EXPECT_TRUE(test, tcpfsm_tw_port_held(r, a2, q, false));
}

/* SO_REUSEADDR binds over an entry only if the closed socket had it too. */
static void tw_port_reuse(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key key = tw_key(10000);

	KUNIT_ASSERT_EQ(test,
			tcpfsm_tw_insert(r, &key, 1, 1, 0, 60000, false), 0);
	KUNIT_EXPECT_TRUE(test, tcpfsm_tw_port_held(r, 0, key.sport, true));
	key = tw_key(10001);
	KUNIT_ASSERT_EQ(test,
			tcpfsm_tw_insert(r, &key, 1, 1, 0, 60000, true), 0);
	KUNIT_EXPECT_FALSE(test, tcpfsm_tw_port_held(r, 0, key.sport, true));
	KUNIT_EXPECT_TRUE(test, tcpfsm_tw_port_held(r, 0, key.sport, false));
}

static void tw_reaped_after_2msl(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key key = tw_key(10000);

	KUNIT_ASSERT_EQ(test,
			tcpfsm_tw_insert(r, &key, 1, 1, 0, 100, false), 0);
	KUNIT_EXPECT_TRUE(test, tw_present(r, 10000));
	KUNIT_EXPECT_TRUE(test, tcpfsm_tw_port_held(r, 0, key.sport, false));
	KUNIT_ASSERT_TRUE(test, tw_wait_count(r, 0, 10000));
	KUNIT_EXPECT_FALSE(test, tw_present(r, 10000));
	KUNIT_EXPECT_FALSE(test, tcpfsm_tw_port_held(r, 0, key.sport, false));
	KUNIT_EXPECT_GE(test, READ_ONCE(r->runs), 1ULL);
	kunit_info(test, "runs %llu, lateness max %llu ns\n",
		   READ_ONCE(r->runs), READ_ONCE(r->lateness_max_ns));
}

/*
 * msl_ms lowered: a shorter entry after a longer one goes on another
 * queue and is reaped first, the longer one staying.
 */
static void tw_shorter_msl_first(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key a = tw_key(10000), b = tw_key(10001);
	struct tcpfsm_tw *ta, *tb;

	KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &a, 1, 1, 0, 60000, false), 0);
	KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &b, 1, 1, 0, 100, false), 0);
	rcu_read_lock();
	ta = tcpfsm_tw_find(r, &a);
	tb = tcpfsm_tw_find(r, &b);
	KUNIT_EXPECT_TRUE(test, ta && tb && ta->queue != tb->queue);
	rcu_read_unlock();
	KUNIT_EXPECT_LE(test, READ_ONCE(r->armed), ktime_add_ms(ktime_get(),
								 100));

	KUNIT_ASSERT_TRUE(test, tw_wait_count(r, 1, 10000));
	KUNIT_EXPECT_TRUE(test, tw_present(r, 10000));
	KUNIT_EXPECT_FALSE(test, tw_present(r, 10001));
}

/* More distinct durations, each shorter, than queues: still in order. */
static void tw_more_durations_than_queues(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw *tw, *prev;
	struct tcpfsm_tw_key key;
	int i, q;

	for (i = 0; i < 2 * TCPFSM_TW_NQUEUES; i++) {
		key = tw_key(10000 + i);
		KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &key, 1, 1, 0,
						       60000 - 1000 * i, false), 0);
	}
	spin_lock_bh(&r->lock);
	for (q = 0; q < TCPFSM_TW_NQUEUES; q++) {
		prev = NULL;
		list_for_each_entry(tw, &r->queue[q], fifo) {
			KUNIT_EXPECT_EQ(test, (int)tw->queue, q);
			if (prev)
				KUNIT_EXPECT_LE(test, prev->deadline,
						tw->deadline);
			prev = tw;
		}
	}
	spin_unlock_bh(&r->lock);
	KUNIT_EXPECT_EQ(test, READ_ONCE(r->count), 2 * TCPFSM_TW_NQUEUES);
}

/* Their FIN again restarts 2 MSL. */
static void tw_fin_restarts_2msl(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key key = tw_key(10000);
	ktime_t before = 0, after = 0;
	struct tcpfsm_tw *tw;
	bool present;

	KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &key, 1, 1, 0, 3000, false), 0);
	msleep(1000);
	rcu_read_lock();
	tw = tcpfsm_tw_find(r, &key);
	if (tw) {
		before = tw->deadline;
		tcpfsm_tw_restart(r, tw);
		after = tw->deadline;
	}
	rcu_read_unlock();
	KUNIT_ASSERT_NE(test, before, 0);
	KUNIT_EXPECT_GE(test, ktime_sub(after, before),
			900 * NSEC_PER_MSEC);
	/* Past the first deadline, before the second: still there. */
	msleep(2500);
	present = tw_present(r, 10000);
	if (ktime_get() >= after)
		kunit_skip(test, "slept past the new deadline too");
	KUNIT_EXPECT_GT(test, ktime_get(), before);
	KUNIT_EXPECT_TRUE(test, present);
	KUNIT_EXPECT_TRUE(test, tw_wait_count(r, 0, 10000));
}

static struct sk_buff *tw_segment(u32 seq, u8 flags)
{
	struct sk_buff *skb = alloc_skb(sizeof(struct tcphdr), GFP_KERNEL);
	struct tcphdr *th;

	if (!skb)
		return NULL;
	th = skb_put_zero(skb, sizeof(*th));
	th->doff = sizeof(*th) / 4;
	th->seq = htonl(seq);
	tcp_flag_byte(th) = flags;
	return skb;
}

/* tcpfsm_tw_rcv() on segments that draw no reply. */
static void tw_rcv_rst_and_syn(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key key = tw_key(10000);
	struct sk_buff *skb;
	struct tcpfsm_tw *tw;
	int ret;

	KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &key, 0xfffff000, 500, 0,
					       60000, false), 0);

	/* RFC 1337: an RST, even at RCV.NXT, changes nothing. */
	skb = tw_segment(500, TCPHDR_RST | TCPHDR_ACK);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	rcu_read_lock();
	tw = tcpfsm_tw_find(r, &key);
	ret = tw ? tcpfsm_tw_rcv(r, tw, skb) : -1;
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, tw_present(r, 10000));

	/* The duplicate ACK of our FIN: consumed, nothing said. */
	skb = tw_segment(500, TCPHDR_ACK);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	rcu_read_lock();
	tw = tcpfsm_tw_find(r, &key);
	ret = tw ? tcpfsm_tw_rcv(r, tw, skb) : -1;
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, tw_present(r, 10000));

	/* A new SYN: the entry goes, the SYN is the listener's. */
	skb = tw_segment(501, TCPHDR_SYN);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	rcu_read_lock();
	tw = tcpfsm_tw_find(r, &key);
	ret = tw ? tcpfsm_tw_rcv(r, tw, skb) : -1;
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ret, TCPFSM_TW_SYN_REUSE);
	KUNIT_EXPECT_FALSE(test, tw_present(r, 10000));
	KUNIT_EXPECT_EQ(test, READ_ONCE(r->count), 0);
	KUNIT_EXPECT_FALSE(test, tcpfsm_tw_port_held(r, 0, key.sport, false));
	/* Above the old sequence space, across the wrap, never 0. */
	KUNIT_EXPECT_EQ(test, tcpfsm_tw_syn_isn(skb), 0xfffff000 + 65537);
	kfree_skb(skb);
}

/*
 * 100000 at once: bounded runs (at most 512 each), all reaped.  They are
 * due 200 ms after insertion, so the reaper runs while entries are still
 * being added, as it does under a connection storm.
 */
static void tw_batched_reaping(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key key;
	const int n = 100000;
	u64 sum;
	int i;

	for (i = 0; i < n; i++) {
		key = tw_key(1024 + i % 60000);
		key.daddr = htonl(0xc6336400 + i / 60000);
		KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &key, 1, 1, 0, 200, false),
				0);
		if (!(i % 1000))
			cond_resched();
	}
	KUNIT_ASSERT_TRUE(test, tw_wait_count(r, 0, 300000));
	KUNIT_EXPECT_GE(test, READ_ONCE(r->runs), (u64)DIV_ROUND_UP(n, 512));
	/* Every entry in the lateness histogram; the runs' time adds up. */
	for (i = 0, sum = 0; i < ARRAY_SIZE(r->late_hist); i++)
		sum += READ_ONCE(r->late_hist[i]);
	KUNIT_EXPECT_EQ(test, sum, (u64)n);
	KUNIT_EXPECT_GT(test, READ_ONCE(r->run_max_ns), 0ULL);
	KUNIT_EXPECT_GE(test, READ_ONCE(r->run_total_ns),
			READ_ONCE(r->run_max_ns));
	/* Runs over 1 ms are counted: none unless the longest was one. */
	KUNIT_EXPECT_EQ(test, READ_ONCE(r->runs_over_1ms) > 0,
			div_u64(READ_ONCE(r->run_max_ns), NSEC_PER_USEC) >
			USEC_PER_MSEC);
	KUNIT_EXPECT_LE(test, READ_ONCE(r->runs_over_1ms), READ_ONCE(r->runs));
	/* The longest run is one of the runs: within the batch bound. */
	KUNIT_EXPECT_LE(test, READ_ONCE(r->run_max_entries), 512ULL);
	kunit_info(test, "%d entries: %llu runs, longest %llu us (%llu entries), lateness max %llu us\n",
		   n, READ_ONCE(r->runs), READ_ONCE(r->run_max_ns) / 1000,
		   READ_ONCE(r->run_max_entries),
		   READ_ONCE(r->lateness_max_ns) / 1000);
}

/* Each lateness lands in the bucket whose bound is the first >= it. */
static void tw_late_buckets(struct kunit *test)
{
	static const struct {
		u64 late_ns;
		int bucket;
	} cases[] = {
		{ 0, 0 }, { 10000, 0 }, { 10001, 1 }, { 20000, 1 },
		{ 20001, 2 }, { 100000, 3 }, { 999999, 6 }, { 1000000, 6 },
		{ 1000001, 7 }, { 10000000, 9 }, { 100000000, 12 },
		{ 100000001, 13 }, { 60ULL * NSEC_PER_SEC, 13 },
	};
	struct tcpfsm_tw_reaper *r = test->priv;
	int i, j;

	KUNIT_ASSERT_EQ(test, ARRAY_SIZE(r->late_hist), 14);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(r->late_hist, 0, sizeof(r->late_hist));
		tcpfsm_tw_count_late(r, cases[i].late_ns);
		for (j = 0; j < ARRAY_SIZE(r->late_hist); j++)
			KUNIT_EXPECT_EQ_MSG(test, r->late_hist[j],
					    (u64)(j == cases[i].bucket),
					    "lateness %llu ns, bucket %d",
					    cases[i].late_ns, j);
	}
}

/*
 * Netns teardown with a big table: everything freed, in batches.  20000
 * keeps the debug kernel under TCG to seconds; 100000 took 90 s there.
 */
static void tw_teardown_many(struct kunit *test)
{
	struct tcpfsm_tw_reaper *r = test->priv;
	struct tcpfsm_tw_key key;
	const int n = 20000;
	ktime_t t0;
	int i;

	for (i = 0; i < n; i++) {
		key = tw_key(1024 + i % 60000);
		key.daddr = htonl(0xc6336400 + i / 60000);
		KUNIT_ASSERT_EQ(test, tcpfsm_tw_insert(r, &key, 1, 1, 0,
						       600000, false), 0);
		if (!(i % 1000))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, READ_ONCE(r->count), n);
	t0 = ktime_get();
	tcpfsm_tw_reaper_destroy(r);
	test->priv = NULL;
	kunit_info(test, "%d entries freed in %lld ms\n", n,
		   ktime_ms_delta(ktime_get(), t0));
}

static struct kunit_case tcpfsm_tw_cases[] = {
	KUNIT_CASE_PARAM(tw_decide, tw_seg_gen_params),
	KUNIT_CASE(tw_entry_size),
	KUNIT_CASE(tw_late_buckets),
	KUNIT_CASE(tw_insert_find),
	KUNIT_CASE(tw_port_busy),
	KUNIT_CASE(tw_port_reuse),
	KUNIT_CASE(tw_reaped_after_2msl),
	KUNIT_CASE(tw_shorter_msl_first),
	KUNIT_CASE(tw_more_durations_than_queues),
	KUNIT_CASE_SLOW(tw_fin_restarts_2msl),
	KUNIT_CASE(tw_rcv_rst_and_syn),
	KUNIT_CASE_SLOW(tw_batched_reaping),
	KUNIT_CASE_SLOW(tw_teardown_many),
	{}
};

static struct kunit_suite tcpfsm_tw_suite = {
	.name = "tcpfsm_timewait",
	.init = tw_test_init,
	.exit = tw_test_exit,
	.test_cases = tcpfsm_tw_cases,
};

kunit_test_suites(&tcpfsm_fsm_suite, &tcpfsm_tw_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of tcpfsm's state machine and TIME_WAIT");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
