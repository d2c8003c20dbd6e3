/*
 * blkdev_ahci.c — the AHCI driver's disk as a blkdev (blkdev.h over ahci.h; issue 10). Each
 * submit becomes one ahci_request whose segments are the blkdev segments' bus addresses (a
 * grant's device_map address: the HBA DMAs straight into the guest's page, DESIGN.md §6);
 * physically adjacent segments are merged into one PRDT entry.
 */
#include <stdio.h>
#include <stdlib.h>

#include <pvguest/ahci.h>
#include <pvguest/blkdev.h>
#include <xen/errno.h>

/** One request to the driver, with its segment list and the blkdev completion. */
struct ahci_job {
    struct ahci_request req;
    blkdev_done_t done;
    void *arg;
    struct ahci_seg segs[];
};

static void job_done(struct ahci_request *req, int status)
{
    struct ahci_job *job = req->data;
    blkdev_done_t done = job->done;
    void *arg = job->arg;

    if (status)
        printf("pvguest: blkdev: ahci0: %s of %u sectors at %llu: %d (tfd %#x)\n",
               req->op == AHCI_OP_READ    ? "read"
               : req->op == AHCI_OP_WRITE ? "write"
                                          : "flush",
               req->count, (unsigned long long)req->lba, status, req->tfd);
    free(job);
    done(arg, status);
}

static int ahci_blk_submit(struct blkdev *dev, enum blkdev_op op, uint64_t sector,
                           uint64_t nr_sectors, const struct blkdev_seg *segs, unsigned int nr_segs,
                           blkdev_done_t done, void *arg)
{
    struct ahci_job *job = malloc(sizeof(*job) + nr_segs * sizeof(job->segs[0]));
    unsigned int n = 0;
    long rc;

    (void)dev;
    if (!job)
        return -XEN_ENOMEM;
    if (nr_sectors > AHCI_MAX_SECTORS) {
        free(job);
        return -XEN_EINVAL;
    }
    for (unsigned int i = 0; i < nr_segs; i++) {
        if (n && job->segs[n - 1].addr + job->segs[n - 1].len == segs[i].bus_addr &&
            job->segs[n - 1].len + segs[i].len <= AHCI_MAX_SEG_BYTES)
            job->segs[n - 1].len += segs[i].len;
        else
            job->segs[n++] = (struct ahci_seg){.addr = segs[i].bus_addr, .len = segs[i].len};
    }
    job->req = (struct ahci_request){.op = op == BLKDEV_READ    ? AHCI_OP_READ
                                           : op == BLKDEV_WRITE ? AHCI_OP_WRITE
                                                                : AHCI_OP_FLUSH,
                                     .lba = op == BLKDEV_FLUSH ? 0 : sector,
                                     .count = op == BLKDEV_FLUSH ? 0 : (uint32_t)nr_sectors,
                                     .nr_segs = op == BLKDEV_FLUSH ? 0 : n,
                                     .segs = job->segs,
                                     .done = job_done,
                                     .data = job};
    job->done = done;
    job->arg = arg;
    rc = ahci_submit(&job->req);
    if (rc) {
        free(job);
        return (int)rc;
    }
    return 0;
}

/* One doorbell for a batch of submits (ahci_plug). */
static void ahci_blk_plug(struct blkdev *dev, bool on)
{
    (void)dev;
    if (on)
        ahci_plug();
    else
        ahci_unplug();
}

static const struct blkdev_ops ahci_blk_ops = {.submit = ahci_blk_submit, .plug = ahci_blk_plug};

struct blkdev *blkdev_ahci_create(unsigned int index)
{
    const struct ahci_info *info;
    struct blkdev *dev;
    long rc = ahci_init();

    if (rc) {
        printf("pvguest: blkdev: ahci_init = %ld\n", rc);
        return NULL;
    }
    info = ahci_info();
    if (info->sector_size != 512) {
        printf("pvguest: blkdev: ahci0: %u-byte sectors; blkif needs 512\n", info->sector_size);
        return NULL;
    }
    dev = calloc(1, sizeof(*dev));
    if (!dev)
        return NULL;
    dev->ops = &ahci_blk_ops;
    dev->name = "ahci0";
    dev->sectors = info->sectors;
    dev->flush = info->flush_ext;
    dev->max_segs = AHCI_MAX_SEGS;
    dev->dma_only = true; /* the PRDT takes bus addresses only */
    if (blkdev_register(index, dev)) {
        free(dev);
        return NULL;
    }
    printf("pvguest: blkdev: ahci0: \"%s\", %llu sectors, flush %s, %u slots\n", info->model,
           (unsigned long long)info->sectors, dev->flush ? "yes" : "no", info->slots);
    return dev;
}
