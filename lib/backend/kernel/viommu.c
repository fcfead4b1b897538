// SPDX-License-Identifier: MIT
/*
 * The kernel backend's vIOMMU objects: vIOMMUs, vDEVICEs, vEVENTQs and
 * I/O page fault queues (allocation, reading and answering through their
 * fds), and their typed destroy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-internal.h"

/* ------------------------------------------------------------------ */
/* vIOMMUs and vDEVICEs                                                 */

int kernel_viommu_alloc(void *be_, uint32_t dev_id, uint32_t hwpt_id,
			uint32_t type, uint32_t *viommu_id)
{
	struct kernel_be *be = be_;
	/* No driver data: the pre-6.17 struct. */
	struct iommu_viommu_alloc cmd = {
		.size = offsetofend(struct iommu_viommu_alloc, out_viommu_id),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (rc == -EOPNOTSUPP && !kernel_older(be, FEAT(VIOMMU)))
		return ioasid_fail(rc,
				   "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x: %s: the IOMMU driver of device %u has no vIOMMU of that type (type 0 is reserved)",
				   dev_id, hwpt_id, type, strerror(-rc), dev_id);
	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x: %s: hwpt %u must be a paging HWPT allocated with IOASID_HWPT_ALLOC_NEST_PARENT",
				   dev_id, hwpt_id, type, strerror(-rc), hwpt_id);
	if (rc)
		return kernel_fail(be, rc, FEAT(VIOMMU), 0,
				   "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x", dev_id,
				   hwpt_id, type);
	rc = kernel_obj_add(be, cmd.out_viommu_id, IOASID_OBJ_VIOMMU, -1, NULL);
	if (rc) {
		kernel_obj_undo_alloc(be, cmd.out_viommu_id, -1);
		return rc;
	}
	*viommu_id = cmd.out_viommu_id;
	return 0;
}

int kernel_vdevice_alloc(void *be_, uint32_t viommu_id, uint32_t dev_id,
			 uint64_t virt_id, uint32_t *vdevice_id)
{
	struct kernel_be *be = be_;
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	struct kernel_obj *o = NULL;
	int rc = kernel_ioctl(be->fd, IOMMU_VDEVICE_ALLOC, &cmd);

	if (rc == -EEXIST)
		return ioasid_fail(rc,
				   "IOMMU_VDEVICE_ALLOC viommu %u dev %u virt_id 0x%llx: %s: the device has a vDEVICE already, or the virt_id is taken in this vIOMMU",
				   viommu_id, dev_id, (unsigned long long)virt_id,
				   strerror(-rc));
	if (rc)
		return kernel_fail(be, rc, FEAT(VDEVICE), 0,
				   "IOMMU_VDEVICE_ALLOC viommu %u dev %u virt_id 0x%llx",
				   viommu_id, dev_id, (unsigned long long)virt_id);
	rc = kernel_obj_add(be, cmd.out_vdevice_id, IOASID_OBJ_VDEVICE, -1, &o);
	if (rc) {
		kernel_obj_undo_alloc(be, cmd.out_vdevice_id, -1);
		return rc;
	}
	o->dev_id = dev_id;
	*vdevice_id = cmd.out_vdevice_id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* vEVENTQs                                                             */

/* Bytes of data after each event header of a vEVENTQ @type (0: the
 * library does not know the type's record). */
static uint32_t vevent_data_len(uint32_t type)
{
	switch (type) {
	case IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		return sizeof(struct iommu_vevent_arm_smmuv3);
	case IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
		return sizeof(struct iommu_vevent_tegra241_cmdqv);
	case IOASID_VEVENTQ_TYPE_SELFTEST:
		return IOASID_TEST_VEVENT_DATA_LEN;
	}
	return 0;
}
_Static_assert(sizeof(struct iommu_vevent_arm_smmuv3) <= IOASID_VEVENT_DATA_MAX,
	       "an SMMUv3 event must fit struct ioasid_vevent");

int kernel_veventq_alloc(void *be_, uint32_t viommu_id, uint32_t type,
			 uint32_t depth, uint32_t *id, int *fd)
{
	struct kernel_be *be = be_;
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};
	struct kernel_obj *o = NULL;
	int rc;

	if (type && !vevent_data_len(type))
		return ioasid_fail(-EOPNOTSUPP,
				   "vEVENTQ type %#x: the library does not know the size of its events (it reads SMMUv3, Tegra241 CMDQV and selftest queues)",
				   type);
	rc = kernel_ioctl(be->fd, IOMMU_VEVENTQ_ALLOC, &cmd);
	if (rc == -EEXIST)
		return ioasid_fail(rc,
				   "IOMMU_VEVENTQ_ALLOC viommu %u type %#x depth %u: %s: the vIOMMU has a queue of that type already",
				   viommu_id, type, depth, strerror(-rc));
	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_VEVENTQ_ALLOC viommu %u type %#x depth %u: %s: the depth must be 1 to 2^19",
				   viommu_id, type, depth, strerror(-rc));
	if (rc)
		return kernel_fail(be, rc, FEAT(VEVENTQ), 0,
				   "IOMMU_VEVENTQ_ALLOC viommu %u type %#x depth %u",
				   viommu_id, type, depth);
	rc = kernel_obj_add(be, cmd.out_veventq_id, IOASID_OBJ_VEVENTQ,
			    (int)cmd.out_veventq_fd, &o);
	if (rc) {
		kernel_obj_undo_alloc(be, cmd.out_veventq_id, (int)cmd.out_veventq_fd);
		return rc;
	}
	o->qtype = type;
	*id = cmd.out_veventq_id;
	*fd = (int)cmd.out_veventq_fd;
	return 0;
}

/* read(2) of a queue fd: the byte count, 0 when nothing waits (the
 * kernel's read never blocks; EAGAIN is taken as empty too), or
 * -errno. */
static ssize_t queue_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n;
}

/*
 * eventq.c iommufd_veventq_fops_read(): a run of header + data records,
 * a LOST_EVENTS header carrying no data.  A buffer of *@num whole events
 * never returns more than *@num records, since a LOST_EVENTS header can
 * only be the last.
 */
int kernel_veventq_read(void *be_, uint32_t id, struct ioasid_vevent *ev,
			uint32_t *num)
{
	struct kernel_be *be = be_;
	struct kernel_obj *q = kernel_obj_find(be, id, IOASID_OBJ_VEVENTQ);
	const size_t hdr = sizeof(struct iommufd_vevent_header);
	uint32_t dlen, n = 0;
	size_t off = 0, len;
	ssize_t got;
	char *buf;

	if (!q)
		return ioasid_fail(-ENOENT, "vEVENTQ %u does not exist in this context",
				   id);
	if (!*num)
		return 0;
	dlen = vevent_data_len(q->qtype);
	len = (size_t)*num * (hdr + dlen);
	buf = malloc(len);
	if (!buf)
		return ioasid_fail(-ENOMEM, "out of memory");
	got = queue_read(q->fd, buf, len);
	if (got < 0) {
		free(buf);
		return ioasid_fail((int)got, "read of vEVENTQ %u (fd %d): %s", id,
				   q->fd, strerror((int)-got));
	}
	while (off < (size_t)got && n < *num) {
		struct iommufd_vevent_header h;

		if ((size_t)got - off < hdr)
			break;
		memcpy(&h, buf + off, hdr);
		off += hdr;
		memset(&ev[n], 0, sizeof(ev[n]));
		ev[n].flags = h.flags;
		ev[n].sequence = h.sequence;
		if (!(h.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS)) {
			if ((size_t)got - off < dlen)
				break;
			ev[n].data_len = dlen;
			memcpy(ev[n].data, buf + off, dlen);
			off += dlen;
		}
		n++;
	}
	free(buf);
	*num = n;
	if (off != (size_t)got)
		return ioasid_fail(-EIO,
				   "read of vEVENTQ %u gave %zd bytes, %zu of them not a whole record of type %#x (%zu-byte header + %u bytes): the kernel's record layout differs",
				   id, got, (size_t)got - off, q->qtype, hdr, dlen);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fault queues                                                         */

/* Responses are written to the fault fd as they are. */
_Static_assert(sizeof(struct ioasid_fault_response) ==
			       sizeof(struct iommu_hwpt_page_response) &&
		       offsetof(struct ioasid_fault_response, code) ==
			       offsetof(struct iommu_hwpt_page_response, code),
	       "struct ioasid_fault_response must match struct iommu_hwpt_page_response");

int kernel_fault_alloc(void *be_, uint32_t *id, int *fd)
{
	struct kernel_be *be = be_;
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int rc = kernel_ioctl(be->fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(FAULT), 0, "IOMMU_FAULT_QUEUE_ALLOC");
	rc = kernel_obj_add(be, cmd.out_fault_id, IOASID_OBJ_FAULT,
			    (int)cmd.out_fault_fd, NULL);
	if (rc) {
		kernel_obj_undo_alloc(be, cmd.out_fault_id, (int)cmd.out_fault_fd);
		return rc;
	}
	*id = cmd.out_fault_id;
	*fd = (int)cmd.out_fault_fd;
	return 0;
}

/* eventq.c iommufd_fault_fops_read(): whole groups of struct
 * iommu_hwpt_pgfault; EINVAL when the first group does not fit. */
int kernel_fault_read(void *be_, uint32_t id, struct ioasid_fault *out,
		      uint32_t *num)
{
	struct kernel_be *be = be_;
	struct kernel_obj *f = kernel_obj_find(be, id, IOASID_OBJ_FAULT);
	struct iommu_hwpt_pgfault *recs;
	uint32_t n;
	ssize_t got;

	if (!f)
		return ioasid_fail(-ENOENT, "fault queue %u does not exist in this context",
				   id);
	recs = calloc(*num ? *num : 1, sizeof(*recs));
	if (!recs)
		return ioasid_fail(-ENOMEM, "out of memory");
	got = queue_read(f->fd, recs, (size_t)*num * sizeof(*recs));
	if (got < 0) {
		free(recs);
		*num = 0;
		if (got == -EINVAL)
			return ioasid_fail(-EINVAL,
					   "read of fault queue %u: room for %u faults does not hold the first fault group",
					   id, *num);
		return ioasid_fail((int)got, "read of fault queue %u (fd %d): %s",
				   id, f->fd, strerror((int)-got));
	}
	if (got % sizeof(*recs)) {
		free(recs);
		*num = 0;
		return ioasid_fail(-EIO,
				   "read of fault queue %u gave %zd bytes, not whole %zu-byte records",
				   id, got, sizeof(*recs));
	}
	n = (uint32_t)(got / sizeof(*recs));
	for (uint32_t i = 0; i < n; i++) {
		out[i] = (struct ioasid_fault){
			.flags = recs[i].flags,
			.dev_id = recs[i].dev_id,
			.pasid = recs[i].pasid,
			.grpid = recs[i].grpid,
			.perm = recs[i].perm,
			.addr = recs[i].addr,
			.length = recs[i].length,
			.cookie = recs[i].cookie,
		};
	}
	free(recs);
	*num = n;
	return 0;
}

/* eventq.c iommufd_fault_fops_write(): the kernel takes responses until
 * one fails and reports only how many it took; writing the rest again
 * yields the failing one's errno. */
int kernel_fault_respond(void *be_, uint32_t id,
			 const struct ioasid_fault_response *r,
			 uint32_t *num)
{
	struct kernel_be *be = be_;
	struct kernel_obj *f = kernel_obj_find(be, id, IOASID_OBJ_FAULT);
	const size_t rsz = sizeof(struct iommu_hwpt_page_response);
	uint32_t done = 0;

	if (!f)
		return ioasid_fail(-ENOENT, "fault queue %u does not exist in this context",
				   id);
	while (done < *num) {
		ssize_t n = write(f->fd, r + done, (size_t)(*num - done) * rsz);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			*num = done;
			if (err == EINVAL)
				return ioasid_fail(-EINVAL,
						   "write to fault queue %u: response %u (cookie %u, code %u) refused: no fault group waits on that cookie, or the code is unknown (%u taken before it)",
						   id, done, r[done].cookie, r[done].code,
						   done);
			return ioasid_fail(-err, "write to fault queue %u (fd %d): %s",
					   id, f->fd, strerror(err));
		}
		if (n == 0 || n % rsz) {
			*num = done + (uint32_t)(n / rsz);
			return ioasid_fail(-EIO,
					   "write to fault queue %u took %zd bytes, not whole %zu-byte responses",
					   id, n, rsz);
		}
		done += (uint32_t)(n / rsz);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Destroy                                                              */

static const char *const obj_names[] = {
	[IOASID_OBJ_VIOMMU] = "viommu",
	[IOASID_OBJ_VDEVICE] = "vdevice",
	[IOASID_OBJ_VEVENTQ] = "vEVENTQ",
	[IOASID_OBJ_FAULT] = "fault queue",
	[IOASID_OBJ_HW_QUEUE] = "hw queue",
};

int kernel_destroy_listed(struct kernel_be *be, uint32_t id,
			  enum ioasid_obj_type type)
{
	struct kernel_obj *o = kernel_obj_find(be, id, type);
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
	int rc;

	/* iommufd has no typed destroy: only what this context allocated
	 * is known to be of @type. */
	if (!o)
		return ioasid_fail(-ENOENT,
				   "%s %u does not exist (among the objects this context allocated)",
				   obj_names[type], id);
	if (type == IOASID_OBJ_FAULT && o->hwpts)
		/* The kernel would say EBUSY too, but only after the fd is
		 * closed (an open fd holds the queue as well). */
		return ioasid_fail(-EBUSY,
				   "fault queue %u is in use by %u hwpt%s: destroy them first",
				   id, o->hwpts, o->hwpts == 1 ? "" : "s");
	/* The queue's fd holds a reference on it: close it first. */
	if (o->fd >= 0) {
		close(o->fd);
		o->fd = -1;
	}
	rc = kernel_ioctl(be->fd, IOMMU_DESTROY, &cmd);
	if (rc == -EBUSY)
		return ioasid_fail(rc, "IOMMU_DESTROY %s %u: %s: %s", obj_names[type],
				   id, strerror(-rc),
				   type == IOASID_OBJ_VIOMMU
					   ? "nested HWPTs, vDEVICEs, vEVENTQs, HW queues or an mmap of its MMIO region still use it"
				   : o->type == IOASID_OBJ_VEVENTQ || o->type == IOASID_OBJ_FAULT
					   ? "something else holds it (a duplicate of its fd?); its fd is closed now"
					   : "it is in use");
	if (rc == -ENOENT) {
		/* Gone already (a vDEVICE whose device was destroyed). */
		kernel_obj_unlink(be, o);
		return ioasid_fail(rc, "IOMMU_DESTROY %s %u: %s", obj_names[type],
				   id, strerror(-rc));
	}
	if (rc)
		return kernel_fail(be, rc, FEAT(IOMMUFD), 0, "IOMMU_DESTROY %s %u",
				   obj_names[type], id);
	kernel_obj_unlink(be, o);
	return 0;
}
