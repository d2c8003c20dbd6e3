/*
 * blkdev.c — the disk registry and the RAM disk (blkdev.h; issue 10). The RAM disk stands in
 * for the AHCI driver in tests: same interface, data copied through the segments' virtual
 * addresses instead of DMA'd to their bus addresses.
 */
#include <stdlib.h>
#include <string.h>

#include <pvguest/blkdev.h>
#include <xen/errno.h>

static struct blkdev *disks[BLKDEV_MAX];

int blkdev_register(unsigned int index, struct blkdev *dev)
{
    if (index >= BLKDEV_MAX || !dev)
        return -XEN_EINVAL;
    if (disks[index])
        return -XEN_EEXIST;
    disks[index] = dev;
    return 0;
}

struct blkdev *blkdev_get(unsigned int index)
{
    return index < BLKDEV_MAX ? disks[index] : NULL;
}

static int ram_submit(struct blkdev *dev, enum blkdev_op op, uint64_t sector, uint64_t nr_sectors,
                      const struct blkdev_seg *segs, unsigned int nr_segs, blkdev_done_t done,
                      void *arg)
{
    uint8_t *p = (uint8_t *)dev->priv + sector * 512u;
    uint64_t bytes = 0;
    unsigned int i;

    if (op == BLKDEV_FLUSH) {
        done(arg, 0);
        return 0;
    }
    if (sector > dev->sectors || nr_sectors > dev->sectors - sector)
        return -XEN_EINVAL;
    for (i = 0; i < nr_segs; i++)
        bytes += segs[i].len;
    if (bytes != nr_sectors * 512u)
        return -XEN_EINVAL;
    if (op == BLKDEV_WRITE && dev->read_only)
        return -XEN_EROFS;
    for (i = 0; i < nr_segs; i++) {
        if (op == BLKDEV_READ)
            memcpy(segs[i].va, p, segs[i].len);
        else
            memcpy(p, segs[i].va, segs[i].len);
        p += segs[i].len;
    }
    done(arg, 0);
    return 0;
}

static const struct blkdev_ops ram_ops = {.submit = ram_submit};

struct blkdev *blkdev_ram_create(unsigned int index, uint64_t sectors)
{
    static const char *const names[BLKDEV_MAX] = {"ram0", "ram1", "ram2", "ram3"};
    struct blkdev *dev;

    if (index >= BLKDEV_MAX || disks[index])
        return NULL;
    dev = calloc(1, sizeof(*dev));
    if (!dev)
        return NULL;
    dev->priv = calloc(sectors, 512);
    if (!dev->priv) {
        free(dev);
        return NULL;
    }
    dev->ops = &ram_ops;
    dev->name = names[index];
    dev->sectors = sectors;
    dev->flush = true;
    blkdev_register(index, dev);
    return dev;
}
