/* server_config.c: not written yet */
typedef int mx_placeholder_server_config;
