// SPDX-License-Identifier: GPL-2.0
/*
 * bind() and listen(): explicit and ephemeral ports, address conflicts,
 * SO_REUSEADDR (including TCP's TIME_WAIT rules), SO_REUSEPORT and the
 * listen backlog.  Loopback only: none of this depends on the wire.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define PORT	40123

FIXTURE(bind) {
	struct topo t;
};

FIXTURE_VARIANT(bind) {
	int proto;
};

FIXTURE_VARIANT_ADD(bind, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(bind, tcpfsm) { .proto = PROTO_TCPFSM };

FIXTURE_SETUP(bind)
{
	TOPO_SETUP(&self->t, variant->proto, false);
}

FIXTURE_TEARDOWN(bind)
{
	topo_fini(&self->t);
}

static int port_range(int *lo, int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	int n = f ? fscanf(f, "%d %d", lo, hi) : 0;

	if (f)
		fclose(f);
	return n == 2 ? 0 : -1;
}

static int set_port_range(int lo, int hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "we");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%d %d\n", lo, hi) > 0 ? 0 : -1;
	return fclose(f) || ret ? -1 : 0;
}

static int local_port(int fd)
{
	struct sockaddr_in sin;

	return sock_names(fd, &sin, NULL) ?: ntohs(sin.sin_port);
}

/* A socket bound to ip:port, optionally with SO_REUSEADDR/SO_REUSEPORT first. */
static int bound(struct topo *t, in_addr_t ip, int port, int reuse_opt, int *err)
{
	int fd = topo_socket(t, SRV);

	*err = fd < 0 ? fd : 0;
	if (fd < 0)
		return fd;
	if (reuse_opt)
		*err = set_int_opt(fd, SOL_SOCKET, reuse_opt, 1);
	if (!*err)
		*err = bind_to(fd, (struct in_addr){ htonl(ip) }, port);
	return fd;
}

TEST_F(bind, explicit_port)
{
	struct sockaddr_in local, to = sin_parse("127.0.0.1", PORT);
	int fd, cfd, err;

	fd = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, sock_names(fd, &local, NULL));
	EXPECT_TRUE(sin_equal(&to, &local));
	/* The binding is real: a client reaches exactly that port. */
	ASSERT_EQ(0, listen(fd, 1));
	cfd = topo_connect(&self->t, &to);
	ASSERT_LE(0, cfd);
	close(cfd);
	close(fd);
}

TEST_F(bind, ephemeral_port)
{
	struct sockaddr_in addr;
	int lo, hi, a, b, c, lfd, err;

	ASSERT_EQ(0, port_range(&lo, &hi));
	a = bound(&self->t, INADDR_LOOPBACK, 0, 0, &err);
	ASSERT_EQ(0, err);
	b = bound(&self->t, INADDR_ANY, 0, 0, &err);
	ASSERT_EQ(0, err);
	EXPECT_LE(lo, local_port(a));
	EXPECT_GE(hi, local_port(a));
	EXPECT_LE(lo, local_port(b));
	EXPECT_GE(hi, local_port(b));
	EXPECT_NE(local_port(a), local_port(b));

	/* connect() on an unbound socket picks one from the same range. */
	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	c = topo_connect(&self->t, &addr);
	ASSERT_LE(0, c);
	EXPECT_LE(lo, local_port(c));
	EXPECT_GE(hi, local_port(c));
	EXPECT_NE(ntohs(addr.sin_port), local_port(c));
	close(a);
	close(b);
	close(c);
	close(lfd);
}

TEST_F(bind, ephemeral_exhausted)
{
	struct sockaddr_in to = sin_parse("127.0.0.1", PORT);
	int a, b, c, lfd, err;

	/* ip_local_port_range is per netns; two ports are easy to use up. */
	ASSERT_EQ(0, set_port_range(40000, 40001));
	a = bound(&self->t, INADDR_LOOPBACK, 0, 0, &err);
	ASSERT_EQ(0, err);
	b = bound(&self->t, INADDR_LOOPBACK, 0, 0, &err);
	ASSERT_EQ(0, err);
	EXPECT_EQ(40000 + 40001, local_port(a) + local_port(b));
	c = bound(&self->t, INADDR_LOOPBACK, 0, 0, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(c);

	/* connect() cannot find a source port either. */
	lfd = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, listen(lfd, 1));
	c = topo_socket(&self->t, CLI);
	ASSERT_LE(0, c);
	EXPECT_EQ(-EADDRNOTAVAIL, neg_errno(connect(c, (struct sockaddr *)&to, sizeof(to))));
	close(a);
	close(b);
	close(c);
	close(lfd);
}

TEST_F(bind, eaddrinuse)
{
	int a, b, c, d, err;

	a = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	ASSERT_EQ(0, err);
	b = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	/* The wildcard address overlaps every specific one, either way round. */
	c = bound(&self->t, INADDR_ANY, PORT, 0, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(c);
	c = bound(&self->t, INADDR_ANY, PORT + 1, 0, &err);
	ASSERT_EQ(0, err);
	d = bound(&self->t, INADDR_LOOPBACK, PORT + 1, 0, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(d);
	/* Closing the owner frees the port at once (nothing was connected). */
	close(a);
	d = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	EXPECT_EQ(0, err);
	close(b);
	close(c);
	close(d);
}

/* Sockets sharing a port under SO_REUSEADDR: the port is free once both go. */
TEST_F(bind, last_socket_frees_port)
{
	int a, b, c, err;

	a = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEADDR, &err);
	ASSERT_EQ(0, err);
	b = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEADDR, &err);
	ASSERT_EQ(0, err);
	close(a);
	/* b still holds it against a socket without SO_REUSEADDR... */
	c = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(c);
	close(b);
	/* ...and then nobody does, and the port works again. */
	c = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, listen(c, 1));
	a = topo_connect(&self->t, &(struct sockaddr_in){ .sin_family = AF_INET,
			 .sin_port = htons(PORT), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) });
	EXPECT_LE(0, a);
	close(a);
	close(c);
}

/*
 * An accepted socket holds its listener's port, also after the listener
 * closed; when it goes (passive close: no TIME_WAIT on the port) the
 * port is free.
 */
TEST_F(bind, children_keep_port)
{
	struct sockaddr_in to = sin_parse("127.0.0.1", PORT);
	int lfd, cfd, sfd, fd, err;
	long long end;
	char c;

	lfd = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, listen(lfd, 1));
	cfd = topo_connect(&self->t, &to);
	ASSERT_LE(0, cfd);
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	close(lfd);
	fd = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(fd);
	/* The child has no SO_REUSEADDR (nor had its listener). */
	fd = bound(&self->t, INADDR_ANY, PORT, SO_REUSEADDR, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(fd);

	/* The client closes first, so its end keeps the TIME_WAIT. */
	close(cfd);
	ASSERT_EQ(0, recv(sfd, &c, 1, 0));
	close(sfd);
	fd = topo_socket(&self->t, SRV);
	ASSERT_LE(0, fd);
	/* The server end goes when its FIN is acked. */
	end = now_ms() + WAIT_MS;
	while ((err = bind_to(fd, (struct in_addr){ htonl(INADDR_LOOPBACK) }, PORT)) &&
	       now_ms() < end)
		sleep_ms(10);
	EXPECT_EQ(0, err);
	close(fd);
}

/*
 * connect() never takes a source port that bind() took, but shares one
 * that only connections use (distinct 4-tuples); once the bound socket
 * goes its port is connect()'s again.
 */
TEST_F(bind, connect_skips_bound_port)
{
	struct sockaddr_in to1 = sin_parse("127.0.0.1", PORT);
	struct sockaddr_in to2 = sin_parse("127.0.0.1", PORT + 1);
	int l1, l2, a, c1, c2, c3, c4, err;

	ASSERT_EQ(0, set_port_range(40000, 40001));
	l1 = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, listen(l1, 4));
	l2 = bound(&self->t, INADDR_LOOPBACK, PORT + 1, 0, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, listen(l2, 4));
	a = bound(&self->t, INADDR_LOOPBACK, 40000, 0, &err);
	ASSERT_EQ(0, err);

	c1 = topo_connect(&self->t, &to1);
	ASSERT_LE(0, c1);
	EXPECT_EQ(40001, local_port(c1));
	c2 = topo_connect(&self->t, &to2);
	ASSERT_LE(0, c2);
	EXPECT_EQ(40001, local_port(c2));
	/* 40000 is bound, 40001 to PORT + 1 is c2's 4-tuple. */
	c3 = topo_socket(&self->t, CLI);
	ASSERT_LE(0, c3);
	EXPECT_EQ(-EADDRNOTAVAIL, neg_errno(connect(c3, (struct sockaddr *)&to2, sizeof(to2))));
	close(a);
	c4 = topo_connect(&self->t, &to2);
	ASSERT_LE(0, c4);
	EXPECT_EQ(40000, local_port(c4));
	close(c1);
	close(c2);
	close(c3);
	close(c4);
	close(l1);
	close(l2);
}

TEST_F(bind, einval_rebind)
{
	struct sockaddr_in addr;
	int fd, lfd, cfd, err;

	fd = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	ASSERT_EQ(0, err);
	EXPECT_EQ(-EINVAL, bind_to(fd, (struct in_addr){ htonl(INADDR_LOOPBACK) }, PORT + 1));
	EXPECT_EQ(-EINVAL, bind_to(fd, (struct in_addr){ htonl(INADDR_LOOPBACK) }, PORT));
	EXPECT_EQ(PORT, local_port(fd));
	/* A connected socket is bound too. */
	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	cfd = topo_connect(&self->t, &addr);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(-EINVAL, bind_to(cfd, (struct in_addr){ htonl(INADDR_LOOPBACK) }, 0));
	close(fd);
	close(cfd);
	close(lfd);
}

TEST_F(bind, bad_address)
{
	struct sockaddr_in sin = sin_parse("127.0.0.1", PORT);
	int fd, err;

	/* 198.18.0.2 is not configured in this netns. */
	fd = bound(&self->t, ntohl(inet_addr(VETH_CLI_ADDR)), PORT, 0, &err);
	EXPECT_EQ(-EADDRNOTAVAIL, err);
	EXPECT_EQ(-EINVAL, neg_errno(bind(fd, (struct sockaddr *)&sin, sizeof(sin) - 1)));
	sin.sin_family = AF_INET6;
	EXPECT_EQ(-EAFNOSUPPORT, neg_errno(bind(fd, (struct sockaddr *)&sin, sizeof(sin))));
	/* None of that left the socket bound. */
	EXPECT_EQ(0, local_port(fd));
	close(fd);
}

/*
 * TCP quirk: SO_REUSEADDR lets two sockets bind one port as long as
 * neither listens; the second listen() is the one that fails.
 */
TEST_F(bind, reuseaddr_bound_twice)
{
	int a, b, err;

	a = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEADDR, &err);
	ASSERT_EQ(0, err);
	b = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEADDR, &err);
	ASSERT_EQ(0, err);
	EXPECT_EQ(0, neg_errno(listen(b, 1)));
	EXPECT_EQ(-EADDRINUSE, neg_errno(listen(a, 1)));
	close(a);
	close(b);
}

TEST_F(bind, reuseaddr_listener_busy)
{
	int lfd, a, b, err;

	lfd = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEADDR, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, listen(lfd, 1));
	/* A listening port stays busy, SO_REUSEADDR or not. */
	a = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEADDR, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	b = bound(&self->t, INADDR_ANY, PORT, SO_REUSEADDR, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(a);
	close(b);
	close(lfd);
}

/*
 * Leave the server end of a connection on @port in TIME_WAIT: the server
 * closes first (active close), then the client.  The listener had
 * SO_REUSEADDR iff @reuse; the accepted socket, and so the TIME_WAIT
 * socket, inherits it.  Returns the time TIME_WAIT was first seen.
 */
static long long make_time_wait(struct __test_metadata *_metadata, struct topo *t,
				bool reuse, struct sockaddr_in *srv_end,
				struct sockaddr_in *cli_end)
{
	int lfd, cfd, sfd, err;
	long long seen;
	char c;

	lfd = bound(t, INADDR_LOOPBACK, PORT, reuse ? SO_REUSEADDR : 0, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, listen(lfd, 1));
	cfd = topo_connect(t, &(struct sockaddr_in){ .sin_family = AF_INET,
			   .sin_port = htons(PORT), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) });
	ASSERT_LE(0, cfd);
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, sock_names(sfd, srv_end, cli_end));
	close(lfd);
	close(sfd);
	ASSERT_EQ(0, recv(cfd, &c, 1, 0));
	close(cfd);
	EXPECT_STREQ("TIME_WAIT", topo_wait_state(t, SRV, srv_end, cli_end, "TIME_WAIT",
						  WAIT_MS) ?: "(none)");
	seen = now_ms();
	return seen;
}

TEST_F(bind, timewait_rebind)
{
	struct sockaddr_in srv_end, cli_end;
	int a, b, cfd, sfd, err;

	make_time_wait(_metadata, &self->t, true, &srv_end, &cli_end);
	/* The classic server restart: without SO_REUSEADDR the port is busy... */
	a = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(a);
	/* ...with it, bind and listen work and new connections are accepted. */
	b = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEADDR, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, listen(b, 1));
	cfd = topo_connect(&self->t, &srv_end);
	ASSERT_LE(0, cfd);
	sfd = accept(b, NULL, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_STREQ("TIME_WAIT", topo_state(&self->t, SRV, &srv_end, &cli_end) ?: "(none)");
	close(sfd);
	close(cfd);
	close(b);
}

/*
 * TCP quirk: SO_REUSEADDR on the new socket is not enough; the socket that
 * left the TIME_WAIT behind must have had it as well.
 */
TEST_F(bind, timewait_needs_reuseaddr_on_both)
{
	struct sockaddr_in srv_end, cli_end;
	int fd, err;

	make_time_wait(_metadata, &self->t, false, &srv_end, &cli_end);
	fd = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEADDR, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(fd);
}

/* TIME_WAIT lasts 2 MSL and then frees the port.  Needs a settable MSL. */
TEST_F_TIMEOUT(bind, timewait_expires, 20)
{
	struct sockaddr_in srv_end, cli_end;
	const int msl = 500;
	long long seen, gone;
	int ret, fd, err;

	ret = set_knob(variant->proto, "msl_ms", msl);
	if (ret == -ENOENT && variant->proto == PROTO_TCP)
		SKIP(return, "TCP's TIME_WAIT is a fixed 60 s, no MSL knob");
	ASSERT_EQ(0, ret);
	seen = make_time_wait(_metadata, &self->t, false, &srv_end, &cli_end);
	EXPECT_EQ(NULL, topo_wait_state(&self->t, SRV, &srv_end, &cli_end, NULL,
					2 * msl + WAIT_MS));
	gone = now_ms();
	/* Not gone early: the whole 2 MSL (minus polling slack) were spent. */
	EXPECT_LE(2 * msl - 200, gone - seen);
	fd = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	EXPECT_EQ(0, err);
	close(fd);
}

TEST_F(bind, reuseport)
{
	struct sockaddr_in to = sin_parse("127.0.0.1", PORT);
	int l[2], c[32], accepted[2] = {}, i, k, fd, err;
	long long end;

	for (k = 0; k < 2; k++) {
		l[k] = bound(&self->t, INADDR_LOOPBACK, PORT, SO_REUSEPORT, &err);
		ASSERT_EQ(0, err);
		ASSERT_EQ(0, listen(l[k], 64));
		ASSERT_EQ(0, set_nonblock(l[k], true));
	}
	/* Without SO_REUSEPORT the port is taken. */
	fd = bound(&self->t, INADDR_LOOPBACK, PORT, 0, &err);
	EXPECT_EQ(-EADDRINUSE, err);
	close(fd);

	/* Connections are spread by a hash; 32 never all land on one side. */
	for (i = 0; i < 32; i++) {
		c[i] = topo_connect(&self->t, &to);
		ASSERT_LE(0, c[i]);
	}
	end = now_ms() + WAIT_MS;
	while (accepted[0] + accepted[1] < 32 && now_ms() < end) {
		for (k = 0; k < 2; k++) {
			fd = accept(l[k], NULL, NULL);
			if (fd >= 0) {
				accepted[k]++;
				close(fd);
			}
		}
	}
	EXPECT_EQ(32, accepted[0] + accepted[1]);
	EXPECT_LT(0, accepted[0]);
	EXPECT_LT(0, accepted[1]);
	for (i = 0; i < 32; i++)
		close(c[i]);
	close(l[0]);
	close(l[1]);
}

TEST_F(bind, listen_backlog)
{
	struct sockaddr_in addr, any = sin_parse("0.0.0.0", 0), cname[2], peer;
	int lfd, c[2], s, i;
	char buf[2];

	lfd = topo_listen(&self->t, 2, &addr);
	ASSERT_LE(0, lfd);
	EXPECT_STREQ("LISTEN", topo_state(&self->t, SRV, &addr, &any) ?: "(none)");
	EXPECT_EQ(1, get_int_opt(lfd, SOL_SOCKET, SO_ACCEPTCONN));
	/* Connections complete and wait in the queue without accept()... */
	for (i = 0; i < 2; i++) {
		c[i] = topo_connect(&self->t, &addr);
		ASSERT_LE(0, c[i]);
		ASSERT_EQ(0, sock_names(c[i], &cname[i], NULL));
		ASSERT_EQ(1, send(c[i], "ab" + i, 1, 0));
	}
	/* ...and come out in arrival order, each with its own data. */
	ASSERT_EQ(0, set_nonblock(lfd, true));
	for (i = 0; i < 2; i++) {
		ASSERT_LT(0, wait_revents(lfd, POLLIN, WAIT_MS));
		s = accept(lfd, NULL, NULL);
		ASSERT_LE(0, s);
		ASSERT_EQ(0, sock_names(s, NULL, &peer));
		EXPECT_TRUE(sin_equal(&cname[i], &peer));
		ASSERT_EQ(1, recv(s, buf, 1, 0));
		EXPECT_EQ("ab"[i], buf[0]);
		close(s);
	}
	EXPECT_EQ(-EAGAIN, neg_errno(accept(lfd, NULL, NULL)));
	close(c[0]);
	close(c[1]);
	close(lfd);
}

/*
 * A full accept queue stops taking connections.  Linux holds backlog + 1
 * (sk_acceptq_is_full() is ">"), so allow backlog or backlog + 1.
 */
TEST_F(bind, listen_overflow)
{
	struct sockaddr_in addr;
	int lfd, c[5], i, n = 0, fd;
	long drops;

	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	drops = topo_listen_drops(&self->t);
	ASSERT_LE(0, drops);
	for (i = 0; i < 5; i++) {
		c[i] = topo_socket(&self->t, CLI);
		ASSERT_LE(0, c[i]);
		ASSERT_EQ(-EINPROGRESS, connect_nb(c[i], &addr));
	}
	/* Give every handshake time to finish, if it is going to. */
	sleep_ms(300);
	ASSERT_EQ(0, set_nonblock(lfd, true));
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		n++;
		close(fd);
	}
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(1, n);
	EXPECT_GE(2, n);
	/* What did not fit was dropped, and counted. */
	EXPECT_LT(drops, topo_listen_drops(&self->t));
	for (i = 0; i < 5; i++)
		close(c[i]);
	close(lfd);
}

TEST_F(bind, listen_autobind)
{
	struct sockaddr_in local, to;
	int lfd, cfd, lo, hi;

	/* listen() on an unbound socket binds INADDR_ANY and an ephemeral port. */
	lfd = topo_socket(&self->t, SRV);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, listen(lfd, 1));
	ASSERT_EQ(0, sock_names(lfd, &local, NULL));
	EXPECT_EQ(htonl(INADDR_ANY), local.sin_addr.s_addr);
	ASSERT_EQ(0, port_range(&lo, &hi));
	EXPECT_LE(lo, ntohs(local.sin_port));
	EXPECT_GE(hi, ntohs(local.sin_port));
	to = sin_parse("127.0.0.1", ntohs(local.sin_port));
	cfd = topo_connect(&self->t, &to);
	EXPECT_LE(0, cfd);
	close(cfd);
	close(lfd);
}

TEST_F(bind, listen_einval)
{
	struct sockaddr_in addr;
	int lfd, cfd, sfd;

	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	/* listen() again just updates the backlog. */
	EXPECT_EQ(0, neg_errno(listen(lfd, 8)));
	EXPECT_EQ(-EINVAL, bind_to(lfd, addr.sin_addr, 0));
	cfd = topo_connect(&self->t, &addr);
	ASSERT_LE(0, cfd);
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	/* Connected sockets cannot listen, on either end. */
	EXPECT_EQ(-EINVAL, neg_errno(listen(cfd, 1)));
	EXPECT_EQ(-EINVAL, neg_errno(listen(sfd, 1)));
	EXPECT_EQ(0, get_int_opt(sfd, SOL_SOCKET, SO_ACCEPTCONN));
	close(sfd);
	close(cfd);
	close(lfd);
}

TEST_HARNESS_MAIN
