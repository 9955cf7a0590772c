/**
 * C for memfd_create(MFD_HUGETLB) (appended to probe-c.ts's helpers). A mount
 * of the script marked internal (params.mounts[m].internal) stands for the
 * kernel's own hugetlbfs mount: nothing is mounted for it, h_internal marks
 * it, its file slots are filled by memfd_create, and a MAP_PRIVATE mapping
 * "of" it is MAP_ANONYMOUS | MAP_HUGETLB (hugetlb_file_setup on that mount
 * too). The model's bounds answer without a system call: a slot of another
 * mount is EINVAL, a slot whose previous file is still open or mapped EBUSY.
 */
export const HUGETLB_C_MEMFD = String.raw`
static void h_internal(int m)
{
	B->internal[m] = 1;
	B->mounted[m] = 1;
}

static const char *h_memfd_create(int f)
{
	if (f < 0 || f >= B->nfiles || !B->internal[B->file_mount[f]])
		return "EINVAL";
	int busy = B->fd[f] >= 0;
	for (int s = 0; s < H_NV; s++)
		if (B->live[s] && B->file[s] == f)
			busy = 1;
	if (busy)
		return "EBUSY";
	B->fd[f] = memfd_create("mmcheck", MFD_HUGETLB | MFD_ALLOW_SEALING) /* the default hstate: 2 MiB */;
	return B->fd[f] < 0 ? errname(errno) : "ok";
}
`;
