// SPDX-License-Identifier: GPL-2.0
/*
 * Resets (RFC 9293 3.5.2, 3.5.3, 3.10.7; RFC 5961): the RST a segment to
 * no connection draws, which RSTs tear a connection down, which draw a
 * challenge ACK and which are ignored, SYN in a synchronized state, and
 * the RSTs the kernel sends on its own.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

WIRE_FIXTURE(rst);

/* No connection, no ACK bit: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
TEST_F(rst, closed_port_syn)
{
	struct wire *w = &self->w;

	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_RST | TH_ACK, 0, 1);
	QUIET(w, WIRE_QUIET_MS);
}

/* SEG.LEN counts data and FIN: 10 bytes + FIN */
TEST_F(rst, closed_port_data_fin)
{
	struct wire *w = &self->w;

	TX(w, TH_FIN, 0, 0, .len = 10);
	RX(w, TH_RST | TH_ACK, 0, 11);
}

/* No connection, ACK bit set: <SEQ=SEG.ACK><CTL=RST> (w->irs is 0 here) */
TEST_F(rst, closed_port_ack)
{
	struct wire *w = &self->w;

	TX(w, TH_ACK, 0, 12345);
	RX(w, TH_RST, 12345, 0);
	TX(w, TH_ACK, 0, 777, .len = 10);
	RX(w, TH_RST, 777, 0);
}

/* An RST never draws an RST */
TEST_F(rst, closed_port_rst)
{
	struct wire *w = &self->w;

	TX(w, TH_RST, 0, 0);
	TX(w, TH_RST | TH_ACK, 0, 12345);
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * A listener: an ACK draws <SEQ=SEG.ACK><CTL=RST>; an RST and a segment
 * without SYN or ACK are dropped; the listener lives on.
 */
TEST_F(rst, listener)
{
	struct wire *w = &self->w;

	ASSERT_LE(0, wire_listen(w));
	TX(w, TH_ACK, 1, 12345);
	RX(w, TH_RST, 12345, 0);
	TX(w, TH_RST, 0, 0);
	TX(w, TH_FIN, 0, 0, .len = 10);
	QUIET(w, WIRE_QUIET_MS);
	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
}

/* RST at exactly RCV.NXT: gone, ECONNRESET, nothing sent in reply */
TEST_F(rst, exact_seq_resets)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_RST, 1, 0);
	QUIET(w, WIRE_QUIET_MS);
	APP_ERROR(fd, ECONNRESET);
	STATE(w, "CLOSED");
}

/*
 * RFC 5961 3.2: an RST inside the window but not at RCV.NXT draws a
 * challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT> and changes nothing.
 */
TEST_F(rst, in_window_challenge_ack)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_RST, 101, 0);
	RX(w, TH_ACK, 1, 1);
	TX(w, TH_RST | TH_ACK, 2, 1);
	RX(w, TH_ACK, 1, 1);
	APP_NOTHING(fd);
	ASSERT_EQ(0, wire_data_flows(w, fd, 1, 1));
}

/* An RST outside the window, ahead or behind, is dropped silently */
TEST_F(rst, out_of_window_ignored)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_RST, 1 + 1000000, 0);
	TX(w, TH_RST, 1 - 1000, 0);
	TX(w, TH_RST, 0, 0);
	QUIET(w, WIRE_QUIET_MS);
	APP_NOTHING(fd);
	ASSERT_EQ(0, wire_data_flows(w, fd, 1, 1));
}

/*
 * RFC 5961 4.2: a SYN in a synchronized state, whatever its seq, draws a
 * challenge ACK and changes nothing.
 */
TEST_F(rst, syn_in_established_challenge_ack)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_SYN, 1, 0, .mss = 1460);
	RX(w, TH_ACK, 1, 1);
	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_ACK, 1, 1);
	TX(w, TH_SYN, 1 + 1000000, 0, .mss = 1460);
	RX(w, TH_ACK, 1, 1);
	ASSERT_EQ(0, wire_data_flows(w, fd, 1, 1));
}

/* SYN_SENT: an RST that ACKs our SYN refuses the connection */
TEST_F(rst, syn_sent_refused)
{
	struct wire *w = &self->w;
	int fd;

	fd = wire_connect(w);
	ASSERT_LE(0, fd);
	RX(w, TH_SYN, 0, 0, .mss = 1460);
	TX(w, TH_RST | TH_ACK, 0, 1);
	ASSERT_EQ(ECONNREFUSED, wire_connect_result(fd, WIRE_WAIT_MS));
	STATE(w, "CLOSED");
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * SYN_SENT: an RST without ACK, or whose ACK is not for our SYN, is
 * dropped (RFC 9293 3.10.7.3); the open then completes.  Linux takes an
 * unacceptable ACK as a sign of an old connection at the peer and
 * retransmits its SYN at once; that is allowed, not required.  Short
 * quiet periods: the SYN is retransmitted anyway after 1 s.
 */
TEST_F(rst, syn_sent_rst_ignored)
{
	struct wire *w = &self->w;
	int fd;

	fd = wire_connect(w);
	ASSERT_LE(0, fd);
	RX(w, TH_SYN, 0, 0, .mss = 1460);
	TX(w, TH_RST, 0, 0);
	QUIET(w, 300);
	STATE(w, "SYN_SENT");
	TX(w, TH_RST | TH_ACK, 0, 100);
	RX(w, TH_SYN, 0, 0, .mss = 1460, .optional = true, .ms = 300);
	STATE(w, "SYN_SENT");
	ASSERT_EQ(0, wire_answer_syn(w, fd));
}

/*
 * SYN_SENT: a SYN,ACK acking something else draws <SEQ=SEG.ACK><CTL=RST>
 * (and from Linux an early retransmission of the SYN, as above).
 */
TEST_F(rst, syn_sent_bad_ack)
{
	struct wire *w = &self->w;
	int fd;

	fd = wire_connect(w);
	ASSERT_LE(0, fd);
	RX(w, TH_SYN, 0, 0, .mss = 1460);
	TX(w, TH_SYN | TH_ACK, 0, 100, .mss = 1460);
	RX(w, TH_RST, 100, 0);
	RX(w, TH_SYN, 0, 0, .mss = 1460, .optional = true, .ms = 300);
	STATE(w, "SYN_SENT");
	ASSERT_EQ(0, wire_answer_syn(w, fd));
}

/*
 * SYN_RECEIVED: an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST> and the
 * half-open connection stays; an RST at RCV.NXT returns it to LISTEN
 * (RFC 9293 3.10.7.4), and a new SYN opens anew.
 */
TEST_F(rst, syn_received)
{
	struct wire *w = &self->w;
	int lfd;

	lfd = wire_syn_received(w);
	ASSERT_LE(0, lfd);
	TX(w, TH_ACK, 1, 100);
	RX(w, TH_RST, 100, 0);
	STATE(w, "SYN_RECEIVED");

	TX(w, TH_RST, 1, 0);
	QUIET(w, WIRE_QUIET_MS);
	STATE(w, "CLOSED");
	ASSERT_EQ(-1, accept(lfd, NULL, NULL));

	/* the listener is still there */
	wire_new_incarnation(w, w->iss + 5000);
	TX(w, TH_SYN, 0, 0, .mss = 1460);
	RX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
	TX(w, TH_ACK, 1, 1);
	ASSERT_LE(0, wire_accept(w, lfd, WIRE_WAIT_MS));
}

/*
 * close() with data unread sends RST,ACK instead of FIN (RFC 1122
 * 4.2.2.13, RFC 2525 2.17): the data is lost and the peer must know.
 */
TEST_F(rst, close_with_unread_data)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_ACK, 1, 1, .len = 100);
	RX(w, TH_ACK, 1, 101);
	ASSERT_EQ(0, close(fd));
	RX(w, TH_RST | TH_ACK, 1, 101);
	STATE(w, "CLOSED");
}

/* Data after close() can never be read: RST (seq = SEG.ACK), connection gone */
TEST_F(rst, data_after_close)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	ASSERT_EQ(0, close(fd));
	RX(w, TH_FIN | TH_ACK, 1, 1);
	TX(w, TH_ACK, 1, 2);
	STATE(w, "FIN_WAIT_2");
	TX(w, TH_ACK, 1, 2, .len = 10);
	RX(w, TH_RST, 2, 0);
	STATE(w, "CLOSED");
}

TEST_HARNESS_MAIN
