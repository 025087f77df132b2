/* expect.c: not written yet */
typedef int mx_placeholder_expect;
