/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfsm: a TCP-style connection protocol over its own IP protocol number,
 * with an explicit per-socket finite-state machine.
 */
#ifndef _TCPFSM_H
#define _TCPFSM_H

#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "compat.h"

#define TCPFSM_DEFAULT_PROTO	253	/* RFC 3692 experimental */

/* The IP protocol number we run over: module parameter "proto". */
extern int tcpfsm_proto;

/*
 * Counters, per netns and per CPU.  The first block carries the TCP-MIB
 * names of /proc/net/snmp so the two read alike; the rest are ours.
 */
enum tcpfsm_mib {
	TCPFSM_MIB_ACTIVEOPENS,
	TCPFSM_MIB_PASSIVEOPENS,
	TCPFSM_MIB_ATTEMPTFAILS,
	TCPFSM_MIB_ESTABRESETS,
	TCPFSM_MIB_INSEGS,
	TCPFSM_MIB_OUTSEGS,
	TCPFSM_MIB_RETRANSSEGS,
	TCPFSM_MIB_INERRS,
	TCPFSM_MIB_OUTRSTS,
	TCPFSM_MIB_INCSUMERRORS,
	/* Segments dropped, by reason. */
	TCPFSM_MIB_DROP_CSUM,
	TCPFSM_MIB_DROP_HDR,
	TCPFSM_MIB_DROP_NOT_HOST,
	TCPFSM_MIB_DROP_NO_SOCKET,
	TCPFSM_MIB_MAX
};

struct tcpfsm_mib_cpu {
	unsigned long	mibs[TCPFSM_MIB_MAX];
};

/**
 * struct tcpfsm_net - per network namespace state
 * @msl_ms: maximum segment lifetime; TIME_WAIT lasts 2 * @msl_ms
 * @fin_timeout_ms: how long an orphaned FIN_WAIT_2 connection lives
 * @syn_retries: SYN retransmissions before connect() gives up
 * @retries: data retransmissions before the connection times out
 * @mib: per-CPU counters, read by /proc/tcpfsm/stats
 * @sysctl_hdr: /proc/sys/net/tcpfsm registration
 */
struct tcpfsm_net {
	int				msl_ms;
	int				fin_timeout_ms;
	int				syn_retries;
	int				retries;
	struct tcpfsm_mib_cpu __percpu	*mib;
	struct ctl_table_header		*sysctl_hdr;
};

extern unsigned int tcpfsm_net_id;

static inline struct tcpfsm_net *tcpfsm_pernet(const struct net *net)
{
	return net_generic(net, tcpfsm_net_id);
}

#define TCPFSM_INC_STATS(net, field) \
	this_cpu_inc(tcpfsm_pernet(net)->mib->mibs[field])

unsigned long tcpfsm_mib_read(const struct net *net, enum tcpfsm_mib field);

/* input.c */
int tcpfsm_rcv(struct sk_buff *skb);
int tcpfsm_err(struct sk_buff *skb, u32 info);

/* socket.c */
int tcpfsm_socket_init(void);
void tcpfsm_socket_exit(void);

/* sysctl.c */
int tcpfsm_sysctl_net_init(struct net *net);
void tcpfsm_sysctl_net_exit(struct net *net);

/* proc.c */
int tcpfsm_proc_init(void);
void tcpfsm_proc_exit(void);

#endif /* _TCPFSM_H */
