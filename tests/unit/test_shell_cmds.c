/*
 * test_shell_cmds — host unit tests (Check) for the guest shell's file and disk commands
 * (pvguest/shell/cmd_fs.c, shell.c; issue 12) over the real ext2 reader (pvguest/fs/ext2.c)
 * and an image made by mke2fs -d: their output against coreutils' on the same tree (ls -l,
 * sha256sum, stat's lines), error messages and statuses, shell_run_script's "$ CMD" lines and
 * failure count, blkread/blkwrite on a file standing in for blkfront. The guest-only calls
 * (blkfront, console input, time, sleep, the network commands) are stubbed here.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pvguest/blkfront.h>
#include <pvguest/console_in.h>
#include <pvguest/ext2.h>
#include <pvguest/shell.h>

#include "shell_cmds.h"

/* ---- stubs of the guest kernel ---- */
static int img_fd = -1;
static struct blkfront_info bi;

const struct blkfront_info *blkfront_info(const struct blkfront *bf)
{
    (void)bf;
    return &bi;
}

int blkfront_rw(struct blkfront *bf, bool write, uint64_t sector, void *buf, uint64_t n,
                bool indirect)
{
    (void)bf;
    (void)indirect;
    ssize_t r = write ? pwrite(img_fd, buf, n * 512, (off_t)(sector * 512))
                      : pread(img_fd, buf, n * 512, (off_t)(sector * 512));
    return r == (ssize_t)(n * 512) ? 0 : -5;
}

int blkfront_flush(struct blkfront *bf)
{
    (void)bf;
    return 0;
}

uint64_t wall_clock_ns(void)
{
    return (uint64_t)time(NULL) * 1000000000ULL;
}

uint64_t system_time_ns(void)
{
    return 0;
}

void sleep_ns(uint64_t ns)
{
    (void)ns;
}

long console_in_init(void)
{
    return 0;
}

long console_in_read(char *buf, size_t n, uint64_t deadline_ns)
{
    (void)buf;
    (void)n;
    (void)deadline_ns;
    return 0;
}

bool console_in_interrupted(void)
{
    return false;
}

#define STUB(name)                                                                                 \
    int name(struct shell_env *env, int argc, char **argv)                                         \
    {                                                                                              \
        (void)env;                                                                                 \
        (void)argc;                                                                                \
        (void)argv;                                                                                \
        return 0;                                                                                  \
    }
STUB(cmd_ifconfig)
STUB(cmd_ping)
STUB(cmd_date)
STUB(cmd_uptime)
STUB(cmd_sleep)
STUB(cmd_counters)
STUB(cmd_poweroff)

/* ---- fixture: a tree, its image, the mounted filesystem ---- */
static char dir[64], img[96];
static struct shell_env env;

static int dev_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    return blkfront_rw(NULL, false, off / 512, buf, len / 512, false);
}

static void sh(const char *fmt, const char *arg)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg, arg);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

static void setup(void)
{
    char why[128];

    strcpy(dir, "/tmp/test_shell_cmds.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    sh("cd %s && mkdir -p t/d/e 't/with space' && printf 'hello\\n' >t/hello.txt && "
       "head -c 70000 /dev/urandom >t/d/big && : >t/empty && ln -s d/big t/link && "
       "chmod 4755 t/hello.txt && printf x >'t/with space/f' && touch -d 2001-02-03 t/empty",
       dir);
    snprintf(img, sizeof(img), "%s/img", dir);
    sh("mke2fs -q -F -t ext2 -d %s/t %s/img 4M >/dev/null", dir);
    img_fd = open(img, O_RDWR);
    ck_assert_int_ge(img_fd, 0);
    bi.sectors = 4 * 2048;
    bi.read_only = false;
    memset(&env, 0, sizeof(env));
    env.bf = (struct blkfront *)&bi; /* any non-NULL pointer: the stubs ignore it */
    ck_assert_int_eq(ext2_mount(dev_read, NULL, bi.sectors * 512, &env.fs, why, sizeof(why)), 0);
}

static void teardown(void)
{
    ext2_unmount(env.fs);
    close(img_fd);
    sh("rm -rf %s", dir);
}

/* Run @line with stdout and stderr into one buffer; returns the status. */
static char out[65536];

static int run(const char *line, bool script)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/out", dir);
    fflush(stdout);
    fflush(stderr);
    int save1 = dup(1), save2 = dup(2), fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    int status = script ? shell_run_script(&env, line) : shell_run_line(&env, line);
    fflush(stdout);
    fflush(stderr);
    dup2(save1, 1);
    dup2(save2, 2);
    close(save1);
    close(save2);
    ssize_t n = pread(fd, out, sizeof(out) - 1, 0);
    close(fd);
    out[n < 0 ? 0 : n] = '\0';
    return status;
}

/* The host's output of @cmd run in the tree's parent directory. */
static char host[65536];

static void host_out(const char *cmd)
{
    char full[1024];
    snprintf(full, sizeof(full), "cd %s/t && LC_ALL=C TZ=UTC %s", dir, cmd);
    FILE *p = popen(full, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(host, 1, sizeof(host) - 1, p);
    host[n] = '\0';
    pclose(p);
}

START_TEST(test_ls)
{
    ck_assert_int_eq(run("ls", false), 0);
    ck_assert_str_eq(out, "d\nempty\nhello.txt\nlink\nlost+found\nwith space\n");
    ck_assert_int_eq(run("ls -a /d", false), 0);
    ck_assert_str_eq(out, ".\n..\nbig\ne\n");
    ck_assert_int_eq(run("ls /hello.txt /nope '/with space'", false), 1);
    ck_assert_str_eq(out, "ls: cannot access '/nope': No such file or directory\n"
                          "/hello.txt\n\n/with space:\nf\n");
    /* The long format, names and columns as coreutils' (sizes of files; directories differ
       in size between the host's filesystem and ext2, so compare the files only). */
    ck_assert_int_eq(run("ls -l /hello.txt /link /d/big /empty", false), 0);
    host_out("ls -l ./hello.txt ./link ./d/big ./empty | sed 's| \\./| /|'");
    if (getuid() == 0 && getgid() == 0) /* the host prints names; the guest knows only root */
        ck_assert_str_eq(out, host);
    /* Old files show the year, as coreutils does. */
    ck_assert_ptr_nonnull(strstr(out, "Feb  3  2001 /empty\n"));
    ck_assert_ptr_nonnull(strstr(out, "-rwsr-xr-x 1 "));
    ck_assert_ptr_nonnull(strstr(out, " 70000 "));
    ck_assert_ptr_nonnull(strstr(out, " /link -> d/big\n"));
    ck_assert_int_eq(run("ls -l /", false), 0);
    ck_assert_int_eq(strncmp(out, "total ", 6), 0);
    ck_assert_int_eq(run("ls -z", false), 2);
    ck_assert_str_eq(out, "ls: invalid option -- 'z'\nusage: ls [-la] [PATH]...\n");
}
END_TEST

START_TEST(test_cat_sha256sum)
{
    ck_assert_int_eq(run("cat hello.txt /hello.txt", false), 0);
    ck_assert_str_eq(out, "hello\nhello\n");
    ck_assert_int_eq(run("cat /nope", false), 1);
    ck_assert_str_eq(out, "cat: /nope: No such file or directory\n");
    ck_assert_int_eq(run("cat /d", false), 1);
    ck_assert_str_eq(out, "cat: /d: Is a directory\n");
    ck_assert_int_eq(run("cat /hello.txt/x", false), 1);
    ck_assert_str_eq(out, "cat: /hello.txt/x: Not a directory\n");

    ck_assert_int_eq(run("sha256sum /hello.txt /d/big /empty /link '/with space/f'", false), 0);
    host_out("sha256sum ./hello.txt ./d/big ./empty ./link './with space/f' | sed 's|  \\./|  /|'");
    ck_assert_str_eq(out, host);
    ck_assert_int_eq(run("sha256sum /d /hello.txt /nope", false), 1);
    ck_assert_str_eq(out, "sha256sum: /d: Is a directory\n"
                          "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  "
                          "/hello.txt\nsha256sum: /nope: No such file or directory\n");
    ck_assert_int_eq(run("sha256sum", false), 2);
    ck_assert_str_eq(out, "usage: sha256sum PATH...\n");
}
END_TEST

START_TEST(test_stat_df)
{
    ck_assert_int_eq(run("stat /hello.txt", false), 0);
    ck_assert_ptr_nonnull(strstr(out, "  File: /hello.txt\n  Size: 6         \tBlocks: "));
    ck_assert_ptr_nonnull(strstr(out, "regular file\n"));
    ck_assert_ptr_nonnull(strstr(out, "Access: (4755/-rwsr-xr-x)  Uid: (    0/    root)"));
    ck_assert_ptr_nonnull(strstr(out, "Modify: 20"));
    ck_assert_int_eq(run("stat /link", false), 0);
    ck_assert_ptr_nonnull(strstr(out, "  File: /link -> d/big\n"));
    ck_assert_ptr_nonnull(strstr(out, "symbolic link\n"));
    ck_assert_int_eq(run("stat -L /link", false), 0);
    ck_assert_ptr_nonnull(strstr(out, "  Size: 70000     \t"));
    ck_assert_int_eq(run("stat /empty", false), 0);
    ck_assert_ptr_nonnull(strstr(out, "regular empty file\n"));
    ck_assert_int_eq(run("stat /nope", false), 1);
    ck_assert_str_eq(out, "stat: /nope: No such file or directory\n");

    ck_assert_int_eq(run("df", false), 0);
    ck_assert_ptr_nonnull(strstr(out, "Filesystem 1K-blocks Used Available Use% Mounted on\n"));
    ck_assert_ptr_nonnull(strstr(out, "% /\n"));
    ck_assert_int_eq(run("df -h", false), 2);
}
END_TEST

START_TEST(test_blk)
{
    ck_assert_int_eq(run("blkwrite 3000 48656c6c6f", false), 0);
    ck_assert_str_eq(out, "wrote 5 bytes at sector 3000 (byte 1536000)\n");
    ck_assert_int_eq(run("blkread 3000 1", false), 0);
    ck_assert_int_eq(strncmp(out,
                             "00177000  48 65 6c 6c 6f 00 00 00  00 00 00 00 00 00 00 00  "
                             "|Hello...........|\n",
                             79),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "\n*\n00177200\n"));
    ck_assert_int_eq(run("blkread 8191 2", false), 1);
    ck_assert_str_eq(out, "blkread: sectors 8191-8192 are beyond the end of the disk "
                          "(8192 sectors)\n");
    ck_assert_int_eq(run("blkread 0 65", false), 1);
    ck_assert_int_eq(run("blkread 0", false), 2);
    ck_assert_str_eq(out, "usage: blkread LBA COUNT\n");
    ck_assert_int_eq(run("blkwrite 0 abc", false), 1);
    bi.read_only = true;
    ck_assert_int_eq(run("blkwrite 3000 00", false), 1);
    ck_assert_str_eq(out, "blkwrite: device is read-only\n");
    bi.read_only = false;
    env.bf = NULL;
    ck_assert_int_eq(run("blkread 0 1", false), 1);
    ck_assert_str_eq(out, "blkread: no disk\n");
}
END_TEST

START_TEST(test_lines_scripts)
{
    ck_assert_int_eq(run("nosuch", false), 127);
    ck_assert_str_eq(out, "mica: nosuch: command not found\n");
    ck_assert_int_eq(run("echo 'a;b' \"c d\"; echo x", false), 0);
    ck_assert_str_eq(out, "a;b c d\nx\n");
    ck_assert_int_eq(run("cat 'oops", false), 2);
    ck_assert_str_eq(out, "mica: unterminated quote\n");
    ck_assert_int_eq(run("cat /nope; echo last", false), 0); /* the last command's status */

    ck_assert_int_eq(run("echo one; cat /nope\n# a comment\n\nls /d ;nosuch", true), 2);
    ck_assert_str_eq(out, "$ echo one\none\n$ cat /nope\ncat: /nope: No such file or "
                          "directory\n$ ls /d\nbig\ne\n$ nosuch\nmica: nosuch: command not "
                          "found\n");
    ck_assert_int_eq(run("echo ok; echo 'bad", true), 1);
    ck_assert_str_eq(out, "$ echo ok\nok\n$ echo 'bad\nmica: unterminated quote\n");

    struct ext2_fs *fs = env.fs;
    env.fs = NULL;
    env.fs_error = "bad magic 0x0000 (not ext2)";
    ck_assert_int_eq(run("ls", false), 1);
    ck_assert_str_eq(out, "ls: no filesystem: bad magic 0x0000 (not ext2)\n");
    env.fs = fs;
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shell_cmds");
    TCase *tc = tcase_create("shell_cmds");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ls);
    tcase_add_test(tc, test_cat_sha256sum);
    tcase_add_test(tc, test_stat_df);
    tcase_add_test(tc, test_blk);
    tcase_add_test(tc, test_lines_scripts);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
