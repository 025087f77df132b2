/* smtp_wire.c: not written yet */
typedef int mx_placeholder_smtp_wire;
