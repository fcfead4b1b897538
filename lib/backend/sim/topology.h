/* SPDX-License-Identifier: MIT */
/*
 * Simulator topology: the IOMMUs, groups and devices the simulator
 * pretends to have, read from an INI file (see ioasid-topology(5)).
 * Internal to lib/backend/sim/topology.c and lib/backend/sim/.
 */
#ifndef IOASID_LIB_TOPOLOGY_H
#define IOASID_LIB_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include <ioasid/ioasid.h>

/* Name used in messages for the built-in topology. */
#define TOPO_BUILTIN_NAME "<builtin x86-server>"

/* Bits of the uAPI's IOMMU_HWPT_ALLOC_* flags the simulator knows. */
#define TOPO_HWPT_NEST_PARENT (1u << 0)
#define TOPO_HWPT_DIRTY_TRACKING (1u << 1)
#define TOPO_HWPT_FAULT_ID_VALID (1u << 2)
#define TOPO_HWPT_PASID (1u << 3)

/* Most MSI banks one IOMMU may declare (PAMU SoCs have a handful). */
#define TOPO_MAX_MSI_BANKS 64

struct topo_resv {
	uint64_t start, last; /* inclusive */
	enum ioasid_resv_type type;
};

struct topo_resv_list {
	struct topo_resv *v;
	unsigned int n;
};

struct topo_iommu {
	char name[IOASID_NAME_MAX];
	char model[IOASID_NAME_MAX];
	uint64_t aperture_start, aperture_last;
	uint64_t pgsize_bitmap; /* bit N set: 2^N-byte pages */
	uint8_t pasid_width;
	bool dirty_tracking, nesting;
	struct topo_resv_list resv;
	/* PowerPC PAMU style MSI banks: how many, and each window's size
	 * (a power of two; 0 when there are none). */
	uint32_t msi_banks;
	uint64_t msi_bank_size;
};

struct topo_group {
	int32_t id;
	unsigned int iommu; /* index into topology.iommus */
	unsigned int num_devices;
	struct topo_resv_list resv;
};

struct topo_dev {
	struct ioasid_dev_info info; /* name, kind, driver, cdev, ... */
	int group;		     /* index into topology.groups, -1: none */
	int iommu;		     /* index into topology.iommus, -1: none */
	struct topo_resv_list resv;  /* the device's own regions */
};

struct topology {
	char *source; /* file name, or TOPO_BUILTIN_NAME */
	struct topo_iommu *iommus;
	unsigned int num_iommus;
	struct topo_group *groups; /* sorted by id */
	unsigned int num_groups;
	struct topo_dev *devs; /* in file order */
	unsigned int num_devs;
};

/*
 * topology_load - read and check a topology file.
 * @path: the file, or NULL for the built-in x86 server.
 *
 * Return: 0 with *@out set, -ENOENT/-EACCES (unreadable file), -EINVAL
 * (the message says FILE:LINE: what), -ENOMEM.
 */
int topology_load(const char *path, struct topology **out);
void topology_free(struct topology *topo);

/* The device called @name: PCI address in either form, mdev UUID, mock
 * name or cdev path; NULL if none. */
const struct topo_dev *topology_find_dev(const struct topology *topo,
					 const char *name);
const struct topo_group *topology_find_group(const struct topology *topo,
					     int32_t id);

/*
 * topology_dev_resv - the reserved regions that apply to @dev as the IOMMU
 * driver would report them for it: its IOMMU's, its group's and its own,
 * unmerged.  Return: 0 or -ENOMEM; free *@out->v with free().
 */
int topology_dev_resv(const struct topology *topo, const struct topo_dev *dev,
		      struct topo_resv_list *out);

/*
 * topology_group_resv - the group's regions as sysfs reserved_regions
 * shows them: the union over its IOMMU, itself and its devices, sorted,
 * with overlapping or adjacent regions of one type merged.
 */
int topology_group_resv(const struct topology *topo,
			const struct topo_group *group,
			struct topo_resv_list *out);

/* "direct", "direct-relaxable", "reserved", "msi", "sw-msi". */
const char *topology_resv_type_name(enum ioasid_resv_type type);

/* The built-in topology text (lib/backend/sim/topology-default.h). */
extern const char topology_builtin_text[];

#endif /* IOASID_LIB_TOPOLOGY_H */
