/* scenario.c: not written yet */
typedef int mx_placeholder_scenario;
