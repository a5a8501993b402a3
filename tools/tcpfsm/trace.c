// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfsm trace: a connection's close drawn as the teaching figure of the
 * four-way close draws it, from the state machine's recorded transitions:
 *
 *	this side                                peer
 *	ESTABLISHED                              ESTABLISHED
 *	FIN_WAIT_1   ------ FIN seq=x ------->   CLOSE_WAIT
 *	FIN_WAIT_2   <----- ACK ack=x+1 ------   CLOSE_WAIT
 *	TIME_WAIT    <----- FIN seq=y --------   LAST_ACK
 *	TIME_WAIT    ------ ACK ack=y+1 ----->   CLOSED
 *
 * Each of this side's transitions has a cause (rcv-fin, close, ...), which
 * says which segment moved it and which segment it sent; a row is drawn per
 * segment with each side's state after it.  The peer's states come from
 * its own history when the peer is on this host (this netns or another
 * one), or else are inferred from the causes and marked '*'.  The sequence
 * numbers are exact: a FIN is the last thing in its direction, so ours is
 * at SND.NXT - 1 once sent (the end of what we queued) and theirs at
 * RCV.NXT - 1 once received.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tool.h"

#define ST(x)		TCPFSM_CONN_STATE_##x
#define CAUSE(x)	TCPFSM_CAUSE_##x
#define ARROW_WIDTH	36
#define MAX_ROWS	(3 * HISTORY_MAX + 4)

enum { NONE, TO_PEER, FROM_PEER };

struct row {
	uint64_t	t;		/* 0: unknown */
	int		dir;
	char		label[48];
	int		us;
	int		peer;		/* -1: unknown */
	bool		us_inferred;
	bool		peer_inferred;
};

struct figure {
	struct row	row[MAX_ROWS];
	int		n;
	uint32_t	x, y;		/* our FIN's seq, theirs */
	bool		have_x, have_y;
	bool		synthetic;	/* no history: a TIME_WAIT entry */
};

static struct row *add_row(struct figure *fig, uint64_t t, int dir, int us,
			   int peer, const char *label)
{
	struct row *r;

	if (fig->n >= MAX_ROWS)
		return &fig->row[MAX_ROWS - 1];
	r = &fig->row[fig->n++];
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->dir = dir;
	r->us = us;
	r->peer = peer;
	r->us_inferred = fig->synthetic;
	r->peer_inferred = true;
	snprintf(r->label, sizeof(r->label), "%s", label);
	return r;
}

static bool sends_fin(int from)
{
	return from == ST(ESTABLISHED) || from == ST(SYN_RECEIVED) ||
	       from == ST(CLOSE_WAIT);
}

/* The peer's state once it has our FIN, from what it was. */
static int peer_after_our_fin(int peer)
{
	switch (peer) {
	case ST(ESTABLISHED):
	case ST(SYN_RECEIVED):
		return ST(CLOSE_WAIT);
	case ST(FIN_WAIT_1):
		return ST(CLOSING);
	case ST(FIN_WAIT_2):
		return ST(TIME_WAIT);
	default:
		return peer;
	}
}

/* The peer's state before this side's first shown transition. */
static int peer_initial(const struct transition *t)
{
	switch (t->from) {
	case ST(ESTABLISHED):
		return ST(ESTABLISHED);
	case ST(CLOSED):
		return t->cause == CAUSE(CONNECT) ? ST(LISTEN) : -1;
	case ST(LISTEN):
		return ST(CLOSED);
	default:
		return -1;
	}
}

/* The rows one of this side's transitions stands for. */
static void add_transition(struct figure *fig, const struct transition *t,
			   int *peer)
{
	char buf[48];
	int p = *peer;

	switch (t->cause) {
	case CAUSE(CONNECT):
		p = p == ST(LISTEN) ? ST(SYN_RECEIVED) : p;
		add_row(fig, t->time_ns, TO_PEER, t->to, p, "SYN");
		break;
	case CAUSE(RCV_SYN):
		add_row(fig, t->time_ns, FROM_PEER, t->to, ST(SYN_SENT), "SYN");
		p = t->from == ST(LISTEN) ? ST(ESTABLISHED) : ST(SYN_RECEIVED);
		add_row(fig, t->time_ns, TO_PEER, t->to, p, "SYN+ACK");
		break;
	case CAUSE(RCV_SYN_ACK):
		add_row(fig, t->time_ns, FROM_PEER, t->to, ST(SYN_RECEIVED),
			"SYN+ACK");
		p = ST(ESTABLISHED);
		add_row(fig, t->time_ns, TO_PEER, t->to, p, "ACK");
		break;
	case CAUSE(RCV_ACK):
		p = ST(ESTABLISHED);
		add_row(fig, t->time_ns, FROM_PEER, t->to, p, "ACK");
		break;
	case CAUSE(CLOSE):
		if (!sends_fin(t->from)) {
			add_row(fig, t->time_ns, NONE, t->to, p, "close");
			break;
		}
		p = peer_after_our_fin(p);
		if (fig->have_x)
			snprintf(buf, sizeof(buf), "FIN seq=%u", fig->x);
		else
			snprintf(buf, sizeof(buf), "FIN seq=?");
		add_row(fig, t->time_ns, TO_PEER, t->to, p, buf);
		break;
	case CAUSE(RCV_ACK_OF_FIN):
		if (t->from == ST(LAST_ACK) || t->from == ST(CLOSING))
			p = ST(TIME_WAIT);
		if (fig->have_x)
			snprintf(buf, sizeof(buf), "ACK ack=%u", fig->x + 1);
		else
			snprintf(buf, sizeof(buf), "ACK of FIN");
		add_row(fig, t->time_ns, FROM_PEER, t->to, p, buf);
		break;
	case CAUSE(RCV_FIN):
	case CAUSE(RCV_FIN_ACK):
		if (t->cause == CAUSE(RCV_FIN_ACK) || t->from == ST(FIN_WAIT_2))
			p = ST(LAST_ACK);
		else
			p = ST(FIN_WAIT_1);
		if (!fig->have_y)
			snprintf(buf, sizeof(buf), "FIN seq=?");
		else if (t->cause == CAUSE(RCV_FIN_ACK) && fig->have_x)
			snprintf(buf, sizeof(buf), "FIN+ACK seq=%u ack=%u",
				 fig->y, fig->x + 1);
		else
			snprintf(buf, sizeof(buf), "FIN seq=%u", fig->y);
		add_row(fig, t->time_ns, FROM_PEER, t->to, p, buf);
		if (p == ST(LAST_ACK))
			p = ST(CLOSED);
		else if (t->from == ST(FIN_WAIT_1))
			p = ST(CLOSING);
		else
			p = ST(FIN_WAIT_2);
		if (fig->have_y)
			snprintf(buf, sizeof(buf), "ACK ack=%u", fig->y + 1);
		else
			snprintf(buf, sizeof(buf), "ACK of FIN");
		add_row(fig, t->time_ns, TO_PEER, t->to, p, buf);
		break;
	case CAUSE(RCV_RST):
		p = ST(CLOSED);
		add_row(fig, t->time_ns, FROM_PEER, t->to, p, "RST");
		break;
	case CAUSE(ABORT):
		if (t->from == ST(ESTABLISHED) || t->from == ST(SYN_RECEIVED) ||
		    t->from == ST(FIN_WAIT_1) || t->from == ST(FIN_WAIT_2) ||
		    t->from == ST(CLOSE_WAIT)) {
			p = ST(CLOSED);
			add_row(fig, t->time_ns, TO_PEER, t->to, p, "RST");
		} else {
			add_row(fig, t->time_ns, NONE, t->to, p, "(abort)");
		}
		break;
	case CAUSE(TIMEOUT_2MSL):
		add_row(fig, t->time_ns, NONE, t->to, p, "(2MSL over)");
		break;
	default:
		snprintf(buf, sizeof(buf), "(%s)", cause_name(t->cause));
		add_row(fig, t->time_ns, NONE, t->to, p, buf);
		break;
	}
	*peer = p;
}

/* The peer's recorded state at time @t, from its history. */
static int peer_state_at(const struct conn *peer, uint64_t t)
{
	int i, st = peer->nhist ? peer->hist[0].from : (int)peer->state;

	for (i = 0; i < peer->nhist; i++)
		if (peer->hist[i].time_ns <= t)
			st = peer->hist[i].to;
	return st;
}

/*
 * Replace the inferred peer states by its recorded ones: after a segment
 * we sent, the state it reached before the next thing happened here; after
 * one it sent, the state it was in when the segment arrived.
 */
static void apply_peer(struct figure *fig, const struct conn *peer)
{
	uint64_t until;
	int i, j;

	for (i = 0; i < fig->n; i++) {
		struct row *r = &fig->row[i];

		if (!r->t)
			continue;
		until = r->t;
		if (r->dir == TO_PEER) {
			until = UINT64_MAX;
			for (j = i + 1; j < fig->n; j++)
				if (fig->row[j].t > r->t) {
					until = fig->row[j].t - 1;
					break;
				}
		}
		r->peer = peer_state_at(peer, until);
		r->peer_inferred = false;
	}
}

/* Enter network namespace @path, look for @c's other side, come back. */
static int peer_in_netns(const char *path, int home, const struct conn *c,
			 struct conn *peer)
{
	int fd, err = -ENOENT;
	struct nl *nl;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	/* nl_open() complains when the namespace has no tcpfsm: hush. */
	fd = dup(STDERR_FILENO);
	if (fd >= 0 && freopen("/dev/null", "w", stderr)) {
		nl = nl_open();
		fflush(stderr);
		dup2(fd, STDERR_FILENO);
	} else {
		nl = nl_open();
	}
	if (fd >= 0)
		close(fd);
	if (nl) {
		err = nl_conn_get(nl, &c->remote, &c->local, peer);
		nl_close(nl);
	}
	if (setns(home, CLONE_NEWNET) < 0) {
		fail("back to the original network namespace: %s",
		     strerror(errno));
		exit(EXIT_ERR);
	}
	return err;
}

/*
 * The peer's side: in this netns, in @o->peer_netns, or in any named
 * netns.  @where gets where it was found; false when it was not.
 */
static bool find_peer(struct nl *nl, const struct conn *c,
		      const struct trace_opts *o, struct conn *peer,
		      char *where, size_t len)
{
	struct stat self, st;
	struct dirent *de;
	char path[300];
	bool found = false;
	int home;
	DIR *d;

	if (!nl_conn_get(nl, &c->remote, &c->local, peer)) {
		snprintf(where, len, "this network namespace");
		return true;
	}
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0 || fstat(home, &self) < 0)
		goto out;
	if (o->peer_netns) {
		if (strchr(o->peer_netns, '/'))
			snprintf(path, sizeof(path), "%s", o->peer_netns);
		else
			snprintf(path, sizeof(path), "/run/netns/%s",
				 o->peer_netns);
		if (!peer_in_netns(path, home, c, peer)) {
			snprintf(where, len, "network namespace %s",
				 o->peer_netns);
			found = true;
			goto out;
		}
	}
	d = opendir("/run/netns");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (stat(path, &st) < 0 || (st.st_dev == self.st_dev &&
					    st.st_ino == self.st_ino))
			continue;
		if (!peer_in_netns(path, home, c, peer)) {
			snprintf(where, len, "network namespace %s",
				 de->d_name);
			found = true;
			break;
		}
	}
	if (d)
		closedir(d);
out:
	if (home >= 0)
		close(home);
	return found;
}

static void arrow(char *buf, int dir, const char *label)
{
	int len = strlen(label) + 2, left, i;

	if (len > ARROW_WIDTH - 4)
		len = ARROW_WIDTH - 4;
	left = (ARROW_WIDTH - len) / 2;
	for (i = 0; i < ARROW_WIDTH; i++)
		buf[i] = dir == NONE ? ' ' : '-';
	buf[ARROW_WIDTH] = '\0';
	buf[left] = ' ';
	memcpy(buf + left + 1, label, len - 2);
	buf[left + len - 1] = ' ';
	if (dir == TO_PEER)
		buf[ARROW_WIDTH - 1] = '>';
	else if (dir == FROM_PEER)
		buf[0] = '<';
}

static void state_cell(char *buf, size_t len, int st, bool inferred)
{
	snprintf(buf, len, "%s%s", st < 0 ? "?" : state_name(st),
		 inferred ? " *" : "");
}

static void print_row(const char *time, int us, bool us_inf, int dir,
		      const char *label, int peer, bool peer_inf)
{
	char a[ARROW_WIDTH + 1], l[24], r[24];

	arrow(a, dir, label);
	state_cell(l, sizeof(l), us, us_inf);
	state_cell(r, sizeof(r), peer, peer_inf);
	printf("%11s  %-14s %s  %s\n", time, l, a, r);
}

static void format_clock(uint64_t ns, char *buf, size_t len)
{
	time_t sec = ns / 1000000000ULL;
	struct tm tm;
	char hms[16];

	localtime_r(&sec, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06llu", hms,
		 (unsigned long long)(ns % 1000000000ULL) / 1000);
}

int cmd_trace_conn(struct nl *nl, const struct conn *c,
		   const struct trace_opts *o)
{
	struct figure fig = { .n = 0 };
	struct transition synth[3];
	const struct transition *h = c->hist;
	char local[32], remote[32], where[300], tbuf[24];
	struct conn peer;
	bool have_peer;
	int nh = c->nhist, i, start = 0, p, first_us;
	uint64_t t0 = 0;

	format_endpoint(&c->local, local, sizeof(local));
	format_endpoint(&c->remote, remote, sizeof(remote));
	if (!c->remote.port) {
		fail("%s is a listener: trace draws connections", local);
		return EXIT_ERR;
	}

	/*
	 * A TIME_WAIT entry keeps only its move into TIME_WAIT: before it,
	 * the usual way there from ESTABLISHED.
	 */
	if (nh <= 1 && c->state == ST(TIME_WAIT)) {
		struct transition last = { ST(FIN_WAIT_2), ST(TIME_WAIT),
					   CAUSE(RCV_FIN), 0 };

		if (nh) {
			last = h[0];
			last.time_ns = 0;	/* inferred rows have no time */
		}
		nh = 0;
		synth[nh++] = (struct transition){ ST(ESTABLISHED),
						   ST(FIN_WAIT_1), CAUSE(CLOSE),
						   0 };
		if (last.from == ST(FIN_WAIT_2))
			synth[nh++] = (struct transition){
				ST(FIN_WAIT_1), ST(FIN_WAIT_2),
				CAUSE(RCV_ACK_OF_FIN), 0 };
		else if (last.from == ST(CLOSING))
			synth[nh++] = (struct transition){
				ST(FIN_WAIT_1), ST(CLOSING), CAUSE(RCV_FIN), 0 };
		synth[nh++] = last;
		h = synth;
		fig.synthetic = true;
	}

	/* Our FIN and theirs, if the history says they were sent. */
	for (i = 0; i < nh; i++) {
		if (h[i].cause == CAUSE(CLOSE) && sends_fin(h[i].from))
			fig.have_x = true;
		if (h[i].cause == CAUSE(RCV_FIN) ||
		    h[i].cause == CAUSE(RCV_FIN_ACK))
			fig.have_y = true;
	}
	fig.x = c->snd_una + c->send_queue - 1;
	fig.y = c->rcv_nxt - 1;

	/* By default the close: from the move out of ESTABLISHED. */
	if (!o->all)
		for (i = 0; i < nh; i++)
			if (h[i].from == ST(ESTABLISHED)) {
				start = i;
				break;
			}

	have_peer = find_peer(nl, c, o, &peer, where, sizeof(where));
	if (have_peer && !peer.nhist)
		have_peer = false;

	printf("Connection %s (this side) <-> %s (peer), now %s", local,
	       remote, state_name(c->state));
	if (c->timer)
		printf(", %s timer %u ms", timer_name(c->timer),
		       c->timer_left_ms);
	printf("\n");
	if (fig.synthetic)
		printf("This TIME_WAIT entry keeps only its move into TIME_WAIT, so both sides' states\n"
		       "before it are the usual path, inferred (*); the sequence numbers are the entry's.\n");
	else if (c->history_count > (uint32_t)nh)
		printf("%u transitions recorded, the last %d kept.\n",
		       c->history_count, nh);
	if (have_peer)
		printf("The peer's states are its own recorded ones (found in %s).\n",
		       where);
	else
		printf("The peer's states (*) are inferred from this side's transitions: it is\n"
		       "not on this host (not in this or any /run/netns namespace), or already gone.\n");
	printf("\n");

	if (!nh) {
		printf("No recorded transitions.\n");
		return EXIT_OK;
	}

	p = peer_initial(&h[start]);
	first_us = h[start].from;
	for (i = start; i < nh; i++)
		add_transition(&fig, &h[i], &p);
	if (c->state == ST(TIME_WAIT)) {
		snprintf(tbuf, sizeof(tbuf), "(2MSL: %u ms left)",
			 c->timer_left_ms);
		add_row(&fig, 0, NONE, ST(TIME_WAIT), p, tbuf);
		fig.row[fig.n - 1].us_inferred = false;
	}
	if (have_peer) {
		apply_peer(&fig, &peer);
		if (h[start].time_ns)
			p = peer_state_at(&peer, h[start].time_ns - 1);
		else
			p = peer_initial(&h[start]);
	} else {
		p = peer_initial(&h[start]);
	}

	printf("%11s  %-14s %-*s  %s\n", "time", "this side", ARROW_WIDTH, "",
	       "peer");
	printf("%11s  %-14s %-*s  %s\n", "", local, ARROW_WIDTH, "", remote);
	print_row("", first_us, fig.synthetic, NONE, "", p, !have_peer);
	for (i = 0; i < fig.n; i++) {
		const struct row *r = &fig.row[i];

		if (r->t && !t0)
			t0 = r->t;
		tbuf[0] = '\0';
		if (r->t)
			snprintf(tbuf, sizeof(tbuf), "%.3f ms",
				 (r->t - t0) / 1e6);
		print_row(tbuf, r->us, r->us_inferred, r->dir, r->label,
			  r->peer, r->peer_inferred);
	}

	printf("\n");
	if (t0) {
		format_clock(t0, tbuf, sizeof(tbuf));
		printf("Times are from %s, this side's first transition shown.\n",
		       tbuf);
	}
	if (fig.have_x)
		printf("x = %u is this side's FIN; the ACK of it has ack = x + 1 = %u.\n",
		       fig.x, fig.x + 1);
	if (fig.have_y)
		printf("y = %u is the peer's FIN; the ACK of it has ack = y + 1 = %u.\n",
		       fig.y, fig.y + 1);
	for (i = 0; i < nh && h[i].to != ST(CLOSING); i++)
		;
	if (c->state == ST(TIME_WAIT) && i < nh)
		printf("Both sides closed at once (simultaneous close, through CLOSING): both\n"
		       "wait in TIME_WAIT, 2MSL, before CLOSED.\n");
	else if (c->state == ST(TIME_WAIT))
		printf("This side closed first (the active closer): only it waits in TIME_WAIT,\n"
		       "2MSL, before CLOSED.\n");
	return EXIT_OK;
}
