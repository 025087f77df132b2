/* server_session.c: not written yet */
typedef int mx_placeholder_server_session;
