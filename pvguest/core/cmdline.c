/*
 * The guest command line from start_info->cmd_line (xen.h).
 */
#include <string.h>

#include <pvguest/cmdline.h>
#include <pvguest/xen.h>

/* A NUL-terminated copy: start_info's field need not be terminated when full. */
static char cmdline_buf[MAX_GUEST_CMDLINE + 1];

void cmdline_init(const char *cmd_line, size_t max_len)
{
    size_t len = strnlen(cmd_line, max_len);

    if (len > MAX_GUEST_CMDLINE)
        len = MAX_GUEST_CMDLINE;
    memcpy(cmdline_buf, cmd_line, len);
    cmdline_buf[len] = '\0';
}

const char *cmdline(void)
{
    return cmdline_buf;
}

int cmdline_get(const char *key, char *value, size_t size)
{
    size_t key_len = strlen(key);
    const char *found = NULL;
    size_t found_len = 0;

    for (const char *p = cmdline_buf; *p != '\0';) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p != '\0' && *p != ' ')
            p++;
        size_t word_len = (size_t)(p - word);

        if (word_len < key_len || strncmp(word, key, key_len) != 0)
            continue;
        if (word_len == key_len) {
            found = word + key_len;
            found_len = 0;
        } else if (word[key_len] == '=') {
            found = word + key_len + 1;
            found_len = word_len - key_len - 1;
        }
    }
    if (found == NULL)
        return -1;
    if (size > 0) {
        size_t n = found_len < size - 1 ? found_len : size - 1;
        memcpy(value, found, n);
        value[n] = '\0';
    }
    return (int)found_len;
}
