// SPDX-License-Identifier: GPL-2.0
/*
 * Broken segments: a bad checksum (RFC 9293 3.1: checked over the
 * pseudo-header, which carries the protocol number) or a data offset that
 * cannot be is dropped before anything else looks at the segment, so it
 * draws no reply, not even an RST, and changes nothing.  A truncated
 * option is not a broken header: Linux stops reading options there and
 * processes the rest of the segment (RFC 9293 MUST-7 asks only that it
 * not crash).
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

WIRE_FIXTURE(malformed);

/* The same broken segment to a connection, a listener and a closed port */
static int dropped_everywhere(struct wire *w, uint8_t flags,
			      const struct wire_tx *broken)
{
	int lfd, fd;

	/* a connection: no ACK, nothing to read, data still flows */
	if (wire_passive_open(w, &lfd, &fd) ||
	    wire_send(w, flags, 1, 1, broken) ||
	    wire_quiet(w, WIRE_QUIET_MS) ||
	    wire_app_nothing(fd) ||
	    wire_data_flows(w, fd, 1, 1))
		return -1;

	/* as a SYN to the listener: no SYN,ACK */
	wire_new_incarnation(w, w->iss + 5000);
	w->pport++;
	if (wire_send(w, TH_SYN, 0, 0, broken) ||
	    wire_quiet(w, WIRE_QUIET_MS) ||
	    wire_state_is(w, "CLOSED"))
		return -1;

	/* to a port without a socket: no RST */
	w->lport++;
	return wire_send(w, flags, 1, 1, broken) ||
	       wire_quiet(w, WIRE_QUIET_MS);
}

TEST_F(malformed, bad_checksum)
{
	ASSERT_EQ(0, dropped_everywhere(&self->w, TH_ACK, &(struct wire_tx){
		.len = 100, .bad_csum = true }));
}

/* Checksummed as the other protocol (6 for tcpfsm, 253 for TCP) */
TEST_F(malformed, other_protocol_checksum)
{
	ASSERT_EQ(0, dropped_everywhere(&self->w, TH_ACK, &(struct wire_tx){
		.len = 100, .other_proto_csum = true }));
}

/* A bad checksum on an exact RST must not reset the connection */
TEST_F(malformed, bad_checksum_rst)
{
	ASSERT_EQ(0, dropped_everywhere(&self->w, TH_RST | TH_ACK,
					&(struct wire_tx){ .bad_csum = true }));
}

/* Data offset below 5 words: the header would end inside itself */
TEST_F(malformed, doff_below_5)
{
	ASSERT_EQ(0, dropped_everywhere(&self->w, TH_ACK, &(struct wire_tx){
		.len = 20, .doff = 4 }));
}

/* Data offset of 15 words (60 bytes) in a 30-byte segment */
TEST_F(malformed, doff_beyond_segment)
{
	ASSERT_EQ(0, dropped_everywhere(&self->w, TH_ACK, &(struct wire_tx){
		.len = 10, .doff = 15 }));
}

/*
 * A SYN whose MSS option runs past the header (kind 2, length 4, two
 * bytes left) is answered as if it had no MSS option: 536-byte segments.
 */
TEST_F(malformed, truncated_mss_option)
{
	static const uint8_t opt[] = { 1, 1, 2, 4 };
	struct wire *w = &self->w;
	int lfd, fd;

	wire_syn_options(w, opt, sizeof(opt));
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	APP_WRITE(fd, 1, 600);
	RX(w, TH_ACK, 1, 1, .len = 536);
}

/*
 * Data with a truncated or zero-length option after it is still data:
 * accepted, ACKed, delivered.
 */
TEST_F(malformed, truncated_option_on_data)
{
	static const uint8_t truncated[] = { 1, 1, 8, 10 };	/* TS, 10 bytes */
	static const uint8_t zero_len[] = { 1, 1, 99, 0 };
	struct wire *w = &self->w;
	int lfd, fd;

	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	TX(w, TH_ACK, 1, 1, .len = 50, .opt = truncated, .optlen = 4);
	RX(w, TH_ACK, 1, 51);
	TX(w, TH_ACK, 51, 1, .len = 50, .opt = zero_len, .optlen = 4);
	RX(w, TH_ACK, 1, 101);
	APP_READ(fd, 1, 100);
	ASSERT_EQ(0, wire_data_flows(w, fd, 101, 1));
}

TEST_HARNESS_MAIN
