/*
 * The shell's tokenizer and line editor (shell_parse.h); portable C, tested on the host by
 * tests/unit/test_shell_parse.c.
 */
#include <string.h>

#include "shell_parse.h"

/* Where a command's words are being put, with the first error met (the scan goes on to the
   command's end either way, so the cursor lands after it). */
struct parse_out {
    struct shell_words *w;
    char *o, *end;
    bool in_word;
    const char *err;
};

static void put(struct parse_out *p, char c)
{
    if (p->o + 1 < p->end) /* keep room for the word's NUL */
        *p->o++ = c;
    else if (!p->err)
        p->err = "line too long";
}

static void word_start(struct parse_out *p)
{
    if (p->in_word)
        return;
    p->in_word = true;
    if (p->w->argc == SHELL_MAX_ARGS) {
        if (!p->err)
            p->err = "too many arguments";
        return;
    }
    p->w->argv[p->w->argc++] = p->o;
}

static void word_end(struct parse_out *p)
{
    if (!p->in_word)
        return;
    p->in_word = false;
    if (p->o < p->end)
        *p->o++ = '\0';
    else if (!p->err)
        p->err = "line too long";
}

int shell_parse_next(const char **cursor, struct shell_words *w, const char **err)
{
    const char *s = *cursor;
    struct parse_out p = {w, w->buf, w->buf + sizeof(w->buf), false, NULL};
    const char *last = NULL; /* one past the last byte that belongs to a word */

    w->argc = 0;
    w->argv[0] = NULL;
    w->src = s;
    w->src_len = 0;
    w->buf[sizeof(w->buf) - 1] = '\0';
    if (*s == '\0')
        return 0;
    for (;;) {
        char c = *s;
        if (c == '\0' || c == ';' || c == '\n') {
            word_end(&p);
            if (c != '\0')
                s++;
            break;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            word_end(&p);
            s++;
            continue;
        }
        if (c == '#' && !p.in_word) {
            while (*s != '\0' && *s != '\n')
                s++;
            continue;
        }
        if (w->argc == 0 && !p.in_word)
            w->src = s;
        word_start(&p);
        if (c == '\\') {
            if (s[1] == '\n') { /* line continuation */
                s += 2;
                continue;
            }
            if (s[1] != '\0')
                s++;
            put(&p, *s++);
        } else if (c == '\'') {
            const char *q = strchr(s + 1, '\'');
            if (!q) {
                *cursor = s + strlen(s);
                *err = "unterminated quote";
                w->argc = 0;
                w->argv[0] = NULL;
                return -1;
            }
            for (s++; s < q; s++)
                put(&p, *s);
            s++;
        } else if (c == '"') {
            for (s++; *s != '"'; s++) {
                if (*s == '\0') {
                    *cursor = s;
                    *err = "unterminated quote";
                    w->argc = 0;
                    w->argv[0] = NULL;
                    return -1;
                }
                if (*s == '\\' && s[1] == '\n') {
                    s++;
                    continue;
                }
                if (*s == '\\' && s[1] != '\0' && strchr("\"\\$`", s[1]))
                    s++;
                put(&p, *s);
            }
            s++;
        } else {
            put(&p, c);
            s++;
        }
        last = s;
    }
    *cursor = s;
    if (last)
        w->src_len = (size_t)(last - w->src);
    w->argv[w->argc] = NULL;
    if (p.err) {
        *err = p.err;
        w->argc = 0;
        w->argv[0] = NULL;
        return -1;
    }
    return 1;
}

void lineedit_reset(struct lineedit *le)
{
    le->len = 0;
    le->buf[0] = '\0';
    le->esc = 0;
}

static void erase_last(struct lineedit *le, void (*out)(void *, const char *, size_t), void *arg)
{
    if (le->len == 0)
        return;
    /* A UTF-8 character: continuation bytes (10xxxxxx) back to its lead byte. */
    while (le->len > 1 && ((unsigned char)le->buf[le->len - 1] & 0xc0) == 0x80)
        le->len--;
    le->len--;
    le->buf[le->len] = '\0';
    out(arg, "\b \b", 3);
}

enum lineedit_event lineedit_feed(struct lineedit *le, unsigned char c,
                                  void (*out)(void *arg, const char *s, size_t n), void *arg)
{
    bool after_cr = le->last_cr;

    le->last_cr = false;
    switch (le->esc) {
    case 1: /* after ESC: '[' opens a CSI sequence, 'O' an SS3 one; anything else ends it */
        le->esc = c == '[' ? 2 : c == 'O' ? 3 : 0;
        return LINEEDIT_NONE;
    case 2: /* CSI: parameter and intermediate bytes 0x20-0x3f, then a final byte 0x40-0x7e */
        if (c < 0x20 || c > 0x3f)
            le->esc = 0;
        return LINEEDIT_NONE;
    case 3: /* SS3: one more byte */
        le->esc = 0;
        return LINEEDIT_NONE;
    default:
        break;
    }
    switch (c) {
    case '\r':
    case '\n':
        if (c == '\n' && after_cr)
            return LINEEDIT_NONE;
        le->last_cr = c == '\r';
        le->buf[le->len] = '\0';
        out(arg, "\n", 1);
        return LINEEDIT_LINE;
    case 0x03: /* Ctrl-C */
        out(arg, "^C\n", 3);
        lineedit_reset(le);
        return LINEEDIT_INTR;
    case 0x08: /* backspace */
    case 0x7f: /* DEL, what most terminals send for the backspace key */
        erase_last(le, out, arg);
        return LINEEDIT_NONE;
    case 0x15: /* Ctrl-U */
        while (le->len > 0)
            erase_last(le, out, arg);
        return LINEEDIT_NONE;
    case 0x1b: /* ESC */
        le->esc = 1;
        return LINEEDIT_NONE;
    default:
        break;
    }
    if (c < 0x20)
        return LINEEDIT_NONE; /* other control bytes (tab included) */
    if (le->len + 1 >= sizeof(le->buf)) {
        out(arg, "\a", 1);
        return LINEEDIT_NONE;
    }
    le->buf[le->len++] = (char)c;
    le->buf[le->len] = '\0';
    out(arg, (const char *)&c, 1);
    return LINEEDIT_NONE;
}
