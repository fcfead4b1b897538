// SPDX-License-Identifier: MIT
/*
 * The public entry points, wrapped at link time (-Wl,--wrap=NAME for
 * every W_*() line below; the Makefile reads the names from this file):
 * each outermost call is one checked call of tests/fault/fault.h.  Calls
 * the library makes to its own entry points (lib/viommu to lib/core,
 * one core file to another) pass through as nested calls.
 *
 * Left out: functions that only read a handle or a constant and have no
 * failure points (versions, ioasid_errmsg, names and ids of a device,
 * ioasid_virtio_iommu_features).  A failure point outside every wrapped call
 * is reported by fault.c, so a missing entry point cannot go unseen.
 *
 * The prototypes are those of include/ioasid/: each wrapper is checked
 * against its function's declaration there (W_TYPECHECK), so a wrapper
 * that disagreed with its header would not compile.
 */
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include <ioasid/ioasid.h>
#include <ioasid/testing.h>
#include <ioasid/virtio-iommu.h>

#include "fault.h"

/* The status byte of a virtio-iommu reply: the first byte of the 4-byte
 * tail, which ends the used part. */
static int status_buf(int rc, const void *resp, size_t resp_len,
		      const uint32_t *used)
{
	if (rc || !used || *used < 4 || *used > resp_len || !resp)
		return -1;
	return ((const uint8_t *)resp)[*used - 4];
}

static int status_iov(int rc, const struct iovec *in, unsigned int in_num,
		      const uint32_t *used)
{
	size_t off;

	if (rc || !used || *used < 4 || !in)
		return -1;
	off = *used - 4;
	for (unsigned int i = 0; i < in_num; i++) {
		if (off < in[i].iov_len)
			return ((const uint8_t *)in[i].iov_base)[off];
		off -= in[i].iov_len;
	}
	return -1;
}

#define W_TYPECHECK(name)                                                   \
	static __typeof__(name) *const fault_check_##name                   \
		__attribute__((unused)) = __wrap_##name

#define W_CALL(kind, name, params, args, post, status)                      \
	int __real_##name params;                                           \
	int __wrap_##name params;                                           \
	W_TYPECHECK(name);                                                  \
	int __wrap_##name params                                            \
	{                                                                   \
		struct fault_call c;                                        \
		int rc;                                                     \
                                                                            \
		if (!fault_enter(&c, #name, kind)) {                        \
			rc = __real_##name args;                            \
			post;                                               \
			fault_nested_leave();                               \
			return rc;                                          \
		}                                                           \
		rc = __real_##name args;                                    \
		post;                                                       \
		if (fault_leave(&c, rc, status)) {                          \
			rc = __real_##name args;                            \
			post;                                               \
			fault_retried(&c, rc, status);                      \
		}                                                           \
		return rc;                                                  \
	}

#define W_INT(name, params, args) W_CALL(FC_INT, name, params, args, , 0)
#define W_INT_POST(name, params, args, post)                                \
	W_CALL(FC_INT, name, params, args, post, 0)
#define W_REQ_BUF(name, params, args)                                       \
	W_CALL(FC_REQ, name, params, args, ,                                \
	       status_buf(rc, resp, resp_len, used_len))
#define W_REQ_IOV(name, params, args)                                       \
	W_CALL(FC_REQ, name, params, args, ,                                \
	       status_iov(rc, in, in_num, used_len))

#define W_VOID_PRE(name, params, args, pre)                                 \
	void __real_##name params;                                          \
	void __wrap_##name params;                                          \
	W_TYPECHECK(name);                                                  \
	void __wrap_##name params                                           \
	{                                                                   \
		struct fault_call c;                                        \
                                                                            \
		if (!fault_enter(&c, #name, FC_VOID)) {                     \
			pre;                                                \
			__real_##name args;                                 \
			fault_nested_leave();                               \
			return;                                             \
		}                                                           \
		pre;                                                        \
		__real_##name args;                                         \
		fault_leave(&c, 0, 0);                                      \
	}
#define W_VOID(name, params, args) W_VOID_PRE(name, params, args, )

W_INT_POST(ioasid_ctx_open, (const struct ioasid_ctx_opts *opts, struct ioasid_ctx **ctxp),
	(opts, ctxp),
	if (rc == 0) fault_ctx_add(*ctxp))
W_INT_POST(ioasid_ctx_from_fd, (int fd, const struct ioasid_ctx_opts *opts, struct ioasid_ctx **ctxp),
	(fd, opts, ctxp),
	if (rc == 0) fault_ctx_add(*ctxp))
W_VOID_PRE(ioasid_ctx_close, (struct ioasid_ctx *ctx),
	(ctx),
	fault_ctx_del(ctx))
W_INT(ioasid_ctx_fd, (struct ioasid_ctx *ctx),
	(ctx))
W_INT(ioasid_ctx_set_rlimit_mode, (struct ioasid_ctx *ctx, enum ioasid_rlimit_mode mode),
	(ctx, mode))
W_INT(ioasid_ctx_get_rlimit_mode, (struct ioasid_ctx *ctx, enum ioasid_rlimit_mode *mode),
	(ctx, mode))
W_INT(ioasid_dev_info_at, (struct ioasid_ctx *ctx, uint32_t index, struct ioasid_dev_info *info),
	(ctx, index, info))
W_INT(ioasid_dev_info_get, (struct ioasid_ctx *ctx, const char *name, struct ioasid_dev_info *info),
	(ctx, name, info))
W_INT(ioasid_dev_set_driver, (struct ioasid_ctx *ctx, const char *name, const char *driver, const struct ioasid_driver_opts *opts),
	(ctx, name, driver, opts))
W_INT(ioasid_dev_open, (struct ioasid_ctx *ctx, const char *name, struct ioasid_dev **devp),
	(ctx, name, devp))
W_INT(ioasid_dev_bind, (struct ioasid_dev *dev, uint32_t *dev_id),
	(dev, dev_id))
W_INT(ioasid_dev_attach, (struct ioasid_dev *dev, uint32_t pt_id, uint32_t *hwpt_id),
	(dev, pt_id, hwpt_id))
W_INT(ioasid_dev_replace, (struct ioasid_dev *dev, uint32_t pt_id, uint32_t *hwpt_id),
	(dev, pt_id, hwpt_id))
W_INT(ioasid_dev_detach, (struct ioasid_dev *dev),
	(dev))
W_VOID(ioasid_dev_close, (struct ioasid_dev *dev),
	(dev))
W_INT(ioasid_dev_fd, (struct ioasid_dev *dev),
	(dev))
W_INT(ioasid_group_info_at, (struct ioasid_ctx *ctx, uint32_t index, struct ioasid_group_info *info),
	(ctx, index, info))
W_INT(ioasid_group_resv_regions, (struct ioasid_ctx *ctx, int32_t group, struct ioasid_resv_region *regions, uint32_t *num),
	(ctx, group, regions, num))
W_INT(ioasid_dev_hw_info, (struct ioasid_dev *dev, struct ioasid_hw_info *info, void *data, uint32_t data_size),
	(dev, info, data, data_size))
W_INT(ioasid_hw_info_amd_decode, (const void *data, uint32_t data_len, struct ioasid_amd_features *f),
	(data, data_len, f))
W_INT(ioasid_dev_iommu_info, (struct ioasid_ctx *ctx, const char *name, struct ioasid_iommu_info *info),
	(ctx, name, info))
W_INT(ioasid_dev_resv_regions, (struct ioasid_ctx *ctx, const char *name, struct ioasid_resv_region *regions, uint32_t *num),
	(ctx, name, regions, num))
W_INT(ioasid_endpoint_from_dev, (struct ioasid_dev *dev, struct ioasid_endpoint *ep, struct ioasid_resv_region *regions, uint32_t *num),
	(dev, ep, regions, num))
W_INT(ioasid_dev_attach_pasid, (struct ioasid_dev *dev, uint32_t pt_id, struct ioasid_pasid_attach *attach),
	(dev, pt_id, attach))
W_INT(ioasid_dev_replace_pasid, (struct ioasid_dev *dev, uint32_t pt_id, struct ioasid_pasid_attach *attach),
	(dev, pt_id, attach))
W_INT(ioasid_dev_detach_pasid, (struct ioasid_dev *dev, uint32_t vpasid),
	(dev, vpasid))
W_INT(ioasid_dev_pasid_table, (struct ioasid_dev *dev, struct ioasid_pasid_entry *entries, uint32_t *num),
	(dev, entries, num))
W_INT(ioasid_hwpt_alloc, (struct ioasid_dev *dev, uint32_t ioas_id, const struct ioasid_hwpt_alloc_opts *opts, uint32_t *hwpt_id),
	(dev, ioas_id, opts, hwpt_id))
W_INT(ioasid_hwpt_destroy, (struct ioasid_ctx *ctx, uint32_t hwpt_id),
	(ctx, hwpt_id))
W_INT(ioasid_hwpt_alloc_nested, (struct ioasid_dev *dev, uint32_t pt_id, const struct ioasid_hwpt_nested *nested, uint32_t *hwpt_id),
	(dev, pt_id, nested, hwpt_id))
W_INT(ioasid_hwpt_invalidate, (struct ioasid_ctx *ctx, uint32_t id, uint32_t data_type, const void *entries, uint32_t entry_len, uint32_t *entry_num),
	(ctx, id, data_type, entries, entry_len, entry_num))
W_INT(ioasid_viommu_alloc, (struct ioasid_dev *dev, uint32_t hwpt_id, uint32_t type, uint32_t *viommu_id),
	(dev, hwpt_id, type, viommu_id))
W_INT(ioasid_vdevice_alloc, (struct ioasid_dev *dev, uint32_t viommu_id, uint64_t virt_id, uint32_t *vdevice_id),
	(dev, viommu_id, virt_id, vdevice_id))
W_INT(ioasid_veventq_alloc, (struct ioasid_ctx *ctx, uint32_t viommu_id, uint32_t type, uint32_t depth, uint32_t *veventq_id, int *fd),
	(ctx, viommu_id, type, depth, veventq_id, fd))
W_INT(ioasid_veventq_read, (struct ioasid_ctx *ctx, uint32_t veventq_id, struct ioasid_vevent *events, uint32_t *num),
	(ctx, veventq_id, events, num))
W_INT(ioasid_fault_queue_alloc, (struct ioasid_ctx *ctx, uint32_t *fault_id, int *fd),
	(ctx, fault_id, fd))
W_INT(ioasid_fault_read, (struct ioasid_ctx *ctx, uint32_t fault_id, struct ioasid_fault *faults, uint32_t *num),
	(ctx, fault_id, faults, num))
W_INT(ioasid_fault_respond, (struct ioasid_ctx *ctx, uint32_t fault_id, const struct ioasid_fault_response *resp, uint32_t *num),
	(ctx, fault_id, resp, num))
W_INT(ioasid_hwpt_set_dirty_tracking, (struct ioasid_ctx *ctx, uint32_t hwpt_id, bool enable),
	(ctx, hwpt_id, enable))
W_INT(ioasid_hwpt_get_dirty_bitmap, (struct ioasid_ctx *ctx, uint32_t hwpt_id, uint64_t iova, uint64_t length, uint64_t page_size, uint32_t flags, uint64_t *bitmap),
	(ctx, hwpt_id, iova, length, page_size, flags, bitmap))
W_INT(ioasid_viommu_destroy, (struct ioasid_ctx *ctx, uint32_t id),
	(ctx, id))
W_INT(ioasid_vdevice_destroy, (struct ioasid_ctx *ctx, uint32_t id),
	(ctx, id))
W_INT(ioasid_veventq_destroy, (struct ioasid_ctx *ctx, uint32_t id),
	(ctx, id))
W_INT(ioasid_fault_queue_destroy, (struct ioasid_ctx *ctx, uint32_t id),
	(ctx, id))
W_INT(ioasid_ioas_alloc, (struct ioasid_ctx *ctx, uint32_t *ioas_id),
	(ctx, ioas_id))
W_INT(ioasid_ioas_destroy, (struct ioasid_ctx *ctx, uint32_t ioas_id),
	(ctx, ioas_id))
W_INT(ioasid_ioas_map, (struct ioasid_ctx *ctx, uint32_t ioas_id, void *va, uint64_t length, uint64_t *iova, const struct ioasid_map_opts *opts),
	(ctx, ioas_id, va, length, iova, opts))
W_INT(ioasid_ioas_map_file, (struct ioasid_ctx *ctx, uint32_t ioas_id, int fd, uint64_t start, uint64_t length, uint64_t *iova, const struct ioasid_map_opts *opts),
	(ctx, ioas_id, fd, start, length, iova, opts))
W_INT(ioasid_ioas_unmap, (struct ioasid_ctx *ctx, uint32_t ioas_id, uint64_t iova, uint64_t length, uint64_t *unmapped),
	(ctx, ioas_id, iova, length, unmapped))
W_INT(ioasid_ioas_unmap_all, (struct ioasid_ctx *ctx, uint32_t ioas_id, uint64_t *unmapped),
	(ctx, ioas_id, unmapped))
W_INT(ioasid_ioas_copy, (struct ioasid_ctx *ctx, uint32_t dst_ioas, uint64_t *dst_iova, uint32_t src_ioas, uint64_t src_iova, uint64_t length, const struct ioasid_map_opts *opts),
	(ctx, dst_ioas, dst_iova, src_ioas, src_iova, length, opts))
W_INT(ioasid_ioas_iova_ranges, (struct ioasid_ctx *ctx, uint32_t ioas_id, struct ioasid_iova_range *ranges, uint32_t *num, uint64_t *alignment),
	(ctx, ioas_id, ranges, num, alignment))
W_INT(ioasid_ioas_for_each_mapping, (struct ioasid_ctx *ctx, uint32_t ioas_id, const struct ioasid_mapping_opts *opts, ioasid_mapping_fn fn, void *data),
	(ctx, ioas_id, opts, fn, data))
W_INT(ioasid_ctx_for_each_object, (struct ioasid_ctx *ctx, const struct ioasid_object_opts *opts, ioasid_object_fn fn, void *data),
	(ctx, opts, fn, data))
W_INT(ioasid_ioas_allow_iovas, (struct ioasid_ctx *ctx, uint32_t ioas_id, const struct ioasid_iova_range *ranges, uint32_t num),
	(ctx, ioas_id, ranges, num))
W_INT(ioasid_ioas_set_huge_pages, (struct ioasid_ctx *ctx, uint32_t ioas_id, bool enable),
	(ctx, ioas_id, enable))
W_INT(ioasid_ioas_get_huge_pages, (struct ioasid_ctx *ctx, uint32_t ioas_id, bool *enabled),
	(ctx, ioas_id, enabled))
W_INT(ioasid_ioas_change_process, (struct ioasid_ctx *ctx, const struct ioasid_change_process_opts *opts),
	(ctx, opts))
W_INT(ioasid_viommu_alloc_data, (struct ioasid_dev *dev, uint32_t hwpt_id, uint32_t type, const struct ioasid_viommu_alloc_opts *opts, uint32_t *viommu_id),
	(dev, hwpt_id, type, opts, viommu_id))
W_INT(ioasid_hw_queue_alloc, (struct ioasid_ctx *ctx, uint32_t viommu_id, uint32_t type, uint64_t iova, uint64_t length, const struct ioasid_hw_queue_opts *opts, uint32_t *hw_queue_id),
	(ctx, viommu_id, type, iova, length, opts, hw_queue_id))
W_INT(ioasid_hw_queue_destroy, (struct ioasid_ctx *ctx, uint32_t id),
	(ctx, id))
W_INT(ioasid_ctx_mmap, (struct ioasid_ctx *ctx, uint64_t offset, uint64_t length, void **addr),
	(ctx, offset, length, addr))
W_INT(ioasid_ctx_munmap, (struct ioasid_ctx *ctx, void *addr, uint64_t length),
	(ctx, addr, length))
W_INT(ioasid_caps_get, (struct ioasid_ctx *ctx, const struct ioasid_caps_opts *opts, struct ioasid_caps_info *info, struct ioasid_cap *caps, uint32_t *num),
	(ctx, opts, info, caps, num))
W_INT(ioasid_ioas_resv_regions, (struct ioasid_ctx *ctx, uint32_t ioas_id, struct ioasid_resv_region *regions, uint32_t *num),
	(ctx, ioas_id, regions, num))
W_INT(ioasid_endpoints_combine, (const struct ioasid_endpoint *eps, uint32_t num_eps, struct ioasid_combined *out),
	(eps, num_eps, out))
W_INT(ioasid_resv_usable, (const struct ioasid_resv_region *regions, uint32_t num_regions, uint64_t start, uint64_t last, struct ioasid_iova_range *ranges, uint32_t *num),
	(regions, num_regions, start, last, ranges, num))
W_INT(ioasid_layout_check, (const struct ioasid_endpoint *eps, uint32_t num_eps, const struct ioasid_ram_range *ram, uint32_t num_ram, struct ioasid_layout_conflict *conflicts, uint32_t *num_conflicts),
	(eps, num_eps, ram, num_ram, conflicts, num_conflicts))
W_INT(ioasid_layout_plan, (const struct ioasid_endpoint *eps, uint32_t num_eps, uint64_t ram_size, const struct ioasid_layout_plan_opts *opts, struct ioasid_ram_range *ram, uint32_t *num),
	(eps, num_eps, ram_size, opts, ram, num))
W_INT(ioasid_layout_compare, (const struct ioasid_endpoint *src, uint32_t num_src, const struct ioasid_endpoint *dst, uint32_t num_dst, const struct ioasid_ram_range *ram, uint32_t num_ram, const struct ioasid_compare_opts *opts, struct ioasid_migration_block *blocks, uint32_t *num_blocks),
	(src, num_src, dst, num_dst, ram, num_ram, opts, blocks, num_blocks))
W_INT(ioasid_layout_budget, (const struct ioasid_budget_opts *opts, struct ioasid_budget *out),
	(opts, out))
W_INT(ioasid_test_dirty, (struct ioasid_ctx *ctx, uint32_t hwpt_id, uint64_t iova, uint64_t length, uint64_t page_size, const uint64_t *bitmap, uint64_t *nr_dirty),
	(ctx, hwpt_id, iova, length, page_size, bitmap, nr_dirty))
W_INT(ioasid_test_iopf, (struct ioasid_dev *dev, uint32_t pasid, uint32_t grpid, uint32_t perm, uint64_t addr),
	(dev, pasid, grpid, perm, addr))
W_INT(ioasid_test_vevent, (struct ioasid_dev *dev),
	(dev))
W_INT(ioasid_test_check_iotlb, (struct ioasid_ctx *ctx, uint32_t hwpt_id, uint32_t index, uint32_t value),
	(ctx, hwpt_id, index, value))
W_INT(ioasid_ioas_msi_banks, (struct ioasid_ctx *ctx, uint32_t ioas_id, struct ioasid_msi_bank *banks, uint32_t *num),
	(ctx, ioas_id, banks, num))
W_INT(ioasid_ioas_map_msi_bank, (struct ioasid_ctx *ctx, uint32_t ioas_id, uint32_t bank, uint64_t iova),
	(ctx, ioas_id, bank, iova))
W_INT(ioasid_ioas_unmap_msi_bank, (struct ioasid_ctx *ctx, uint32_t ioas_id, uint32_t bank),
	(ctx, ioas_id, bank))
W_INT_POST(ioasid_virtio_iommu_create, (struct ioasid_ctx *ctx, const struct ioasid_virtio_iommu_opts *opts, struct ioasid_virtio_iommu **vp),
	(ctx, opts, vp),
	if (rc == 0) fault_viommu_add(*vp))
W_VOID_PRE(ioasid_virtio_iommu_destroy, (struct ioasid_virtio_iommu *v),
	(v),
	fault_viommu_del(v))
W_INT(ioasid_virtio_iommu_add_ram, (struct ioasid_virtio_iommu *v, uint64_t gpa, uint64_t size, void *hva),
	(v, gpa, size, hva))
W_INT(ioasid_virtio_iommu_add_endpoint, (struct ioasid_virtio_iommu *v, uint32_t endpoint_id, struct ioasid_dev *dev, const struct ioasid_virtio_iommu_endpoint_opts *opts),
	(v, endpoint_id, dev, opts))
W_INT(ioasid_virtio_iommu_set_features, (struct ioasid_virtio_iommu *v, uint64_t features),
	(v, features))
W_INT(ioasid_virtio_iommu_config_read, (struct ioasid_virtio_iommu *v, uint32_t offset, void *buf, uint32_t len),
	(v, offset, buf, len))
W_INT(ioasid_virtio_iommu_config_write, (struct ioasid_virtio_iommu *v, uint32_t offset, const void *buf, uint32_t len),
	(v, offset, buf, len))
W_INT(ioasid_virtio_iommu_reset, (struct ioasid_virtio_iommu *v, unsigned int kind),
	(v, kind))
W_REQ_IOV(ioasid_virtio_iommu_handle_request, (struct ioasid_virtio_iommu *v, const struct iovec *out, unsigned int out_num, const struct iovec *in, unsigned int in_num, uint32_t *used_len),
	(v, out, out_num, in, in_num, used_len))
W_REQ_BUF(ioasid_virtio_iommu_handle_buffers, (struct ioasid_virtio_iommu *v, const void *req, size_t req_len, void *resp, size_t resp_len, uint32_t *used_len),
	(v, req, req_len, resp, resp_len, used_len))
W_INT(ioasid_virtio_iommu_translate, (struct ioasid_virtio_iommu *v, uint32_t endpoint_id, uint64_t iova, uint32_t access, struct ioasid_virtio_iommu_translation *t),
	(v, endpoint_id, iova, access, t))
W_INT(ioasid_virtio_iommu_event_pop, (struct ioasid_virtio_iommu *v, void *buf, size_t len),
	(v, buf, len))
W_INT(ioasid_virtio_iommu_get_stats, (const struct ioasid_virtio_iommu *v, struct ioasid_virtio_iommu_stats *stats),
	(v, stats))
W_INT(ioasid_virtio_iommu_domain_ioas, (const struct ioasid_virtio_iommu *v, uint32_t domain, uint32_t *ioas_id),
	(v, domain, ioas_id))
W_INT(ioasid_virtio_iommu_enable_nested, (struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_nested_opts *opts),
	(v, opts))
W_INT(ioasid_virtio_iommu_flush, (struct ioasid_virtio_iommu *v),
	(v))
W_INT(ioasid_virtio_iommu_host_fault_fd, (const struct ioasid_virtio_iommu *v),
	(v))
W_INT(ioasid_virtio_iommu_handle_host_faults, (struct ioasid_virtio_iommu *v),
	(v))
W_INT(ioasid_virtio_iommu_domain_mode, (const struct ioasid_virtio_iommu *v, uint32_t domain, uint32_t *mode),
	(v, domain, mode))
W_INT(ioasid_virtio_iommu_save, (struct ioasid_virtio_iommu *v, void *buf, size_t size, size_t *needed),
	(v, buf, size, needed))
W_INT(ioasid_virtio_iommu_restore, (struct ioasid_virtio_iommu *v, const void *buf, size_t size),
	(v, buf, size))
W_INT(ioasid_virtio_iommu_trace_open, (const char *path, struct ioasid_virtio_iommu_trace **tp),
	(path, tp))
W_INT(ioasid_virtio_iommu_trace_next, (struct ioasid_virtio_iommu_trace *t, struct ioasid_virtio_iommu_trace_entry *e),
	(t, e))
W_VOID(ioasid_virtio_iommu_trace_close, (struct ioasid_virtio_iommu_trace *t),
	(t))
