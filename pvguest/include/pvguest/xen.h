/*
 * Xen's public interface as the guest sees it: includes Xen 4.17's public
 * headers (libxen-dev, /usr/include/xen) with the fixed-width types they
 * expect. The build must define __XEN_INTERFACE_VERSION__ (the top
 * Makefile's $(XEN_IFACE)); without it xen-compat.h selects interface
 * version 0 and the old hypercall numbers.
 */
#ifndef PVGUEST_XEN_H
#define PVGUEST_XEN_H

#ifndef __XEN_INTERFACE_VERSION__
#error "build with $(XEN_IFACE): -D__XEN_INTERFACE_VERSION__=0x00040e00"
#endif

#include <stdint.h>

#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/memory.h>
#include <xen/features.h>
#include <xen/event_channel.h>
#include <xen/vcpu.h>
#include <xen/callback.h>

#endif /* PVGUEST_XEN_H */
