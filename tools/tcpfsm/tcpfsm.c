// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfsm(8): list, watch, reset and trace the connections of the tcpfsm
 * protocol through its generic netlink family.  See tcpfsm.8 or --help.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

const char *progname = "tcpfsm";

static const char usage_text[] =
"Usage: tcpfsm [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Show and control the connections of the tcpfsm protocol (a TCP over IP\n"
"protocol 253) in this network namespace, through its generic netlink\n"
"family \"tcpfsm\".\n"
"\n"
"Commands:\n"
"  conns [state STATE] [port N] [sport N] [dport N]\n"
"                        list connections, listeners and TIME_WAIT entries\n"
"                        as a table (like ss); port matches either end,\n"
"                        sport the local one, dport the remote one\n"
"  watch [state STATE] [port N]\n"
"                        print every state transition as it happens, one\n"
"                        line each, and TIME_WAIT entries as they are reaped\n"
"  kill LOCAL REMOTE     reset a connection (like ss -K): RST to the peer,\n"
"                        ECONNRESET to its owner; needs CAP_NET_ADMIN\n"
"  stats                 the protocol's counters (/proc/tcpfsm/stats)\n"
"  trace LOCAL REMOTE    draw the connection's close (or its whole life with\n"
"                        -a) from its state machine's history: this side\n"
"                        on the left, the peer on the right, one arrow per\n"
"                        segment that changed a state\n"
"  help                  this text\n"
"\n"
"LOCAL and REMOTE are ADDRESS:PORT, e.g. 10.0.0.2:40000, as conns shows\n"
"them.  STATE is a state name in any case, '-' or '_': ESTABLISHED,\n"
"syn-sent, SYN_RECEIVED, FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT, CLOSE_WAIT,\n"
"LAST_ACK, CLOSING, LISTEN (also established/estab, listening).\n"
"\n"
"Options:\n"
"  -j, --json            JSON output (conns, stats: one document; watch:\n"
"                        one object per line)\n"
"  -e, --extended        conns: also sequence numbers, RTT, retransmits\n"
"  -a, --all             trace: from the first recorded transition, the\n"
"                        opening handshake included\n"
"  -c, --count N         watch: exit after N events\n"
"  -N, --netns NAME      run in network namespace NAME (/run/netns/NAME)\n"
"  -p, --peer-netns NAME trace: look for the peer's side in NAME first\n"
"  -h, --help            this text\n"
"\n"
"trace looks for the peer's side of the connection in this namespace and\n"
"in every /run/netns/* (when it may enter them); when it is found, the\n"
"peer's states are its own recorded ones, otherwise they are inferred from\n"
"this side's transitions and marked with '*'.\n"
"\n"
"Exit status: 0 success, 1 error (no module, netlink, permission),\n"
"2 usage error, 3 no such connection (kill, trace).\n"
"\n"
"Examples:\n"
"  tcpfsm conns state established port 5001\n"
"  tcpfsm -j conns | python3 -m json.tool\n"
"  tcpfsm watch\n"
"  tcpfsm trace 10.53.0.2:40000 10.53.0.1:5001\n";

static struct option long_opts[] = {
	{ "json",	no_argument,		NULL, 'j' },
	{ "extended",	no_argument,		NULL, 'e' },
	{ "all",	no_argument,		NULL, 'a' },
	{ "count",	required_argument,	NULL, 'c' },
	{ "netns",	required_argument,	NULL, 'N' },
	{ "peer-netns",	required_argument,	NULL, 'p' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 },
};

static struct {
	bool		json;
	bool		extended;
	bool		all;
	long		count;
	const char	*netns;
	const char	*peer_netns;
} opt = { .count = -1 };

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", progname);
	return EXIT_USAGE;
}

void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *const state_names[] = {
	[TCPFSM_CONN_STATE_ESTABLISHED]		= "ESTABLISHED",
	[TCPFSM_CONN_STATE_SYN_SENT]		= "SYN_SENT",
	[TCPFSM_CONN_STATE_SYN_RECEIVED]	= "SYN_RECEIVED",
	[TCPFSM_CONN_STATE_FIN_WAIT_1]		= "FIN_WAIT_1",
	[TCPFSM_CONN_STATE_FIN_WAIT_2]		= "FIN_WAIT_2",
	[TCPFSM_CONN_STATE_TIME_WAIT]		= "TIME_WAIT",
	[TCPFSM_CONN_STATE_CLOSED]		= "CLOSED",
	[TCPFSM_CONN_STATE_CLOSE_WAIT]		= "CLOSE_WAIT",
	[TCPFSM_CONN_STATE_LAST_ACK]		= "LAST_ACK",
	[TCPFSM_CONN_STATE_LISTEN]		= "LISTEN",
	[TCPFSM_CONN_STATE_CLOSING]		= "CLOSING",
};

#define NSTATES	((int)ARRAY_SIZE(state_names))

static const char *const cause_names[] = {
	[TCPFSM_CAUSE_NONE]			= "none",
	[TCPFSM_CAUSE_CONNECT]			= "connect",
	[TCPFSM_CAUSE_LISTEN]			= "listen",
	[TCPFSM_CAUSE_CLOSE]			= "close",
	[TCPFSM_CAUSE_ABORT]			= "abort",
	[TCPFSM_CAUSE_RCV_SYN]			= "rcv-syn",
	[TCPFSM_CAUSE_RCV_SYN_ACK]		= "rcv-syn-ack",
	[TCPFSM_CAUSE_RCV_ACK]			= "rcv-ack",
	[TCPFSM_CAUSE_RCV_FIN]			= "rcv-fin",
	[TCPFSM_CAUSE_RCV_FIN_ACK]		= "rcv-fin-ack",
	[TCPFSM_CAUSE_RCV_ACK_OF_FIN]		= "rcv-ack-of-fin",
	[TCPFSM_CAUSE_RCV_RST]			= "rcv-rst",
	[TCPFSM_CAUSE_TIMEOUT_2MSL]		= "timeout-2msl",
	[TCPFSM_CAUSE_TIMEOUT_FIN_WAIT_2]	= "timeout-fin-wait-2",
	[TCPFSM_CAUSE_TIMEOUT_RETRIES]		= "timeout-retries",
	[TCPFSM_CAUSE_ICMP_UNREACH]		= "icmp-unreach",
	[TCPFSM_CAUSE_TIME_WAIT_DROPPED]	= "time-wait-dropped",
};

static const char *const timer_names[] = {
	[TCPFSM_TIMER_KIND_NONE]		= "-",
	[TCPFSM_TIMER_KIND_RETRANSMIT]		= "retransmit",
	[TCPFSM_TIMER_KIND_PERSIST]		= "persist",
	[TCPFSM_TIMER_KIND_FIN_WAIT_2]		= "fin-wait-2",
	[TCPFSM_TIMER_KIND_DELACK]		= "delack",
	[TCPFSM_TIMER_KIND_TIME_WAIT]		= "time-wait",
};

#define NAME(tab, i, dflt) \
	((i) >= 0 && (size_t)(i) < ARRAY_SIZE(tab) && tab[i] ? \
	 tab[i] : (dflt))

const char *state_name(int state)
{
	return NAME(state_names, state, "UNKNOWN");
}

const char *cause_name(int cause)
{
	return NAME(cause_names, cause, "unknown");
}

const char *timer_name(int kind)
{
	return NAME(timer_names, kind, "unknown");
}

/* A state by name: any case, '-' for '_', a few aliases; -1 if none. */
static int parse_state(const char *s)
{
	static const struct { const char *alias; int state; } aliases[] = {
		{ "ESTAB",		TCPFSM_CONN_STATE_ESTABLISHED },
		{ "SYN_RECV",		TCPFSM_CONN_STATE_SYN_RECEIVED },
		{ "FIN_WAIT1",		TCPFSM_CONN_STATE_FIN_WAIT_1 },
		{ "FIN_WAIT2",		TCPFSM_CONN_STATE_FIN_WAIT_2 },
		{ "LISTENING",		TCPFSM_CONN_STATE_LISTEN },
		{ "CLOSE",		TCPFSM_CONN_STATE_CLOSED },
	};
	char buf[32];
	size_t i;
	int st;

	if (strlen(s) >= sizeof(buf))
		return -1;
	for (i = 0; s[i]; i++)
		buf[i] = s[i] == '-' ? '_' : (s[i] >= 'a' && s[i] <= 'z' ?
					      s[i] - 'a' + 'A' : s[i]);
	buf[i] = '\0';
	for (st = 0; st < NSTATES; st++)
		if (state_names[st] && !strcmp(buf, state_names[st]))
			return st;
	for (i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcmp(buf, aliases[i].alias))
			return aliases[i].state;
	return -1;
}

static int parse_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 65535)
		return -1;
	return v;
}

/* "a.b.c.d:port" into @ep; 0, or -1 when it is not one. */
int parse_endpoint(const char *s, struct endpoint *ep)
{
	const char *colon = strrchr(s, ':');
	char addr[INET_ADDRSTRLEN];
	int port;

	if (!colon || (size_t)(colon - s) >= sizeof(addr))
		return -1;
	memcpy(addr, s, colon - s);
	addr[colon - s] = '\0';
	if (inet_pton(AF_INET, addr, &ep->addr) != 1)
		return -1;
	port = parse_port(colon + 1);
	if (port < 0)
		return -1;
	ep->port = port;
	return 0;
}

void format_endpoint(const struct endpoint *ep, char *buf, size_t len)
{
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ep->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s:%u", addr, ep->port);
}

/* Move this process into /run/netns/@name; 0 or a negative errno. */
int setns_by_name(const char *name)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The tcpfsm family in the namespace -N names (or ours); NULL on error. */
static struct nl *open_nl(void)
{
	int err;

	if (opt.netns) {
		err = setns_by_name(opt.netns);
		if (err) {
			fail("network namespace %s: %s", opt.netns,
			     strerror(-err));
			return NULL;
		}
	}
	return nl_open();
}

/* Report a failed request; the exit code for it. */
static int request_failed(const char *what, int err)
{
	const char *msg = nl_errmsg();

	if (err == -ENOENT) {
		fail("%s: no such connection", what);
		return EXIT_NOCONN;
	}
	fail("%s: %s%s%s", what, strerror(-err), *msg ? ": " : "", msg);
	return EXIT_ERR;
}

/* Filters of conns and watch: state and ports; -1 means any. */
struct filter {
	int	state;
	int	port;
	int	sport;
	int	dport;
};

static int parse_filter(int argc, char **argv, struct filter *f, bool ports)
{
	int i;

	f->state = f->port = f->sport = f->dport = -1;
	for (i = 0; i < argc; i++) {
		const char *key = argv[i];
		int *port = NULL;

		if (i + 1 >= argc)
			return usage_error("'%s' needs a value", key);
		if (!strcmp(key, "state")) {
			f->state = parse_state(argv[++i]);
			if (f->state < 0)
				return usage_error("unknown state '%s'",
						   argv[i]);
			continue;
		}
		if (!strcmp(key, "port"))
			port = &f->port;
		else if (ports && !strcmp(key, "sport"))
			port = &f->sport;
		else if (ports && !strcmp(key, "dport"))
			port = &f->dport;
		else
			return usage_error("unknown filter '%s'", key);
		*port = parse_port(argv[++i]);
		if (*port < 0)
			return usage_error("bad port '%s'", argv[i]);
	}
	return 0;
}

static bool filter_match(const struct filter *f, const struct conn *c)
{
	if (f->state >= 0 && c->state != (uint32_t)f->state)
		return false;
	if (f->sport >= 0 && c->local.port != f->sport)
		return false;
	if (f->dport >= 0 && c->remote.port != f->dport)
		return false;
	if (f->port >= 0 && c->local.port != f->port &&
	    c->remote.port != f->port)
		return false;
	return true;
}

/* conns ---------------------------------------------------------------- */

struct conns_ctx {
	const struct filter	*f;
	int			n;
};

static void json_endpoint(const char *name, const struct endpoint *ep)
{
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ep->addr, addr, sizeof(addr));
	printf("\"%s_addr\":\"%s\",\"%s_port\":%u", name, addr, name,
	       ep->port);
}

static void json_conn(const struct conn *c)
{
	static const struct { int attr; const char *name; size_t off; } u32s[] = {
#define F(a, f) { TCPFSM_A_CONN_##a, #f, __builtin_offsetof(struct conn, f) }
		F(SND_UNA, snd_una), F(SND_NXT, snd_nxt), F(RCV_NXT, rcv_nxt),
		F(SEND_QUEUE, send_queue), F(RECV_QUEUE, recv_queue),
		F(TIMER_LEFT_MS, timer_left_ms), F(SRTT_US, srtt_us),
		F(RTTVAR_US, rttvar_us), F(RTO_US, rto_us),
		F(RETRANSMITS, retransmits), F(HISTORY_COUNT, history_count),
#undef F
	};
	size_t i;
	int h;

	putchar('{');
	json_endpoint("local", &c->local);
	putchar(',');
	json_endpoint("remote", &c->remote);
	printf(",\"state\":\"%s\"", state_name(c->state));
	if (HAVE(c, TCPFSM_A_CONN_TIMER))
		printf(",\"timer\":\"%s\"", c->timer ? timer_name(c->timer) :
		       "none");
	for (i = 0; i < ARRAY_SIZE(u32s); i++)
		if (HAVE(c, u32s[i].attr))
			printf(",\"%s\":%u", u32s[i].name,
			       *(const uint32_t *)((const char *)c +
						   u32s[i].off));
	if (HAVE(c, TCPFSM_A_CONN_HISTORY_COUNT) || c->nhist) {
		printf(",\"history\":[");
		for (h = 0; h < c->nhist; h++)
			printf("%s{\"from\":\"%s\",\"to\":\"%s\",\"cause\":\"%s\",\"time_ns\":%llu}",
			       h ? "," : "", state_name(c->hist[h].from),
			       state_name(c->hist[h].to),
			       cause_name(c->hist[h].cause),
			       (unsigned long long)c->hist[h].time_ns);
		putchar(']');
	}
	putchar('}');
}

static int conns_cb(const struct conn *c, void *data)
{
	struct conns_ctx *x = data;
	char local[32], remote[32], timer[40];

	if (!filter_match(x->f, c))
		return 0;
	if (opt.json) {
		fputs(x->n ? ",\n " : "[", stdout);
		json_conn(c);
		x->n++;
		return 0;
	}
	if (!x->n++) {
		printf("%-12s %6s %6s  %-21s %-21s %s\n", "State", "Recv-Q",
		       "Send-Q", "Local", "Remote", "Timer");
	}
	format_endpoint(&c->local, local, sizeof(local));
	format_endpoint(&c->remote, remote, sizeof(remote));
	if (c->timer)
		snprintf(timer, sizeof(timer), "%s (%u ms)",
			 timer_name(c->timer), c->timer_left_ms);
	else
		snprintf(timer, sizeof(timer), "-");
	printf("%-12s %6u %6u  %-21s %-21s %s\n", state_name(c->state),
	       c->recv_queue, c->send_queue, local, remote, timer);
	if (opt.extended)
		printf("\t snd_una %u snd_nxt %u rcv_nxt %u rtt %u/%u us rto %u us retrans %u transitions %u\n",
		       c->snd_una, c->snd_nxt, c->rcv_nxt, c->srtt_us,
		       c->rttvar_us, c->rto_us, c->retransmits,
		       c->history_count);
	return 0;
}

static int cmd_conns(int argc, char **argv)
{
	struct nl *nl;
	struct filter f;
	struct conns_ctx x = { &f, 0 };
	int err;

	err = parse_filter(argc, argv, &f, true);
	if (err)
		return err;
	/* The kernel filters by state and local port; the rest is ours. */
	nl = open_nl();
	if (!nl)
		return EXIT_ERR;
	err = nl_conn_dump(nl, f.state, f.sport, conns_cb, &x);
	nl_close(nl);
	if (err)
		return request_failed("conn-get", err);
	if (opt.json)
		puts(x.n ? "]" : "[]");
	return EXIT_OK;
}

/* stats ---------------------------------------------------------------- */

static const struct {
	int		attr;
	const char	*name;		/* /proc/tcpfsm/stats */
	const char	*json;		/* the spec's */
} stats[] = {
#define S(a, p, j) { TCPFSM_A_STATS_##a, p, j }
	S(ACTIVE_OPENS, "ActiveOpens", "active-opens"),
	S(PASSIVE_OPENS, "PassiveOpens", "passive-opens"),
	S(ATTEMPT_FAILS, "AttemptFails", "attempt-fails"),
	S(ESTAB_RESETS, "EstabResets", "estab-resets"),
	S(IN_SEGS, "InSegs", "in-segs"),
	S(OUT_SEGS, "OutSegs", "out-segs"),
	S(RETRANS_SEGS, "RetransSegs", "retrans-segs"),
	S(IN_ERRS, "InErrs", "in-errs"),
	S(OUT_RSTS, "OutRsts", "out-rsts"),
	S(IN_CSUM_ERRORS, "InCsumErrors", "in-csum-errors"),
	S(DROP_BAD_CHECKSUM, "DropBadChecksum", "drop-bad-checksum"),
	S(DROP_BAD_HEADER, "DropBadHeader", "drop-bad-header"),
	S(DROP_NOT_FOR_HOST, "DropNotForHost", "drop-not-for-host"),
	S(DROP_NO_SOCKET, "DropNoSocket", "drop-no-socket"),
	S(DROP_OUT_OF_WINDOW, "DropOutOfWindow", "drop-out-of-window"),
	S(DROP_BAD_ACK, "DropBadAck", "drop-bad-ack"),
	S(DROP_LISTEN_OVERFLOW, "DropListenOverflow", "drop-listen-overflow"),
	S(DROP_RCV_BUF, "DropRcvBuf", "drop-rcv-buf"),
	S(DROP_STATE, "DropState", "drop-state"),
	S(DROP_NO_MEM, "DropNoMem", "drop-no-mem"),
	S(DROP_SOCKET_BACKLOG, "DropSocketBacklog", "drop-socket-backlog"),
	S(DROP_DUPLICATE, "DropDuplicate", "drop-duplicate"),
	S(CHALLENGE_ACKS, "ChallengeACKs", "challenge-acks"),
	S(TIME_WAIT_ENTERED, "TimeWaitEntered", "time-wait-entered"),
	S(TIME_WAIT_REAPED, "TimeWaitReaped", "time-wait-reaped"),
	S(TIME_WAIT_REUSED, "TimeWaitReused", "time-wait-reused"),
	S(TIME_WAIT_OVERFLOW, "TimeWaitOverflow", "time-wait-overflow"),
	S(TIME_WAIT_CURRENT, "TimeWaitCurrent", "time-wait-current"),
	S(REAPER_RUNS, "ReaperRuns", "reaper-runs"),
	S(REAPER_RUN_MAX_US, "ReaperRunMaxUs", "reaper-run-max-us"),
	S(REAPER_RUN_TOTAL_US, "ReaperRunTotalUs", "reaper-run-total-us"),
	S(REAPER_RUNS_OVER1MS, "ReaperRunsOver1ms", "reaper-runs-over1ms"),
	S(REAPER_LATENESS_MAX_US, "ReaperLatenessMaxUs",
	  "reaper-lateness-max-us"),
	S(REAPER_LATE_LE10US, "ReaperLateLe10us", "reaper-late-le10us"),
	S(REAPER_LATE_LE20US, "ReaperLateLe20us", "reaper-late-le20us"),
	S(REAPER_LATE_LE50US, "ReaperLateLe50us", "reaper-late-le50us"),
	S(REAPER_LATE_LE100US, "ReaperLateLe100us", "reaper-late-le100us"),
	S(REAPER_LATE_LE200US, "ReaperLateLe200us", "reaper-late-le200us"),
	S(REAPER_LATE_LE500US, "ReaperLateLe500us", "reaper-late-le500us"),
	S(REAPER_LATE_LE1MS, "ReaperLateLe1ms", "reaper-late-le1ms"),
	S(REAPER_LATE_LE2MS, "ReaperLateLe2ms", "reaper-late-le2ms"),
	S(REAPER_LATE_LE5MS, "ReaperLateLe5ms", "reaper-late-le5ms"),
	S(REAPER_LATE_LE10MS, "ReaperLateLe10ms", "reaper-late-le10ms"),
	S(REAPER_LATE_LE20MS, "ReaperLateLe20ms", "reaper-late-le20ms"),
	S(REAPER_LATE_LE50MS, "ReaperLateLe50ms", "reaper-late-le50ms"),
	S(REAPER_LATE_LE100MS, "ReaperLateLe100ms", "reaper-late-le100ms"),
	S(REAPER_LATE_OVER100MS, "ReaperLateOver100ms", "reaper-late-over100ms"),
	S(REAPER_RUN_MAX_ENTRIES, "ReaperRunMaxEntries", "reaper-run-max-entries"),
#undef S
};

static int cmd_stats(int argc, char **argv)
{
	struct nl *nl;
	uint64_t val[TCPFSM_A_STATS_MAX + 1] = { 0 };
	bool have[TCPFSM_A_STATS_MAX + 1] = { 0 };
	size_t i;
	int err, n = 0;

	if (argc)
		return usage_error("stats takes no arguments, not '%s'",
				   argv[0]);
	nl = open_nl();
	if (!nl)
		return EXIT_ERR;
	err = nl_stats_get(nl, val, have, TCPFSM_A_STATS_MAX);
	nl_close(nl);
	if (err)
		return request_failed("stats-get", err);
	for (i = 0; i < ARRAY_SIZE(stats); i++) {
		if (!have[stats[i].attr])
			continue;
		if (opt.json)
			printf("%s\"%s\":%llu", n++ ? "," : "{", stats[i].json,
			       (unsigned long long)val[stats[i].attr]);
		else
			printf("%-20s %llu\n", stats[i].name,
			       (unsigned long long)val[stats[i].attr]);
	}
	if (opt.json)
		puts(n ? "}" : "{}");
	return EXIT_OK;
}

/* kill ----------------------------------------------------------------- */

static int parse_tuple(const char *cmd, int argc, char **argv,
		       struct endpoint *local, struct endpoint *remote)
{
	if (argc != 2)
		return usage_error("%s needs LOCAL and REMOTE (ADDRESS:PORT each)",
				   cmd);
	if (parse_endpoint(argv[0], local))
		return usage_error("bad LOCAL '%s': ADDRESS:PORT expected",
				   argv[0]);
	if (parse_endpoint(argv[1], remote))
		return usage_error("bad REMOTE '%s': ADDRESS:PORT expected",
				   argv[1]);
	return 0;
}

static int cmd_kill(int argc, char **argv)
{
	struct nl *nl;
	struct endpoint local, remote;
	int err;

	err = parse_tuple("kill", argc, argv, &local, &remote);
	if (err)
		return err;
	nl = open_nl();
	if (!nl)
		return EXIT_ERR;
	err = nl_conn_kill(nl, &local, &remote);
	nl_close(nl);
	if (err)
		return request_failed("conn-kill", err);
	return EXIT_OK;
}

/* watch ---------------------------------------------------------------- */

struct watch_ctx {
	struct filter	f;
	long		left;
};

static void format_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = ns / 1000000000ULL;
	struct tm tm;
	char hms[16];

	localtime_r(&sec, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06llu", hms,
		 (unsigned long long)(ns % 1000000000ULL) / 1000);
}

static int watch_cb(int cmd, const struct conn *c, void *data)
{
	struct watch_ctx *w = data;
	char local[32], remote[32], when[32];
	struct conn ev = *c;
	/* A TIME_WAIT entry reaped: its end carries its lateness. */
	bool reaped = HAVE(c, TCPFSM_A_CONN_LATENESS_NS);

	if (cmd != TCPFSM_CMD_TRANSITION_NTF)
		return 0;
	if (!filter_match(&w->f, &ev))
		return 0;
	format_endpoint(&ev.local, local, sizeof(local));
	format_endpoint(&ev.remote, remote, sizeof(remote));
	if (opt.json) {
		printf("{\"event\":\"%s\",\"time_ns\":%llu,",
		       reaped ? "reaped" : "transition",
		       (unsigned long long)ev.time_ns);
		json_endpoint("local", &ev.local);
		putchar(',');
		json_endpoint("remote", &ev.remote);
		printf(",\"old_state\":\"%s\",\"state\":\"%s\",\"cause\":\"%s\"",
		       state_name(ev.old_state), state_name(ev.state),
		       cause_name(ev.cause));
		if (reaped)
			printf(",\"lateness_ns\":%llu",
			       (unsigned long long)ev.lateness_ns);
		puts("}");
	} else {
		format_time(ev.time_ns, when, sizeof(when));
		printf("%s %-21s %-21s %-12s -> %-12s %s", when, local,
		       remote, state_name(ev.old_state), state_name(ev.state),
		       cause_name(ev.cause));
		if (reaped)
			printf(" (entry reaped %.3f ms after its deadline)",
			       ev.lateness_ns / 1e6);
		putchar('\n');
	}
	return w->left > 0 && --w->left == 0;
}

static int cmd_watch(int argc, char **argv)
{
	struct nl *nl;
	struct watch_ctx w = { .left = opt.count };
	int err;

	err = parse_filter(argc, argv, &w.f, false);
	if (err)
		return err;
	if (opt.count == 0)
		return EXIT_OK;
	nl = open_nl();
	if (!nl)
		return EXIT_ERR;
	err = nl_join_events(nl);
	if (err) {
		fail("joining the \"%s\" group: %s", TCPFSM_MCGRP_EVENTS,
		     strerror(-err));
		nl_close(nl);
		return EXIT_ERR;
	}
	err = nl_events(nl, watch_cb, &w);
	nl_close(nl);
	if (err) {
		fail("reading events: %s", strerror(-err));
		return EXIT_ERR;
	}
	return EXIT_OK;
}

/* trace ---------------------------------------------------------------- */

static int cmd_trace(int argc, char **argv)
{
	struct nl *nl;
	struct trace_opts o = { opt.all, opt.peer_netns };
	struct endpoint local, remote;
	struct conn c;
	int err;

	err = parse_tuple("trace", argc, argv, &local, &remote);
	if (err)
		return err;
	nl = open_nl();
	if (!nl)
		return EXIT_ERR;
	err = nl_conn_get(nl, &local, &remote, &c);
	if (err) {
		nl_close(nl);
		return request_failed("conn-get", err);
	}
	err = cmd_trace_conn(nl, &c, &o);
	nl_close(nl);
	return err;
}

static const struct {
	const char	*name;
	int		(*fn)(int argc, char **argv);
} cmds[] = {
	{ "conns",	cmd_conns },
	{ "watch",	cmd_watch },
	{ "kill",	cmd_kill },
	{ "stats",	cmd_stats },
	{ "trace",	cmd_trace },
};

/* The options, before or right after the command; -1 or an exit code. */
static int parse_opts(int argc, char **argv)
{
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+jeac:N:p:h", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'j':
			opt.json = true;
			break;
		case 'e':
			opt.extended = true;
			break;
		case 'a':
			opt.all = true;
			break;
		case 'c':
			errno = 0;
			opt.count = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || opt.count < 0)
				return usage_error("bad count '%s'", optarg);
			break;
		case 'N':
			opt.netns = optarg;
			break;
		case 'p':
			opt.peer_netns = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help'.\n", progname);
			return EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	size_t i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = parse_opts(argc, argv);
	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return usage_error("no command given");
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			break;
	if (i == ARRAY_SIZE(cmds))
		return usage_error("unknown command '%s'", argv[optind]);
	optind++;
	ret = parse_opts(argc, argv);
	if (ret >= 0)
		return ret;
	return cmds[i].fn(argc - optind, argv + optind);
}
