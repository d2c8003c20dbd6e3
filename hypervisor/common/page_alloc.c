/*
 * Binary buddy frame allocator (see <mica/page_alloc.h>). A free block of
 * 2^k frames starts at a multiple of 2^k; its buddy is the block it was
 * split from the other half of, at mfn ^ 2^k. Only a block's head frame
 * records anything (PGC_free_head, order, list links), so adding a range
 * or merging blocks never touches the frames in between.
 */
#include <mica/errno.h>
#include <mica/page_alloc.h>

static struct page_info *frame(const struct frame_allocator *fa, mfn_t mfn)
{
    return &fa->frame_table[mfn];
}

static void list_push(struct frame_allocator *fa, mfn_t mfn, unsigned int order)
{
    struct page_info *pg = frame(fa, mfn);
    uint32_t first = fa->free_head[order];

    pg->count_info = PGC_free_head;
    pg->type_info = 0;
    pg->order = (uint8_t)order;
    pg->prev = PAGE_LIST_NULL;
    pg->next = first;
    if (first != PAGE_LIST_NULL)
        frame(fa, first)->prev = (uint32_t)mfn;
    fa->free_head[order] = (uint32_t)mfn;
    fa->nr_free[order]++;
    fa->free_frames += 1UL << order;
}

static void list_remove(struct frame_allocator *fa, mfn_t mfn, unsigned int order)
{
    struct page_info *pg = frame(fa, mfn);

    if (pg->prev != PAGE_LIST_NULL)
        frame(fa, pg->prev)->next = pg->next;
    else
        fa->free_head[order] = pg->next;
    if (pg->next != PAGE_LIST_NULL)
        frame(fa, pg->next)->prev = pg->prev;
    pg->count_info &= ~PGC_free_head;
    pg->next = pg->prev = PAGE_LIST_NULL;
    fa->nr_free[order]--;
    fa->free_frames -= 1UL << order;
}

/* Put a free block on its list, first merging it with free buddies. */
static void free_block(struct frame_allocator *fa, mfn_t mfn, unsigned int order)
{
    while (order < MAX_ORDER) {
        mfn_t buddy = mfn ^ (1UL << order);
        const struct page_info *b;

        if (buddy + (1UL << order) > fa->nr_frames)
            break;
        b = frame(fa, buddy);
        if (!(b->count_info & PGC_free_head) || b->order != order)
            break;
        list_remove(fa, buddy, order);
        mfn &= ~(1UL << order);
        order++;
    }
    list_push(fa, mfn, order);
}

int frame_allocator_init(struct frame_allocator *fa, struct page_info *frame_table,
                         unsigned long nr_frames)
{
    if (nr_frames >= PAGE_LIST_NULL)
        return -EINVAL;
    *fa = (struct frame_allocator){.frame_table = frame_table, .nr_frames = nr_frames};
    for (unsigned int o = 0; o < NR_ORDERS; o++)
        fa->free_head[o] = PAGE_LIST_NULL;
    for (unsigned long i = 0; i < nr_frames; i++) {
        frame_table[i] = (struct page_info){
            .owner = DOMID_XEN,
            .next = PAGE_LIST_NULL,
            .prev = PAGE_LIST_NULL,
        };
    }
    return 0;
}

/* Record [start, end) in the sorted range list, joining neighbours. */
static int record_range(struct frame_allocator *fa, mfn_t start, mfn_t end)
{
    unsigned int i = 0, n = fa->nr_ranges;

    while (i < n && fa->range[i].end < start)
        i++;
    /* Now range[i] (if any) ends at or after start: it overlaps, touches, or lies above. */
    if (i < n && fa->range[i].start < end && start < fa->range[i].end)
        return -EEXIST;
    if (i + 1 < n && fa->range[i + 1].start < end)
        return -EEXIST;

    bool join_left = i < n && fa->range[i].end == start;
    unsigned int right = join_left ? i + 1 : i;
    bool join_right = right < n && fa->range[right].start == end;

    if (join_left && join_right) {
        fa->range[i].end = fa->range[right].end;
        for (unsigned int j = right; j + 1 < n; j++)
            fa->range[j] = fa->range[j + 1];
        fa->nr_ranges--;
    } else if (join_left) {
        fa->range[i].end = end;
    } else if (join_right) {
        fa->range[right].start = start;
    } else {
        if (n == FRAME_ALLOC_MAX_RANGES)
            return -ENOSPC;
        for (unsigned int j = n; j > i; j--)
            fa->range[j] = fa->range[j - 1];
        fa->range[i].start = start;
        fa->range[i].end = end;
        fa->nr_ranges++;
    }
    return 0;
}

int frame_allocator_add_range(struct frame_allocator *fa, mfn_t mfn, unsigned long count)
{
    mfn_t end = mfn + count;
    int rc;

    if (count == 0 || mfn >= fa->nr_frames || count > fa->nr_frames - mfn)
        return -EINVAL;
    rc = record_range(fa, mfn, end);
    if (rc)
        return rc;
    fa->managed_frames += count;

    /* Maximal aligned blocks: at most about 2 * MAX_ORDER plus count / 2^MAX_ORDER. */
    while (mfn < end) {
        unsigned int order = 0;

        while (order < MAX_ORDER && !(mfn & (1UL << order)) && (2UL << order) <= end - mfn)
            order++;
        free_block(fa, mfn, order);
        mfn += 1UL << order;
    }
    return 0;
}

long frame_allocator_alloc(struct frame_allocator *fa, unsigned int order, domid_t owner)
{
    unsigned int o = order;
    mfn_t mfn;

    if (order > MAX_ORDER)
        return -EINVAL;
    while (o <= MAX_ORDER && fa->free_head[o] == PAGE_LIST_NULL)
        o++;
    if (o > MAX_ORDER) {
        fa->nr_alloc_failures++;
        return -ENOMEM;
    }
    mfn = fa->free_head[o];
    list_remove(fa, mfn, o);
    /* Split: the upper halves go back on the lists. */
    while (o > order) {
        o--;
        list_push(fa, mfn + (1UL << o), o);
    }

    for (unsigned long i = 0; i < (1UL << order); i++) {
        struct page_info *pg = frame(fa, mfn + i);

        pg->count_info = 0;
        pg->type_info = 0;
        pg->owner = owner;
    }
    frame(fa, mfn)->count_info = PGC_alloc_head;
    frame(fa, mfn)->order = (uint8_t)order;
    fa->nr_allocs++;
    return (long)mfn;
}

int frame_allocator_free(struct frame_allocator *fa, mfn_t mfn, unsigned int order)
{
    const struct page_info *head;

    if (order > MAX_ORDER || (mfn & ((1UL << order) - 1)) || mfn >= fa->nr_frames ||
        (1UL << order) > fa->nr_frames - mfn)
        goto bad;
    head = frame(fa, mfn);
    if (!(head->count_info & PGC_alloc_head) || head->order != order)
        goto bad;

    for (unsigned long i = 0; i < (1UL << order); i++) {
        struct page_info *pg = frame(fa, mfn + i);

        pg->count_info = 0;
        pg->type_info = 0;
        pg->owner = PAGE_OWNER_FREE;
    }
    free_block(fa, mfn, order);
    fa->nr_frees++;
    return 0;

bad:
    fa->nr_bad_frees++;
    return -EINVAL;
}

bool frame_allocator_is_free(const struct frame_allocator *fa, mfn_t mfn)
{
    if (mfn >= fa->nr_frames)
        return false;
    /* Heads alone carry PGC_free_head: look at each possible head of a block holding mfn. */
    for (unsigned int o = 0; o <= MAX_ORDER; o++) {
        const struct page_info *pg = frame(fa, mfn & ~((1UL << o) - 1));

        if ((pg->count_info & PGC_free_head) && pg->order == o)
            return true;
    }
    return false;
}

static bool in_ranges(const struct frame_allocator *fa, mfn_t start, mfn_t end)
{
    for (unsigned int i = 0; i < fa->nr_ranges; i++) {
        if (fa->range[i].start <= start && end <= fa->range[i].end)
            return true;
    }
    return false;
}

int frame_allocator_check(const struct frame_allocator *fa)
{
    unsigned long frames = 0;

    for (unsigned int o = 0; o <= MAX_ORDER; o++) {
        unsigned long blocks = 0;
        uint32_t prev = PAGE_LIST_NULL;

        for (uint32_t m = fa->free_head[o]; m != PAGE_LIST_NULL; m = frame(fa, m)->next) {
            const struct page_info *pg;

            if (m >= fa->nr_frames || (m & ((1UL << o) - 1)) || !in_ranges(fa, m, m + (1UL << o)))
                return -EINVAL;
            pg = frame(fa, m);
            if (!(pg->count_info & PGC_free_head) || (pg->count_info & PGC_alloc_head) ||
                pg->order != o || pg->prev != prev)
                return -EINVAL;
            if (++blocks > fa->nr_free[o]) /* also stops a cycle */
                return -EINVAL;
            prev = m;
        }
        if (blocks != fa->nr_free[o])
            return -EINVAL;
        frames += blocks << o;
    }
    return frames == fa->free_frames && frames <= fa->managed_frames ? 0 : -EINVAL;
}
