// SPDX-License-Identifier: MIT
/*
 * The admin PIN (CONTROL.md "The admin PIN", DAEMON.md "State files"):
 * keyxchgd owns the room's settings, so it checks the PIN that guards them.
 * It holds only the PIN's verifier (<state>/admin-pin, kx/adminpin.h) and
 * counts wrong PINs in <state>/admin-pin-tries. Checks are rate-limited per
 * peer uid before anything else is spent on them (an Argon2id in the event
 * loop, a write): one a second, 3 at once. The file is written only when
 * the count changes; for a peer that has not given the right PIN since this
 * start it is written before the PIN is checked (the count plus one), so
 * that no way of stopping keyxchgd mid-check forgets a guess; a peer that
 * gave the right PIN (it knows it: nothing to guess) is counted after a
 * wrong one, and a right one with the count at 0 writes nothing. The
 * lockout's clock is the monotonic one; a restart (or a reboot) starts the
 * lockout the count calls for again at its full length: no clock is trusted
 * across a reboot (the board may have no battery-backed RTC), and a restart
 * never shortens a lockout. Without a verifier every settings command is
 * refused: settings are locked, fail closed. The PIN itself is never
 * logged, kept or copied: the command's copy is wiped by kx_ctl.
 */
#define _GNU_SOURCE
#include "kx/adminpin.h"

#include "keyxchgd.h"

static const char no_pin[] = "no admin PIN is set: settings are locked";

/* The rate limit of PIN checks, per peer uid: one every KXD_PIN_CHECK_MS,
 * KXD_PIN_CHECK_BURST at once (DAEMON.md "The admin PIN": the bound). */
#define KXD_PIN_CHECK_MS    1000
#define KXD_PIN_CHECK_BURST 3

/* The count on disk first (fail closed: not written, not checked). */
static int save_failures(struct app *a, unsigned int failures)
{
	char text[KX_PIN_TRIES_FILE_MAX];
	int n = snprintf(text, sizeof(text), "%u\n", failures), ret;

	ret = failures ? kx_setting_write(a->state_dir, KX_ADMIN_PIN_TRIES_FILE, text, (size_t)n)
		       : kx_setting_remove(a->state_dir, KX_ADMIN_PIN_TRIES_FILE);
	if (ret < 0)
		kxd_logmsg("cannot %s %s/%s: %s", failures ? "write" : "remove", a->state_dir,
			   KX_ADMIN_PIN_TRIES_FILE, strerror(-ret));
	return ret < 0 ? ret : 0;
}

static void lock_from_now(struct app *a)
{
	long long d = kx_admin_pin_lockout_ms(a->pin_failures);

	a->pin_locked_until = d ? kxd_now_ms() + d : 0;
}

void kxd_pin_load(struct app *a)
{
	char buf[KX_PIN_VERIFIER_FILE_MAX + 1], tries[KX_PIN_TRIES_FILE_MAX + 1];
	const char *why = NULL;
	size_t len;
	int ret;

	a->have_pin = false;
	ret = kx_setting_read(a->state_dir, KX_ADMIN_PIN_FILE, buf, sizeof(buf), &len);
	if (ret == -ENOENT)
		kxd_logmsg("no admin PIN is set (%s/%s): settings are locked", a->state_dir,
			   KX_ADMIN_PIN_FILE);
	else if (ret)
		kxd_logmsg("REFUSED %s/%s: %s; settings are locked", a->state_dir,
			   KX_ADMIN_PIN_FILE, strerror(-ret));
	else if (kx_admin_pin_verifier_parse(buf, len, a->pin_verifier, &why))
		kxd_logmsg("REFUSED %s/%s: %s; settings are locked", a->state_dir,
			   KX_ADMIN_PIN_FILE, why);
	else
		a->have_pin = true;
	/* A tries file that cannot be read or parsed: the longest lockout. */
	ret = kx_setting_read(a->state_dir, KX_ADMIN_PIN_TRIES_FILE, tries, sizeof(tries), &len);
	if (ret == -ENOENT) {
		a->pin_failures = 0;
	} else if (ret || kx_admin_pin_tries_parse(tries, len, &a->pin_failures)) {
		kxd_logmsg("REFUSED %s/%s: %s; the admin PIN is locked for the longest time",
			   a->state_dir, KX_ADMIN_PIN_TRIES_FILE,
			   ret ? strerror(-ret) : "not a count of wrong PINs");
		a->pin_failures = KX_PIN_FREE_TRIES + 8;
	}
	lock_from_now(a);
	/* The peers that may send a PIN: keyxchgd's own uid and the allowed
	 * ones (the media daemon's is refused every PIN command by kx_ctl). */
	a->n_pin_peers = 0;
	a->pin_peers[a->n_pin_peers++] = (struct pin_peer){ .uid = geteuid() };
	for (size_t i = 0; i < a->n_allowed; i++)
		a->pin_peers[a->n_pin_peers++] = (struct pin_peer){ .uid = a->allowed[i] };
	if (a->have_pin)
		kxd_logmsg("admin PIN verifier %s/%s; %u wrong PIN%s since the last right one%s",
			   a->state_dir, KX_ADMIN_PIN_FILE, a->pin_failures,
			   a->pin_failures == 1 ? "" : "s",
			   a->pin_locked_until ? ": locked again from this start" : "");
	sodium_memzero(buf, sizeof(buf));
}

/* A refusal with one count: {"locked_ms": N}, {"tries_left": N} or {"retry_ms": N}. */
static void refuse(struct app *a, int client, const struct kx_ctl_cmd *cmd, int status,
		   const char *why, const char *key, long long value)
{
	json_t *o = json_object();
	char *text;

	if (o && key)
		json_object_set_new(o, key, json_integer(value));
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	kx_ctl_reply(a->ctl, client, cmd, status, why, text);
	kx_ctl_json_free(text);
	json_decref(o);
}

/* The peer's entry (by its uid), or NULL: not one that may send a PIN. */
static struct pin_peer *pin_peer(struct app *a, int client)
{
	uid_t uid;

	if (kx_ctl_client_uid(a->ctl, client, &uid))
		return NULL;
	for (size_t i = 0; i < a->n_pin_peers; i++)
		if (a->pin_peers[i].uid == uid)
			return &a->pin_peers[i];
	return NULL;
}

/*
 * The rate limit (GCRA): a check is due every KXD_PIN_CHECK_MS, and may come
 * up to KXD_PIN_CHECK_BURST - 1 periods early. True: go ahead (counted);
 * false: refused at once, replied with when to retry, counted as refused
 * (not as a try: nothing was checked).
 */
static bool rate_ok(struct app *a, int client, const struct kx_ctl_cmd *cmd, struct pin_peer *p,
		    long long now)
{
	long long due = p->due > now ? p->due : now;
	long long wait = due - now - (KXD_PIN_CHECK_BURST - 1) * KXD_PIN_CHECK_MS;
	char why[128];

	if (wait <= 0) {
		p->due = due + KXD_PIN_CHECK_MS;
		return true;
	}
	/* Said at the first, then at most once a minute: a flood floods no log. */
	if (!a->pin_checks_refused++ || now - a->pin_refused_said >= 60000) {
		a->pin_refused_said = now;
		kxd_logmsg("admin PIN checks refused by the rate limit (one a second per peer, %d at "
			   "once): %lu so far, the last from uid %u",
			   KXD_PIN_CHECK_BURST, a->pin_checks_refused, (unsigned)p->uid);
	}
	snprintf(why, sizeof(why), "too many PIN checks: try again in %lld ms", wait);
	refuse(a, client, cmd, -EAGAIN, why, "retry_ms", wait);
	return false;
}

bool kxd_pin_check(struct app *a, int client, const struct kx_ctl_cmd *cmd, const char *what)
{
	long long now = kxd_now_ms(), t0, d;
	struct pin_peer *p;
	bool ahead;
	char why[128];
	int ret;

	if (!a->have_pin) {
		kx_ctl_reply(a->ctl, client, cmd, -EACCES, no_pin, NULL);
		return false;
	}
	/* During a lockout no PIN is checked, the right one neither. */
	if (a->pin_locked_until && now < a->pin_locked_until) {
		d = a->pin_locked_until - now;
		snprintf(why, sizeof(why), "too many wrong PINs: try again in %lld ms", d);
		refuse(a, client, cmd, -EAGAIN, why, "locked_ms", d);
		return false;
	}
	p = pin_peer(a, client);
	if (!p) { /* kx_ctl lets no other peer this far: fail closed all the same */
		kx_ctl_reply(a->ctl, client, cmd, -EPERM, "this peer may not send the admin PIN",
			     NULL);
		return false;
	}
	/* Before the Argon2id and before any write (CONTROL.md "The admin PIN"). */
	if (!rate_ok(a, client, cmd, p, now))
		return false;
	/* A peer not known to hold the PIN: its try on disk before it is checked. */
	ahead = !p->proven;
	if (ahead && save_failures(a, a->pin_failures + 1)) {
		kx_ctl_reply(a->ctl, client, cmd, -EIO,
			     "the try cannot be counted (keyxchgd's state directory): the PIN is not "
			     "checked",
			     NULL);
		return false;
	}
	t0 = kxd_now_ms();
	ret = kx_admin_pin_verify(a->pin_verifier, cmd->pin, strlen(cmd->pin));
	d = kxd_now_ms() - t0;
	a->pin_checks++;
	if (ret == -ENOMEM) { /* counted (when written ahead), not judged: say so */
		kxd_logmsg("admin PIN for %s: cannot be checked (no memory for Argon2id)", what);
		kx_ctl_reply(a->ctl, client, cmd, -ENOMEM, "the PIN cannot be checked now", NULL);
		return false;
	}
	if (!ret) {
		/* Written only when the count changes: said if not (the count on
		 * disk only locks more). */
		if (ahead || a->pin_failures)
			save_failures(a, 0);
		a->pin_failures = 0;
		a->pin_locked_until = 0;
		p->proven = true;
		kxd_logmsg("admin PIN right for %s (checked in %lld ms)", what, d);
		return true;
	}
	p->proven = false;
	if (a->pin_failures < KX_PIN_FAILURES_MAX)
		a->pin_failures++;
	/* Not written ahead: on disk before the reply says wrong. Failing, the
	 * count holds in memory (this peer gave the right PIN before). */
	if (!ahead && save_failures(a, a->pin_failures))
		kxd_logmsg("admin PIN: the wrong PIN from uid %u is counted in memory only "
			   "(%u): a restart forgets it",
			   (unsigned)p->uid, a->pin_failures);
	lock_from_now(a);
	kxd_logmsg("admin PIN wrong for %s: %u wrong since the last right one%s (checked in %lld "
		   "ms)",
		   what, a->pin_failures, a->pin_locked_until ? ", locked" : "", d);
	if (a->pin_locked_until) {
		d = kx_admin_pin_lockout_ms(a->pin_failures);
		snprintf(why, sizeof(why), "wrong PIN: locked for %lld ms", d);
		refuse(a, client, cmd, -EACCES, why, "locked_ms", d);
	} else {
		unsigned int left = KX_PIN_FREE_TRIES - a->pin_failures;

		snprintf(why, sizeof(why), "wrong PIN: %u more before a lockout", left);
		refuse(a, client, cmd, -EACCES, why, "tries_left", left);
	}
	return false;
}

void kxd_on_check_pin(struct app *a, int client, const struct kx_ctl_cmd *cmd)
{
	if (kxd_pin_check(a, client, cmd, "check-pin"))
		kx_ctl_reply(a->ctl, client, cmd, 0, NULL, NULL);
}

/*
 * set-admin-pin: the current PIN checked and counted like any setting's,
 * the write rate-limited like theirs (kxd_settings_rate_ok), then the new
 * PIN's verifier replaces <state>/admin-pin atomically. The new PIN itself
 * is wiped with the command (kx_ctl).
 */
void kxd_set_admin_pin(struct app *a, int client, const struct kx_ctl_cmd *cmd)
{
	char verifier[KX_PIN_VERIFIER_MAX + 1];
	int ret;

	if (!kxd_pin_check(a, client, cmd, "set-admin-pin") ||
	    !kxd_settings_rate_ok(a, client, cmd))
		return;
	ret = kx_admin_pin_hash(cmd->new_pin, strlen(cmd->new_pin), verifier);
	if (!ret) {
		char line[KX_PIN_VERIFIER_MAX + 2];
		int n = snprintf(line, sizeof(line), "%s\n", verifier);

		ret = kx_setting_write(a->state_dir, KX_ADMIN_PIN_FILE, line, (size_t)n);
		if (ret < 0)
			kxd_logmsg("cannot write %s/%s: %s; the admin PIN stays as it was",
				   a->state_dir, KX_ADMIN_PIN_FILE, strerror(-ret));
	}
	if (ret < 0) {
		kx_ctl_reply(a->ctl, client, cmd, ret, "cannot save the new admin PIN", NULL);
		goto out;
	}
	/* Written (KX_NOT_SYNCED: the file holds it, said): it stands. No
	 * peer has given the new PIN yet: their checks are written ahead again. */
	memcpy(a->pin_verifier, verifier, sizeof(verifier));
	for (size_t i = 0; i < a->n_pin_peers; i++)
		a->pin_peers[i].proven = false;
	kxd_logmsg("admin PIN changed (a new verifier in %s/%s)", a->state_dir, KX_ADMIN_PIN_FILE);
	kx_ctl_reply(a->ctl, client, cmd, 0, NULL, NULL);
out:
	sodium_memzero(verifier, sizeof(verifier));
}

int kxd_hash_admin_pin(void)
{
	char line[64], verifier[KX_PIN_VERIFIER_MAX + 1];
	size_t len;
	int ret = 2;

	if (sodium_init() < 0)
		return 1;
	setvbuf(stdin, NULL, _IONBF, 0); /* no stdio copy of the PIN */
	if (!fgets(line, sizeof(line), stdin)) {
		fputs("keyxchgd --hash-admin-pin: no PIN on stdin\n", stderr);
		goto out;
	}
	len = strcspn(line, "\n");
	if (!kx_admin_pin_valid(line, len)) {
		fprintf(stderr, "keyxchgd --hash-admin-pin: REFUSED: a PIN is %u to %u digits\n",
			KX_PIN_DIGITS_MIN, KX_PIN_DIGITS_MAX);
		goto out;
	}
	if (kx_admin_pin_hash(line, len, verifier)) {
		fputs("keyxchgd --hash-admin-pin: Argon2id failed (memory)\n", stderr);
		ret = 1;
		goto out;
	}
	printf("%s\n", verifier);
	ret = fflush(stdout) ? 1 : 0;
out:
	sodium_memzero(line, sizeof(line));
	return ret;
}
