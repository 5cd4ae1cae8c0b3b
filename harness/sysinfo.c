/*
 * sysinfo.c - reads host facts from /proc and /sys (see sysinfo.h).
 */
#include "harness/sysinfo.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static void read_line(const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(path, "re");

	out[0] = 0;
	if (!f)
		return;
	if (!fgets(out, (int)outlen, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	for (char *p = out; *p; p++)
		if (*p == '\t')
			*p = ' ';
}

static void cpuinfo_field(const char *key, char *out, size_t outlen)
{
	char line[4096];
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/cpuinfo", "re");

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon;

		if (strncmp(line, key, klen) || !(colon = strchr(line, ':')))
			continue;
		colon += 1 + (colon[1] == ' ');
		snprintf(out, outlen, "%s", colon);
		out[strcspn(out, "\n")] = 0;
		break;
	}
	fclose(f);
}

static void detect_virt(char *out, size_t outlen)
{
	char flags[4096], vendor[128], product[128];

	cpuinfo_field("flags", flags, sizeof(flags));
	read_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	read_line("/sys/class/dmi/id/product_name", product, sizeof(product));
	if (!strstr(flags, " hypervisor") && strncmp(flags, "hypervisor", 10)) {
		snprintf(out, outlen, "none");
		return;
	}
	if (strstr(vendor, "QEMU") || strstr(product, "KVM") || strstr(vendor, "KVM"))
		snprintf(out, outlen, "kvm (%s %s)", vendor, product);
	else if (strstr(vendor, "VMware"))
		snprintf(out, outlen, "vmware");
	else if (strstr(vendor, "Microsoft"))
		snprintf(out, outlen, "hyperv");
	else if (strstr(vendor, "Xen") || !access("/proc/xen", F_OK))
		snprintf(out, outlen, "xen");
	else if (strstr(vendor, "Amazon"))
		snprintf(out, outlen, "kvm (%s %s)", vendor, product);
	else if (strstr(product, "Firecracker") || strstr(vendor, "Firecracker"))
		snprintf(out, outlen, "firecracker");
	else
		snprintf(out, outlen, "hypervisor (%s%s%s)", vendor[0] ? vendor : "unknown", product[0] ? " " : "",
			 product);
}

static const char *const limit_paths[][2] = {
	{"kernel.msgmax", "/proc/sys/kernel/msgmax"},
	{"kernel.msgmnb", "/proc/sys/kernel/msgmnb"},
	{"kernel.msgmni", "/proc/sys/kernel/msgmni"},
	{"kernel.shmmax", "/proc/sys/kernel/shmmax"},
	{"kernel.shmall", "/proc/sys/kernel/shmall"},
	{"kernel.shmmni", "/proc/sys/kernel/shmmni"},
	{"kernel.sem", "/proc/sys/kernel/sem"},
	{"fs.mqueue.msg_max", "/proc/sys/fs/mqueue/msg_max"},
	{"fs.mqueue.msgsize_max", "/proc/sys/fs/mqueue/msgsize_max"},
	{"fs.mqueue.queues_max", "/proc/sys/fs/mqueue/queues_max"},
	{"fs.pipe-max-size", "/proc/sys/fs/pipe-max-size"},
	{"fs.file-max", "/proc/sys/fs/file-max"},
	{"net.core.wmem_max", "/proc/sys/net/core/wmem_max"},
	{"net.core.rmem_max", "/proc/sys/net/core/rmem_max"},
	{"net.core.wmem_default", "/proc/sys/net/core/wmem_default"},
	{"net.unix.max_dgram_qlen", "/proc/sys/net/unix/max_dgram_qlen"},
	{"net.ipv4.tcp_wmem", "/proc/sys/net/ipv4/tcp_wmem"},
	{"net.ipv4.tcp_rmem", "/proc/sys/net/ipv4/tcp_rmem"},
	{"kernel.sched_rt_runtime_us", "/proc/sys/kernel/sched_rt_runtime_us"},
	{"kernel.perf_event_paranoid", "/proc/sys/kernel/perf_event_paranoid"},
};

void sysinfo_collect(struct host_info *hi)
{
	struct utsname u;
	char node[64];

	memset(hi, 0, sizeof(*hi));
	gethostname(hi->hostname, sizeof(hi->hostname) - 1);
	if (!uname(&u)) {
		snprintf(hi->kernel, sizeof(hi->kernel), "%s", u.release);
		snprintf(hi->kernel_version, sizeof(hi->kernel_version), "%s", u.version);
		snprintf(hi->machine, sizeof(hi->machine), "%s", u.machine);
	}
	cpuinfo_field("model name", hi->cpu_model, sizeof(hi->cpu_model));
	hi->cpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	hi->cpus_configured = (int)sysconf(_SC_NPROCESSORS_CONF);
	hi->numa_nodes = 0;
	for (int n = 0; n < 1024; n++) {
		snprintf(node, sizeof(node), "/sys/devices/system/node/node%d", n);
		if (access(node, F_OK))
			break;
		hi->numa_nodes++;
	}
	if (!hi->numa_nodes)
		hi->numa_nodes = 1;
	detect_virt(hi->virtualization, sizeof(hi->virtualization));
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource", hi->clocksource,
		  sizeof(hi->clocksource));
	read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", hi->governor, sizeof(hi->governor));
	hi->mqueue_mounted = !access("/dev/mqueue", F_OK);
	for (size_t i = 0; i < sizeof(limit_paths) / sizeof(limit_paths[0]); i++) {
		struct sysinfo_limit *l = &hi->limits[hi->nlimits++];

		l->name = limit_paths[i][0];
		l->path = limit_paths[i][1];
		read_line(l->path, l->value, sizeof(l->value));
	}
}

bool cpu_online(int cpu)
{
	cpu_set_t set;
	char path[96], v[8];

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return false;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && !CPU_ISSET(cpu, &set))
		return false;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	read_line(path, v, sizeof(v));
	if (v[0])
		return v[0] == '1';
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
	return access(path, F_OK) == 0;
}

int cpu_list_online(int *out, int max)
{
	int n = 0;

	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (cpu_online(c))
			out[n++] = c;
	return n;
}

int cpu_count_online(void)
{
	int tmp[CPU_SETSIZE];

	return cpu_list_online(tmp, CPU_SETSIZE);
}

static int read_int(const char *path, int dflt)
{
	char v[32], *end;
	long n;

	read_line(path, v, sizeof(v));
	errno = 0;
	n = strtol(v, &end, 10);
	if (!v[0] || *end || errno || n < INT_MIN || n > INT_MAX)
		return dflt;
	return (int)n;
}

int cpu_core_id(int cpu)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
	return read_int(path, cpu);
}

static int cpu_package(int cpu)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
	return read_int(path, 0);
}

int cpu_node(int cpu)
{
	char path[128];

	for (int n = 0; n < 1024; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpu%d", n, cpu);
		if (!access(path, F_OK))
			return n;
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK))
			break;
	}
	return 0;
}

enum relation cpu_relation(int a, int b)
{
	if (a < 0 || b < 0)
		return REL_UNPINNED;
	if (a == b)
		return REL_SAME;
	if (cpu_node(a) != cpu_node(b))
		return REL_NUMA;
	if (cpu_package(a) == cpu_package(b) && cpu_core_id(a) == cpu_core_id(b))
		return REL_SMT;
	return REL_CROSS;
}
