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
/* every page of group i of mm's pagemap entries pm is the THP's own page of that group */
static int t_ours(int i, const unsigned long long *pm)
{
	for (int j = 0; j < TB->g; j++)
		if (!t_pfn(i, j) || !(pm[j] & PM_PRESENT) || (pm[j] & PM_PFN) != t_pfn(i, j))
			return 0;
	return 1;
}

/*
 * After a move_pages: the THP's pages a process mapped before (who[k], at their own virtual page: a
 * private anon page never maps elsewhere) are where that process maps them now. Moved whole (still a THP),
 * the THP has a new head and every page follows it; moved one by one (a split THP, or a THP split by the
 * migration, v6.10+ migrate_pages_batch), each page has its own new pfn and a page nobody mapped is gone.
 */
static void t_relearn(const int *who)
{
	unsigned long long pm[512];
	unsigned long now[512], head = 0;
	for (int k = 0; k < 512; k++) {
		now[k] = 0;
		if (who[k] < 0 || !TB->live[who[k]] || !t_pagemap(who[k], k / TB->g, pm))
			continue;
		if (pm[k % TB->g] & PM_PRESENT)
			now[k] = pm[k % TB->g] & PM_PFN;
		if (now[k] && !head && t_is_thp(now[k]))
			head = now[k] - (unsigned long)k;
	}
	if (head)
		TB->head = head;
	for (int k = 0; k < 512; k++)
		TB->pfn[k] = head ? head + (unsigned long)k : now[k];
}

/*
 * move_pages(2) to the VM's other NUMA node (the VM has two when a script migrates; MPOL_MF_MOVE_ALL:
 * also while other processes map it) of the first group where mm maps the THP's own pages, as the model's
 * follow_page takes its first mapped page: while the THP is compound, the address of the group's first
 * page (the kernel isolates the whole folio; v6.10+ splits it first when it is partially mapped and on
 * the deferred split queue, then moves its small folios); once it is split, every page of the group (the
 * model's page i is the group's g small pages). "none" where mm maps no page of the THP; "EAGAIN" when
 * the kernel did not move every page (move_pages returns the number of pages not migrated: pinned, or
 * referenced). Afterwards the pages' new pfns are learned from pagemap (t_relearn).
 */
static const char *t_migrate(int m)
{
	static void *addrs[512];
	static int to[512], status[512];
	unsigned long long pm[512];
	int who[512], node = -1, i, n;
	long r;
	if (m < 0 || m >= TB->mms)
		return "EINVAL";
	for (i = 0; i < TB->nr && TB->head; i++)
		if (t_pagemap(m, i, pm) && t_ours(i, pm))
			break;
	if (!TB->head || i == TB->nr)
		return "none";
	for (int k = 0; k < 512; k++)
		who[k] = -1;
	for (int m2 = 0; m2 < TB->mms; m2++)
		for (int i2 = 0; i2 < TB->nr && TB->live[m2]; i2++)
			if (t_pagemap(m2, i2, pm))
				for (int j = 0; j < TB->g; j++) {
					int k = i2 * TB->g + j;
					if (who[k] < 0 && TB->pfn[k] && (pm[j] & PM_PRESENT) && (pm[j] & PM_PFN) == TB->pfn[k])
						who[k] = m2;
				}
	n = t_is_thp(t_pfn(i, 0)) ? 1 : TB->g;
	addrs[0] = t_addr(i);
	if (syscall(SYS_move_pages, 0, 1UL, addrs, NULL, &node, 0) || node < 0)
		return "ENODEV";
	for (int j = 0; j < n; j++) {
		addrs[j] = t_addr(i) + (unsigned long)j * T_PAGE;
		to[j] = !node;
		status[j] = -1;
	}
	r = syscall(SYS_move_pages, 0, (unsigned long)n, addrs, to, status, T_MPOL_MF_MOVE_ALL);
	t_relearn(who);
	if (r < 0)
		return errname(errno);
	if (r > 0)
		return "EAGAIN";
	for (int j = 0; j < n; j++)
		if (status[j] != to[j])
			return status[j] < 0 && status[j] != -EBUSY && status[j] != -EAGAIN ? errname(-status[j]) : "EAGAIN";
	return "ok";
}
`;
