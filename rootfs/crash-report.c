// SPDX-License-Identifier: MIT
/*
 * A service's crash said in its log (crash-report.h): the handler of the
 * fatal signals, on a stack of its own.
 *
 * The handler is async-signal-safe but for backtrace() (libgcc's unwinder,
 * loaded by the install so that it does not allocate here) and
 * backtrace_symbols_fd(), which take the loader's locks: a crash inside the
 * loader could hang them, so an alarm ends the process after 5 s whatever
 * happens.
 */
#include <execinfo.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "crash-report.h"

/* Not under AddressSanitizer, whose report is better (crash-report.h). */
#if !defined(__SANITIZE_ADDRESS__)
static char crash_prog[32];
static size_t crash_prog_len;

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	default:
		return "SIGABRT";
	}
}

static void add(char *line, size_t cap, size_t *n, const char *s, size_t len)
{
	if (*n + len < cap) {
		memcpy(line + *n, s, len);
		*n += len;
	}
}

static void crash_handler(int sig)
{
	const char *parts[] = { ": crashed: ", signal_name(sig), " in thread \"", NULL,
				"\"; its stack:\n" };
	char line[128], thread[17] = "?";
	void *frames[48];
	size_t n = 0;
	int depth;

	signal(SIGALRM, SIG_DFL);
	alarm(5);
	prctl(PR_GET_NAME, thread, 0, 0, 0);
	thread[16] = '\0';
	parts[3] = thread;
	add(line, sizeof(line), &n, crash_prog, crash_prog_len);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		add(line, sizeof(line), &n, parts[i], strlen(parts[i]));
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nothing else to say it with. */
	}
	depth = backtrace(frames, (int)(sizeof(frames) / sizeof(frames[0])));
	backtrace_symbols_fd(frames, depth, STDERR_FILENO);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The handler, on a stack of its own; libgcc's unwinder loaded now, not in
 * the handler (it would allocate). */
static void install_handler(const char *prog)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	static char alt[64 * 1024];
	stack_t st = { .ss_sp = alt, .ss_size = sizeof(alt) };
	struct sigaction sa = { .sa_handler = crash_handler, .sa_flags = SA_ONSTACK };
	void *one[1];

	crash_prog_len = strnlen(prog, sizeof(crash_prog) - 1);
	memcpy(crash_prog, prog, crash_prog_len);
	backtrace(one, 1);
	/* A stack overflow leaves no stack for the handler: its own (the
	 * calling thread's; a thread started later has none, and an overflow
	 * there ends the process without the report). */
	sigaltstack(&st, NULL);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

#endif

int crash_report_install(const char *prog)
{
	const struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || setrlimit(RLIMIT_CORE, &none)) {
		fprintf(stderr, "%s: cannot make the process undumpable: %m\n", prog);
		return -1;
	}
#if !defined(__SANITIZE_ADDRESS__)
	install_handler(prog);
#endif
	return 0;
}
