/* SPDX-License-Identifier: MIT */
/*
 * QEMU's edu device driven through a VFIO device fd, for the VM tests
 * that make it do DMA (edu_dma.c, viommu_shadow.c).  Header only.
 * tests/vm/edu_dma_raw.c describes edu's registers and QEMU 7.2's quirks.
 */
#ifndef IOASID_VMTEST_EDU_H
#define IOASID_VMTEST_EDU_H

#include "vmtest.h"

#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/vfio.h>

#define EDU_REG_IDENT 0x00 /* 4-byte reads only */
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_BUFFER_ADDR 0x40000
/* QEMU 7.2's edu aborts on a transfer ending at its buffer's last byte. */
#define EDU_DMA_LEN 2048

#define PCI_COMMAND_OFFSET 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

static inline void vt_vfio_region_info(int devfd, uint32_t index,
				       struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	VT_CHECK(ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, info) == 0,
		 "VFIO_DEVICE_GET_REGION_INFO %u: %s", index, strerror(errno));
}

static inline void vt_vfio_enable_bus_master(int devfd)
{
	struct vfio_region_info cfg;
	uint16_t cmd;

	vt_vfio_region_info(devfd, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	VT_CHECK(pread(devfd, &cmd, 2, cfg.offset + PCI_COMMAND_OFFSET) == 2,
		 "read PCI command: %s", strerror(errno));
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	VT_CHECK(pwrite(devfd, &cmd, 2, cfg.offset + PCI_COMMAND_OFFSET) == 2,
		 "write PCI command: %s", strerror(errno));
}

/* Turns on memory decoding and bus mastering of the edu behind @devfd,
 * maps its BAR0 (*@size bytes, for munmap) and checks edu's
 * identification register. */
static inline volatile uint8_t *edu_map_bar0(int devfd, size_t *size)
{
	struct vfio_region_info bar0;
	volatile uint8_t *bar;
	uint32_t ident;

	vt_vfio_enable_bus_master(devfd);
	vt_vfio_region_info(devfd, VFIO_PCI_BAR0_REGION_INDEX, &bar0);
	bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, devfd,
		   bar0.offset);
	VT_CHECK(bar != MAP_FAILED, "mmap BAR0: %s", strerror(errno));
	ident = *(volatile uint32_t *)(bar + EDU_REG_IDENT);
	VT_CHECK((ident & 0xff) == 0xed, "edu identification 0x%08x", ident);
	*size = bar0.size;
	return bar;
}

/*
 * A transfer the IOMMU is to block: small, because QEMU's SMMUv3 splits
 * a faulting DMA into 4-byte accesses and records one event (and the
 * guest kernel one log line) for each.
 */
#define EDU_BLOCKED_LEN 64

/* One transfer of EDU_DMA_LEN bytes, @src -> @dst: RAM to edu's buffer,
 * or (@to_ram) back; waits up to 10 s for edu to finish. */
static inline void edu_dma_len(volatile uint8_t *bar, uint64_t src,
			       uint64_t dst, uint64_t len, bool to_ram);

static inline void edu_dma(volatile uint8_t *bar, uint64_t src, uint64_t dst,
			   bool to_ram)
{
	edu_dma_len(bar, src, dst, EDU_DMA_LEN, to_ram);
}

static inline void edu_dma_len(volatile uint8_t *bar, uint64_t src,
			       uint64_t dst, uint64_t len, bool to_ram)
{
	uint64_t start = vt_now_ns();

	*(volatile uint64_t *)(bar + EDU_REG_DMA_SRC) = src;
	*(volatile uint64_t *)(bar + EDU_REG_DMA_DST) = dst;
	*(volatile uint64_t *)(bar + EDU_REG_DMA_COUNT) = len;
	*(volatile uint64_t *)(bar + EDU_REG_DMA_CMD) =
		EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0);
	while (*(volatile uint64_t *)(bar + EDU_REG_DMA_CMD) & EDU_DMA_START) {
		VT_CHECK(vt_now_ns() - start < 10000000000ull,
			 "edu DMA 0x%llx -> 0x%llx still running after 10 s",
			 (unsigned long long)src, (unsigned long long)dst);
		usleep(1000);
	}
}

#endif /* IOASID_VMTEST_EDU_H */
