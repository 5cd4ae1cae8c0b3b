/*
 * cmd.h - the subcommands.  Each cmd_<verb>.c has one entry point; only
 * bench/ parses argv, prints usage and decides exit codes:
 * 0 ok, 1 a measurement failed or a regression was found, 2 bad usage or input.
 */
#ifndef IPCBENCH_CMD_H
#define IPCBENCH_CMD_H

#include <stdio.h>

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_hist(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_peer(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* main.c: "ipcbench: <msg>" on stderr, one line. */
void die_usage(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern const char *progname;
/*
 * What getopt_long just refused (it returned c, '?' or ':'), as the user
 * wrote it: "unknown option '-d' in '-dash.json'", "unknown option
 * '--bogus'", "option '-n' needs a value".  The text is in buf.
 */
const char *cmd_bad_option(int c, int argc, char **argv, char *buf, size_t len);

#endif
