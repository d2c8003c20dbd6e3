/*
 * HYPERVISOR_xen_version (xen/version.h). mica reports the Xen interface version it
 * implements (4.17) and identifies itself in the extraversion, capabilities and changeset
 * strings; docs/abi.md lists what differs from Xen.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/string.h>
#include <xen/features.h>
#include <xen/version.h>

#define MICA_XEN_MAJOR 4
#define MICA_XEN_MINOR 17

extern const char *hv_command_line(void); /* main.c */

/* Copy string @s to the guest as a NUL-padded buffer of exactly @size bytes (Xen). */
static long copy_string_out(unsigned long arg, const char *s, size_t size)
{
    char buf[1024];

    if (size > sizeof(buf))
        return -EINVAL;
    memset(buf, 0, size);
    strlcpy(buf, s, size);
    return copy_to_guest(arg, buf, size);
}

/* The XENVER_get_features submap 0 mica offers a domain (xen/features.h). */
static uint32_t feature_submap0(const struct domain *d)
{
    uint32_t map = 0;
    if (d->is_privileged)
        map |= 1u << XENFEAT_dom0;
    return map;
}

long do_xen_version(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                    unsigned long a5)
{
    struct domain *d = current->domain;

    /* The ABI's cmd is an int: the upper half of the register is ignored (Xen). */
    switch ((int)cmd) {
    case XENVER_version:
        return (MICA_XEN_MAJOR << 16) | MICA_XEN_MINOR;
    case XENVER_extraversion:
        return copy_string_out(arg, "-mica", sizeof(xen_extraversion_t));
    case XENVER_compile_info: {
        struct xen_compile_info info;
        memset(&info, 0, sizeof(info));
        strlcpy(info.compiler, "gcc " __VERSION__, sizeof(info.compiler));
        strlcpy(info.compile_by, "mica", sizeof(info.compile_by));
        strlcpy(info.compile_domain, "mica", sizeof(info.compile_domain));
        strlcpy(info.compile_date, __DATE__, sizeof(info.compile_date));
        return copy_to_guest(arg, &info, sizeof(info));
    }
    case XENVER_capabilities:
        /* Xen's list ends each entry with a space. */
        return copy_string_out(arg, "xen-3.0-x86_64 ", sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return copy_string_out(arg, "mica", sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters: {
        xen_platform_parameters_t p = {.virt_start = HYPERVISOR_VIRT_START};
        return copy_to_guest(arg, &p, sizeof(p));
    }
    case XENVER_get_features: {
        xen_feature_info_t fi;
        if (copy_from_guest(&fi, arg, sizeof(fi)))
            return -EFAULT;
        if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
            return -EINVAL;
        fi.submap = fi.submap_idx == 0 ? feature_submap0(d) : 0;
        return copy_to_guest(arg, &fi, sizeof(fi));
    }
    case XENVER_pagesize:
        return arg ? -EINVAL : (long)PAGE_SIZE; /* Xen: the argument must be NULL */
    case XENVER_guest_handle: {
        xen_domain_handle_t handle;
        memset(handle, 0, sizeof(handle)); /* no toolstack assigns UUIDs on mica */
        return copy_to_guest(arg, handle, sizeof(handle));
    }
    case XENVER_commandline:
        /* As Xen's default XSM policy: only a privileged domain sees the command line;
           the others get "<denied>", and only its bytes and NUL are written. */
        if (!d->is_privileged)
            return copy_to_guest(arg, "<denied>", sizeof("<denied>"));
        return copy_string_out(arg, hv_command_line(), sizeof(xen_commandline_t));
    case XENVER_build_id: {
        /* Xen reads the caller's buffer header first, then answers -ENODATA when it was
           built without a build id; mica has none. */
        xen_build_id_t hdr;
        if (!d->is_privileged)
            return -EPERM;
        if (!arg)
            return -ENODATA;
        if (copy_from_guest(&hdr, arg, sizeof(hdr)))
            return -EFAULT;
        if (hdr.len == 0)
            return -EINVAL;
        return -ENODATA;
    }
    default:
        return -ENOSYS;
    }
}
