// SPDX-License-Identifier: GPL-2.0
/*
 * Readiness: the exact poll() revents TCP reports in each connection
 * situation (unconnected, listening, established, half and fully shut
 * down, reset), that the same readiness shows through select() and epoll
 * (level and edge triggered), and that a sleeping poller is woken.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

/* What every check asks for; POLLERR and POLLHUP come unasked. */
#define EV	(POLLIN | POLLOUT | POLLRDHUP | POLLPRI)

FIXTURE(poll) {
	struct topo t;
	int cfd, sfd;
};

FIXTURE_VARIANT(poll) {
	int proto;
};

FIXTURE_VARIANT_ADD(poll, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(poll, tcpfsm) { .proto = PROTO_TCPFSM };

FIXTURE_SETUP(poll)
{
	PAIR_SETUP(false);
}

FIXTURE_TEARDOWN(poll)
{
	topo_fini_pair(&self->t, self->cfd, self->sfd);
}

/* revents once something other than plain POLLOUT is there (or timeout). */
static int settle(int fd)
{
	long long end = now_ms() + WAIT_MS;
	int ev;

	do {
		ev = wait_revents(fd, EV, 0);
		if (ev != POLLOUT)
			break;
		sleep_ms(5);
	} while (now_ms() < end);
	return ev;
}

TEST_F(poll, unconnected)
{
	int fd = topo_socket(&self->t, CLI);

	/* TCP reports a socket that was never connected as hung up. */
	ASSERT_LE(0, fd);
	EXPECT_EQ(POLLOUT | POLLHUP, wait_revents(fd, EV, 0));
	ASSERT_EQ(0, bind_to(fd, self->t.ip[CLI], 0));
	EXPECT_EQ(POLLOUT | POLLHUP, wait_revents(fd, EV, 0));
	close(fd);
}

TEST_F(poll, listener)
{
	struct sockaddr_in addr;
	int lfd, cfd, sfd;

	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(0, wait_revents(lfd, EV, 0));
	cfd = topo_connect(&self->t, &addr);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(POLLIN, wait_revents(lfd, EV, WAIT_MS));
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(0, wait_revents(lfd, EV, 0));
	close(sfd);
	close(cfd);
	close(lfd);
}

TEST_F(poll, established)
{
	char c;

	EXPECT_EQ(POLLOUT, wait_revents(self->cfd, EV, 0));
	EXPECT_EQ(POLLOUT, wait_revents(self->sfd, EV, 0));
	ASSERT_EQ(1, send(self->sfd, "x", 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, settle(self->cfd));
	/* Level triggered: still readable until the data is read. */
	EXPECT_EQ(POLLIN | POLLOUT, wait_revents(self->cfd, EV, 0));
	ASSERT_EQ(1, recv(self->cfd, &c, 1, 0));
	EXPECT_EQ(POLLOUT, wait_revents(self->cfd, EV, 0));
}

TEST_F(poll, peer_shut_wr)
{
	char c;

	ASSERT_EQ(0, shutdown(self->sfd, SHUT_WR));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, settle(self->cfd));
	ASSERT_EQ(0, recv(self->cfd, &c, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, wait_revents(self->cfd, EV, 0));
	/* The side that shut down only lost its write half: still POLLOUT. */
	EXPECT_EQ(POLLOUT, wait_revents(self->sfd, EV, 0));
}

TEST_F(poll, local_shut_rd)
{
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_RD));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, wait_revents(self->cfd, EV, 0));
	EXPECT_EQ(POLLOUT, wait_revents(self->sfd, EV, 0));
}

/* Both directions shut down: POLLHUP, on both ends. */
TEST_F(poll, both_shut)
{
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, settle(self->sfd));
	ASSERT_EQ(0, shutdown(self->sfd, SHUT_WR));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP, settle(self->cfd));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP, wait_revents(self->sfd, EV, 0));
}

TEST_F(poll, shut_rdwr)
{
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_RDWR));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP, wait_revents(self->cfd, EV, 0));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, settle(self->sfd));
}

TEST_F(poll, reset)
{
	char c;

	ASSERT_EQ(0, abort_close(&self->sfd));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP | POLLERR, settle(self->cfd));
	EXPECT_EQ(-ECONNRESET, neg_errno(recv(self->cfd, &c, 1, 0)));
	/* Reading the error clears POLLERR; the rest stays. */
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP, wait_revents(self->cfd, EV, 0));
}

TEST_F(poll, refused)
{
	struct sockaddr_in to = sin_make(self->t.ip[SRV], 9);
	int fd = topo_socket(&self->t, CLI);

	ASSERT_LE(0, fd);
	ASSERT_EQ(-EINPROGRESS, connect_nb(fd, &to));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP | POLLERR, settle(fd));
	EXPECT_EQ(ECONNREFUSED, get_int_opt(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP, wait_revents(fd, EV, 0));
	close(fd);
}

/* select() sets: 1 bit each for read, write, except. */
static int select_bits(int fd)
{
	struct timeval tv = {};
	fd_set r, w, e;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	FD_SET(fd, &e);
	if (select(fd + 1, &r, &w, &e, &tv) < 0)
		return -errno;
	return FD_ISSET(fd, &r) << 2 | FD_ISSET(fd, &w) << 1 | FD_ISSET(fd, &e);
}

TEST_F(poll, select)
{
	char c;

	EXPECT_EQ(0x2, select_bits(self->cfd));
	ASSERT_EQ(1, send(self->sfd, "x", 1, 0));
	ASSERT_EQ(POLLIN | POLLOUT, settle(self->cfd));
	EXPECT_EQ(0x6, select_bits(self->cfd));
	ASSERT_EQ(1, recv(self->cfd, &c, 1, 0));
	EXPECT_EQ(0x2, select_bits(self->cfd));
	/* A reset is readable and writable (the calls fail); nothing "except". */
	ASSERT_EQ(0, abort_close(&self->sfd));
	ASSERT_EQ(POLLERR | POLLHUP, wait_revents(self->cfd, 0, WAIT_MS));
	EXPECT_EQ(0x6, select_bits(self->cfd));
}

static int epoll_events(int ep, int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, timeout_ms);

	return n <= 0 ? (n < 0 ? -errno : 0) : (int)ev.events;
}

TEST_F(poll, epoll)
{
	struct epoll_event lt = { .events = EPOLLIN | EPOLLRDHUP };
	struct epoll_event et = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	int ep_lt = epoll_create1(0), ep_et = epoll_create1(0);

	ASSERT_LE(0, ep_lt);
	ASSERT_LE(0, ep_et);
	ASSERT_EQ(0, epoll_ctl(ep_lt, EPOLL_CTL_ADD, self->cfd, &lt));
	ASSERT_EQ(0, epoll_ctl(ep_et, EPOLL_CTL_ADD, self->cfd, &et));
	EXPECT_EQ(0, epoll_events(ep_lt, 0));
	EXPECT_EQ(0, epoll_events(ep_et, 0));
	ASSERT_EQ(1, send(self->sfd, "a", 1, 0));
	EXPECT_EQ(EPOLLIN, epoll_events(ep_et, WAIT_MS));
	EXPECT_EQ(EPOLLIN, epoll_events(ep_lt, 0));
	/* Level: again and again.  Edge: only once per arrival. */
	EXPECT_EQ(EPOLLIN, epoll_events(ep_lt, 0));
	EXPECT_EQ(0, epoll_events(ep_et, 0));
	ASSERT_EQ(1, send(self->sfd, "b", 1, 0));
	EXPECT_EQ(EPOLLIN, epoll_events(ep_et, WAIT_MS));
	ASSERT_EQ(0, shutdown(self->sfd, SHUT_WR));
	EXPECT_EQ(EPOLLIN | EPOLLRDHUP, epoll_events(ep_et, WAIT_MS));
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_EQ(EPOLLIN | EPOLLRDHUP | EPOLLHUP, epoll_events(ep_et, WAIT_MS));
	EXPECT_EQ(EPOLLIN | EPOLLRDHUP | EPOLLHUP, epoll_events(ep_lt, 0));
	close(ep_lt);
	close(ep_et);
}

/* A poller asleep in poll()/epoll_wait() is woken by each kind of event. */
TEST_F(poll, wakeup)
{
	struct later l = { .op = LATER_SEND, .fd = self->sfd, .buf = "x", .len = 1,
			   .delay_ms = 100 };
	struct epoll_event ev = { .events = EPOLLIN };
	struct sockaddr_in addr;
	int ep, lfd;
	char c;

	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ(POLLIN, wait_revents(self->cfd, POLLIN, WAIT_MS));
	EXPECT_EQ(1, later_join(&l));
	ASSERT_EQ(1, recv(self->cfd, &c, 1, 0));

	l = (struct later){ .op = LATER_SHUTDOWN, .fd = self->sfd, .how = SHUT_WR,
			    .delay_ms = 100 };
	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ(POLLRDHUP, wait_revents(self->cfd, POLLRDHUP, WAIT_MS));
	EXPECT_EQ(0, later_join(&l));

	/* Writable again once the peer makes room. */
	ASSERT_LT(0, fill_sndbuf(self->cfd));
	EXPECT_EQ(0, wait_revents(self->cfd, POLLOUT, 0));
	l = (struct later){ .op = LATER_DRAIN, .fd = self->sfd, .delay_ms = 100 };
	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ(POLLOUT, wait_revents(self->cfd, POLLOUT, WAIT_MS));
	ASSERT_EQ(0, shutdown(self->cfd, SHUT_WR));
	EXPECT_LT(0, later_join(&l));

	/* A listener in epoll is woken by a connection. */
	lfd = topo_listen(&self->t, 1, &addr);
	ASSERT_LE(0, lfd);
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev));
	l = (struct later){ .op = LATER_CONNECT, .t = &self->t, .addr = addr, .delay_ms = 100 };
	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ(EPOLLIN, epoll_events(ep, WAIT_MS));
	EXPECT_LE(0, later_join(&l));
	close(l.ret);
	close(ep);
	close(lfd);
}

TEST_HARNESS_MAIN
