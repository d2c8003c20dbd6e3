/*
 * The shell's portable parts (pvguest/shell/shell_parse.c): the tokenizer and the line editor.
 * No guest-only calls, so tests/unit/test_shell_parse.c runs them on the host.
 *
 * Quoting follows the POSIX shell's rules in a subset (XCU 2.2 "Quoting", 2.3 "Token
 * Recognition"): blanks separate words; '...' keeps everything literally; "..." keeps
 * everything but a backslash before '"', '\\', '$' or '`'; an unquoted backslash keeps the
 * next character literally (a backslash-newline is removed); an unquoted ';' or newline ends
 * a command; an unquoted '#' at the start of a word starts a comment up to the newline. No
 * expansions, redirections or pipes.
 */
#ifndef PVGUEST_SHELL_PARSE_H
#define PVGUEST_SHELL_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define SHELL_MAX_ARGS 256  /* words per command (sha256sum over a whole tree) */
#define SHELL_MAX_LINE 8192 /* bytes per command (its words, NUL-terminated) */

/** One command's words, as shell_parse_next() splits it. */
struct shell_words {
    int argc;
    char *argv[SHELL_MAX_ARGS + 1]; /* argv[argc] == NULL */
    char buf[SHELL_MAX_LINE];       /* the words, each NUL-terminated */
    const char *src;                /* the command's text in the input, blanks trimmed */
    size_t src_len;
};

/**
 * Split the next command off *@cursor (advanced past it and past its ';' or newline).
 * Returns 1 with @w filled (w->argc == 0 for an empty command such as "; ;" or a comment),
 * 0 at the end of the input, or -1 with *@err set to the message ("unterminated quote",
 * "too many arguments", "line too long"); after an error the cursor is past the command
 * (for an unterminated quote: at the end of the input).
 */
int shell_parse_next(const char **cursor, struct shell_words *w, const char **err);

/** What lineedit_feed() reports. */
enum lineedit_event {
    LINEEDIT_NONE, /* byte consumed, line not finished */
    LINEEDIT_LINE, /* Enter: the line is in le->buf (NUL-terminated) */
    LINEEDIT_INTR, /* Ctrl-C: the line was dropped */
};

/** A line editor for a serial terminal; zero it (or lineedit_reset()) before use. */
struct lineedit {
    char buf[SHELL_MAX_LINE];
    size_t len;
    int esc;      /* escape-sequence state: 0 none, 1 after ESC, 2 in CSI, 3 after ESC O */
    bool last_cr; /* the previous byte was CR (an LF right after it is the same Enter) */
};

/** Start a new, empty line (the CR/LF memory is kept). */
void lineedit_reset(struct lineedit *le);

/**
 * Feed one byte typed at the terminal, writing the echo through @out(@arg, text, length):
 * printable bytes (and bytes >= 0x80, UTF-8) are inserted and echoed; backspace (0x08) and
 * DEL (0x7f) erase the last character (a whole UTF-8 sequence) with "\b \b"; Ctrl-U erases
 * the line; Ctrl-C echoes "^C" and a newline and drops the line; CR or LF ends the line (an
 * LF right after a CR is ignored, so CRLF is one Enter) and echoes a newline; ANSI escape
 * sequences (ESC [ ... final byte, ESC O x: arrow and function keys) and other control bytes
 * are ignored. A byte that would overflow the line is dropped (BEL echoed).
 */
enum lineedit_event lineedit_feed(struct lineedit *le, unsigned char c,
                                  void (*out)(void *arg, const char *s, size_t n), void *arg);

#endif /* PVGUEST_SHELL_PARSE_H */
