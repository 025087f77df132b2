/*
 * mta_exim_conf.h: a scenario's [exim.conf] overlay merged over the Exim
 * driver's base configuration text (Exim 4.96 spec, chapter 6).
 *
 * Both texts are read as Exim reads them: main options first
 * ("name = value", a bare boolean "name", "no_name" or "not_name", a macro
 * "NAME = value"; "hide" before a name is allowed), then sections each
 * started by "begin SECTION". In routers, transports and authenticators a
 * driver instance starts with "NAME:" at column 0 (an option may follow on
 * the same line) and owns the options after it. In acl each ACL starts
 * with "NAME:" and its verbs are free text. Comment lines (first
 * non-blank '#'), blank lines and '.' directives (".ifdef", ".include")
 * are kept where they are, as opaque lines. A line ending in '\' goes on
 * to the next one; continuation lines stay with their option and are
 * replaced with it.
 *
 * Merge rules:
 * - An option's name is its word; the name of a bare boolean "no_x",
 *   "not_x" or "x" is "x". An overlay main option replaces the base's one
 *   of the same name in place (Exim refuses an option set twice: "option
 *   set for the second time"); otherwise it is appended to the main part,
 *   after its last option or directive (trailing comments stay last).
 *   Options in a driver instance merge the same way.
 * - routers, transports, authenticators: an overlay instance named like a
 *   base instance has its options merged into it; a new instance is added,
 *   for routers BEFORE the base's routers (router order is precedence: the
 *   scenario's own router must see the message first), for transports
 *   and authenticators after the base's instances.
 * - acl: an overlay ACL named like a base ACL replaces it wholesale; a new
 *   one is appended.
 * - retry, rewrite and any other section: the overlay's section replaces
 *   the base's entirely.
 * - A section only in the overlay is added. Output order: main options,
 *   the base's sections in base order, then new ones in overlay order.
 * - The overlay's comments and directives go with its appended lines, in
 *   overlay order; a directive around an option that replaces one in
 *   place does not follow it (don't wrap such options in .ifdef).
 *
 * mta_exim_conf_merge() returns the merged text (malloc'ed; every line ends
 * in "\n"), or NULL with a message in err. overlay may be NULL or empty:
 * the result is then base, each line ending in "\n". owned is a
 * NULL-terminated list of main option names the driver sets itself (or
 * NULL). Errors, "LINE: " first, LINE the scenario file's line
 * (overlay_first_line for the overlay's first line):
 * - "LINE: NAME is set by mxlab's exim driver; remove it"
 * - "LINE: option outside any driver instance in SECTION"
 * - "LINE: not an option" (main part, driver instance)
 * - "LINE: begin with no section name"
 * - "LINE: section SECTION begun twice"
 * The same in the base text start with "base line LINE: ". A text over
 * 1 MiB or 10000 lines is refused; so is running out of memory.
 */
#ifndef MX_MTA_EXIM_CONF_H
#define MX_MTA_EXIM_CONF_H

#include <stddef.h>

#define MTA_EXIM_CONF_MAX_BYTES	(1024 * 1024)
#define MTA_EXIM_CONF_MAX_LINES	10000

/* Merged text (malloc'd, every line ends in "\n"), or NULL with err. */
char *mta_exim_conf_merge(const char *base, const char *overlay, int overlay_first_line,
			  const char *const *owned, char *err, size_t errlen);

#endif
