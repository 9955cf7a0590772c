/**
 * The THP probe's observation after every step (part of THP_C in probe-c.ts):
 * /proc/meminfo AnonHugePages, /proc/kpageflags KPF_THP of the THP's page 0,
 * per process and group the pages /proc/<pid>/pagemap shows (as page
 * identities: the THP's own subpage, the zero page, or the k-th other page set), and
 * /proc/kpagecount of the THP's pages while they are still ours.
 */
export const THP_OBSERVE_C = String.raw`
/* 1 when every page of group i is mapped in mm m or a swap entry there (an access maps it), else 0. */
static int t_mapped(int m, int i, unsigned long long *pm)
{
	if (!t_pagemap(m, i, pm))
		return 0;
	for (int j = 0; j < TB->g; j++)
		if (!(pm[j] & (PM_PRESENT | PM_SWAP)))
			return 0;
	return 1;
}

/* pfn of page j of group i of the THP (0: not ours any more) */
static unsigned long t_pfn(int i, int j)
{
	return TB->pfn[i * TB->g + j];
}

static int t_is_thp(unsigned long pfn)
{
	return (t_u64("/proc/kpageflags", pfn) >> KPF_THP_BIT) & 1;
}

/* per (mm, group): the pfns it maps (when fully mapped) and the number it was given */
static unsigned long long pfns[T_NM][T_NR][512];
static int ids[T_NM][T_NR];

static void t_observe(void)
{
	int next = TB->nr;
	unsigned long h = TB->head;
	unsigned long long pm[512];

	obs_reset();
	obs_add("AnonHugePages", meminfo("AnonHugePages"));
	int compound = h && TB->pfn[0] ? (int)((t_u64("/proc/kpageflags", TB->pfn[0]) >> KPF_THP_BIT) & 1) : 0;
	obs_add("compound", compound);
	for (int m = 0; m < TB->mms; m++)
		for (int i = 0; i < TB->nr; i++) {
			char name[32];
			int id = -1;
			int pr = TB->live[m] ? t_present(m, i, pm) : 0, sw = 0;
			for (int j = 0; j < TB->g; j++) {
				pfns[m][i][j] = pm[j] & PM_PFN;
				sw += pr <= 0 && TB->live[m] && (pm[j] & PM_SWAP) != 0;
			}
			if (sw == TB->g)
				id = -4; /* swap entries: the page is in the swap cache or on the device */
			else if (pr < 0 || sw > 0)
				id = -9;
			else if (pr > 0) {
				int thp = h != 0, zero = 1;
				for (int j = 0; j < TB->g && zero; j++)
					zero = (t_u64("/proc/kpageflags", pfns[m][i][j]) >> KPF_ZERO_PAGE_BIT) & 1;
				for (int j = 0; j < TB->g && thp; j++)
					thp = t_pfn(i, j) && pfns[m][i][j] == t_pfn(i, j);
				if (zero)
					id = -3; /* the huge or small zero page: every process's, never numbered */
				else if (thp)
					id = i;
				else {
					/* the same pages as an earlier (m2, i2) that maps something else than the THP? */
					for (int m2 = 0; m2 <= m && id < 0; m2++)
						for (int i2 = 0; i2 < TB->nr && id < 0; i2++) {
							if (m2 == m && i2 == i)
								break;
							if (ids[m2][i2] >= TB->nr &&
							    memcmp(pfns[m2][i2], pfns[m][i], TB->g * sizeof(pfns[m][i][0])) == 0)
								id = ids[m2][i2];
						}
					if (id < 0)
						id = next++;
				}
			}
			ids[m][i] = id;
			snprintf(name, sizeof(name), "page[%d][%d]", m, i);
			obs_add(name, id);
		}
	/*
	 * A page of the split THP that no process maps any more while one shows swap entries there, and that is
	 * not in the swap cache (KPF_SWAPCACHE, include/uapi/linux/kernel-page-flags.h), left memory: its pfn is
	 * not ours any more. A page a later swap-in or fault gets at that pfn (the page allocator hands the page
	 * it freed last out first: conform seed 20261311 on 6.1.192) is another page, numbered as such. A page
	 * kept in the swap cache stays ours: a swap-in maps it again (do_swap_page() finds it there). The swap
	 * entries may be a private copy's while another process still maps the THP's page: then it stays ours.
	 */
	for (int i = 0; i < TB->nr && h && !compound; i++) {
		int swapped = 0, mapped = 0, cached = 1;
		for (int m = 0; m < TB->mms; m++) {
			swapped |= TB->live[m] && ids[m][i] == -4;
			mapped |= TB->live[m] && ids[m][i] == i;
		}
		if (!swapped || mapped || !t_pfn(i, 0))
			continue;
		for (int j = 0; j < TB->g; j++)
			cached &= (int)((t_u64("/proc/kpageflags", t_pfn(i, j)) >> KPF_SWAPCACHE_BIT) & 1);
		if (!cached)
			for (int j = 0; j < TB->g; j++)
				TB->pfn[i * TB->g + j] = 0;
	}
	/*
	 * kpagecount of the THP's pages of each group: while the THP is compound,
	 * or while a process of the script maps them. Otherwise they are unmapped
	 * (mapcount 0) or freed, and a freed pfn may already be someone else's
	 * page (fork's page tables and stacks): its count says nothing about ours.
	 */
	for (int i = 0; i < TB->nr; i++) {
		char name[32];
		int ours = compound;
		long long c = 0;
		for (int m = 0; m < TB->mms && !ours; m++)
			ours = TB->live[m] && ids[m][i] == i;
		if (h && ours) {
			c = (long long)t_u64("/proc/kpagecount", t_pfn(i, 0));
			for (int j = 1; j < TB->g; j++)
				if ((long long)t_u64("/proc/kpagecount", t_pfn(i, j)) != c)
					c = -1;
		}
		snprintf(name, sizeof(name), "mapcount[%d]", i);
		obs_add(name, c);
	}
}

`;
