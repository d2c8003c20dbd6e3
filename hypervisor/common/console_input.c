/*
 * Serial input focus (issue 9, <mica/console_input.h>): the keys Ctrl-A 0..9, the option
 * console_to=N, and VIRQ_CONSOLE to the holder when input arrives. The focus and the input
 * queue themselves are in keyhandler.c.
 */
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/console_input.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/keyhandler.h>
#include <xen/xen.h>

/* main.c: the hypervisor's command line, as the loader gave it. */
const char *hv_command_line(void);

static bool initialised;

/* VIRQ_CONSOLE to the holder's vCPU 0, if it bound it (Xen sends it to dom0 only). */
static void input_arrived(void)
{
    struct domain *d = domain_lookup(console_input_focus());

    if (d && d->vcpu[0])
        send_guest_virq(d->vcpu[0], VIRQ_CONSOLE);
}

/* Ctrl-A then a digit N: serial input to domain N, if it exists. */
static void focus_key(unsigned char key)
{
    domid_t domid = (domid_t)(key - '0');

    if (!domain_lookup(domid)) {
        printk_level(LOG_ERR, "mica: no domain d%u; serial input stays with d%u\n", domid,
                     console_input_focus());
        return;
    }
    console_input_set_focus(domid);
    printk_level(LOG_ERR, "mica: serial input to d%u\n", domid);
}

static void init_once(void)
{
    static const char *const desc[10] = {
        "serial input to d0", "serial input to d1", "serial input to d2", "serial input to d3",
        "serial input to d4", "serial input to d5", "serial input to d6", "serial input to d7",
        "serial input to d8", "serial input to d9",
    };
    uint64_t first = 0;
    const struct cmdline_option opts[] = {CMDLINE_OPT_UINT("console_to", &first)};

    initialised = true;
    for (unsigned int k = 0; k < 10; k++)
        register_keyhandler((unsigned char)('0' + k), focus_key, desc[k]);
    /* Unknown options are main.c's to report; only console_to= is read here. */
    cmdline_parse(hv_command_line(), opts, ARRAY_SIZE(opts), NULL, NULL);
    if (first >= DOMID_FIRST_RESERVED) {
        printk_warn("mica: console_to=%lu is not a domain ID; serial input to d0\n", first);
        first = 0;
    }
    console_input_set_focus((domid_t)first);
    console_input_set_hook(input_arrived);
}

void console_input_domain_built(struct domain *d)
{
    if (!initialised)
        init_once();
    if (d->domain_id == console_input_focus())
        printk("mica: serial input to d%u (Ctrl-A then a digit switches)\n", d->domain_id);
}

void console_input_domain_gone(struct domain *d)
{
    if (d->domain_id == 0 || d->domain_id != console_input_focus())
        return;
    console_input_set_focus(0);
    printk("mica: d%u is gone; serial input to d0\n", d->domain_id);
}
