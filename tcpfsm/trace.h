/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfsm:tcpfsm_set_state, fired by tcpfsm_set_state() for every state
 * change of every socket.  Its fields are those of sock:inet_sock_set_state
 * (IPv4 only: tcpfsm has no IPv6), the states print with the same names
 * (the values are Linux TCP's), and it adds the transition's cause:
 *
 *   bpftrace -e 'tracepoint:tcpfsm:tcpfsm_set_state
 *	{ printf("%d -> %d\n", args.oldstate, args.newstate); }'
 *
 * The addresses and ports are those /proc/tcpfsm/conns shows: the local
 * (bound) address and port, the remote ones (0 for a listener).
 *
 * A connection's life ends in it too when it went through TIME_WAIT: the
 * socket hands over to its TIME_WAIT entry silently, and the entry fires
 * TIME_WAIT -> CLOSED when it ends (skaddr is then the entry's address).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tcpfsm

#if !defined(_TCPFSM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TCPFSM_TRACE_H

#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/sock.h>

#include "fsm.h"

#define tcpfsm_show_state(val)						\
	__print_symbolic(val,						\
		{ TCPFSM_ESTABLISHED,	"TCP_ESTABLISHED" },		\
		{ TCPFSM_SYN_SENT,	"TCP_SYN_SENT" },		\
		{ TCPFSM_SYN_RECEIVED,	"TCP_SYN_RECV" },		\
		{ TCPFSM_FIN_WAIT_1,	"TCP_FIN_WAIT1" },		\
		{ TCPFSM_FIN_WAIT_2,	"TCP_FIN_WAIT2" },		\
		{ TCPFSM_TIME_WAIT,	"TCP_TIME_WAIT" },		\
		{ TCPFSM_CLOSED,	"TCP_CLOSE" },			\
		{ TCPFSM_CLOSE_WAIT,	"TCP_CLOSE_WAIT" },		\
		{ TCPFSM_LAST_ACK,	"TCP_LAST_ACK" },		\
		{ TCPFSM_LISTEN,	"TCP_LISTEN" },			\
		{ TCPFSM_CLOSING,	"TCP_CLOSING" })

#define tcpfsm_show_cause(val)						\
	__print_symbolic(val,						\
		{ TCPFSM_EV_NONE,		"none" },		\
		{ TCPFSM_EV_CONNECT,		"connect" },		\
		{ TCPFSM_EV_LISTEN,		"listen" },		\
		{ TCPFSM_EV_CLOSE,		"close" },		\
		{ TCPFSM_EV_ABORT,		"abort" },		\
		{ TCPFSM_EV_RCV_SYN,		"rcv-syn" },		\
		{ TCPFSM_EV_RCV_SYN_ACK,	"rcv-syn-ack" },	\
		{ TCPFSM_EV_RCV_ACK,		"rcv-ack" },		\
		{ TCPFSM_EV_RCV_FIN,		"rcv-fin" },		\
		{ TCPFSM_EV_RCV_FIN_ACK,	"rcv-fin-ack" },	\
		{ TCPFSM_EV_RCV_ACK_OF_FIN,	"rcv-ack-of-fin" },	\
		{ TCPFSM_EV_RCV_RST,		"rcv-rst" },		\
		{ TCPFSM_EV_TIMEOUT_2MSL,	"timeout-2msl" },	\
		{ TCPFSM_EV_TIMEOUT_FIN_WAIT_2,	"timeout-fin-wait-2" },	\
		{ TCPFSM_EV_TIMEOUT_RETRIES,	"timeout-retries" },	\
		{ TCPFSM_EV_ICMP_UNREACH,	"icmp-unreach" },	\
		{ TCPFSM_EV_TW_DROPPED,		"time-wait-dropped" })

TRACE_EVENT(tcpfsm_set_state,

	TP_PROTO(const void *skaddr, int protocol, __be32 saddr, __be16 sport,
		 __be32 daddr, __be16 dport, int oldstate, int newstate,
		 int cause),

	TP_ARGS(skaddr, protocol, saddr, sport, daddr, dport, oldstate,
		newstate, cause),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(int, oldstate)
		__field(int, newstate)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__field(__u16, protocol)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(int, cause)
	),

	TP_fast_assign(
		__entry->skaddr = skaddr;
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
		__entry->family = AF_INET;
		__entry->protocol = protocol;
		__entry->sport = ntohs(sport);
		__entry->dport = ntohs(dport);
		memcpy(__entry->saddr, &saddr, 4);
		memcpy(__entry->daddr, &daddr, 4);
		__entry->cause = cause;
	),

	TP_printk("protocol=%hu sport=%hu dport=%hu saddr=%pI4 daddr=%pI4 oldstate=%s newstate=%s cause=%s",
		  __entry->protocol, __entry->sport, __entry->dport,
		  __entry->saddr, __entry->daddr,
		  tcpfsm_show_state(__entry->oldstate),
		  tcpfsm_show_state(__entry->newstate),
		  tcpfsm_show_cause(__entry->cause))
);

#endif /* _TCPFSM_TRACE_H */

/* Out of the kernel tree: Kbuild puts tcpfsm/ on trace.o's include path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
