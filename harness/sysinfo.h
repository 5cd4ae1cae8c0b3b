/*
 * sysinfo.h - facts about the host that a result needs to be reproduced
 * and compared: kernel, CPU, virtualisation, clocksource, governor, the
 * IPC limits in /proc, and the CPU topology used for placement.
 */
#ifndef IPCBENCH_SYSINFO_H
#define IPCBENCH_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/schema.h"

struct sysinfo_limit {
	const char *name; /* "kernel.msgmax" */
	const char *path; /* "/proc/sys/kernel/msgmax" */
	char value[64];	  /* as the file says it, "" when unreadable */
};

struct host_info {
	char hostname[256];
	char kernel[256]; /* release */
	char kernel_version[256];
	char machine[64];
	char cpu_model[256];
	int cpus_online;
	int cpus_configured;
	int numa_nodes;
	char virtualization[128]; /* "none", "kvm", "vmware", ... or "unknown" */
	char clocksource[64];
	char governor[64]; /* cpufreq governor of cpu0, "" when there is none */
	bool mqueue_mounted;
	size_t nlimits;
	struct sysinfo_limit limits[24];
};

void sysinfo_collect(struct host_info *hi);

/* CPU topology */
bool cpu_online(int cpu);
int cpu_count_online(void);
/* Lists the online CPUs into out (at most max); returns how many. */
int cpu_list_online(int *out, int max);
/* REL_SAME, REL_SMT (hyper-thread siblings), REL_CROSS (same node), REL_NUMA (other node), REL_UNPINNED (a < 0) */
enum relation cpu_relation(int a, int b);
int cpu_node(int cpu);
int cpu_core_id(int cpu);

#endif
