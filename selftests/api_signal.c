// SPDX-License-Identifier: GPL-2.0
/*
 * Signals and blocking socket calls: a handler without SA_RESTART makes a
 * blocked accept()/recv()/send() fail with EINTR; with SA_RESTART the call
 * is restarted and completes, except when a socket timeout is set (TCP
 * quirk: then it is EINTR anyway).  connect() is in api_connect.c, which
 * can keep a handshake pending.  Loopback.
 */
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

FIXTURE(signal) {
	struct topo t;
	int cfd, sfd;
	struct later sig;	/* SIGUSR1 to the test thread after 100 ms */
};

FIXTURE_VARIANT(signal) {
	int proto;
};

FIXTURE_VARIANT_ADD(signal, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(signal, tcpfsm) { .proto = PROTO_TCPFSM };

FIXTURE_SETUP(signal)
{
	PAIR_SETUP(false);
	self->sig = (struct later){ .op = LATER_SIGNAL, .sig = SIGUSR1, .delay_ms = 100 };
}

FIXTURE_TEARDOWN(signal)
{
	topo_fini_pair(&self->t, self->cfd, self->sfd);
}

TEST_F(signal, accept_eintr)
{
	struct sockaddr_in addr;
	int lfd;

	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, catch_signal(SIGUSR1, false));
	ASSERT_EQ(0, later_start(&self->sig));
	EXPECT_EQ(-EINTR, neg_errno(accept(lfd, NULL, NULL)));
	EXPECT_EQ(0, later_join(&self->sig));
	EXPECT_EQ(1, sig_count);
	close(lfd);
}

TEST_F(signal, recv_eintr)
{
	char c;

	ASSERT_EQ(0, catch_signal(SIGUSR1, false));
	ASSERT_EQ(0, later_start(&self->sig));
	EXPECT_EQ(-EINTR, neg_errno(recv(self->cfd, &c, 1, 0)));
	EXPECT_EQ(0, later_join(&self->sig));
	EXPECT_EQ(1, sig_count);
	/* Nothing was lost or corrupted: the connection works on. */
	ASSERT_EQ(1, send(self->sfd, "z", 1, 0));
	ASSERT_EQ(1, recv(self->cfd, &c, 1, 0));
	EXPECT_EQ('z', c);
}

TEST_F(signal, send_eintr)
{
	static char buf[4096];
	int sndbuf = 65536;
	ssize_t queued;

	/* A fixed send buffer: TCP's autotuning would otherwise keep growing
	 * it as ACKs come in, and the "blocked" send would find room.
	 */
	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)));
	queued = fill_sndbuf(self->cfd);
	ASSERT_LT(0, queued);
	ASSERT_EQ(0, catch_signal(SIGUSR1, false));
	ASSERT_EQ(0, later_start(&self->sig));
	/* Interrupted before a single byte was queued: EINTR, not a count. */
	EXPECT_EQ(-EINTR, neg_errno(send(self->cfd, buf, sizeof(buf), 0)));
	EXPECT_EQ(0, later_join(&self->sig));
	EXPECT_EQ(1, sig_count);
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_EQ(queued, drain(self->sfd, WAIT_MS));
}

TEST_F(signal, recv_restart)
{
	struct later data = { .op = LATER_SEND, .fd = self->sfd, .buf = "r", .len = 1,
			      .delay_ms = 300 };
	char c = 0;

	ASSERT_EQ(0, catch_signal(SIGUSR1, true));
	ASSERT_EQ(0, later_start(&self->sig));
	ASSERT_EQ(0, later_start(&data));
	EXPECT_EQ(1, recv(self->cfd, &c, 1, 0));
	EXPECT_EQ('r', c);
	EXPECT_EQ(0, later_join(&self->sig));
	EXPECT_EQ(1, later_join(&data));
	EXPECT_EQ(1, sig_count);
}

TEST_F(signal, accept_restart)
{
	struct later conn = { .op = LATER_CONNECT, .t = &self->t, .delay_ms = 300 };
	int lfd, sfd;

	lfd = topo_listen(&self->t, 1, &conn.addr);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, catch_signal(SIGUSR1, true));
	ASSERT_EQ(0, later_start(&self->sig));
	ASSERT_EQ(0, later_start(&conn));
	sfd = accept(lfd, NULL, NULL);
	EXPECT_LE(0, sfd);
	EXPECT_EQ(0, later_join(&self->sig));
	EXPECT_LE(0, later_join(&conn));
	EXPECT_EQ(1, sig_count);
	close(conn.ret);
	close(sfd);
	close(lfd);
}

/* TCP quirk: with SO_RCVTIMEO set, SA_RESTART does not restart recv(). */
TEST_F(signal, timeout_not_restarted)
{
	long long start;
	char c;

	ASSERT_EQ(0, set_timeout_opt(self->cfd, SO_RCVTIMEO, 3000));
	ASSERT_EQ(0, catch_signal(SIGUSR1, true));
	ASSERT_EQ(0, later_start(&self->sig));
	start = now_ms();
	EXPECT_EQ(-EINTR, neg_errno(recv(self->cfd, &c, 1, 0)));
	EXPECT_GT(2000, now_ms() - start);
	EXPECT_EQ(0, later_join(&self->sig));
	EXPECT_EQ(1, sig_count);
}

TEST_HARNESS_MAIN
