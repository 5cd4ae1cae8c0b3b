/*
 * fuzz_ledger.c - libFuzzer target: the ledger reader
 * (transports/ledger.h).  Whatever the bytes, every entry it returns must
 * be well formed (a safe POSIX name, a SysV key that is not IPC_PRIVATE,
 * a process's pid, start time and comm) and format back into a line that
 * parses to the same entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transports/ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const struct ledger_entry *e)
{
	struct ledger_entry back;
	char line[LEDGER_NAME_MAX + 64];
	int n;

	if ((unsigned)e->kind >= LEDGER__COUNT)
		abort();
	if (e->kind == LEDGER_PROCESS) {
		if (e->id <= 0 || e->ctime < 0 || !e->name[0] || strchr(e->name, '/'))
			abort();
	} else if (ledger_kind_is_sysv(e->kind) ? e->key == 0 : (e->name[0] != '/' || strchr(e->name + 1, '/'))) {
		abort();
	}
	n = ledger_format(e, line, sizeof(line));
	if (n <= 0 || line[n - 1] != '\n')
		abort();
	line[n - 1] = 0;
	if (ledger_parse_line(line, &back) || back.kind != e->kind || back.state != e->state)
		abort();
	if (ledger_kind_is_sysv(e->kind) && (back.key != e->key || back.id != e->id || back.ctime != e->ctime))
		abort();
	if (e->kind == LEDGER_PROCESS && (back.id != e->id || back.ctime != e->ctime))
		abort();
	if (!ledger_kind_is_sysv(e->kind) && strcmp(back.name, e->name))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger *l = malloc(sizeof(*l));

	if (!l)
		return 0;
	ledger_parse((const char *)data, size, l);
	if (l->n > LEDGER_MAX_ENTRIES)
		abort();
	for (size_t i = 0; i < l->n; i++)
		check_entry(&l->e[i]);
	free(l);
	return 0;
}
