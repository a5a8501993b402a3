// SPDX-License-Identifier: GPL-2.0
/*
 * Ending connections: shutdown() in each direction, close() and the
 * states both ends go through, SO_LINGER (abort with RST, wait for the
 * close, linger timeout), resets (close with unread data), and the errors
 * and signals a writer gets afterwards (ECONNRESET, EPIPE, SIGPIPE).
 * Loopback and veth.
 */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

FIXTURE(close) {
	struct topo t;
	int cfd, sfd;
	struct sockaddr_in end[2];	/* [CLI] client's address, [SRV] server's */
};

FIXTURE_VARIANT(close) {
	int proto;
	bool veth;
};

FIXTURE_VARIANT_ADD(close, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(close, tcpfsm) { .proto = PROTO_TCPFSM };
FIXTURE_VARIANT_ADD(close, tcp_veth) { .proto = PROTO_TCP, .veth = true };
FIXTURE_VARIANT_ADD(close, tcpfsm_veth) { .proto = PROTO_TCPFSM, .veth = true };

FIXTURE_SETUP(close)
{
	PAIR_SETUP(variant->veth);
	ASSERT_EQ(0, sock_names(self->cfd, &self->end[CLI], &self->end[SRV]));
}

FIXTURE_TEARDOWN(close)
{
	topo_fini_pair(&self->t, self->cfd, self->sfd);
}

/*
 * State of one end of the fixture's connection (CLI: the client's end,
 * SRV: the accepted one), optionally after waiting for @want.
 */
static const char *end_state(const struct topo *t, const struct sockaddr_in *end, int side)
{
	return topo_state(t, side, &end[side], &end[!side]) ?: "(none)";
}

static const char *wait_end_state(const struct topo *t, const struct sockaddr_in *end,
				  int side, const char *want)
{
	return topo_wait_state(t, side, &end[side], &end[!side], want, WAIT_MS) ?: "(none)";
}

TEST_F(close, shut_wr)
{
	char buf[8];

	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	/* The peer reads EOF; the connection is half-closed, not gone. */
	EXPECT_EQ(0, recv(self->sfd, buf, sizeof(buf), 0));
	EXPECT_STREQ("FIN_WAIT_2", wait_end_state(&self->t, self->end, CLI, "FIN_WAIT_2"));
	EXPECT_STREQ("CLOSE_WAIT", wait_end_state(&self->t, self->end, SRV, "CLOSE_WAIT"));
	ASSERT_EQ(4, send(self->sfd, "back", 4, 0));
	ASSERT_EQ(4, recv_all(self->cfd, buf, 4));
	EXPECT_EQ(0, memcmp(buf, "back", 4));
	EXPECT_EQ(-EPIPE, neg_errno(send(self->cfd, "x", 1, MSG_NOSIGNAL)));
	/* Shutting down again is harmless. */
	EXPECT_EQ(0, shutdown(self->cfd, SHUT_WR));
	/* The peer's close completes it. */
	ASSERT_EQ(0, close_fd(&self->sfd));
	EXPECT_EQ(0, recv(self->cfd, buf, sizeof(buf), 0));
	EXPECT_STREQ("TIME_WAIT", wait_end_state(&self->t, self->end, CLI, "TIME_WAIT"));
	EXPECT_STREQ("(none)", wait_end_state(&self->t, self->end, SRV, NULL));
}

/*
 * SHUT_RD: queued data can still be read, then recv() returns 0.  TCP
 * sends nothing for it, so the peer notices nothing and may keep sending.
 */
TEST_F(close, shut_rd)
{
	char buf[8];

	ASSERT_EQ(3, send(self->sfd, "abc", 3, 0));
	ASSERT_EQ(POLLIN, wait_revents(self->cfd, POLLIN, WAIT_MS));
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_RD));
	ASSERT_EQ(3, recv_all(self->cfd, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(0, recv(self->cfd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(self->cfd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(POLLOUT, wait_revents(self->sfd, POLLIN | POLLOUT | POLLRDHUP, 100));
	EXPECT_EQ(3, send(self->sfd, "def", 3, MSG_NOSIGNAL));
	EXPECT_STREQ("ESTABLISHED", end_state(&self->t, self->end, CLI));
	EXPECT_STREQ("ESTABLISHED", end_state(&self->t, self->end, SRV));
	/* The write side is untouched. */
	ASSERT_EQ(2, send(self->cfd, "ok", 2, 0));
	ASSERT_EQ(2, recv_all(self->sfd, buf, 2));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
}

TEST_F(close, shut_rdwr)
{
	char buf[8];

	ASSERT_EQ(0, shutdown(self->cfd, SHUT_RDWR));
	EXPECT_EQ(0, recv(self->cfd, buf, sizeof(buf), 0));
	EXPECT_EQ(-EPIPE, neg_errno(send(self->cfd, "x", 1, MSG_NOSIGNAL)));
	EXPECT_EQ(0, recv(self->sfd, buf, sizeof(buf), 0));
	EXPECT_STREQ("CLOSE_WAIT", wait_end_state(&self->t, self->end, SRV, "CLOSE_WAIT"));
}

TEST_F(close, shutdown_errors)
{
	char c;
	int fd;

	fd = topo_socket(&self->t, CLI);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, neg_errno(shutdown(fd, SHUT_WR)));
	EXPECT_EQ(-ENOTCONN, neg_errno(shutdown(fd, SHUT_RDWR)));
	close(fd);
	EXPECT_EQ(-EINVAL, neg_errno(shutdown(self->cfd, 3)));
	EXPECT_EQ(-EINVAL, neg_errno(shutdown(self->cfd, -1)));
	/* After a reset the connection is closed: ENOTCONN again. */
	ASSERT_EQ(0, abort_close(&self->sfd));
	EXPECT_EQ(-ECONNRESET, neg_errno(recv(self->cfd, &c, 1, 0)));
	EXPECT_EQ(-ENOTCONN, neg_errno(shutdown(self->cfd, SHUT_RDWR)));
}

TEST_F(close, shutdown_wakes_recv)
{
	struct later l = { .op = LATER_SHUTDOWN, .fd = self->cfd, .how = SHUT_RD,
			   .delay_ms = 200 };
	char c;

	/* A recv() blocked in another thread returns 0 when SHUT_RD happens. */
	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ(0, recv(self->cfd, &c, 1, 0));
	EXPECT_EQ(0, later_join(&l));
}

TEST_F(close, close_states)
{
	char c;

	ASSERT_EQ(0, close_fd(&self->cfd));
	EXPECT_EQ(0, recv(self->sfd, &c, 1, 0));
	EXPECT_STREQ("FIN_WAIT_2", wait_end_state(&self->t, self->end, CLI, "FIN_WAIT_2"));
	EXPECT_STREQ("CLOSE_WAIT", wait_end_state(&self->t, self->end, SRV, "CLOSE_WAIT"));
	ASSERT_EQ(0, close_fd(&self->sfd));
	EXPECT_STREQ("TIME_WAIT", wait_end_state(&self->t, self->end, CLI, "TIME_WAIT"));
	EXPECT_STREQ("(none)", wait_end_state(&self->t, self->end, SRV, NULL));
}

/* l_linger 0: close() aborts with a RST, no FIN, no TIME_WAIT. */
TEST_F(close, linger_zero)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char c;

	ASSERT_EQ(0, setsockopt(self->sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, close_fd(&self->sfd));
	EXPECT_STREQ("(none)", end_state(&self->t, self->end, SRV));
	EXPECT_EQ(-ECONNRESET, neg_errno(recv(self->cfd, &c, 1, 0)));
	EXPECT_STREQ("(none)", end_state(&self->t, self->end, CLI));
	/* The error is reported once; then it is a closed socket. */
	EXPECT_EQ(0, recv(self->cfd, &c, 1, 0));
	EXPECT_EQ(-EPIPE, neg_errno(send(self->cfd, "x", 1, MSG_NOSIGNAL)));
}

/*
 * l_linger > 0: close() returns only once the peer has acknowledged all
 * the data and the FIN (FIN_WAIT_2), here after the peer starts reading.
 */
TEST_F(close, linger_wait)
{
	struct later l = { .op = LATER_DRAIN, .fd = self->sfd, .delay_ms = 300 };
	struct linger lg = { .l_onoff = 1, .l_linger = 10 };
	long long start;
	ssize_t queued;

	queued = fill_sndbuf(self->cfd);
	ASSERT_LT(0, queued);
	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, later_start(&l));
	start = now_ms();
	EXPECT_EQ(0, close_fd(&self->cfd));
	EXPECT_LE(250, now_ms() - start);
	EXPECT_STREQ("FIN_WAIT_2", end_state(&self->t, self->end, CLI));
	EXPECT_EQ(queued, later_join(&l));
}

/*
 * The linger time runs out while the peer reads nothing: close() gives up
 * waiting and returns 0, but the data is not discarded; it is delivered
 * once the peer reads.
 */
TEST_F(close, linger_timeout)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 1 };
	long long took, start;
	ssize_t queued;

	queued = fill_sndbuf(self->cfd);
	ASSERT_LT(0, queued);
	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	start = now_ms();
	EXPECT_EQ(0, close_fd(&self->cfd));
	took = now_ms() - start;
	EXPECT_LE(900, took);
	EXPECT_GE(WAIT_MS, took);
	EXPECT_STREQ("FIN_WAIT_1", end_state(&self->t, self->end, CLI));
	EXPECT_EQ(queued, drain(self->sfd, WAIT_MS));
}

/*
 * An orphaned FIN_WAIT_2 (closed here, the peer never closes) is dropped
 * after fin_timeout; the peer's next segment is then answered with a RST.
 */
TEST_F_TIMEOUT(close, fin_timeout, 20)
{
	long long start;
	char c;

	ASSERT_EQ(0, topo_knob(&self->t, CLI, "fin_timeout_ms", 1000));
	ASSERT_EQ(0, close_fd(&self->cfd));
	EXPECT_EQ(0, recv(self->sfd, &c, 1, 0));
	EXPECT_STREQ("FIN_WAIT_2", wait_end_state(&self->t, self->end, CLI, "FIN_WAIT_2"));
	start = now_ms();
	EXPECT_STREQ("(none)", wait_end_state(&self->t, self->end, CLI, NULL));
	EXPECT_LE(500, now_ms() - start);
	EXPECT_STREQ("CLOSE_WAIT", end_state(&self->t, self->end, SRV));
	ASSERT_EQ(1, send(self->sfd, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(POLLERR | POLLHUP, wait_revents(self->sfd, 0, WAIT_MS));
	EXPECT_EQ(-EPIPE, neg_errno(send(self->sfd, "x", 1, MSG_NOSIGNAL)));
}

/* Closing with unread data resets the connection instead of a FIN. */
TEST_F(close, close_unread_rst)
{
	char c;

	ASSERT_EQ(1, send(self->cfd, "x", 1, 0));
	ASSERT_EQ(POLLIN, wait_revents(self->sfd, POLLIN, WAIT_MS));
	ASSERT_EQ(0, close_fd(&self->sfd));
	EXPECT_STREQ("(none)", end_state(&self->t, self->end, SRV));
	EXPECT_EQ(-ECONNRESET, neg_errno(recv(self->cfd, &c, 1, 0)));
}

/* Whether a child writing to @fd with default SIGPIPE handling is killed by it. */
static int killed_by_sigpipe(int fd)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		signal(SIGPIPE, SIG_DFL);
		_exit(write(fd, "x", 1) < 0 ? 2 : 3);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE;
}

/*
 * Writing to a connection the peer has closed: the first send() succeeds
 * and provokes a RST; after it, sends fail with EPIPE and raise SIGPIPE
 * unless MSG_NOSIGNAL.
 */
TEST_F(close, epipe)
{
	char c;

	ASSERT_EQ(0, close_fd(&self->sfd));
	ASSERT_EQ(0, recv(self->cfd, &c, 1, 0));
	ASSERT_EQ(0, catch_signal(SIGPIPE, false));
	ASSERT_EQ(1, send(self->cfd, "x", 1, 0));
	EXPECT_EQ(POLLERR | POLLHUP, wait_revents(self->cfd, 0, WAIT_MS));
	EXPECT_EQ(-EPIPE, neg_errno(send(self->cfd, "x", 1, MSG_NOSIGNAL)));
	EXPECT_EQ(0, sig_count);
	EXPECT_EQ(-EPIPE, neg_errno(send(self->cfd, "x", 1, 0)));
	EXPECT_EQ(1, sig_count);
	EXPECT_EQ(-EPIPE, neg_errno(write(self->cfd, "x", 1)));
	EXPECT_EQ(2, sig_count);
	EXPECT_EQ(1, killed_by_sigpipe(self->cfd));
}

/*
 * After a RST the first send() reports ECONNRESET (no signal); only the
 * following ones are EPIPE with SIGPIPE.
 */
TEST_F(close, econnreset)
{
	char c;

	ASSERT_EQ(0, abort_close(&self->sfd));
	ASSERT_EQ(0, catch_signal(SIGPIPE, false));
	EXPECT_EQ(POLLERR | POLLHUP, wait_revents(self->cfd, 0, WAIT_MS));
	EXPECT_EQ(-ECONNRESET, neg_errno(send(self->cfd, "x", 1, 0)));
	EXPECT_EQ(0, sig_count);
	EXPECT_EQ(-EPIPE, neg_errno(send(self->cfd, "x", 1, 0)));
	EXPECT_EQ(1, sig_count);
	EXPECT_EQ(0, recv(self->cfd, &c, 1, 0));
}

/* A connection whose peer falls silent: the server's netns drops all it sends. */
FIXTURE(lost) {
	struct topo t;
	int cfd, sfd;
};

FIXTURE_VARIANT(lost) {
	int proto;
};

FIXTURE_VARIANT_ADD(lost, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(lost, tcpfsm) { .proto = PROTO_TCPFSM };

FIXTURE_SETUP(lost)
{
	PAIR_SETUP(true);
	ASSERT_EQ(0, topo_drop(&self->t));
}

FIXTURE_TEARDOWN(lost)
{
	topo_fini_pair(&self->t, self->cfd, self->sfd);
}

/*
 * Data that is never acknowledged is retransmitted until the "retries"
 * limit, then the connection is dropped and a blocked recv() gets
 * ETIMEDOUT.  The data itself did arrive; only the ACKs were lost.
 */
TEST_F_TIMEOUT(lost, retries, 40)
{
	long long start;
	char buf[8];

	ASSERT_EQ(0, topo_knob(&self->t, CLI, "retries", 2));
	ASSERT_EQ(5, send(self->cfd, "hello", 5, 0));
	start = now_ms();
	EXPECT_EQ(-ETIMEDOUT, neg_errno(recv(self->cfd, buf, 1, 0)));
	EXPECT_LE(300, now_ms() - start);
	EXPECT_EQ(-EPIPE, neg_errno(send(self->cfd, "x", 1, MSG_NOSIGNAL)));
	ASSERT_EQ(5, recv_all(self->sfd, buf, 5));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

TEST_HARNESS_MAIN
