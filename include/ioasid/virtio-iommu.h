/* SPDX-License-Identifier: MIT */
/*
 * libioasid virtio-iommu device model: what a VMM embeds to offer its
 * guest a virtio-iommu device (virtio device ID 23) backed by iommufd.
 *
 * The VMM owns the transport (virtio-pci or -mmio, virtqueues, interrupts)
 * and hands this model the bytes: config space reads and writes, feature
 * negotiation, each request of the request queue as its device-readable
 * and device-writable buffers, and buffers of the event queue for fault
 * reports.  Every byte the guest sends is treated as hostile.
 *
 * Endpoints are either physical (a bound library device, struct
 * ioasid_dev) or emulated (devices the VMM implements, which translate
 * their DMA addresses with ioasid_virtio_iommu_translate()).  Guest MAP requests
 * may only target guest RAM the VMM registered with ioasid_virtio_iommu_add_ram().
 *
 * Shadow mode: each guest domain is one IOAS with every physical endpoint
 * of the domain attached; a guest MAP becomes one IOAS map of the host
 * memory behind the guest-physical range (the IOAS is made when the
 * domain's first physical endpoint attaches, with the domain's mappings
 * so far; a domain of emulated endpoints has none).  Endpoints in bypass
 * are attached to an IOAS that maps all guest RAM at its guest-physical
 * address.
 *
 * Thread safety, per device (separate devices are independent):
 *  - ioasid_virtio_iommu_translate(), ioasid_virtio_iommu_dma_begin()/_end(),
 *    ioasid_virtio_iommu_get_stats() and ioasid_virtio_iommu_event_pop() may be
 *    called from any number of threads at once, and concurrently with
 *    everything below; translate takes no lock (a fault report takes a
 *    mutex);
 *  - every other call (requests, features, status, config, reset,
 *    setup, the walks of domains, endpoints and mappings, save/restore,
 *    nested mode) one at a time: the VMM serializes them, as it
 *    serializes the request queue anyway;
 *  - destroy with no other call in progress.
 * Once ioasid_virtio_iommu_handle_request() has returned for an UNMAP, DETACH
 * or an ATTACH that moves an endpoint (or ioasid_virtio_iommu_reset(), or a
 * config write of bypass, has returned), no translate that starts
 * afterwards returns what it took away, and none that started before
 * still can (the request waited for their lookups); an access the VMM
 * covers with ioasid_virtio_iommu_dma_begin()/_end() has ended.  See
 * ioasid_virtio_iommu_translate().
 * Errors follow libioasid(3): 0 or a negative errno, errno set, a message
 * for ioasid_errmsg().
 */
#ifndef IOASID_VIRTIO_IOMMU_H
#define IOASID_VIRTIO_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <ioasid/ctx.h>
#include <ioasid/device.h>
#include <ioasid/hwpt.h>
#include <ioasid/ioas.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Device-specific feature bits (virtio spec, device-types/iommu). */
#define IOASID_VIRTIO_IOMMU_F_INPUT_RANGE (1ull << 0)
#define IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE (1ull << 1)
#define IOASID_VIRTIO_IOMMU_F_MAP_UNMAP (1ull << 2)
#define IOASID_VIRTIO_IOMMU_F_BYPASS (1ull << 3) /* legacy; never offered */
#define IOASID_VIRTIO_IOMMU_F_PROBE (1ull << 4)
#define IOASID_VIRTIO_IOMMU_F_MMIO (1ull << 5)
#define IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG (1ull << 6)

/* Size of the config space, and of one fault report on the event queue. */
#define IOASID_VIRTIO_IOMMU_CONFIG_SIZE 40u
#define IOASID_VIRTIO_IOMMU_FAULT_SIZE 24u

struct ioasid_virtio_iommu;

struct ioasid_virtio_iommu_opts {
	size_t sz;
	/* Initial and system-reset value of config.bypass (0 or 1). */
	uint8_t bypass;
	/* Granule override: a power of two, at least the host page size and
	 * the IOVA alignment of every physical endpoint; 0 = derive it. */
	uint64_t granule;
	/* config.domain_range; both 0 means [0, UINT32_MAX]. */
	uint32_t domain_start, domain_end;
	/* config.probe_size; 0 means 512. */
	uint32_t probe_size;
	/* Caps on guest-created state (guest requests beyond them get
	 * NOMEM, the first refused MAP logs a warning naming the cap).
	 * max_domains 0 means 65536 (live domains never outnumber the
	 * endpoints: a domain dies with its last one).  max_mappings 0
	 * means one per granule of the guest RAM registered at the time
	 * of the MAP, at least 65536 and at most 1Mi (the VMM's heap for
	 * the records is about 150 bytes a mapping: under 4% of guest RAM
	 * at a 4 KiB granule, at most about 150 MiB); a VMM whose guests
	 * keep more mappings live sets it. */
	uint32_t max_domains;
	uint32_t max_mappings;
	/* Fault reports kept while the event queue has no buffer; 0 = 64. */
	uint32_t max_events;
	/* Called (from whatever call queued it, translate() threads
	 * included, after the report is queued and with no lock held) when
	 * a fault report is queued: the VMM then hands event-queue buffers
	 * to ioasid_virtio_iommu_event_pop(). */
	void (*event_notify)(struct ioasid_virtio_iommu *v, void *data);
	void *event_data;
	/* config.input_range: both 0 means derive it (the union of the
	 * physical endpoints' usable ranges; 0..2^64-1 without any).  Set,
	 * it is what the device offers whatever its endpoints: a physical
	 * endpoint's ranges outside its IOMMU's aperture are then RESERVED
	 * in PROBE.  input_start <= input_end, input_start aligned to the
	 * granule, input_end + 1 too (or input_end UINT64_MAX). */
	uint64_t input_start, input_end;
	/* Device-specific feature bits not to offer (PROBE, MMIO,
	 * BYPASS_CONFIG, INPUT_RANGE, DOMAIN_RANGE); MAP_UNMAP may not be
	 * withheld, legacy BYPASS is never offered anyway.  Withholding
	 * INPUT_RANGE or DOMAIN_RANGE needs the full range there (the driver
	 * then assumes it). */
	uint64_t withhold_features;
	/* IOASID_VIRTIO_IOMMU_CREATE_* */
	uint32_t flags;
	size_t : 0;
};
#define ioasid_virtio_iommu_opts__last_field flags

/*
 * The device follows the virtio device status the VMM passes with
 * ioasid_virtio_iommu_set_status(): requests are refused (used length 0,
 * -EBUSY, nothing done) until the driver has set DRIVER_OK, and again
 * after a reset until it renegotiates.  Without this flag the device
 * processes requests whatever the status (as before the flag existed):
 * the VMM must then not hand requests over before DRIVER_OK itself.
 */
#define IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE (1u << 0)

/*
 * ioasid_virtio_iommu_create - a virtio-iommu device over the context @ctx.
 *
 * Return: 0; -EINVAL (bad options); -ENOMEM; the errors of
 * ioasid_ioas_alloc().
 */
IOASID_API int ioasid_virtio_iommu_create(struct ioasid_ctx *ctx,
				    const struct ioasid_virtio_iommu_opts *opts,
				    struct ioasid_virtio_iommu **vp);

/* ioasid_virtio_iommu_destroy - detach every physical endpoint (the devices stay
 * open and bound, and are the caller's again), destroy the IOASes, free
 * the device.  NULL is allowed. */
IOASID_API void ioasid_virtio_iommu_destroy(struct ioasid_virtio_iommu *v);

/*
 * ioasid_virtio_iommu_add_ram - register guest RAM: @size bytes at guest-physical
 * address @gpa are the process memory at @hva.  Guest MAP requests must
 * name physical ranges inside registered RAM.  Slots may not overlap;
 * @gpa, @size and @hva must be aligned to the host page size.
 *
 * Return: 0; -EINVAL (alignment, zero size, wrap-around); -EEXIST
 * (overlaps a slot); -ENOMEM.
 */
IOASID_API int ioasid_virtio_iommu_add_ram(struct ioasid_virtio_iommu *v, uint64_t gpa,
				     uint64_t size, void *hva);

struct ioasid_virtio_iommu_endpoint_opts {
	size_t sz;
	/* Emulated endpoints: the RESV_MEM regions PROBE reports (sorted,
	 * not overlapping, at most one IOASID_RESV_MSI/SW_MSI, which is
	 * reported as subtype MSI; the others as RESERVED).  Physical
	 * endpoints report the host's regions and must leave this empty. */
	const struct ioasid_resv_region *resv;
	uint32_t num_resv;
	/* An emulated endpoint without resv gets the platform's MSI region
	 * (ioasid_virtio_iommu_default_msi()): on x86 0xfee00000-0xfeefffff
	 * as a RESV_MEM region of subtype MSI (the interrupt window, which
	 * DMA remapping never translates); on other architectures none (an
	 * arm64 Linux guest then maps its own software MSI window to the ITS
	 * doorbell, and the emulated device's MSI writes go through
	 * ioasid_virtio_iommu_translate()).  With resv given, that list is
	 * the whole list.  true: no default, the endpoint reports no region
	 * at all.  Emulated endpoints only. */
	bool no_default_msi;
	size_t : 0;
};
#define ioasid_virtio_iommu_endpoint_opts__last_field no_default_msi

/*
 * ioasid_virtio_iommu_default_msi - the platform's default MSI region of
 * an emulated endpoint (see ioasid_virtio_iommu_endpoint_opts) into
 * @r (type IOASID_RESV_MSI).
 *
 * Return: 0; -ENOENT (this architecture has none); -EINVAL (@r NULL).
 */
IOASID_API int ioasid_virtio_iommu_default_msi(struct ioasid_resv_region *r);

/*
 * ioasid_virtio_iommu_add_endpoint - make @endpoint_id (the id the guest's
 * firmware tables give, e.g. a PCI requester id) known to the device.
 * @dev: a bound, detached library device (physical endpoint), or NULL for
 *       an emulated endpoint.  From now on the device model owns the
 *       device's attachment, until ioasid_virtio_iommu_destroy().
 *
 * Add endpoints before the guest's driver reads the config space: a
 * physical endpoint's IOVA alignment and usable ranges go into
 * page_size_mask and input_range.  Once features are negotiated, a
 * physical endpoint that would change them is refused (-EBUSY).
 *
 * Return: 0; -EEXIST (id in use, or the device is another endpoint);
 * -EINVAL (device not bound or attached, bad options); -E2BIG (its
 * RESV_MEM properties do not fit probe_size); -EBUSY; -ENOMEM; errors of
 * ioasid_dev_attach().
 */
IOASID_API int ioasid_virtio_iommu_add_endpoint(struct ioasid_virtio_iommu *v,
					  uint32_t endpoint_id,
					  struct ioasid_dev *dev,
					  const struct ioasid_virtio_iommu_endpoint_opts *opts);

/* ------------------------------------------------------------------ */
/* Transport: features, config space, reset                             */

/* ioasid_virtio_iommu_features - the device-specific feature bits offered
 * (INPUT_RANGE, DOMAIN_RANGE, MAP_UNMAP, PROBE, MMIO, BYPASS_CONFIG).
 * Transport bits such as VIRTIO_F_VERSION_1 are the VMM's to add. */
IOASID_API uint64_t ioasid_virtio_iommu_features(const struct ioasid_virtio_iommu *v);

/*
 * ioasid_virtio_iommu_set_features - the features the driver accepted.  Bits 24
 * and up (transport features) are ignored.
 *
 * Return: 0; -EINVAL (a device-specific bit that was not offered: the VMM
 * should fail FEATURES_OK).
 */
IOASID_API int ioasid_virtio_iommu_set_features(struct ioasid_virtio_iommu *v,
					  uint64_t features);

/*
 * ioasid_virtio_iommu_config_read - read @len bytes of the 40-byte config space
 * at @offset into @buf (little-endian, as the guest sees it).
 *
 * Return: 0; -EINVAL (the range is outside the config space).
 */
IOASID_API int ioasid_virtio_iommu_config_read(struct ioasid_virtio_iommu *v,
					 uint32_t offset, void *buf,
					 uint32_t len);

/*
 * ioasid_virtio_iommu_config_write - a driver write to the config space.  Only
 * the byte config.bypass (offset 36) is writable, and only once
 * BYPASS_CONFIG is negotiated; bits 1-7 of the value are ignored, so the
 * device never presents anything but 0 or 1.  Changing it moves every
 * unattached endpoint in or out of bypass.
 *
 * Return: 0; -EACCES (any other field, or BYPASS_CONFIG not negotiated:
 * nothing changed); -EINVAL (outside the config space).
 */
IOASID_API int ioasid_virtio_iommu_config_write(struct ioasid_virtio_iommu *v,
					  uint32_t offset, const void *buf,
					  uint32_t len);

/* Reset kinds. */
#define IOASID_VIRTIO_IOMMU_RESET_DEVICE 0u
/* A system reset also restores config.bypass to its initial value. */
#define IOASID_VIRTIO_IOMMU_RESET_SYSTEM 1u

/* Virtio device status bits (virtio spec, "Device Status Field"). */
#define IOASID_VIRTIO_IOMMU_STATUS_ACKNOWLEDGE 1u
#define IOASID_VIRTIO_IOMMU_STATUS_DRIVER 2u
#define IOASID_VIRTIO_IOMMU_STATUS_DRIVER_OK 4u
#define IOASID_VIRTIO_IOMMU_STATUS_FEATURES_OK 8u
#define IOASID_VIRTIO_IOMMU_STATUS_NEEDS_RESET 64u
#define IOASID_VIRTIO_IOMMU_STATUS_FAILED 128u

/*
 * ioasid_virtio_iommu_set_status - the driver wrote @status to the virtio
 * device status field.  0 is a device reset (as ioasid_virtio_iommu_reset()
 * with IOASID_VIRTIO_IOMMU_RESET_DEVICE).  Otherwise the driver only adds
 * bits: FEATURES_OK needs ioasid_virtio_iommu_set_features() to have
 * accepted the features since the reset (else the VMM must present the
 * status without FEATURES_OK), DRIVER_OK needs FEATURES_OK.  After
 * FEATURES_OK, ioasid_virtio_iommu_set_features() is refused (-EBUSY).
 * With IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE, requests are processed only
 * while DRIVER_OK is set and FAILED is not.
 *
 * Return: 0; -EINVAL (a bit cleared without a reset, DRIVER_OK without
 * FEATURES_OK, bits 4-5: nothing changed); -EPROTO (FEATURES_OK without
 * accepted features: nothing changed, the VMM must not show FEATURES_OK).
 */
IOASID_API int ioasid_virtio_iommu_set_status(struct ioasid_virtio_iommu *v, uint8_t status);

/* ioasid_virtio_iommu_status - the device status as last set (0 after
 * create and after a reset), for the transport's status reads. */
IOASID_API uint8_t ioasid_virtio_iommu_status(const struct ioasid_virtio_iommu *v);

/*
 * ioasid_virtio_iommu_reset - device (or system) reset: every domain and
 * mapping is gone, no endpoint is attached, features are cleared,
 * queued fault reports are dropped, the device status is 0.
 * config.bypass keeps its value on a device reset.
 *
 * Return: 0; -EINVAL (unknown @kind).
 */
IOASID_API int ioasid_virtio_iommu_reset(struct ioasid_virtio_iommu *v, unsigned int kind);

/* ------------------------------------------------------------------ */
/* Request queue                                                        */

/*
 * ioasid_virtio_iommu_handle_request - process one request of the request
 * queue.
 * @out/@out_num: the device-readable buffers (the request), in order.
 * @in/@in_num: the device-writable buffers (the reply), in order.
 * @used_len: receives the used length to put in the used ring: how many
 *            bytes of @in the device wrote, counted from the start.
 *
 * The buffers may be split at any byte.  Every guest error is answered
 * through the status in the reply's tail, as the specification says;
 * requests the device cannot answer (readable part without a whole head,
 * an unknown type, a writable part without room for the tail) get a used
 * length of 0 and nothing written.  A readable part too short for its
 * request type gets DEVERR.  See libioasid-virtio-iommu(7) for each request.
 *
 * Return: 0 whenever the request was consumed (its outcome is in the
 * reply; ioasid_virtio_iommu_handle_request_ex() gives its status);
 * -EINVAL only for misuse by the VMM (NULL @v or @used_len, a NULL buffer
 * with a nonzero length); -EBUSY (only with
 * IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE: before DRIVER_OK, nothing done,
 * used length 0).
 */
IOASID_API int ioasid_virtio_iommu_handle_request(struct ioasid_virtio_iommu *v,
					    const struct iovec *out,
					    unsigned int out_num,
					    const struct iovec *in,
					    unsigned int in_num,
					    uint32_t *used_len);

/* Request status values (virtio spec, VIRTIO_IOMMU_S_*). */
#define IOASID_VIRTIO_IOMMU_S_OK 0u
#define IOASID_VIRTIO_IOMMU_S_IOERR 1u
#define IOASID_VIRTIO_IOMMU_S_UNSUPP 2u
#define IOASID_VIRTIO_IOMMU_S_DEVERR 3u
#define IOASID_VIRTIO_IOMMU_S_INVAL 4u
#define IOASID_VIRTIO_IOMMU_S_RANGE 5u
#define IOASID_VIRTIO_IOMMU_S_NOENT 6u
#define IOASID_VIRTIO_IOMMU_S_FAULT 7u
#define IOASID_VIRTIO_IOMMU_S_NOMEM 8u

/* What one request came to (@sz set by the caller; a shorter struct of
 * an older caller gets its fields only). */
struct ioasid_virtio_iommu_request_result {
	size_t sz;
	uint32_t used_len; /* as ioasid_virtio_iommu_handle_request()'s */
	/* Whether a tail was written (used_len > 0); if so, its status. */
	bool answered;
	uint8_t status;	/* IOASID_VIRTIO_IOMMU_S_* */
	uint8_t type;	/* request type of the head (0: none read) */
	size_t : 0;
};
#define ioasid_virtio_iommu_request_result__last_field type

/*
 * ioasid_virtio_iommu_handle_request_ex - ioasid_virtio_iommu_handle_request()
 * that also says what the request came to: @res receives the used
 * length, whether a tail was written and its status, and the request's
 * type.
 *
 * Return: as ioasid_virtio_iommu_handle_request(), plus -EBUSY (with
 * IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE, the driver has not set DRIVER_OK
 * since the last reset, or has set FAILED: nothing done, used length 0);
 * -EINVAL also for @res NULL or with @res->sz 0.  On -EINVAL and -EBUSY
 * @res (if usable) says used length 0, not answered.
 */
IOASID_API int ioasid_virtio_iommu_handle_request_ex(struct ioasid_virtio_iommu *v,
					     const struct iovec *out,
					     unsigned int out_num,
					     const struct iovec *in,
					     unsigned int in_num,
					     struct ioasid_virtio_iommu_request_result *res);

/* ioasid_virtio_iommu_handle_buffers - ioasid_virtio_iommu_handle_request() with one
 * readable and one writable buffer. */
IOASID_API int ioasid_virtio_iommu_handle_buffers(struct ioasid_virtio_iommu *v,
					    const void *req, size_t req_len,
					    void *resp, size_t resp_len,
					    uint32_t *used_len);

/* ------------------------------------------------------------------ */
/* Emulated endpoints                                                   */

/* Access kinds and permissions. */
#define IOASID_VIRTIO_IOMMU_ACCESS_READ (1u << 0)
#define IOASID_VIRTIO_IOMMU_ACCESS_WRITE (1u << 1)
/* Permission only: the mapping was made with the MMIO flag, so the
 * guest-physical address is device memory, not RAM. */
#define IOASID_VIRTIO_IOMMU_ACCESS_MMIO (1u << 2)
/* Access flag of ioasid_virtio_iommu_translate() only: look the address
 * up, and on a miss (-EFAULT) queue no fault report (a VMM that probes
 * before it makes the access). */
#define IOASID_VIRTIO_IOMMU_ACCESS_PROBE_ONLY (1u << 3)

struct ioasid_virtio_iommu_translation {
	uint64_t gpa;	    /* guest-physical address of the iova */
	uint64_t iova_last; /* the translation holds up to this iova */
	uint32_t perm;	    /* IOASID_VIRTIO_IOMMU_ACCESS_* the mapping allows */
};

/*
 * ioasid_virtio_iommu_translate - translate a DMA address of the emulated
 * endpoint @endpoint_id for an access of kind @access (READ and/or WRITE).
 *
 * On success @t says where @iova lands and how far the translation is
 * contiguous ([@iova, @t->iova_last] maps to [@t->gpa, ...]).  In bypass
 * the guest-physical address is the iova itself: the VMM must still check
 * it against its own memory map.  Recent translations are cached per
 * thread; UNMAP, DETACH, ATTACH and reset invalidate the cache.
 *
 * Any number of threads, concurrently with request processing, without
 * a lock.  The answer is the state before or after each request that is
 * in progress meanwhile; once an UNMAP, DETACH, ATTACH elsewhere or
 * reset has completed (handle_request() or reset() returned), a
 * translate that starts afterwards does not return what it took away,
 * and that request did not complete before every translate that could
 * still return it had made its lookup.  The request does not wait for
 * what the VMM does with the answer: unless the access through @t->gpa
 * happens inside ioasid_virtio_iommu_dma_begin()/_end(), the VMM must finish
 * it before it puts a later UNMAP on the used ring (as a serializing VMM
 * does).
 *
 * @access may add IOASID_VIRTIO_IOMMU_ACCESS_PROBE_ONLY: the same lookup,
 * but a fault queues no report (and counts in no fault statistics).
 *
 * Return: 0; -EFAULT (translation fault: no mapping, permission denied, or
 * the endpoint is neither attached nor in bypass; a fault report is
 * queued for the event queue unless PROBE_ONLY); -ENOENT (no such
 * endpoint); -EINVAL (a physical endpoint, or @access without READ or
 * WRITE or with bits other than those and PROBE_ONLY).
 */
IOASID_API int ioasid_virtio_iommu_translate(struct ioasid_virtio_iommu *v,
				       uint32_t endpoint_id, uint64_t iova,
				       uint32_t access,
				       struct ioasid_virtio_iommu_translation *t);

/*
 * ioasid_virtio_iommu_dma_begin, ioasid_virtio_iommu_dma_end - a DMA section around
 * translations and the accesses made through them: an UNMAP, DETACH,
 * ATTACH elsewhere, reset or bypass config write that would take away a
 * translation made inside the section does not complete (write its
 * status, return) before ioasid_virtio_iommu_dma_end().  @token (begin's
 * output) goes to dma_end().  Any thread; sections nest and may end on
 * another thread; each end costs one atomic operation.  Keep them short:
 * requests wait for them.  A thread inside a section must not wait for a
 * request of @v to complete (deadlock).
 *
 * Return: 0; -EINVAL (NULL argument).
 */
IOASID_API int ioasid_virtio_iommu_dma_begin(struct ioasid_virtio_iommu *v, uint32_t *token);
IOASID_API void ioasid_virtio_iommu_dma_end(struct ioasid_virtio_iommu *v, uint32_t token);

/* ------------------------------------------------------------------ */
/* Event queue                                                          */

/*
 * ioasid_virtio_iommu_event_pop - write the oldest queued fault report whole
 * into @buf (an event-queue buffer of @len bytes).  Any thread.
 *
 * Return: the bytes written (IOASID_VIRTIO_IOMMU_FAULT_SIZE); 0 if none is
 * queued; -EMSGSIZE if @len is too small (the report stays queued).
 */
IOASID_API int ioasid_virtio_iommu_event_pop(struct ioasid_virtio_iommu *v, void *buf,
				       size_t len);

struct ioasid_virtio_iommu_stats {
	size_t sz;
	uint64_t requests;	/* requests processed */
	uint64_t faults;	/* fault reports queued */
	uint64_t events_dropped; /* fault reports dropped: queue full */
	uint32_t events_pending; /* fault reports waiting for a buffer */
	uint32_t domains;	/* live guest domains */
	uint64_t mappings;	/* live guest mappings */
	uint64_t iotlb_hits, iotlb_misses;
	size_t : 0;
};
#define ioasid_virtio_iommu_stats__last_field iotlb_misses

/* ioasid_virtio_iommu_get_stats - counters of the device (any thread; the
 * IOTLB counters are summed over threads).  Return: 0; -EINVAL. */
IOASID_API int ioasid_virtio_iommu_get_stats(const struct ioasid_virtio_iommu *v,
				       struct ioasid_virtio_iommu_stats *stats);

/*
 * ioasid_virtio_iommu_domain_ioas - the IOAS that shadows guest domain @domain
 * (for inspection and tests).  A domain gets its IOAS when its first
 * physical endpoint attaches; a domain of emulated endpoints only has
 * none (its MAP and UNMAP do no host work).  Return: 0; -ENOENT (no such
 * domain, a bypass domain, or a domain without an IOAS).
 */
IOASID_API int ioasid_virtio_iommu_domain_ioas(const struct ioasid_virtio_iommu *v,
					 uint32_t domain, uint32_t *ioas_id);

/* What the walks below report: filled by the library, sz its size (a
 * newer library may add fields at the end; read those only when sz
 * covers them). */

/* One guest mapping, as ioasid_virtio_iommu_domain_mappings() reports it. */
struct ioasid_virtio_iommu_mapping {
	size_t sz;
	uint64_t iova_start, iova_last; /* inclusive, what one MAP made */
	uint64_t gpa;	/* guest-physical address of iova_start */
	uint32_t perm;	/* IOASID_VIRTIO_IOMMU_ACCESS_READ/WRITE/MMIO */
	size_t : 0;
};
#define ioasid_virtio_iommu_mapping__last_field perm

/* One guest domain, as ioasid_virtio_iommu_domains() reports it. */
struct ioasid_virtio_iommu_domain_info {
	size_t sz;
	uint32_t domain;
	uint32_t mode;	/* IOASID_VIRTIO_IOMMU_MODE_* */
	bool bypass;	/* attached with the BYPASS flag: identity */
	uint32_t num_endpoints;
	uint64_t num_mappings;
	size_t : 0;
};
#define ioasid_virtio_iommu_domain_info__last_field num_mappings

/* One endpoint, as ioasid_virtio_iommu_endpoints() reports it. */
struct ioasid_virtio_iommu_endpoint_info {
	size_t sz;
	uint32_t endpoint;
	bool physical;	/* a library device; else emulated */
	bool attached;	/* in a guest domain */
	bool bypass;	/* DMA is identity now (bypass domain or config) */
	uint32_t domain; /* that domain (0 if not attached) */
	size_t : 0;
};
#define ioasid_virtio_iommu_endpoint_info__last_field domain

/*
 * ioasid_virtio_iommu_domain_mappings, ioasid_virtio_iommu_domains,
 * ioasid_virtio_iommu_endpoints - call @fn for every mapping of guest
 * domain @domain (by IOVA), every live guest domain (by id), every
 * endpoint (by id), with @arg after the item, as the library's other
 * walks (ioasid_ioas_for_each_mapping()) do.  A nonzero return of @fn stops the walk
 * and is returned.  These are calls of the serialized kind (the
 * header's thread-safety rules): not concurrently with requests, reset
 * or setup; translate() may run meanwhile.  @fn must not call any
 * serialized call of @v.
 *
 * Return: 0; what @fn returned; -ENOENT (no such domain); -EINVAL (NULL
 * @v or @fn).
 */
typedef int (*ioasid_virtio_iommu_mapping_fn)(const struct ioasid_virtio_iommu_mapping *m, void *arg);
typedef int (*ioasid_virtio_iommu_domain_fn)(const struct ioasid_virtio_iommu_domain_info *d, void *arg);
typedef int (*ioasid_virtio_iommu_endpoint_fn)(const struct ioasid_virtio_iommu_endpoint_info *e, void *arg);
IOASID_API int ioasid_virtio_iommu_domain_mappings(const struct ioasid_virtio_iommu *v, uint32_t domain, ioasid_virtio_iommu_mapping_fn fn, void *arg);
IOASID_API int ioasid_virtio_iommu_domains(const struct ioasid_virtio_iommu *v, ioasid_virtio_iommu_domain_fn fn, void *arg);
IOASID_API int ioasid_virtio_iommu_endpoints(const struct ioasid_virtio_iommu *v, ioasid_virtio_iommu_endpoint_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Nested mode (stage-1 tables in guest memory, see docs/VIOMMU.md)     */

struct ioasid_virtio_iommu_nested_opts {
	size_t sz;
	/* The table region: guest-physical [region_gpa, region_gpa +
	 * region_size) outside guest RAM, backed by the process memory at
	 * region_hva (all 4 KiB aligned).  The library writes every domain's
	 * stage-1 tables there; the guest sees it as a RESERVED region. */
	uint64_t region_gpa;
	uint64_t region_size;
	void *region_hva;
	size_t : 0;
};
#define ioasid_virtio_iommu_nested_opts__last_field region_hva

/*
 * ioasid_virtio_iommu_enable_nested - let guest domains use nested translation:
 * guest RAM is mapped once into a nest-parent HWPT (GPA -> host), and
 * each domain gets a VT-d first-stage table in the region, pointed at by
 * a nested HWPT its physical endpoints attach to.  A domain whose
 * physical endpoint sits behind an IOMMU that cannot nest (not VT-d, or
 * no nest parent) stays in shadow mode; the guest sees the same either
 * way.  Call it after adding RAM and endpoints, before the driver
 * negotiates features.  Effects on the config space: input_range is
 * clamped to 2^47-1, and every endpoint reports the region as RESERVED.
 *
 * Return: 0; -EINVAL (bad region: alignment, size, overlapping RAM, above
 * 2^52; a NULL argument); -E2BIG (an endpoint's RESV_MEM list would not
 * fit probe_size); -EBUSY (features negotiated or guest state exists);
 * -EEXIST (already enabled); -ENOMEM; errors of the host calls (a
 * fault queue the host supports but could not make fails the call; a
 * host without fault queues leaves nested faults unreported).
 */
IOASID_API int ioasid_virtio_iommu_enable_nested(struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_nested_opts *opts);

/*
 * ioasid_virtio_iommu_flush - send the IOTLB invalidations of the requests
 * handled since the last flush: one ioasid_hwpt_invalidate() per nested
 * HWPT with cleared entries, then the freed table pages become reusable.
 * The VMM MUST call it after the requests of one queue kick and before it
 * puts them on the used ring: until then a device may still reach memory
 * the guest was told is unmapped.  Nothing to do in shadow mode (0).
 *
 * Return: 0; errors of ioasid_hwpt_invalidate() (the pages stay
 * quarantined, the ranges stay pending for the next call).
 */
IOASID_API int ioasid_virtio_iommu_flush(struct ioasid_virtio_iommu *v);

/*
 * ioasid_virtio_iommu_host_fault_fd - a descriptor that polls readable while
 * I/O page faults of nested domains wait; then call
 * ioasid_virtio_iommu_handle_host_faults().  Owned by the library.
 *
 * Return: the fd; -ENOENT (nested mode off, or the host has no fault
 * queues).
 */
IOASID_API int ioasid_virtio_iommu_host_fault_fd(const struct ioasid_virtio_iommu *v);

/*
 * ioasid_virtio_iommu_handle_host_faults - turn every waiting I/O page fault of
 * a physical endpoint into a virtio-iommu fault report (reason MAPPING,
 * READ/WRITE from the access, ADDRESS), and answer each fault group
 * (IOASID_FAULT_RESP_INVALID: virtio-iommu has no page requests, the
 * guest sees a fault).  Faults of unknown devices are answered and
 * dropped.
 *
 * Return: the number of faults read (>= 0); -ENOENT (no fault queue);
 * errors of ioasid_fault_read() and ioasid_fault_respond().
 */
IOASID_API int ioasid_virtio_iommu_handle_host_faults(struct ioasid_virtio_iommu *v);

/* Translation modes of a guest domain. */
#define IOASID_VIRTIO_IOMMU_MODE_SHADOW 0u
#define IOASID_VIRTIO_IOMMU_MODE_NESTED 1u

/*
 * ioasid_virtio_iommu_domain_mode - whether guest domain @domain uses a stage-1
 * table (NESTED) or an IOAS (SHADOW; also bypass domains).
 *
 * Return: 0; -ENOENT (no such domain); -EINVAL.
 */
IOASID_API int ioasid_virtio_iommu_domain_mode(const struct ioasid_virtio_iommu *v, uint32_t domain, uint32_t *mode);

/* ------------------------------------------------------------------ */
/* Device state save/restore (live migration)                           */

/*
 * ioasid_virtio_iommu_save - serialize the device's state into @buf (@size
 * bytes): config space, negotiated features, bypass, endpoints and their
 * attachments, domains (with their mode), mappings and queued fault
 * reports, as a versioned little-endian stream with a CRC-32 (format in
 * docs/VIOMMU.md).  Call it first with @buf NULL and @size 0 to learn
 * the size; *@needed always receives it.
 *
 * Return: 0 (*@needed bytes written); -EMSGSIZE (@size too small, nothing
 * written); -EINVAL.
 */
IOASID_API int ioasid_virtio_iommu_save(struct ioasid_virtio_iommu *v, void *buf, size_t size, size_t *needed);

/*
 * ioasid_virtio_iommu_restore - load a stream of ioasid_virtio_iommu_save() into @v,
 * a device with no guest state (new, or after a reset) on which the VMM
 * has registered the guest RAM and the same endpoint ids (same kinds) as
 * on the source, with the same options.  The host mappings are rebuilt
 * through @v's RAM slots and context.  The stream is checked whole before
 * anything changes; on any failure the device is left as it was (host
 * mappings made so far are undone).  A stream of a device in nested mode
 * needs ioasid_virtio_iommu_enable_nested() on @v first, with the same region
 * address and size.
 *
 * Return: 0; -EBADMSG (not a state stream, truncated, checksum mismatch,
 * malformed or inconsistent records: the message names what is wrong);
 * -EPROTONOSUPPORT (another format version, an unknown mandatory
 * record); -EINVAL (the stream does not fit @v: config space, endpoints,
 * RAM, caps, nested mode on one side only or another table region; or a
 * NULL argument); -EBUSY (@v
 * has guest state); -ENOMEM; errors of the host calls.
 */
IOASID_API int ioasid_virtio_iommu_restore(struct ioasid_virtio_iommu *v, const void *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Recorded request traces (tests, replay tools, benchmarks)            */

/*
 * A trace is a text file of virtio-iommu requests, one per line, in the
 * format of the recorded guest traces (see ioasid_virtio_iommu_trace_open(3)):
 *   config page_size_mask=M input=S-E domains=S-E probe_size=N bypass=B
 *   probe ep=E [resv=msi:S-E ...]
 *   attach domain=D ep=E | detach domain=D ep=E
 *   map domain=D virt=S-E phys=P flags=F | unmap domain=D virt=S-E
 * Numbers are hex or decimal, ranges inclusive, '#' starts a comment.
 */
struct ioasid_virtio_iommu_trace;

/* Kinds of trace entries. */
#define IOASID_VIRTIO_IOMMU_TRACE_CONFIG 0u
#define IOASID_VIRTIO_IOMMU_TRACE_REQUEST 1u

/* How many RESV_MEM properties a probe line may record. */
#define IOASID_VIRTIO_IOMMU_TRACE_MAX_RESV 16u

struct ioasid_virtio_iommu_trace_resv {
	uint64_t start, last; /* inclusive */
	uint8_t subtype;      /* 0: reserved, 1: msi (the wire's values) */
};

struct ioasid_virtio_iommu_trace_entry {
	size_t sz;
	uint32_t line;	/* 1-based line number in the file */
	uint32_t kind;	/* IOASID_VIRTIO_IOMMU_TRACE_* */
	/* REQUEST: the device-readable bytes to hand to the device, and the
	 * size of the device-writable part the guest gave (4, or
	 * probe_size + 4 for PROBE, probe_size from the last config line,
	 * else 512).  The recorded guest expected status OK. */
	uint8_t type;	/* request type (1 ATTACH ... 5 PROBE) */
	uint8_t req[72];
	uint32_t req_len;
	uint32_t resp_len;
	/* The request's fields, parsed. */
	uint32_t domain, endpoint, flags;
	uint64_t virt_start, virt_end, phys_start;
	/* PROBE: the RESV_MEM properties the recorded device returned. */
	uint32_t num_resv;
	struct ioasid_virtio_iommu_trace_resv resv[IOASID_VIRTIO_IOMMU_TRACE_MAX_RESV];
	/* CONFIG: what the recorded device offered. */
	uint64_t page_size_mask, input_start, input_end;
	uint32_t domain_start, domain_end, probe_size;
	uint8_t bypass;
	size_t : 0;
};
#define ioasid_virtio_iommu_trace_entry__last_field bypass

/*
 * ioasid_virtio_iommu_trace_open - open the trace file @path ("-": standard
 * input) for reading with ioasid_virtio_iommu_trace_next().
 *
 * Return: 0; -EINVAL; -ENOMEM; the errno of fopen().
 */
IOASID_API int ioasid_virtio_iommu_trace_open(const char *path, struct ioasid_virtio_iommu_trace **tp);

/*
 * ioasid_virtio_iommu_trace_next - read the next entry into @e (@e->sz set by
 * the caller; blank and comment lines are skipped).
 *
 * Return: 1 (an entry); 0 (end of file); -EINVAL (a malformed line: the
 * message names the line); -EIO (read error).
 */
IOASID_API int ioasid_virtio_iommu_trace_next(struct ioasid_virtio_iommu_trace *t, struct ioasid_virtio_iommu_trace_entry *e);

/* ioasid_virtio_iommu_trace_close - close a trace.  NULL is allowed. */
IOASID_API void ioasid_virtio_iommu_trace_close(struct ioasid_virtio_iommu_trace *t);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_VIRTIO_IOMMU_H */
