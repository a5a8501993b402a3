/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tcpfsm generic netlink family (Documentation/netlink/specs/tcpfsm.yaml):
 * connections, counters, and an "events" group for state transitions.
 * The event hooks the engine calls are declared in tcpfsm.h.
 */
#ifndef _TCPFSM_NETLINK_H
#define _TCPFSM_NETLINK_H

int tcpfsm_nl_init(void);
void tcpfsm_nl_exit(void);

#endif /* _TCPFSM_NETLINK_H */
