"""Where the jail root shows Python and its libraries: fixed paths, whatever the host's layout.

The zygote imports the standard library, NumPy and its own modules from wherever the host
keeps them (a pyenv prefix, a virtualenv in a checkout under /tmp or /home, ...). The jail
shows them at fixed paths instead, as snekbox does::

    /python/lib/python3.X               the standard library with lib-dynload, without the
                                        interpreter's global site-packages and its test suite
    /python/site-packages/numpy         NumPy, whole: children may import submodules the zygote did not
    /python/site-packages/numpy.libs    the libraries NumPy's wheel vendors
    /python/site-packages/<module>      each other module file the warm zygote has loaded (its own
                                        sandbox modules), file by file: nothing else of the checkout

System libraries stay at their host paths (the dynamic loader looks for them there), but only
those the warm zygote has mapped, with the names the loader's cache gives them. Once the
zygote has pivoted into the jail, :func:`relocate_interpreter` rewrites its import state
(``sys.path``, modules' file names and package paths, code objects' file names) to these paths.
"""

from __future__ import annotations

import _imp
import gc
import importlib
import os
import struct
import sys
import types
from dataclasses import dataclass
from typing import Callable

JAIL_PREFIX = "/python"
STDLIB = f"{JAIL_PREFIX}/lib/python{sys.version_info.major}.{sys.version_info.minor}"
LIB_DYNLOAD = f"{JAIL_PREFIX}/lib-dynload"  # only where the host keeps it outside the standard library
SITE_PACKAGES = f"{JAIL_PREFIX}/site-packages"
WHOLE_PACKAGES = ("numpy",)  # with their vendored libraries (numpy.libs)
# Inside the standard library's directory, never needed by student code (and large).
HIDDEN_STDLIB_DIRS = ("site-packages", "dist-packages", "test")
# Extension modules that need system libraries, loaded before planning so that their libraries
# are mapped and therefore present in the jail: a library no warm module maps is not there.
LIBRARY_MODULES = ("zlib", "binascii", "bz2", "lzma", "hashlib", "ctypes", "decimal", "uuid")
LOADER_CACHE = "/etc/ld.so.cache"
SYSTEM_DIRS = ("/usr/", "/lib/", "/lib32/", "/lib64/", "/libx32/")
# The interpreter's own import machinery; any other hook (setuptools' editable finder, its
# distutils shim) points at host paths and is dropped in the jail.
STANDARD_HOOK_MODULES = frozenset({
    "_frozen_importlib", "_frozen_importlib_external", "importlib._bootstrap", "importlib._bootstrap_external",
    "importlib.machinery", "zipimport",
})
_MAX_SYMLINKS = 40


@dataclass(frozen=True)
class Bind:
    """A host file or directory and the path at which the jail shows it."""

    host: str
    jail: str


@dataclass(frozen=True)
class InterpreterPaths:
    """How the interpreter's import state maps onto the jail: prefixes to rewrite and the new ``sys.path``."""

    moves: tuple[Bind, ...]
    sys_path: tuple[str, ...]


@dataclass(frozen=True)
class PythonLayout:
    """What the jail needs of Python: binds, directories to hide inside them, and the import state's moves."""

    binds: tuple[Bind, ...]
    hidden: tuple[str, ...]
    interpreter: InterpreterPaths


def load_library_modules() -> None:
    """Import :data:`LIBRARY_MODULES` (those this interpreter lacks are skipped)."""
    for name in LIBRARY_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def python_layout() -> PythonLayout:
    """The fixed layout of the standard library, NumPy and the other modules this interpreter has loaded."""
    binds: list[Bind] = []
    moves: list[Bind] = []
    stdlib = getattr(sys, "_stdlib_dir", None) or os.path.dirname(os.__file__)
    binds.append(Bind(os.path.realpath(stdlib), STDLIB))
    moves += _moves(stdlib, STDLIB)
    hidden = [f"{STDLIB}/{name}" for name in HIDDEN_STDLIB_DIRS if os.path.isdir(os.path.join(stdlib, name))]
    sys_path = [STDLIB]
    dynload = next((entry for entry in sys.path if os.path.basename(entry) == "lib-dynload"), None)
    if dynload is not None:
        inside = _relative_to(os.path.realpath(dynload), os.path.realpath(stdlib))
        if inside is None:
            binds.append(Bind(os.path.realpath(dynload), LIB_DYNLOAD))
            moves += _moves(dynload, LIB_DYNLOAD)
        sys_path.append(LIB_DYNLOAD if inside is None else f"{STDLIB}/{inside}")
    sys_path.append(SITE_PACKAGES)
    for name in WHOLE_PACKAGES:
        module = sys.modules.get(name)
        module_file = getattr(module, "__file__", None)
        if module is None or not isinstance(module_file, str):
            continue
        package_dir = os.path.dirname(module_file)
        site_dir = os.path.dirname(package_dir)
        # Wheels vendor their shared libraries (OpenBLAS) next to the package.
        vendored = sorted(entry for entry in os.listdir(site_dir) if entry.startswith(f"{name}.libs"))
        for entry in (os.path.basename(package_dir), *vendored):
            host = os.path.join(site_dir, entry)
            binds.append(Bind(os.path.realpath(host), f"{SITE_PACKAGES}/{entry}"))
            moves += _moves(host, f"{SITE_PACKAGES}/{entry}")
    covered = mover(tuple(moves))
    foreign = foreign_hook_modules()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name in foreign or not isinstance(file, str) or _shown(covered(file), hidden):
            continue
        placed = _site_packages_place(module, file)
        if placed is not None:
            binds.append(Bind(os.path.realpath(file), placed[0]))
            moves += _moves(*placed[1:])
    return PythonLayout(binds=tuple(dict.fromkeys(binds)), hidden=tuple(hidden),
                        interpreter=InterpreterPaths(moves=tuple(dict.fromkeys(moves)), sys_path=tuple(sys_path)))


def system_libraries(skip: Callable[[str], bool]) -> tuple[tuple[Bind, ...], tuple[tuple[str, str], ...]]:
    """The system files this process has mapped (shared objects, locale data) and the loader's cache.

    ``skip`` says which mapped files are shown elsewhere (the Python layout). Returns the binds
    (host path = jail path) and the symlinks, as (path, target), that the loader's names for
    these files pass through (``/lib`` -> ``usr/lib``, ``libz.so.1`` -> ``libz.so.1.2.13``, ...).
    """
    executable = os.path.realpath(sys.executable) if sys.executable else ""
    mapped = {path for path in _mapped_files() if _is_system(path) and path != executable and not skip(path)}
    names = set(mapped)
    # The cache's names of the mapped files: compared by file identity, one stat each (a
    # realpath of each of the cache's hundreds of names costs the zygote's start ~15 ms).
    mapped_files = {identity for identity in map(_file_identity, mapped) if identity is not None}
    names.update(name for name in _loader_cache_names() if _file_identity(name) in mapped_files)
    if os.path.isfile(LOADER_CACHE):
        names.add(LOADER_CACHE)
    files: set[str] = set()
    links: dict[str, str] = {}
    for name in sorted(names):
        real, chain = _resolve(name)
        if real is not None and _is_system(real) and os.path.isfile(real):
            files.add(real)
            links.update(chain)
    return tuple(Bind(path, path) for path in sorted(files)), tuple(sorted(links.items()))


def relocate_interpreter(paths: InterpreterPaths) -> None:
    """Point this interpreter's import state at the jail's paths (call right after ``pivot_root``).

    Only modules already loaded or from the standard library and the jail's site-packages can
    be imported afterwards. Must not import anything new before ``sys.path`` is rewritten.
    """
    move = mover(paths.moves)
    for name in foreign_hook_modules():
        sys.modules.pop(name, None)
    sys.meta_path[:] = [hook for hook in sys.meta_path if _is_standard_hook(hook)]
    sys.path_hooks[:] = [hook for hook in sys.path_hooks if _is_standard_hook(hook)]
    for module in list(sys.modules.values()):
        _relocate_module(module, move)
    # Tracebacks and linecache read file names from code objects; fix them as the importer
    # itself does for a moved .pyc (nested code objects follow).
    for thing in gc.get_objects():
        if type(thing) is types.FunctionType:
            new = move(thing.__code__.co_filename)
            if new is not None:
                _imp._fix_co_filename(thing.__code__, new)  # type: ignore[attr-defined]
    sys.path[:] = paths.sys_path
    sys.prefix = sys.exec_prefix = sys.base_prefix = sys.base_exec_prefix = JAIL_PREFIX
    if hasattr(sys, "_stdlib_dir"):
        sys._stdlib_dir = STDLIB
    # No interpreter binary exists in the jail (nor may a child execute one).
    sys.executable = ""
    if hasattr(sys, "_base_executable"):
        sys._base_executable = ""
    if sys.argv:
        sys.argv[0] = move(sys.argv[0]) or ""
    if getattr(sys, "orig_argv", None):
        sys.orig_argv = ["", *sys.orig_argv[1:]]
    site = sys.modules.get("site")
    if site is not None:
        for name, value in (("PREFIXES", [JAIL_PREFIX]), ("USER_BASE", None), ("USER_SITE", None)):
            setattr(site, name, value)
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()
    linecache = sys.modules.get("linecache")
    if linecache is not None:
        linecache.clearcache()


def foreign_hook_modules() -> set[str]:
    """Names of the modules that define import hooks other than the interpreter's own."""
    return {str(getattr(hook, "__module__", "")) for hook in (*sys.meta_path, *sys.path_hooks)
            if not _is_standard_hook(hook)} & set(sys.modules)


def _is_standard_hook(hook: object) -> bool:
    return getattr(hook, "__module__", None) in STANDARD_HOOK_MODULES


def _relocate_module(module: object, move: Callable[[str], str | None]) -> None:
    try:
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and (new := move(file)) is not None:
            module.__file__ = new  # type: ignore[attr-defined]
        cached = getattr(module, "__cached__", None)
        if isinstance(cached, str):
            module.__cached__ = move(cached)  # type: ignore[attr-defined]
        path = getattr(module, "__path__", None)
        if isinstance(path, list):
            path[:] = [move(entry) or entry for entry in path]
        spec = getattr(module, "__spec__", None)
        if spec is not None:
            if isinstance(spec.origin, str) and (new := move(spec.origin)) is not None:
                spec.origin = new
            if isinstance(spec.cached, str):
                spec.cached = move(spec.cached)
            locations = spec.submodule_search_locations
            if isinstance(locations, list) and locations is not path:
                locations[:] = [move(entry) or entry for entry in locations]
            state = spec.loader_state
            if isinstance(getattr(state, "filename", None), str) and (new := move(state.filename)) is not None:
                state.filename = new
        loader = getattr(module, "__loader__", None)
        loader_path = getattr(loader, "path", None)
        if loader is not None and isinstance(loader_path, str) and (new := move(loader_path)) is not None:
            loader.path = new
    except (AttributeError, TypeError):
        pass  # an odd object in sys.modules: it keeps its names


def mover(moves: tuple[Bind, ...]) -> Callable[[str], str | None]:
    """Return a function giving a host path's jail path (the longest matching move wins), or None."""
    ordered = sorted(moves, key=lambda move: len(move.host), reverse=True)

    def move(path: str) -> str | None:
        for bind in ordered:
            rest = _relative_to(path, bind.host)
            if rest is not None:
                return bind.jail if rest == "" else f"{bind.jail}/{rest}"
        return None

    return move


def _moves(host: str, jail: str) -> list[Bind]:
    """Moves for a host path as written and as resolved (module names use the former)."""
    return [Bind(os.path.normpath(host), jail), Bind(os.path.realpath(host), jail)]


def _relative_to(path: str, base: str) -> str | None:
    if path == base:
        return ""
    if base != "/" and path.startswith(base + "/"):
        return path[len(base) + 1:]
    return None


def _site_packages_place(module: object, file: str) -> tuple[str, str, str] | None:
    """Where a loaded module's file goes under the jail's site-packages, and its top-level move.

    Returns (jail path of the file, host path of its top-level package or module, its jail
    path), or None when the file name does not match the module name (it then stays out).
    """
    spec = getattr(module, "__spec__", None)
    name = getattr(spec, "name", None)
    if not isinstance(name, str) or not name:
        return None
    parts = name.split(".")
    base = os.path.basename(file)
    if base.split(".")[0] == "__init__":
        relative = "/".join([*parts, base])
    elif base.split(".")[0] == parts[-1]:
        relative = "/".join([*parts[:-1], base])
    else:
        return None
    if not file.endswith("/" + relative):
        return None
    root = file[: -len(relative) - 1]
    top = relative if len(relative.split("/")) == 1 else parts[0]
    return f"{SITE_PACKAGES}/{relative}", os.path.join(root, top), f"{SITE_PACKAGES}/{top}"


def _shown(jail_path: str | None, hidden: list[str]) -> bool:
    """Whether a moved path is visible in the jail (not None, not inside a hidden directory)."""
    return jail_path is not None and not any(_relative_to(jail_path, directory) is not None for directory in hidden)


def _file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file ``path`` leads to, or None when it leads nowhere."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _is_system(path: str) -> bool:
    return path.startswith(SYSTEM_DIRS) or path == LOADER_CACHE


def _mapped_files() -> set[str]:
    """Files mapped into this process (its executable, shared objects, locale data, ...)."""
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].startswith("/") and not fields[5].endswith(" (deleted)\n"):
                found.add(fields[5].rstrip("\n"))
    return found


def _loader_cache_names() -> list[str]:
    """The library paths listed in the dynamic loader's cache (glibc's "ld.so.cache1.1" format)."""
    magic = b"glibc-ld.so.cache1.1"
    try:
        with open(LOADER_CACHE, "rb") as cache:
            data = cache.read()
    except OSError:
        return []
    start = data.find(magic)
    if start < 0:
        return []
    header = start + len(magic)
    try:
        count = struct.unpack_from("<I", data, header)[0]
        entries = header + 28  # count, string table length, flags + padding, extension offset, 3 unused
        names = []
        for index in range(count):
            value = struct.unpack_from("<iIIIQ", data, entries + 24 * index)[2]
            end = data.index(b"\0", start + value)
            names.append(data[start + value:end].decode("utf-8", "replace"))
    except (struct.error, ValueError):
        return []
    return [name for name in names if name.startswith("/")]


def _resolve(path: str) -> tuple[str | None, dict[str, str]]:
    """The real path of ``path`` and each symlink met on the way, as {link path: target}."""
    links: dict[str, str] = {}
    pending = [part for part in path.split("/") if part]
    resolved = ""
    followed = 0
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            resolved = os.path.dirname(resolved) if resolved else ""
            resolved = "" if resolved == "/" else resolved
            continue
        candidate = f"{resolved}/{part}"
        if not os.path.islink(candidate):
            resolved = candidate
            continue
        followed += 1
        if followed > _MAX_SYMLINKS:
            return None, {}
        target = os.readlink(candidate)
        links[candidate] = target
        if target.startswith("/"):
            resolved = ""
        pending = [piece for piece in target.split("/") if piece] + pending
    return resolved or "/", links
