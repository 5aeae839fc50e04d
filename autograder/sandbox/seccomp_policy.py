"""The seccomp allow-list that confines a sandboxed child.

Only what a warm interpreter computing with NumPy needs is allowed (files opened for reading
only); everything else
fails with EPERM (not a kill, so student code sees an ordinary ``PermissionError``).
Denied by omission: process and thread creation, exec, sockets, ptrace, signals to
other processes, mount, bpf, io_uring, keyctl, namespaces, set*id, process_vm_*,
perf_event_open, setrlimit and friends, and the madvise advice that acts beyond the process's
own memory (evicting shared page cache, KSM).
"""

from __future__ import annotations

import errno
import os

# Plain computation, memory, reading files of the read-only root, pipes, time.
ALLOWED = (
    "read", "write", "readv", "writev", "pread64", "pwrite64", "close", "close_range",
    "fstat", "stat", "lstat", "newfstatat", "statx", "lseek", "getdents64", "getcwd",
    "readlink", "readlinkat", "access", "faccessat", "faccessat2", "fcntl",
    "dup", "dup2", "dup3", "pipe", "pipe2", "chdir", "fchdir", "umask",
    "mmap", "munmap", "mprotect", "mremap", "brk",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend", "sigaltstack",
    "restart_syscall", "pause", "alarm", "setitimer", "getitimer",
    "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
    "getresuid", "getresgid", "getpgrp", "getpgid", "getsid", "uname", "sysinfo", "getrusage",
    "times", "getrlimit", "sched_yield", "sched_getaffinity", "getcpu", "getrandom",
    "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
    "futex", "poll", "ppoll", "select", "pselect6", "exit", "exit_group",
)

# Not mincore: where a child owns the jail's files (user-namespace mode) it tells which pages of a
# file are in the page cache, that is, what an earlier unit (a hidden one) read.

# open/openat only to read: a child must not create or change files. Outside the jail (a Docker
# container's reduced isolation) a file a unit created would outlive it: the next unit, or the
# public re-run of the same file, could read it back, hidden inputs written into names included.
# madvise advice a process may give about its own memory (the allocator's DONTNEED and FREE,
# NumPy's HUGEPAGE...). Left out: MADV_COLD (20) and MADV_PAGEOUT (21), which evict a file's pages
# from the page cache every unit shares (a hidden unit could write bits for a later unit to time,
# or undo any warming of the cache); MADV_MERGEABLE (12) and UNMERGEABLE (13), which would opt
# pages into KSM, whose copy-on-write timing tells what memory other processes hold; MADV_REMOVE
# (9), MADV_COLLAPSE (25), MADV_DONTNEED_LOCKED (24) and the hardware-poisoning ones.
MADVISE_ADVICE = (0, 1, 2, 3, 4, 8, 10, 11, 14, 15, 16, 17, 18, 19, 22, 23)

WRITE_OPEN_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

TCGETS = 0x5401  # isatty()
FIONREAD = 0x541B


def build_filter(own_pid: int):
    """Return an unloaded ``pyseccomp.SyscallFilter`` for a child whose pid is ``own_pid``.

    Signals and ``prlimit64`` are allowed only towards the child itself (and only to read
    limits). Raises ImportError or OSError where libseccomp is unavailable.
    """
    import pyseccomp as seccomp

    policy = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.EPERM))
    for name in ALLOWED:
        try:
            policy.add_rule(seccomp.ALLOW, name)
        except (OSError, ValueError, RuntimeError):
            pass  # not a syscall on this architecture
    for name, flags_argument in (("open", 1), ("openat", 2)):
        try:
            policy.add_rule(seccomp.ALLOW, name, seccomp.Arg(flags_argument, seccomp.MASKED_EQ, WRITE_OPEN_FLAGS, 0))
        except (OSError, ValueError, RuntimeError):
            pass  # no open(2) on this architecture (aarch64 has openat only)
    for advice in MADVISE_ADVICE:
        policy.add_rule(seccomp.ALLOW, "madvise", seccomp.Arg(2, seccomp.EQ, advice))
    policy.add_rule(seccomp.ALLOW, "ioctl", seccomp.Arg(1, seccomp.EQ, TCGETS))
    policy.add_rule(seccomp.ALLOW, "ioctl", seccomp.Arg(1, seccomp.EQ, FIONREAD))
    policy.add_rule(seccomp.ALLOW, "kill", seccomp.Arg(0, seccomp.EQ, own_pid))
    policy.add_rule(seccomp.ALLOW, "tkill", seccomp.Arg(0, seccomp.EQ, own_pid))
    policy.add_rule(seccomp.ALLOW, "tgkill", seccomp.Arg(0, seccomp.EQ, own_pid))
    policy.add_rule(seccomp.ALLOW, "prlimit64", seccomp.Arg(0, seccomp.EQ, 0), seccomp.Arg(2, seccomp.EQ, 0))
    return policy


def compile_filter(own_pid: int) -> bytes:
    """Return the allow-list for ``own_pid`` compiled to classic BPF, ready for prctl.

    Compiling once and loading the bytes in each child saves libseccomp's few
    milliseconds per child. Raises ImportError or OSError where libseccomp is unavailable.
    """
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "wb") as sink:
            build_filter(own_pid).export_bpf(sink)
        chunks = []
        while chunk := os.read(read_fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(read_fd)
    return b"".join(chunks)
