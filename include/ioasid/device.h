/* SPDX-License-Identifier: MIT */
/*
 * libioasid devices: the inventory (devices, IOMMU groups, the IOMMUs
 * behind them and their reserved regions, which work without an open
 * device and on kernels without iommufd), host driver binding, and the
 * VFIO device handle: open, bind, attach to an IOAS or HWPT, PASID
 * attach.
 */
#ifndef IOASID_DEVICE_H
#define IOASID_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/ctx.h>
#include <ioasid/layout.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Devices                                                              */

struct ioasid_dev;

enum ioasid_dev_kind {
	IOASID_DEV_PCI = 0,
	IOASID_DEV_MDEV = 1,
	IOASID_DEV_MOCK = 2, /* CONFIG_IOMMUFD_TEST mock device */
};

/* PASID device classes; see libioasid(3). */
enum ioasid_dev_class {
	IOASID_CLASS_RID_ONLY = 0,
	IOASID_CLASS_MDEV_NO_PASID = 1,
	IOASID_CLASS_MDEV_FIXED_PASID = 2,
	IOASID_CLASS_PASID_PASSTHROUGH = 3,
	IOASID_CLASS_PASID_DEV_TRANSLATE = 4,
	IOASID_CLASS_PASID_CPU_TRANSLATE = 5,
};

/* How a device's class was found (struct ioasid_dev_info.class_source). */
enum ioasid_class_source {
	/* Nothing says: the class is assumed (0 for PCI, 1 for mdevs) and
	 * may change once the device is bound or configured. */
	IOASID_CLASS_SRC_DEFAULT = 0,
	IOASID_CLASS_SRC_HARDWARE = 1, /* PCI PASID capability, hw info */
	IOASID_CLASS_SRC_CONFIG = 2,   /* ioasid.conf(5) */
	IOASID_CLASS_SRC_TOPOLOGY = 3, /* the simulator's topology */
};

struct ioasid_dev_info {
	size_t sz;
	/* PCI address ("0000:00:03.0") or mdev UUID. */
	char name[IOASID_NAME_MAX];
	enum ioasid_dev_kind kind;
	/* Bound host driver, "" if none. */
	char driver[IOASID_NAME_MAX];
	/* VFIO cdev ("/dev/vfio/devices/vfio0"), "" if none. */
	char cdev[IOASID_NAME_MAX];
	/* IOMMU group number, -1 if none. */
	int32_t group;
	/* Name of the IOMMU instance, "" if none (mdevs). */
	char iommu[IOASID_NAME_MAX];
	/* mdev: the parent device's name. */
	char parent[IOASID_NAME_MAX];
	uint16_t vendor_id, device_id;
	enum ioasid_dev_class dev_class;
	/* PASID width in bits, 0 without PASID support. */
	uint8_t pasid_width;
	/* Added in 0.2.  PASID attach takes the guest's vPASID (classes 3-5). */
	bool needs_vpasid;
	/* The VMM must program the CPU's PASID translation (class 5). */
	bool needs_cpu_translation;
	/* Class 2: the PASID the host set at bind; 0 otherwise. */
	uint32_t fixed_pasid;
	/* Where dev_class came from. */
	enum ioasid_class_source class_source;
	size_t : 0;
};
#define ioasid_dev_info__last_field class_source

/*
 * ioasid_dev_info_at - describe the @index-th device of the system (or of
 * the simulated topology), in a stable order.
 *
 * Return: 0; -ENOENT when @index is past the last device.
 */
IOASID_API int ioasid_dev_info_at(struct ioasid_ctx *ctx, uint32_t index,
				  struct ioasid_dev_info *info);

/* ioasid_dev_info_get - describe the device called @name (PCI address,
 * mdev UUID or cdev path).  Return: 0; -ENODEV if there is none. */
IOASID_API int ioasid_dev_info_get(struct ioasid_ctx *ctx, const char *name,
				   struct ioasid_dev_info *info);

/* Take a device from the host driver that is using it. */
#define IOASID_DRIVER_FORCE (1u << 0)

struct ioasid_driver_opts {
	size_t sz;
	uint32_t flags; /* IOASID_DRIVER_* */
	size_t : 0;
};
#define ioasid_driver_opts__last_field flags

/*
 * ioasid_dev_set_driver - bind the PCI device @name to host driver
 * @driver ("vfio-pci" to make it assignable), or with @driver NULL return
 * it to its default driver.
 *
 * The choice goes into the device's driver_override, so it sticks across
 * re-probes.  A device that another host driver is using (a NIC carrying
 * traffic, the boot disk) is refused unless @opts has
 * IOASID_DRIVER_FORCE: taking it away is the operator's decision.
 *
 * Return: 0 (also when it already has that driver); -ENODEV; -EINVAL (not
 * a PCI device, a malformed driver name); -EBUSY (bound to another host
 * driver without IOASID_DRIVER_FORCE, or open in this context); -EACCES;
 * -ENOENT (the driver did not take the device: not loaded, or it does not
 * support it).
 */
IOASID_API int ioasid_dev_set_driver(struct ioasid_ctx *ctx, const char *name,
				     const char *driver,
				     const struct ioasid_driver_opts *opts);

/*
 * ioasid_dev_open - open a device for assignment.
 * @name: PCI address ("0000:00:03.0" or "00:03.0"), mdev UUID, or VFIO
 *        cdev path ("/dev/vfio/devices/vfio0").
 * @devp: receives the handle.
 *
 * Return: 0; -ENODEV (no such device); -EBUSY (already open in this
 * context); -EINVAL (@name is malformed).
 */
IOASID_API int ioasid_dev_open(struct ioasid_ctx *ctx, const char *name,
			       struct ioasid_dev **devp);

/*
 * ioasid_dev_bind - bind an open device to the context's iommufd.
 * @dev_id: if not NULL, receives the device id (used by HWPT allocation).
 *
 * Return: 0; -EALREADY if already bound.
 */
IOASID_API int ioasid_dev_bind(struct ioasid_dev *dev, uint32_t *dev_id);

/*
 * ioasid_dev_attach - attach a bound, detached device to an IOAS or HWPT.
 * @pt_id: the IOAS or HWPT.
 * @hwpt_id: if not NULL, receives the HWPT in use (attaching to an IOAS
 *           uses a compatible HWPT of that IOAS or creates one).
 *
 * Return: 0; -ENOENT (@pt_id is not an IOAS or HWPT); -EBUSY (already
 * attached: use ioasid_dev_replace()); -EINVAL (not bound, or the IOMMU
 * cannot use that HWPT); -EADDRINUSE (a reserved region of the device
 * overlaps a mapping of the IOAS, or lies inside its allow-list).
 */
IOASID_API int ioasid_dev_attach(struct ioasid_dev *dev, uint32_t pt_id,
				 uint32_t *hwpt_id);

/*
 * ioasid_dev_replace - move an attached device to another IOAS or HWPT in
 * one step: DMA never sees an unattached device.  On failure the old
 * attachment stays.
 */
IOASID_API int ioasid_dev_replace(struct ioasid_dev *dev, uint32_t pt_id,
				  uint32_t *hwpt_id);

/* ioasid_dev_detach - detach an attached device.  Return: 0; -EINVAL if
 * it is not attached. */
IOASID_API int ioasid_dev_detach(struct ioasid_dev *dev);

/* ioasid_dev_close - detach, unbind and close.  NULL is allowed. */
IOASID_API void ioasid_dev_close(struct ioasid_dev *dev);

/* Accessors: the device's name as opened, its id (0 until bound), and the
 * IOAS or HWPT it is attached to (0 when detached).  They take no lock and
 * may run on any thread while another attaches or detaches the device:
 * each returns the id before or after that call, never a torn value. */
IOASID_API const char *ioasid_dev_name(const struct ioasid_dev *dev);
IOASID_API uint32_t ioasid_dev_id(const struct ioasid_dev *dev);
IOASID_API uint32_t ioasid_dev_pt_id(const struct ioasid_dev *dev);
IOASID_API uint32_t ioasid_dev_hwpt_id(const struct ioasid_dev *dev);

/*
 * ioasid_dev_fd - the VFIO device fd of a device opened on the kernel
 * backend, for what a VMM does with the device besides DMA mapping: its
 * regions (BARs, config space), interrupts and resets.  The fd stays the
 * library's: do not close it.
 *
 * Return: the fd; -EOPNOTSUPP for simulator and CONFIG_IOMMUFD_TEST mock
 * devices, which have none; -EINVAL if @dev is NULL.
 */
IOASID_API int ioasid_dev_fd(struct ioasid_dev *dev);

struct ioasid_dma_buf_opts {
	size_t sz;
	uint32_t flags; /* none defined: 0 */
	size_t : 0;
};
#define ioasid_dma_buf_opts__last_field flags

/*
 * ioasid_dev_dma_buf - export @length bytes of region @region_index of a
 * bound device (a PCI BAR: 0 to 5, as VFIO numbers them) from @offset as
 * a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF, Linux 6.19; vfio-pci with
 * CONFIG_VFIO_PCI_DMABUF, which needs PCI peer-to-peer DMA).  Mapped into
 * an IOAS with ioasid_ioas_map_file(), it lets the other devices of that
 * IOAS DMA to this BAR (peer to peer): the way to do it now that the
 * kernel refuses to pin VM_PFNMAP memory such as an mmap'd BAR.
 * @fd: receives the dma-buf (O_RDWR, O_CLOEXEC); the caller closes it.
 * When the device is reset or closed the kernel revokes the dma-buf: DMA
 * through the mapping then stops.
 *
 * Return: 0; -EINVAL (@length 0, @offset or @length not page-aligned,
 * @fd NULL, bad options, the device not bound, a region that is not a
 * memory BAR or too small); -EOVERFLOW (@offset + @length wraps);
 * -EOPNOTSUPP (unknown flags; simulator and mock devices, which have no
 * BARs; a kernel or device without the exporter).
 */
IOASID_API int ioasid_dev_dma_buf(struct ioasid_dev *dev, uint32_t region_index,
				  uint64_t offset, uint64_t length,
				  const struct ioasid_dma_buf_opts *opts, int *fd);

/* ------------------------------------------------------------------ */
/* IOMMU groups                                                         */

struct ioasid_group_info {
	size_t sz;
	int32_t id;
	char iommu[IOASID_NAME_MAX];
	uint32_t num_devices;
	uint32_t num_resv_regions;
	size_t : 0;
};
#define ioasid_group_info__last_field num_resv_regions

/* ioasid_group_info_at - the @index-th IOMMU group; -ENOENT past the
 * end. */
IOASID_API int ioasid_group_info_at(struct ioasid_ctx *ctx, uint32_t index,
				    struct ioasid_group_info *info);

/*
 * ioasid_group_resv_regions - reserved regions of group @group, sorted by
 * start.  @regions/@num as for ioasid_ioas_iova_ranges() (-EMSGSIZE).
 * Return: 0; -ENOENT (no such group).
 */
IOASID_API int ioasid_group_resv_regions(struct ioasid_ctx *ctx,
					 int32_t group,
					 struct ioasid_resv_region *regions,
					 uint32_t *num);

/* ------------------------------------------------------------------ */
/* IOMMU capabilities (IOMMU_GET_HW_INFO)                               */

/* Kind of driver data ioasid_dev_hw_info() returns (the uAPI's
 * IOMMU_HW_INFO_TYPE_* values; <ioasid/testing.h> has the
 * CONFIG_IOMMUFD_TEST mock's). */
#define IOASID_HW_INFO_NONE 0u
#define IOASID_HW_INFO_INTEL_VTD 1u
#define IOASID_HW_INFO_ARM_SMMUV3 2u
#define IOASID_HW_INFO_TEGRA241_CMDQV 3u
#define IOASID_HW_INFO_AMD 4u

/* Capability bits (the uAPI's IOMMU_HW_CAP_* values). */
#define IOASID_HW_CAP_DIRTY_TRACKING (1ull << 0)
#define IOASID_HW_CAP_PCI_PASID_EXEC (1ull << 1)
#define IOASID_HW_CAP_PCI_PASID_PRIV (1ull << 2)
#define IOASID_HW_CAP_PCI_ATS_NOT_SUPPORTED (1ull << 3)

struct ioasid_hw_info {
	size_t sz;
	uint32_t type;		 /* IOASID_HW_INFO_* */
	uint8_t max_pasid_log2;	 /* PASID width usable; 0: no PASID */
	uint64_t capabilities;	 /* IOASID_HW_CAP_* */
	uint32_t data_len;	 /* size of the driver data the backend has */
	size_t : 0;
};
#define ioasid_hw_info__last_field data_len

/*
 * ioasid_dev_hw_info - what the IOMMU behind a bound device can do.
 * @data: buffer for the driver-specific data of @info->type (for example
 *        the VT-d capability registers), or NULL.
 * @data_size: size of @data; extra bytes are zeroed.  @info->data_len
 *             says how much the backend had, which may be more.
 *
 * Return: 0; -EINVAL (device not bound); -EOPNOTSUPP (kernel before 6.6).
 */
IOASID_API int ioasid_dev_hw_info(struct ioasid_dev *dev,
				  struct ioasid_hw_info *info, void *data,
				  uint32_t data_size);

/* IOASID_HW_INFO_AMD driver data: the uAPI's struct iommu_hw_info_amd,
 * the raw Extended Feature registers of the AMD IOMMU (MMIO 0x30 and
 * 0x1a0), as ioasid_dev_hw_info() copies them. */
struct ioasid_hw_info_amd {
	uint64_t efr;
	uint64_t efr2;
};

/* The EFR bits a VMM may show its guest's vIOMMU (the uAPI's list for
 * HW-vIOMMU: GTSup, GASup, GIoSup, PPRSup, EPHSup, GATS, GLX, PASmax). */
#define IOASID_AMD_EFR_VMM_ALLOWED 0x0005001f0000f092ull

/* The fields of the AMD EFR/EFR2 that nesting and a vIOMMU depend on. */
struct ioasid_amd_features {
	size_t sz;
	bool ppr;	   /* EFR[PPRSup]: peripheral page requests */
	bool gt;	   /* EFR[GTSup]: guest translation (nesting) */
	bool ga;	   /* EFR[GASup]: guest virtual APIC */
	bool gio;	   /* EFR[GIoSup]: guest I/O protection */
	bool ha;	   /* EFR[HASup]: host access bits */
	bool eph;	   /* EFR[EPHSup]: enhanced PPR handling */
	bool hd;	   /* EFR[HDSup]: host dirty bits (dirty tracking) */
	bool snp;	   /* EFR[SNPSup]: SEV-SNP */
	/* EFR[GATS]: guest page-table levels, 4 or 5 (0: reserved value). */
	uint8_t guest_levels;
	uint8_t glx;	   /* EFR[GLX]: guest CR3 table levels - 1 */
	/* EFR[PASmax] + 1: PASID width of the IOMMU. */
	uint8_t pasid_width;
	bool gcr3_trap;	   /* EFR2[GCR3TRPMode] */
	/* EFR masked with IOASID_AMD_EFR_VMM_ALLOWED: what a VMM may
	 * advertise in its guest's EFR. */
	uint64_t vmm_efr;
	size_t : 0;
};
#define ioasid_amd_features__last_field vmm_efr

/*
 * ioasid_hw_info_amd_decode - decode the IOASID_HW_INFO_AMD driver data
 * of ioasid_dev_hw_info() (@data, @data_len bytes: a struct
 * ioasid_hw_info_amd) into @f (@f->sz set by the caller).  Pure: needs
 * no context.
 *
 * Return: 0; -EINVAL (NULL pointer, @f->sz not set, @data_len shorter
 * than the EFR).  A missing EFR2 reads as 0.
 */
IOASID_API int ioasid_hw_info_amd_decode(const void *data, uint32_t data_len,
					 struct ioasid_amd_features *f);

/* IOASID_HW_INFO_ARM_SMMUV3 driver data: the uAPI's struct
 * iommu_hw_info_arm_smmuv3, the SMMU's raw ID registers as
 * ioasid_dev_hw_info() copies them. */
struct ioasid_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t reserved;
	uint32_t idr[6]; /* SMMU_IDR0..SMMU_IDR5 */
	uint32_t iidr;	 /* SMMU_IIDR: implementer, product, revision */
	uint32_t aidr;	 /* SMMU_AIDR: architecture revision */
};

/* SMMU_IDR0.STALL_MODEL */
#define IOASID_SMMUV3_STALL_AND_TERMINATE 0u
#define IOASID_SMMUV3_TERMINATE_ONLY 1u
#define IOASID_SMMUV3_STALL_FORCED 2u

/* The fields of the SMMUv3 ID registers that a VMM (nesting, a vSMMU)
 * and an operator ask about. */
struct ioasid_smmuv3_features {
	size_t sz;
	/* IDR0 */
	bool stage1;	     /* S1P: stage-1 translation */
	bool stage2;	     /* S2P: stage-2 (what nesting needs) */
	bool aarch64_tables; /* TTF: AArch64 translation tables */
	bool aarch32_tables; /* TTF: AArch32 (LPAE) tables */
	bool coherent;	     /* COHACC: coherent table and queue walks */
	bool btm;	     /* BTM: broadcast TLB maintenance */
	/* HTTU: hardware updates of table entries: 0 none, 1 access flag,
	 * 2 access flag and dirty state (dirty tracking). */
	uint8_t httu;
	bool hyp;	     /* HYP: EL2 stage-1 contexts */
	bool ats;	     /* ATS: PCIe ATS */
	bool asid16;	     /* ASID16 */
	bool msi;	     /* MSI: the SMMU signals with MSIs */
	bool pri;	     /* PRI: PCIe page requests */
	bool vmid16;	     /* VMID16 */
	bool cd_2level;	     /* CD2L: two-level context descriptor tables */
	uint8_t stall_model; /* STALL_MODEL: IOASID_SMMUV3_* */
	bool term_model;     /* TERM_MODEL: a terminated access aborts */
	uint8_t st_levels;   /* ST_LVL: 1 linear, 2 two-level stream table */
	/* IDR1 */
	uint8_t sid_bits;    /* SIDSIZE: StreamID width */
	uint8_t ssid_bits;   /* SSIDSIZE: SubstreamID (PASID) width */
	uint8_t cmdq_log2;   /* CMDQS: log2 of the command queue's entries */
	uint8_t evtq_log2;   /* EVENTQS */
	uint8_t priq_log2;   /* PRIQS */
	/* IDR3 */
	bool ril;	     /* RIL: range invalidation */
	bool fwb;	     /* FWB: stage-2 forced write-back */
	uint8_t bbml;	     /* BBML: break-before-make level, 0-2 */
	/* IDR5 */
	uint8_t oas_bits;    /* OAS: output address size in bits (0: reserved value) */
	uint8_t va_bits;     /* VAX: 48 or 52 */
	bool gran_4k, gran_16k, gran_64k; /* GRAN4K/16K/64K */
	uint16_t stall_max;  /* STALL_MAX: outstanding stalled transactions */
	/* IIDR and AIDR */
	uint16_t implementer; /* JEP106 code of the implementer */
	uint16_t product;
	uint8_t variant, revision;
	uint8_t arch_minor;  /* AIDR.ArchMinorRev: 3.x */
	size_t : 0;
};
#define ioasid_smmuv3_features__last_field arch_minor

/*
 * ioasid_hw_info_smmuv3_decode - decode the IOASID_HW_INFO_ARM_SMMUV3
 * driver data of ioasid_dev_hw_info() (@data, @data_len bytes: a struct
 * ioasid_hw_info_arm_smmuv3) into @f (@f->sz set by the caller).  Pure:
 * needs no context.
 *
 * Return: 0; -EINVAL (NULL pointer, @f->sz not set, @data_len shorter
 * than IDR0-IDR5).  A missing IIDR or AIDR reads as 0.
 */
IOASID_API int ioasid_hw_info_smmuv3_decode(const void *data, uint32_t data_len,
					    struct ioasid_smmuv3_features *f);

/* ------------------------------------------------------------------ */
/* The IOMMU behind a device: its limits                                */

/* Which fields of struct ioasid_iommu_info the backend really knows;
 * the others are estimates (see ioasid_dev_iommu_info(3)). */
#define IOASID_IOMMU_APERTURE_KNOWN (1u << 0)
#define IOASID_IOMMU_PAGE_SIZES_KNOWN (1u << 1)

struct ioasid_iommu_info {
	size_t sz;
	/* The IOMMU instance ("dmar0", or the topology's name). */
	char name[IOASID_NAME_MAX];
	/* IOVAs it can translate: [aperture_start, aperture_last]; the last
	 * is the address-width ceiling (2^aw_bits - 1). */
	uint64_t aperture_start;
	uint64_t aperture_last;
	/* Bit N set: 2^N-byte pages.  The lowest bit is the granule, the
	 * IOVA alignment of its domains. */
	uint64_t page_sizes;
	/* PASID width the IOMMU supports, 0: none. */
	uint8_t pasid_width;
	uint32_t flags; /* IOASID_IOMMU_*_KNOWN */
	/* PowerPC PAMU style MSI banks: how many this IOMMU has (0: none;
	 * always 0 on the kernel backend) and the size of each window. */
	uint32_t msi_banks;
	uint64_t msi_bank_size;
	size_t : 0;
};
#define ioasid_iommu_info__last_field msi_bank_size

/*
 * ioasid_dev_iommu_info - the IOMMU behind device @name (as for
 * ioasid_dev_info_get()): its aperture, page sizes, PASID width and MSI
 * banks.  Needs no open device.
 *
 * Return: 0; -ENODEV (no such device, or it has no IOMMU, like an mdev);
 * -EINVAL (@info->sz not set).
 */
IOASID_API int ioasid_dev_iommu_info(struct ioasid_ctx *ctx, const char *name,
				     struct ioasid_iommu_info *info);

/* ------------------------------------------------------------------ */
/* Reserved regions of a device; the device as a layout endpoint        */

/*
 * ioasid_dev_resv_regions - the IOVAs device @name cannot use: its
 * group's reserved regions plus its IOMMU's aperture limits, the latter as
 * IOASID_RESV_RESERVED regions [0, aperture_start - 1] and
 * [aperture_last + 1, UINT64_MAX].  Sorted, disjoint; @regions/@num as
 * for ioasid_group_resv_regions() (-EMSGSIZE).  Needs no open device.
 *
 * Return: 0; -ENODEV (no such device, or no IOMMU group); -EMSGSIZE.
 */
IOASID_API int ioasid_dev_resv_regions(struct ioasid_ctx *ctx,
				       const char *name,
				       struct ioasid_resv_region *regions,
				       uint32_t *num);

/*
 * ioasid_endpoint_from_dev - describe an open device as an endpoint: its
 * group's reserved regions (into @regions, *@num entries, -EMSGSIZE as
 * for ioasid_group_resv_regions()), its IOMMU's page sizes and aperture,
 * and its PASID width (the smaller of the device's and the IOMMU's).
 * @ep->regions points into @regions and @ep->name into @dev.
 *
 * Return: 0; -EINVAL; -EMSGSIZE; -ENODEV (the device has no IOMMU group).
 */
IOASID_API int ioasid_endpoint_from_dev(struct ioasid_dev *dev,
					struct ioasid_endpoint *ep,
					struct ioasid_resv_region *regions,
					uint32_t *num);

/* ------------------------------------------------------------------ */
/* PASID: attach an address space to one PASID of a device, following
 * the device's class (enum ioasid_dev_class, see libioasid(3)).        */

/* ioasid_pasid_attach.flags: use @ppasid as given instead of allocating
 * one (classes 4 and 5; class 2 accepts only its fixed PASID, class 3
 * only the vPASID itself). */
#define IOASID_PASID_FIXED (1u << 0)

/* What the VMM must program after a PASID attach, vendor-agnostically. */
enum ioasid_pasid_action {
	/* Nothing: the device emits the PASID the guest gave it (class 3)
	 * or one the host set up (class 2). */
	IOASID_PASID_PROGRAM_NOTHING = 0,
	/* The device's own vPASID->pPASID table (class 4), through the
	 * device's interface; the library keeps the table
	 * (ioasid_dev_pasid_table()). */
	IOASID_PASID_PROGRAM_DEVICE = 1,
	/* The CPU's PASID translation for the guest (class 5, ENQCMD: for
	 * example KVM's vPASID->pPASID table), vpasid -> ppasid. */
	IOASID_PASID_PROGRAM_CPU = 2,
};

struct ioasid_pasid_attach {
	size_t sz;
	uint32_t flags; /* IOASID_PASID_* */
	/* In: the guest's PASID (classes 3-5; 0 for class 2, which takes
	 * none from the guest). */
	uint32_t vpasid;
	/* In with IOASID_PASID_FIXED, out always: the physical PASID. */
	uint32_t ppasid;
	/* Out: the HWPT in use. */
	uint32_t hwpt_id;
	/* Out: what the VMM must program, and whether the guest-visible
	 * vPASID differs from the physical PASID. */
	enum ioasid_pasid_action action;
	bool translated;
	size_t : 0;
};
#define ioasid_pasid_attach__last_field translated

/*
 * ioasid_dev_attach_pasid - attach one PASID of a bound device to an IOAS
 * or HWPT (VFIO_DEVICE_ATTACH_IOMMUFD_PT with a PASID, Linux 6.15+).
 * @attach: in/out, see struct ioasid_pasid_attach.
 *
 * The device's class decides the physical PASID: class 2 its fixed one,
 * class 3 the vPASID, classes 4 and 5 one from the context's allocator
 * (the lowest free one that fits every width involved) unless
 * IOASID_PASID_FIXED names it.  The target must be a HWPT allocated with
 * the uAPI's IOMMU_HWPT_ALLOC_PASID flag: the HWPT an IOAS makes for
 * itself never has it, so on Linux (7.3) a PASID attach to an IOAS fails
 * with -EINVAL; so does one while the device's own (RID) attachment is on
 * a HWPT without that flag (iommufd_hwpt_pasid_compat()).
 *
 * Return: 0; -EOPNOTSUPP (class 0 or 1: the device has no PASID);
 * -EINVAL (not bound, a vPASID or PASID outside the width, a vPASID
 * where none is taken, a HWPT without PASID support); -EBUSY (the
 * vPASID is attached already, or the physical PASID is in use in this
 * context); -ENOSPC (no free PASID); -ENOENT (@pt_id does not exist).
 */
IOASID_API int ioasid_dev_attach_pasid(struct ioasid_dev *dev, uint32_t pt_id,
				       struct ioasid_pasid_attach *attach);

/*
 * ioasid_dev_replace_pasid - move the attached vPASID @attach->vpasid
 * (class 2: 0) to another IOAS or HWPT in one step; the physical PASID
 * stays and comes back in @attach.  -EINVAL if it is not attached.
 */
IOASID_API int ioasid_dev_replace_pasid(struct ioasid_dev *dev, uint32_t pt_id,
					struct ioasid_pasid_attach *attach);

/* ioasid_dev_detach_pasid - detach the vPASID @vpasid (class 2: 0) and
 * free its physical PASID.  Return: 0; -EINVAL if it is not attached;
 * -EOPNOTSUPP for classes 0 and 1. */
IOASID_API int ioasid_dev_detach_pasid(struct ioasid_dev *dev, uint32_t vpasid);

/* One PASID attachment of a device. */
struct ioasid_pasid_entry {
	uint32_t vpasid;
	uint32_t ppasid;
	uint32_t pt_id;
	uint32_t hwpt_id;
};

/*
 * ioasid_dev_pasid_table - the device's vPASID->pPASID table, sorted by
 * vPASID; @entries/@num as for ioasid_ioas_iova_ranges() (-EMSGSIZE).
 */
IOASID_API int ioasid_dev_pasid_table(struct ioasid_dev *dev,
				      struct ioasid_pasid_entry *entries,
				      uint32_t *num);

/* ioasid_dev_class_name - "rid-only", "mdev-no-pasid", "mdev-fixed-pasid",
 * "pasid-passthrough", "pasid-dev-translate", "pasid-cpu-translate";
 * NULL for an unknown class. */
IOASID_API const char *ioasid_dev_class_name(enum ioasid_dev_class cls);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_DEVICE_H */
