/**
 * C for madvise_dontneed (appended to probe-c.ts's helpers): madvise(MADV_DONTNEED)
 * of pages [from, to) of slot v's addresses; and soft_offline: madvise(MADV_SOFT_OFFLINE)
 * of page i of slot v (the probe runs as root: CAP_SYS_ADMIN).
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

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
static const char *h_soft_offline(int v, int i)
{
	if (v < 0 || v >= H_NV || i < 0)
		return "EINVAL";
	/* madvise_inject_error: get_user_pages_fast of the address, no VMA check of its own (unmapped: EFAULT) */
	char *base = B->live[v] ? B->base[v] : VBASE(v);
	if (madvise(base + (unsigned long)i * HPAGE, HPAGE, MADV_SOFT_OFFLINE))
		return errname(errno);
	return "ok";
}
`;
