/* tls_glue.c: not written yet */
typedef int mx_placeholder_tls_glue;
