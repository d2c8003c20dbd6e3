/* Debug keys: the serial input filter, the key table and dom0's input queue (keyhandler.h). */
#include <arch/platform.h>
#include <arch/time.h>
#include <mica/console.h>
#include <mica/console_input.h> /* issue 9: input goes to one domain at a time */
#include <mica/errno.h>
#include <mica/keyhandler.h>
#include <mica/stats.h>
#include <mica/string.h>
#include <mica/timer.h>

#define FIRST_KEY '!'
#define LAST_KEY  '~'

static struct {
    keyhandler_fn_t fn;
    const char *desc;
} keys[LAST_KEY - FIRST_KEY + 1];

static bool prefix_seen; /* the last byte was a lone prefix */

/* dom0's input: a ring of bytes. */
static unsigned char queue[KEYHANDLER_QUEUE_SIZE];
static size_t q_head, q_len;
static uint64_t dropped;

/* Issue 9: the domain the queue is for (console_input.h), and who hears of new input. */
static domid_t focus;
static void (*input_hook)(void);

domid_t console_input_focus(void)
{
    return focus;
}

/* Domains that have held the input (IDs below 64): they may call CONSOLEIO_read since. */
static uint64_t held_mask = 1;

bool console_input_may_read(domid_t domid)
{
    return domid == focus || (domid < 64 && (held_mask >> domid) & 1);
}

void console_input_set_focus(domid_t domid)
{
    if (domid < 64)
        held_mask |= 1ULL << domid;
    if (domid == focus)
        return;
    focus = domid;
    q_head = q_len = 0; /* typed for the previous holder */
}

void console_input_set_hook(void (*fn)(void))
{
    input_hook = fn;
}

int register_keyhandler(unsigned char key, keyhandler_fn_t fn, const char *desc)
{
    if (key < FIRST_KEY || key > LAST_KEY)
        return -EINVAL;
    keys[key - FIRST_KEY].fn = fn;
    keys[key - FIRST_KEY].desc = desc;
    return 0;
}

static void run_key(unsigned char key)
{
    cpu_stats.debug_keys++;
    if (key >= FIRST_KEY && key <= LAST_KEY && keys[key - FIRST_KEY].fn) {
        printk_level(LOG_ERR, "mica: debug key '%c': %s\n", key, keys[key - FIRST_KEY].desc);
        keys[key - FIRST_KEY].fn(key);
        return;
    }
    if (key >= ' ' && key <= '~')
        printk_level(LOG_ERR, "mica: unknown debug key '%c' (Ctrl-A h for help)\n", key);
    else
        printk_level(LOG_ERR, "mica: unknown debug key %#x (Ctrl-A h for help)\n", key);
}

int keyhandler_filter(unsigned char c)
{
    if (!prefix_seen) {
        if (c != DEBUG_KEY_PREFIX)
            return c;
        prefix_seen = true;
        return -1;
    }
    prefix_seen = false;
    if (c == DEBUG_KEY_PREFIX)
        return c; /* doubled: one literal prefix byte for dom0 */
    run_key(c);
    return -1;
}

static void enqueue(unsigned char c)
{
    if (q_len == sizeof(queue)) {
        dropped++;
        return;
    }
    queue[(q_head + q_len) % sizeof(queue)] = c;
    q_len++;
}

void keyhandler_poll(void)
{
    int c;
    size_t before = q_len;

    while ((c = serial_getc()) >= 0) {
        int out = keyhandler_filter((unsigned char)c);
        if (out >= 0)
            enqueue((unsigned char)out);
    }
    if (q_len > before && input_hook) /* issue 9: VIRQ_CONSOLE to the holder */
        input_hook();
}

int console_input_getc(void)
{
    int c;

    if (q_len) {
        c = queue[q_head];
        q_head = (q_head + 1) % sizeof(queue);
        q_len--;
        return c;
    }
    while ((c = serial_getc()) >= 0) {
        int out = keyhandler_filter((unsigned char)c);
        if (out >= 0)
            return out;
    }
    return -1;
}

uint64_t keyhandler_dropped(void)
{
    return dropped;
}

void keyhandler_print_help(void)
{
    printk_level(LOG_ERR, "mica: debug keys (Ctrl-A then the key; Ctrl-A Ctrl-A sends Ctrl-A to "
                          "dom0):\n");
    for (unsigned int k = FIRST_KEY; k <= LAST_KEY; k++) {
        if (keys[k - FIRST_KEY].fn)
            printk_level(LOG_ERR, "  %c  %s\n", k, keys[k - FIRST_KEY].desc);
    }
}

void keyhandler_reset(void)
{
    memset(keys, 0, sizeof(keys));
    prefix_seen = false;
    q_head = q_len = 0;
    dropped = 0;
    focus = 0;
    held_mask = 1;
    input_hook = NULL;
}

static void help_key(unsigned char key)
{
    keyhandler_print_help();
}

static struct timer poll_timer;

static void poll_serial(void *data)
{
    keyhandler_poll();
    timer_set(&poll_timer, now_ns() + KEYHANDLER_POLL_NS);
}

void keyhandler_init(void)
{
    register_keyhandler('h', help_key, "this help");
    debug_keys_register();
    timer_init(&poll_timer, poll_serial, NULL);
    timer_set(&poll_timer, now_ns() + KEYHANDLER_POLL_NS);
}
