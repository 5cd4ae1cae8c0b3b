/*
 * schema.h - the names the result file is made of, shared by the one JSON
 * writer (harness/resultjson.c) and the one reader
 * (harness/analysis/resultfile.c): the schema's name and version, the fixed
 * percentile set and the placement relations.  results/README.md documents
 * every field; the names are a contract with scripts and CI jobs.
 */
#ifndef IPCBENCH_SCHEMA_H
#define IPCBENCH_SCHEMA_H

#include <stddef.h>

#define SCHEMA_NAME "ipcbench-result"
#define SCHEMA_VERSION 1

/* The fixed percentile set: keys are constants, never formatted from floats. */
#define SCHEMA_NPCT 6
struct schema_pct {
	double p;
	const char *key; /* "p99.9" */
};
extern const struct schema_pct schema_pcts[SCHEMA_NPCT];

/* Index of the percentile key ("p99.9") in schema_pcts, or -1. */
int schema_pct_index(const char *key);

/*
 * Where the two processes of a cell run, relative to each other.  The
 * order is the order of the tables and charts: nearest first.
 */
enum relation {
	REL_SAME,     /* one CPU */
	REL_SMT,      /* hyper-thread siblings of one core */
	REL_CROSS,    /* two cores of one NUMA node */
	REL_NUMA,     /* two NUMA nodes */
	REL_UNPINNED, /* not pinned: the scheduler chooses */
	REL_REMOTE,   /* the server is another host (run --connect): its CPU is not this host's */
	REL__COUNT
};

/* "same", "smt", "cross", "numa", "unpinned", "remote" */
const char *relation_name(enum relation r);
/* Words for a chart legend: "same CPU", "SMT siblings", "cross-CPU", ... */
const char *relation_title(enum relation r);
/* 0 and *r set, or -1 for a name that is not a relation. */
int relation_parse(const char *s, enum relation *r);

#endif
