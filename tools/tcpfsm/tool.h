/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfsm(8): the command-line tool of the tcpfsm generic netlink family.
 * Shared by tcpfsm.c (commands), nl.c (netlink) and trace.c (the figure).
 */
#ifndef _TCPFSM_TOOL_H
#define _TCPFSM_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/tcpfsm.h>

/* Exit codes, documented in tcpfsm.8 and --help. */
#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2
#define EXIT_NOCONN	3

#define HISTORY_MAX	16

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct endpoint {
	struct in_addr	addr;
	uint16_t	port;		/* host order */
};

struct transition {
	int		from;
	int		to;
	int		cause;
	uint64_t	time_ns;
};

/* One conn-get reply or event; @have has bit (1 << attr) per attribute. */
struct conn {
	uint64_t	have;
	struct endpoint	local;
	struct endpoint	remote;
	uint32_t	state;
	uint32_t	old_state;
	uint32_t	cause;
	uint32_t	snd_una;
	uint32_t	snd_nxt;
	uint32_t	rcv_nxt;
	uint32_t	send_queue;
	uint32_t	recv_queue;
	uint32_t	timer;
	uint32_t	timer_left_ms;
	uint32_t	srtt_us;
	uint32_t	rttvar_us;
	uint32_t	rto_us;
	uint32_t	retransmits;
	uint32_t	history_count;
	uint64_t	time_ns;
	uint64_t	lateness_ns;
	int		nhist;
	struct transition hist[HISTORY_MAX];
};

#define HAVE(c, attr)	((c)->have & (1ULL << (attr)))

struct nl;

/* nl.c */
struct nl *nl_open(void);
void nl_close(struct nl *nl);
int nl_join_events(struct nl *nl);
int nl_conn_get(struct nl *nl, const struct endpoint *local,
		const struct endpoint *remote, struct conn *c);
typedef int (*conn_cb)(const struct conn *c, void *data);
int nl_conn_dump(struct nl *nl, int state, int lport, conn_cb cb, void *data);
int nl_conn_kill(struct nl *nl, const struct endpoint *local,
		 const struct endpoint *remote);
int nl_stats_get(struct nl *nl, uint64_t *val, bool *have, int max);
typedef int (*event_cb)(int cmd, const struct conn *c, void *data);
int nl_events(struct nl *nl, event_cb cb, void *data);
const char *nl_errmsg(void);

/* tcpfsm.c */
extern const char *progname;
const char *state_name(int state);
const char *cause_name(int cause);
const char *timer_name(int kind);
int parse_endpoint(const char *s, struct endpoint *ep);
void format_endpoint(const struct endpoint *ep, char *buf, size_t len);
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int setns_by_name(const char *name);

/* trace.c */
struct trace_opts {
	bool		all;		/* from the first recorded transition */
	const char	*peer_netns;	/* where to look for the peer first */
};

int cmd_trace_conn(struct nl *nl, const struct conn *c,
		   const struct trace_opts *o);

#endif /* _TCPFSM_TOOL_H */
