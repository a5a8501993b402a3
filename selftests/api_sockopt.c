// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options and ioctls: SO_TYPE/SO_PROTOCOL/SO_DOMAIN/SO_ACCEPTCONN,
 * SO_ERROR, SO_RCVBUF/SO_SNDBUF (the doubling), SO_RCVTIMEO/SO_SNDTIMEO,
 * SO_RCVLOWAT, SO_LINGER and flag options, SIOCINQ/FIONREAD/SIOCOUTQ, and
 * getsockname()/getpeername() through a connection's life.  Loopback.
 */
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "util.h"

FIXTURE(sockopt) {
	struct topo t;
	int cfd, sfd;
};

FIXTURE_VARIANT(sockopt) {
	int proto;
};

FIXTURE_VARIANT_ADD(sockopt, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(sockopt, tcpfsm) { .proto = PROTO_TCPFSM };

FIXTURE_SETUP(sockopt)
{
	PAIR_SETUP(false);
}

FIXTURE_TEARDOWN(sockopt)
{
	topo_fini_pair(&self->t, self->cfd, self->sfd);
}

/* A timeval socket option in milliseconds. */
static int get_timeout_ms(int fd, int opt)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0)
		return -errno;
	return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

TEST_F(sockopt, type_protocol)
{
	struct sockaddr_in addr;
	int fds[4], i;

	fds[0] = topo_socket(&self->t, CLI);
	fds[1] = topo_listen(&self->t, 1, &addr);
	fds[2] = self->cfd;
	fds[3] = self->sfd;		/* accepted: must carry the protocol too */
	for (i = 0; i < 4; i++) {
		ASSERT_LE(0, fds[i]);
		EXPECT_EQ(SOCK_STREAM, get_int_opt(fds[i], SOL_SOCKET, SO_TYPE));
		EXPECT_EQ(variant->proto, get_int_opt(fds[i], SOL_SOCKET, SO_PROTOCOL));
		EXPECT_EQ(AF_INET, get_int_opt(fds[i], SOL_SOCKET, SO_DOMAIN));
		EXPECT_EQ(i == 1, get_int_opt(fds[i], SOL_SOCKET, SO_ACCEPTCONN));
	}
	close(fds[0]);
	close(fds[1]);
}

TEST_F(sockopt, so_error)
{
	char c;

	EXPECT_EQ(0, get_int_opt(self->cfd, SOL_SOCKET, SO_ERROR));
	ASSERT_EQ(0, abort_close(&self->sfd));
	ASSERT_EQ(POLLERR | POLLHUP, wait_revents(self->cfd, 0, WAIT_MS));
	/* Reading SO_ERROR consumes the error: the next recv() is plain EOF. */
	EXPECT_EQ(ECONNRESET, get_int_opt(self->cfd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, get_int_opt(self->cfd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, recv(self->cfd, &c, 1, 0));
}

/*
 * SO_RCVBUF/SO_SNDBUF store twice the value asked for (room for overhead),
 * capped by rmem_max/wmem_max and raised to a small minimum.
 */
TEST_F(sockopt, buffer_doubling)
{
	static const int opts[2] = { SO_RCVBUF, SO_SNDBUF };
	struct sockaddr_in addr;
	int i, lfd, cfd, sfd, max;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, set_int_opt(self->cfd, SOL_SOCKET, opts[i], 8192));
		EXPECT_EQ(16384, get_int_opt(self->cfd, SOL_SOCKET, opts[i]));
		ASSERT_EQ(0, set_int_opt(self->cfd, SOL_SOCKET, opts[i], 1));
		EXPECT_LE(2048, get_int_opt(self->cfd, SOL_SOCKET, opts[i]));
		EXPECT_GT(16384, get_int_opt(self->cfd, SOL_SOCKET, opts[i]));
		ASSERT_EQ(0, set_int_opt(self->cfd, SOL_SOCKET, opts[i], INT_MAX));
		max = get_int_opt(self->cfd, SOL_SOCKET, opts[i]);
		EXPECT_LT(16384, max);
		EXPECT_EQ(0, max % 2);
		ASSERT_EQ(0, set_int_opt(self->cfd, SOL_SOCKET, opts[i], max));
		EXPECT_EQ(max, get_int_opt(self->cfd, SOL_SOCKET, opts[i]));
		EXPECT_EQ(-EINVAL, neg_errno(setsockopt(self->cfd, SOL_SOCKET, opts[i], &max, 2)));
	}

	/* A listener's setting is inherited by the sockets it accepts. */
	lfd = topo_socket(&self->t, SRV);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, set_int_opt(lfd, SOL_SOCKET, SO_RCVBUF, 8192));
	ASSERT_EQ(0, set_int_opt(lfd, SOL_SOCKET, SO_SNDBUF, 16384));
	ASSERT_EQ(0, bind_to(lfd, self->t.ip[SRV], 0));
	ASSERT_EQ(0, listen(lfd, 1));
	ASSERT_EQ(0, sock_names(lfd, &addr, NULL));
	cfd = topo_connect(&self->t, &addr);
	ASSERT_LE(0, cfd);
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(16384, get_int_opt(sfd, SOL_SOCKET, SO_RCVBUF));
	EXPECT_EQ(32768, get_int_opt(sfd, SOL_SOCKET, SO_SNDBUF));
	close(sfd);
	close(cfd);
	close(lfd);
}

TEST_F(sockopt, rcvtimeo)
{
	struct sockaddr_in addr;
	long long start;
	int lfd;
	char c;

	EXPECT_EQ(0, get_timeout_ms(self->cfd, SO_RCVTIMEO));
	ASSERT_EQ(0, set_timeout_opt(self->cfd, SO_RCVTIMEO, 200));
	/* Jiffies may round it up a little. */
	EXPECT_LE(200, get_timeout_ms(self->cfd, SO_RCVTIMEO));
	EXPECT_GE(210, get_timeout_ms(self->cfd, SO_RCVTIMEO));
	start = now_ms();
	EXPECT_EQ(-EAGAIN, neg_errno(recv(self->cfd, &c, 1, 0)));
	EXPECT_LE(180, now_ms() - start);

	/* accept() honours SO_RCVTIMEO as well. */
	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, set_timeout_opt(lfd, SO_RCVTIMEO, 200));
	start = now_ms();
	EXPECT_EQ(-EAGAIN, neg_errno(accept(lfd, NULL, NULL)));
	EXPECT_LE(180, now_ms() - start);
	close(lfd);
}

TEST_F(sockopt, sndtimeo)
{
	static char buf[4096];
	long long start;

	ASSERT_LT(0, fill_sndbuf(self->cfd));
	ASSERT_EQ(0, set_timeout_opt(self->cfd, SO_SNDTIMEO, 200));
	EXPECT_LE(200, get_timeout_ms(self->cfd, SO_SNDTIMEO));
	start = now_ms();
	EXPECT_EQ(-EAGAIN, neg_errno(send(self->cfd, buf, sizeof(buf), 0)));
	EXPECT_LE(180, now_ms() - start);
}

/*
 * SO_RCVLOWAT: poll() and a blocking recv() wait for that many bytes.  The
 * recv() starts with nothing queued: once TCP has copied part of the data
 * it waits for rcvlowat more bytes to be queued, which is not pinned here.
 */
TEST_F(sockopt, rcvlowat)
{
	static char src[50], dst[200];
	struct later l[2];
	long long start;
	int i;

	EXPECT_EQ(1, get_int_opt(self->cfd, SOL_SOCKET, SO_RCVLOWAT));
	ASSERT_EQ(0, set_int_opt(self->cfd, SOL_SOCKET, SO_RCVLOWAT, 100));
	EXPECT_EQ(100, get_int_opt(self->cfd, SOL_SOCKET, SO_RCVLOWAT));

	/* Two halves, 200 ms apart: recv() returns only after the second. */
	for (i = 0; i < 2; i++) {
		l[i] = (struct later){ .op = LATER_SEND, .fd = self->sfd, .buf = src,
				       .len = 50, .delay_ms = 100 + 200 * i };
		ASSERT_EQ(0, later_start(&l[i]));
	}
	start = now_ms();
	EXPECT_EQ(100, recv(self->cfd, dst, sizeof(dst), 0));
	EXPECT_LE(250, now_ms() - start);
	EXPECT_EQ(50, later_join(&l[0]));
	EXPECT_EQ(50, later_join(&l[1]));

	/* Half of it is queued, yet not readable for poll(). */
	ASSERT_EQ(50, send(self->sfd, src, 50, 0));
	EXPECT_EQ(0, wait_revents(self->cfd, POLLIN, 200));
	EXPECT_EQ(50, inq(self->cfd));
	ASSERT_EQ(50, send(self->sfd, src, 50, 0));
	EXPECT_EQ(POLLIN, wait_revents(self->cfd, POLLIN, WAIT_MS));
	EXPECT_EQ(100, inq(self->cfd));
	ASSERT_EQ(100, recv(self->cfd, dst, sizeof(dst), MSG_DONTWAIT));
}

TEST_F(sockopt, inq_outq)
{
	struct sockaddr_in addr;
	ssize_t queued;
	long long end;
	int lfd, n;

	EXPECT_EQ(0, inq(self->cfd));
	EXPECT_EQ(0, outq(self->cfd));
	ASSERT_EQ(10, send(self->sfd, "0123456789", 10, 0));
	ASSERT_EQ(0, shutdown(self->sfd, SHUT_WR));
	ASSERT_EQ(POLLIN | POLLRDHUP, wait_revents(self->cfd, POLLIN | POLLRDHUP, WAIT_MS));
	/* The FIN takes a sequence number but is not a byte to read. */
	EXPECT_EQ(10, inq(self->cfd));
	ASSERT_EQ(0, ioctl(self->cfd, FIONREAD, &n));
	EXPECT_EQ(10, n);

	/* Unsent and unacknowledged bytes count in SIOCOUTQ until acked. */
	queued = fill_sndbuf(self->cfd);
	ASSERT_LT(0, queued);
	n = outq(self->cfd);
	EXPECT_LT(0, n);
	EXPECT_GE(queued, n);
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_EQ(queued, drain(self->sfd, WAIT_MS));
	end = now_ms() + WAIT_MS;
	while (outq(self->cfd) && now_ms() < end)
		sleep_ms(5);
	EXPECT_EQ(0, outq(self->cfd));

	/* Listening sockets have no queues to ask about. */
	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(-EINVAL, inq(lfd));
	EXPECT_EQ(-EINVAL, outq(lfd));
	close(lfd);
}

TEST_F(sockopt, names)
{
	struct sockaddr_in local, peer, cl, cp, sl, sp, addr;
	socklen_t len = 4;
	int fd, lfd;
	char c;

	fd = topo_socket(&self->t, CLI);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sock_names(fd, &local, NULL));
	EXPECT_EQ(AF_INET, local.sin_family);
	EXPECT_EQ(0, local.sin_port);
	EXPECT_EQ(0u, local.sin_addr.s_addr);
	EXPECT_EQ(-ENOTCONN, sock_names(fd, NULL, &peer));
	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(-ENOTCONN, sock_names(lfd, NULL, &peer));

	/* The two ends see each other's names. */
	ASSERT_EQ(0, sock_names(self->cfd, &cl, &cp));
	ASSERT_EQ(0, sock_names(self->sfd, &sl, &sp));
	EXPECT_TRUE(sin_equal(&cl, &sp));
	EXPECT_TRUE(sin_equal(&cp, &sl));
	/* A short buffer is filled partly; the length says what it needed. */
	ASSERT_EQ(0, getsockname(self->cfd, (struct sockaddr *)&local, &len));
	EXPECT_EQ(sizeof(local), len);

	/* Still named after the peer's FIN; not after a reset. */
	ASSERT_EQ(0, shutdown(self->sfd, SHUT_WR));
	ASSERT_EQ(0, recv(self->cfd, &c, 1, 0));
	ASSERT_EQ(0, sock_names(self->cfd, NULL, &peer));
	EXPECT_TRUE(sin_equal(&cp, &peer));
	ASSERT_EQ(0, abort_close(&self->sfd));
	ASSERT_EQ(POLLERR | POLLHUP, wait_revents(self->cfd, 0, WAIT_MS));
	EXPECT_EQ(-ENOTCONN, sock_names(self->cfd, NULL, &peer));
	close(fd);
	close(lfd);
}

TEST_F(sockopt, flags_and_linger)
{
	static const int flags[] = { SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE };
	struct linger lg = { .l_onoff = 1, .l_linger = 5 }, got;
	socklen_t len = sizeof(got);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		EXPECT_EQ(0, get_int_opt(self->cfd, SOL_SOCKET, flags[i]));
		ASSERT_EQ(0, set_int_opt(self->cfd, SOL_SOCKET, flags[i], 1));
		EXPECT_EQ(1, get_int_opt(self->cfd, SOL_SOCKET, flags[i]));
		ASSERT_EQ(0, set_int_opt(self->cfd, SOL_SOCKET, flags[i], 0));
		EXPECT_EQ(0, get_int_opt(self->cfd, SOL_SOCKET, flags[i]));
	}
	ASSERT_EQ(0, getsockopt(self->cfd, SOL_SOCKET, SO_LINGER, &got, &len));
	EXPECT_EQ(0, got.l_onoff);
	EXPECT_EQ(0, got.l_linger);
	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, getsockopt(self->cfd, SOL_SOCKET, SO_LINGER, &got, &len));
	EXPECT_EQ(1, got.l_onoff);
	EXPECT_EQ(5, got.l_linger);
}

TEST_HARNESS_MAIN
