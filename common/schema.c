/*
 * schema.c - the tables behind schema.h.
 */
#include <string.h>

#include "common/schema.h"

const struct schema_pct schema_pcts[SCHEMA_NPCT] = {
	{50.0, "p50"}, {90.0, "p90"}, {99.0, "p99"}, {99.9, "p99.9"}, {99.99, "p99.99"}, {99.999, "p99.999"},
};

int schema_pct_index(const char *key)
{
	for (int i = 0; i < SCHEMA_NPCT; i++)
		if (!strcmp(key, schema_pcts[i].key))
			return i;
	return -1;
}

static const struct {
	const char *name, *title;
} relations[REL__COUNT] = {
	[REL_SAME] = {"same", "same CPU"},	   [REL_SMT] = {"smt", "SMT siblings"},
	[REL_CROSS] = {"cross", "cross-CPU"},	   [REL_NUMA] = {"numa", "cross-NUMA"},
	[REL_UNPINNED] = {"unpinned", "unpinned"}, [REL_REMOTE] = {"remote", "another host"},
};

const char *relation_name(enum relation r)
{
	return (unsigned)r < REL__COUNT ? relations[r].name : "?";
}

const char *relation_title(enum relation r)
{
	return (unsigned)r < REL__COUNT ? relations[r].title : "?";
}

int relation_parse(const char *s, enum relation *r)
{
	for (int i = 0; i < REL__COUNT; i++)
		if (!strcmp(s, relations[i].name)) {
			*r = (enum relation)i;
			return 0;
		}
	return -1;
}
