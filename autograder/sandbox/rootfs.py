"""The minimal read-only root file system the zygote and its children live in.

The zygote builds it once, in its own mount namespace: a small tmpfs holding only
read-only bind mounts of what an already-warm interpreter may still open (the Python
prefix, the NumPy package, system libraries) and three harmless devices. Then it
``pivot_root``s into it and detaches the host's tree: no project files, no home
directories, no host ``/tmp``, no ``/proc``, no ``/etc/shadow``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from autograder.sandbox import syscalls

STAGING = "/tmp"  # shadowed by a tmpfs inside the zygote's private mount namespace only
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom")
SYSTEM_PATHS = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/etc/ld.so.cache")


@dataclass(frozen=True)
class RootPlan:
    """What the jail root exposes, all at the same paths as on the host."""

    read_only: tuple[str, ...]
    devices: tuple[str, ...] = DEVICES


def default_plan() -> RootPlan:
    """Return the paths a warm interpreter with NumPy needs, and nothing else."""
    import numpy

    numpy_dir = os.path.dirname(os.path.realpath(numpy.__file__))
    site_dir = os.path.dirname(numpy_dir)
    paths = [os.path.realpath(sys.base_prefix), numpy_dir]
    # Wheels vendor their shared libraries (OpenBLAS) next to the package.
    paths += [os.path.join(site_dir, name) for name in os.listdir(site_dir) if name.startswith("numpy.libs")]
    paths += [path for path in SYSTEM_PATHS if os.path.lexists(path)]
    return RootPlan(read_only=tuple(dict.fromkeys(paths)))


def enter_jail_root(plan: RootPlan, *, keep_source_flags: bool = False) -> None:
    """Build the jail root from ``plan`` and pivot this process into it (needs root).

    ``keep_source_flags``: inside a user namespace, mounts inherited from the host are
    locked (flags may be added, never removed), so each bind keeps its source's flags.
    Raises OSError if a mount step fails; the process is then in an unknown state and
    must not run untrusted code.
    """
    syscalls.unshare(syscalls.CLONE_NEWNS)
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    # O_PATH handles keep the sources reachable once the staging tmpfs shadows them.
    handles = {path: os.open(path, os.O_PATH | os.O_NOFOLLOW) for path in (*plan.read_only, *plan.devices)}
    # Look at the sources before the tmpfs goes over STAGING: a path under /tmp (a checkout
    # or virtualenv there) would otherwise be looked up inside the new, empty tmpfs.
    kinds = {path: _kind(path) for path in handles}
    try:
        syscalls.mount("jail", STAGING, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NODEV, "size=1m,mode=0755")
        for path in plan.read_only:
            _expose(path, handles[path], kinds[path], read_only=True, keep_source_flags=keep_source_flags)
        for path in plan.devices:
            _expose(path, handles[path], kinds[path], read_only=False, keep_source_flags=keep_source_flags)
    finally:
        for handle in handles.values():
            os.close(handle)
    old_root = STAGING + "/.old_root"
    os.mkdir(old_root)
    syscalls.pivot_root(STAGING, old_root)
    os.chdir("/")
    syscalls.umount2("/.old_root", syscalls.MNT_DETACH)
    os.rmdir("/.old_root")
    syscalls.mount(None, "/", None, syscalls.MS_REMOUNT | syscalls.MS_RDONLY | syscalls.MS_NOSUID | syscalls.MS_NODEV)


def _kind(path: str) -> tuple[str, str]:
    """("link", its target), ("dir", "") or ("file", "") for a host path."""
    if os.path.islink(path):
        return "link", os.readlink(path)
    return ("dir", "") if os.path.isdir(path) else ("file", "")


def _expose(path: str, handle: int, kind: tuple[str, str], *, read_only: bool, keep_source_flags: bool) -> None:
    target = STAGING + path
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if kind[0] == "link":
        os.symlink(kind[1], target)
        return
    if kind[0] == "dir":
        os.makedirs(target, exist_ok=True)
    else:
        with open(target, "wb"):
            pass
    syscalls.mount(f"/proc/self/fd/{handle}", target, None, syscalls.MS_BIND)
    flags = syscalls.MS_REMOUNT | syscalls.MS_BIND | syscalls.MS_NOSUID
    if read_only:
        flags |= syscalls.MS_RDONLY | syscalls.MS_NODEV
    if keep_source_flags:
        flags |= _mount_flags(os.fstatvfs(handle).f_flag)
    syscalls.mount(None, target, None, flags)


# statvfs flag -> mount flag, for every flag a user namespace locks on an inherited mount.
_LOCKED_FLAGS = (
    (os.ST_RDONLY, syscalls.MS_RDONLY), (os.ST_NOSUID, syscalls.MS_NOSUID), (os.ST_NODEV, syscalls.MS_NODEV),
    (os.ST_NOEXEC, syscalls.MS_NOEXEC), (os.ST_NOATIME, syscalls.MS_NOATIME),
    (os.ST_NODIRATIME, syscalls.MS_NODIRATIME), (os.ST_RELATIME, syscalls.MS_RELATIME),
)


def _mount_flags(statvfs_flags: int) -> int:
    """The mount flags that reproduce a source mount's locked flags on a bind remount."""
    return sum(mount_flag for statvfs_flag, mount_flag in _LOCKED_FLAGS if statvfs_flags & statvfs_flag)
