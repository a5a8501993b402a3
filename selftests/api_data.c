// SPDX-License-Identifier: GPL-2.0
/*
 * send/recv/sendmsg/recvmsg on a connected pair: blocking and non-blocking
 * calls, MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, scatter/gather, EOF, and the
 * errors of data calls on sockets that are not connected.  Loopback and veth.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

FIXTURE(data) {
	struct topo t;
	int cfd, sfd;
};

FIXTURE_VARIANT(data) {
	int proto;
	bool veth;
};

FIXTURE_VARIANT_ADD(data, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(data, tcpfsm) { .proto = PROTO_TCPFSM };
FIXTURE_VARIANT_ADD(data, tcp_veth) { .proto = PROTO_TCP, .veth = true };
FIXTURE_VARIANT_ADD(data, tcpfsm_veth) { .proto = PROTO_TCPFSM, .veth = true };

FIXTURE_SETUP(data)
{
	PAIR_SETUP(variant->veth);
}

FIXTURE_TEARDOWN(data)
{
	topo_fini_pair(&self->t, self->cfd, self->sfd);
}

/* Wait until @n bytes are queued for reading, so one recv() sees them all. */
static int wait_inq(int fd, int n)
{
	long long end = now_ms() + WAIT_MS;

	while (inq(fd) < n && now_ms() < end)
		sleep_ms(5);
	return inq(fd);
}

TEST_F(data, send_recv)
{
	struct later l = { .op = LATER_SEND, .fd = self->sfd, .buf = "world", .len = 5,
			   .delay_ms = 200 };
	long long start;
	char buf[16];

	ASSERT_EQ(5, send(self->cfd, "hello", 5, 0));
	ASSERT_EQ(5, recv_all(self->sfd, buf, 5));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));

	/* A blocking recv() waits for the peer's data. */
	ASSERT_EQ(0, later_start(&l));
	start = now_ms();
	ASSERT_EQ(5, recv_all(self->cfd, buf, 5));
	EXPECT_LE(150, now_ms() - start);
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	EXPECT_EQ(5, later_join(&l));

	/* A short buffer takes a prefix; the rest stays queued, in order. */
	ASSERT_EQ(6, send(self->cfd, "abcdef", 6, 0));
	ASSERT_EQ(6, wait_inq(self->sfd, 6));
	ASSERT_EQ(4, recv(self->sfd, buf, 4, 0));
	EXPECT_EQ(0, memcmp(buf, "abcd", 4));
	EXPECT_EQ(2, inq(self->sfd));
	ASSERT_EQ(2, recv(self->sfd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ef", 2));
}

TEST_F(data, dontwait)
{
	ssize_t queued;
	char buf[4];

	EXPECT_EQ(-EAGAIN, neg_errno(recv(self->sfd, buf, sizeof(buf), MSG_DONTWAIT)));
	ASSERT_EQ(0, set_nonblock(self->sfd, true));
	EXPECT_EQ(-EAGAIN, neg_errno(recv(self->sfd, buf, sizeof(buf), 0)));
	ASSERT_EQ(3, send(self->cfd, "xyz", 3, MSG_DONTWAIT));
	ASSERT_EQ(POLLIN, wait_revents(self->sfd, POLLIN, WAIT_MS));
	ASSERT_EQ(3, recv_all(self->sfd, buf, 3));
	EXPECT_EQ(-EAGAIN, neg_errno(recv(self->sfd, buf, sizeof(buf), 0)));
	ASSERT_EQ(0, set_nonblock(self->sfd, false));

	/* With nobody reading, MSG_DONTWAIT sends stop at EAGAIN... */
	queued = fill_sndbuf(self->cfd);
	ASSERT_LT(0, queued);
	EXPECT_EQ(-EAGAIN, neg_errno(send(self->cfd, buf, 1, MSG_DONTWAIT)));
	/* ...and every byte that was accepted arrives. */
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_EQ(queued, drain(self->sfd, WAIT_MS));
}

TEST_F(data, peek)
{
	char buf[16];

	ASSERT_EQ(6, send(self->cfd, "abcdef", 6, 0));
	ASSERT_EQ(6, wait_inq(self->sfd, 6));
	ASSERT_EQ(3, recv(self->sfd, buf, 3, MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	ASSERT_EQ(6, recv(self->sfd, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
	EXPECT_EQ(6, inq(self->sfd));
	ASSERT_EQ(2, recv(self->sfd, buf, 2, 0));
	EXPECT_EQ(0, memcmp(buf, "ab", 2));
	ASSERT_EQ(4, recv(self->sfd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(buf, "cdef", 4));
	ASSERT_EQ(4, recv(self->sfd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "cdef", 4));
	EXPECT_EQ(-EAGAIN, neg_errno(recv(self->sfd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT)));
}

TEST_F(data, waitall)
{
	static char src[3000], dst[3000];
	struct later l[3];
	int i;

	/* Three pieces, 100 ms apart; MSG_WAITALL returns them in one call. */
	fill_pattern(src, sizeof(src), 1);
	for (i = 0; i < 3; i++) {
		l[i] = (struct later){ .op = LATER_SEND, .fd = self->cfd, .buf = src + i * 1000,
				       .len = 1000, .delay_ms = 100 * (i + 1) };
		ASSERT_EQ(0, later_start(&l[i]));
		/* One thread at a time, so that the pieces stay in order. */
		EXPECT_EQ(1000, later_join(&l[i]));
		if (!i)
			EXPECT_EQ(1000, wait_inq(self->sfd, 1000));
	}
	ASSERT_EQ(3000, recv(self->sfd, dst, sizeof(dst), MSG_WAITALL));
	EXPECT_EQ(0, memcmp(src, dst, sizeof(dst)));

	/* EOF ends MSG_WAITALL early with what there is. */
	ASSERT_EQ(10, send(self->cfd, src, 10, 0));
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_EQ(10, recv(self->sfd, dst, sizeof(dst), MSG_WAITALL));
	EXPECT_EQ(0, recv(self->sfd, dst, sizeof(dst), MSG_WAITALL));
}

TEST_F(data, waitall_blocks)
{
	static char src[3000], dst[3000];
	struct later l = { .op = LATER_SEND, .fd = self->cfd, .buf = src + 1000, .len = 2000,
			   .delay_ms = 200 };

	/* The first third is there at once; the call waits for the rest. */
	fill_pattern(src, sizeof(src), 2);
	ASSERT_EQ(1000, send(self->cfd, src, 1000, 0));
	ASSERT_EQ(1000, wait_inq(self->sfd, 1000));
	ASSERT_EQ(0, later_start(&l));
	ASSERT_EQ(3000, recv(self->sfd, dst, sizeof(dst), MSG_WAITALL));
	EXPECT_EQ(2000, later_join(&l));
	EXPECT_EQ(0, memcmp(src, dst, sizeof(dst)));
}

TEST_F(data, iovec)
{
	const size_t total = 200000;
	char *src = malloc(total), *dst = calloc(1, total), name[32];
	struct iovec out[3] = {
		{ src, 7 }, { src + 7, 0 }, { src + 7, total - 7 },
	};
	struct iovec in[4] = {
		{ dst, 1 }, { dst + 1, 4096 }, { dst + 4097, 3 }, { dst + 4100, total - 4100 },
	};
	struct msghdr mo = { .msg_iov = out, .msg_iovlen = 3 };
	struct msghdr mi = { .msg_name = name, .msg_namelen = sizeof(name),
			     .msg_iov = in, .msg_iovlen = 4 };
	struct later l = { .op = LATER_SENDMSG, .fd = self->cfd, .msg = &mo };

	/* Sent from a thread: 200 kB need not fit in the windows and buffers. */
	fill_pattern(src, total, 3);
	ASSERT_EQ(0, later_start(&l));
	ASSERT_EQ((ssize_t)total, recvmsg(self->sfd, &mi, MSG_WAITALL));
	EXPECT_EQ((long)total, later_join(&l));
	EXPECT_EQ(0, memcmp(src, dst, total));
	/* Stream sockets report no source address and no flags. */
	EXPECT_EQ(0u, mi.msg_namelen);
	EXPECT_EQ(0, mi.msg_flags);

	/* writev/readv are the same thing without flags. */
	ASSERT_EQ(7, writev(self->sfd, out, 2));
	ASSERT_EQ(7, wait_inq(self->cfd, 7));
	memset(dst, 0, 8);
	ASSERT_EQ(7, readv(self->cfd, in, 3));
	EXPECT_EQ(0, memcmp(src, dst, 7));
	free(src);
	free(dst);
}

/* 4 MiB over veth takes over 30 s on the debug kernel under TCG. */
TEST_F_TIMEOUT(data, large_blocking_send, 180)
{
	const size_t len = 4 << 20;
	char *buf = calloc(1, len);
	struct later l = { .op = LATER_DRAIN, .fd = self->sfd };

	/* One blocking send() of 4 MiB returns only when all of it is queued. */
	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ((ssize_t)len, send(self->cfd, buf, len, 0));
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_EQ((long)len, later_join(&l));
	free(buf);
}

TEST_F(data, zero_length)
{
	char c = 0;

	EXPECT_EQ(0, send(self->cfd, "", 0, 0));
	/* Nothing was sent: nothing arrives, and the next real byte is first. */
	EXPECT_EQ(0, wait_revents(self->sfd, POLLIN, 100));
	EXPECT_EQ(0, inq(self->sfd));
	ASSERT_EQ(1, send(self->cfd, "q", 1, 0));
	ASSERT_EQ(1, recv(self->sfd, &c, 1, 0));
	EXPECT_EQ('q', c);
}

TEST_F(data, eof)
{
	struct later l = { .op = LATER_SHUTDOWN, .fd = self->cfd, .how = SHUT_WR,
			   .delay_ms = 200 };
	long long start;
	char c;

	/* A blocked recv() is woken by the FIN and returns 0... */
	ASSERT_EQ(0, later_start(&l));
	start = now_ms();
	EXPECT_EQ(0, recv(self->sfd, &c, 1, 0));
	EXPECT_LE(150, now_ms() - start);
	EXPECT_EQ(0, later_join(&l));
	/* ...and so does every later one, in any mode. */
	EXPECT_EQ(0, recv(self->sfd, &c, 1, 0));
	EXPECT_EQ(0, recv(self->sfd, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(0, recv(self->sfd, &c, 1, MSG_PEEK));
	EXPECT_EQ(0, read(self->sfd, &c, 1));
	/* The other direction still works. */
	ASSERT_EQ(1, send(self->sfd, "r", 1, 0));
	ASSERT_EQ(1, recv(self->cfd, &c, 1, 0));
	EXPECT_EQ('r', c);
}

/*
 * Data calls on sockets that are not connected: recv() is ENOTCONN, but
 * TCP's send() is EPIPE (and raises SIGPIPE without MSG_NOSIGNAL).
 */
TEST_F(data, not_connected)
{
	struct sockaddr_in addr;
	int fd, lfd;
	char c;

	fd = topo_socket(&self->t, CLI);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, neg_errno(recv(fd, &c, 1, 0)));
	EXPECT_EQ(-ENOTCONN, neg_errno(recv(fd, &c, 1, MSG_DONTWAIT)));
	EXPECT_EQ(-EPIPE, neg_errno(send(fd, "x", 1, MSG_NOSIGNAL)));
	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(-ENOTCONN, neg_errno(recv(lfd, &c, 1, 0)));
	EXPECT_EQ(-EPIPE, neg_errno(send(lfd, "x", 1, MSG_NOSIGNAL)));
	close(lfd);
	close(fd);
}

TEST_HARNESS_MAIN
