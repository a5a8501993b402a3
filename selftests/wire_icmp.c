// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors for a connection (RFC 9293 3.9.1.2 / RFC 1122 4.2.3.9,
 * RFC 5927): a hard error ends a connection that is still opening, with
 * the errno Linux gives it; later it is only a soft error and the
 * connection lives on; an error quoting a sequence number we never sent
 * is ignored, so a blind attacker cannot kill a handshake.
 */
#include <errno.h>
#include <netinet/ip_icmp.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

WIRE_FIXTURE(icmp);

/* Connect, see the SYN, have the path answer ICMP type 3 with @code. */
static int refused_with(struct __test_metadata *_metadata, struct wire *w,
			uint8_t code)
{
	int fd, err;

	fd = wire_connect(w);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return -1;
	EXPECT_EQ(0, wire_expect(w, TH_SYN, 0, 0, &(struct wire_rx){}));
	EXPECT_EQ(0, wire_send_icmp(w, ICMP_DEST_UNREACH, code, 0, 0));
	err = wire_connect_result(fd, WIRE_WAIT_MS);
	EXPECT_EQ(0, wire_state_is(w, "CLOSED"));
	close(fd);
	return err;
}

TEST_F(icmp, port_unreachable_in_syn_sent)
{
	EXPECT_EQ(ECONNREFUSED, refused_with(_metadata, &self->w,
					      ICMP_PORT_UNREACH));
}

/* Linux maps protocol unreachable to ENOPROTOOPT (icmp_err_convert[]). */
TEST_F(icmp, protocol_unreachable_in_syn_sent)
{
	EXPECT_EQ(ENOPROTOOPT, refused_with(_metadata, &self->w,
					     ICMP_PROT_UNREACH));
}

TEST_F(icmp, host_unreachable_in_syn_sent)
{
	EXPECT_EQ(EHOSTUNREACH, refused_with(_metadata, &self->w,
					      ICMP_HOST_UNREACH));
}

/* Quoting a sequence number outside SND.UNA..SND.NXT: ignored. */
TEST_F(icmp, unreachable_out_of_window_ignored)
{
	struct wire *w = &self->w;
	int fd = wire_connect(w);

	ASSERT_LE(0, fd);
	RX(w, TH_SYN, 0, 0);
	ASSERT_EQ(0, wire_send_icmp(w, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH,
				    1000, 0));
	STATE(w, "SYN_SENT");
	ASSERT_EQ(0, wire_answer_syn(w, fd));
	ASSERT_EQ(0, wire_data_flows(w, fd, 1, 1));
	close(fd);
}

/* Once established a hard error is soft: the connection goes on. */
TEST_F(icmp, unreachable_in_established_is_soft)
{
	struct wire *w = &self->w;
	int fd;

	ASSERT_EQ(0, wire_active_open(w, &fd));
	ASSERT_EQ(0, wire_send_icmp(w, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH,
				    1, 0));
	STATE(w, "ESTABLISHED");
	ASSERT_EQ(0, wire_data_flows(w, fd, 1, 1));
	close(fd);
}

TEST_HARNESS_MAIN
