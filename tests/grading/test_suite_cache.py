"""A starter kit's suite read from the per-user cache is the suite of its .npz, and a bad cache is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.assignment import KIT_FIXTURES, find_assignment
from autograder.grading.kit import load_kit, write_kit
from autograder.grading.fixtures import read_suite


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("losses-kit")
    write_kit(find_assignment("losses"), folder)
    return folder


def cached_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.suite"))


def test_the_cached_suite_grades_like_the_npz(kit: Path, tmp_path: Path, grade) -> None:
    cache = tmp_path / "cache"
    plain = load_kit(kit)
    filling = load_kit(kit, suite_cache=cache)
    assert len(cached_files(cache)) == 1
    from_cache = load_kit(kit, suite_cache=cache)
    losses = find_assignment("losses")
    for source in (losses.reference_source, losses.starter):
        reports = [grade(assignment, source).to_json() for assignment in (plain, filling, from_cache)]
        for report in reports:
            report.pop("execution_time")
        assert reports[0] == reports[1] == reports[2]


def test_the_cache_is_keyed_by_the_kit_content(kit: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    read_suite(kit / KIT_FIXTURES, cache=cache)
    changed = tmp_path / "changed.npz"
    changed.write_bytes((kit / KIT_FIXTURES).read_bytes() + b"\0")  # zip readers accept trailing bytes
    try:
        read_suite(changed, cache=cache)
    except ValueError:
        pass
    assert len(cached_files(cache)) in (1, 2)
    suite, metadata = read_suite(kit / KIT_FIXTURES, cache=cache)
    assert suite.assignment == "losses" and metadata["assignment"] == "losses"


@pytest.mark.parametrize("damage", [b"", b"AGSUITE1", b"AGSUITE1\xff\xff\xff\xff\xff\xff\xff\x7f{", b"not a cache"])
def test_a_damaged_cache_file_is_ignored(kit: Path, tmp_path: Path, damage: bytes) -> None:
    cache = tmp_path / "cache"
    expected, _ = read_suite(kit / KIT_FIXTURES)
    read_suite(kit / KIT_FIXTURES, cache=cache)
    (cached,) = cached_files(cache)
    cached.write_bytes(damage)
    suite, _ = read_suite(kit / KIT_FIXTURES, cache=cache)
    assert [function.name for function in suite.functions] == [function.name for function in expected.functions]


def test_an_unwritable_cache_folder_only_costs_time(kit: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    suite, _ = read_suite(kit / KIT_FIXTURES, cache=blocked / "suites")
    assert suite.assignment == "losses"
