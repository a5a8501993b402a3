// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpfsm tracepoints (trace.h) are instantiated here, and only here.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
