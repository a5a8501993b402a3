// SPDX-License-Identifier: GPL-2.0
/*
 * connect() and accept(): blocking and non-blocking, the error codes of a
 * refused, repeated, pending or timed-out connect, accept4() flags and
 * connect(AF_UNSPEC).  The "connect" fixture runs on loopback and over a
 * veth pair; "connect_drop" uses the veth pair with the server side
 * silently dropping its replies, so that a connect stays in SYN_SENT.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

FIXTURE(connect) {
	struct topo t;
	struct sockaddr_in addr;	/* the listener's address */
	int lfd;
};

FIXTURE_VARIANT(connect) {
	int proto;
	bool veth;
};

FIXTURE_VARIANT_ADD(connect, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(connect, tcpfsm) { .proto = PROTO_TCPFSM };
FIXTURE_VARIANT_ADD(connect, tcp_veth) { .proto = PROTO_TCP, .veth = true };
FIXTURE_VARIANT_ADD(connect, tcpfsm_veth) { .proto = PROTO_TCPFSM, .veth = true };

FIXTURE_SETUP(connect)
{
	TOPO_SETUP(&self->t, variant->proto, variant->veth);
	self->lfd = topo_listen(&self->t, 8, &self->addr);
	ASSERT_LE(0, self->lfd);
}

FIXTURE_TEARDOWN(connect)
{
	close(self->lfd);
	topo_fini(&self->t);
}

/* A port nobody listens on, on the server's address. */
static struct sockaddr_in closed_port(const struct topo *t)
{
	return sin_make(t->ip[SRV], 9);
}

TEST_F(connect, blocking)
{
	struct sockaddr_in cl, cp, peer, sl;
	socklen_t len = sizeof(peer);
	int cfd, sfd;

	cfd = topo_connect(&self->t, &self->addr);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, sock_names(cfd, &cl, &cp));
	EXPECT_TRUE(sin_equal(&self->addr, &cp));
	EXPECT_EQ(self->t.ip[CLI].s_addr, cl.sin_addr.s_addr);
	EXPECT_EQ(0, get_int_opt(cfd, SOL_SOCKET, SO_ERROR));
	EXPECT_STREQ("ESTABLISHED", topo_state(&self->t, CLI, &cl, &cp) ?: "(none)");

	sfd = accept(self->lfd, (struct sockaddr *)&peer, &len);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(sizeof(peer), len);
	EXPECT_TRUE(sin_equal(&cl, &peer));
	ASSERT_EQ(0, sock_names(sfd, &sl, NULL));
	EXPECT_TRUE(sin_equal(&self->addr, &sl));
	EXPECT_STREQ("ESTABLISHED", topo_wait_state(&self->t, SRV, &sl, &cl, "ESTABLISHED",
						    WAIT_MS) ?: "(none)");
	close(sfd);
	close(cfd);
}

TEST_F(connect, nonblocking)
{
	struct sockaddr_in cp;
	int cfd, sfd;

	cfd = topo_socket(&self->t, CLI);
	ASSERT_LE(0, cfd);
	/* Even on loopback the handshake is never finished inside connect(). */
	ASSERT_EQ(-EINPROGRESS, connect_nb(cfd, &self->addr));
	ASSERT_EQ(0, wait_connected(cfd, WAIT_MS));
	EXPECT_EQ(POLLOUT, wait_revents(cfd, POLLIN | POLLOUT | POLLRDHUP, 0));
	ASSERT_EQ(0, sock_names(cfd, NULL, &cp));
	EXPECT_TRUE(sin_equal(&self->addr, &cp));
	/*
	 * A repeated connect() reports the outcome: the first one after the
	 * handshake completed succeeds (TCP quirk), later ones are EISCONN.
	 */
	EXPECT_EQ(0, neg_errno(connect(cfd, (struct sockaddr *)&self->addr, sizeof(self->addr))));
	EXPECT_EQ(-EISCONN, neg_errno(connect(cfd, (struct sockaddr *)&self->addr,
					      sizeof(self->addr))));
	sfd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	close(sfd);
	close(cfd);
}

TEST_F(connect, eisconn)
{
	struct sockaddr_in other = closed_port(&self->t);
	int cfd;

	cfd = topo_connect(&self->t, &self->addr);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(-EISCONN, neg_errno(connect(cfd, (struct sockaddr *)&self->addr,
					      sizeof(self->addr))));
	EXPECT_EQ(-EISCONN, neg_errno(connect(cfd, (struct sockaddr *)&other, sizeof(other))));
	/* TCP quirk: connect() on a listening socket is EISCONN as well. */
	EXPECT_EQ(-EISCONN, neg_errno(connect(self->lfd, (struct sockaddr *)&other,
					      sizeof(other))));
	close(cfd);
}

TEST_F(connect, refused)
{
	struct sockaddr_in to = closed_port(&self->t);
	int cfd, sfd;

	cfd = topo_socket(&self->t, CLI);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(-ECONNREFUSED, neg_errno(connect(cfd, (struct sockaddr *)&to, sizeof(to))));
	EXPECT_EQ(0, get_int_opt(cfd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(-ENOTCONN, sock_names(cfd, NULL, &to));
	/* The failed socket is back to unconnected and may try again. */
	EXPECT_EQ(0, neg_errno(connect(cfd, (struct sockaddr *)&self->addr, sizeof(self->addr))));
	sfd = accept(self->lfd, NULL, NULL);
	EXPECT_LE(0, sfd);
	close(sfd);
	close(cfd);
}

TEST_F(connect, refused_nonblocking)
{
	struct sockaddr_in to = closed_port(&self->t);
	int a, b, ev;

	a = topo_socket(&self->t, CLI);
	b = topo_socket(&self->t, CLI);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(-EINPROGRESS, connect_nb(a, &to));
	ASSERT_EQ(-EINPROGRESS, connect_nb(b, &to));
	/* The RST makes the socket writable with an error and a hangup. */
	ev = wait_revents(a, POLLOUT, WAIT_MS);
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP, ev);
	EXPECT_EQ(ECONNREFUSED, get_int_opt(a, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, get_int_opt(a, SOL_SOCKET, SO_ERROR));
	/* The other way to collect the result: connect() again. */
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP, wait_revents(b, POLLOUT, WAIT_MS));
	EXPECT_EQ(-ECONNREFUSED, neg_errno(connect(b, (struct sockaddr *)&to, sizeof(to))));
	EXPECT_EQ(0, get_int_opt(b, SOL_SOCKET, SO_ERROR));
	close(a);
	close(b);
}

TEST_F(connect, accept_blocking)
{
	struct later l = { .op = LATER_CONNECT, .delay_ms = 200, .t = &self->t,
			   .addr = self->addr };
	struct sockaddr_in cl, peer;
	long long start;
	int sfd;

	ASSERT_EQ(0, later_start(&l));
	start = now_ms();
	sfd = accept(self->lfd, NULL, NULL);
	/* accept() really waited for the connection. */
	EXPECT_LE(150, now_ms() - start);
	ASSERT_LE(0, sfd);
	ASSERT_LE(0, later_join(&l));
	ASSERT_EQ(0, sock_names(l.ret, &cl, NULL));
	ASSERT_EQ(0, sock_names(sfd, NULL, &peer));
	EXPECT_TRUE(sin_equal(&cl, &peer));
	close(sfd);
	close(l.ret);
}

TEST_F(connect, accept_nonblocking)
{
	int lfd, cfd, sfd;

	/* SOCK_NONBLOCK at socket() time, on a second listener. */
	ASSERT_EQ(0, topo_enter(&self->t, SRV));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, self->t.proto);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, bind_to(lfd, self->t.ip[SRV], 0));
	ASSERT_EQ(0, listen(lfd, 1));
	EXPECT_EQ(-EAGAIN, neg_errno(accept(lfd, NULL, NULL)));
	close(lfd);

	/* O_NONBLOCK set later with fcntl(). */
	ASSERT_EQ(0, set_nonblock(self->lfd, true));
	EXPECT_EQ(-EAGAIN, neg_errno(accept(self->lfd, NULL, NULL)));
	cfd = topo_connect(&self->t, &self->addr);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(POLLIN, wait_revents(self->lfd, POLLIN | POLLOUT, WAIT_MS));
	sfd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(-EAGAIN, neg_errno(accept(self->lfd, NULL, NULL)));
	close(sfd);
	close(cfd);
}

TEST_F(connect, accept4_flags)
{
	int c1, c2, s1, s2;

	c1 = topo_connect(&self->t, &self->addr);
	c2 = topo_connect(&self->t, &self->addr);
	ASSERT_LE(0, c1);
	ASSERT_LE(0, c2);
	s1 = accept4(self->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, s1);
	EXPECT_EQ(O_NONBLOCK, fcntl(s1, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(s1, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-EAGAIN, neg_errno(recv(s1, &c1, 1, 0)));
	/* Plain accept(): nothing is inherited from a non-blocking listener. */
	ASSERT_EQ(0, set_nonblock(self->lfd, true));
	ASSERT_LT(0, wait_revents(self->lfd, POLLIN, WAIT_MS));
	s2 = accept4(self->lfd, NULL, NULL, 0);
	ASSERT_LE(0, s2);
	EXPECT_EQ(0, fcntl(s2, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(s2, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-EINVAL, neg_errno(accept4(self->lfd, NULL, NULL, 0x40000000)));
	close(s1);
	close(s2);
	close(c1);
	close(c2);
}

TEST_F(connect, accept_einval)
{
	int fd, cfd;

	fd = topo_socket(&self->t, SRV);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, neg_errno(accept(fd, NULL, NULL)));
	ASSERT_EQ(0, bind_to(fd, self->t.ip[SRV], 0));
	EXPECT_EQ(-EINVAL, neg_errno(accept(fd, NULL, NULL)));
	cfd = topo_connect(&self->t, &self->addr);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(-EINVAL, neg_errno(accept(cfd, NULL, NULL)));
	close(cfd);
	close(fd);
}

/* A connection the peer already closed is still handed out, data and all. */
TEST_F(connect, accept_after_peer_close)
{
	char buf[8];
	int cfd, sfd;

	cfd = topo_connect(&self->t, &self->addr);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(2, send(cfd, "hi", 2, 0));
	ASSERT_EQ(0, close(cfd));
	sfd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(2, recv_all(sfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	EXPECT_EQ(0, recv(sfd, buf, sizeof(buf), 0));
	close(sfd);
}

/*
 * connect(AF_UNSPEC) disconnects: an established connection is reset
 * (the peer sees ECONNRESET), the socket reports ECONNRESET once through
 * SO_ERROR (TCP quirk: tcp_disconnect() sets sk_err) and can connect again.
 */
TEST_F(connect, unspec_disconnect)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct sockaddr_in peer;
	int cfd, s1, s2;
	char c;

	cfd = topo_connect(&self->t, &self->addr);
	ASSERT_LE(0, cfd);
	s1 = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, s1);
	ASSERT_EQ(0, neg_errno(connect(cfd, &unspec, sizeof(unspec))));
	EXPECT_EQ(-ENOTCONN, sock_names(cfd, NULL, &peer));
	EXPECT_EQ(ECONNRESET, get_int_opt(cfd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(-ECONNRESET, neg_errno(recv(s1, &c, 1, 0)));

	ASSERT_EQ(0, neg_errno(connect(cfd, (struct sockaddr *)&self->addr, sizeof(self->addr))));
	s2 = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, s2);
	ASSERT_EQ(1, send(cfd, "x", 1, 0));
	ASSERT_EQ(1, recv(s2, &c, 1, 0));
	EXPECT_EQ('x', c);
	close(s1);
	close(s2);
	close(cfd);
}

FIXTURE(connect_drop) {
	struct topo t;
	struct sockaddr_in to;
	int fd;
};

FIXTURE_VARIANT(connect_drop) {
	int proto;
};

FIXTURE_VARIANT_ADD(connect_drop, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(connect_drop, tcpfsm) { .proto = PROTO_TCPFSM };

FIXTURE_SETUP(connect_drop)
{
	TOPO_SETUP(&self->t, variant->proto, true);
	ASSERT_EQ(0, topo_drop(&self->t));
	self->to = closed_port(&self->t);
	self->fd = topo_socket(&self->t, CLI);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(connect_drop)
{
	close(self->fd);
	topo_fini(&self->t);
}

static int connect_to(int fd, const struct sockaddr_in *to)
{
	return neg_errno(connect(fd, (const struct sockaddr *)to, sizeof(*to)));
}

TEST_F(connect_drop, ealready)
{
	struct sockaddr_in local, peer;

	ASSERT_EQ(-EINPROGRESS, connect_nb(self->fd, &self->to));
	EXPECT_EQ(-EALREADY, connect_to(self->fd, &self->to));
	/* Pending: neither writable nor hung up, no error yet. */
	EXPECT_EQ(0, wait_revents(self->fd, POLLIN | POLLOUT | POLLRDHUP, 300));
	EXPECT_EQ(0, get_int_opt(self->fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(-EALREADY, connect_to(self->fd, &self->to));
	/* TCP quirk: no peer name until the handshake is done. */
	EXPECT_EQ(-ENOTCONN, sock_names(self->fd, NULL, &peer));
	ASSERT_EQ(0, sock_names(self->fd, &local, NULL));
	EXPECT_EQ(self->t.ip[CLI].s_addr, local.sin_addr.s_addr);
	EXPECT_NE(0, local.sin_port);
	EXPECT_STREQ("SYN_SENT", topo_state(&self->t, CLI, &local, &self->to) ?: "(none)");
	/* Closing a pending connect removes it at once. */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(NULL, topo_state(&self->t, CLI, &local, &self->to));
}

TEST_F_TIMEOUT(connect_drop, etimedout, 30)
{
	long long start, took;
	int nb;

	/* syn_retries=1: SYN, one retransmission after the 1 s initial RTO,
	 * then give up after another 2 s (about 3 s in all).
	 */
	ASSERT_EQ(0, topo_knob(&self->t, CLI, "syn_retries", 1));
	nb = topo_socket(&self->t, CLI);
	ASSERT_LE(0, nb);
	ASSERT_EQ(-EINPROGRESS, connect_nb(nb, &self->to));
	start = now_ms();
	EXPECT_EQ(-ETIMEDOUT, connect_to(self->fd, &self->to));
	took = now_ms() - start;
	EXPECT_LE(900, took);
	EXPECT_GE(15000, took);
	/* The non-blocking one started first and failed the same way. */
	EXPECT_EQ(-ETIMEDOUT, wait_connected(nb, WAIT_MS));
	EXPECT_EQ(0, get_int_opt(nb, SOL_SOCKET, SO_ERROR));
	close(nb);
}

TEST_F(connect_drop, eintr)
{
	struct later l = { .op = LATER_SIGNAL, .sig = SIGUSR1, .delay_ms = 200 };
	struct sockaddr_in local;

	ASSERT_EQ(0, catch_signal(SIGUSR1, false));
	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ(-EINTR, connect_to(self->fd, &self->to));
	EXPECT_EQ(0, later_join(&l));
	EXPECT_EQ(1, sig_count);
	/*
	 * The handshake goes on in the background: still SYN_SENT, and a
	 * non-blocking connect() says so (a blocking one would wait again).
	 */
	ASSERT_EQ(0, sock_names(self->fd, &local, NULL));
	EXPECT_STREQ("SYN_SENT", topo_state(&self->t, CLI, &local, &self->to) ?: "(none)");
	EXPECT_EQ(-EALREADY, connect_nb(self->fd, &self->to));
}

/*
 * TCP quirk: a blocking connect() that runs into SO_SNDTIMEO is EINPROGRESS;
 * the next one waits for SO_SNDTIMEO again and then says EALREADY.
 */
TEST_F(connect_drop, sndtimeo)
{
	long long start;

	ASSERT_EQ(0, set_timeout_opt(self->fd, SO_SNDTIMEO, 300));
	start = now_ms();
	EXPECT_EQ(-EINPROGRESS, connect_to(self->fd, &self->to));
	EXPECT_LE(250, now_ms() - start);
	EXPECT_EQ(-EALREADY, connect_to(self->fd, &self->to));
}

TEST_HARNESS_MAIN
