/* certs_manifest.c: not written yet */
typedef int mx_placeholder_certs_manifest;
