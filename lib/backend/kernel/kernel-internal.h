/* SPDX-License-Identifier: MIT */
/*
 * Private to lib/backend/kernel/: the state of a kernel backend context,
 * its devices and objects, and the functions that cross its files:
 *
 *   ioctl.c      the ioctl wrapper; which kernel has which call (the
 *                feature table) and the messages for errnos that mean a
 *                kernel too old or a limit hit
 *   kernel.c     open and close, the ops table
 *   inventory.c  devices, groups and IOMMUs as sysfs describes them, mock
 *                device names, host drivers
 *   iommufd.c    IOAS, HWPT, options and object ioctls on /dev/iommu
 *   viommu.c     vIOMMU, vDEVICE, vEVENTQ and fault queue objects
 *   vfio.c       VFIO device cdevs: open, bind, attach, PASID, close
 *   mock.c       CONFIG_IOMMUFD_TEST mock devices and test commands
 *   record.c     the record of this context's IOASes (mappings, allowed
 *                ranges), HWPTs and where devices rest
 *   iterate.c    the mappings and objects the public API lists, from
 *                the record
 *   caps.c       what the kernel and a device's IOMMU can do
 *                (ioasid_caps_get()), probed without changing anything
 *   explain.c    why the kernel refused: the simulator's words
 *                (lib/model/explain.h) from IOMMU_IOAS_IOVA_RANGES, sysfs
 *                and the record, then the ioctl and errno
 *
 * Structs are passed with size (or argsz) set to what these files fill
 * in: the kernel accepts a larger struct whose unknown tail is zero (E2BIG
 * otherwise) and a smaller one down to each ioctl's minimum, so one binary
 * runs on every kernel from the one that introduced a call.  A kernel that
 * lacks a call or flag is reported with the version it needs; nothing
 * falls back silently.
 *
 * The only folder of the project that includes Linux uAPI headers.
 */
#ifndef IOASID_LIB_KERNEL_INTERNAL_H
#define IOASID_LIB_KERNEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "backend.h"
#include "explain.h"
#include "iommufd-test-abi.h"
#include "itree.h"
#include "kernel.h"
#include "pasid.h"
#include "util.h"

#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))

#define IOASID_TEST_CMD _IO(IOMMUFD_TYPE, IOASID_TEST_CMD_NR)

struct kernel_be {
	int fd;
	bool own_fd;
	char release[65]; /* uname -r, for messages */
	/* Private IOAS that bound mock devices rest on while "detached". */
	uint32_t mock_ioas;
	unsigned int mock_users;
	/* Open devices, so that a report can ask a bound one's IOMMU. */
	struct kernel_dev *devs;
	/* The HWPTs of hwpt_alloc_user and the vIOMMU objects and queues
	 * (struct kernel_obj), for typed destroy and to close the queue
	 * fds. */
	struct kernel_obj *objs;
	/* What this context did (record.c), for explain.c. */
	struct kernel_ioas *ioases, *ioas_last;
	struct kernel_hwpt *hwpts;
	uint64_t seq; /* orders HWPTs and attachments as they happen */
};

struct kernel_dev {
	enum ioasid_dev_kind kind;
	char name[IOASID_NAME_MAX];
	char cdev[IOASID_NAME_MAX];
	int fd;		    /* VFIO device fd, -1 for mocks */
	bool bound;
	bool attached;
	uint32_t dev_id;
	uint32_t mock_flags;
	uint32_t stdev_id;  /* mock device object */
	/* PASID mocks: the PASID-compatible HWPT of the private IOAS they
	 * rest on while "detached" (0: the IOAS's automatic one). */
	uint32_t park_hwpt;
	struct pasid_recs pasids; /* PASID attachments (lib/model/pasid.h) */
	uint32_t hwpt;	    /* the HWPT the RID rests on (mocks: even
			     * detached), 0 for none (record.c) */
	uint64_t attach_seq;
	struct kernel_dev *next;  /* in kernel_be.devs */
};

struct kernel_obj {
	uint32_t id;
	enum ioasid_obj_type type; /* HWPT (of hwpt_alloc_user) or above */
	int fd;		    /* vEVENTQ and fault queue; -1 otherwise */
	uint32_t dev_id;    /* vDEVICE */
	uint32_t qtype;	    /* vEVENTQ type */
	uint32_t fault_id;  /* HWPT: the fault queue it reports to, or 0 */
	bool nested;	    /* HWPT */
	unsigned int hwpts; /* fault queue: HWPTs reporting to it */
	struct kernel_obj *next;
};

/* An IOAS this context used (record.c): the mappings made through it
 * (one area per kernel area; complete if this context allocated the IOAS
 * and the kernel never contradicted the record) and the allowed ranges
 * last set through it. */
struct kernel_ioas {
	uint32_t id;
	bool complete;
	bool allowed_known;
	struct itree areas; /* values: struct krec_area; read it with
			     * krec_areas() */
	bool pend;	    /* the newest mapping, not yet in areas */
	uint64_t pend_start, pend_last;
	void *pend_value;
	struct ioasid_iova_range *allowed;
	uint32_t num_allowed;
	struct kernel_ioas *next;
};

/* What backs a recorded mapping (iterate.c reports it). */
struct krec_area {
	uint32_t prot;	/* IOASID_MAP_READ | IOASID_MAP_WRITE */
	uint32_t kind;	/* IOASID_MAPPING_* */
	uint64_t addr;	/* MEMORY: VA; FILE: offset; of the first byte */
	int32_t fd;	/* FILE: the caller's fd; -1 otherwise */
};

/* A HWPT this context allocated or attached a device to. */
struct kernel_hwpt {
	uint32_t id;
	uint32_t ioas_id;  /* paging: its IOAS (0: unknown) */
	uint32_t parent;   /* nested: the parent HWPT or vIOMMU */
	bool autodomain;   /* made by an attach; goes with its last device */
	uint32_t flags;    /* IOASID_HWPT_ALLOC_* it was allocated with */
	uint64_t seq;      /* when it joined its IOAS */
	char dev[IOASID_NAME_MAX]; /* a device of its IOMMU (the aperture) */
	struct kernel_hwpt *next;
};

/* ------------------------------------------------------------------ */
/* ioctl.c                                                              */

/* A call or flag and the first kernel that has it. */
struct kfeature {
	const char *what;
	unsigned int major, minor;
};

/* The calls and flags the backend uses (kernel_features[] in ioctl.c). */
enum {
	KFEAT_IOMMUFD,
	KFEAT_MAP_FILE,
	KFEAT_HWPT_ALLOC,
	KFEAT_HWPT_NEST_PARENT,
	KFEAT_HWPT_DIRTY_TRACKING,
	KFEAT_HWPT_FAULT_ID,
	KFEAT_HWPT_PASID,
	KFEAT_GET_HW_INFO,
	KFEAT_DIRTY_BITMAP,
	KFEAT_NESTED,
	KFEAT_INVALIDATE,
	KFEAT_FAULT,
	KFEAT_VIOMMU,
	KFEAT_VDEVICE,
	KFEAT_VEVENTQ,
	KFEAT_DIRTY,
	KFEAT_VFIO_CDEV,
	KFEAT_VFIO_ATTACH,
	KFEAT_VFIO_PASID,
	KFEAT_TEST,
	KFEAT_TEST_FLAGS,
	KFEAT_TEST_REPLACE,
	KFEAT_TEST_PASID,
	KFEAT_TEST_DIRTY,
	KFEAT_TEST_IOTLB,
	KFEAT_TEST_IOPF,
	KFEAT_TEST_VEVENT,
	KFEAT_CHANGE_PROCESS,
	KFEAT_HW_QUEUE,
	KFEAT_VIOMMU_DATA,
	KFEAT_DMA_BUF,
	KFEAT_NOIOMMU_GET_PA,
	KFEAT_NUM
};
extern const struct kfeature kernel_features[KFEAT_NUM];
#define FEAT(name) (&kernel_features[KFEAT_##name])

/* Hints added to a failure's message. */
#define HINT_PIN (1u << 0)	 /* ENOMEM means the pinning limit */

/* An ioctl as 0 or -errno. */
int kernel_ioctl(int fd, unsigned long request, void *arg);

/* Whether the running kernel's release is older than @feat needs; false
 * when the release cannot be read. */
bool kernel_older(const struct kernel_be *be, const struct kfeature *feat);

/*
 * kernel_fail - record the failure of an ioctl: "@fmt...: strerror", then
 * what the errno means here.
 * @feat: what the call needs, for ENOTTY / EOPNOTSUPP / E2BIG; may be
 *        NULL.
 */
int __attribute__((format(printf, 5, 6)))
kernel_fail(const struct kernel_be *be, int err, const struct kfeature *feat,
	    unsigned int hints, const char *fmt, ...);

/* ------------------------------------------------------------------ */
/* inventory.c                                                          */

/* "mock", "mockN", then optionally ":flag,flag".  Return: whether @name
 * has that shape; *@flags gets the mock device flags. */
bool kernel_parse_mock_name(const char *name, uint32_t *flags, bool *bad_flag,
			    char *bad, size_t bad_size);

int kernel_dev_info_at(void *be, uint32_t index, struct ioasid_dev_info *info);
int kernel_dev_info_get(void *be, const char *name,
			struct ioasid_dev_info *info);
int kernel_iommu_info(void *be, const char *name,
		      struct ioasid_iommu_info *info);
int kernel_group_info_at(void *be, uint32_t index,
			 struct ioasid_group_info *info);
int kernel_group_resv_regions(void *be, int32_t group,
			      struct ioasid_resv_region *regions,
			      uint32_t *num);
int kernel_set_driver(void *be, const char *name, const char *driver,
		      bool force);

/* ------------------------------------------------------------------ */
/* iommufd.c                                                            */

int kernel_ioas_alloc(void *be, uint32_t *ioas_id);
int kernel_destroy(void *be, uint32_t id, enum ioasid_obj_type type);
int kernel_ioas_map(void *be, uint32_t ioas_id, uint32_t flags, uint64_t va,
		    uint64_t length, uint64_t *iova);
int kernel_ioas_map_file(void *be, uint32_t ioas_id, uint32_t flags, int fd,
			 uint64_t start, uint64_t length, uint64_t *iova);
int kernel_ioas_unmap(void *be, uint32_t ioas_id, uint64_t iova,
		      uint64_t length, uint64_t *unmapped);
int kernel_ioas_copy(void *be, uint32_t dst_ioas, uint32_t src_ioas,
		     uint32_t flags, uint64_t length, uint64_t *dst_iova,
		     uint64_t src_iova);
int kernel_ioas_iova_ranges(void *be, uint32_t ioas_id,
			    struct ioasid_iova_range *ranges, uint32_t *num,
			    uint64_t *alignment);
int kernel_ioas_allow_iovas(void *be, uint32_t ioas_id,
			    const struct ioasid_iova_range *ranges,
			    uint32_t num);
/* process.c */
int kernel_ioas_change_process(void *be);
/* noiommu.c */
int kernel_ioas_noiommu_get_pa(void *be, uint32_t ioas_id, uint64_t iova,
			       uint64_t length, uint64_t *phys,
			       uint64_t *contig);
int kernel_hwpt_alloc(void *be, uint32_t dev_id, uint32_t pt_id,
		      uint32_t flags, uint32_t *hwpt_id);
int kernel_hw_info(void *be, uint32_t dev_id, struct ioasid_hw_info *info,
		   void *data, uint32_t *data_len);
int kernel_option(void *be, bool set, uint32_t option, uint32_t object_id,
		  uint64_t *val);
int kernel_hwpt_alloc_user(void *be, uint32_t dev_id, uint32_t pt_id,
			   const struct ioasid_hwpt_user_args *a,
			   uint32_t *hwpt_id);
int kernel_hwpt_invalidate(void *be, uint32_t id, uint32_t data_type,
			   const void *entries, uint32_t entry_len,
			   uint32_t *entry_num);
int kernel_set_dirty_tracking(void *be, uint32_t hwpt_id, bool enable);
int kernel_get_dirty_bitmap(void *be, uint32_t hwpt_id, uint64_t iova,
			    uint64_t length, uint64_t page_size,
			    uint64_t *bitmap, uint32_t flags);

/* The objects this context allocated (kernel_be.objs). */
struct kernel_obj *kernel_obj_find(const struct kernel_be *be, uint32_t id,
				   enum ioasid_obj_type type);
int kernel_obj_add(struct kernel_be *be, uint32_t id, enum ioasid_obj_type type,
		   int fd, struct kernel_obj **out);
/* Drop @obj from the list, closing its fd. */
void kernel_obj_unlink(struct kernel_be *be, struct kernel_obj *obj);
/* Undo an allocation the list could not record, so that the kernel and
 * the list agree. */
void kernel_obj_undo_alloc(struct kernel_be *be, uint32_t id, int fd);
bool kernel_obj_is_nested_hwpt(const struct kernel_be *be, uint32_t id);
void kernel_obj_forget_hwpt(struct kernel_be *be, uint32_t hwpt_id);
void kernel_obj_forget_dev(struct kernel_be *be, uint32_t dev_id);
void kernel_obj_close_all(struct kernel_be *be);

/* ------------------------------------------------------------------ */
/* viommu.c                                                             */

int kernel_viommu_alloc(void *be, uint32_t dev_id, uint32_t hwpt_id,
			uint32_t type, uint32_t *viommu_id);
int kernel_vdevice_alloc(void *be, uint32_t viommu_id, uint32_t dev_id,
			 uint64_t virt_id, uint32_t *vdevice_id);
int kernel_veventq_alloc(void *be, uint32_t viommu_id, uint32_t type,
			 uint32_t depth, uint32_t *id, int *fd);
int kernel_veventq_read(void *be, uint32_t id, struct ioasid_vevent *ev,
			uint32_t *num);
int kernel_fault_alloc(void *be, uint32_t *id, int *fd);
int kernel_fault_read(void *be, uint32_t id, struct ioasid_fault *out,
		      uint32_t *num);
int kernel_fault_respond(void *be, uint32_t id,
			 const struct ioasid_fault_response *r, uint32_t *num);
/* destroy() of the types only the object list knows: vIOMMU, vDEVICE,
 * vEVENTQ, fault queue. */
int kernel_destroy_listed(struct kernel_be *be, uint32_t id,
			  enum ioasid_obj_type type);

/* ------------------------------------------------------------------ */
/* vfio.c                                                               */

int kernel_dev_open(void *be, const struct ioasid_dev_info *info,
		    void **bdev);
int kernel_dev_bind(void *be, void *bdev, uint32_t *dev_id);
int kernel_dev_attach(void *be, void *bdev, uint32_t pt_id,
		      uint32_t *hwpt_id);
int kernel_dev_detach(void *be, void *bdev);
int kernel_dev_fd(void *be, void *bdev);
int kernel_dev_dma_buf(void *be, void *bdev, uint32_t region, uint64_t offset,
		       uint64_t length, int *fd);
void kernel_dev_close(void *be, void *bdev);
int kernel_dev_pasid_attach(void *be, void *bdev, uint32_t pasid,
			    uint32_t vpasid, uint32_t pt_id, bool replace,
			    uint32_t *hwpt_id);
int kernel_dev_pasid_detach(void *be, void *bdev, uint32_t pasid);
int kernel_dev_pasid_list(void *be, void *bdev,
			  struct ioasid_pasid_entry *entries, uint32_t *num);

/* What EINVAL from a PASID attach (@what) means on a kernel that has the
 * call: -EINVAL with a message, or 0 on a kernel older than that. */
int kernel_pasid_einval(const struct kernel_be *be, const char *what);

/* ------------------------------------------------------------------ */
/* mock.c                                                               */

int kernel_test_cmd(struct kernel_be *be, struct ioasid_test_cmd *cmd);

/* Create mock device @dev on the private IOAS (IOMMU_TEST_OP_MOCK_DOMAIN);
 * *@dev_id gets its device id. */
int kernel_mock_bind(struct kernel_be *be, struct kernel_dev *dev,
		     uint32_t *dev_id);
/* IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE to @pt_id; @why names the step for
 * messages; *@hwpt_id (if not NULL) gets the HWPT. */
int kernel_mock_replace(struct kernel_be *be, struct kernel_dev *dev,
			uint32_t pt_id, uint32_t *hwpt_id, const char *why);
/* Destroy the mock device (which detaches and unbinds it), then its
 * parking HWPT, then release the private IOAS they used. */
void kernel_mock_unbind(struct kernel_be *be, struct kernel_dev *dev);
/* IOMMU_TEST_OP_PASID_ATTACH / _REPLACE / _DETACH on a bound mock. */
int kernel_mock_pasid_attach(struct kernel_be *be, struct kernel_dev *dev,
			     uint32_t pasid, uint32_t pt_id, bool replace,
			     uint32_t *hwpt_id);
int kernel_mock_pasid_detach(struct kernel_be *be, struct kernel_dev *dev,
			     uint32_t pasid);

int kernel_test_dirty(void *be, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, uint64_t page_size,
		      const uint64_t *bitmap, uint64_t *nr_dirty);
int kernel_test_iopf(void *be, uint32_t dev_id, uint32_t pasid,
		     uint32_t grpid, uint32_t perm, uint64_t addr);
int kernel_test_vevent(void *be, uint32_t dev_id);
int kernel_test_check_iotlb(void *be, uint32_t hwpt_id, uint32_t index,
			    uint32_t value);

/* ------------------------------------------------------------------ */
/* caps.c                                                               */

int kernel_caps_probe(void *be, void *bdev, uint32_t dev_id,
		      struct ioasid_cap *caps, uint32_t num, char release[65]);

/* ------------------------------------------------------------------ */
/* hw_queue.c                                                           */

int kernel_viommu_alloc_data(void *be, uint32_t dev_id, uint32_t hwpt_id,
			     uint32_t type, void *data, uint32_t data_len,
			     uint32_t *viommu_id);
int kernel_hw_queue_alloc(void *be, uint32_t viommu_id, uint32_t type,
			  uint32_t index, uint64_t iova, uint64_t length,
			  uint32_t *hw_queue_id);
int kernel_ctx_mmap(void *be, uint64_t offset, uint64_t length, void **addr);
int kernel_ctx_munmap(void *be, void *addr, uint64_t length);

/* ------------------------------------------------------------------ */
/* record.c                                                             */

/* The record of IOAS @id; with @create, a new (incomplete) one if there
 * is none.  NULL without one (or without memory). */
struct kernel_ioas *krec_ioas(struct kernel_be *be, uint32_t id, bool create);
bool krec_area_writable(const void *value);
/* The mappings of @r, all of them. */
struct itree *krec_areas(struct kernel_ioas *r);
/* After a successful IOMMU_IOAS_ALLOC / IOMMU_DESTROY of an IOAS. */
void krec_ioas_alloc(struct kernel_be *be, uint32_t id);
void krec_ioas_destroyed(struct kernel_be *be, uint32_t id);
/* After a successful map, copy, unmap (0 + U64_MAX: all), allow. */
void krec_mapped(struct kernel_be *be, uint32_t ioas_id, uint64_t iova,
		 uint64_t length, const struct krec_area *what);
/* krec_mapped() of process memory at @va, of file @fd from @start;
 * @flags: the map's IOASID_MAP_*. */
void krec_mapped_va(struct kernel_be *be, uint32_t ioas_id, uint64_t iova,
		    uint64_t length, uint32_t flags, uint64_t va);
void krec_mapped_file(struct kernel_be *be, uint32_t ioas_id, uint64_t iova,
		      uint64_t length, uint32_t flags, int fd, uint64_t start);
void krec_copied(struct kernel_be *be, uint32_t dst_id, uint64_t dst_iova,
		 uint32_t src_id, uint64_t src_iova, uint64_t length,
		 uint32_t flags);
/* @unmapped: what the kernel says it unmapped. */
void krec_unmapped(struct kernel_be *be, uint32_t ioas_id, uint64_t iova,
		   uint64_t length, uint64_t unmapped);
void krec_allowed(struct kernel_be *be, uint32_t ioas_id,
		  const struct ioasid_iova_range *ranges, uint32_t num);
/* io_pagetable.c iopt_unmap_iova_range() on the record of @ioas_id:
 * whole areas of [first, last] go, from the start, until one sticks out
 * (-ENOENT, *@split_start/last set); *@bytes gets what went. */
int krec_unmap_walk(struct kernel_be *be, uint32_t ioas_id, uint64_t first,
		    uint64_t last, uint64_t *split_start, uint64_t *split_last,
		    uint64_t *bytes);

struct kernel_hwpt *krec_hwpt(const struct kernel_be *be, uint32_t id);
/* @dev: the name of a device behind the HWPT's IOMMU, or NULL. */
void krec_hwpt_add(struct kernel_be *be, uint32_t id, uint32_t ioas_id,
		   uint32_t parent, bool autodomain, const char *dev);
void krec_hwpt_del(struct kernel_be *be, uint32_t id);
/* @dev now rests on @hwpt_id (0: none), having attached to @pt_id; an
 * automatic HWPT left without devices is forgotten. */
void krec_dev_on(struct kernel_be *be, struct kernel_dev *dev,
		 uint32_t hwpt_id, uint32_t pt_id);
/* What object @id is, as the simulator names kinds ("ioas", "hwpt",
 * "device", "selftest object", ...), or NULL if the record does not
 * know it. */
const char *krec_kind(const struct kernel_be *be, uint32_t id);
void krec_free(struct kernel_be *be);
/* The flags a HWPT was allocated with, for iterate.c. */
void krec_hwpt_flags(struct kernel_be *be, uint32_t id, uint32_t flags);

/* ------------------------------------------------------------------ */
/* iterate.c: the backend's ioas_mappings and objects, from the record */

int kernel_ioas_mappings(void *be, uint32_t ioas_id, uint64_t first,
			 uint64_t last, struct ioasid_mapping *maps,
			 uint32_t *num);
int kernel_objects(void *be, struct ioasid_object *objs, uint32_t *num);

/* ------------------------------------------------------------------ */
/* explain.c                                                            */

/*
 * kexplain_* - after @ioctl failed with @rc, say why in the simulator's
 * words, ending with " (@ioctl: ENAME)".  Return: @rc with that message
 * set, or 0 when what the backend knows does not explain it (the caller
 * then words it with kernel_fail()).  They only read: IOMMU_IOAS_IOVA_RANGES,
 * sysfs, /proc/self, the record (an unmap's walk is replayed on it).
 */
int kexplain_map(struct kernel_be *be, int rc, const char *ioctl,
		 uint32_t ioas_id, uint32_t flags, int fd, uint64_t addr,
		 uint64_t length, uint64_t iova);
int kexplain_copy(struct kernel_be *be, int rc, uint32_t dst_id,
		  uint32_t src_id, uint32_t flags, uint64_t length,
		  uint64_t dst_iova, uint64_t src_iova);
int kexplain_unmap(struct kernel_be *be, int rc, uint32_t ioas_id,
		   uint64_t iova, uint64_t length);
int kexplain_allow(struct kernel_be *be, int rc, uint32_t ioas_id,
		   const struct ioasid_iova_range *ranges, uint32_t num);
int kexplain_ranges(struct kernel_be *be, int rc, uint32_t ioas_id);
/* @id is not an object of @want ("ioas", "hwpt", "ioas or hwpt"):
 * "N is a device, not an ioas" or "ioas N does not exist". */
int kexplain_missing(struct kernel_be *be, int rc, const char *ioctl,
		     uint32_t id, const char *want);
int kexplain_destroy_busy(struct kernel_be *be, uint32_t id,
			  enum ioasid_obj_type type);
int kexplain_attach(struct kernel_be *be, int rc, const char *ioctl,
		    struct kernel_dev *dev, uint32_t pt_id);
int kexplain_hwpt_alloc(struct kernel_be *be, int rc, uint32_t dev_id,
			uint32_t pt_id);
/* ENOMEM from pinning @length bytes (0: unknown): RLIMIT_MEMLOCK, what
 * is pinned, what to raise. */
int kexplain_pin(struct kernel_be *be, int rc, const char *ioctl,
		 const char *what, uint64_t length);
/* IOMMU_IOAS_NOIOMMU_GET_PA of @iova in IOAS @ioas_id: EPERM
 * (CAP_SYS_RAWIO), ENOENT (no IOAS, nothing mapped there), EOPNOTSUPP (no
 * noiommu device of this context attached to it, or a kernel without
 * CONFIG_IOMMUFD_NOIOMMU). */
int kexplain_noiommu_get_pa(struct kernel_be *be, int rc, uint32_t ioas_id,
			    uint64_t iova);
/* EPERM from VFIO_DEVICE_BIND_IOMMUFD: MSI isolation. */
int kexplain_bind(struct kernel_be *be, int rc, struct kernel_dev *dev);
/* End the message just set with " (@ioctl: ENAME)"; return @rc. */
int kexplained(int rc, const char *ioctl);
/* "EINVAL" for -EINVAL (or EINVAL); "errno N" for one iommufd never
 * gives. */
const char *kernel_errno_name(int err);

#endif /* IOASID_LIB_KERNEL_INTERNAL_H */
