/**
 * C for per-node pools (params.nodePool > 1; appended to probe-c.ts's helpers).
 * The VM boots with that many NUMA nodes (hugetlbProbe.numaNodes, kernel/qemu.ts
 * numaArgs: every CPU on node 0).
 *
 *   h_nodes_setup  after h_setup with pool 0: node 0's nr_hugepages written 1
 *                  then 0, which leaves both round-robin cursors on node 0
 *                  (set_max_huge_pages(h, count, 0, {0}): hstate_next_node_to_alloc
 *                  / _to_free over {0} leave next_nid_to_alloc / _to_free = 0,
 *                  mm/hugetlb.c @ v6.1), then node 0 written pool (the model's
 *                  boot pool sits on node 0); with membind, set_mempolicy(MPOL_BIND,
 *                  {membind}) for this task and every task forked from it
 *                  (the model's params.membind, impl/hugetlb/node-pages.ts)
 *   h_set_nr_node  write /sys/devices/system/node/node<nid>/hugepages/hugepages-2048kB/nr_hugepages
 *                  (node_hstate_attrs -> nr_hugepages_store -> nr_hugepages_store_common)
 *   h_observe_nodes  N<nid>_{nr,free,surplus}_hugepages of that directory after each step
 *   h_dissolve     memory offline of the block holding a node's huge pages (offline_pages ->
 *                  dissolve_free_huge_pages @ v6.1 / dissolve_free_hugetlb_folios @ v6.12, a loop
 *                  over the block's huge pages): the lowest node with a free huge page (the model's
 *                  first choice, node-pages.ts freeNid), its highest memory block (the hotplugged
 *                  pc-dimm, /sys/devices/system/node/node<nid>/memory<N>): echo offline >
 *                  /sys/devices/system/memory/memory<N>/state; ok when it went offline (every huge
 *                  page in it dissolved; it is put back online, movable, at once: its memory returns
 *                  to buddy, an error there is the op's return value), else the write's error (EBUSY:
 *                  a page it could not dissolve; those dissolved before stay out of the pool). The VM
 *                  has a hotplugged 128 MiB pc-dimm per node for it, onlined movable
 *                  (memhp_default_state=online_movable), where huge pages are allocated first
 *                  (ZONE_MOVABLE): boot memory blocks hold memblock allocations (the memmap) and
 *                  qemu's top-of-RAM hole, so offlining them fails (EBUSY, EINVAL)
 */
export const HUGETLB_C_NODES = String.raw`
#define H_NODE_DIR "/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/%s"
static int h_nnodes = 1;

static long long h_node_read(int nid, const char *what)
{
	char p[128], b[32];
	long long v = -1;
	snprintf(p, sizeof(p), H_NODE_DIR, nid, what);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	if (n > 0) {
		b[n] = 0;
		v = strtoll(b, NULL, 10);
	}
	close(fd);
	return v;
}

static int h_node_write(int nid, long n)
{
	char p[128];
	snprintf(p, sizeof(p), H_NODE_DIR, nid, "nr_hugepages");
	return write_long(p, n);
}

static void h_observe_nodes(void)
{
	static const char *const what[] = { "nr_hugepages", "free_hugepages", "surplus_hugepages" };
	char name[48];
	if (h_nnodes < 2)
		return;
	for (int nid = 0; nid < h_nnodes; nid++)
		for (int k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), "N%d_%s", nid, what[k]);
			obs_add(name, h_node_read(nid, what[k]));
		}
}

static void h_nodes_setup(int script, int nnodes, long pool, int membind)
{
	h_nnodes = nnodes;
	if (h_node_read(nnodes - 1, "nr_hugepages") < 0) {
		emit("MMCHECK S %d ERROR the VM has no NUMA node %d (params.nodePool %d)", script, nnodes - 1, nnodes);
		return;
	}
	if (h_node_write(0, 1) || h_node_write(0, 0) || h_node_write(0, pool))
		emit("MMCHECK S %d ERROR cannot write node0 nr_hugepages: %s", script, strerror(errno));
	if (meminfo("HugePages_Total") != pool || h_node_read(0, "nr_hugepages") != pool)
		emit("MMCHECK S %d ERROR node 0 pool not %ld at start: Total=%lld node0=%lld", script, pool,
		     meminfo("HugePages_Total"), h_node_read(0, "nr_hugepages"));
	if (membind >= 0) {
		unsigned long mask = 1UL << membind;
		/* MPOL_BIND = 2 (include/uapi/linux/mempolicy.h); no libnuma in the static build */
		if (syscall(SYS_set_mempolicy, 2, &mask, 8 * sizeof(mask)))
			emit("MMCHECK S %d ERROR set_mempolicy(MPOL_BIND, {%d}): %s", script, membind, strerror(errno));
	}
}

#include <dirent.h>

static const char *h_dissolve(void)
{
	int nid = -1, top = -1;
	for (int k = 0; k < h_nnodes && nid < 0; k++)
		if ((h_nnodes > 1 ? h_node_read(k, "free_hugepages") : meminfo("HugePages_Free")) > 0)
			nid = k;
	if (nid < 0)
		return "EBUSY";
	char dir[64];
	snprintf(dir, sizeof(dir), "/sys/devices/system/node/node%d", nid);
	DIR *d = opendir(dir);
	if (!d)
		return "ENOENT";
	struct dirent *ent;
	while ((ent = readdir(d))) {
		int n;
		if (sscanf(ent->d_name, "memory%d", &n) == 1 && n > top)
			top = n; /* the hotplugged pc-dimm: above boot memory */
	}
	closedir(d);
	if (top < 0)
		return "ENOENT";
	char st[96];
	snprintf(st, sizeof(st), "/sys/devices/system/memory/memory%d/state", top);
	int r = write_file(st, "offline");
	if (r) /* offline_pages failed: the free huge pages dissolved before the failure stay dissolved */
		return errname(-r);
	int back = write_file(st, "online_movable");
	if (back) /* the block stays offline: say so rather than go on with less memory */
		return errname(-back);
	return "ok";
}

static const char *h_set_nr_node(int nid, long n)
{
	if (nid < 0 || nid >= h_nnodes)
		return "EINVAL";
	int e = h_node_write(nid, n);
	return e ? errname(-e) : "ok";
}
`;
