// SPDX-License-Identifier: MIT
/*
 * The simulator backend: Linux iommufd semantics in-process, for users
 * without an IOMMU and for tests.  Every rule in these files names the
 * kernel function (Linux 7.3, drivers/iommu/iommufd/) whose behaviour it
 * models; the VM tests run the same scripts on both and treat any
 * difference as a simulator bug.
 *
 * An IOAS keeps two interval trees: its areas (mappings) and the coverage
 * of its reserved regions (overlapping regions merged).  IOVA allocation
 * walks the few free spans between covered ranges and runs one gap search
 * over the areas in each.  Reserved regions themselves live in a short
 * list with their owners; they change only on attach, detach and HWPT
 * creation.  Area and pages objects are recycled through free lists in
 * struct sim, so that a map+unmap pair costs no malloc/free.
 *
 * Private to lib/backend/sim/: one file per drivers/iommu/iommufd/ file
 * it models; this header holds the structs and the functions that cross
 * files.
 */
#ifndef IOASID_BACKEND_SIM_H
#define IOASID_BACKEND_SIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "backend.h"
#include "util.h"
#include "itree.h"
#include "pasid.h"
#include "topology.h"

#define SIM_HPAGE_SIZE (2ull << 20) /* x86/arm64 HPAGE_SIZE with 4K pages */
#define SIM_TMPFS_MAGIC 0x01021994
#define SIM_HUGETLBFS_MAGIC 0x958458f6

typedef unsigned long long ull;

enum sim_obj_type { SIM_IOAS = 1, SIM_HWPT, SIM_DEVICE, SIM_ACCESS, SIM_SELFTEST };

struct sim_obj {
	enum sim_obj_type type;
	uint32_t id;
};

/* The memory behind mappings, shared by the areas a copy makes
 * (struct iopt_pages). */
struct sim_pages {
	unsigned int refs;
	bool is_file, writable;
	uint64_t base; /* user: VA rounded down to a page; file: offset */
	int fd;	       /* file: our dup of the caller's fd */
	int user_fd;   /* file: the caller's fd, as it named it (iterate.c) */
};

/* The value of an interval in ioas->areas (which holds its IOVAs). */
struct sim_area {
	struct sim_pages *pages;
	uint64_t start_byte; /* offset of the area's first byte in pages */
	uint32_t prot;	     /* IOASID_MAP_READ | IOASID_MAP_WRITE */
};

struct sim_dev;
struct sim_hwpt;

struct sim_resv {
	struct sim_resv *next;
	uint64_t start, last;
	enum ioasid_resv_type type;
	struct sim_dev *dev;   /* owner: a device ... */
	struct sim_hwpt *hwpt; /* ... or a domain's aperture ... */
	/* ... or, both NULL, PAMU MSI bank @bank of this IOMMU */
	const struct topo_iommu *bank_iommu;
	uint32_t bank;
};

struct sim_ioas {
	struct sim_obj obj;
	struct itree areas;   /* values: struct sim_area */
	struct itree cov;     /* merged reserved regions; no values */
	/* A removal could not rebuild cov (out of memory): it still covers
	 * the removed regions, and is rebuilt before the next use
	 * (sim_cover_fresh()). */
	bool cov_stale;
	struct itree allowed; /* allowed IOVA ranges; no values */
	struct sim_resv *resv;
	uint64_t iova_alignment;
	bool disable_large_pages; /* IOMMU_OPTION_HUGE_PAGES = 0 */
	struct sim_hwpt *hwpts; /* creation order, like ioas->hwpt_list */
	unsigned int num_access;
};

struct sim_hwpt {
	struct sim_obj obj;
	struct sim_ioas *ioas;
	struct sim_hwpt *next; /* in ioas->hwpts */
	unsigned int iommu;
	uint32_t flags;
	bool auto_domain;
	unsigned int users; /* attached devices */
	/* Nested HWPTs, vIOMMUs, faults, dirty bits (hw_pagetable.c). */
	struct sim_hwpt_ext *ext;
};

struct sim_group {
	struct sim_hwpt *hwpt; /* what the group is attached to */
	unsigned int num_attached;
};

struct sim_dev {
	struct sim_obj obj; /* SIM_DEVICE or SIM_ACCESS once bound */
	const struct topo_dev *t;
	struct sim_group *group; /* NULL for mdevs */
	struct sim_hwpt *hwpt;	 /* physical: the attached HWPT */
	struct sim_ioas *access; /* mdev: the attached IOAS */
	struct pasid_recs pasids; /* PASID attachments (lib/model/pasid.h) */
	struct sim_obj selftest; /* mock: the selftest object (stdev) */
	/* PASID mock: the PASID-compatible HWPT of the private IOAS it
	 * rests on while detached (the kernel backend's park_hwpt). */
	uint32_t park_hwpt;
};

struct sim {
	struct topology *topo;
	struct sim_group *groups;
	struct sim_dev **devs; /* open devices by topology index */
	struct sim_obj **objs; /* by id; [0] unused */
	uint32_t num_objs;
	uint64_t page_size;
	bool rlimit_per_process; /* IOMMU_OPTION_RLIMIT_MODE */
	/* The stage-1 walker of sim-test-hooks.h (selftest.c), or NULL. */
	struct sim_s1_walker *s1_walker;
	/* Per topology device: the host driver it returns to when vfio-pci
	 * lets go of it ("" if the topology bound it to vfio-pci). */
	char (*host_driver)[IOASID_NAME_MAX];
	/* Freed sim_area and sim_pages objects kept for reuse (linked
	 * through their first word), released at close. */
	void *spare_areas, *spare_pages;
	/* The kernel backend's private IOAS that bound mock devices rest on
	 * while detached, by id as that backend keeps it (see mock_bind). */
	uint32_t mock_ioas_id;
	unsigned int mock_users;
	/* HW queues' MMIO regions and their mappings (hw_queue.c). */
	struct sim_hwq *hwq;
	/* Areas an IOAS may hold, 0 for no limit (ioasid_sim_set_max_areas()
	 * of sim-test-hooks.h, io_pagetable.c). */
	uint64_t max_areas;
};

struct sim_piece {
	struct sim_pages *pages; /* a reference the caller holds */
	uint64_t start_byte, length;
};

/* Nested HWPTs, vIOMMU objects, event and fault queues, dirty tracking.
 * Kernel references: hw_pagetable.c, viommu.c,
 * eventq.c, driver.c and the mock driver in selftest.c.               */

#define SIM_VIOMMU ((enum sim_obj_type)16)
#define SIM_VDEVICE ((enum sim_obj_type)17)
#define SIM_VEVENTQ ((enum sim_obj_type)18)
#define SIM_FAULT ((enum sim_obj_type)19)

#define SIM_ENTRY_NUM_MAX (1u << 19) /* IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX */
#define SIM_VEVENTQ_MAX_DEPTH (1u << 19)
#define SIM_UAPI_PAGE 4096u

struct sim_viommu {
	struct sim_obj obj;
	struct sim_hwpt *parent;
	unsigned int iommu;
	uint32_t type;
	unsigned int refs; /* nested HWPTs, vDEVICEs, vEVENTQs */
};

struct sim_vdevice {
	struct sim_obj obj;
	struct sim_viommu *viommu;
	uint32_t dev_id;
	uint64_t virt_id;
};

struct sim_veventq {
	struct sim_obj obj;
	struct sim_viommu *viommu;
	uint32_t type, depth, num_events, sequence;
	int efd;
	/* Delivery list; a LOST_EVENTS record may only be the last. */
	struct ioasid_vevent *q;
	uint32_t n, cap;
};

struct sim_fault {
	struct sim_obj obj;
	unsigned int refs; /* HWPTs delivering here */
	int efd;
	struct ioasid_fault *q; /* delivered, not yet read */
	uint32_t n, cap;
	uint32_t *cookies; /* read, awaiting a response */
	uint32_t ncookies, capcookies;
};

struct sim_hwpt_ext {
	struct sim_hwpt *parent; /* nested: the nest parent */
	struct sim_viommu *viommu;
	uint32_t data_type, data_len;
	void *data;
	uint32_t iotlb[IOASID_TEST_IOTLB_NUM];
	unsigned int refs; /* parent: nested children and vIOMMUs */
	struct sim_fault *fault;
	bool dirty_on;
	uint64_t *dirty; /* sorted granule addresses */
	uint32_t ndirty, capdirty;
};


/* main.c */
void *sim_spare_get(void **list, size_t size);
void sim_spare_put(void **list, void *p);
int sim_obj_add(struct sim *s, struct sim_obj *o);
void sim_obj_del(struct sim *s, struct sim_obj *o);
struct sim_obj *sim_obj_get(struct sim *s, uint32_t id);
const char *sim_obj_type_name(enum sim_obj_type t);
struct sim_ioas *sim_get_ioas(struct sim *s, uint32_t id);
int sim_destroy(void *be, uint32_t id, enum ioasid_obj_type type);

/* pages.c */
struct sim_pages *sim_pages_new(struct sim *s, bool is_file,
				uint64_t base, int fd, bool writable);
void sim_pages_put(struct sim *s, struct sim_pages *p);
int sim_pages_check(struct sim *s, const struct sim_pages *p,
		    uint64_t start_byte, uint64_t length);

/* io_pagetable.c */
void sim_owner_name(const struct sim_resv *r, char *buf, size_t len);
int sim_cover_rebuild(struct sim_ioas *ioas);
int sim_cover_fresh(struct sim_ioas *ioas);
const struct sim_resv *sim_resv_find(const struct sim_ioas *ioas,
				     uint64_t start, uint64_t last);
void sim_resv_remove_owner(struct sim_ioas *ioas, struct sim_dev *dev,
			   struct sim_hwpt *hwpt);
int sim_enforce_dev_resv(struct sim *s, struct sim_ioas *ioas,
			 struct sim_dev *dev);
void sim_area_free_at(struct sim *s, struct sim_ioas *ioas,
		      const struct itree_iter *it);
uint64_t sim_min_page(const struct sim *s, const struct sim_hwpt *h);
int sim_check_areas_aligned(const struct sim *s, struct sim_ioas *ioas,
			    uint64_t align);
uint64_t sim_calc_alignment(struct sim *s, const struct sim_ioas *ioas);
int sim_add_domain(struct sim *s, struct sim_ioas *ioas,
		   struct sim_hwpt *h);
void sim_remove_domain(struct sim *s, struct sim_hwpt *h);
int sim_map_pieces(struct sim *s, struct sim_ioas *ioas,
		   struct sim_piece *pc, unsigned int num, uint64_t length,
		   uint64_t *iova, uint32_t flags);

/* ioas.c */
int sim_ioas_alloc(void *be, uint32_t *ioas_id);
void sim_ioas_free(struct sim *s, struct sim_ioas *ioas);
int sim_ioas_map(void *be, uint32_t ioas_id, uint32_t flags,
		 uint64_t va, uint64_t length, uint64_t *iova);
int sim_ioas_map_file(void *be, uint32_t ioas_id, uint32_t flags,
		      int fd, uint64_t start, uint64_t length,
		      uint64_t *iova);
int sim_ioas_unmap(void *be, uint32_t ioas_id, uint64_t iova,
		   uint64_t length, uint64_t *unmapped);
int sim_ioas_copy(void *be, uint32_t dst_id, uint32_t src_id,
		  uint32_t flags, uint64_t length, uint64_t *dst_iova,
		  uint64_t src_iova);
int sim_ioas_iova_ranges(void *be, uint32_t ioas_id,
			 struct ioasid_iova_range *ranges,
			 uint32_t *num, uint64_t *alignment);
int sim_ioas_allow_iovas(void *be, uint32_t ioas_id,
			 const struct ioasid_iova_range *ranges,
			 uint32_t num);
int sim_ioas_msi_banks(void *be, uint32_t ioas_id,
		       struct ioasid_msi_bank *banks, uint32_t *num);
int sim_ioas_map_msi_bank(void *be, uint32_t ioas_id, uint32_t index,
			  uint64_t iova);
int sim_ioas_unmap_msi_bank(void *be, uint32_t ioas_id,
			    uint32_t index);
/* The IOMMU drivers' hw_info data (amd_iommufd.c,
 * arm-smmu-v3-iommufd.c): @room bytes into @data, returns the length. */
uint32_t sim_amd_hw_data(const struct topo_iommu *iommu, void *data,
			 uint32_t room);
uint32_t sim_smmuv3_hw_data(const struct topo_iommu *iommu, void *data,
			    uint32_t room);
/* device.c: what iommufd_get_hw_info() copies of a driver's @len bytes
 * of @regs into @room bytes at @data; returns @len. */
uint32_t sim_hw_data_copy(void *data, uint32_t room, const void *regs,
			  uint32_t len);

/* iterate.c: the backend's ioas_mappings and objects */
int sim_ioas_mappings(void *be, uint32_t ioas_id, uint64_t first,
		      uint64_t last, struct ioasid_mapping *maps,
		      uint32_t *num);
int sim_objects(void *be, struct ioasid_object *objs, uint32_t *num);

/* ioas_process.c */
int sim_ioas_change_process(void *be);
int sim_ioas_noiommu_get_pa(void *be, uint32_t ioas_id, uint64_t iova,
			    uint64_t length, uint64_t *phys, uint64_t *contig);

/* hw_queue.c */
int sim_viommu_alloc_data(void *be, uint32_t dev_id, uint32_t hwpt_id,
			  uint32_t type, void *data, uint32_t data_len,
			  uint32_t *viommu_id);
int sim_hw_queue_alloc(void *be, uint32_t viommu_id, uint32_t type,
		       uint32_t index, uint64_t iova, uint64_t length,
		       uint32_t *hw_queue_id);
int sim_hw_queue_destroy(struct sim *s, uint32_t id);
int sim_ctx_mmap(void *be, uint64_t offset, uint64_t length, void **addr);
int sim_ctx_munmap(void *be, void *addr, uint64_t length);
/* vIOMMU @viommu_id was destroyed: drop its MMIO region. */
void sim_hwq_viommu_gone(struct sim *s, uint32_t viommu_id);
void sim_hwq_close(struct sim *s);

/* caps.c */
int sim_caps_probe(void *be, void *bdev, uint32_t dev_id,
		   struct ioasid_cap *caps, uint32_t num, char release[65]);

int sim_option(void *be, bool set, uint32_t option, uint32_t object_id,
	       uint64_t *val);

/* hw_pagetable.c */
struct sim_hwpt *sim_hwpt_new(struct sim *s, const struct sim_dev *dev,
			      uint32_t flags);
void sim_hwpt_destroy(struct sim *s, struct sim_hwpt *h);
void sim_hwpt_put(struct sim *s, struct sim_hwpt *h, unsigned int n);
int sim_hwpt_alloc(void *be, uint32_t dev_id, uint32_t pt_id,
		   uint32_t flags, uint32_t *hwpt_id);
bool sim_ext_hwpt_nested(const struct sim_hwpt *h);
bool sim_ext_hwpt_busy(const struct sim_hwpt *h);
struct sim_hwpt_ext *sim_hwpt_ext(struct sim_hwpt *h);
void *sim_ext_get(struct sim *s, uint32_t id, enum sim_obj_type type);
int sim_grow(void **v, uint32_t *cap, uint32_t need, size_t size);
void sim_efd_signal(int efd, bool ready);
int sim_ext_hwpt_alloc_user(void *be, uint32_t dev_id, uint32_t pt_id,
			    const struct ioasid_hwpt_user_args *a,
			    uint32_t *hwpt_id);
int sim_ext_invalidate(void *be, uint32_t id, uint32_t type,
		       const void *entries, uint32_t entry_len,
		       uint32_t *entry_num);
int sim_ext_set_dirty(void *be, uint32_t hwpt_id, bool enable);
int sim_ext_get_dirty(void *be, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, uint64_t page_size, uint64_t *bitmap,
		      uint32_t flags);
int sim_ext_test_dirty(void *be, uint32_t hwpt_id, uint64_t iova,
		       uint64_t length, uint64_t page_size,
		       const uint64_t *bitmap, uint64_t *nr);

/* device.c */
int sim_dev_attach(void *be, void *bdev, uint32_t pt_id,
		   uint32_t *hwpt_id);
int sim_dev_detach(void *be, void *bdev);
int sim_dev_pasid_attach(void *be, void *bdev, uint32_t pasid,
			 uint32_t vpasid, uint32_t pt_id, bool replace,
			 uint32_t *hwpt_id);
int sim_dev_pasid_detach(void *be, void *bdev, uint32_t pasid);
int sim_dev_pasid_list(void *be, void *bdev,
		       struct ioasid_pasid_entry *entries, uint32_t *num);
int sim_hw_info(void *be, uint32_t dev_id, struct ioasid_hw_info *info,
		void *data, uint32_t *data_len);
int sim_set_driver(void *be, const char *name, const char *driver,
		   bool force);
int sim_dev_open(void *be, const struct ioasid_dev_info *info,
		 void **bdev);
int sim_dev_bind(void *be, void *bdev, uint32_t *dev_id);
int sim_dev_dma_buf(void *be, void *bdev, uint32_t region, uint64_t offset,
		    uint64_t length, int *fd);
void sim_dev_close(void *be, void *bdev);

/* viommu.c */
int sim_ext_viommu_alloc(void *be, uint32_t dev_id, uint32_t hwpt_id,
			 uint32_t type, uint32_t *viommu_id);
int sim_ext_vdevice_alloc(void *be, uint32_t viommu_id, uint32_t dev_id,
			  uint64_t virt_id, uint32_t *vdevice_id);
/* destroy() of a vIOMMU, vDEVICE, vEVENTQ or fault queue. */
int sim_ext_destroy(void *be, uint32_t id, enum ioasid_obj_type type);
void sim_ext_dev_close(struct sim *s, uint32_t dev_id);
void sim_ext_close(struct sim *s);

/* eventq.c */
int sim_ext_veventq_alloc(void *be, uint32_t viommu_id, uint32_t type,
			  uint32_t depth, uint32_t *id, int *fd);
int sim_veventq_report(struct sim_veventq *q, const void *data,
		       uint32_t len);
int sim_ext_veventq_read(void *be, uint32_t id, struct ioasid_vevent *ev,
			 uint32_t *num);
int sim_ext_fault_alloc(void *be, uint32_t *id, int *fd);
int sim_ext_fault_read(void *be, uint32_t id, struct ioasid_fault *out,
		       uint32_t *num);
int sim_ext_fault_respond(void *be, uint32_t id,
			  const struct ioasid_fault_response *r,
			  uint32_t *num);

/* selftest.c */
int sim_ext_test_iopf(void *be, uint32_t dev_id, uint32_t pasid,
		      uint32_t grpid, uint32_t perm, uint64_t addr);
int sim_ext_test_vevent(void *be, uint32_t dev_id);
int sim_ext_test_check_iotlb(void *be, uint32_t hwpt_id, uint32_t index,
			     uint32_t value);

#endif /* IOASID_BACKEND_SIM_H */
