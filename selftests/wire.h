/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire: play the remote TCP peer segment by segment, like packetdrill, but
 * as plain C on top of kselftest_harness.h.
 *
 * Each test runs in its own network namespace.  The kernel under test owns
 * 198.18.0.1/24 on a tun device; the test program is 198.18.0.2 and writes
 * and reads raw IPv4 packets on the tun fd.  Every segment carries the
 * variant's protocol number (6 for Linux TCP, 253 for tcpfsm) in the IP
 * header and in the checksum's pseudo-header; the TCP header itself is the
 * same for both.
 *
 * Sequence numbers in TX()/RX() are relative, as in packetdrill: what we
 * send is relative to our ISS (w->iss) and acknowledges relative to the
 * kernel's ISS (w->irs), which RX() learns from the kernel's first SYN.
 * Before that w->irs is 0, so relative numbers are absolute ones (handy for
 * RSTs to unknown connections).
 *
 *	TX(w, TH_SYN, 0, 0, .mss = 1460);
 *	RX(w, TH_SYN | TH_ACK, 0, 1, .mss = 1460);
 *	TX(w, TH_ACK, 1, 1);
 *	TX(w, TH_ACK, 1, 1, .len = 100);	// 100 bytes of wire_pattern()
 *	RX(w, TH_ACK, 1, 101);
 *
 * Payload without .data is wire_pattern() of its relative sequence number,
 * in both directions, so APP_READ()/APP_WRITE() and RX(.len = n) can check
 * that bytes arrive in order.  PSH is ignored when comparing flags.
 *
 * Include this after kselftest_harness.h: the upper-case macros expand to
 * ASSERT_*() and so need the harness's _metadata.
 */
#ifndef TCPFSM_WIRE_H
#define TCPFSM_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/tcp.h>	/* TH_FIN, TH_SYN, TH_RST, TH_PUSH, TH_ACK */

#include "util.h"		/* proto_wanted(), conn_state(), set_knob() */

#define WIRE_LOCAL_ADDR	"198.18.0.1"	/* the kernel under test */
#define WIRE_PEER_ADDR	"198.18.0.2"	/* us, behind the tun device */
#define WIRE_LPORT	5001		/* kernel's port in passive opens */
#define WIRE_PPORT	40001		/* our port */

/*
 * Our ISS sits just below 2^32 so that the first data segments of most
 * tests straddle the sequence-number wrap.
 */
#define WIRE_ISS	0xffffffa0u

#define WIRE_WAIT_MS	1000	/* for a segment that must come (> 200 ms delayed ACK) */
#define WIRE_QUIET_MS	500	/* watch this long to show nothing is sent */

/* One segment read from the tun device. */
struct wire_seg {
	double t;		/* seconds since wire_setup() */
	uint8_t flags;
	uint32_t seq, ack;	/* absolute */
	uint16_t sport, dport, win, urp;
	int hlen;		/* TCP header length in bytes */
	int mss;		/* MSS option, -1 if absent */
	int wscale;		/* window scale option (RFC 7323), -1 if absent */
	int optlen;
	uint8_t opt[40];
	int len;		/* payload length */
	uint8_t data[2048];
};

struct wire {
	int proto;		/* 6 or 253: IP protocol and pseudo-header */
	int tun;
	uint16_t lport;		/* kernel's port */
	uint16_t pport;		/* ours */
	uint32_t iss;		/* our ISS */
	uint32_t irs;		/* kernel's ISS, valid once irs_known */
	bool irs_known;
	uint16_t win;		/* window we advertise */
	uint16_t mss;		/* MSS option of our SYNs (wire_*_open), 0: none */
	const uint8_t *syn_opt;	/* more options for those SYNs, */
	int syn_optlen;		/* a multiple of 4 bytes */
	int rtt_ms;		/* delay of wire_passive_open()'s ACK */
	uint16_t ip_id;
	double t0;
	int icmp;		/* ICMP messages seen from the kernel */
	uint8_t icmp_type, icmp_code;
	struct wire_seg last;	/* the segment RX() matched */
	char hist[24][200];	/* recent segments, printed on failure */
	unsigned int nhist;
};

/* Options for wire_send(); all zero is a plain, correct segment. */
struct wire_tx {
	const char *data;	/* payload; NULL: .len bytes of wire_pattern() */
	int len;		/* payload length (strlen(data) if 0) */
	uint16_t mss;		/* add an MSS option */
	const uint8_t *opt;	/* raw option bytes after the MSS option ... */
	int optlen;		/* ... a multiple of 4 */
	int doff;		/* data offset to claim (words); 0: the real one */
	bool bad_csum;		/* checksum off by one */
	bool other_proto_csum;	/* pseudo-header with the other protocol */
};

/* Options for wire_expect(). */
struct wire_rx {
	const char *data;	/* expected payload; NULL: wire_pattern() */
	int len;		/* expected payload length (strlen(data) if 0) */
	int mss;		/* expected MSS option; 0: not checked */
	int ms;			/* how long to wait; 0: WIRE_WAIT_MS */
	bool optional;		/* nothing at all within ms is fine too */
};

int wire_setup(struct wire *w, int proto);
void wire_cleanup(struct wire *w);
double wire_now(const struct wire *w);

int wire_send(struct wire *w, uint8_t flags, uint32_t seq, uint32_t ack,
	      const struct wire_tx *o);
/*
 * An ICMP error from the peer's side quoting the last segment RX() matched,
 * its sequence number replaced by the kernel's ISS + seq (relative); info
 * is the next-hop MTU for fragmentation-needed.
 */
int wire_send_icmp(struct wire *w, uint8_t type, uint8_t code, uint32_t seq,
		   uint16_t info);
/* A raw segment @seg of @len bytes from @saddr (network order; 0: the peer) */
int wire_send_raw(struct wire *w, uint32_t saddr, uint8_t *seg, int len,
		  bool bad_csum);
/* Read and forget whatever the kernel sent */
int wire_drain(struct wire *w);
/* Next segment from the kernel: 0, or 1 after ms without one, -1 on error */
int wire_recv(struct wire *w, struct wire_seg *s, int ms);
int wire_expect(struct wire *w, uint8_t flags, uint32_t seq, uint32_t ack,
		const struct wire_rx *o);
int wire_quiet(struct wire *w, int ms);
/*
 * The segment (flags, seq, ack, o) and then n retransmissions of it, the
 * first after min..max seconds and each later one about twice as long
 * after its predecessor as that one after its own (RFC 6298 5.5).
 */
int wire_expect_backoff(struct wire *w, uint8_t flags, uint32_t seq,
			uint32_t ack, const struct wire_rx *o, int n,
			double min, double max);

/* Start a new connection on the same 4-tuple: new ISS, forget the kernel's */
void wire_new_incarnation(struct wire *w, uint32_t iss);

/* State of our connection as conn_state() names it, or "CLOSED" */
const char *wire_state(struct wire *w);
/* Wait up to 200 ms for the connection to be in state want */
int wire_state_is(struct wire *w, const char *want);

/* The application's side; sockets are non-blocking */
int wire_socket(struct wire *w);
int wire_listen(struct wire *w);
int wire_accept(struct wire *w, int lfd, int ms);
int wire_connect(struct wire *w);
int wire_connect_result(int fd, int ms);	/* SO_ERROR once done, -1 on timeout */
int wire_app_write(int fd, uint32_t seq, int n);
int wire_app_read(int fd, uint32_t seq, int n, int ms);
int wire_app_nothing(int fd);			/* 0 if nothing to read yet */
int wire_app_eof(int fd, int ms);		/* 0 if read() returns 0 */
int wire_app_error(int fd, int ms);		/* errno of a failing read() */

/* Handshakes: passive with accept(), active with connect() */
int wire_passive_open(struct wire *w, int *lfd, int *fd);
int wire_active_open(struct wire *w, int *fd);
/* Listen, send our SYN, expect the SYN,ACK: the listening socket */
int wire_syn_received(struct wire *w);
/* Answer connect()'s SYN: SYN,ACK, its ACK, connect() succeeds */
int wire_answer_syn(struct wire *w, int fd);
/* Still ESTABLISHED, 10 bytes go each way (ours at seq, its at ack), ACKed */
int wire_data_flows(struct wire *w, int fd, uint32_t seq, uint32_t ack);
/* The kernel closes first: FIN, our ACK, our FIN, its ACK: TIME_WAIT */
int wire_active_close(struct wire *w, int fd);

/* Our SYNs carry these options instead of an MSS option */
static inline void wire_syn_options(struct wire *w, const uint8_t *opt, int len)
{
	w->mss = 0;
	w->syn_opt = opt;
	w->syn_optlen = len;
}

static inline uint8_t wire_pattern(uint32_t seq)
{
	return 'a' + (seq - 1) % 26;
}

#define TX(w, flags, seq, ack, ...) \
	ASSERT_EQ(0, wire_send(w, flags, seq, ack, \
			       &(const struct wire_tx){ __VA_ARGS__ }))
#define RX(w, flags, seq, ack, ...) \
	ASSERT_EQ(0, wire_expect(w, flags, seq, ack, \
				 &(const struct wire_rx){ __VA_ARGS__ }))
#define QUIET(w, ms)		ASSERT_EQ(0, wire_quiet(w, ms))
#define STATE(w, want)		ASSERT_EQ(0, wire_state_is(w, want))
#define APP_WRITE(fd, seq, n)	ASSERT_EQ(n, wire_app_write(fd, seq, n))
#define APP_READ(fd, seq, n)	ASSERT_EQ(0, wire_app_read(fd, seq, n, WIRE_WAIT_MS))
#define APP_NOTHING(fd)		ASSERT_EQ(0, wire_app_nothing(fd))
#define APP_EOF(fd)		ASSERT_EQ(0, wire_app_eof(fd, WIRE_WAIT_MS))
#define APP_ERROR(fd, err)	ASSERT_EQ(err, wire_app_error(fd, WIRE_WAIT_MS))

/*
 * The fixture every wire_*.c uses: one test per protocol, skipped only when
 * TCPFSM_PROTOS leaves the protocol out.  A socket() of the protocol that
 * fails is a failure of wire_setup(), never a skip.
 */
#define WIRE_FIXTURE(f)							\
	FIXTURE(f) {							\
		struct wire w;						\
	};								\
	FIXTURE_VARIANT(f) {						\
		int proto;						\
	};								\
	FIXTURE_VARIANT_ADD(f, tcp) {					\
		.proto = PROTO_TCP,					\
	};								\
	FIXTURE_VARIANT_ADD(f, tcpfsm) {				\
		.proto = PROTO_TCPFSM,					\
	};								\
	FIXTURE_SETUP(f)						\
	{								\
		if (!proto_wanted(variant->proto))			\
			SKIP(return, "protocol %d not in TCPFSM_PROTOS", \
			     variant->proto);				\
		ASSERT_EQ(0, wire_setup(&self->w, variant->proto));	\
	}								\
	FIXTURE_TEARDOWN(f)						\
	{								\
		wire_cleanup(&self->w);					\
	}

/* For tests that need a knob Linux TCP lacks */
#define SKIP_TCP(w, why)						\
	do {								\
		if ((w)->proto == PROTO_TCP)				\
			SKIP(return, "Linux TCP: %s", why);		\
	} while (0)

#endif /* TCPFSM_WIRE_H */
