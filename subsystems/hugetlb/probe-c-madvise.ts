/**
 * C for madvise_dontneed (appended to probe-c.ts's helpers): madvise(MADV_DONTNEED)
 * of pages [from, to) of slot v's addresses.
 */
export const HUGETLB_C_MADVISE = String.raw`
static const char *h_madvise_dontneed(int v, int from, int to)
{
	if (v < 0 || v >= H_NV || from < 0)
		return "EINVAL";
	/* the slot's addresses (a split-off piece lives at its original's); nothing mapped: ENOMEM */
	char *base = B->live[v] ? B->base[v] : VBASE(v);
	if (madvise(base + (unsigned long)from * HPAGE, (size_t)((long)to - from) * HPAGE, MADV_DONTNEED))
		return errname(errno);
	return "ok";
}
`;
