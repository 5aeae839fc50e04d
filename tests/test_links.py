"""Nothing tracked may point outside the repository: a fresh clone must be complete."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Inline links `[text](target)`, images, and reference definitions `[name]: target`.
MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
# Any relative path that climbs out of its folder, written in prose or code spans.
CLIMBING_PATH = re.compile(r"(?<![\w.])((?:\.\./)+[\w.-][\w./-]*)")
# A sibling of the checkout that exists only on the machines the project was written on.
OUTSIDE_FOLDERS = re.compile(r"\.\./shared/|\bshared/ASSIGNMENTS\.md")
URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def tracked_files() -> list[Path]:
    """Return the files git tracks in this checkout (skip where this is not a git checkout)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listing = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True, timeout=30
    ).stdout.decode()
    return [REPO / name for name in listing.split("\0") if name]


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return None


def escapes(source: Path, target: str) -> bool:
    """Tell whether a relative target written in `source` resolves outside the repository."""
    resolved = (source.parent / target).resolve()
    return not resolved.is_relative_to(REPO)


def test_markdown_links_stay_inside_and_exist() -> None:
    problems = []
    for path in tracked_files():
        if path.suffix != ".md" or (text := read_text(path)) is None:
            continue
        for match in MARKDOWN_LINK.finditer(text):
            target = (match.group(1) or match.group(2)).split("#", 1)[0]
            if not target or URL_SCHEME.match(target):
                continue
            where = f"{path.relative_to(REPO)}: {target}"
            if target.startswith("/") or escapes(path, target):
                problems.append(f"{where} leaves the repository")
            elif not (path.parent / target).exists():
                problems.append(f"{where} does not exist")
    assert problems == []


def test_documents_name_no_path_outside_the_repository() -> None:
    problems = []
    for path in tracked_files():
        if path.suffix != ".md" or (text := read_text(path)) is None:
            continue
        for match in CLIMBING_PATH.finditer(text):
            if escapes(path, match.group(1)):
                problems.append(f"{path.relative_to(REPO)}: {match.group(1)}")
    assert problems == []


def test_no_tracked_file_refers_to_the_shared_folder() -> None:
    problems = []
    for path in tracked_files():
        if (text := read_text(path)) is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_FOLDERS.search(line):
                problems.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert problems == []


OUTSIDE = "../" + "shared/" + "ASSIGNMENTS.md"  # spelt in parts so this file does not trip its own check


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"see [the contract]({OUTSIDE})", OUTSIDE),
        ("[contract]: ../../outside.md", "../../outside.md"),
        ("[ok](docs/CONTRACT.md#losses)", "docs/CONTRACT.md#losses"),
    ],
)
def test_the_link_pattern_finds_links(text: str, found: str) -> None:
    match = MARKDOWN_LINK.search(text)
    assert match is not None and (match.group(1) or match.group(2)) == found
    assert escapes(REPO / "README.md", OUTSIDE) and OUTSIDE_FOLDERS.search(OUTSIDE)
    assert not escapes(REPO / "docs" / "ARCHITECTURE.md", "../README.md")
