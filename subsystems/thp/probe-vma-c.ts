/**
 * C helpers of the THP probe (part of THP_C in probe-c.ts) for the ops that
 * move or populate the whole range (mremap there and back, MADV_POPULATE_READ),
 * reach it through /proc/self/mem (FOLL_FORCE) or migrate it (move_pages).
 */
export const THP_VMA_C = String.raw`
/*
 * mremap of the whole range to another address and back (MREMAP_MAYMOVE | MREMAP_FIXED): 4 MiB
 * further on, PMD-aligned (move_huge_pmd) or one page off it (split_huge_pmd, then move_ptes)
 */
static const char *t_mremap(int m, int aligned)
{
	char *away = T_BASE + 2 * HPAGE + (aligned ? 0 : T_PAGE);
	if (m < 0 || m >= TB->mms || (aligned != 0 && aligned != 1))
		return "EINVAL";
	if (mremap(T_BASE, HPAGE, HPAGE, MREMAP_MAYMOVE | MREMAP_FIXED, away) == MAP_FAILED)
		return errname(errno);
	if (mremap(away, HPAGE, HPAGE, MREMAP_MAYMOVE | MREMAP_FIXED, T_BASE) == MAP_FAILED)
		return "stranded"; /* left at the other address: the steps after this one see nothing */
	return "ok";
}
/*
 * MADV_POPULATE_READ of the whole range: a read fault of every unmapped page (faultin_vma_page_range
 * without FOLL_WRITE): the huge zero page on pmd_none in a MADV_HUGEPAGE VMA, else small zero pages;
 * then MADV_NOHUGEPAGE as after the fault op
 */
static const char *t_populate_read(int m)
{
	if (m < 0 || m >= TB->mms)
		return "EINVAL";
	if (madvise(T_BASE, HPAGE, MADV_POPULATE_READ))
		return errname(errno);
	madvise(T_BASE, HPAGE, MADV_NOHUGEPAGE); /* as after the fault: khugepaged never collapses the range */
	return "ok";
}

/*
 * /proc/self/mem access (mem_rw → access_remote_vm: get_user_pages_remote with FOLL_FORCE) of byte 0 of
 * every page of group i: a write of val (COW into the process's own copy on a read-only private VMA),
 * or a read that answers the group's value. Only where the group is mapped: the conform generator
 * emits these ops only there (on an unmapped address the kernel's read fault maps small zero pages in
 * a MADV_NOHUGEPAGE VMA where the model, which has no VMA flags, maps the huge zero page)
 */
static const char *t_force(int m, int i, int write, int val)
{
	int fd, v = -1;
	if (m < 0 || m >= TB->mms || i < 0 || i >= TB->nr)
		return "EINVAL";
	fd = open("/proc/self/mem", O_RDWR);
	if (fd < 0)
		return errname(errno);
	for (int j = 0; j < TB->g; j++) {
		off_t off = (off_t)(unsigned long)(t_addr(i) + j * T_PAGE);
		unsigned char b = (unsigned char)val;
		if ((write ? pwrite(fd, &b, 1, off) : pread(fd, &b, 1, off)) != 1) {
			int e = errno;
			close(fd);
			return errname(e);
		}
		if (!write && v >= 0 && b != v) {
			close(fd);
			return "mixed";
		}
		v = b;
	}
	close(fd);
	if (write)
		return "ok";
	snprintf(t_retbuf, sizeof(t_retbuf), "%d", v);
	return t_retbuf;
}

#define T_MPOL_MF_MOVE_ALL (1 << 2)
/*
 * move_pages(2) of the THP mm maps (MPOL_MF_MOVE_ALL: also while other processes map it) to the other
 * NUMA node (the VM has two when a script migrates): the address of the first group where mm maps the
 * THP's own pages, as the model's follow_page takes its first mapped subpage. "none" where mm maps no
 * page of the THP; "EAGAIN" when the kernel could not move it (move_pages returns the number of pages
 * not migrated: pinned, or referenced). On success the THP has a new head pfn, learned from pagemap.
 */
static const char *t_migrate(int m)
{
	unsigned long long pm[512];
	void *addr;
	int node = -1, to, status = -1, i;
	long r;
	if (m < 0 || m >= TB->mms)
		return "EINVAL";
	for (i = 0; i < TB->nr && TB->head; i++)
		if (t_pagemap(m, i, pm) && (pm[0] & PM_PRESENT) && (pm[0] & PM_PFN) == TB->head + (unsigned long)i * TB->g)
			break;
	/* the model migrates its THP only: once split (no KPF_THP), the small pages are not followed */
	if (!TB->head || i == TB->nr || !((t_u64("/proc/kpageflags", TB->head) >> KPF_THP_BIT) & 1))
		return "none";
	addr = t_addr(i);
	if (syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &node, 0) || node < 0)
		return "ENODEV";
	to = !node;
	r = syscall(SYS_move_pages, 0, 1UL, &addr, &to, &status, T_MPOL_MF_MOVE_ALL);
	if (r < 0)
		return errname(errno);
	if (r > 0)
		return "EAGAIN";
	if (status != to)
		return status < 0 ? errname(-status) : "EAGAIN";
	if (t_pagemap(m, i, pm) && (pm[0] & PM_PRESENT))
		TB->head = (pm[0] & PM_PFN) - (unsigned long)i * TB->g;
	return "ok";
}
`;
