/* SPDX-License-Identifier: MIT */
/*
 * What a room service leaves when it crashes (roomd, sealroom-screen,
 * keyxchgd): no core file (they hold keys, the screen decoded video), so
 * their log is all there is. crash_report_install() makes the process
 * undumpable (PR_SET_DUMPABLE 0: no core, and no ptrace or /proc/PID/mem by
 * its own user; RLIMIT_CORE 0) and a fatal signal
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) print, on stderr (the service's
 * log, through sealroom-log):
 *
 *   PROG: crashed: SIGSEGV in thread "NAME"; its stack:
 *   /usr/sbin/PROG(+0x1234)[0x...]
 *   ...
 *
 * then end the process by the signal's default action. The thread's name is
 * the kernel's (prctl PR_GET_NAME: GStreamer's streaming threads are named
 * after their pads' elements, the services' own after their job); the frames
 * are glibc's backtrace() with what the dynamic symbol table names.
 *
 * Not under AddressSanitizer (its report is better): there only the
 * undumpable part is done. Call it once, early in main, before any thread starts.
 */
#ifndef SEALROOM_CRASH_REPORT_H
#define SEALROOM_CRASH_REPORT_H

/* prog: the name the line starts with (at most 31 bytes are kept). 0, or -1
 * with a line on stderr when the process could not be made undumpable (the
 * caller should not go on). */
int crash_report_install(const char *prog);

#endif
