/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels tcpfsm supports (Debian's 6.1 and 6.12),
 * kept in one place so the rest of the module reads as if there were one.
 */
#ifndef _TCPFSM_COMPAT_H
#define _TCPFSM_COMPAT_H

#include <linux/version.h>
#include <linux/net.h>
#include <net/net_namespace.h>

/*
 * register_net_sysctl() became a macro over register_net_sysctl_sz() in
 * 6.5, taking ARRAY_SIZE() of its table, which a per-netns kmemdup() copy
 * does not have.  @n counts the real entries; 6.1 walks up to the empty
 * sentinel that every table still carries.
 */
static inline struct ctl_table_header *
tcpfsm_register_sysctl(struct net *net, const char *path,
		       struct ctl_table *table, size_t n)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/*
 * proto_ops->accept takes a struct proto_accept_arg since 6.10; before it
 * took the flags and the kern bool.  TCPFSM_ACCEPT_ARGS is the parameter
 * list, tcpfsm_accept_flags()/tcpfsm_accept_kern() read it either way.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define TCPFSM_ACCEPT_ARGS \
	struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg
#define tcpfsm_accept_flags()	(arg->flags)
#define tcpfsm_accept_kern()	(arg->kern)
#else
#define TCPFSM_ACCEPT_ARGS \
	struct socket *sock, struct socket *newsock, int flags, bool kern
#define tcpfsm_accept_flags()	(flags)
#define tcpfsm_accept_kern()	(kern)
#endif

#endif /* _TCPFSM_COMPAT_H */
