// SPDX-License-Identifier: GPL-2.0
/*
 * Opening a connection, segment by segment (RFC 9293 3.5): passive,
 * active and simultaneous open, retransmitted SYNs and SYN-ACKs, and the
 * options of a SYN.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

WIRE_FIXTURE(open);

/* LISTEN -> SYN_RECEIVED -> ESTABLISHED; accept() only after the ACK */
TEST_F(open, passive)
{
	struct wire *w = &self->w;
	int lfd, fd;

	lfd = wire_listen(w);
	ASSERT_LE(0, lfd);
	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
	STATE(w, "SYN_RECEIVED");
	ASSERT_EQ(-1, accept(lfd, NULL, NULL));
	ASSERT_EQ(EAGAIN, errno);

	TX(w, TH_ACK, 1, 1);
	fd = wire_accept(w, lfd, WIRE_WAIT_MS);
	ASSERT_LE(0, fd);
	STATE(w, "ESTABLISHED");
	QUIET(w, WIRE_QUIET_MS);
}

/* CLOSED -> SYN_SENT -> ESTABLISHED; the third segment is a bare ACK */
TEST_F(open, active)
{
	struct wire *w = &self->w;
	int fd;

	fd = wire_connect(w);
	ASSERT_LE(0, fd);
	RX(w, TH_SYN, 0, 0, .mss = 1460);
	STATE(w, "SYN_SENT");

	TX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
	RX(w, TH_ACK, 1, 1);
	ASSERT_EQ(0, wire_connect_result(fd, WIRE_WAIT_MS));
	STATE(w, "ESTABLISHED");
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * RFC 9293 Figure 8: the SYNs cross.  SYN_SENT -> SYN_RECEIVED on our SYN,
 * answered with SYN,ACK; our SYN,ACK then completes the open.  (Linux
 * before 6.11 drops it with a challenge ACK: fixed by commit 23e89e8ee7be
 * "tcp: Don't drop SYN+ACK for simultaneous connect()".  Since then some
 * versions ACK the SYN it repeats, some don't.)
 */
TEST_F(open, simultaneous)
{
	struct wire *w = &self->w;
	int fd;

	fd = wire_connect(w);
	ASSERT_LE(0, fd);
	RX(w, TH_SYN, 0, 0, .mss = 1460);
	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
	STATE(w, "SYN_RECEIVED");
	ASSERT_EQ(-1, wire_connect_result(fd, 0));

	TX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
	RX(w, TH_ACK, 1, 1, .optional = true, .ms = 300);
	STATE(w, "ESTABLISHED");
	ASSERT_EQ(0, wire_connect_result(fd, WIRE_WAIT_MS));
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * No answer to the SYN: retransmitted after the initial RTO of 1 s
 * (RFC 6298 2.1), then after 2 s and 4 s (5.5), same ISN each time.
 */
TEST_F_TIMEOUT(open, syn_backoff, 20)
{
	struct wire *w = &self->w;

	ASSERT_LE(0, wire_connect(w));
	ASSERT_EQ(0, wire_expect_backoff(w, TH_SYN, 0, 0,
					 &(struct wire_rx){ .mss = 1460 },
					 3, 0.8, 1.5));
	STATE(w, "SYN_SENT");
}

/*
 * With the SYN retries used up (knob "syn_retries", tcp_syn_retries)
 * connect() fails with ETIMEDOUT: one retransmission, then 2 s more.
 */
TEST_F(open, syn_retries_exhausted)
{
	struct wire *w = &self->w;
	int fd;

	ASSERT_EQ(0, set_knob(w->proto, "syn_retries", 1));
	fd = wire_connect(w);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wire_expect_backoff(w, TH_SYN, 0, 0,
					 &(struct wire_rx){ .mss = 1460 },
					 1, 0.8, 1.5));
	ASSERT_EQ(ETIMEDOUT, wire_connect_result(fd, 3000));
	ASSERT_LT(1.5, wire_now(w) - w->last.t);
	STATE(w, "CLOSED");
	QUIET(w, WIRE_QUIET_MS);
}

/* The SYN,ACK is retransmitted after 1 s until the handshake's ACK comes */
TEST_F(open, synack_retransmit)
{
	struct wire *w = &self->w;
	int lfd;

	lfd = wire_listen(w);
	ASSERT_LE(0, lfd);
	TX(w, TH_SYN, 0, 0, .mss = 1460);
	ASSERT_EQ(0, wire_expect_backoff(w, TH_SYN | TH_ACK, 0, 1,
					 &(struct wire_rx){ .mss = 1460 },
					 1, 0.8, 1.5));
	TX(w, TH_ACK, 1, 1);
	ASSERT_LE(0, wire_accept(w, lfd, WIRE_WAIT_MS));
	STATE(w, "ESTABLISHED");
}

/* A retransmitted SYN in SYN_RECEIVED draws the same SYN,ACK again */
TEST_F(open, syn_retransmitted_by_peer)
{
	struct wire *w = &self->w;
	int lfd;

	lfd = wire_syn_received(w);
	ASSERT_LE(0, lfd);
	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
	TX(w, TH_ACK, 1, 1);
	ASSERT_LE(0, wire_accept(w, lfd, WIRE_WAIT_MS));
	STATE(w, "ESTABLISHED");
}

/*
 * Options the kernel does not know are skipped by their length (RFC 9293
 * 3.2, MUST-6) and the MSS after them is honoured: 1000-byte segments.
 */
TEST_F(open, unknown_options_skipped)
{
	static const uint8_t opt[] = {
		1, 1,				/* NOP NOP */
		254, 6, 0x12, 0x34, 0, 0,	/* experimental, ExID 0x1234 */
		2, 4, 1000 >> 8, 1000 & 0xff,	/* MSS 1000 */
	};
	struct wire *w = &self->w;
	int lfd, fd;

	wire_syn_options(w, opt, sizeof(opt));
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));

	/* ACKed at once, so that Nagle's algorithm has nothing to hold back */
	APP_WRITE(fd, 1, 1500);
	RX(w, TH_ACK, 1, 1, .len = 1000);
	TX(w, TH_ACK, 1, 1001);
	RX(w, TH_ACK, 1001, 1, .len = 500);
}

/* Without an MSS option the kernel sends at most 536 bytes (RFC 9293 3.7.1) */
TEST_F(open, default_mss)
{
	struct wire *w = &self->w;
	int lfd, fd;

	w->mss = 0;
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 600);
	RX(w, TH_ACK, 1, 1, .len = 536);
	TX(w, TH_ACK, 1, 537);
	RX(w, TH_ACK, 537, 1, .len = 64);
}

/*
 * Our window of 1000 with a 500-byte MSS, taken unscaled: of 3000 bytes
 * written, two segments go, then nothing (less than the minimum RTO).
 */
static int window_is_1000(struct wire *w, int fd)
{
	const struct wire_rx seg = { .len = 500 };

	if (wire_app_write(fd, 1, 3000) != 3000 ||
	    wire_expect(w, TH_ACK, 1, 1, &seg) ||
	    wire_expect(w, TH_ACK, 501, 1, &seg))
		return -1;
	return wire_quiet(w, 100);
}

/*
 * Window scaling (RFC 7323), the kernel opening: its SYN offers a shift.
 * Our SYN,ACK offers 2 and a window of 3000, which is not scaled (no SYN's
 * window is): 3000 bytes go.  Our next window, 1000, counts 4-byte units:
 * 4000 bytes go.
 */
TEST_F(open, wscale_active)
{
	static const uint8_t opt[] = {
		2, 4, 1000 >> 8, 1000 & 0xff,	/* MSS 1000 */
		1, 3, 3, 2,			/* NOP, window scale 2 */
	};
	struct wire *w = &self->w;
	int fd;

	ASSERT_EQ(0, set_knob(w->proto, "window_scaling", 1));
	fd = wire_connect(w);
	ASSERT_LE(0, fd);
	RX(w, TH_SYN, 0, 0, .mss = 1460);
	EXPECT_LE(1, w->last.wscale);
	EXPECT_GE(14, w->last.wscale);

	wire_syn_options(w, opt, sizeof(opt));
	w->win = 3000;
	ASSERT_EQ(0, wire_answer_syn(w, fd));
	APP_WRITE(fd, 1, 8000);
	RX(w, TH_ACK, 1, 1, .len = 1000);
	RX(w, TH_ACK, 1001, 1, .len = 1000);
	RX(w, TH_ACK, 2001, 1, .len = 1000);
	/* shorter than the 200 ms minimum RTO: nothing is resent */
	QUIET(w, 100);

	w->win = 1000;
	TX(w, TH_ACK, 1, 3001);
	RX(w, TH_ACK, 3001, 1, .len = 1000);
	RX(w, TH_ACK, 4001, 1, .len = 1000);
	RX(w, TH_ACK, 5001, 1, .len = 1000);
	RX(w, TH_ACK, 6001, 1, .len = 1000);
	QUIET(w, 100);
}

/*
 * Window scaling, the kernel listening: a SYN that offers it draws a
 * SYN,ACK that offers a shift too, and every later window the kernel
 * advertises is scaled by it, its socket's and its TIME_WAIT entry's: a
 * small field for a real window of at least 4 KiB.
 */
TEST_F(open, wscale_passive)
{
	static const uint8_t opt[] = {
		2, 4, 1460 >> 8, 1460 & 0xff,	/* MSS 1460 */
		1, 3, 3, 0,			/* NOP, window scale 0 */
	};
	struct wire *w = &self->w;
	int lfd, fd, ws;

	ASSERT_EQ(0, set_knob(w->proto, "window_scaling", 1));
	wire_syn_options(w, opt, sizeof(opt));
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	ws = w->last.wscale;			/* of the SYN,ACK */
	ASSERT_LE(1, ws);
	ASSERT_GE(14, ws);

	ASSERT_EQ(0, wire_active_close(w, fd));	/* the ACK of our FIN */
	EXPECT_GE(4096, w->last.win);
	EXPECT_LE(4096, (long)w->last.win << ws);
	TX(w, TH_FIN | TH_ACK, 1, 2);		/* again: TIME_WAIT answers */
	RX(w, TH_ACK, 2, 2);
	EXPECT_GE(4096, w->last.win);
	EXPECT_LE(4096, (long)w->last.win << ws);
}

/*
 * Scaling needs both SYNs to offer it (RFC 7323 2.2): to a SYN without
 * the option the SYN,ACK carries none, and our window of 1000 is 1000
 * bytes.
 */
TEST_F(open, wscale_needs_both)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, set_knob(w->proto, "window_scaling", 1));
	w->mss = 500;
	w->win = 1000;
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	EXPECT_EQ(-1, w->last.wscale);
	ASSERT_EQ(0, window_is_1000(w, fd));
}

/*
 * With the knob off (tcpfsm's window_scaling, Linux's tcp_window_scaling)
 * no SYN offers scaling: neither connect()'s nor the answer to a SYN that
 * does, and that SYN's shift is not applied to its windows.
 */
TEST_F(open, wscale_off)
{
	static const uint8_t opt[] = {
		2, 4, 500 >> 8, 500 & 0xff,	/* MSS 500 */
		1, 3, 3, 7,			/* NOP, window scale 7 */
	};
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, set_knob(w->proto, "window_scaling", 0));
	fd = wire_connect(w);
	ASSERT_LE(0, fd);
	RX(w, TH_SYN, 0, 0, .mss = 1460);
	EXPECT_EQ(-1, w->last.wscale);
	close(fd);

	wire_new_incarnation(w, WIRE_ISS);
	wire_syn_options(w, opt, sizeof(opt));
	w->win = 1000;
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	EXPECT_EQ(-1, w->last.wscale);
	ASSERT_EQ(0, window_is_1000(w, fd));
}

TEST_HARNESS_MAIN
