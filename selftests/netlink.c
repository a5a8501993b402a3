// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpfsm generic netlink family (Documentation/netlink/specs/tcpfsm.yaml)
 * over raw netlink sockets: conn-get do and dump (with its filters),
 * conn-kill and its permission check, stats-get, attribute validation with
 * extack, the "events" group, and a dump of many connections while others
 * come and go.  Each test runs in a netns of its own, on loopback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/tcpfsm.h>

#include "kselftest_harness.h"

#define PROTO		253
#define NL_BUF		65536
#define MAX_ATTR	64

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* ---- a minimal generic netlink client ------------------------------------ */

struct nl {
	int fd;
	__u16 family;
	__u32 events_grp;
	__u32 seq;
	char ext_msg[256];	/* extack of the last error */
	int ext_miss;		/* its missing attribute, or -1 */
	int ext_offs;		/* its offending attribute's offset, or -1 */
};

struct req {
	union {
		struct nlmsghdr nlh;
		char buf[4096];
	};
};

static struct nlattr *attr_put(struct req *r, int type, const void *data,
			       int len)
{
	struct nlattr *a = (struct nlattr *)(r->buf + NLMSG_ALIGN(r->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void put_u32(struct req *r, int type, __u32 v)
{
	attr_put(r, type, &v, sizeof(v));
}

static void put_u16(struct req *r, int type, __u16 v)
{
	attr_put(r, type, &v, sizeof(v));
}

static void put_tuple(struct req *r, const struct sockaddr_in *l,
		      const struct sockaddr_in *rem)
{
	put_u32(r, TCPFSM_A_CONN_LOCAL_ADDR, l->sin_addr.s_addr);
	put_u16(r, TCPFSM_A_CONN_LOCAL_PORT, l->sin_port);
	put_u32(r, TCPFSM_A_CONN_REMOTE_ADDR, rem->sin_addr.s_addr);
	put_u16(r, TCPFSM_A_CONN_REMOTE_PORT, rem->sin_port);
}

static void req_init(struct nl *nl, struct req *r, __u16 type, __u8 cmd,
		     __u16 flags)
{
	struct genlmsghdr *g;

	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nlh.nlmsg_seq = ++nl->seq;
	g = NLMSG_DATA(&r->nlh);
	g->cmd = cmd;
	g->version = 1;
}

/* Attributes of a message (or nest) into tb[0..MAX_ATTR). */
static void parse(struct nlattr **tb, void *data, int len)
{
	struct nlattr *a;

	memset(tb, 0, MAX_ATTR * sizeof(*tb));
	for (a = data; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	     a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if ((a->nla_type & NLA_TYPE_MASK) < MAX_ATTR)
			tb[a->nla_type & NLA_TYPE_MASK] = a;
	}
}

static void *attr_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static __u32 get_u32(const struct nlattr *a)
{
	return *(__u32 *)attr_data(a);
}

static __u16 get_u16(const struct nlattr *a)
{
	return *(__u16 *)attr_data(a);
}

static __u64 get_u64(const struct nlattr *a)
{
	__u64 v;

	memcpy(&v, attr_data(a), sizeof(v));
	return v;
}

typedef int (*msg_cb)(struct nlmsghdr *nlh, void *arg);

/* Record an error's extack (NLMSGERR_ATTR_*). */
static void save_extack(struct nl *nl, struct nlmsghdr *nlh)
{
	struct nlmsgerr *e = NLMSG_DATA(nlh);
	struct nlattr *tb[MAX_ATTR];
	int off;

	nl->ext_msg[0] = 0;
	nl->ext_miss = nl->ext_offs = -1;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	parse(tb, (char *)e + off, nlh->nlmsg_len - NLMSG_HDRLEN - off);
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s",
			 (char *)attr_data(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		nl->ext_miss = get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	if (tb[NLMSGERR_ATTR_OFFS])
		nl->ext_offs = get_u32(tb[NLMSGERR_ATTR_OFFS]);
}

/*
 * Send @r and read until its ACK or DONE, calling @cb for each message.
 * Return: 0, or the request's negative errno.
 */
/* recv()s done by nl_talk(): a dump's messages (each one a resume). */
static int nl_recvs;

static int nl_talk(struct nl *nl, struct req *r, msg_cb cb, void *arg)
{
	static char buf[NL_BUF];
	struct nlmsghdr *nlh;
	int n, err;

	nl->ext_msg[0] = 0;
	nl->ext_miss = nl->ext_offs = -1;
	if (send(nl->fd, r, r->nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		nl_recvs++;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != r->nlh.nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				if (err)
					save_extack(nl, nlh);
				return err;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return *(int *)NLMSG_DATA(nlh);
			if (cb) {
				err = cb(nlh, arg);
				if (err)
					return err;
			}
		}
	}
}

static int resolve_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nl *nl = arg;
	struct nlattr *tb[MAX_ATTR], *grp[MAX_ATTR], *a;
	int len;

	parse(tb, (char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
	      nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	if (tb[CTRL_ATTR_FAMILY_ID])
		nl->family = get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	len = tb[CTRL_ATTR_MCAST_GROUPS]->nla_len - NLA_HDRLEN;
	for (a = attr_data(tb[CTRL_ATTR_MCAST_GROUPS]); len >= NLA_HDRLEN;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		parse(grp, attr_data(a), a->nla_len - NLA_HDRLEN);
		if (grp[CTRL_ATTR_MCAST_GRP_NAME] && grp[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(attr_data(grp[CTRL_ATTR_MCAST_GRP_NAME]),
			    TCPFSM_MCGRP_EVENTS))
			nl->events_grp = get_u32(grp[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

/* A generic netlink socket in the current netns, the family resolved. */
static int nl_open(struct nl *nl)
{
	int one = 1, big = 4 << 20;
	struct req r;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	req_init(nl, &r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	attr_put(&r, CTRL_ATTR_FAMILY_NAME, TCPFSM_FAMILY_NAME,
		 sizeof(TCPFSM_FAMILY_NAME));
	return nl_talk(nl, &r, resolve_cb, nl) ?: (nl->family ? 0 : -ENOENT);
}

static int nl_subscribe(struct nl *nl)
{
	int grp = nl->events_grp;

	return setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
			  sizeof(grp)) ? -errno : 0;
}

/* ---- connections ---------------------------------------------------------- */

/* One conn-get message, decoded. */
struct conn {
	struct sockaddr_in l, r;
	int state, old_state, cause, timer, hist_count, nhist;
	__u32 snd_una, snd_nxt, rcv_nxt;
	__u64 time_ns, lateness_ns;
	__u8 cmd;
	bool has_lateness;
	struct { int from, to, cause; __u64 time_ns; } hist[16];
};

static void conn_decode(struct nlmsghdr *nlh, struct conn *c)
{
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), n;
	struct nlattr *tb[MAX_ATTR], *h[MAX_ATTR], *a;

	memset(c, 0, sizeof(*c));
	c->cmd = g->cmd;
	c->l.sin_family = c->r.sin_family = AF_INET;
	parse(tb, (char *)g + GENL_HDRLEN, len);
#define U32(x, f)	do { if (tb[x]) c->f = get_u32(tb[x]); } while (0)
	U32(TCPFSM_A_CONN_LOCAL_ADDR, l.sin_addr.s_addr);
	U32(TCPFSM_A_CONN_REMOTE_ADDR, r.sin_addr.s_addr);
	U32(TCPFSM_A_CONN_STATE, state);
	U32(TCPFSM_A_CONN_OLD_STATE, old_state);
	U32(TCPFSM_A_CONN_CAUSE, cause);
	U32(TCPFSM_A_CONN_TIMER, timer);
	U32(TCPFSM_A_CONN_HISTORY_COUNT, hist_count);
	U32(TCPFSM_A_CONN_SND_UNA, snd_una);
	U32(TCPFSM_A_CONN_SND_NXT, snd_nxt);
	U32(TCPFSM_A_CONN_RCV_NXT, rcv_nxt);
#undef U32
	if (tb[TCPFSM_A_CONN_LOCAL_PORT])
		c->l.sin_port = get_u16(tb[TCPFSM_A_CONN_LOCAL_PORT]);
	if (tb[TCPFSM_A_CONN_REMOTE_PORT])
		c->r.sin_port = get_u16(tb[TCPFSM_A_CONN_REMOTE_PORT]);
	if (tb[TCPFSM_A_CONN_TIME_NS])
		c->time_ns = get_u64(tb[TCPFSM_A_CONN_TIME_NS]);
	if (tb[TCPFSM_A_CONN_LATENESS_NS]) {
		c->lateness_ns = get_u64(tb[TCPFSM_A_CONN_LATENESS_NS]);
		c->has_lateness = true;
	}
	/* History: a multi-attr, so walk them all. */
	for (a = (struct nlattr *)((char *)g + GENL_HDRLEN), n = len;
	     n >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN;
	     n -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if ((a->nla_type & NLA_TYPE_MASK) != TCPFSM_A_CONN_HISTORY ||
		    c->nhist == 16)
			continue;
		parse(h, attr_data(a), a->nla_len - NLA_HDRLEN);
		if (h[TCPFSM_A_TRANSITION_FROM])
			c->hist[c->nhist].from = get_u32(h[TCPFSM_A_TRANSITION_FROM]);
		if (h[TCPFSM_A_TRANSITION_TO])
			c->hist[c->nhist].to = get_u32(h[TCPFSM_A_TRANSITION_TO]);
		if (h[TCPFSM_A_TRANSITION_CAUSE])
			c->hist[c->nhist].cause = get_u32(h[TCPFSM_A_TRANSITION_CAUSE]);
		if (h[TCPFSM_A_TRANSITION_TIME_NS])
			c->hist[c->nhist].time_ns = get_u64(h[TCPFSM_A_TRANSITION_TIME_NS]);
		c->nhist++;
	}
}

struct conns {
	struct conn *v;
	int n, cap;
	int msgs;
};

static int collect_cb(struct nlmsghdr *nlh, void *arg)
{
	struct conns *cs = arg;

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 64;
		cs->v = realloc(cs->v, cs->cap * sizeof(*cs->v));
		if (!cs->v)
			return -ENOMEM;
	}
	conn_decode(nlh, &cs->v[cs->n++]);
	return 0;
}

static int conn_get(struct nl *nl, const struct sockaddr_in *l,
		    const struct sockaddr_in *rem, struct conn *c)
{
	struct conns cs = { 0 };
	struct req r;
	int err;

	req_init(nl, &r, nl->family, TCPFSM_CMD_CONN_GET, 0);
	put_tuple(&r, l, rem);
	err = nl_talk(nl, &r, collect_cb, &cs);
	if (!err && cs.n != 1)
		err = -EBADMSG;
	if (!err)
		*c = cs.v[0];
	free(cs.v);
	return err;
}

/* A dump; @state and @port 0 for no filter. */
static int conn_dump(struct nl *nl, int state, __u16 port, struct conns *cs)
{
	struct req r;

	memset(cs, 0, sizeof(*cs));
	req_init(nl, &r, nl->family, TCPFSM_CMD_CONN_GET, NLM_F_DUMP);
	if (state)
		put_u32(&r, TCPFSM_A_CONN_STATE, state);
	if (port)
		put_u16(&r, TCPFSM_A_CONN_LOCAL_PORT, port);
	return nl_talk(nl, &r, collect_cb, cs);
}

static int conn_kill(struct nl *nl, const struct sockaddr_in *l,
		     const struct sockaddr_in *rem)
{
	struct req r;

	req_init(nl, &r, nl->family, TCPFSM_CMD_CONN_KILL, 0);
	put_tuple(&r, l, rem);
	return nl_talk(nl, &r, NULL, NULL);
}

static int private_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, ret;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ret = ret ?: ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ret ? -errno : 0;
}

static int listener(int port, int backlog, struct sockaddr_in *addr)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		.sin_port = htons(port),
	};
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, PROTO);

	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) ||
	    listen(fd, backlog) || getsockname(fd, (void *)addr, &len))
		return -1;
	return fd;
}

/* A connected pair: *c the client, *s accepted.  Return: 0 or -1. */
static int pair(int lfd, const struct sockaddr_in *to, int *c, int *s)
{
	*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, PROTO);
	if (*c < 0 || connect(*c, (const void *)to, sizeof(*to)))
		return -1;
	*s = accept(lfd, NULL, NULL);
	return *s < 0 ? -1 : 0;
}

static void names(int fd, struct sockaddr_in *l, struct sockaddr_in *r)
{
	socklen_t len = sizeof(*l);

	getsockname(fd, (void *)l, &len);
	len = sizeof(*r);
	if (r)
		getpeername(fd, (void *)r, &len);
}

static bool same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr &&
	       a->sin_port == b->sin_port;
}

static int write_knob(const char *name, long val)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/tcpfsm/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%ld\n", val);
	return fclose(f) ? -errno : 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for a conn-get dump entry of @l/@r in @state; 0 when seen. */
static int wait_dump_state(struct nl *nl, const struct sockaddr_in *l,
			   const struct sockaddr_in *r, int state)
{
	long long end = now_ms() + 5000;
	struct conns cs;
	int i;

	do {
		if (conn_dump(nl, state, 0, &cs))
			return -1;
		for (i = 0; i < cs.n; i++)
			if (same(&cs.v[i].l, l) && same(&cs.v[i].r, r))
				break;
		free(cs.v);
		if (i < cs.n)
			return 0;
		usleep(20000);
	} while (now_ms() < end);
	return -1;
}

/* ---- tests ---------------------------------------------------------------- */

FIXTURE(nl) {
	struct nl nl;
	struct sockaddr_in laddr;
	int lfd, cfd, sfd;
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, private_netns());
	ASSERT_EQ(0, nl_open(&self->nl));
	self->lfd = listener(0, 128, &self->laddr);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, pair(self->lfd, &self->laddr, &self->cfd, &self->sfd));
}

FIXTURE_TEARDOWN(nl)
{
	close(self->cfd);
	close(self->sfd);
	close(self->lfd);
	close(self->nl.fd);
}

/* do by 4-tuple: the client, the accepted side, the listener, nothing. */
TEST_F(nl, do_by_tuple)
{
	struct sockaddr_in l, r, zero = { .sin_family = AF_INET };
	struct conn c;

	names(self->cfd, &l, &r);
	ASSERT_EQ(0, conn_get(&self->nl, &l, &r, &c));
	EXPECT_EQ(TCPFSM_CMD_CONN_GET, c.cmd);
	EXPECT_TRUE(same(&c.l, &l));
	EXPECT_TRUE(same(&c.r, &r));
	EXPECT_EQ(TCPFSM_CONN_STATE_ESTABLISHED, c.state);
	EXPECT_EQ(c.snd_una, c.snd_nxt);	/* nothing in flight */
	/* CLOSED -> SYN_SENT (connect), SYN_SENT -> ESTABLISHED. */
	ASSERT_LE(2, c.hist_count);
	ASSERT_EQ(c.hist_count < 16 ? c.hist_count : 16, c.nhist);
	EXPECT_EQ(TCPFSM_CONN_STATE_CLOSED, c.hist[0].from);
	EXPECT_EQ(TCPFSM_CONN_STATE_SYN_SENT, c.hist[0].to);
	EXPECT_EQ(TCPFSM_CAUSE_CONNECT, c.hist[0].cause);
	EXPECT_EQ(TCPFSM_CONN_STATE_ESTABLISHED, c.hist[c.nhist - 1].to);
	EXPECT_EQ(TCPFSM_CAUSE_RCV_SYN_ACK, c.hist[c.nhist - 1].cause);
	EXPECT_NE(0ULL, c.hist[0].time_ns);
	EXPECT_LE(c.hist[0].time_ns, c.hist[c.nhist - 1].time_ns);

	/* The server's view: the same connection, reversed. */
	ASSERT_EQ(0, conn_get(&self->nl, &r, &l, &c));
	EXPECT_EQ(TCPFSM_CONN_STATE_ESTABLISHED, c.state);
	EXPECT_EQ(TCPFSM_CONN_STATE_ESTABLISHED, c.hist[c.nhist - 1].to);

	/* The listener: remote 0.0.0.0:0. */
	ASSERT_EQ(0, conn_get(&self->nl, &self->laddr, &zero, &c));
	EXPECT_EQ(TCPFSM_CONN_STATE_LISTEN, c.state);
	EXPECT_EQ(TCPFSM_CAUSE_LISTEN, c.hist[c.nhist - 1].cause);

	/* No such connection. */
	r.sin_port = htons(ntohs(r.sin_port) ^ 1);
	EXPECT_EQ(-ENOENT, conn_get(&self->nl, &l, &r, &c));
	EXPECT_STREQ("no such connection", self->nl.ext_msg);
}

/* Events until @done says so or @ms pass; returns how many. */
static int read_events(struct nl *nl, struct conns *cs, int ms,
		       bool (*done)(const struct conns *, void *), void *arg)
{
	static char buf[NL_BUF];
	long long end = now_ms() + ms;
	struct nlmsghdr *nlh;
	struct pollfd p = { .fd = nl->fd, .events = POLLIN };
	int n;

	while (now_ms() < end && !(done && done(cs, arg))) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(nl->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n))
			if (nlh->nlmsg_type == nl->family)
				collect_cb(nlh, cs);
	}
	return cs->n;
}

struct tuple2 {
	struct sockaddr_in l, r;
};

/* The TIME_WAIT entry of @arg's 4-tuple ended: the life's last event. */
static bool tw_closed(const struct conns *cs, void *arg)
{
	const struct tuple2 *t = arg;
	int i;

	for (i = 0; i < cs->n; i++)
		if (cs->v[i].cmd == TCPFSM_CMD_TRANSITION_NTF &&
		    cs->v[i].old_state == TCPFSM_CONN_STATE_TIME_WAIT &&
		    same(&cs->v[i].l, &t->l) && same(&cs->v[i].r, &t->r))
			return true;
	return false;
}

struct step {
	int from, to, cause;
};

/*
 * @l/@r's transition events are exactly @want, in order; *@last: the
 * index in @cs of the last one.
 */
static bool life_is(struct __test_metadata *_metadata,
		    const struct conns *cs, const struct sockaddr_in *l,
		    const struct sockaddr_in *r, const struct step *want,
		    int n, int *last)
{
	int i, k = 0;
	bool ok = true;

	for (i = 0; i < cs->n; i++) {
		const struct conn *c = &cs->v[i];

		if (c->cmd != TCPFSM_CMD_TRANSITION_NTF || !same(&c->l, l) ||
		    !same(&c->r, r))
			continue;
		if (k >= n || c->old_state != want[k].from ||
		    c->state != want[k].to || c->cause != want[k].cause) {
			TH_LOG("event %d: %d -> %d cause %d, unexpected", k,
			       c->old_state, c->state, c->cause);
			ok = false;
		}
		k++;
		*last = i;
	}
	if (k != n) {
		TH_LOG("%d events for the connection, %d expected", k, n);
		ok = false;
	}
	return ok;
}

/* Is (from, to, cause) among @l/@r's transition events, after *@at? */
static bool saw(const struct conns *cs, const struct sockaddr_in *l,
		const struct sockaddr_in *r, int from, int to, int cause,
		int *at)
{
	int i;

	for (i = *at; i < cs->n; i++) {
		const struct conn *c = &cs->v[i];

		if (c->cmd == TCPFSM_CMD_TRANSITION_NTF && same(&c->l, l) &&
		    same(&c->r, r) && c->old_state == from && c->state == to &&
		    c->cause == cause) {
			*at = i + 1;
			return true;
		}
	}
	return false;
}

static int count_tuple(const struct conns *cs, const struct sockaddr_in *l,
			  const struct sockaddr_in *r, int state)
{
	int i, n = 0;

	for (i = 0; i < cs->n; i++)
		if (same(&cs->v[i].l, l) && same(&cs->v[i].r, r) &&
		    (!state || cs->v[i].state == state))
			n++;
	return n;
}

/* Dumps: all, by state, by local port, both; TIME_WAIT entries too. */
TEST_F(nl, dump_filters)
{
	struct sockaddr_in l2addr, l, r, zero = { .sin_family = AF_INET };
	int l2, c[3], s[3], i, tc, ts;
	struct conns cs, ev;
	struct tuple2 t;
	struct nl ev_nl;
	struct conn tw;
	char b;

	l2 = listener(0, 16, &l2addr);
	ASSERT_LE(0, l2);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pair(l2, &l2addr, &c[i], &s[i]));
	/* One in TIME_WAIT: the client closes first. */
	ASSERT_EQ(0, pair(self->lfd, &self->laddr, &tc, &ts));
	names(tc, &l, &r);
	t.l = l;
	t.r = r;
	close(tc);
	ASSERT_EQ(0, read(ts, &b, 1));
	close(ts);
	ASSERT_EQ(0, wait_dump_state(&self->nl, &l, &r,
				     TCPFSM_CONN_STATE_TIME_WAIT));

	/* 2 listeners, 4 connections (two ends each), 1 TIME_WAIT. */
	ASSERT_EQ(0, conn_dump(&self->nl, 0, 0, &cs));
	EXPECT_EQ(2 + 8 + 1, cs.n);
	EXPECT_EQ(1, count_tuple(&cs, &self->laddr, &zero,
				 TCPFSM_CONN_STATE_LISTEN));
	EXPECT_EQ(1, count_tuple(&cs, &l, &r, TCPFSM_CONN_STATE_TIME_WAIT));
	free(cs.v);

	ASSERT_EQ(0, conn_dump(&self->nl, TCPFSM_CONN_STATE_LISTEN, 0, &cs));
	EXPECT_EQ(2, cs.n);
	for (i = 0; i < (int)cs.n; i++)
		EXPECT_EQ(TCPFSM_CONN_STATE_LISTEN, cs.v[i].state);
	free(cs.v);

	ASSERT_EQ(0, conn_dump(&self->nl, TCPFSM_CONN_STATE_TIME_WAIT, 0, &cs));
	ASSERT_EQ(1, cs.n);
	EXPECT_EQ(TCPFSM_TIMER_KIND_TIME_WAIT, cs.v[0].timer);
	free(cs.v);

	/* Port of listener 2: it and its 3 accepted connections. */
	ASSERT_EQ(0, conn_dump(&self->nl, 0, l2addr.sin_port, &cs));
	EXPECT_EQ(4, cs.n);
	for (i = 0; i < (int)cs.n; i++)
		EXPECT_EQ(l2addr.sin_port, cs.v[i].l.sin_port);
	free(cs.v);

	ASSERT_EQ(0, conn_dump(&self->nl, TCPFSM_CONN_STATE_ESTABLISHED,
			       l2addr.sin_port, &cs));
	EXPECT_EQ(3, cs.n);
	free(cs.v);

	/*
	 * The TIME_WAIT entry by its 4-tuple.  Of the history it keeps the
	 * move into TIME_WAIT; the count is the connection's (connect,
	 * SYN+ACK, close, ACK of FIN, FIN).
	 */
	ASSERT_EQ(0, conn_get(&self->nl, &l, &r, &tw));
	EXPECT_EQ(TCPFSM_CONN_STATE_TIME_WAIT, tw.state);
	EXPECT_EQ(TCPFSM_TIMER_KIND_TIME_WAIT, tw.timer);
	EXPECT_EQ(5, tw.hist_count);
	ASSERT_EQ(1, tw.nhist);
	EXPECT_EQ(TCPFSM_CONN_STATE_FIN_WAIT_2, tw.hist[0].from);
	EXPECT_EQ(TCPFSM_CONN_STATE_TIME_WAIT, tw.hist[0].to);
	EXPECT_EQ(TCPFSM_CAUSE_RCV_FIN, tw.hist[0].cause);
	EXPECT_NE(0ULL, tw.hist[0].time_ns);

	/*
	 * conn-kill ends it at once, as ss -K does TCP's (tcp_abort()),
	 * and that is the connection's last event.
	 */
	ASSERT_EQ(0, nl_open(&ev_nl));
	ASSERT_EQ(0, nl_subscribe(&ev_nl));
	EXPECT_EQ(0, conn_kill(&self->nl, &l, &r));
	EXPECT_EQ(-ENOENT, conn_get(&self->nl, &l, &r, &tw));
	EXPECT_EQ(-ENOENT, conn_kill(&self->nl, &l, &r));
	memset(&ev, 0, sizeof(ev));
	read_events(&ev_nl, &ev, 10000, tw_closed, &t);
	ASSERT_EQ(1, ev.n);
	EXPECT_EQ(TCPFSM_CMD_TRANSITION_NTF, ev.v[0].cmd);
	EXPECT_TRUE(same(&ev.v[0].l, &l));
	EXPECT_TRUE(same(&ev.v[0].r, &r));
	EXPECT_EQ(TCPFSM_CONN_STATE_TIME_WAIT, ev.v[0].old_state);
	EXPECT_EQ(TCPFSM_CONN_STATE_CLOSED, ev.v[0].state);
	EXPECT_EQ(TCPFSM_CAUSE_ABORT, ev.v[0].cause);
	EXPECT_FALSE(ev.v[0].has_lateness);
	free(ev.v);
	close(ev_nl.fd);

	for (i = 0; i < 3; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(l2);
}

/* conn-kill: RST to the peer, ECONNRESET on both ends, gone after. */
TEST_F(nl, kill)
{
	struct sockaddr_in l, r;
	struct conn c;
	char b;

	names(self->cfd, &l, &r);
	ASSERT_EQ(0, conn_kill(&self->nl, &l, &r));
	EXPECT_EQ(-1, read(self->cfd, &b, 1));
	EXPECT_EQ(ECONNRESET, errno);
	/* The peer got our RST. */
	EXPECT_EQ(-1, read(self->sfd, &b, 1));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(-ENOENT, conn_get(&self->nl, &l, &r, &c));
	EXPECT_EQ(-ENOENT, conn_get(&self->nl, &r, &l, &c));
	/* Again: nothing there. */
	EXPECT_EQ(-ENOENT, conn_kill(&self->nl, &l, &r));
	EXPECT_STREQ("no such connection", self->nl.ext_msg);
	/* Listeners are refused. */
	l = self->laddr;
	memset(&r, 0, sizeof(r));
	EXPECT_EQ(-EOPNOTSUPP, conn_kill(&self->nl, &l, &r));
}

/*
 * Into a new user namespace, where our capabilities do not reach the
 * netns.  vm-run's guest is a chroot, where unshare(CLONE_NEWUSER) is
 * refused (EPERM): first become the root of a mount namespace of our own.
 */
static int enter_userns(void)
{
	if (!unshare(CLONE_NEWUSER))
		return 0;
	if (errno != EPERM)
		return -1;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) || chdir("/") ||
	    syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH))
		return -1;
	return unshare(CLONE_NEWUSER);
}

/*
 * Without CAP_NET_ADMIN in the netns's user namespace: EPERM, the
 * connection untouched; reading is still allowed.
 */
TEST_F(nl, kill_eperm)
{
	struct sockaddr_in l, r;
	int status;
	pid_t pid;
	char b;

	names(self->cfd, &l, &r);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		bool userns = true;
		struct conn c;
		struct nl nl;

		/* Our caps are now in a child user namespace only. */
		/*
		 * Where no user namespace can be had, an unprivileged uid
		 * lacks CAP_NET_ADMIN just as well (exit status 1 says so).
		 */
		if (enter_userns()) {
			if (setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(9);
			userns = false;
		}
		if (nl_open(&nl))
			_exit(10);
		if (conn_kill(&nl, &l, &r) != -EPERM)
			_exit(11);
		if (conn_get(&nl, &l, &r, &c) ||
		    c.state != TCPFSM_CONN_STATE_ESTABLISHED)
			_exit(12);
		_exit(userns ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_GE(1, WEXITSTATUS(status));
	if (WEXITSTATUS(status))
		TH_LOG("no user namespace here: checked as uid 65534");
	/* Still connected. */
	ASSERT_EQ(1, write(self->cfd, "x", 1));
	ASSERT_EQ(1, read(self->sfd, &b, 1));
}

/* Before 6.2? */
static bool old_kernel(void)
{
	struct utsname u;
	int major, minor;

	return !uname(&u) && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	       (major < 6 || (major == 6 && minor < 2));
}

/* Bad requests: EINVAL with extack naming what is wrong. */
TEST_F(nl, bad_attrs)
{
	struct sockaddr_in l, r;
	struct nl *nl = &self->nl;
	struct conn c;
	struct req q;

	names(self->cfd, &l, &r);

	/* Missing remote port. */
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_GET, 0);
	put_u32(&q, TCPFSM_A_CONN_LOCAL_ADDR, l.sin_addr.s_addr);
	put_u16(&q, TCPFSM_A_CONN_LOCAL_PORT, l.sin_port);
	put_u32(&q, TCPFSM_A_CONN_REMOTE_ADDR, r.sin_addr.s_addr);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	EXPECT_EQ(TCPFSM_A_CONN_REMOTE_PORT, nl->ext_miss);

	/* Local port 0. */
	l.sin_port = 0;
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_GET, 0);
	put_tuple(&q, &l, &r);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	EXPECT_STREQ("local port must not be 0", nl->ext_msg);
	EXPECT_LT(0, nl->ext_offs);

	/* A port of the wrong size. */
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_GET, 0);
	put_u32(&q, TCPFSM_A_CONN_LOCAL_ADDR, l.sin_addr.s_addr);
	put_u32(&q, TCPFSM_A_CONN_LOCAL_PORT, 1234);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	EXPECT_LT(0, nl->ext_offs);

	/* A state that does not exist, as a dump filter. */
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_GET, NLM_F_DUMP);
	put_u32(&q, TCPFSM_A_CONN_STATE, 99);
	/* The policy's range check: ERANGE, as netlink says it. */
	EXPECT_EQ(-ERANGE, nl_talk(nl, &q, NULL, NULL));
	EXPECT_NE(0, nl->ext_msg[0]);
	EXPECT_LT(0, nl->ext_offs);

	/* An attribute a dump does not filter on. */
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_GET, NLM_F_DUMP);
	put_u32(&q, TCPFSM_A_CONN_REMOTE_ADDR, r.sin_addr.s_addr);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	/* 6.1's genetlink gives a dump's start callback no extack. */
	if (!old_kernel())
		EXPECT_STREQ("a dump filters by state and local port only",
			     nl->ext_msg);

	/* An attribute of replies only, in a request. */
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_GET, 0);
	put_u32(&q, TCPFSM_A_CONN_SND_UNA, 1);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	EXPECT_NE(0, nl->ext_msg[0]);

	/* stats-get takes no attributes. */
	req_init(nl, &q, nl->family, TCPFSM_CMD_STATS_GET, 0);
	put_u32(&q, TCPFSM_A_STATS_ACTIVE_OPENS, 1);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));

	/* A listener's remote is all zero, not half. */
	names(self->cfd, &l, &r);
	r.sin_addr.s_addr = 0;
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_GET, 0);
	put_tuple(&q, &l, &r);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	EXPECT_NE(0, nl->ext_msg[0]);

	/* conn-kill: the same checks of its 4-tuple. */
	names(self->cfd, &l, &r);
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_KILL, 0);
	put_u32(&q, TCPFSM_A_CONN_LOCAL_ADDR, l.sin_addr.s_addr);
	put_u16(&q, TCPFSM_A_CONN_LOCAL_PORT, l.sin_port);
	put_u16(&q, TCPFSM_A_CONN_REMOTE_PORT, r.sin_port);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	EXPECT_EQ(TCPFSM_A_CONN_REMOTE_ADDR, nl->ext_miss);
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_KILL, 0);
	put_tuple(&q, &l, &r);
	put_u32(&q, TCPFSM_A_CONN_STATE, TCPFSM_CONN_STATE_CLOSED);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	EXPECT_LT(0, nl->ext_offs);
	l.sin_port = 0;
	req_init(nl, &q, nl->family, TCPFSM_CMD_CONN_KILL, 0);
	put_tuple(&q, &l, &r);
	EXPECT_EQ(-EINVAL, nl_talk(nl, &q, NULL, NULL));
	EXPECT_STREQ("local port must not be 0", nl->ext_msg);

	/* A command the family does not have. */
	req_init(nl, &q, nl->family, TCPFSM_CMD_MAX + 1, 0);
	EXPECT_EQ(-EOPNOTSUPP, nl_talk(nl, &q, NULL, NULL));

	/* None of it touched the connection. */
	names(self->cfd, &l, &r);
	EXPECT_EQ(0, conn_get(nl, &l, &r, &c));
	EXPECT_EQ(TCPFSM_CONN_STATE_ESTABLISHED, c.state);
}

struct stats {
	__u64 v[TCPFSM_A_STATS_MAX + 1];
	int n;
};

static int stats_cb(struct nlmsghdr *nlh, void *arg)
{
	struct stats *st = arg;
	struct nlattr *tb[MAX_ATTR];
	int i;

	parse(tb, (char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
	      nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	for (i = TCPFSM_A_STATS_ACTIVE_OPENS; i <= TCPFSM_A_STATS_MAX; i++)
		if (tb[i]) {
			st->v[i] = get_u64(tb[i]);
			st->n++;
		}
	return 0;
}

static long long proc_stat(const char *name)
{
	char key[64];
	long long v;
	FILE *f = fopen("/proc/tcpfsm/stats", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name)) {
			fclose(f);
			return v;
		}
	fclose(f);
	return -1;
}

/* The lateness histogram's buckets together, -1 if one is missing. */
static long long late_hist_sum(void)
{
	static const char *const b[] = {
		"Le10us", "Le20us", "Le50us", "Le100us", "Le200us", "Le500us",
		"Le1ms", "Le2ms", "Le5ms", "Le10ms", "Le20ms", "Le50ms",
		"Le100ms", "Over100ms",
	};
	long long sum = 0, v;
	char name[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(b); i++) {
		snprintf(name, sizeof(name), "ReaperLate%s", b[i]);
		v = proc_stat(name);
		if (v < 0)
			return -1;
		sum += v;
	}
	return sum;
}

/* stats-get: every counter, the same values as /proc/tcpfsm/stats. */
TEST_F(nl, stats)
{
	struct stats st = { 0 };
	struct req q;

	req_init(&self->nl, &q, self->nl.family, TCPFSM_CMD_STATS_GET, 0);
	ASSERT_EQ(0, nl_talk(&self->nl, &q, stats_cb, &st));
	EXPECT_EQ(TCPFSM_A_STATS_MAX - TCPFSM_A_STATS_PAD, st.n);
	/* This netns saw exactly the fixture's one connection. */
	EXPECT_EQ(1ULL, st.v[TCPFSM_A_STATS_ACTIVE_OPENS]);
	EXPECT_EQ(1ULL, st.v[TCPFSM_A_STATS_PASSIVE_OPENS]);
	EXPECT_EQ((__u64)proc_stat("ActiveOpens"), st.v[TCPFSM_A_STATS_ACTIVE_OPENS]);
	EXPECT_EQ((__u64)proc_stat("PassiveOpens"), st.v[TCPFSM_A_STATS_PASSIVE_OPENS]);
	EXPECT_EQ((__u64)proc_stat("InSegs"), st.v[TCPFSM_A_STATS_IN_SEGS]);
	EXPECT_EQ((__u64)proc_stat("TimeWaitEntered"),
		  st.v[TCPFSM_A_STATS_TIME_WAIT_ENTERED]);
}

/*
 * A second netns sees none of the first one's connections and counters
 * (events: events_life), and cannot kill them.
 */
TEST_F(nl, second_netns)
{
	struct stats st = { 0 };
	struct sockaddr_in l, r;
	struct conns cs;
	struct conn c;
	struct nl nl2;
	struct req q;
	char b;

	names(self->cfd, &l, &r);
	ASSERT_EQ(0, private_netns());
	ASSERT_EQ(0, nl_open(&nl2));
	ASSERT_EQ(0, conn_dump(&nl2, 0, 0, &cs));
	EXPECT_EQ(0, cs.n);
	free(cs.v);
	EXPECT_EQ(-ENOENT, conn_get(&nl2, &l, &r, &c));
	EXPECT_EQ(-ENOENT, conn_get(&nl2, &self->laddr,
				    &(struct sockaddr_in){ .sin_family = AF_INET },
				    &c));
	EXPECT_EQ(-ENOENT, conn_kill(&nl2, &l, &r));
	req_init(&nl2, &q, nl2.family, TCPFSM_CMD_STATS_GET, 0);
	ASSERT_EQ(0, nl_talk(&nl2, &q, stats_cb, &st));
	EXPECT_EQ(0ULL, st.v[TCPFSM_A_STATS_ACTIVE_OPENS]);
	EXPECT_EQ(0ULL, st.v[TCPFSM_A_STATS_PASSIVE_OPENS]);
	EXPECT_EQ(0ULL, st.v[TCPFSM_A_STATS_IN_SEGS]);
	close(nl2.fd);
	/* The first netns's connection is untouched. */
	ASSERT_EQ(1, write(self->cfd, "x", 1));
	ASSERT_EQ(1, read(self->sfd, &b, 1));
	ASSERT_EQ(0, conn_get(&self->nl, &l, &r, &c));
	EXPECT_EQ(TCPFSM_CONN_STATE_ESTABLISHED, c.state);
}

/*
 * A whole connection life in events, in order: the handshake, the
 * four-way close, TIME_WAIT reaped (msl_ms lowered); and none of it seen
 * from another netns.
 */
TEST(events_life)
{
	static const struct step active[] = {
		{ TCPFSM_CONN_STATE_CLOSED, TCPFSM_CONN_STATE_SYN_SENT,
		  TCPFSM_CAUSE_CONNECT },
		{ TCPFSM_CONN_STATE_SYN_SENT, TCPFSM_CONN_STATE_ESTABLISHED,
		  TCPFSM_CAUSE_RCV_SYN_ACK },
		{ TCPFSM_CONN_STATE_ESTABLISHED, TCPFSM_CONN_STATE_FIN_WAIT_1,
		  TCPFSM_CAUSE_CLOSE },
		{ TCPFSM_CONN_STATE_FIN_WAIT_1, TCPFSM_CONN_STATE_FIN_WAIT_2,
		  TCPFSM_CAUSE_RCV_ACK_OF_FIN },
		{ TCPFSM_CONN_STATE_FIN_WAIT_2, TCPFSM_CONN_STATE_TIME_WAIT,
		  TCPFSM_CAUSE_RCV_FIN },
		{ TCPFSM_CONN_STATE_TIME_WAIT, TCPFSM_CONN_STATE_CLOSED,
		  TCPFSM_CAUSE_TIMEOUT_2MSL },
	};
	static const struct step passive[] = {
		{ TCPFSM_CONN_STATE_LISTEN, TCPFSM_CONN_STATE_SYN_RECEIVED,
		  TCPFSM_CAUSE_RCV_SYN },
		{ TCPFSM_CONN_STATE_SYN_RECEIVED, TCPFSM_CONN_STATE_ESTABLISHED,
		  TCPFSM_CAUSE_RCV_ACK },
		{ TCPFSM_CONN_STATE_ESTABLISHED, TCPFSM_CONN_STATE_CLOSE_WAIT,
		  TCPFSM_CAUSE_RCV_FIN },
		{ TCPFSM_CONN_STATE_CLOSE_WAIT, TCPFSM_CONN_STATE_LAST_ACK,
		  TCPFSM_CAUSE_CLOSE },
		{ TCPFSM_CONN_STATE_LAST_ACK, TCPFSM_CONN_STATE_CLOSED,
		  TCPFSM_CAUSE_RCV_ACK_OF_FIN },
	};
	struct sockaddr_in la, zero = { .sin_family = AF_INET };
	int last = -1;
	struct conns ev = { 0 }, other_ev = { 0 };
	struct nl nl, other;
	struct tuple2 t;
	int lfd, c, s;
	int at;
	int i;
	char b;

	/* A netns whose events must not reach us ... */
	ASSERT_EQ(0, private_netns());
	ASSERT_EQ(0, nl_open(&other));
	ASSERT_EQ(0, nl_subscribe(&other));
	/* ... and ours. */
	ASSERT_EQ(0, private_netns());
	ASSERT_EQ(0, nl_open(&nl));
	ASSERT_EQ(0, nl_subscribe(&nl));
	ASSERT_EQ(0, write_knob("msl_ms", 100));

	lfd = listener(0, 4, &la);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, pair(lfd, &la, &c, &s));
	names(c, &t.l, &t.r);
	close(c);				/* active close */
	ASSERT_EQ(0, read(s, &b, 1));		/* their FIN */
	close(s);				/* passive close */
	read_events(&nl, &ev, 20000, tw_closed, &t);
	close(lfd);

	at = 0;
	EXPECT_TRUE(saw(&ev, &la, &zero, TCPFSM_CONN_STATE_CLOSED,
			TCPFSM_CONN_STATE_LISTEN, TCPFSM_CAUSE_LISTEN, &at));
	/*
	 * The active closer, all of it: the socket hands over to its
	 * TIME_WAIT entry without an event, the entry's end is the last.
	 */
	EXPECT_TRUE(life_is(_metadata, &ev, &t.l, &t.r, active,
			    ARRAY_SIZE(active), &last));
	/* That last one is the entry reaped, with its lateness. */
	if (last >= 0) {
		EXPECT_TRUE(ev.v[last].has_lateness);
		EXPECT_GT(1000000000ULL, ev.v[last].lateness_ns);
	}
	/* The passive closer, from its first state on the listener. */
	last = -1;
	EXPECT_TRUE(life_is(_metadata, &ev, &t.r, &t.l, passive,
			    ARRAY_SIZE(passive), &last));
	if (last >= 0)
		EXPECT_FALSE(ev.v[last].has_lateness);
	for (i = 0; i < ev.n; i++) {
		if (ev.v[i].cmd == TCPFSM_CMD_TRANSITION_NTF)
			EXPECT_NE(0ULL, ev.v[i].time_ns);
	}
	TH_LOG("%d events", ev.n);

	/* The reaper's figures: it ran, and every entry is in the histogram. */
	EXPECT_EQ(0, proc_stat("TimeWaitCurrent"));
	EXPECT_LE(1, proc_stat("ReaperRuns"));
	EXPECT_GT(1000000, proc_stat("ReaperLatenessMaxUs"));
	EXPECT_EQ(proc_stat("TimeWaitReaped"), late_hist_sum());
	/* The runs' total time is at least the longest run. */
	EXPECT_LE(proc_stat("ReaperRunMaxUs"), proc_stat("ReaperRunTotalUs"));
	/* Runs over 1 ms counted, none unless the longest was one. */
	EXPECT_LE(0, proc_stat("ReaperRunsOver1ms"));
	EXPECT_LE(proc_stat("ReaperRunsOver1ms"), proc_stat("ReaperRuns"));
	EXPECT_EQ(proc_stat("ReaperRunsOver1ms") > 0,
		  proc_stat("ReaperRunMaxUs") > 1000);
	EXPECT_LE(1, proc_stat("TimeWaitReaped"));
	/* The longest run freed what one run may: at most a batch of 512. */
	EXPECT_LE(0, proc_stat("ReaperRunMaxEntries"));
	EXPECT_GE(512, proc_stat("ReaperRunMaxEntries"));
	EXPECT_GE(proc_stat("TimeWaitReaped"), proc_stat("ReaperRunMaxEntries"));

	/* Nothing of that reached the other netns. */
	read_events(&other, &other_ev, 200, NULL, NULL);
	EXPECT_EQ(0, other_ev.n);
	free(ev.v);
	free(other_ev.v);
}

/*
 * A dump of many connections across many messages, while others come and
 * go: every connection present throughout is there exactly once, and no
 * 4-tuple twice.  100,000 connections (200,000 sockets), 2,000 on the
 * debug kernel (KASAN and kmemleak under TCG: 20,000 did not finish in
 * 10 min); TCPFSM_NL_DUMP_N sets another count.  They are made in the test's body,
 * whose limit is its own, not in a fixture's set-up (30 s).
 */
static int cmp_conn(const void *a, const void *b)
{
	const struct conn *x = a, *y = b;

	if (x->l.sin_addr.s_addr != y->l.sin_addr.s_addr)
		return x->l.sin_addr.s_addr < y->l.sin_addr.s_addr ? -1 : 1;
	if (x->l.sin_port != y->l.sin_port)
		return x->l.sin_port < y->l.sin_port ? -1 : 1;
	if (x->r.sin_addr.s_addr != y->r.sin_addr.s_addr)
		return x->r.sin_addr.s_addr < y->r.sin_addr.s_addr ? -1 : 1;
	if (x->r.sin_port != y->r.sin_port)
		return x->r.sin_port < y->r.sin_port ? -1 : 1;
	return 0;
}

/* Connect and close on @to until killed: connections that come and go. */
static void churn(const struct sockaddr_in *to)
{
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, PROTO);
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		connect(fd, (const void *)to, sizeof(*to));
		close(fd);	/* RST: no TIME_WAIT pile-up */
	}
}

/* Accept and close on @lfd until killed. */
static void churn_accept(int lfd)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0)
			close(fd);
	}
}

/*
 * The client end of connection @i, bound: 20,000 ports on each of
 * 127.3.0.1, .2, ...  (one address has too few ports for 100,000).
 */
static int bound_client(int i)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(0x7f030001 + i / 20000),
		.sin_port = htons(20000 + i % 20000),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, PROTO);

	if (fd >= 0 && bind(fd, (void *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static long mem_available_mb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

/* A fixture only for its longer time limit: the debug kernel is slow. */
FIXTURE(many) {
	int unused;
};

FIXTURE_SETUP(many)
{
}

FIXTURE_TEARDOWN(many)
{
}

TEST_F_TIMEOUT(many, dump_many, 1000)
{
	const char *env = getenv("TCPFSM_NL_DUMP_N");
	bool debug = !access("/sys/kernel/debug/kmemleak", F_OK);
	int n = env ? atoi(env) : debug ? 2000 : 100000;
	int ntw = n / 10, i, lfd, chl;
	struct sockaddr_in la, ca;
	struct conns cs = { 0 };
	struct conn *want;
	int nwant = 0, found, dups = 0, j;
	int *cfd, *sfd, small = 16384, msgs;
	pid_t pid[2];
	long long t0;
	struct rlimit rl = { 4 * n + 256, 4 * n + 256 };
	struct nl nl;
	char b;

	if (env)
		TH_LOG("%d connections: TCPFSM_NL_DUMP_N", n);
	else if (debug)
		TH_LOG("%d connections, not 100000: on the debug kernel (KASAN, kmemleak) 20000 did not finish in 10 min under TCG",
		       n);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, private_netns());
	ASSERT_EQ(0, nl_open(&nl));
	TH_LOG("MemAvailable before: %ld MB", mem_available_mb());
	cfd = calloc(n, sizeof(*cfd));
	sfd = calloc(n, sizeof(*sfd));
	want = calloc(2 * n + 2, sizeof(*want));
	ASSERT_TRUE(cfd && sfd && want);
	lfd = listener(0, 4096, &la);
	ASSERT_LE(0, lfd);
	want[nwant].l = la;
	want[nwant].r.sin_family = AF_INET;
	nwant++;
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		cfd[i] = bound_client(i);
		ASSERT_LE(0, cfd[i]);
		ASSERT_EQ(0, connect(cfd[i], (const void *)&la, sizeof(la)));
		sfd[i] = accept(lfd, NULL, NULL);
		ASSERT_LE(0, sfd[i]);
		names(cfd[i], &want[nwant].l, &want[nwant].r);
		want[nwant + 1].l = want[nwant].r;
		want[nwant + 1].r = want[nwant].l;
		nwant += 2;
	}
	/* Some of them in TIME_WAIT (2 MSL is a minute by default). */
	for (i = 0; i < ntw; i++) {
		close(cfd[i]);
		ASSERT_EQ(0, read(sfd[i], &b, 1));
		close(sfd[i]);
		cfd[i] = sfd[i] = -1;
	}
	TH_LOG("%d connections (%d in TIME_WAIT) set up in %lld ms; MemAvailable %ld MB",
	       n, ntw, now_ms() - t0, mem_available_mb());
	/* The server ends are gone: wait for them to be closed. */
	for (i = 0; i < ntw; i++)
		want[1 + 2 * i + 1].state = 1;	/* not expected */

	/* Others come and go meanwhile, on a listener of their own. */
	chl = listener(0, 64, &ca);
	ASSERT_LE(0, chl);
	/* They die with us, even when the harness kills us on timeout. */
	pid[0] = fork();
	if (!pid[0] && !prctl(PR_SET_PDEATHSIG, SIGKILL))
		churn(&ca);
	pid[1] = fork();
	if (!pid[1] && !prctl(PR_SET_PDEATHSIG, SIGKILL))
		churn_accept(chl);
	ASSERT_LT(0, pid[0]);
	ASSERT_LT(0, pid[1]);

	/* A small receive buffer: many messages, each a resume. */
	setsockopt(nl.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	/* Let the TIME_WAIT hand-overs settle. */
	usleep(200000);
	t0 = now_ms();
	msgs = nl_recvs;
	ASSERT_EQ(0, conn_dump(&nl, 0, 0, &cs));
	TH_LOG("dump: %d entries in %d messages in %lld ms", cs.n,
	       nl_recvs - msgs, now_ms() - t0);
	/* Many messages (about 140 entries each): many resumes. */
	EXPECT_LT(10, nl_recvs - msgs);
	kill(pid[0], SIGKILL);
	kill(pid[1], SIGKILL);
	waitpid(pid[0], NULL, 0);
	waitpid(pid[1], NULL, 0);

	qsort(cs.v, cs.n, sizeof(*cs.v), cmp_conn);
	for (j = 1; j < cs.n; j++)
		if (!cmp_conn(&cs.v[j - 1], &cs.v[j]))
			dups++;
	EXPECT_EQ(0, dups);
	found = 0;
	for (j = 0; j < nwant; j++) {
		struct conn *hit;

		if (want[j].state)
			continue;
		hit = bsearch(&want[j], cs.v, cs.n, sizeof(*cs.v), cmp_conn);
		if (hit)
			found++;
		else if (found < 5)
			TH_LOG("missing %s:%d", inet_ntoa(want[j].l.sin_addr),
			       ntohs(want[j].l.sin_port));
	}
	EXPECT_EQ(nwant - ntw, found);

	for (i = 0; i < n; i++) {
		if (cfd[i] >= 0)
			close(cfd[i]);
		if (sfd[i] >= 0)
			close(sfd[i]);
	}
	close(lfd);
	close(chl);
	free(cs.v);
	free(want);
	free(cfd);
	free(sfd);
}

TEST_HARNESS_MAIN
