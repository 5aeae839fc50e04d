"""Run a command under the namespace rules of Docker's default seccomp profile (for a container without
CAP_SYS_ADMIN): no unshare/setns, no clone with CLONE_NEW* flags, no mount/umount2/pivot_root, and
clone3 answering ENOSYS (so the C library falls back to clone). setuid and seccomp stay allowed, as
in Docker. Usage: python docker_like_seccomp.py COMMAND [ARGS...]
"""

from __future__ import annotations

import errno
import os
import sys

import pyseccomp as seccomp

CLONE_NEW_FLAGS = (0x00000080, 0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


def main() -> None:
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in ("unshare", "setns", "mount", "umount2", "pivot_root"):
        rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
    for flag in CLONE_NEW_FLAGS:
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.load()
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
