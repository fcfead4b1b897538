// SPDX-License-Identifier: MIT
/*
 * Real DMA through iommufd with raw ioctls, inside the VM suite's guest.
 *
 * QEMU's edu device (PCI 1234:11e8) is bound to vfio-pci, attached to a fresh
 * IOAS through its VFIO cdev, and asked to copy a page RAM -> edu -> RAM
 * through IOVAs we mapped.  Then the destination is unmapped and the same DMA
 * must be blocked by the IOMMU, leaving memory untouched.
 *
 * This is the baseline the library's kernel backend is measured against, so it
 * uses nothing but <linux/iommufd.h> and <linux/vfio.h>.
 * Exit status: 0 pass, 1 fail (automake/liburing convention; 77 would be skip).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "lib/vm_hw.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

/*
 * edu BAR0 registers (QEMU docs/specs/edu.txt).  edu answers 4-byte accesses
 * everywhere but 8-byte ones only from 0x80 on (the DMA registers); an 8-byte
 * read of the identification register returns all ones.
 */
#define EDU_REG_IDENT 0x00
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2     /* direction edu -> RAM; clear: RAM -> edu */
#define EDU_BUFFER_ADDR 0x40000 /* edu's internal 4 KiB buffer */
/*
 * Half the buffer: QEMU 7.2's edu rejects a transfer that ends exactly at the
 * buffer's end (an off-by-one in its range check) with a hardware error that
 * aborts QEMU.  The rest of the page checks that no more was written.
 */
#define DMA_LEN 2048

/* edu's DMA mask is 28 bits, so every IOVA must stay below 256 MiB. */
#define IOVA_SRC 0x100000ULL
#define IOVA_DST 0x200000ULL /* a MiB on: aligned for any page size */

#define PCI_COMMAND_OFFSET 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

/* What the hardware reports (lib/vm_hw.h): the msi region of edu's
 * group in sysfs, and the top IOVA that IOMMU_GET_HW_INFO implies. */
static uint64_t msi_start, msi_last, hw_top;

static const char *prog = "edu_dma_raw";
/* The CPU page size: the IOMMU's smallest page and the IOAS's IOVA
 * alignment (64 KiB on the arm64-64k kernel). */
static uint64_t page;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", prog);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

static void __attribute__((noreturn)) fail(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	printf("%s: FAIL: ", prog);
	vprintf(fmt, ap);
	printf(" (errno %d: %s)\n", saved_errno, strerror(saved_errno));
	fflush(stdout);
	va_end(ap);
	exit(1);
}

static int read_hex_file(const char *path, unsigned long *value)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*value = strtoul(buf, NULL, 0);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		fail("open %s", path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail("write '%s' to %s", text, path);
	close(fd);
}

/* Returns the BDF of the first edu device, or exits. */
static void find_edu(char *bdf, size_t len)
{
	const char *root = "/sys/bus/pci/devices";
	struct dirent *de;
	DIR *dir = opendir(root);

	if (!dir)
		fail("opendir %s", root);
	while ((de = readdir(dir))) {
		unsigned long vendor, device;
		char path[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", root, de->d_name);
		if (read_hex_file(path, &vendor))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", root, de->d_name);
		if (read_hex_file(path, &device))
			continue;
		if (vendor == EDU_VENDOR && device == EDU_DEVICE) {
			snprintf(bdf, len, "%s", de->d_name);
			closedir(dir);
			return;
		}
	}
	closedir(dir);
	errno = ENODEV;
	fail("no edu device (%04x:%04x) in %s; is QEMU run with -device edu?",
	     EDU_VENDOR, EDU_DEVICE, root);
}

/* Binds BDF to vfio-pci and returns the name of its cdev (vfioN). */
static void bind_vfio_pci(const char *bdf, char *cdev, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	ssize_t n;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (!strstr(target, "/vfio-pci")) {
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/driver/unbind", bdf);
			write_file(path, bdf);
		}
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	write_file(path, "vfio-pci");
	if (n <= 0 || !strstr(target, "/vfio-pci"))
		write_file("/sys/bus/pci/drivers_probe", bdf);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		fail("%s missing after binding to vfio-pci (CONFIG_VFIO_DEVICE_CDEV?)",
		     path);
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(cdev, len, "%s", de->d_name);
			closedir(dir);
			return;
		}
	}
	closedir(dir);
	errno = ENOENT;
	fail("no vfioN entry in %s", path);
}

static void show_and_check_ranges(int iommufd, uint32_t ioas_id)
{
	struct iommu_ioas_iova_ranges query = {
		.size = sizeof(query),
		.ioas_id = ioas_id,
		.num_iovas = 0,
	};
	struct iommu_iova_range *ranges;
	bool msi_hole = false;
	uint32_t i;

	/* First call sizes the array: EMSGSIZE with num_iovas filled in. */
	if (ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &query) == 0 ||
	    errno != EMSGSIZE)
		fail("IOMMU_IOAS_IOVA_RANGES with no room did not say EMSGSIZE");
	ranges = calloc(query.num_iovas, sizeof(*ranges));
	if (!ranges)
		fail("calloc");
	query.allowed_iovas = (uintptr_t)ranges;
	if (ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &query))
		fail("IOMMU_IOAS_IOVA_RANGES");

	say("IOAS %u usable IOVA ranges (alignment 0x%llx):", ioas_id,
	    (unsigned long long)query.out_iova_alignment);
	for (i = 0; i < query.num_iovas; i++) {
		say("  0x%016llx-0x%016llx", (unsigned long long)ranges[i].start,
		    (unsigned long long)ranges[i].last);
		if (i > 0 && ranges[i - 1].last == msi_start - 1 &&
		    ranges[i].start == msi_last + 1)
			msi_hole = true;
	}
	if (!msi_hole) {
		errno = EINVAL;
		fail("no hole for the MSI window 0x%llx-0x%llx",
		     (unsigned long long)msi_start, (unsigned long long)msi_last);
	}
	if (!hw_top) {
		/* GET_HW_INFO type NONE: nothing to judge the top by. */
		say("last usable IOVA 0x%llx: the IOMMU reports no width (hw info type NONE), "
		    "so the top is not compared",
		    (unsigned long long)ranges[query.num_iovas - 1].last);
	} else if (ranges[query.num_iovas - 1].last != hw_top) {
		errno = EINVAL;
		fail("last usable IOVA is 0x%llx, GET_HW_INFO implies 0x%llx",
		     (unsigned long long)ranges[query.num_iovas - 1].last,
		     (unsigned long long)hw_top);
	}
	if (query.out_iova_alignment != page) {
		errno = EINVAL;
		fail("IOVA alignment 0x%llx, expected the page size 0x%llx",
		     (unsigned long long)query.out_iova_alignment,
		     (unsigned long long)page);
	}
	free(ranges);
}

static void map_page(int iommufd, uint32_t ioas_id, void *va, uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = page,
		.iova = iova,
	};

	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		fail("IOMMU_IOAS_MAP va %p iova 0x%llx", va,
		     (unsigned long long)iova);
	if (map.iova != iova) {
		errno = EINVAL;
		fail("fixed map returned iova 0x%llx",
		     (unsigned long long)map.iova);
	}
}

static void region_info(int devfd, uint32_t index, struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, info))
		fail("VFIO_DEVICE_GET_REGION_INFO index %u", index);
}

static void enable_bus_master(int devfd)
{
	struct vfio_region_info cfg;
	uint16_t command;

	region_info(devfd, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (pread(devfd, &command, sizeof(command),
		  cfg.offset + PCI_COMMAND_OFFSET) != sizeof(command))
		fail("read PCI command register");
	command |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(devfd, &command, sizeof(command),
		   cfg.offset + PCI_COMMAND_OFFSET) != sizeof(command))
		fail("write PCI command register");
	if (pread(devfd, &command, sizeof(command),
		  cfg.offset + PCI_COMMAND_OFFSET) != sizeof(command))
		fail("re-read PCI command register");
	if (!(command & PCI_COMMAND_MASTER)) {
		errno = EIO;
		fail("bus master bit did not stick (command 0x%x)", command);
	}
}

static inline void reg_write(volatile uint8_t *bar, unsigned int off,
			     uint64_t value)
{
	*(volatile uint64_t *)(bar + off) = value;
}

static inline uint64_t reg_read(volatile uint8_t *bar, unsigned int off)
{
	return *(volatile uint64_t *)(bar + off);
}

static inline uint32_t reg_read32(volatile uint8_t *bar, unsigned int off)
{
	return *(volatile uint32_t *)(bar + off);
}

/* Starts one edu DMA and waits for the device to report it done. */
static void edu_dma(volatile uint8_t *bar, uint64_t src, uint64_t dst,
		    uint64_t count, bool to_ram)
{
	struct timespec start, now;

	reg_write(bar, EDU_REG_DMA_SRC, src);
	reg_write(bar, EDU_REG_DMA_DST, dst);
	reg_write(bar, EDU_REG_DMA_COUNT, count);
	reg_write(bar, EDU_REG_DMA_CMD,
		  EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (reg_read(bar, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 10) {
			errno = ETIMEDOUT;
			fail("edu DMA 0x%llx -> 0x%llx still running after 10 s",
			     (unsigned long long)src, (unsigned long long)dst);
		}
		usleep(1000);
	}
}

int main(void)
{
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	char bdf[NAME_MAX + 1], cdev[NAME_MAX + 1], path[NAME_MAX + 32];
	struct vfio_region_info bar0;
	volatile uint8_t *bar;
	int iommufd, devfd;
	uint32_t ident;
	uint8_t *src, *dst;
	size_t i;

	page = (uint64_t)sysconf(_SC_PAGESIZE);
	find_edu(bdf, sizeof(bdf));
	bind_vfio_pci(bdf, cdev, sizeof(cdev));
	say("edu at %s bound to vfio-pci as /dev/vfio/devices/%s", bdf, cdev);

	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0)
		fail("open /dev/iommu");
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		fail("IOMMU_IOAS_ALLOC");

	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", cdev);
	devfd = open(path, O_RDWR);
	if (devfd < 0)
		fail("open %s", path);
	bind.iommufd = iommufd;
	if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		fail("VFIO_DEVICE_BIND_IOMMUFD");
	attach.pt_id = alloc.out_ioas_id;
	if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		fail("VFIO_DEVICE_ATTACH_IOMMUFD_PT ioas %u", alloc.out_ioas_id);
	say("ioas %u, device id %u, attached through hwpt %u",
	    alloc.out_ioas_id, bind.out_devid, attach.pt_id);
	if (attach.pt_id == alloc.out_ioas_id) {
		errno = EINVAL;
		fail("attach returned the IOAS id, not an automatic HWPT id");
	}

	/* What the hardware reports, to judge the ranges by. */
	errno = vm_sysfs_msi(bdf, &msi_start, &msi_last);
	if (errno) {
		errno = -errno;
		fail("no msi region in %s's group's reserved_regions", bdf);
	}
	{
		uint64_t data[32] = { 0 };
		struct iommu_hw_info hw = {
			.size = sizeof(hw),
			.dev_id = bind.out_devid,
			.data_len = sizeof(data),
			.data_uptr = (uintptr_t)data,
		};

		if (ioctl(iommufd, IOMMU_GET_HW_INFO, &hw))
			fail("IOMMU_GET_HW_INFO dev %u", bind.out_devid);
		hw_top = vm_hw_top(hw.out_data_type, data,
				   hw.data_len < sizeof(data) ? hw.data_len
							      : sizeof(data));
		if (hw.out_data_type == IOMMU_HW_INFO_TYPE_NONE) {
			/* virtio-iommu: its driver gives no hw_info data; the
			 * input range is in its virtio config, read by the
			 * kernel alone (edu_dma.t, resv_layout.t and hw_info.t
			 * compare the library with the kernel's ranges). */
			if (hw.data_len) {
				errno = EINVAL;
				fail("GET_HW_INFO type NONE with %u bytes of data",
				     hw.data_len);
			}
			hw_top = 0;
		} else if (!hw_top) {
			errno = EOPNOTSUPP;
			fail("GET_HW_INFO type %u: no rule for its top IOVA",
			     hw.out_data_type);
		}
		say("sysfs: msi 0x%llx-0x%llx; GET_HW_INFO type %u: top IOVA 0x%llx",
		    (unsigned long long)msi_start, (unsigned long long)msi_last,
		    hw.out_data_type, (unsigned long long)hw_top);
	}

	show_and_check_ranges(iommufd, alloc.out_ioas_id);

	src = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		fail("mmap buffers");
	for (i = 0; i < page; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, page);
	/* Two separate mappings so the destination can be unmapped alone. */
	map_page(iommufd, alloc.out_ioas_id, src, IOVA_SRC);
	map_page(iommufd, alloc.out_ioas_id, dst, IOVA_DST);

	enable_bus_master(devfd);
	region_info(devfd, VFIO_PCI_BAR0_REGION_INDEX, &bar0);
	if (!(bar0.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		errno = ENOTSUP;
		fail("BAR0 cannot be mmapped (flags 0x%x)", bar0.flags);
	}
	bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, devfd,
		   bar0.offset);
	if (bar == MAP_FAILED)
		fail("mmap BAR0 (size 0x%llx)", (unsigned long long)bar0.size);
	ident = reg_read32(bar, EDU_REG_IDENT);
	say("BAR0 size 0x%llx, identification 0x%08x",
	    (unsigned long long)bar0.size, ident);
	/* Low byte 0xed; the upper bytes hold edu's version. */
	if ((ident & 0xff) != 0xed) {
		errno = ENODEV;
		fail("edu identification register reads 0x%08x", ident);
	}

	edu_dma(bar, IOVA_SRC, EDU_BUFFER_ADDR, DMA_LEN, false);
	edu_dma(bar, EDU_BUFFER_ADDR, IOVA_DST, DMA_LEN, true);
	for (i = 0; i < page; i++) {
		uint8_t want = i < DMA_LEN ? src[i] : 0;

		if (dst[i] != want) {
			errno = EIO;
			fail("byte %zu after RAM->edu->RAM is 0x%02x, expected 0x%02x",
			     i, dst[i], want);
		}
	}
	say("DMA RAM(iova 0x%llx) -> edu -> RAM(iova 0x%llx): %d bytes match, "
	    "rest of the page untouched", IOVA_SRC, IOVA_DST, DMA_LEN);

	unmap.ioas_id = alloc.out_ioas_id;
	unmap.iova = IOVA_DST;
	unmap.length = page;
	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap))
		fail("IOMMU_IOAS_UNMAP iova 0x%llx", IOVA_DST);
	if (unmap.length != page) {
		errno = EINVAL;
		fail("IOMMU_IOAS_UNMAP reported 0x%llx bytes unmapped",
		     (unsigned long long)unmap.length);
	}
	memset(dst, 0x5a, page);
	say("unmapped iova 0x%llx; repeating edu -> RAM, the IOMMU must block it",
	    IOVA_DST);
	/* Small: QEMU's SMMUv3 records one event per 4 bytes of a
	 * faulting DMA. */
	edu_dma(bar, EDU_BUFFER_ADDR, IOVA_DST, 64, true);
	for (i = 0; i < page; i++) {
		if (dst[i] != 0x5a) {
			errno = EIO;
			fail("byte %zu changed to 0x%02x by a DMA to an unmapped IOVA",
			     i, dst[i]);
		}
	}
	say("DMA to unmapped iova 0x%llx was blocked; memory unchanged",
	    IOVA_DST);

	munmap((void *)bar, bar0.size);
	close(devfd);
	close(iommufd);
	say("PASS");
	return 0;
}
