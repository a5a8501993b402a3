// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpfsm generic netlink family over libmnl: resolving the family and
 * its "events" group, requests with extended acks, and parsing replies
 * and events into struct conn.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "tool.h"

struct nl {
	struct mnl_socket	*sock;
	uint16_t		family;
	uint32_t		events_grp;
	uint32_t		portid;
	uint32_t		seq;
	char			*buf;
};

#define NL_BUFSIZE	(1 << 16)

static char errmsg[256];

/* The kernel's extended ack message of the last error, or "". */
const char *nl_errmsg(void)
{
	return errmsg;
}

/* NLMSG_ERROR: 0 ends an ack'ed request, else errno and the ext ack text. */
static int nl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	unsigned int off;

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;
	errno = -err->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return MNL_CB_ERROR;
	off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(err->msg);
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(errmsg, sizeof(errmsg), "%s",
				 mnl_attr_get_str(attr));
	}
	return MNL_CB_ERROR;
}

static int nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	(void)data;
	/* A dump that failed part-way reports its error in NLMSG_DONE. */
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int)) && *err < 0) {
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static mnl_cb_t nl_ctl_cb[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR]	= nl_error_cb,
	[NLMSG_DONE]	= nl_done_cb,
};

static struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type, uint16_t flags,
			       uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* Send @nlh and run @cb over the answers until the ack or NLMSG_DONE. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	errmsg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUFSIZE);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run2(nl->buf, n, seq, nl->portid, cb, data,
				  nl_ctl_cb, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

struct family_info {
	uint16_t	id;
	uint32_t	events;
};

static int nl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *a, *grp, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			fi->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(grp, a) {
				const char *name = NULL;
				uint32_t id = 0;

				mnl_attr_for_each_nested(g, grp) {
					if (mnl_attr_get_type(g) ==
					    CTRL_ATTR_MCAST_GRP_NAME)
						name = mnl_attr_get_str(g);
					else if (mnl_attr_get_type(g) ==
						 CTRL_ATTR_MCAST_GRP_ID)
						id = mnl_attr_get_u32(g);
				}
				if (name && !strcmp(name, TCPFSM_MCGRP_EVENTS))
					fi->events = id;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

/*
 * A socket of the caller's netns, the family resolved.  NULL with an
 * error printed when netlink or the family (the module) is missing.
 */
struct nl *nl_open(void)
{
	struct family_info fi = { 0 };
	struct nlmsghdr *nlh;
	struct nl *nl;
	int one = 1, err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	nl->buf = malloc(NL_BUFSIZE);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->buf || !nl->sock ||
	    mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "%s: generic netlink: %s\n", progname,
			strerror(errno));
		nl_close(nl);
		return NULL;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = nl_msg(nl, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TCPFSM_FAMILY_NAME);
	err = nl_talk(nl, nlh, nl_family_cb, &fi);
	if (err || !fi.id) {
		if (err == -ENOENT || !fi.id)
			fprintf(stderr,
				"%s: no \"%s\" generic netlink family: is the tcpfsm module loaded?\n",
				progname, TCPFSM_FAMILY_NAME);
		else
			fprintf(stderr, "%s: resolving the %s family: %s\n",
				progname, TCPFSM_FAMILY_NAME, strerror(-err));
		nl_close(nl);
		return NULL;
	}
	nl->family = fi.id;
	nl->events_grp = fi.events;
	return nl;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

/* Subscribe to the "events" group; a negative errno on failure. */
int nl_join_events(struct nl *nl)
{
	int grp = nl->events_grp;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return -errno;
	return 0;
}

static int nl_parse_history(const struct nlattr *nest, struct transition *t)
{
	const struct nlattr *a;

	memset(t, 0, sizeof(*t));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case TCPFSM_A_TRANSITION_FROM:
			t->from = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_TRANSITION_TO:
			t->to = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_TRANSITION_CAUSE:
			t->cause = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_TRANSITION_TIME_NS:
			t->time_ns = mnl_attr_get_u64(a);
			break;
		}
	}
	return 0;
}

static void nl_parse_conn(const struct nlmsghdr *nlh, struct conn *c)
{
	const struct nlattr *a;
	int type;

	memset(c, 0, sizeof(*c));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		type = mnl_attr_get_type(a);
		if (type > TCPFSM_A_CONN_MAX)
			continue;
		c->have |= 1ULL << type;
		switch (type) {
		case TCPFSM_A_CONN_LOCAL_ADDR:
			c->local.addr.s_addr = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_LOCAL_PORT:
			c->local.port = ntohs(mnl_attr_get_u16(a));
			break;
		case TCPFSM_A_CONN_REMOTE_ADDR:
			c->remote.addr.s_addr = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_REMOTE_PORT:
			c->remote.port = ntohs(mnl_attr_get_u16(a));
			break;
		case TCPFSM_A_CONN_STATE:
			c->state = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_OLD_STATE:
			c->old_state = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_CAUSE:
			c->cause = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_SND_UNA:
			c->snd_una = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_SND_NXT:
			c->snd_nxt = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_RCV_NXT:
			c->rcv_nxt = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_SEND_QUEUE:
			c->send_queue = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_RECV_QUEUE:
			c->recv_queue = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_TIMER:
			c->timer = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_TIMER_LEFT_MS:
			c->timer_left_ms = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_SRTT_US:
			c->srtt_us = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_RTTVAR_US:
			c->rttvar_us = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_RTO_US:
			c->rto_us = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_RETRANSMITS:
			c->retransmits = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_HISTORY_COUNT:
			c->history_count = mnl_attr_get_u32(a);
			break;
		case TCPFSM_A_CONN_HISTORY:
			if (c->nhist < HISTORY_MAX)
				nl_parse_history(a, &c->hist[c->nhist++]);
			break;
		case TCPFSM_A_CONN_TIME_NS:
			c->time_ns = mnl_attr_get_u64(a);
			break;
		case TCPFSM_A_CONN_LATENESS_NS:
			c->lateness_ns = mnl_attr_get_u64(a);
			break;
		}
	}
}

static void nl_put_tuple(struct nlmsghdr *nlh, const struct endpoint *local,
			 const struct endpoint *remote)
{
	mnl_attr_put_u32(nlh, TCPFSM_A_CONN_LOCAL_ADDR, local->addr.s_addr);
	mnl_attr_put_u16(nlh, TCPFSM_A_CONN_LOCAL_PORT, htons(local->port));
	mnl_attr_put_u32(nlh, TCPFSM_A_CONN_REMOTE_ADDR, remote->addr.s_addr);
	mnl_attr_put_u16(nlh, TCPFSM_A_CONN_REMOTE_PORT, htons(remote->port));
}

static int nl_conn_one_cb(const struct nlmsghdr *nlh, void *data)
{
	nl_parse_conn(nlh, data);
	return MNL_CB_OK;
}

/* One connection by its 4-tuple: 0, -ENOENT or another negative errno. */
int nl_conn_get(struct nl *nl, const struct endpoint *local,
		const struct endpoint *remote, struct conn *c)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(nl, nl->family, 0, TCPFSM_CMD_CONN_GET,
		     TCPFSM_FAMILY_VERSION);
	nl_put_tuple(nlh, local, remote);
	memset(c, 0, sizeof(*c));
	return nl_talk(nl, nlh, nl_conn_one_cb, c);
}

struct dump_ctx {
	conn_cb	cb;
	void	*data;
};

static int nl_conn_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct conn c;

	nl_parse_conn(nlh, &c);
	return d->cb(&c, d->data) ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Every connection, those in @state and on local port @lport if >= 0. */
int nl_conn_dump(struct nl *nl, int state, int lport, conn_cb cb, void *data)
{
	struct dump_ctx d = { cb, data };
	struct nlmsghdr *nlh;

	nlh = nl_msg(nl, nl->family, NLM_F_DUMP, TCPFSM_CMD_CONN_GET,
		     TCPFSM_FAMILY_VERSION);
	if (state >= 0)
		mnl_attr_put_u32(nlh, TCPFSM_A_CONN_STATE, state);
	if (lport >= 0)
		mnl_attr_put_u16(nlh, TCPFSM_A_CONN_LOCAL_PORT, htons(lport));
	return nl_talk(nl, nlh, nl_conn_dump_cb, &d);
}

int nl_conn_kill(struct nl *nl, const struct endpoint *local,
		 const struct endpoint *remote)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(nl, nl->family, 0, TCPFSM_CMD_CONN_KILL,
		     TCPFSM_FAMILY_VERSION);
	nl_put_tuple(nlh, local, remote);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct stats_ctx {
	uint64_t	*val;
	bool		*have;
	int		max;
};

static int nl_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_ctx *s = data;
	const struct nlattr *a;
	int type;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		type = mnl_attr_get_type(a);
		if (type <= 0 || type > s->max ||
		    mnl_attr_get_payload_len(a) != sizeof(uint64_t))
			continue;
		s->val[type] = mnl_attr_get_u64(a);
		s->have[type] = true;
	}
	return MNL_CB_OK;
}

/* The counters, @val and @have indexed by TCPFSM_A_STATS_* up to @max. */
int nl_stats_get(struct nl *nl, uint64_t *val, bool *have, int max)
{
	struct stats_ctx s = { val, have, max };
	struct nlmsghdr *nlh;

	nlh = nl_msg(nl, nl->family, 0, TCPFSM_CMD_STATS_GET,
		     TCPFSM_FAMILY_VERSION);
	return nl_talk(nl, nlh, nl_stats_cb, &s);
}

struct event_ctx {
	event_cb	cb;
	void		*data;
};

static int nl_event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct event_ctx *e = data;
	struct conn c;

	nl_parse_conn(nlh, &c);
	return e->cb(g->cmd, &c, e->data) ? MNL_CB_STOP : MNL_CB_OK;
}

/*
 * Run @cb on every event until it returns non-zero (0 then) or an error
 * (negative errno).  Lost events (ENOBUFS) are reported and skipped.
 */
int nl_events(struct nl *nl, event_cb cb, void *data)
{
	struct event_ctx e = { cb, data };
	ssize_t n;
	int ret;

	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUFSIZE);
		if (n < 0) {
			if (errno == ENOBUFS) {
				fprintf(stderr,
					"%s: events lost: the socket's buffer overran\n",
					progname);
				continue;
			}
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run(nl->buf, n, 0, 0, nl_event_cb, &e);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -errno : 0;
	}
}
