"""The similarity engine on real files: independent solutions stay apart, disguised copies do not."""

from __future__ import annotations

import ast
import functools
import itertools
from pathlib import Path

import pytest

from autograder.similarity.compare import compare, matched_regions, upper_bound
from autograder.similarity.disguise import (
    disguise,
    rename_identifiers,
    reorder_functions,
    restyle,
    strip_docstrings,
)
from autograder.similarity.fingerprints import FilePrint, fingerprint_source, starter_hashes
from autograder.similarity.index import Document, FingerprintIndex, rank
from autograder.similarity.tokens import normalise

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "tests" / "conformance" / "solutions"
HAND_DISGUISED = Path(__file__).parent / "hand_disguised"
ASSIGNMENTS = sorted(folder.name for folder in SOLUTIONS.iterdir() if folder.is_dir())


def _starter_source(assignment: str) -> str:
    return (ROOT / "assignments" / assignment / "starter.py").read_text()


@functools.cache
def _starter(assignment: str) -> frozenset[int]:
    return starter_hashes(_starter_source(assignment))


def _graded_names(assignment: str) -> set[str]:
    tree = ast.parse(_starter_source(assignment))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def _solutions(assignment: str) -> dict[str, str]:
    # Decoded as the service stores an upload: a byte-order mark and CRLF line ends kept.
    return {path.stem: path.read_bytes().decode("utf-8") for path in sorted((SOLUTIONS / assignment).glob("*.py"))}


@functools.cache
def _fingerprint(assignment: str, source: str) -> FilePrint:
    # Each solution is scored against dozens of others and copies: fingerprinted once per test process.
    return fingerprint_source(source, _starter(assignment))


def _score(assignment: str, a: str, b: str) -> float:
    return compare(_fingerprint(assignment, a), _fingerprint(assignment, b)).score


def _as_saved_elsewhere(source: str) -> list[str]:
    """The code lines of a file whatever editor saved it: no byte-order mark, LF, spaces, no comment lines."""
    text = source.removeprefix("\ufeff").replace("\r\n", "\n").expandtabs(4)
    return [line for line in text.splitlines() if not line.strip().startswith("#")]


def _same_code(assignment: str, a: str, b: str) -> bool:
    solutions = _solutions(assignment)
    return _as_saved_elsewhere(solutions[a]) == _as_saved_elsewhere(solutions[b])


# Some conformance solutions are another one saved by a different editor (BOM, CRLF, tabs): a copy.
SAVED_VARIANTS = [
    (assignment, a, b)
    for assignment in ASSIGNMENTS
    for a, b in itertools.combinations(sorted(_solutions(assignment)), 2)
    if _same_code(assignment, a, b)
]
INDEPENDENT_PAIRS = [
    (assignment, a, b)
    for assignment in ASSIGNMENTS
    for a, b in itertools.combinations(sorted(_solutions(assignment)), 2)
    if (assignment, a, b) not in SAVED_VARIANTS
]
EVERY_SOLUTION = [(assignment, style) for assignment in ASSIGNMENTS for style in sorted(_solutions(assignment))]


@pytest.mark.parametrize("assignment, a, b", SAVED_VARIANTS)
def test_a_file_saved_by_another_editor_is_the_same_file(assignment, a, b):
    # A byte-order mark once made the whole file one crude unit: a Notepad copy hid from its original.
    solutions = _solutions(assignment)
    assert _score(assignment, solutions[a], solutions[b]) == 1.0


@pytest.mark.parametrize("assignment, a, b", INDEPENDENT_PAIRS)
def test_independent_solutions_score_below_half(assignment, a, b):
    solutions = _solutions(assignment)
    assert _score(assignment, solutions[a], solutions[b]) < 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("assignment, style", EVERY_SOLUTION)
def test_disguised_copy_scores_at_least_0_8(assignment, style, seed):
    original = _solutions(assignment)[style]
    copy = disguise(original, keep=_graded_names(assignment), seed=seed)
    assert copy != original
    assert _score(assignment, original, copy) >= 0.8


@pytest.mark.parametrize(
    "step",
    [
        lambda source, keep: rename_identifiers(source, keep=keep, seed=5),
        lambda source, keep: rename_identifiers(source, keep=(), seed=6),  # graded functions renamed too
        lambda source, keep: reorder_functions(source, seed=7),
        lambda source, keep: restyle(strip_docstrings(source), seed=8),
    ],
    ids=["rename-helpers", "rename-everything", "reorder", "comments-and-whitespace"],
)
@pytest.mark.parametrize("assignment, style", EVERY_SOLUTION)
def test_each_disguise_alone_changes_nothing(assignment, style, step):
    original = _solutions(assignment)[style]
    assert _score(assignment, original, step(original, _graded_names(assignment))) >= 0.95


@pytest.mark.parametrize("path", sorted(HAND_DISGUISED.glob("*.py")), ids=lambda p: p.stem)
def test_hand_disguised_copies_are_found_and_only_their_original(path):
    assignment, style = path.stem.split("__")
    solutions = _solutions(assignment)
    copy = path.read_text()
    assert _score(assignment, solutions[style], copy) >= 0.8
    for other, source in solutions.items():
        if other != style:
            assert _score(assignment, source, copy) < 0.5


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_four_students_the_disguised_pair_ranks_first(assignment):
    styles = sorted(_solutions(assignment))
    solutions = _solutions(assignment)
    starter = _starter(assignment)
    sources = {
        "original@example.edu": solutions[styles[0]],
        "copier@example.edu": disguise(solutions[styles[0]], keep=_graded_names(assignment), seed=11),
        "second@example.edu": solutions[styles[1]],
        "third@example.edu": solutions[styles[2]],
    }
    ranking = rank([Document(owner, owner, fingerprint_source(source, starter)) for owner, source in sources.items()])
    assert {ranking[0].a, ranking[0].b} == {"original@example.edu", "copier@example.edu"}
    assert ranking[0].score >= 0.8
    assert all(pair.score < 0.5 for pair in ranking[1:])


def test_the_index_finds_every_pair_the_naive_comparison_finds():
    documents = []
    for assignment in ("losses", "training"):
        starter = _starter(assignment)
        for style, source in _solutions(assignment).items():
            documents.append(
                Document(f"{assignment}/{style}", f"{assignment}/{style}", fingerprint_source(source, starter))
            )
            copy = disguise(source, keep=_graded_names(assignment), seed=3)
            documents.append(
                Document(f"{assignment}/{style}/copy", f"copier of {style}", fingerprint_source(copy, starter))
            )
    for threshold in (0.0, 0.2, 0.5):
        naive = {
            frozenset((a.key, b.key)): compare(a.print, b.print).score
            for a, b in itertools.combinations(documents, 2)
            if a.owner != b.owner
        }
        expected = {pair: score for pair, score in naive.items() if score >= threshold and score > 0}
        index = FingerprintIndex()
        found = {}
        for document in documents:
            for other, comparison in index.add(document, threshold):
                found[frozenset((document.key, other.key))] = comparison.score
        assert found == pytest.approx(expected)


def test_upper_bound_is_never_below_the_score():
    prints = [fingerprint_source(source, _starter("losses")) for source in _solutions("losses").values()]
    prints.append(fingerprint_source(disguise(_solutions("losses")["loops"], seed=1), _starter("losses")))
    for a, b in itertools.combinations(prints, 2):
        comparison = compare(a, b)
        assert comparison.score <= upper_bound(comparison.shared, a.size, b.size) + 1e-12


def test_the_starter_is_not_evidence():
    starter_source = _starter_source("losses")
    starter = starter_hashes(starter_source)
    assert fingerprint_source(starter_source, starter).units == []
    # Two students who only filled in mse, in different ways: only "(y_pred - y_true) ** 2" is shared.
    one = starter_source.replace("    raise NotImplementedError", "    return np.mean((y_pred - y_true) ** 2)", 1)
    two = starter_source.replace(
        "    raise NotImplementedError", "    return float(((y_pred - y_true) ** 2).sum() / y_pred.size)", 1
    )
    with_starter = _score("losses", one, two)
    assert with_starter < 0.2
    # Without subtracting the starter, the untouched stubs would count as shared code.
    assert compare(fingerprint_source(one), fingerprint_source(two)).score > with_starter + 0.1


def test_per_function_score_finds_a_copied_function_inside_different_files():
    solutions = _solutions("losses")
    own = solutions["loops"]
    borrowed = solutions["vectorised"].split("def sigmoid")[0]  # mse ... cross_entropy_grad copied
    mixed = (
        own.split("def mse(")[0]
        + rename_identifiers(borrowed.split("import numpy as np")[1])
        + "\n\ndef sigmoid"
        + own.split("def sigmoid")[1]
    )
    comparison = compare(
        fingerprint_source(solutions["vectorised"], _starter("losses")), fingerprint_source(mixed, _starter("losses"))
    )
    names = {match.a for match in comparison.functions}
    assert {"mse", "softmax", "cross_entropy"} <= names
    assert all(match.score >= 0.5 for match in comparison.functions)


def test_normalisation_abstracts_names_literals_comments_and_module_aliases():
    one = "import numpy as np\n\ndef f(a, b):\n    # comment\n    '''doc'''\n    return np.sum(a * 2.5, axis=0) + b\n"
    two = "import numpy as xp\n\n\ndef g(u,v):\n    return (xp.sum(u*7, axis=0)\n            + v)  # other\n"
    three = "from numpy import sum as total\n\ndef h(p, q):\n    return total(p * 1, axis=0) + q\n"
    texts = [
        [token.text for unit in normalise(source) if unit.name != "<module>" for token in unit.tokens]
        for source in (one, two, three)
    ]
    assert texts[0] == texts[1] == texts[2]
    assert "numpy" in texts[0] and "sum" in texts[0] and "axis" in texts[0]
    # The library API is not abstracted: mean is not sum.
    other = one.replace("np.sum", "np.mean")
    assert [t.text for u in normalise(other) for t in u.tokens] != [t.text for u in normalise(one) for t in u.tokens]


@pytest.mark.parametrize(
    "source",
    [
        "",
        "\n\n",
        "def f(:\n  pass\n",
        "x = '''unterminated\n",
        "\x00\x01garbage\xff",
        "(" * 5000,
        "def f():\n" + "    if x:\n" * 100 + "        pass\n",
        "f'{x!r:>{width}}' + t'{y}'\n",
        "class A:\n    def m(self):\n        self.w = 1\n        return self.w\n",
        "def f():\n    global g\n    g = {**{}, 'a': 1}\n    match g:\n        case {'a': x, **rest}: pass\n        case P(q, k=z): pass\n",
    ],
)
def test_never_raises_for_any_text(source):
    fingerprints = fingerprint_source(source)
    assert FilePrint.from_json(fingerprints.to_json()).to_json() == fingerprints.to_json()
    compare(fingerprints, fingerprint_source("def f(x):\n    return x + 1\n"))
    matched_regions(source, source)


def test_stored_form_round_trips():
    prints = fingerprint_source(_solutions("backprop")["loops"], _starter("backprop"))
    again = FilePrint.from_json(prints.to_json())
    assert again.hashes == prints.hashes and [u.name for u in again.units] == [u.name for u in prints.units]
    assert compare(prints, again).score == 1.0


def test_matched_regions_point_at_the_copied_lines():
    original = _solutions("losses")["vectorised"]
    copy = (HAND_DISGUISED / "losses__vectorised.py").read_text()
    regions = matched_regions(original, copy, _starter("losses"))
    assert regions
    original_lines, copy_lines = original.splitlines(), copy.splitlines()
    # The region holding the original's cross_entropy_grad body points at the copy's.
    body = next(n for n, line in enumerate(original_lines, 1) if "onehot = np.eye(c)[labels]" in line)
    region = next(r for r in regions if r.a_start <= body <= r.a_end)
    copied = next(n for n, line in enumerate(copy_lines, 1) if "one_hot = numpy_lib.eye(classes)" in line)
    assert region.b_start <= copied <= region.b_end
    # Independent files share few regions.
    independent = matched_regions(original, _solutions("losses")["loops"], _starter("losses"))
    assert sum(r.a_end - r.a_start + 1 for r in independent) < len(original_lines) / 4
