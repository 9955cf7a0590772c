/**
 * C for mprotect and mremap (appended to probe-c.ts's helpers). Page i of a
 * slot stays at base + i * 2 MiB: a piece split off keeps its slot's base, a
 * moved range lands at VBASE(c) + from * 2 MiB (MREMAP_FIXED). The model's
 * bounds (slots for the pieces, one fork partner, a range inside one
 * mapping) answer without a system call, as the other helpers do.
 */
export const HUGETLB_C_SURGERY = String.raw`
/* The lowest free slot not a or b (-1: none). */
static int h_free_slot(int a, int b)
{
	for (int s = 0; s < H_NV; s++)
		if (!B->live[s] && s != a && s != b)
			return s;
	return -1;
}

/* Book [from, to) of slot v's mapping into slot s (same base, task, registration and protection). */
static void h_piece(int s, int v, int from, int to)
{
	B->live[s] = 1;
	B->kind[s] = B->kind[v];
	B->from[s] = from;
	B->to[s] = to;
	B->base[s] = B->base[v];
	B->task[s] = B->task[v];
	B->peer[s] = -1;
	B->ufd[s] = B->ufd[v];
	B->umode[s] = B->umode[v];
	B->ro[s] = B->ro[v];
	B->file[s] = B->file[v];
}

static const char *h_mprotect(int v, int from, int to, int ro, int c, int d, int misalign)
{
	if (to == from)
		return "ok";
	if (v < 0 || v >= H_NV || !B->live[v] || to < from || from < B->from[v] || to > B->to[v])
		return "ENOMEM";
	int splits = (from > B->from[v]) + (to < B->to[v]);
	if (B->ro[v] != ro && !misalign) {
		if (splits > 0 && c < 0)
			c = h_free_slot(v, -1);
		if (splits > 1 && d < 0)
			d = h_free_slot(v, c);
		if ((splits > 0 && (c < 0 || c >= H_NV || B->live[c] || c == v || B->peer[v] != -1)) ||
		    (splits > 1 && (d < 0 || d >= H_NV || B->live[d] || d == v || d == c)))
			return "ENOMEM";
	}
	/* misalign: one base page past the start, the same end */
	long off = misalign ? 4096 : 0;
	if (mprotect(B->base[v] + (unsigned long)from * HPAGE + off, (size_t)(to - from) * HPAGE - off,
		     ro ? PROT_READ : PROT_READ | PROT_WRITE))
		return errname(errno);
	if (B->ro[v] == ro)
		return "ok";
	int hi = B->to[v], mid = v;
	if (from > B->from[v]) {
		h_piece(c, v, from, to);
		B->to[v] = from;
		mid = c;
	}
	if (to < hi)
		h_piece(from > B->from[v] ? d : c, v, to, hi);
	B->from[mid] = from;
	B->to[mid] = to;
	B->ro[mid] = ro;
	return "ok";
}

static const char *h_mremap(int v, int from, int to, int len, int c, int misalign)
{
	if (len == 0 || to <= from)
		return "EINVAL";
	if (v < 0 || v >= H_NV || !B->live[v] || from < B->from[v] || from >= B->to[v] || to > B->to[v])
		return "EFAULT";
	int hole = -1;
	if (c >= 0) {
		if (c >= H_NV || B->live[c])
			return "EINVAL";
		int split = to < B->to[v] && (len < to - from || from > B->from[v]);
		hole = h_free_slot(c, -1);
		if (B->peer[v] != -1 || (split && hole < 0))
			return "ENOMEM";
	} else if (len < to - from && to < B->to[v]) {
		hole = h_free_slot(-1, -1);
		if (hole < 0 || B->peer[v] != -1)
			return "ENOMEM";
	}
	char *old = B->base[v] + (unsigned long)from * HPAGE + (misalign ? 4096 : 0);
	void *p = c >= 0 ? mremap(old, (size_t)(to - from) * HPAGE, (size_t)len * HPAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
				  VBASE(c) + (unsigned long)from * HPAGE)
			 : mremap(old, (size_t)(to - from) * HPAGE, (size_t)len * HPAGE, 0);
	if (p == MAP_FAILED)
		return errname(errno);
	int end = from + len, hi = B->to[v];
	if (end < to && to < hi) /* the shrink's hole: its upper piece */
		h_piece(hole, v, to, hi);
	B->to[v] = end < to ? end : B->to[v];
	if (c < 0)
		return "ok";
	h_piece(c, v, from, end);
	B->base[c] = VBASE(c);
	B->ufd[c] = 0; /* the moved VMA drops the uffd context (no UFFD_FEATURE_EVENT_REMAP) */
	if (from == B->from[v] && end == B->to[v]) {
		h_uffd_drop(v);
		B->live[v] = 0;
	} else if (from > B->from[v] && end < B->to[v]) {
		h_piece(h_free_slot(-1, -1), v, end, B->to[v]);
		B->to[v] = from;
	} else if (from == B->from[v])
		B->from[v] = end;
	else
		B->to[v] = from;
	return "ok";
}

/* UFFDIO_REGISTER of [from, to) of slot v (a split: v keeps the lowest piece, then c, d), 0 missing, 1 minor. */
static const char *h_uffd_register_range(int v, int minor, int from, int to, int c, int d)
{
	struct uffdio_register reg;
	int mode = minor ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING;

	if (v < 0 || v >= H_NV || !B->live[v] || to <= from || from < B->from[v] || to > B->to[v])
		return "EINVAL";
	if (B->ufd[v] && B->umode[v] == mode)
		return "ok"; /* same ctx and flags: no split */
	int splits = (from > B->from[v]) + (to < B->to[v]);
	if (splits > 0 && c < 0)
		c = h_free_slot(v, -1);
	if (splits > 1 && d < 0)
		d = h_free_slot(v, c);
	if ((splits > 0 && (c < 0 || c >= H_NV || B->live[c] || c == v || B->peer[v] != -1)) ||
	    (splits > 1 && (d < 0 || d >= H_NV || B->live[d] || d == v || d == c)))
		return "ENOMEM";
	int u = B->ufd[v] ? B->ufd[v] - 1 : h_uffd_open();
	if (u < 0)
		return errname(errno);
	reg.range.start = (unsigned long)(B->base[v] + (unsigned long)from * HPAGE);
	reg.range.len = (unsigned long)(to - from) * HPAGE;
	reg.mode = mode;
	if (ioctl(u, UFFDIO_REGISTER, &reg)) {
		const char *ret = errname(errno);
		if (!B->ufd[v])
			close(u);
		return ret;
	}
	int hi = B->to[v], mid = v;
	if (from > B->from[v]) {
		h_piece(c, v, from, to);
		B->to[v] = from;
		mid = c;
	}
	if (to < hi)
		h_piece(from > B->from[v] ? d : c, v, to, hi);
	B->from[mid] = from;
	B->to[mid] = to;
	B->ufd[mid] = u + 1;
	B->umode[mid] = mode;
	return "ok";
}
`;
