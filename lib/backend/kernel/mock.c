// SPDX-License-Identifier: MIT
/*
 * The kernel backend's CONFIG_IOMMUFD_TEST mock devices (kernel.h): a
 * device named "mock" or "mockN[:FLAG,...]" is created with
 * IOMMU_TEST_OP_MOCK_DOMAIN on a private IOAS and moved between HWPTs with
 * IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE; plus the selftest's checks and the
 * test hooks (dirty bits, page faults, vEVENTs, the mock IOTLB).  The
 * command ABI is iommufd-test-abi.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kernel-internal.h"

int kernel_test_cmd(struct kernel_be *be, struct ioasid_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return kernel_ioctl(be->fd, IOASID_TEST_CMD, cmd);
}

/* ------------------------------------------------------------------ */
/* Mock devices                                                         */

static void mock_ioas_put(struct kernel_be *be)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = be->mock_ioas };

	if (--be->mock_users)
		return;
	if (kernel_ioctl(be->fd, IOMMU_DESTROY, &cmd))
		ioasid_log(IOASID_WARN, "IOMMU_DESTROY of the mock devices' ioas %u: %s",
			   be->mock_ioas, strerror(errno));
	else
		krec_ioas_destroyed(be, be->mock_ioas);
	be->mock_ioas = 0;
}

static int mock_ioas_get(struct kernel_be *be)
{
	int rc;

	if (be->mock_users) {
		be->mock_users++;
		return 0;
	}
	rc = kernel_ioas_alloc(be, &be->mock_ioas);
	if (rc)
		return rc;
	be->mock_users = 1;
	return 0;
}

void kernel_mock_unbind(struct kernel_be *be, struct kernel_dev *dev)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = dev->stdev_id };

	if (kernel_ioctl(be->fd, IOMMU_DESTROY, &cmd))
		ioasid_log(IOASID_WARN, "IOMMU_DESTROY mock device %s (object %u): %s",
			   dev->name, dev->stdev_id, strerror(errno));
	/* Destroying the mock device detached it. */
	krec_dev_on(be, dev, 0, 0);
	if (dev->park_hwpt) {
		cmd.id = dev->park_hwpt;
		if (kernel_ioctl(be->fd, IOMMU_DESTROY, &cmd))
			ioasid_log(IOASID_WARN,
				   "IOMMU_DESTROY hwpt %u (where mock device %s rested): %s",
				   dev->park_hwpt, dev->name, strerror(errno));
		krec_hwpt_del(be, dev->park_hwpt);
		dev->park_hwpt = 0;
	}
	dev->bound = false;
	mock_ioas_put(be);
}

int kernel_mock_bind(struct kernel_be *be, struct kernel_dev *dev,
		     uint32_t *dev_id)
{
	struct ioasid_test_cmd cmd = {
		.op = dev->mock_flags ? IOASID_TEST_OP_MOCK_DOMAIN_FLAGS
				      : IOASID_TEST_OP_MOCK_DOMAIN,
		.mock_domain = { .dev_flags = dev->mock_flags },
	};
	int rc = mock_ioas_get(be);

	if (rc)
		return rc;
	cmd.id = be->mock_ioas;
	rc = kernel_test_cmd(be, &cmd);
	if (rc) {
		mock_ioas_put(be);
		return kernel_fail(be, rc, dev->mock_flags ? FEAT(TEST_FLAGS) : FEAT(TEST), 0,
				   "%s ioas %u dev_flags 0x%x (creating mock device %s)",
				   dev->mock_flags ? "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS"
				   : "IOMMU_TEST_OP_MOCK_DOMAIN",
				   cmd.id, dev->mock_flags, dev->name);
	}
	dev->stdev_id = cmd.mock_domain.out_stdev_id;
	dev->dev_id = cmd.mock_domain.out_idev_id;
	dev->bound = true;
	krec_dev_on(be, dev, cmd.mock_domain.out_hwpt_id, be->mock_ioas);
	if (dev->mock_flags & IOASID_TEST_MOCK_DEV_PASID) {
		/* MOCK_DOMAIN put the RID on the IOAS's automatic HWPT,
		 * made without IOMMU_HWPT_ALLOC_PASID, and while the RID is
		 * on a HWPT that is not PASID-compatible the kernel refuses
		 * every PASID attach (iommufd_hwpt_pasid_compat()).  A real
		 * detached device has no RID domain, so nothing stops its
		 * PASIDs: park the mock on a PASID-compatible HWPT to match. */
		rc = kernel_hwpt_alloc(be, dev->dev_id, be->mock_ioas,
				       IOMMU_HWPT_ALLOC_PASID, &dev->park_hwpt);
		if (rc == 0)
			rc = kernel_mock_replace(be, dev, dev->park_hwpt, NULL,
						 "parking");
		if (rc) {
			kernel_mock_unbind(be, dev);
			return rc;
		}
	}
	*dev_id = dev->dev_id;
	return 0;
}

int kernel_mock_replace(struct kernel_be *be, struct kernel_dev *dev,
			uint32_t pt_id, uint32_t *hwpt_id, const char *why)
{
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = dev->stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc && rc != -ENOTTY &&
	    kexplain_attach(be, rc, "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE", dev, pt_id))
		return rc;
	if (rc)
		return kernel_fail(be, rc, FEAT(TEST_REPLACE), HINT_PIN,
				   "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE mock %u pt %u (%s mock device %s)",
				   dev->stdev_id, pt_id, why, dev->name);
	krec_dev_on(be, dev, cmd.mock_domain_replace.pt_id, pt_id);
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain_replace.pt_id;
	return 0;
}

int kernel_mock_pasid_attach(struct kernel_be *be, struct kernel_dev *dev,
			     uint32_t pasid, uint32_t pt_id, bool replace,
			     uint32_t *hwpt_id)
{
	struct ioasid_test_cmd cmd = {
		.op = replace ? IOASID_TEST_OP_PASID_REPLACE
			      : IOASID_TEST_OP_PASID_ATTACH,
		.id = dev->stdev_id,
		.pasid_attach = { .pasid = pasid, .pt_id = pt_id },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc) {
		char what[160];

		snprintf(what, sizeof(what),
			 "%s mock %u pasid %u pt %u (mock device %s)",
			 replace ? "IOMMU_TEST_OP_PASID_REPLACE"
				 : "IOMMU_TEST_OP_PASID_ATTACH",
			 dev->stdev_id, pasid, pt_id, dev->name);
		if (rc == -EINVAL && kernel_pasid_einval(be, what))
			return -EINVAL;
		return kernel_fail(be, rc, FEAT(TEST_PASID), 0, "%s", what);
	}
	/* The test op leaves pt_id as given or names the HWPT. */
	*hwpt_id = cmd.pasid_attach.pt_id;
	return 0;
}

int kernel_mock_pasid_detach(struct kernel_be *be, struct kernel_dev *dev,
			     uint32_t pasid)
{
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_PASID_DETACH,
		.id = dev->stdev_id,
		.pasid_detach = { .pasid = pasid },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(TEST_PASID), 0,
				   "IOMMU_TEST_OP_PASID_DETACH mock %u pasid %u (mock device %s)",
				   dev->stdev_id, pasid, dev->name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Checks of the selftest                                               */

uint32_t ioasid_kernel_mock_stdev_id(void *bdev)
{
	struct kernel_dev *dev = bdev;

	return dev && dev->kind == IOASID_DEV_MOCK && dev->bound ? dev->stdev_id : 0;
}

int ioasid_kernel_mock_add_reserved(void *be_, uint32_t ioas_id,
				    uint64_t start, uint64_t length)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_ADD_RESERVED,
		.id = ioas_id,
		.add_reserved = { .start = start, .length = length },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(TEST), 0,
				   "IOMMU_TEST_OP_ADD_RESERVED ioas %u start 0x%llx length 0x%llx",
				   ioas_id, (unsigned long long)start,
				   (unsigned long long)length);
	return 0;
}

int ioasid_kernel_mock_check_map(void *be_, uint32_t hwpt_id, uint64_t iova,
				 uint64_t length, const void *va)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova, .length = length,
			       .uptr = (uintptr_t)va },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(TEST), 0,
				   "IOMMU_TEST_OP_MD_CHECK_MAP hwpt %u iova 0x%llx length 0x%llx va %p",
				   hwpt_id, (unsigned long long)iova,
				   (unsigned long long)length, va);
	return 0;
}

int ioasid_kernel_mock_check_refs(void *be_, const void *va, uint64_t length,
				  uint32_t refs)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = length, .uptr = (uintptr_t)va,
				.refs = refs },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(TEST), 0,
				   "IOMMU_TEST_OP_MD_CHECK_REFS va %p length 0x%llx refs %u",
				   va, (unsigned long long)length, refs);
	return 0;
}

int ioasid_kernel_mock_pasid_check(void *be, void *bdev, uint32_t pasid,
				   uint32_t hwpt_id)
{
	struct kernel_dev *dev = bdev;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_PASID_CHECK_HWPT,
		.id = dev->stdev_id,
		.pasid_check = { .pasid = pasid, .hwpt_id = hwpt_id },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(TEST_PASID), 0,
				   "IOMMU_TEST_OP_PASID_CHECK_HWPT mock %u pasid %u hwpt %u (mock device %s)",
				   dev->stdev_id, pasid, hwpt_id, dev->name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Test hooks                                                           */

int kernel_test_dirty(void *be_, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, uint64_t page_size,
		      const uint64_t *bitmap, uint64_t *nr_dirty)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_DIRTY,
		.id = hwpt_id,
		.dirty = { .iova = iova, .length = length,
			   .page_size = page_size, .uptr = (uintptr_t)bitmap },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_TEST_OP_DIRTY hwpt %u iova 0x%llx length 0x%llx page_size 0x%llx: %s: the range is not page-aligned, or the mock HWPT is not tracking dirty pages",
				   hwpt_id, (unsigned long long)iova,
				   (unsigned long long)length,
				   (unsigned long long)page_size, strerror(-rc));
	if (rc)
		return kernel_fail(be, rc, FEAT(TEST_DIRTY), 0,
				   "IOMMU_TEST_OP_DIRTY hwpt %u iova 0x%llx length 0x%llx page_size 0x%llx",
				   hwpt_id, (unsigned long long)iova,
				   (unsigned long long)length,
				   (unsigned long long)page_size);
	*nr_dirty = cmd.dirty.out_nr_dirty;
	return 0;
}

int kernel_test_iopf(void *be_, uint32_t dev_id, uint32_t pasid,
		     uint32_t grpid, uint32_t perm, uint64_t addr)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = dev_id, .pasid = pasid,
				  .grpid = grpid, .perm = perm, .addr = addr },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc)
		return kernel_fail(be, rc, FEAT(TEST_IOPF), 0,
				   "IOMMU_TEST_OP_TRIGGER_IOPF dev %u pasid %u grpid %u perm 0x%x addr 0x%llx",
				   dev_id, pasid, grpid, perm, (unsigned long long)addr);
	return 0;
}

int kernel_test_vevent(void *be_, uint32_t dev_id)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = dev_id },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc == -ENOENT)
		return ioasid_fail(rc,
				   "IOMMU_TEST_OP_TRIGGER_VEVENT dev %u: %s: the device has no vDEVICE",
				   dev_id, strerror(-rc));
	if (rc == -EOPNOTSUPP && !kernel_older(be, FEAT(TEST_VEVENT)))
		return ioasid_fail(rc,
				   "IOMMU_TEST_OP_TRIGGER_VEVENT dev %u: %s: the vIOMMU has no selftest vEVENTQ",
				   dev_id, strerror(-rc));
	if (rc)
		return kernel_fail(be, rc, FEAT(TEST_VEVENT), 0,
				   "IOMMU_TEST_OP_TRIGGER_VEVENT dev %u", dev_id);
	return 0;
}

int kernel_test_check_iotlb(void *be_, uint32_t hwpt_id, uint32_t index,
			    uint32_t value)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .index = index, .value = value },
	};
	int rc = kernel_test_cmd(be, &cmd);

	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_TEST_OP_MD_CHECK_IOTLB hwpt %u: iotlb[%u] does not hold 0x%x (or the index is above 3)",
				   hwpt_id, index, value);
	if (rc)
		return kernel_fail(be, rc, FEAT(TEST_IOTLB), 0,
				   "IOMMU_TEST_OP_MD_CHECK_IOTLB hwpt %u index %u value 0x%x",
				   hwpt_id, index, value);
	return 0;
}
