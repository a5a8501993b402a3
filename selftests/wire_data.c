// SPDX-License-Identifier: GPL-2.0
/*
 * Data transfer (RFC 9293 3.4, 3.8, 3.10.7.4; RFC 6298; RFC 5681 4.2):
 * cumulative ACKs both ways, out-of-order and duplicate segments, the
 * peer's window including zero-window probing and silly window
 * avoidance, slow start's byte counting, and retransmission with
 * exponential backoff until the retries run out.  Our ISS is just below
 * 2^32, so the first hundred bytes cross the sequence-number wrap.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

WIRE_FIXTURE(data);

TEST_F(data, both_ways)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_ACK | TH_PUSH, 1, 1, .len = 100);
	RX(w, TH_ACK, 1, 101);
	APP_READ(fd, 1, 100);

	APP_WRITE(fd, 1, 200);
	RX(w, TH_ACK, 1, 101, .len = 200);
	TX(w, TH_ACK, 101, 201);
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * Three segments back to back: the kernel may ACK each or some, but its
 * ACKs only grow, each covers whole segments, and the last covers all.
 */
TEST_F(data, cumulative_ack_from_kernel)
{
	struct wire *w = &self->w;
	uint32_t acked = 1;
	int lfd, fd, i;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	for (i = 0; i < 3; i++)
		TX(w, TH_ACK, 1 + 100 * i, 1, .len = 100);
	while (acked != 301) {
		ASSERT_EQ(0, wire_recv(w, &w->last, WIRE_WAIT_MS)) {
			TH_LOG("no ACK of all three segments");
		}
		ASSERT_EQ(TH_ACK, w->last.flags);
		ASSERT_EQ(0, w->last.len);
		ASSERT_LT(acked, w->last.ack - w->iss);
		acked = w->last.ack - w->iss;
		ASSERT_EQ(1u, acked % 100);
	}
	APP_READ(fd, 1, 300);
}

/* One ACK for three segments: nothing is retransmitted, sending goes on */
TEST_F(data, cumulative_ack_to_kernel)
{
	struct wire *w = &self->w;
	int lfd, fd, i;

	w->mss = 100;
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 300);
	for (i = 0; i < 3; i++)
		RX(w, TH_ACK, 1 + 100 * i, 1, .len = 100);
	TX(w, TH_ACK, 1, 301);
	QUIET(w, 1200);		/* longer than the RTO: no retransmission */
	APP_WRITE(fd, 301, 100);
	RX(w, TH_ACK, 301, 1, .len = 100);
}

/*
 * Segments beyond a hole are kept, each draws an immediate duplicate ACK
 * (RFC 5681 4.2); the one filling the hole is ACKed with everything it
 * completes, and the application reads all of it in order.
 */
TEST_F(data, out_of_order)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_ACK, 101, 1, .len = 100);
	RX(w, TH_ACK, 1, 1);
	TX(w, TH_ACK, 201, 1, .len = 100);
	RX(w, TH_ACK, 1, 1);
	APP_NOTHING(fd);

	TX(w, TH_ACK, 1, 1, .len = 100);
	RX(w, TH_ACK, 1, 301);
	APP_READ(fd, 1, 300);
}

/*
 * Data already received, whole or in part, is ACKed at once and
 * delivered once.
 */
TEST_F(data, duplicate)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_ACK, 1, 1, .len = 100);
	RX(w, TH_ACK, 1, 101);
	APP_READ(fd, 1, 100);

	TX(w, TH_ACK, 1, 1, .len = 100);
	RX(w, TH_ACK, 1, 101);
	APP_NOTHING(fd);

	TX(w, TH_ACK, 51, 1, .len = 100);	/* 50 old bytes, 50 new */
	RX(w, TH_ACK, 1, 151);
	APP_READ(fd, 101, 50);
}

/*
 * Segments a synchronized connection must not accept (RFC 9293
 * 3.10.7.4): data beyond the window draws an ACK of the current state,
 * and so does an ACK of data never sent (Linux 6.18; 6.12 drops that one
 * silently, so the ACK is optional here); data without the ACK bit is
 * dropped silently.  None of it is delivered.
 */
TEST_F(data, unacceptable_segments)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_ACK, 1 + 100000, 1, .len = 10);
	RX(w, TH_ACK, 1, 1);
	TX(w, TH_ACK, 1, 1000, .len = 10);
	RX(w, TH_ACK, 1, 1, .optional = true, .ms = 300);
	TX(w, 0, 1, 0, .len = 10);
	QUIET(w, WIRE_QUIET_MS);
	APP_NOTHING(fd);
	ASSERT_EQ(0, wire_data_flows(w, fd, 1, 1));
}

/*
 * The kernel sends no more than our window allows (MSS 100, window 300)
 * and goes on as our ACKs move the window's right edge.  A 300 ms first
 * RTT makes the RTO about 900 ms (RFC 6298 2.2: SRTT + 4 * RTT / 2), so
 * even on a loaded machine no retransmission falls into the short quiet
 * periods, which are all the kernel needs to overrun the window if it
 * would.
 */
TEST_F(data, window_limits_sending)
{
	struct wire *w = &self->w;
	int lfd, fd;

	w->mss = 100;
	w->win = 300;
	w->rtt_ms = 300;
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 600);
	RX(w, TH_ACK, 1, 1, .len = 100);
	RX(w, TH_ACK, 101, 1, .len = 100);
	RX(w, TH_ACK, 201, 1, .len = 100);
	QUIET(w, 100);

	TX(w, TH_ACK, 1, 201);
	RX(w, TH_ACK, 301, 1, .len = 100);
	RX(w, TH_ACK, 401, 1, .len = 100);
	QUIET(w, 100);

	TX(w, TH_ACK, 1, 501);
	RX(w, TH_ACK, 501, 1, .len = 100);
	TX(w, TH_ACK, 1, 601);
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * Slow start counts the bytes an ACK covers (RFC 3465; Linux counts the
 * packets): one ACK for the whole initial window of ten segments (RFC
 * 6928) lets twenty go, not the eleven of an MSS per ACK.  A peer that
 * acknowledges every other segment, or a whole GSO super-segment at
 * once, gets the same window growth as one that acknowledges each.
 */
TEST_F(data, slow_start_counts_bytes)
{
	struct wire *w = &self->w;
	int lfd, fd, i;

	w->mss = 100;
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 4000);
	for (i = 0; i < 10; i++)
		RX(w, TH_ACK, 1 + 100 * i, 1, .len = 100);
	QUIET(w, 100);

	TX(w, TH_ACK, 1, 1001);
	for (i = 10; i < 30; i++)
		RX(w, TH_ACK, 1 + 100 * i, 1, .len = 100);
	QUIET(w, 100);
}

/*
 * Sender silly window avoidance (RFC 9293 3.8.6.2.1): a window open less
 * than a segment, from a peer that offered far more before, gets no data
 * at once even with nothing in flight.  The persist timer then sends what
 * fits (Linux's tcp_write_wakeup()), and an open window takes the rest.
 */
TEST_F(data, sender_sws_avoidance)
{
	struct wire *w = &self->w;
	uint32_t next;
	int lfd, fd;

	w->mss = 1000;
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 1000);
	RX(w, TH_ACK, 1, 1, .len = 1000);
	w->win = 500;
	TX(w, TH_ACK, 1, 1001);

	APP_WRITE(fd, 1001, 2000);
	QUIET(w, 100);
	RX(w, TH_ACK, 1001, 1, .len = 500, .ms = 3000);
	w->win = 65535;
	TX(w, TH_ACK, 1, 1501);
	/* The other 1500 bytes, in segments of at most an MSS: Linux cuts
	 * 1000 and 500, tcpfsm sends the 500 left of the piece it cut first.
	 */
	for (next = 1501; next != 3001; next += w->last.len) {
		ASSERT_EQ(0, wire_recv(w, &w->last, WIRE_WAIT_MS));
		ASSERT_EQ(TH_ACK, w->last.flags & ~TH_PUSH);
		ASSERT_EQ(next, w->last.seq - w->irs);
		ASSERT_LT(0, w->last.len);
		ASSERT_GE(1000, w->last.len);
		TX(w, TH_ACK, 1, next + w->last.len);
	}
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * Window 0: no data, only zero-window probes, backing off (RFC 9293
 * 3.8.6.1).  Linux's probe is a bare ACK at SND.UNA - 1, which draws our
 * ACK without sending data past the window.  When the window opens the
 * data follows at once.
 */
TEST_F(data, zero_window_probe)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 100);
	RX(w, TH_ACK, 1, 1, .len = 100);
	w->win = 0;
	TX(w, TH_ACK, 1, 101);

	APP_WRITE(fd, 101, 200);
	ASSERT_EQ(0, wire_expect_backoff(w, TH_ACK, 100, 1,
					 &(struct wire_rx){ .ms = 3000 },
					 2, 0.15, 3.0));
	w->win = 65535;
	TX(w, TH_ACK, 1, 101);
	RX(w, TH_ACK, 101, 1, .len = 200);
}

/* Unacknowledged data is retransmitted with the RTO doubling each time */
TEST_F(data, retransmit_backoff)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 100);
	ASSERT_EQ(0, wire_expect_backoff(w, TH_ACK, 1, 1,
					 &(struct wire_rx){ .len = 100 },
					 3, 0.15, 1.5));
	TX(w, TH_ACK, 1, 101);
	QUIET(w, 2 * WIRE_QUIET_MS);
	STATE(w, "ESTABLISHED");
}

/*
 * With the retries used up (knob "retries", tcp_retries2) the connection
 * is dropped: ETIMEDOUT for the application, and no RST.
 */
TEST_F_TIMEOUT(data, retries_exhausted, 30)
{
	struct wire *w = &self->w;
	struct wire_seg s;
	int lfd, fd;

	ASSERT_EQ(0, set_knob(w->proto, "retries", 2));
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 100);
	ASSERT_EQ(ETIMEDOUT, wire_app_error(fd, 20000));
	STATE(w, "CLOSED");
	while (!wire_recv(w, &s, 0))
		ASSERT_EQ(0, (s.flags & TH_RST));
	QUIET(w, WIRE_QUIET_MS);
}

TEST_HARNESS_MAIN
