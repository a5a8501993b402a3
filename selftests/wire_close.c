// SPDX-License-Identifier: GPL-2.0
/*
 * Closing a connection, segment by segment (RFC 9293 3.6): the four-way
 * close from either side, simultaneous close, FIN+ACK in FIN_WAIT_1,
 * half-close both ways, FIN retransmission and the FIN_WAIT_2 timeout.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

WIRE_FIXTURE(close);

/* Open, then our FIN: ACKed with ack = its seq + 1, CLOSE_WAIT */
static int to_close_wait(struct wire *w, int *lfd, int *fd)
{
	if (wire_passive_open(w, lfd, fd) ||
	    wire_send(w, TH_FIN | TH_ACK, 1, 1, &(struct wire_tx){}) ||
	    wire_expect(w, TH_ACK, 1, 2, &(struct wire_rx){}))
		return -1;
	return wire_state_is(w, "CLOSE_WAIT");
}

/*
 * The kernel closes first (RFC 9293 Figure 12, TCP Peer A):
 * ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT.
 */
TEST_F(close, active)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	ASSERT_EQ(0, wire_active_close(w, fd));
	QUIET(w, WIRE_QUIET_MS);
}

/* The same on a connection the kernel opened with connect() */
TEST_F(close, active_client)
{
	struct wire *w = &self->w;
	int fd;

	ASSERT_EQ(0, wire_active_open(w, &fd));
	ASSERT_EQ(0, wire_active_close(w, fd));
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * We close first (TCP Peer B): our FIN is ACKed with ack = its seq + 1
 * (CLOSE_WAIT) and read() sees EOF; close() sends the kernel's FIN
 * (LAST_ACK), and our ACK of it ends the connection without TIME_WAIT.
 */
TEST_F(close, passive)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, to_close_wait(w, &lfd, &fd));
	APP_EOF(fd);

	ASSERT_EQ(0, close(fd));
	RX(w, TH_FIN | TH_ACK, 1, 2);
	STATE(w, "LAST_ACK");
	TX(w, TH_ACK, 2, 2);
	STATE(w, "CLOSED");
	QUIET(w, WIRE_QUIET_MS);
}

/*
 * The FINs cross (RFC 9293 Figure 13): ours does not acknowledge the
 * kernel's, so FIN_WAIT_1 -> CLOSING; our ACK then -> TIME_WAIT.
 */
TEST_F(close, simultaneous)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	ASSERT_EQ(0, close(fd));
	RX(w, TH_FIN | TH_ACK, 1, 1);
	TX(w, TH_FIN | TH_ACK, 1, 1);
	RX(w, TH_ACK, 2, 2);
	STATE(w, "CLOSING");
	TX(w, TH_ACK, 2, 2);
	STATE(w, "TIME_WAIT");
	QUIET(w, WIRE_QUIET_MS);
}

/* FIN_WAIT_1 receiving a FIN that ACKs its own FIN goes straight to TIME_WAIT */
TEST_F(close, fin_ack_in_fin_wait_1)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	ASSERT_EQ(0, close(fd));
	RX(w, TH_FIN | TH_ACK, 1, 1);
	STATE(w, "FIN_WAIT_1");
	TX(w, TH_FIN | TH_ACK, 1, 2);
	RX(w, TH_ACK, 2, 2);
	STATE(w, "TIME_WAIT");
}

/*
 * shutdown(SHUT_WR): FIN_WAIT_2 still receives.  (After close() Linux
 * answers new data in FIN_WAIT_2 with RST, as nobody can read it.)
 */
TEST_F(close, half_close_active)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	RX(w, TH_FIN | TH_ACK, 1, 1);
	TX(w, TH_ACK, 1, 2);
	STATE(w, "FIN_WAIT_2");

	TX(w, TH_ACK, 1, 2, .len = 100);
	RX(w, TH_ACK, 2, 101);
	APP_READ(fd, 1, 100);

	TX(w, TH_FIN | TH_ACK, 101, 2);
	RX(w, TH_ACK, 2, 102);
	STATE(w, "TIME_WAIT");
	APP_EOF(fd);
}

/* CLOSE_WAIT still sends: data, then the FIN after it */
TEST_F(close, half_close_passive)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, to_close_wait(w, &lfd, &fd));

	APP_WRITE(fd, 1, 100);
	RX(w, TH_ACK, 1, 2, .len = 100);
	TX(w, TH_ACK, 2, 101);
	ASSERT_EQ(0, close(fd));
	RX(w, TH_FIN | TH_ACK, 101, 2);
	TX(w, TH_ACK, 2, 102);
	STATE(w, "CLOSED");
}

/*
 * An unacknowledged FIN (ours received up to our_fin) is retransmitted
 * with backoff like data (Linux's RTO here is its 200 ms minimum: RFC
 * 6298's 1 s is a SHOULD), in state "before", and no more once ACKed,
 * which moves the connection to "after".
 */
static int fin_until_acked(struct wire *w, int fd, uint32_t our_fin,
			   const char *before, const char *after)
{
	uint32_t seq = 1 + our_fin;

	if (close(fd) ||
	    wire_expect_backoff(w, TH_FIN | TH_ACK, 1, seq,
				&(struct wire_rx){}, 2, 0.15, 1.5) ||
	    wire_state_is(w, before) ||
	    wire_send(w, TH_ACK, seq, 2, &(struct wire_tx){}) ||
	    wire_state_is(w, after))
		return -1;
	return wire_quiet(w, 2 * WIRE_QUIET_MS);
}

TEST_F(close, fin_retransmit)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	ASSERT_EQ(0, fin_until_acked(w, fd, 0, "FIN_WAIT_1", "FIN_WAIT_2"));
}

/* The same in LAST_ACK */
TEST_F(close, last_ack_retransmit)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, to_close_wait(w, &lfd, &fd));
	ASSERT_EQ(0, fin_until_acked(w, fd, 1, "LAST_ACK", "CLOSED"));
}

/*
 * A closed socket does not wait in FIN_WAIT_2 forever (fin_timeout_ms;
 * tcp_fin_timeout in whole seconds for Linux); after it a FIN finds no
 * connection and draws RST, seq = its ACK field.
 */
TEST_F(close, fin_wait_2_timeout)
{
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, set_knob(w->proto, "fin_timeout_ms", 1000));
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	ASSERT_EQ(0, close(fd));
	RX(w, TH_FIN | TH_ACK, 1, 1);
	TX(w, TH_ACK, 1, 2);
	STATE(w, "FIN_WAIT_2");
	usleep(700 * 1000);
	STATE(w, "FIN_WAIT_2");

	usleep(800 * 1000);
	STATE(w, "CLOSED");
	TX(w, TH_FIN | TH_ACK, 1, 2);
	RX(w, TH_RST, 2, 0);
}

TEST_HARNESS_MAIN
