// SPDX-License-Identifier: MIT
/*
 * The kernel backend's iommufd ioctls on IOAS and HWPT objects: allocate,
 * map (memory or a file), unmap, copy, usable ranges and allowed IOVAs,
 * typed destroy, HWPTs (paging and nested), invalidation, dirty tracking,
 * IOMMU_GET_HW_INFO and IOMMU_OPTION; and the list of objects this
 * context allocated, which iommufd cannot be asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-internal.h"

/* The public range struct is handed to the kernel as is. */
_Static_assert(sizeof(struct ioasid_iova_range) == sizeof(struct iommu_iova_range) &&
		       offsetof(struct ioasid_iova_range, last) ==
			       offsetof(struct iommu_iova_range, last),
	       "struct ioasid_iova_range must match struct iommu_iova_range");

/* The public values are the uAPI's, handed through as they are. */
_Static_assert(IOASID_HWPT_ALLOC_NEST_PARENT == IOMMU_HWPT_ALLOC_NEST_PARENT &&
		       IOASID_HWPT_ALLOC_DIRTY_TRACKING == IOMMU_HWPT_ALLOC_DIRTY_TRACKING &&
		       IOASID_HWPT_ALLOC_FAULT_ID_VALID == IOMMU_HWPT_FAULT_ID_VALID &&
		       IOASID_HWPT_ALLOC_PASID == IOMMU_HWPT_ALLOC_PASID,
	       "IOASID_HWPT_ALLOC_* must be the uAPI's flags");
_Static_assert(IOASID_HWPT_DATA_VTD_S1 == IOMMU_HWPT_DATA_VTD_S1 &&
		       IOASID_HWPT_DATA_ARM_SMMUV3 == IOMMU_HWPT_DATA_ARM_SMMUV3 &&
		       IOASID_INVALIDATE_DATA_VTD_S1 == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 &&
		       IOASID_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3 ==
			       IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
	       "IOASID_HWPT_DATA_* / IOASID_INVALIDATE_DATA_* must be the uAPI's");
_Static_assert(IOASID_VIOMMU_TYPE_ARM_SMMUV3 == IOMMU_VIOMMU_TYPE_ARM_SMMUV3 &&
		       IOASID_VEVENTQ_TYPE_ARM_SMMUV3 == IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 &&
		       IOASID_VEVENTQ_TYPE_TEGRA241_CMDQV ==
			       IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV,
	       "IOASID_VIOMMU_TYPE_* / IOASID_VEVENTQ_TYPE_* must be the uAPI's");
_Static_assert(IOASID_VEVENT_LOST_EVENTS == IOMMU_VEVENTQ_FLAG_LOST_EVENTS &&
		       IOASID_FAULT_PASID_VALID == IOMMU_PGFAULT_FLAGS_PASID_VALID &&
		       IOASID_FAULT_LAST_PAGE == IOMMU_PGFAULT_FLAGS_LAST_PAGE &&
		       IOASID_FAULT_PERM_READ == IOMMU_PGFAULT_PERM_READ &&
		       IOASID_FAULT_PERM_PRIV == IOMMU_PGFAULT_PERM_PRIV &&
		       IOASID_FAULT_RESP_INVALID == IOMMUFD_PAGE_RESP_INVALID &&
		       IOASID_DIRTY_NO_CLEAR == IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
	       "event, fault and dirty flags must be the uAPI's");

/* The HWPT allocation flags and the features they are. */
static const struct {
	uint32_t flag;
	const struct kfeature *feature;
} hwpt_flag_features[] = {
	{ IOMMU_HWPT_ALLOC_NEST_PARENT, FEAT(HWPT_NEST_PARENT) },
	{ IOMMU_HWPT_ALLOC_DIRTY_TRACKING, FEAT(HWPT_DIRTY_TRACKING) },
	{ IOMMU_HWPT_FAULT_ID_VALID, FEAT(HWPT_FAULT_ID) },
	{ IOMMU_HWPT_ALLOC_PASID, FEAT(HWPT_PASID) },
};

/* ------------------------------------------------------------------ */
/* IOAS and HWPT                                                        */

int kernel_ioas_alloc(void *be_, uint32_t *ioas_id)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_ALLOC, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(IOMMUFD), 0, "IOMMU_IOAS_ALLOC");
	krec_ioas_alloc(be, cmd.out_ioas_id);
	*ioas_id = cmd.out_ioas_id;
	return 0;
}

/* IOMMU_IOAS_IOVA_RANGES asking for no ranges: ENOENT unless @id is an
 * IOAS, and it only reads.  Return: 1 IOAS, 0 not, or a negative errno. */
static int probe_ioas(struct kernel_be *be, uint32_t id)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	if (rc == 0 || rc == -EMSGSIZE)
		return 1;
	if (rc == -ENOENT)
		return 0;
	return kernel_fail(be, rc, FEAT(IOMMUFD), 0,
			   "IOMMU_IOAS_IOVA_RANGES ioas %u (type check before destroy)", id);
}

/* IOMMU_HWPT_GET_DIRTY_BITMAP with length 0 and NO_CLEAR: ENOENT unless
 * @id is a paging HWPT; otherwise iommufd_check_iova_range() rejects the
 * zero length with EINVAL before any bit is read or cleared.  Return: 1
 * HWPT, 0 not, or a negative errno. */
static int probe_hwpt(struct kernel_be *be, uint32_t id)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);

	if (rc == -ENOENT)
		return 0;
	if (rc == -EINVAL)
		return 1;
	if (rc == -ENOTTY)
		return ioasid_fail(-EOPNOTSUPP,
				   "destroying hwpt %u: the running kernel (%s) does not have %s, which needs Linux %u.%u or later",
				   id, be->release[0] ? be->release : "unknown",
				   FEAT(DIRTY_BITMAP)->what, FEAT(DIRTY_BITMAP)->major,
				   FEAT(DIRTY_BITMAP)->minor);
	return kernel_fail(be, rc ? rc : -EIO, NULL, 0,
			   "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt %u length 0 (type check before destroy) unexpectedly %s",
			   id, rc ? "failed" : "succeeded");
}

int kernel_destroy(void *be_, uint32_t id, enum ioasid_obj_type type)
{
	struct kernel_be *be = be_;
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
	const char *name = type == IOASID_OBJ_IOAS ? "ioas" : "hwpt";
	int rc;

	if (type != IOASID_OBJ_IOAS && type != IOASID_OBJ_HWPT)
		return kernel_destroy_listed(be, id, type);
	rc = type == IOASID_OBJ_IOAS ? probe_ioas(be, id) : probe_hwpt(be, id);
	if (rc < 0) {
		errno = -rc;
		return rc;
	}
	/* The probe finds paging HWPTs only: a nested one is known by the
	 * object list. */
	if (rc == 0 && type == IOASID_OBJ_HWPT && kernel_obj_is_nested_hwpt(be, id))
		rc = 1;
	if (rc == 0)
		return kexplain_missing(be, -ENOENT,
					type == IOASID_OBJ_IOAS ? "IOMMU_IOAS_IOVA_RANGES"
								: "IOMMU_HWPT_GET_DIRTY_BITMAP",
					id, name);
	rc = kernel_ioctl(be->fd, IOMMU_DESTROY, &cmd);
	if (rc == -EBUSY && kexplain_destroy_busy(be, id, type))
		return rc;
	if (rc == -EBUSY)
		return ioasid_fail(rc, "IOMMU_DESTROY %s %u: %s: %s", name, id,
				   strerror(-rc),
				   type == IOASID_OBJ_IOAS
					   ? "a device or HWPT still uses it"
					   : "a device is attached to it");
	if (rc)
		return kernel_fail(be, rc, FEAT(IOMMUFD), 0, "IOMMU_DESTROY %s %u", name, id);
	if (type == IOASID_OBJ_HWPT) {
		kernel_obj_forget_hwpt(be, id);
		krec_hwpt_del(be, id);
	} else {
		krec_ioas_destroyed(be, id);
	}
	return 0;
}

static uint32_t map_flags(uint32_t flags)
{
	uint32_t out = 0;

	if (flags & IOASID_MAP_READ)
		out |= IOMMU_IOAS_MAP_READABLE;
	if (flags & IOASID_MAP_WRITE)
		out |= IOMMU_IOAS_MAP_WRITEABLE;
	if (!(flags & IOASID_MAP_ANY_IOVA))
		out |= IOMMU_IOAS_MAP_FIXED_IOVA;
	return out;
}

/* " iova 0x..." or " iova any" for messages. */
static const char *iova_str(char buf[32], uint32_t flags, uint64_t iova)
{
	if (flags & IOASID_MAP_ANY_IOVA)
		return " iova any";
	snprintf(buf, 32, " iova 0x%llx", (unsigned long long)iova);
	return buf;
}

int kernel_ioas_map(void *be_, uint32_t ioas_id, uint32_t flags,
		    uint64_t va, uint64_t length, uint64_t *iova)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = map_flags(flags),
		.ioas_id = ioas_id,
		.user_va = va,
		.length = length,
		.iova = *iova,
	};
	char buf[32];
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_MAP, &cmd);

	if (rc && kexplain_map(be, rc, "IOMMU_IOAS_MAP", ioas_id, flags, -1, va,
			       length, *iova))
		return rc;
	if (rc)
		return kernel_fail(be, rc, FEAT(IOMMUFD), HINT_PIN,
				   "IOMMU_IOAS_MAP ioas %u%s length 0x%llx va 0x%llx",
				   ioas_id, iova_str(buf, flags, *iova),
				   (unsigned long long)length, (unsigned long long)va);
	krec_mapped_va(be, ioas_id, cmd.iova, length, flags, va);
	*iova = cmd.iova;
	return 0;
}

int kernel_ioas_map_file(void *be_, uint32_t ioas_id, uint32_t flags,
			 int fd, uint64_t start, uint64_t length,
			 uint64_t *iova)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = map_flags(flags),
		.ioas_id = ioas_id,
		.fd = fd,
		.start = start,
		.length = length,
		.iova = *iova,
	};
	char buf[32];
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_MAP_FILE, &cmd);

	/* ENOTTY is the kernel's age (kernel_fail() names it). */
	if (rc && rc != -ENOTTY &&
	    kexplain_map(be, rc, "IOMMU_IOAS_MAP_FILE", ioas_id, flags, fd, start,
			 length, *iova))
		return rc;
	if (rc)
		return kernel_fail(be, rc, FEAT(MAP_FILE), HINT_PIN,
				   "IOMMU_IOAS_MAP_FILE ioas %u%s length 0x%llx fd %d start 0x%llx",
				   ioas_id, iova_str(buf, flags, *iova),
				   (unsigned long long)length, fd,
				   (unsigned long long)start);
	krec_mapped_file(be, ioas_id, cmd.iova, length, flags, fd, start);
	*iova = cmd.iova;
	return 0;
}

int kernel_ioas_unmap(void *be_, uint32_t ioas_id, uint64_t iova,
		      uint64_t length, uint64_t *unmapped)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_UNMAP, &cmd);

	if (rc && kexplain_unmap(be, rc, ioas_id, iova, length))
		return rc;
	if (rc) {
		struct kernel_ioas *rec = krec_ioas(be, ioas_id, false);

		/* An unmap that failed on the way may have unmapped some. */
		if (rec && rc != -ENOENT && rc != -EINVAL && rc != -EOVERFLOW)
			rec->complete = false;
		if (iova == 0 && length == UINT64_MAX)
			return kernel_fail(be, rc, FEAT(IOMMUFD), 0,
					   "IOMMU_IOAS_UNMAP ioas %u all", ioas_id);
		return kernel_fail(be, rc, FEAT(IOMMUFD), 0,
				   "IOMMU_IOAS_UNMAP ioas %u iova 0x%llx length 0x%llx",
				   ioas_id, (unsigned long long)iova,
				   (unsigned long long)length);
	}
	krec_unmapped(be, ioas_id, iova, length, cmd.length);
	if (unmapped)
		*unmapped = cmd.length;
	return 0;
}

int kernel_ioas_copy(void *be_, uint32_t dst_ioas, uint32_t src_ioas,
		     uint32_t flags, uint64_t length,
		     uint64_t *dst_iova, uint64_t src_iova)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = map_flags(flags),
		.dst_ioas_id = dst_ioas,
		.src_ioas_id = src_ioas,
		.length = length,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	char buf[32];
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_COPY, &cmd);

	if (rc && kexplain_copy(be, rc, dst_ioas, src_ioas, flags, length,
				*dst_iova, src_iova))
		return rc;
	if (rc)
		return kernel_fail(be, rc, FEAT(IOMMUFD), HINT_PIN,
				   "IOMMU_IOAS_COPY ioas %u%s from ioas %u iova 0x%llx length 0x%llx",
				   dst_ioas, iova_str(buf, flags, *dst_iova), src_ioas,
				   (unsigned long long)src_iova,
				   (unsigned long long)length);
	krec_copied(be, dst_ioas, cmd.dst_iova, src_ioas, src_iova, length,
		    flags);
	*dst_iova = cmd.dst_iova;
	return 0;
}

/* One call: on EMSGSIZE the kernel has filled the first *@num entries,
 * the count and the alignment, which is the public contract; callers
 * wanting everything call again with a bigger array. */
int kernel_ioas_iova_ranges(void *be_, uint32_t ioas_id,
			    struct ioasid_iova_range *ranges,
			    uint32_t *num, uint64_t *alignment)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = ranges ? *num : 0,
		.allowed_iovas = (uintptr_t)ranges,
	};
	uint32_t room = cmd.num_iovas;
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	if (rc && rc != -EMSGSIZE && kexplain_ranges(be, rc, ioas_id))
		return rc;
	if (rc && rc != -EMSGSIZE)
		return kernel_fail(be, rc, FEAT(IOMMUFD), 0,
				   "IOMMU_IOAS_IOVA_RANGES ioas %u num %u", ioas_id,
				   room);
	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	if (rc)
		return ioasid_fail(rc, "ioas %u has %u IOVA ranges, the array holds %u",
				   ioas_id, cmd.num_iovas, room);
	return 0;
}

int kernel_ioas_allow_iovas(void *be_, uint32_t ioas_id,
			    const struct ioasid_iova_range *ranges,
			    uint32_t num)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);

	if (rc && kexplain_allow(be, rc, ioas_id, ranges, num))
		return rc;
	if (rc) {
		char list[160] = "";
		size_t used = 0;

		for (uint32_t i = 0; i < num && used < sizeof(list) - 40; i++)
			used += snprintf(list + used, sizeof(list) - used,
					 " 0x%llx-0x%llx",
					 (unsigned long long)ranges[i].start,
					 (unsigned long long)ranges[i].last);
		return kernel_fail(be, rc, FEAT(IOMMUFD), 0,
				   "IOMMU_IOAS_ALLOW_IOVAS ioas %u num %u%s%s", ioas_id,
				   num, list, used >= sizeof(list) - 40 ? " ..." : "");
	}
	krec_allowed(be, ioas_id, ranges, num);
	return 0;
}

/* The name of bound device @dev_id, or NULL. */
static const char *dev_name(const struct kernel_be *be, uint32_t dev_id)
{
	for (const struct kernel_dev *d = be->devs; d; d = d->next)
		if (d->bound && d->dev_id == dev_id)
			return d->name;
	return NULL;
}

int kernel_hwpt_alloc(void *be_, uint32_t dev_id, uint32_t pt_id,
		      uint32_t flags, uint32_t *hwpt_id)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	const struct kfeature *feat = FEAT(HWPT_ALLOC);
	int rc = kernel_ioctl(be->fd, IOMMU_HWPT_ALLOC, &cmd);

	if (rc && kexplain_hwpt_alloc(be, rc, dev_id, pt_id))
		return rc;
	if (rc) {
		/* The call exists but a flag is the problem: name the
		 * newest flag asked for. */
		if (rc == -EOPNOTSUPP || rc == -E2BIG || rc == -EINVAL) {
			for (size_t i = 0; i < ARRAY_SIZE(hwpt_flag_features); i++)
				if (flags & hwpt_flag_features[i].flag)
					feat = hwpt_flag_features[i].feature;
		}
		if (rc == -EINVAL && feat == FEAT(HWPT_ALLOC))
			feat = NULL;
		return kernel_fail(be, rc, rc == -EINVAL ? NULL : feat, 0,
				   "IOMMU_HWPT_ALLOC dev %u pt %u flags 0x%x", dev_id,
				   pt_id, flags);
	}
	krec_hwpt_add(be, cmd.out_hwpt_id, pt_id, 0, false, dev_name(be, dev_id));
	krec_hwpt_flags(be, cmd.out_hwpt_id, flags);
	*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* IOMMU_GET_HW_INFO and IOMMU_OPTION                                   */

int kernel_hw_info(void *be_, uint32_t dev_id,
		   struct ioasid_hw_info *info, void *data,
		   uint32_t *data_len)
{
	struct kernel_be *be = be_;
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = *data_len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_GET_HW_INFO, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(GET_HW_INFO), 0,
				   "IOMMU_GET_HW_INFO dev %u data_len %u", dev_id,
				   *data_len);
	*data_len = cmd.data_len;
	info->type = cmd.out_data_type;
	info->max_pasid_log2 = cmd.out_max_pasid_log2;
	info->capabilities = cmd.out_capabilities;
	return 0;
}

static const char *option_name(uint32_t option)
{
	return option == IOASID_OPTION_RLIMIT_MODE ? "RLIMIT_MODE"
	       : option == IOASID_OPTION_HUGE_PAGES ? "HUGE_PAGES"
						    : "?";
}

int kernel_option(void *be_, bool set, uint32_t option,
		  uint32_t object_id, uint64_t *val)
{
	struct kernel_be *be = be_;
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option == IOASID_OPTION_RLIMIT_MODE
				     ? IOMMU_OPTION_RLIMIT_MODE
				     : IOMMU_OPTION_HUGE_PAGES,
		.op = set ? IOMMU_OPTION_OP_SET : IOMMU_OPTION_OP_GET,
		.object_id = object_id,
		.val64 = set ? *val : 0,
	};
	int rc;

	if (option != IOASID_OPTION_RLIMIT_MODE &&
	    option != IOASID_OPTION_HUGE_PAGES)
		return ioasid_fail(-EINVAL, "unknown iommufd option %u", option);
	rc = kernel_ioctl(be->fd, IOMMU_OPTION, &cmd);
	if (rc == -EPERM && option == IOASID_OPTION_RLIMIT_MODE)
		return ioasid_fail(rc, "IOMMU_OPTION SET RLIMIT_MODE %llu: %s: changing the accounting mode needs CAP_SYS_RESOURCE; have a privileged manager set it on the fd it passes in",
				   (unsigned long long)*val, strerror(-rc));
	if (rc == -EBUSY && option == IOASID_OPTION_RLIMIT_MODE)
		return ioasid_fail(rc, "IOMMU_OPTION SET RLIMIT_MODE %llu: the iommufd already holds objects; set the mode first",
				   (unsigned long long)*val);
	if (rc && set)
		return kernel_fail(be, rc, FEAT(IOMMUFD), 0,
				   "IOMMU_OPTION SET %s object %u val %llu",
				   option_name(option), object_id,
				   (unsigned long long)*val);
	if (rc)
		return kernel_fail(be, rc, FEAT(IOMMUFD), 0, "IOMMU_OPTION GET %s object %u",
				   option_name(option), object_id);
	if (!set)
		*val = cmd.val64;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The objects this context allocated                                   */

struct kernel_obj *kernel_obj_find(const struct kernel_be *be, uint32_t id,
				   enum ioasid_obj_type type)
{
	for (struct kernel_obj *o = be->objs; o; o = o->next)
		if (o->id == id && o->type == type)
			return o;
	return NULL;
}

int kernel_obj_add(struct kernel_be *be, uint32_t id, enum ioasid_obj_type type,
		   int fd, struct kernel_obj **out)
{
	struct kernel_obj *o = calloc(1, sizeof(*o));

	if (!o)
		return ioasid_fail(-ENOMEM, "out of memory");
	o->id = id;
	o->type = type;
	o->fd = fd;
	o->next = be->objs;
	be->objs = o;
	if (out)
		*out = o;
	return 0;
}

void kernel_obj_unlink(struct kernel_be *be, struct kernel_obj *obj)
{
	for (struct kernel_obj **p = &be->objs; *p; p = &(*p)->next)
		if (*p == obj) {
			*p = obj->next;
			break;
		}
	if (obj->fd >= 0)
		close(obj->fd);
	free(obj);
}

void kernel_obj_undo_alloc(struct kernel_be *be, uint32_t id, int fd)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	if (fd >= 0)
		close(fd);
	if (kernel_ioctl(be->fd, IOMMU_DESTROY, &cmd))
		ioasid_log(IOASID_WARN, "IOMMU_DESTROY %u after a failure: %s", id,
			   strerror(errno));
}

bool kernel_obj_is_nested_hwpt(const struct kernel_be *be, uint32_t id)
{
	const struct kernel_obj *o = kernel_obj_find(be, id, IOASID_OBJ_HWPT);

	return o && o->nested;
}

void kernel_obj_forget_hwpt(struct kernel_be *be, uint32_t hwpt_id)
{
	struct kernel_obj *o = kernel_obj_find(be, hwpt_id, IOASID_OBJ_HWPT);
	struct kernel_obj *f;

	if (!o)
		return;
	if (o->fault_id && (f = kernel_obj_find(be, o->fault_id, IOASID_OBJ_FAULT)))
		f->hwpts--;
	kernel_obj_unlink(be, o);
}

void kernel_obj_forget_dev(struct kernel_be *be, uint32_t dev_id)
{
	for (struct kernel_obj *o = be->objs, *next; o; o = next) {
		next = o->next;
		if (o->type == IOASID_OBJ_VDEVICE && o->dev_id == dev_id)
			kernel_obj_unlink(be, o);
	}
}

void kernel_obj_close_all(struct kernel_be *be)
{
	while (be->objs)
		kernel_obj_unlink(be, be->objs);
}

/* ------------------------------------------------------------------ */
/* Nested HWPTs, invalidation, dirty tracking                           */

/* The newest feature a HWPT allocation asks for, for its errors. */
static const struct kfeature *hwpt_user_feature(const struct ioasid_hwpt_user_args *a)
{
	const struct kfeature *feat = FEAT(HWPT_ALLOC);

	if (a->data_type != IOMMU_HWPT_DATA_NONE)
		feat = FEAT(NESTED);
	for (size_t i = 0; i < ARRAY_SIZE(hwpt_flag_features); i++)
		if ((a->flags & hwpt_flag_features[i].flag) &&
		    (hwpt_flag_features[i].feature->major > feat->major ||
		     (hwpt_flag_features[i].feature->major == feat->major &&
		      hwpt_flag_features[i].feature->minor > feat->minor)))
			feat = hwpt_flag_features[i].feature;
	return feat;
}

int kernel_hwpt_alloc_user(void *be_, uint32_t dev_id, uint32_t pt_id,
			   const struct ioasid_hwpt_user_args *a,
			   uint32_t *hwpt_id)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = a->flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = a->data_type,
		.data_len = a->data_len,
		.data_uptr = (uintptr_t)a->data,
		.fault_id = (a->flags & IOMMU_HWPT_FAULT_ID_VALID) ? a->fault_id : 0,
	};
	struct kernel_obj *o = NULL;
	int rc = kernel_ioctl(be->fd, IOMMU_HWPT_ALLOC, &cmd);

	if (rc) {
		const struct kfeature *feat = hwpt_user_feature(a);

		if (rc == -ENOENT && (a->flags & IOMMU_HWPT_FAULT_ID_VALID))
			return ioasid_fail(rc,
					   "IOMMU_HWPT_ALLOC dev %u pt %u data type %#x fault %u: %s: no such device, parent or fault queue",
					   dev_id, pt_id, a->data_type, a->fault_id,
					   strerror(-rc));
		return kernel_fail(be, rc, rc == -EINVAL && !kernel_older(be, feat) ? NULL : feat,
				   0, "IOMMU_HWPT_ALLOC dev %u pt %u flags 0x%x data type %#x data_len %u",
				   dev_id, pt_id, a->flags, a->data_type, a->data_len);
	}
	rc = kernel_obj_add(be, cmd.out_hwpt_id, IOASID_OBJ_HWPT, -1, &o);
	if (rc) {
		kernel_obj_undo_alloc(be, cmd.out_hwpt_id, -1);
		return rc;
	}
	o->nested = a->data_type != IOMMU_HWPT_DATA_NONE;
	if (o->nested)
		krec_hwpt_add(be, cmd.out_hwpt_id, 0, pt_id, false, dev_name(be, dev_id));
	else
		krec_hwpt_add(be, cmd.out_hwpt_id, pt_id, 0, false, dev_name(be, dev_id));
	krec_hwpt_flags(be, cmd.out_hwpt_id, a->flags);
	if (a->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct kernel_obj *f = kernel_obj_find(be, a->fault_id, IOASID_OBJ_FAULT);

		o->fault_id = a->fault_id;
		if (f)
			f->hwpts++;
	}
	*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

int kernel_hwpt_invalidate(void *be_, uint32_t id, uint32_t data_type,
			   const void *entries, uint32_t entry_len,
			   uint32_t *entry_num)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)entries,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *entry_num,
	};
	uint32_t asked = *entry_num;
	int rc = kernel_ioctl(be->fd, IOMMU_HWPT_INVALIDATE, &cmd);

	/* The kernel writes back the handled count, failure or not; an
	 * ioctl that never ran (ENOTTY) handled nothing. */
	*entry_num = rc == -ENOTTY ? 0 : cmd.entry_num;
	if (rc)
		return kernel_fail(be, rc, FEAT(INVALIDATE), 0,
				   "IOMMU_HWPT_INVALIDATE %u data type %#x, %u entries of %u bytes",
				   id, data_type, asked, entry_len);
	return 0;
}

int kernel_set_dirty_tracking(void *be_, uint32_t hwpt_id, bool enable)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_id,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);

	if (rc == -EOPNOTSUPP && !kernel_older(be, FEAT(DIRTY)))
		return ioasid_fail(rc,
				   "IOMMU_HWPT_SET_DIRTY_TRACKING hwpt %u %s: %s: the HWPT was allocated without IOASID_HWPT_ALLOC_DIRTY_TRACKING, or its IOMMU cannot track",
				   hwpt_id, enable ? "on" : "off", strerror(-rc));
	if (rc)
		return kernel_fail(be, rc, FEAT(DIRTY), 0,
				   "IOMMU_HWPT_SET_DIRTY_TRACKING hwpt %u %s", hwpt_id,
				   enable ? "on" : "off");
	return 0;
}

int kernel_get_dirty_bitmap(void *be_, uint32_t hwpt_id, uint64_t iova,
			    uint64_t length, uint64_t page_size,
			    uint64_t *bitmap, uint32_t flags)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.flags = flags,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};
	int rc;

	/* The kernel's iova_bitmap takes page_size as a power of two and
	 * would write more bits than a caller sized the bitmap for: refuse
	 * any other, where the kernel checks page_size, after the HWPT. */
	if (page_size & (page_size - 1)) {
		if (probe_hwpt(be, hwpt_id) == 0)
			return ioasid_fail(-ENOENT, "hwpt %u does not exist", hwpt_id);
		/* A HWPT, or unknown (the probe failed): the size is wrong
		 * either way. */
		ioasid_clear_error();
		return ioasid_fail(-EINVAL, "page_size 0x%llx is not a power of two",
				   (unsigned long long)page_size);
	}
	rc = kernel_ioctl(be->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);

	if (rc == -EOPNOTSUPP && !kernel_older(be, FEAT(DIRTY)))
		return ioasid_fail(rc,
				   "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt %u: %s: the HWPT was allocated without IOASID_HWPT_ALLOC_DIRTY_TRACKING, or the flags 0x%x are unknown",
				   hwpt_id, strerror(-rc), flags);
	if (rc)
		return kernel_fail(be, rc, FEAT(DIRTY), 0,
				   "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt %u iova 0x%llx length 0x%llx page_size 0x%llx flags 0x%x",
				   hwpt_id, (unsigned long long)iova,
				   (unsigned long long)length,
				   (unsigned long long)page_size, flags);
	return 0;
}
