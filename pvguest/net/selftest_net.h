/* test=net (pvguest/net/selftest_net.c), called by selftest_run(). */
#ifndef PVGUEST_SELFTEST_NET_H
#define PVGUEST_SELFTEST_NET_H

/** Bring up the e1000 and lwIP and serve echo until "quit" or net_timeout=; 0 passed, 1 not. */
int net_selftest(void);

#endif /* PVGUEST_SELFTEST_NET_H */
