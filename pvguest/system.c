/*
 * The usable system (issue 12; docs/running.md): the two roles pvguest plays in the demo
 * configuration (tools/configs/demo.dts), chosen by the boot argument `role=`.
 *
 *   role=driver   the driver domain: the AHCI disk as disk 0 for blkback, the e1000 on the
 *                 bridge with its own lwIP (a fixed address with `ip=A.B.C.D`, else DHCP),
 *                 netback for every vif; then it serves until the machine goes off.
 *   role=shell    the guest: blkfront on vbd 0 with its ext2 filesystem mounted at `/`,
 *                 lwIP on netfront (DHCP, or `ip=`), UDP echo on port 7, HTTP on port 80;
 *                 then the boot script (`tools/mica-run --cmd`, the initrd) or the
 *                 interactive shell.
 *
 * Every byte the guest reads from its disk or sends to the network goes through a ring to
 * the driver domain, which owns the hardware.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/errno.h>

#include <pvguest/blkback.h>
#include <pvguest/blkdev.h>
#include <pvguest/blkfront.h>
#include <pvguest/cmdline.h>
#include <pvguest/devtree.h>
#include <pvguest/e1000.h>
#include <pvguest/ext2.h>
#include <pvguest/httpd.h>
#include <pvguest/net.h>
#include <pvguest/netback.h>
#include <pvguest/netfront.h>
#include <pvguest/sched.h>
#include <pvguest/shell.h>
#include <pvguest/shutdown.h>
#include <pvguest/time.h>

#include "system.h"

#define SECTOR_SIZE 512
/* How long the guest waits for its backends at boot. */
#define CONNECT_TIMEOUT_NS (10 * 1000000000ULL)
/* How long each side waits for DHCP before its fallback address. */
#define DHCP_TIMEOUT_MS 5000
/* How long the driver domain waits for the e1000's link before serving vifs. */
#define LINK_TIMEOUT_NS (3 * 1000000000ULL)
#define UDP_ECHO_PORT   7
#define HTTP_PORT       80

/* The boot argument `ip=` (a fixed address), or NULL (DHCP). */
static const char *ip_arg(void)
{
    static char ip[16]; /* "255.255.255.255" */

    return cmdline_get("ip", ip, sizeof(ip)) > 0 ? ip : NULL;
}

int system_driver_run(void)
{
    char addr[16];
    int disks = 0, vbds, vifs = 0;

    if (blkdev_ahci_create(0)) {
        printf("pvguest: driver: disk 0 is %s, %llu sectors (%llu MiB)\n", blkdev_get(0)->name,
               (unsigned long long)blkdev_get(0)->sectors,
               (unsigned long long)(blkdev_get(0)->sectors >> 11));
        disks = 1;
    } else {
        printf("pvguest: driver: no AHCI disk: its vbds will not connect\n");
    }
    vbds = disks ? blkback_start() : 0;
    if (vbds < 0)
        printf("pvguest: driver: blkback_start failed: %d\n", vbds);

    /* With a fixed address, no DHCP lease: QEMU's server gives its first lease (10.0.2.15,
       where `--hostfwd tcp::PORT-:80` points) to the guest. */
    const char *ip = ip_arg();
    int rc = netback_net_start(ip ? NET_NO_DHCP : 0);
    if (rc < 0) {
        printf("pvguest: driver: no network (e1000 and bridge: %d): its vifs will not connect\n",
               rc);
    } else {
        /* Frames sent before the link is up are lost, and a guest's first DHCP request
           would wait for lwIP's retransmission (2 s): vifs connect once the link is up
           (at once under QEMU; a real link's autonegotiation takes longer). */
        uint64_t t0 = system_time_ns(), deadline = t0 + LINK_TIMEOUT_NS;
        while (!e1000_link_up() && system_time_ns() < deadline)
            sleep_ns(NSEC_PER_MSEC);
        printf("pvguest: driver: e1000 link %s after %llu ms\n", e1000_link_up() ? "up" : "DOWN",
               (unsigned long long)((system_time_ns() - t0) / NSEC_PER_MSEC));
        const char *how = net_configure_address(ip, DHCP_TIMEOUT_MS, addr);
        vifs = netback_start();
        if (vifs < 0)
            printf("pvguest: driver: netback_start failed: %d\n", vifs);
        printf("pvguest: driver: bridge up, own address %s (%s), UDP echo on port %d: %ld\n", addr,
               how, UDP_ECHO_PORT, net_echo_start(UDP_ECHO_PORT));
    }
    printf("pvguest: driver: serving %d vbd(s) and %d vif(s)\n", vbds > 0 ? vbds : 0,
           vifs > 0 ? vifs : 0);
    fflush(stdout);
    /* The backends and lwIP run in their own threads and event handlers; the machine's end
       is a guest's (on-poweroff = "machine-off") or a debug key. */
    for (;;)
        sleep_ns(3600 * 1000000000ULL);
}

/* ext2's device: whole sectors through blkfront (the reader only asks for those). */
static int blkfront_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
    /* blkfront's errors are Xen's; to ext2 every one is the device failing. */
    return blkfront_rw(ctx, false, offset / SECTOR_SIZE, buf, len / SECTOR_SIZE, true) < 0 ? -EIO
                                                                                           : 0;
}

/* Mount vbd 0's filesystem at `/`; the reason into @why if it cannot be. */
static struct ext2_fs *mount_root(struct blkfront *bf, char *why, size_t why_size)
{
    const struct blkfront_info *info = blkfront_info(bf);
    struct ext2_fs *fs = NULL;
    int rc = ext2_mount(blkfront_read, bf, info->sectors * SECTOR_SIZE, &fs, why, why_size);

    if (rc < 0) {
        printf("pvguest: mount: /: %s\n", why);
        return NULL;
    }
    struct ext2_statfs sf;
    ext2_statfs(fs, &sf);
    printf("pvguest: mounted ext2 (revision %u, %u-byte blocks, %llu KiB, label \"%s\") on / "
           "from vbd 0 (backend d%u)\n",
           (unsigned)sf.revision, (unsigned)sf.block_size,
           (unsigned long long)(sf.blocks * sf.block_size / 1024), sf.volume_name,
           (unsigned)info->backend);
    return fs;
}

/* The guest's address (ip= or DHCP), UDP echo and HTTP; one line says how it went (on a line
   of its own: after the prompt, if the shell printed one meanwhile). */
static void start_services(struct shell_env *env, bool after_prompt)
{
    char addr[16] = "none";
    const char *how = net_configure_address(ip_arg(), DHCP_TIMEOUT_MS, addr);
    long echo = net_echo_start(UDP_ECHO_PORT);
    long http = env->fs ? httpd_start(env->fs, HTTP_PORT) : -XEN_ENOENT;

    printf("%spvguest: network: %s (%s), UDP echo on port %d%s, HTTP on port %d%s\n",
           after_prompt ? "\n" : "", addr, how, UDP_ECHO_PORT, echo < 0 ? " FAILED" : "", HTTP_PORT,
           http < 0 ? (env->fs ? " FAILED" : " off (no filesystem)") : "");
    fflush(stdout);
}

static void services_thread(void *arg)
{
    start_services(arg, true);
}

int system_shell_run(void)
{
    static char why[128];
    static struct shell_env env;

    env.bf = blkfront_open(0, CONNECT_TIMEOUT_NS);
    if (env.bf) {
        env.fs = mount_root(env.bf, why, sizeof(why));
        if (!env.fs)
            env.fs_error = why;
    } else {
        env.fs_error = "no disk (vbd 0 did not connect)";
    }
    size_t len;
    const char *initrd = devtree_initrd(&len);
    env.nf = netfront_net_start();
    if (!env.nf) {
        printf("pvguest: network: none (vif 0 did not connect)\n");
    } else if (initrd) {
        start_services(&env, false); /* a script may use the network at once: wait for it */
    } else {
        /* Interactive: the prompt need not wait for DHCP (QEMU's first answer takes about a
           second); the network line comes when the address does. */
        if (!thread_create("netcfg", services_thread, &env, 0))
            start_services(&env, false);
    }

    if (initrd) {
        /* The script is text; a copy makes it a C string whatever the module holds. */
        char *script = malloc(len + 1);
        if (!script) {
            printf("pvguest: script: no memory for %zu bytes\n", len);
            guest_shutdown(SHUTDOWN_crash);
        }
        memcpy(script, initrd, len);
        script[len] = '\0';
        int failed = shell_run_script(&env, script);
        printf("pvguest: script: %s\n", failed ? "FAILED" : "all commands succeeded");
        if (failed)
            printf("pvguest: script: %d command(s) failed\n", failed);
        fflush(stdout);
        guest_shutdown(failed ? SHUTDOWN_crash : SHUTDOWN_poweroff);
    }
    shell_interactive(&env);
}
