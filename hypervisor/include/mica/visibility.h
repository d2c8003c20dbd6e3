/*
 * Force-included into every hypervisor translation unit: all symbols are hidden, so -fpie
 * code reaches globals PC-relative instead of through a GOT. The image is linked static.
 */
#pragma GCC visibility push(hidden)
