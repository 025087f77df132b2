/* certs_x509.c: not written yet */
typedef int mx_placeholder_certs_x509;
