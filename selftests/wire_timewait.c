// SPDX-License-Identifier: GPL-2.0
/*
 * TIME_WAIT (RFC 9293 3.6 and 3.10.7.4, RFC 1337, RFC 1122 4.2.2.13): what
 * it answers, what it ignores, reuse of its 4-tuple by a new SYN and its
 * end after 2 MSL.  Every test gets there the same way: the kernel, as
 * the server of an accepted connection, closes first.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

WIRE_FIXTURE(timewait);

/* msl_ms: set the knob first (not for Linux TCP, which has none) */
static int to_time_wait(struct wire *w, int *lfd, int msl_ms)
{
	int fd;

	if ((msl_ms && set_knob(w->proto, "msl_ms", msl_ms)) ||
	    wire_passive_open(w, lfd, &fd))
		return -1;
	return wire_active_close(w, fd);
}

/* Our ACK got lost: the retransmitted FIN is ACKed again */
TEST_F(timewait, fin_retransmit_acked)
{
	struct wire *w = &self->w;
	int lfd;

	ASSERT_EQ(0, to_time_wait(w, &lfd, 0));
	TX(w, TH_FIN | TH_ACK, 1, 2);
	RX(w, TH_ACK, 2, 2);
	STATE(w, "TIME_WAIT");
}

/*
 * RFC 1337 (TIME-WAIT assassination): an RST, even at exactly RCV.NXT,
 * neither ends TIME_WAIT nor draws anything.  Linux needs
 * net.ipv4.tcp_rfc1337=1 for this.
 */
TEST_F(timewait, rst_ignored)
{
	struct wire *w = &self->w;
	int lfd;

	ASSERT_EQ(0, to_time_wait(w, &lfd, 0));
	TX(w, TH_RST, 2, 0);
	QUIET(w, WIRE_QUIET_MS);
	STATE(w, "TIME_WAIT");
	TX(w, TH_RST | TH_ACK, 2, 2);
	QUIET(w, WIRE_QUIET_MS);
	STATE(w, "TIME_WAIT");

	/* still there, not just still listed */
	TX(w, TH_FIN | TH_ACK, 1, 2);
	RX(w, TH_ACK, 2, 2);
}

/*
 * Segments other than a retransmitted FIN: data and old duplicates draw
 * an ACK of the final state; a bare ACK at RCV.NXT is acceptable and
 * draws nothing.
 */
TEST_F(timewait, segments_draw_ack)
{
	struct wire *w = &self->w;
	int lfd;

	ASSERT_EQ(0, to_time_wait(w, &lfd, 0));
	TX(w, TH_ACK, 2, 2, .len = 10);
	RX(w, TH_ACK, 2, 2);
	TX(w, TH_ACK, 1, 1);
	RX(w, TH_ACK, 2, 2);
	TX(w, TH_ACK, 2, 2);
	QUIET(w, WIRE_QUIET_MS);
	STATE(w, "TIME_WAIT");
}

/* An old duplicate SYN (seq below RCV.NXT) draws an ACK, not a SYN,ACK */
TEST_F(timewait, old_syn_draws_ack)
{
	struct wire *w = &self->w;
	int lfd;

	ASSERT_EQ(0, to_time_wait(w, &lfd, 0));
	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_ACK, 2, 2);
	STATE(w, "TIME_WAIT");
}

/*
 * A new SYN on the 4-tuple with seq above the old RCV.NXT reopens it
 * (RFC 1122 4.2.2.13) with an ISN above anything the old connection
 * used; the listener accepts the new connection.
 */
TEST_F(timewait, syn_reuses_tuple)
{
	struct wire *w = &self->w;
	uint32_t old_snd_nxt;
	int lfd, fd;

	ASSERT_EQ(0, to_time_wait(w, &lfd, 0));
	old_snd_nxt = w->irs + 2;
	wire_new_incarnation(w, w->iss + 100000);

	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
	ASSERT_LT(0, (int32_t)(w->irs - old_snd_nxt));
	TX(w, TH_ACK, 1, 1);
	fd = wire_accept(w, lfd, WIRE_WAIT_MS);
	ASSERT_LE(0, fd);
	STATE(w, "ESTABLISHED");
	TX(w, TH_ACK, 1, 1, .len = 10);
	RX(w, TH_ACK, 1, 11);
	APP_READ(fd, 1, 10);
}

/* TIME_WAIT ends after 2 MSL; then a segment finds no connection: RST */
TEST_F(timewait, ends_after_2msl)
{
	struct wire *w = &self->w;
	int lfd;

	SKIP_TCP(w, "TIME_WAIT is a fixed 60 s, there is no MSL knob");
	ASSERT_EQ(0, to_time_wait(w, &lfd, 250));
	usleep(350 * 1000);
	STATE(w, "TIME_WAIT");
	usleep(300 * 1000);
	STATE(w, "CLOSED");
	TX(w, TH_ACK, 2, 2);
	RX(w, TH_RST, 2, 0);
}

/* The retransmitted FIN restarts the 2 MSL timer (RFC 9293 3.10.7.4) */
TEST_F(timewait, fin_restarts_2msl)
{
	struct wire *w = &self->w;
	int lfd;

	SKIP_TCP(w, "TIME_WAIT is a fixed 60 s, there is no MSL knob");
	ASSERT_EQ(0, to_time_wait(w, &lfd, 250));
	usleep(350 * 1000);
	TX(w, TH_FIN | TH_ACK, 1, 2);
	RX(w, TH_ACK, 2, 2);
	usleep(350 * 1000);
	STATE(w, "TIME_WAIT");
	usleep(400 * 1000);
	STATE(w, "CLOSED");
}

TEST_HARNESS_MAIN
