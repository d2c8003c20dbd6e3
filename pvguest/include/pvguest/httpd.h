/*
 * httpd — the guest's HTTP/1.0 server (issue 12; docs/running.md): serves the files of an
 * ext2 filesystem over lwIP's raw TCP API (pvguest/net/httpd.c; requests are parsed by
 * pvguest/net/http_parse.c, whose header lists the syntax accepted).
 *
 * GET and HEAD (RFC 1945 sections 8.1 and 8.2). Every response carries Content-Type,
 * Content-Length, "Server: mica-pvguest" and "Connection: close", and the connection closes
 * after it (one request per connection, RFC 1945 section 1.3). Status codes: 200 for a
 * regular file (symlinks followed) or a directory listing (HTML, for paths ending in '/');
 * 301 to "path/" for a directory named without its trailing slash; 400, 414, 431, 501, 505
 * for requests the parser refuses; 403 for other file types (devices, FIFOs, sockets); 404
 * when the path does not resolve; 500 when the filesystem fails (-EIO, -EUCLEAN); 503 when
 * no memory is left for a connection. Error responses have a short text/plain body.
 *
 * Connections are served concurrently, each at the pace of its client; a connection idle
 * for HTTPD_IDLE_MS (no request bytes, no acknowledged response bytes) is aborted.
 */
#ifndef PVGUEST_HTTPD_H
#define PVGUEST_HTTPD_H

#include <stdint.h>

struct ext2_fs;

/** A connection with no progress for this long (milliseconds) is aborted. */
#define HTTPD_IDLE_MS 10000

/** Counters since httpd_start() (the shell's `counters` prints them). */
struct httpd_stats {
    unsigned long requests;      /* requests read, well-formed or not */
    unsigned long responses_2xx; /* responses by status class */
    unsigned long responses_3xx;
    unsigned long responses_4xx;
    unsigned long responses_5xx;
    unsigned long bytes_sent;  /* response bytes (headers and bodies) handed to TCP */
    unsigned long connections; /* connections accepted */
    unsigned long active;      /* connections open now */
    unsigned long timeouts;    /* connections aborted for being idle */
    unsigned long aborted;     /* connections reset by the peer or lost (tcp_err) */
};

/** The server's counters. */
extern struct httpd_stats httpd_stats;

/**
 * Serve the files of @fs (mounted, read-only; it must stay mounted) over HTTP on TCP @port of
 * every address, from a thread of its own ("httpd"). Needs net_start() first. Call once.
 * Returns 0, -XEN_EBUSY if already started, -XEN_ENOMEM or -XEN_EADDRINUSE.
 */
long httpd_start(struct ext2_fs *fs, uint16_t port);

#endif /* PVGUEST_HTTPD_H */
