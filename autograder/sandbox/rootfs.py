"""The minimal read-only root file system the zygote and its children live in.

The zygote builds it once, in its own mount namespace: a small tmpfs holding only read-only
bind mounts of what its already-warm interpreter may still open, at paths that do not
depend on where the host keeps Python or the checkout (:mod:`autograder.sandbox.jail_paths`:
the standard library and NumPy under ``/python``; the system libraries it has mapped), and
three harmless devices. Then it ``pivot_root``s into it, detaches the host's tree and points
its import state at the new paths: no project files, no home directories, no host ``/tmp``,
no ``/proc``, no ``/etc/shadow``, no other installed package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from autograder.sandbox import jail_paths, syscalls
from autograder.sandbox.jail_paths import Bind, InterpreterPaths

STAGING = "/tmp"  # shadowed by a tmpfs inside the zygote's private mount namespace only
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom")


@dataclass(frozen=True)
class RootPlan:
    """What the jail root exposes, and where."""

    binds: tuple[Bind, ...]  # read-only bind mounts, host path -> jail path
    links: tuple[tuple[str, str], ...] = ()  # symlinks (jail path, target)
    hidden: tuple[str, ...] = ()  # directories inside binds covered by an empty read-only tmpfs
    devices: tuple[str, ...] = DEVICES  # at their host paths, writable
    interpreter: InterpreterPaths | None = None  # where this interpreter's import state moves


def default_plan() -> RootPlan:
    """Return what a warm interpreter with NumPy needs, at fixed paths, and nothing else.

    Loads the extension modules whose system libraries children may need first
    (:data:`jail_paths.LIBRARY_MODULES`): only libraries this process has mapped are exposed.
    """
    jail_paths.load_library_modules()
    python = jail_paths.python_layout()
    shown_elsewhere = jail_paths.mover(python.interpreter.moves)
    libraries, links = jail_paths.system_libraries(skip=lambda path: shown_elsewhere(path) is not None)
    return RootPlan(binds=python.binds + libraries, links=links, hidden=python.hidden, interpreter=python.interpreter)


def enter_jail_root(plan: RootPlan, *, keep_source_flags: bool = False) -> None:
    """Build the jail root from ``plan``, pivot this process into it and relocate its imports (needs root).

    ``keep_source_flags``: inside a user namespace, mounts inherited from the host are
    locked (flags may be added, never removed), so each bind keeps its source's flags.
    Raises OSError if a mount step fails; the process is then in an unknown state and
    must not run untrusted code.
    """
    syscalls.unshare(syscalls.CLONE_NEWNS)
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    sources = dict.fromkeys([*(bind.host for bind in plan.binds), *plan.devices])
    # O_PATH handles keep the sources reachable once the staging tmpfs shadows them.
    handles = {path: os.open(path, os.O_PATH | os.O_NOFOLLOW) for path in sources}
    # Look at the sources before the tmpfs goes over STAGING: a path under /tmp (a checkout
    # or virtualenv there) would otherwise be looked up inside the new, empty tmpfs.
    kinds = {path: _kind(path) for path in handles}
    try:
        syscalls.mount("jail", STAGING, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NODEV, "size=1m,mode=0755")
        for path, target in plan.links:
            os.makedirs(os.path.dirname(STAGING + path), exist_ok=True)
            os.symlink(target, STAGING + path)
        # Outer directories first: a hidden directory lies inside a bind.
        for bind in sorted(plan.binds, key=lambda bind: bind.jail.count("/")):
            _expose(bind.jail, handles[bind.host], kinds[bind.host], read_only=True,
                    keep_source_flags=keep_source_flags)
        for path in plan.hidden:
            syscalls.mount("hidden", STAGING + path, "tmpfs", _HIDDEN_FLAGS, "size=4k,mode=0555")
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
    if plan.interpreter is not None:
        jail_paths.relocate_interpreter(plan.interpreter)


_HIDDEN_FLAGS = syscalls.MS_RDONLY | syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC


def _kind(path: str) -> tuple[str, str]:
    """("link", its target), ("dir", "") or ("file", "") for a host path."""
    if os.path.islink(path):
        return "link", os.readlink(path)
    return ("dir", "") if os.path.isdir(path) else ("file", "")


def _expose(path: str, handle: int, kind: tuple[str, str], *, read_only: bool, keep_source_flags: bool) -> None:
    """Show the source behind ``handle`` at ``path`` of the jail."""
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
