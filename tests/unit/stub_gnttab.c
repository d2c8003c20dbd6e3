/*
 * A refusing stand-in for do_grant_table_op (common/grant_table.c) for unit tests that link
 * common/hypercall.c without the grant-table code and its typed-frame dependencies.
 */
#include <mica/errno.h>
#include <mica/grant_table.h>

long do_grant_table_op(unsigned long cmd, unsigned long uop, unsigned long count, unsigned long a4,
                       unsigned long a5)
{
    (void)cmd;
    (void)uop;
    (void)count;
    (void)a4;
    (void)a5;
    return -ENOSYS;
}
