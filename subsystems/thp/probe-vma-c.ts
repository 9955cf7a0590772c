/**
 * C helpers of the THP probe (part of THP_C in probe-c.ts) for the ops that
 * move or populate the whole range: mremap there and back, MADV_POPULATE_READ.
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
 * MADV_POPULATE_READ of the whole range: a read fault of every unmapped page. The model maps the huge
 * zero page where no page table is; Debian 6.1.192 and 6.12.118 were seen to map a fresh THP there
 * while the VMA is still MADV_HUGEPAGE (so conform does not generate it; see the THP profile)
 */
static const char *t_populate_read(int m)
{
	if (m < 0 || m >= TB->mms)
		return "EINVAL";
	return madvise(T_BASE, HPAGE, MADV_POPULATE_READ) ? errname(errno) : "ok";
}
`;
