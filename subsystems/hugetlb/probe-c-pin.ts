/**
 * C for long-term pins (appended to probe-c.ts's helpers; the io_uring calls
 * as in subsystems/thp/probe-c.ts t_pin/t_unpin): pin k v i is an io_uring
 * ring k (io_uring_setup) with page i of slot v registered as its fixed buffer
 * (IORING_REGISTER_BUFFERS: pin_user_pages FOLL_WRITE|FOLL_LONGTERM of the 2
 * MiB page); unpin k unregisters it (IORING_UNREGISTER_BUFFERS, synchronous)
 * and closes the ring. The model's bounds answer without a system call: ring
 * k busy (EBUSY) or empty (EINVAL), a slot that is not a live MAP_SHARED
 * mapping of a mount without min_size= (EINVAL), an index outside it
 * (EFAULT). A ring still registered when the script ends is unregistered by
 * the script's process before it exits (uring_release_all in
 * kernel/probe/runtime.c: a closed ring unpins only later, from a workqueue);
 * a udmabuf still held is released when the exiting process closes it.
 * udmabuf k f i: F_SEAL_SHRINK on memfd f,
 * then ioctl(/dev/udmabuf, UDMABUF_CREATE) of its page i; unpin k closes the
 * dma-buf. Debian 6.1.192 has no /dev/udmabuf (CONFIG_UDMABUF is not built
 * in): there it answers ENOENT.
 */
export const HUGETLB_C_PIN = String.raw`
#include <sys/uio.h>

#define H_NPIN 2
static int h_ring[H_NPIN] = { -1, -1 };
static int h_is_dmabuf[H_NPIN]; /* slot k holds a udmabuf (closing it unpins), not an io_uring ring */

static const char *h_pin(int k, int v, int i)
{
	const char *err;
	int fd;
	if (k < 0 || k >= H_NPIN || h_ring[k] >= 0)
		return "EBUSY";
	if (v < 0 || v >= H_NV || !B->live[v] || i < B->from[v] || i >= B->to[v])
		return "EFAULT";
	if ((B->kind[v] != K_SHARED && B->kind[v] != K_NORESERVE) || B->has_min[B->file_mount[B->file[v]]])
		return "EINVAL";
	fd = uring_pin(B->base[v] + (unsigned long)i * HPAGE, HPAGE, &err);
	if (fd < 0)
		return err;
	h_ring[k] = fd;
	return "ok";
}

static const char *h_unpin(int k)
{
	int fd;
	if (k < 0 || k >= H_NPIN || h_ring[k] < 0)
		return "EINVAL";
	fd = h_ring[k];
	h_ring[k] = -1;
	if (h_is_dmabuf[k]) {
		h_is_dmabuf[k] = 0;
		return close(fd) ? errname(errno) : "ok"; /* dma_buf_release -> release_udmabuf -> unpin_folios */
	}
	return uring_unpin(fd);
}

/* struct udmabuf_create and UDMABUF_CREATE of include/uapi/linux/udmabuf.h */
struct h_udmabuf_create {
	__u32 memfd;
	__u32 flags;
	__u64 offset;
	__u64 size;
};
#define H_UDMABUF_CREATE _IOW('u', 0x42, struct h_udmabuf_create)

static const char *h_udmabuf(int k, int f, int i)
{
	struct h_udmabuf_create c;
	struct stat st;
	int dev, fd, e;
	if (k < 0 || k >= H_NPIN || h_ring[k] >= 0)
		return "EBUSY";
	if (f < 0 || f >= B->nfiles || !B->internal[B->file_mount[f]])
		return "EINVAL";
	if (B->fd[f] < 0)
		return "EBADF";
	if (fstat(B->fd[f], &st))
		return errname(errno);
	if (i < 0 || (long long)i * HPAGE >= (long long)st.st_size)
		return "EINVAL";
	/* udmabuf_create wants F_SEAL_SHRINK and no F_SEAL_WRITE */
	if (fcntl(B->fd[f], F_ADD_SEALS, F_SEAL_SHRINK))
		return errname(errno);
	dev = open("/dev/udmabuf", O_RDWR);
	if (dev < 0)
		return errname(errno);
	memset(&c, 0, sizeof(c));
	c.memfd = (__u32)B->fd[f];
	c.offset = (__u64)i * HPAGE;
	c.size = HPAGE;
	fd = ioctl(dev, H_UDMABUF_CREATE, &c);
	e = errno;
	close(dev);
	if (fd < 0)
		return errname(e);
	h_ring[k] = fd;
	h_is_dmabuf[k] = 1;
	return "ok";
}

`;
