/* Unit tests for hypervisor/common/bootcfg.c: the boot configuration parser and the
   per-domain trees. Configurations are written as .dts text and compiled with dtc. */
#include <check.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/sched.h>

#include "hv_rename.h"
#include <mica/bootcfg.h>
#include <mica/errno.h>
#include "hv_unrename.h"

static char blob[65536];
static size_t blob_len;
static struct bootcfg cfg;
static char err[256];

/* Compile @dts with dtc into blob. */
static void compile(const char *dts)
{
    char src[] = "/tmp/test_bootcfg_XXXXXX";
    char cmd[256], out[64];
    int fd = mkstemp(src);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, dts, strlen(dts)), (ssize_t)strlen(dts));
    close(fd);
    snprintf(out, sizeof(out), "%s.dtb", src);
    snprintf(cmd, sizeof(cmd), "dtc -q -I dts -O dtb -o %s %s", out, src);
    ck_assert_msg(system(cmd) == 0, "dtc failed on:\n%s", dts);
    FILE *f = fopen(out, "rb");
    ck_assert_ptr_nonnull(f);
    blob_len = fread(blob, 1, sizeof(blob), f);
    fclose(f);
    unlink(src);
    unlink(out);
}

/* Parse @dts against @nr_modules modules; returns the parser's result. */
static int parse(const char *dts, unsigned int nr_modules)
{
    compile(dts);
    return bootcfg_parse(blob, blob_len, nr_modules, &cfg, err, sizeof(err));
}

#define DRIVER                                                                                     \
    "dom0 { compatible = \"xen,domain\"; mica,driver-domain; memory = <0 65536>; cpus = <1>;"      \
    " pci-devices = \"00:1f.2\", \"0000:00:02.0\";"                                                \
    " module@1 { compatible = \"multiboot,kernel\", \"multiboot,module\"; reg = <1>;"              \
    " bootargs = \"test=devtree\"; }; };"

#define GUEST(name, extra)                                                                         \
    name " { compatible = \"xen,domain\"; memory = <32768>; cpus = <1>;" extra                     \
         " module@2 { compatible = \"multiboot,kernel\", \"multiboot,module\"; reg = <2>; }; };"

#define TREE(body) "/dts-v1/; / { chosen { " body " }; };"

static const char *demo =
    TREE(GUEST("domU1", " on-crash = \"restart\";"
                        " vbd@0 { compatible = \"mica,vbd\"; backend = \"dom0\"; disk = <0>;"
                        "   start-sector = <0 2048>; sectors = <4096>; read-only; };"
                        " vif@0 { compatible = \"mica,vif\"; backend = \"dom0\";"
                        "   mac = [00 16 3e 00 00 01]; };") DRIVER);

START_TEST(valid_demo)
{
    ck_assert_int_eq(parse(demo, 3), 0);
    ck_assert_uint_eq(cfg.nr_domains, 2);
    /* The driver domain comes first (d0) though it is second in the tree. */
    const struct bootcfg_domain *d0 = &cfg.domain[0], *d1 = &cfg.domain[1];
    ck_assert_str_eq(d0->name, "dom0");
    ck_assert(d0->driver);
    ck_assert_uint_eq(d0->domid, 0);
    ck_assert_uint_eq(d0->memory_kib, 65536);
    ck_assert_int_eq(d0->kernel_module, 1);
    ck_assert_int_eq(d0->initrd_module, BOOTCFG_NO_MODULE);
    ck_assert_str_eq(d0->bootargs, "test=devtree");
    ck_assert_uint_eq(d0->nr_pci, 2);
    ck_assert_uint_eq(d0->pci[0].bus, 0);
    ck_assert_uint_eq(d0->pci[0].dev, 0x1f);
    ck_assert_uint_eq(d0->pci[0].fn, 2);
    ck_assert_uint_eq(d0->pci[1].dev, 2);
    ck_assert_int_eq(d0->on_poweroff, BOOTCFG_MACHINE_OFF);
    ck_assert_str_eq(d1->name, "domU1");
    ck_assert_uint_eq(d1->domid, 1);
    ck_assert(!d1->driver);
    ck_assert_uint_eq(d1->memory_kib, 32768);
    ck_assert_str_eq(d1->bootargs, "");
    ck_assert_int_eq(d1->on_poweroff, BOOTCFG_DESTROY);
    ck_assert_int_eq(d1->on_crash, BOOTCFG_RESTART);
    ck_assert_uint_eq(d1->nr_vdevs, 2);
    ck_assert_int_eq(d1->vdev[0].type, BOOTCFG_VBD);
    ck_assert_str_eq(d1->vdev[0].name, "vbd@0");
    ck_assert_uint_eq(d1->vdev[0].backend, 0);
    ck_assert(d1->vdev[0].read_only);
    ck_assert_uint_eq(d1->vdev[0].start_sector, 2048);
    ck_assert_uint_eq(d1->vdev[0].nr_sectors, 4096);
    ck_assert_int_eq(d1->vdev[1].type, BOOTCFG_VIF);
    ck_assert_uint_eq(d1->vdev[1].mac[5], 1);
    ck_assert_str_eq(bootcfg_action_name(d1->on_crash), "restart");
    /* Which action a SHUTDOWN_* reason picks (xen/sched.h). */
    ck_assert_int_eq(bootcfg_domain_action(d1, SHUTDOWN_poweroff), BOOTCFG_DESTROY);
    ck_assert_int_eq(bootcfg_domain_action(d1, SHUTDOWN_crash), BOOTCFG_RESTART);
    ck_assert_int_eq(bootcfg_domain_action(d1, SHUTDOWN_watchdog), BOOTCFG_RESTART);
    ck_assert_int_eq(bootcfg_domain_action(d1, SHUTDOWN_reboot), BOOTCFG_DESTROY);
    ck_assert_int_eq(bootcfg_domain_action(d0, SHUTDOWN_reboot), BOOTCFG_MACHINE_OFF);
}
END_TEST

START_TEST(magic)
{
    compile(demo);
    ck_assert(bootcfg_is_fdt(blob, blob_len));
    ck_assert(!bootcfg_is_fdt("\x7f"
                              "ELF",
                              4));
    ck_assert(!bootcfg_is_fdt(blob, 3));
}
END_TEST

START_TEST(memory_fit)
{
    ck_assert_int_eq(parse(demo, 3), 0);
    /* 64 MiB + 32 MiB = 24576 pages. */
    ck_assert_int_eq(bootcfg_check_memory(&cfg, 24576, 256, err, sizeof(err)), 0);
    ck_assert_int_eq(bootcfg_check_memory(&cfg, 24575, 256, err, sizeof(err)), -ENOMEM);
    ck_assert_msg(strstr(err, "/chosen/domU1: memory: 32768 KiB does not fit"), "%s", err);
    ck_assert_int_eq(bootcfg_check_memory(&cfg, 1000, 256, err, sizeof(err)), -ENOMEM);
    ck_assert_msg(strstr(err, "/chosen/dom0: memory"), "%s", err);
    ck_assert_int_eq(bootcfg_check_memory(&cfg, 1 << 20, 9000, err, sizeof(err)), -ENOMEM);
    ck_assert_msg(strstr(err, "/chosen/domU1: memory: 32768 KiB is below"), "%s", err);
}
END_TEST

/* Each invalid tree, with the number of modules and the message it must give. */
static const struct bad_case {
    const char *dts;
    unsigned int nr_modules;
    const char *msg;
} bad_cases[] = {
    {TREE(DRIVER GUEST("domU1", "")), 2, "/chosen/domU1/module@2: module 2 missing"},
    {TREE("dom0 { compatible = \"xen,domain\"; mica,driver-domain; memory = <1024>; };"), 2,
     "/chosen/dom0: no kernel module"},
    {TREE("d { compatible = \"xen,domain\"; mica,driver-domain; memory = <1024>;"
          " m { compatible = \"multiboot,kernel\"; reg = <0>; }; };"),
     2, "/chosen/d/m: reg: module 0 is the configuration itself"},
    {TREE("d { compatible = \"xen,domain\"; mica,driver-domain;"
          " m { compatible = \"multiboot,kernel\"; reg = <1>; }; };"),
     2, "/chosen/d: memory: missing"},
    {TREE("d { compatible = \"xen,domain\"; mica,driver-domain; memory = <1024>; cpus = <2>;"
          " m { compatible = \"multiboot,kernel\"; reg = <1>; }; };"),
     2, "/chosen/d: cpus: 2 vCPUs"},
    {TREE("d { compatible = \"xen,domain\"; mica,driver-domain; memory = <1024>;"
          " pci-devices = \"00:1f.9\"; m { compatible = \"multiboot,kernel\"; reg = <1>; }; };"),
     2, "/chosen/d: pci-devices: \"00:1f.9\" is not a PCI address"},
    {TREE("d { compatible = \"xen,domain\"; mica,driver-domain; memory = <1024>;"
          " pci-devices = \"00:1f.2\", \"00:1f.2\";"
          " m { compatible = \"multiboot,kernel\"; reg = <1>; }; };"),
     2, "/chosen/d: pci-devices: 00:1f.2 listed twice"},
    {TREE(DRIVER GUEST("domU1", " pci-devices = \"00:03.0\";")), 3,
     "/chosen/domU1: pci-devices: only a driver domain"},
    {TREE(DRIVER GUEST("domU1", " vif@0 { compatible = \"mica,vif\"; backend = \"domU2\";"
                                "   mac = [00 16 3e 00 00 01]; };") GUEST("domU2", "")),
     3, "/chosen/domU1/vif@0: backend: domU2 is not a driver domain"},
    {TREE(DRIVER GUEST("domU1", " vbd@0 { compatible = \"mica,vbd\"; backend = \"nobody\"; };")), 3,
     "/chosen/domU1/vbd@0: backend: no domain named \"nobody\""},
    {TREE(DRIVER GUEST("domU1", " vif@0 { compatible = \"mica,vif\"; backend = \"dom0\";"
                                "   mac = [01 16 3e 00 00 01]; };")),
     3, "/chosen/domU1/vif@0: mac: a multicast address"},
    {TREE(DRIVER GUEST("domU1", " on-crash = \"reboot\";")), 3,
     "/chosen/domU1: on-crash: unknown action \"reboot\""},
    {TREE(GUEST("domU1", "")), 3, "/chosen: no driver domain"},
    {TREE(DRIVER "dom1 { compatible = \"xen,domain\"; mica,driver-domain; memory = <1024>;"
                 " m { compatible = \"multiboot,kernel\"; reg = <1>; }; };"),
     2, "/chosen/dom1: a second driver domain"},
    {"/dts-v1/; / { };", 2, "the tree: no /chosen node"},
    {TREE(""), 2, "/chosen: no domains"},
};

START_TEST(invalid)
{
    const struct bad_case *c = &bad_cases[_i];
    ck_assert_int_eq(parse(c->dts, c->nr_modules), -EINVAL);
    ck_assert_msg(strstr(err, c->msg), "case %d: got \"%s\", want \"%s\"", _i, err, c->msg);
}
END_TEST

START_TEST(malformed)
{
    compile(demo);
    /* Truncated, and a broken header. */
    ck_assert_int_eq(bootcfg_parse(blob, 40, 3, &cfg, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "malformed device tree"), "%s", err);
    ck_assert_int_eq(bootcfg_parse(blob, blob_len - 8, 3, &cfg, err, sizeof(err)), -EINVAL);
    blob[7] ^= 0xff; /* totalsize */
    ck_assert_int_eq(bootcfg_parse(blob, blob_len, 3, &cfg, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "malformed device tree"), "%s", err);
}
END_TEST

START_TEST(domain_trees)
{
    static char buf[8192];
    struct bootcfg_wiring w;
    int len;

    ck_assert_int_eq(parse(demo, 3), 0);
    memset(&w, 0, sizeof(w));
    w.vdev[1][0] = (struct bootcfg_vdev_wiring){
        .ring_ref = {8}, .ring_pfn = {8190}, .control_ref = 9, .control_pfn = 8191, .port = 1};
    w.vdev[1][1] = (struct bootcfg_vdev_wiring){.ring_ref = {10, 11},
                                                .ring_pfn = {8189, 8188},
                                                .control_ref = 12,
                                                .control_offset = BOOTCFG_CONTROL_SLOT,
                                                .port = 2};

    /* The guest's: its two frontends. */
    len = bootcfg_domain_tree(&cfg, 1, &w, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(fdt_check_header(buf), 0);
    int vbd = fdt_path_offset(buf, "/devices/vbd@0");
    int vif = fdt_path_offset(buf, "/devices/vif@0");
    ck_assert_int_ge(vbd, 0);
    ck_assert_int_ge(vif, 0);
    ck_assert_int_eq(fdt_node_check_compatible(buf, vbd, "mica,vbd-frontend"), 0);
    const fdt32_t *p = fdt_getprop(buf, vbd, "ring-ref", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(*p), 8);
    p = fdt_getprop(buf, vbd, "event-channel", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(*p), 1);
    p = fdt_getprop(buf, vbd, "backend-id", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(*p), 0);
    ck_assert_ptr_nonnull(fdt_getprop(buf, vbd, "read-only", NULL));
    p = fdt_getprop(buf, vif, "rx-ring-ref", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(*p), 11);
    p = fdt_getprop(buf, vif, "control-offset", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(*p), BOOTCFG_CONTROL_SLOT);
    p = fdt_getprop(buf, vbd, "ring-pfn", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(p[1]), 8190);
    int maclen;
    const uint8_t *mac = fdt_getprop(buf, vif, "mac", &maclen);
    ck_assert_int_eq(maclen, 6);
    ck_assert_uint_eq(mac[2], 0x3e);
    ck_assert_int_lt(fdt_path_offset(buf, "/backends"), 0);

    /* The driver domain's: the backends it serves. */
    len = bootcfg_domain_tree(&cfg, 0, &w, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    int be = fdt_path_offset(buf, "/backends/vif-d1-1");
    ck_assert_int_ge(be, 0);
    p = fdt_getprop(buf, be, "frontend-id", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(*p), 1);
    p = fdt_getprop(buf, be, "control-ref", NULL);
    ck_assert_uint_eq(fdt32_to_cpu(*p), 12);
    ck_assert_ptr_nonnull(fdt_getprop(buf, 0, "mica,driver-domain", NULL));
    ck_assert_ptr_null(fdt_getprop(buf, be, "control-pfn", NULL)); /* the frontend's own */

    /* Too small a buffer. */
    ck_assert_int_eq(bootcfg_domain_tree(&cfg, 0, &w, buf, 100), -FDT_ERR_NOSPACE);
}
END_TEST

static Suite *bootcfg_suite(void)
{
    Suite *s = suite_create("bootcfg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, valid_demo);
    tcase_add_test(tc, magic);
    tcase_add_test(tc, memory_fit);
    tcase_add_loop_test(tc, invalid, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, domain_trees);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bootcfg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
