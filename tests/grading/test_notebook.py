"""Jupyter notebooks as submissions: real notebooks written with nbformat, graded through the sandbox."""

from __future__ import annotations

import base64
import json
import os

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli.grade import main as grade_main
from autograder.grading.assignment import find_assignment
from autograder.grading.kit import write_kit
from autograder.grading import notebook_self_tests
from autograder.grading.mistakes import variant_source
from autograder.grading.notebook import (
    NotebookRejected, load_notebook, notebook_from_source, notebook_source, python_source, slim_notebook,
)

LOSSES = "losses"


@pytest.fixture(scope="module")
def losses():
    return find_assignment(LOSSES)


def student_notebook(source: str, *, extras: bool = True) -> nbformat.NotebookNode:
    """A student's notebook holding ``source`` split over cells, as a student would write it.

    With ``extras``: markdown, a line magic, a shell escape, a cell magic cell and a self-test
    cell that calls and prints at top level (and would raise if run against the starter).
    """
    notebook = notebook_from_source(source, "Loss functions", "My answers.")
    if extras:
        notebook.cells.insert(1, nbformat.v4.new_code_cell("%matplotlib inline\n!pip install numpy\nimport numpy as np"))
        notebook.cells.insert(2, nbformat.v4.new_markdown_cell("Some *notes* with `code` that is not code:\n\n"
                                                               "    def mse(a, b): return 0"))
        notebook.cells.append(nbformat.v4.new_code_cell("%%bash\necho hello from the shell"))
        notebook.cells.append(nbformat.v4.new_code_cell(
            "y = np.array([1.0, 2.0, 3.0])\nprint('SELF-TEST', mse(y, y + 1))\nmse(y, y)"))
    return notebook


def to_bytes(notebook: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(notebook).encode()


def function_scores(report) -> dict[str, float]:
    return {function: report.function_score(function) for function in {test.function for test in report.tests}}


def cell_of(notebook: nbformat.NotebookNode, needle: str) -> int:
    return next(number for number, cell in enumerate(notebook.cells, 1)
                if cell.cell_type == "code" and needle in cell.source)


def test_correct_solution_over_cells_gets_full_marks(losses, grade):
    notebook = student_notebook(losses.reference_source)
    report = grade(losses, to_bytes(notebook), filename="losses.ipynb")
    assert report.full_marks and report.score == report.max_score, report.messages
    notes = "\n".join(report.messages)
    assert "%matplotlib inline" in notes and "!pip install numpy" in notes and "the %%bash cell" in notes
    self_test_cell = cell_of(notebook, "SELF-TEST")
    assert f"cell {self_test_cell} calls or prints at top level" in notes
    assert not any("SELF-TEST" in test.output for test in report.tests)


def test_self_test_cell_against_the_starter_does_not_break_grading(losses, grade):
    # The self-test cell would raise NotImplementedError at import; only the functions fail.
    notebook = student_notebook(losses.starter.replace("def mse(y_pred, y_true):\n", "def mse(y_pred, y_true):\n"
                                                       "    return float(((y_pred - y_true) ** 2).mean())\n", 1))
    report = grade(losses, to_bytes(notebook), filename="losses.ipynb")
    assert report.function_score("mse") == 4
    assert report.score == 4
    assert not any("failed to load" in test.output for test in report.tests)


def test_a_single_mistake_loses_points_in_its_function_only(losses, grade):
    mistake = next(item for item in losses.mistakes if item.function == "cross_entropy")
    notebook = student_notebook(variant_source(losses, mistake))
    report = grade(losses, to_bytes(notebook), filename="losses.ipynb")
    scores = function_scores(report)
    points = {function.name: function.points for function in losses.functions}
    assert scores["cross_entropy"] < points["cross_entropy"]
    assert {name: score for name, score in scores.items() if name != "cross_entropy"} == \
        {name: value for name, value in points.items() if name != "cross_entropy"}


def test_traceback_and_printed_output_name_cell_and_line(losses, grade):
    source = losses.reference_source.replace(
        "def sigmoid(x):\n", "def sigmoid(x):\n    print('inside sigmoid')\n    raise ValueError('boom')\n", 1)
    notebook = student_notebook(source)
    cell = cell_of(notebook, "def sigmoid")
    report = grade(losses, to_bytes(notebook), filename="losses.ipynb")
    failed = next(test for test in report.tests if test.function == "sigmoid")
    assert f"cell {cell}, line 3, in sigmoid" in failed.output, failed.output
    assert "raise ValueError('boom')" in failed.output and "losses.py" not in failed.output
    assert f"your code printed:\n[cell {cell}, line 2] inside sigmoid" in failed.output
    assert report.score == report.max_score - 3


def test_warning_in_the_console_names_the_cell(losses, grade):
    source = losses.reference_source.replace(
        "def mse(y_pred, y_true):\n",
        "def mse(y_pred, y_true):\n    import warnings\n    warnings.warn('careful')\n    return 0.0\n", 1)
    notebook = student_notebook(source, extras=False)
    cell = cell_of(notebook, "def mse")
    report = grade(losses, to_bytes(notebook), filename="losses.ipynb")
    failed = next(test for test in report.tests if test.function == "mse" and test.status == "failed")
    assert f"cell {cell}, line 3: UserWarning: careful" in failed.output, failed.output


def test_syntax_error_names_its_cell(losses, grade):
    notebook = student_notebook(losses.reference_source)
    cell = cell_of(notebook, "def softmax")
    notebook.cells[cell - 1].source = notebook.cells[cell - 1].source.replace("def softmax(z):", "def softmax(z)")
    report = grade(losses, to_bytes(notebook), filename="losses.ipynb")
    assert report.score == 0
    assert f"losses.ipynb has a syntax error in cell {cell}, line 1: expected ':'" in report.messages[0]


def test_large_stored_image_output_is_accepted_and_ignored(losses, grade):
    notebook = student_notebook(losses.reference_source)
    image = base64.b64encode(os.urandom(20 << 20)).decode()
    cell = cell_of(notebook, "def mse(")
    notebook.cells[cell - 1].outputs = [nbformat.v4.new_output(
        "display_data", data={"image/png": image, "text/plain": "<Figure>"})]
    data = to_bytes(notebook)
    assert len(data) > 20 << 20
    report = grade(losses, data, filename="losses.ipynb")
    assert report.full_marks, report.messages


def test_junk_outside_code_is_dropped_unread(losses, grade):
    notebook = student_notebook(losses.reference_source)
    junk = "x" * (8 << 20)
    notebook.metadata["custom"] = {"junk": junk}
    markdown = next(cell for cell in notebook.cells if cell.cell_type == "markdown")
    markdown.metadata["junk"] = junk
    markdown["outputs"] = [{"output_type": "stream", "name": "stdout", "text": junk}]  # invalid on markdown
    report = grade(losses, to_bytes(notebook), filename="losses.ipynb")
    assert report.full_marks, report.messages
    stored = slim_notebook(to_bytes(notebook), "losses.ipynb")
    assert len(stored) < 50_000 and "kernelspec" in stored


def test_too_large_whole_file_is_refused_with_a_message(losses, grade):
    data = b'{"nbformat": 4, "cells": [], "pad": "' + b"x" * (41 << 20) + b'"}'
    report = grade(losses, data, filename="losses.ipynb")
    assert report.score == 0 and "the limit for a whole notebook" in report.messages[0]


def jupyterlab_notebook(source: str) -> bytes:
    """A notebook as JupyterLab 4 saves it: cell ids, list sources, widget state, execution outputs."""
    cells = []
    for number, cell in enumerate(notebook_from_source(source, "Losses").cells):
        lines = cell.source.splitlines(keepends=True)
        entry = {"cell_type": cell.cell_type, "id": f"a1b2c3d4-{number:04d}", "metadata": {"tags": []},
                 "source": lines}
        if cell.cell_type == "code":
            entry["metadata"] = {"scrolled": True, "jupyter": {"source_hidden": False}}
            entry["execution_count"] = number
            entry["outputs"] = [
                {"output_type": "execute_result", "execution_count": number, "metadata": {},
                 "data": {"text/plain": ["0.5"]}},
                {"output_type": "display_data", "metadata": {},
                 "data": {"application/vnd.jupyter.widget-view+json":
                          {"model_id": "f00d", "version_major": 2, "version_minor": 0},
                          "text/plain": ["IntSlider(value=3)"]}},
                {"output_type": "stream", "name": "stderr", "text": ["Traceback (most recent call last) ...\n"]},
            ]
        cells.append(entry)
    document = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                              "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                              "pygments_lexer": "ipython3", "version": "3.11.9"},
            "widgets": {"application/vnd.jupyter.widget-state+json": {
                "state": {"f00d": {"model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0",
                                   "model_name": "IntSliderModel", "state": {"value": 3}}},
                "version_major": 2, "version_minor": 0}},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1).encode()


def test_jupyterlab_notebook_with_widget_state(losses, grade):
    report = grade(losses, jupyterlab_notebook(losses.reference_source), filename="losses.ipynb")
    assert report.full_marks, report.messages
    assert report.messages == []


@pytest.mark.parametrize("data, expected", [
    (b'{"name": "not a notebook", "cells": "no"}', "is JSON but not a Jupyter notebook"),
    (b'[1, 2, 3]', "is JSON but not a Jupyter notebook"),
    (b'{"nbformat": 4, "cells": [', "is not valid JSON"),
    (b'\xff\xfe{"nbformat": 4}', "not UTF-8"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "markdown", "metadata": {}, '
     b'"source": "# only words"}]}', "has no code cells with code"),
])
def test_files_that_are_not_gradable_notebooks_get_a_clear_message(losses, grade, data, expected):
    report = grade(losses, data, filename="losses.ipynb")
    assert report.score == 0 and expected in report.messages[0], report.messages


def test_misnamed_notebook_is_still_read_as_a_notebook(losses, grade):
    report = grade(losses, to_bytes(student_notebook(losses.reference_source)), filename="losses.py")
    assert report.full_marks


def test_code_size_limit_applies_to_the_code_only(losses):
    notebook = student_notebook(losses.reference_source)
    notebook.cells.append(nbformat.v4.new_code_cell("PADDING = '" + "x" * 300_000 + "'"))
    with pytest.raises(NotebookRejected, match="the code cells of losses.ipynb hold"):
        notebook_source(to_bytes(notebook), "losses.ipynb", max_code_bytes=200_000)


def test_code_over_the_limit_is_refused_before_any_cell_is_parsed(monkeypatch):
    from autograder.grading import syntax

    def parse(*args, **kwargs):
        pytest.fail("a cell of an over-limit notebook was parsed")

    monkeypatch.setattr(syntax, "ast", type("NoParsing", (), {"parse": staticmethod(parse)}))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x=1\n" * 60_000)])
    with pytest.raises(NotebookRejected, match="hold 240,000 bytes; the limit is 200,000"):
        notebook_source(to_bytes(notebook), "losses.ipynb", max_code_bytes=200_000)


@pytest.mark.parametrize("cell, kept", [
    ('text = """\n%not a magic\n!nor this\n"""', True),
    ("total = (1\n% 2)", True),
    ("if True:\n    %time x = 1", False),
    ("np.mean?", False),
    ("!ls -la", False),
])
def test_magic_lines_are_told_from_python(cell, kept):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell),
                                               nbformat.v4.new_code_cell("def f():\n    return 1")])
    source = notebook_source(to_bytes(notebook), "n.ipynb", max_code_bytes=10_000)
    assert (source.notes == []) is kept, source.notes


def test_line_map_and_relabel():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("import numpy as np\n\n\nX = 1"),
        nbformat.v4.new_markdown_cell("words"),
        nbformat.v4.new_code_cell("def f(x):\n    y = x\n    return y / 0"),
    ])
    source = notebook_source(to_bytes(notebook), "n.ipynb", max_code_bytes=10_000)
    assert source.where(1) == "cell 2, line 1" and source.where(6) == "cell 4, line 2"
    text = 'File "n.py", line 7, in f\n    return y / 0\nn.py:5: RuntimeWarning: x'
    assert source.relabel(text, "n.py") == "cell 4, line 3, in f\n    return y / 0\ncell 4, line 1: RuntimeWarning: x"


def test_stored_notebook_is_slim_and_still_a_notebook():
    notebook = student_notebook("def mse(a, b):\n    return 0.0\n")
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="x" * 100_000)]
    slim = slim_notebook(to_bytes(notebook), "n.ipynb")
    assert len(slim) < 5_000
    assert all(not cell.get("outputs") for cell in load_notebook(slim.encode(), "n.ipynb").cells)


def test_grade_command_accepts_a_notebook_and_the_kit_ships_one(losses, tmp_path):
    kit = tmp_path / "kit"
    write_kit(losses, kit)
    starter = kit / "losses.ipynb"
    assert starter.is_file()
    cells = nbformat.reads(starter.read_text(), as_version=4).cells
    function_names = [function.name for function in losses.functions]
    headings = [cell.source for cell in cells if cell.cell_type == "markdown" and cell.source.startswith("## `")]
    assert [heading.split("`")[1].split("(")[0] for heading in headings][:len(function_names)] == function_names
    outcome = CliRunner().invoke(grade_main, [str(kit), str(starter), "--json"])
    assert outcome.exit_code == 1 and json.loads(outcome.output)["score"] == 0
    answer = tmp_path / "answer.ipynb"
    answer.write_bytes(to_bytes(student_notebook(losses.reference_source)))
    outcome = CliRunner().invoke(grade_main, [str(kit), str(answer)])
    assert outcome.exit_code == 0, outcome.output
    assert "%matplotlib inline" in outcome.output


def test_hand_written_minimal_notebook_is_read():
    data = b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": ["def f():\\n", "    return 1"]}]}'
    source = notebook_source(data, "n.ipynb", max_code_bytes=10_000)
    assert source.text == "def f():\n    return 1\n" and source.where(2) == "cell 1, line 2"
    assert source.where(3) is None  # past the cells: the grader's own print labeller


def test_python_source_of_stored_submissions():
    from autograder.grading.notebook import python_source

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# words"),
                                               nbformat.v4.new_code_cell("%time\nimport numpy as np"),
                                               nbformat.v4.new_code_cell("def f(x):\n    return np.abs(x)")])
    stored = nbformat.writes(notebook)
    assert python_source("a.ipynb", stored) == "pass\nimport numpy as np\ndef f(x):\n    return np.abs(x)\n"  # magic blanked
    broken = stored.replace("return np.abs(x)", "return (x")
    assert "return (x" in python_source("a.ipynb", broken)
    assert python_source("a.py", "x = 1\n") == "x = 1\n"
    assert python_source("a.ipynb", "not json") == ""


def _raw_notebook(cells: list, metadata: dict | None = None) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": cells}).encode()


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


HOSTILE_NOTEBOOKS = {
    "a self-test guard 600 terms long": _raw_notebook(
        [{"cell_type": "code", "source": "if __name__ == " + "+".join(["1"] * 600) + ":\n    pass\n"}]),
    "a 700-step attribute chain in the guard": _raw_notebook(
        [{"cell_type": "code", "source": "if __name__ == a" + ".b" * 700 + ":\n    pass\n"}]),
    "a number among the source lines": _raw_notebook([{"cell_type": "code", "source": ["x = 1\n", 5]}]),
    "a lone surrogate in a cell": b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": '
                                  b'[{"cell_type": "code", "metadata": {}, "source": "x = \'\\ud800\'\\n"}]}',
    # json.loads raises a plain ValueError (not a JSONDecodeError) past Python's 4300-digit limit.
    "a 5000-digit number in the metadata": _raw_notebook([{"cell_type": "code", "source": "x = 1\n"}],
                                                         {"n": 0}).replace(b'"n": 0', b'"n": 1' + b"0" * 5000),
}


@pytest.mark.parametrize("reader", ["nbformat", "built-in"])
@pytest.mark.parametrize("data", list(HOSTILE_NOTEBOOKS.values()), ids=list(HOSTILE_NOTEBOOKS))
def test_hostile_notebooks_are_refused_with_a_message_by_either_reader(data, reader, monkeypatch):
    # The built-in reader is what a student install without the notebook extra uses.
    if reader == "built-in":
        monkeypatch.setattr("autograder.grading.notebook._nbformat", lambda: None)
    with pytest.raises(NotebookRejected):
        notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20)


@pytest.mark.parametrize("reader", ["nbformat", "built-in"])
def test_metadata_nested_900_deep_is_dropped_unread(reader, monkeypatch):
    # Once refused (the built-in reader recursed into it); the kernel metadata kept is a few scalars.
    if reader == "built-in":
        monkeypatch.setattr("autograder.grading.notebook._nbformat", lambda: None)
    data = _raw_notebook([{"cell_type": "code", "source": "x = 1\n"}], {"kernelspec": _nested(900)})
    assert "x = 1" in notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20).text


def test_a_5000_digit_number_is_refused_by_every_reader_of_notebooks():
    data = HOSTILE_NOTEBOOKS["a 5000-digit number in the metadata"]
    with pytest.raises(NotebookRejected):
        load_notebook(data, "answers.ipynb")
    assert python_source("answers.ipynb", data.decode()) == ""


def test_a_long_chain_of_needed_constants_costs_linear_time(monkeypatch):
    # x1 = x2, x2 = x3, ... listed last to first in a self-test cell, x1 read by a function: once
    # a pass over every statement per link of the chain, 15,000 links (200 kB) took half an hour.
    links = 1500
    chain = [f"x{links} = 0"] + [f"x{k} = x{k + 1}" for k in range(links - 1, 0, -1)]
    data = _cells("print('a self-test cell')\n" + "\n".join(chain) + "\n", "def f():\n    return x1\n")
    walks = 0
    real_walk = notebook_self_tests.ast.walk

    def counting_walk(node):
        nonlocal walks
        walks += 1
        return real_walk(node)

    monkeypatch.setattr(notebook_self_tests.ast, "walk", counting_walk)
    source = notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20)
    assert f"x{links} = 0" in source.text and "x1 = x2" in source.text and "print(" not in source.text[:100]
    assert walks < 10 * links


def test_a_long_self_test_guard_is_still_told_from_the_functions():
    guard = "if __name__ == " + "+".join(["1"] * 600) + ":\n    print(mse(1, 2))\n"
    data = _raw_notebook([{"cell_type": "code", "source": "def mse(a, b):\n    return 0.0\n"},
                          {"cell_type": "code", "source": guard}])
    source = notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20)
    assert "def mse" in source.text and "print(mse" not in source.text


def _cells(*sources: str) -> bytes:
    return _raw_notebook([{"cell_type": "code", "source": source} for source in sources])


@pytest.mark.parametrize("line, stand_in", [
    ("??train", "pass"),
    ("np.*load*?", "pass"),
    ("t = %timeit -o train()", "t = None"),
    ("files = !ls", "files = None"),
    ("pip install numpy", "pass"),
])
def test_more_ipython_forms_are_told_from_python(line, stand_in):
    source = notebook_source(_cells(f"def train():\n    return 1\n{line}\n"), "answers.ipynb", max_code_bytes=1 << 20)
    assert source.text.splitlines()[2] == stand_in


def test_a_future_import_atop_a_later_cell_opens_the_graded_file():
    data = _cells("import numpy as np\n", "from __future__ import annotations\n\ndef f(x: Later) -> float:\n    return 1.0\n")
    source = notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20)
    assert source.text.startswith("from __future__ import annotations\n")
    definition = source.text.splitlines().index("def f(x: Later) -> float:") + 1
    assert source.where(definition) == "cell 2, line 3"


SELF_TESTS_AROUND_WHAT_IS_NEEDED = (
    "import numpy as np\nnp.random.seed(0)\nSCALE = 2.0\n",
    "def f(x):\n    loss = SCALE * x + TABLE['a']\n    return loss\n",
    "TABLE = {}\nfor key in 'ab':\n    TABLE[key] = 1.0\nprint(TABLE)\n",
    "import matplotlib.pyplot as plt\nloss = f(1.0)\nfig, ax = plt.subplots()\nax.plot([loss])\nplt.show()\n"
    "assert loss == 3.0\nraise RuntimeError('a self-test that would stop the file')\n",
)


def test_self_test_cells_keep_what_the_functions_need_and_skip_the_tests():
    source = notebook_source(_cells(*SELF_TESTS_AROUND_WHAT_IS_NEEDED), "answers.ipynb", max_code_bytes=1 << 20)
    assert "SCALE = 2.0" in source.text and "TABLE[key] = 1.0" in source.text
    # Not needed: the plot, its import, the test calls (`loss` is only a local of f), the raise.
    for skipped in ("matplotlib", "subplots", "loss = f(1.0)", "raise", "print(TABLE)", "np.random.seed"):
        assert skipped not in source.text
    namespace: dict = {}
    exec(compile(source.text, "answers.py", "exec"), namespace)
    assert namespace["f"](1.0) == 3.0
    assert any("cells 1, 3, 4 call or print" in note for note in source.notes)


def test_a_notebook_whose_self_tests_set_constants_and_plot_gets_full_marks(losses, grade):
    notebook = student_notebook(losses.reference_source.replace("return 2.0 * (y_pred - y_true) / y_pred.size",
                                                                "return TWO * (y_pred - y_true) / y_pred.size"))
    notebook.cells.insert(1, nbformat.v4.new_code_cell("import numpy as np\nnp.random.seed(42)\nTWO = 2.0\n"))
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nvalues = [mse(np.ones(3), np.zeros(3))]\nplt.plot(values)\nplt.show()\n"))
    assert "TWO *" in nbformat.writes(notebook)
    report = grade(losses, to_bytes(notebook), filename="losses.ipynb")
    assert report.full_marks, report.messages


def _graded_namespace(data: bytes, graded_names: tuple[str, ...] = ()) -> dict:
    source = notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20, graded_names=graded_names)
    namespace: dict = {}
    exec(compile(source.text, "answers.py", "exec"), namespace)
    return namespace


def test_a_graded_function_bound_by_calling_the_notebooks_own_code_is_kept_beside_a_test():
    # `sigmoid_forward, sigmoid_backward = make(...)`, `loss = Model().loss`, `adam = Adam()`: the grader
    # reads these names, so they are needed although the statements call the notebook's own code.
    data = _cells(
        "def make(scale):\n    def forward(x):\n        return scale * x\n    return forward, forward\n\n"
        "forward_a, forward_b = make(2.0)\nprint(forward_a(1.0))\n",
        "class Model:\n    def loss(self, x):\n        return x\n\nmodel_loss = Model().loss\nmodel_loss(3.0)\n",
        "results = [forward_a(1.0)]\nresults\n",
    )
    namespace = _graded_namespace(data, ("forward_a", "forward_b", "model_loss"))
    assert namespace["forward_b"](1.5) == 3.0 and namespace["model_loss"](4.0) == 4.0
    assert "results" not in namespace  # a test's own variable still does not run


def test_names_a_definition_reads_when_it_runs_keep_their_imports():
    # Decorators, base classes, defaults and annotations are read when the `def`/`class` runs.
    data = _cells(
        "import functools\n@functools.lru_cache(maxsize=None)\ndef ones(n):\n    return (1.0,) * n\nprint(ones(2))\n",
        "import abc\nimport dataclasses\nfrom typing import Final\nSTEP: Final = 1e-5\n"
        "class Base(abc.ABC):\n    pass\n@dataclasses.dataclass\nclass Config(Base):\n    step: float = STEP\n"
        "assert Config().step == 1e-5\n",
        "from numpy.typing import NDArray\nimport math\n"
        "def double(x: NDArray, factor=math.e) -> NDArray:\n    return x * 2\ndouble(1.0)\n",
    )
    namespace = _graded_namespace(data)
    assert namespace["ones"](2) == (1.0, 1.0) and namespace["Config"]().step == 1e-5
    assert namespace["double"](2.0) == 4.0


def test_an_import_only_a_test_uses_is_left_out_of_a_plain_cell_too():
    # The usual first cell imports the plotting library that only the tests' plots use.
    data = _cells(
        "import numpy as np\nimport matplotlib.pyplot as plt\nfrom ipywidgets import interact\n",
        "def f(x):\n    return np.square(x)\n",
        "xs = np.linspace(0, 1, 5)\nplt.plot(xs, f(xs))\nplt.show()\n",
    )
    source = notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20)
    assert "matplotlib" not in source.text and "ipywidgets" not in source.text and "import numpy as np" in source.text
    namespace: dict = {}
    exec(compile(source.text, "answers.py", "exec"), namespace)
    assert namespace["f"](3.0) == 9.0


def _writefile_notebook(source: str, *, append: bool) -> bytes:
    """Colab's habit: the module written by `%%writefile losses.py` (or in `-a` parts), then imported and tried."""
    first, _, rest = source.partition("\ndef ")
    if append:
        parts = [f"%%writefile losses.py\n{first}\n"] + [f"%%writefile -a losses.py\n\ndef {part}" for part in
                                                         rest.split("\ndef ")]
    else:
        parts = [f"%%writefile /content/drive/MyDrive/hw1/losses.py\n{source}"]
    return _cells("!pip install numpy\nfrom google.colab import drive\ndrive.mount('/content/drive')\n", *parts,
                  "from losses import *\n%run losses.py\nprint(mse(np.ones(2), np.zeros(2)))\n")


@pytest.mark.parametrize("append", [False, True], ids=["one cell", "appended cells"])
def test_a_notebook_writing_the_graded_file_with_writefile_is_graded_by_that_file(losses, grade, append):
    # Was 0/35: the %%writefile cells were skipped, so the notebook defined nothing.
    report = grade(losses, _writefile_notebook(losses.reference_source, append=append), filename="losses.ipynb")
    assert report.full_marks, report.messages
    assert any("write losses.py (%%writefile)" in note or "writes losses.py (%%writefile)" in note
               for note in report.messages), report.messages


def test_writefile_text_is_graded_from_the_last_overwrite_and_never_written(losses, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _cells("%%writefile losses.py\ndef mse(y_pred, y_true):\n    return 'stale'\n",
                  "def mse(y_pred, y_true):\n    return 'notebook'\n",
                  "\n%%writefile losses.py\nimport numpy as np\n\ndef mse(y_pred, y_true):\n    return 1 / 0\n",
                  "%%writefile -a losses.py\n\nMSE_SCALE = 2\n")
    source = notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20, module_file="losses.py")
    assert "stale" not in source.text and "notebook" not in source.text and "MSE_SCALE = 2" in source.text
    assert source.where(source.text.splitlines().index("    return 1 / 0") + 1) == "cell 3, line 6"
    assert not list(tmp_path.iterdir())
    # Without the assignment's file name (or for another assignment) a %%writefile cell is skipped.
    assert "1 / 0" not in notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20).text


def test_importing_a_module_another_writefile_cell_writes_gets_a_message():
    data = _cells("%%writefile helpers.py\ndef shift(z):\n    return z - z.max()\n",
                  "import numpy as np\nfrom helpers import shift\n\ndef softmax(z):\n    return np.exp(shift(z))\n")
    with pytest.raises(NotebookRejected, match=r"cell 2, line 2 imports helpers, which cell 1 writes with "
                                               r"%%writefile.*put the code of helpers.py in a code cell"):
        notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20, module_file="losses.py")


@pytest.mark.parametrize("magic, says", [
    ("%%timeit", "it is a %%timeit cell: IPython runs its code apart"),
    ("%%writefile solution.py", "it is a %%writefile solution.py cell: it only writes solution.py, which is not graded, so the grader skips it. "
                                "Write losses.py (%%writefile losses.py) or remove"),
])
def test_a_graded_function_defined_only_in_a_skipped_cell_magic_is_explained(magic, says):
    data = _cells("import numpy as np\n\ndef mse(y_pred, y_true):\n    return 0.0\n",
                  f"{magic}\ndef softmax(z):\n    return z\n")
    source = notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20, graded_names=("mse", "softmax"),
                             module_file="losses.py")
    assert any(f"cell 2 defines softmax, but {says}" in note for note in source.notes), source.notes
    with pytest.raises(NotebookRejected, match="no code cells with code.*\n.*cell 1 defines softmax, but"):
        notebook_source(_cells(f"{magic}\ndef softmax(z):\n    return z\n"), "answers.ipynb",
                        max_code_bytes=1 << 20, graded_names=("softmax",), module_file="losses.py")


def test_python_source_reads_the_written_module():
    text = _writefile_notebook("import numpy as np\n\ndef mse(a, b):\n    return 0.0\n", append=False).decode()
    assert "def mse" in python_source("a.ipynb", text, "losses.py")


def _exported(source: str, how: str) -> str:
    """``source`` as a notebook saved as .py: Colab's "Download .py", or `jupyter nbconvert --to script`."""
    if how == "colab":
        return ('# -*- coding: utf-8 -*-\n"""Losses.ipynb\n\nAutomatically generated by Colab.\n"""\n\n'
                "!pip install numpy\n%matplotlib inline\n\n" + source + "\nfiles = !ls\n")
    return ("#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\nget_ipython().system('pip install numpy')\n"
            "get_ipython().run_line_magic('matplotlib', 'inline')\n\n\n# In[2]:\n\n\n" + source
            + "\n\n# In[ ]:\n\n\nfiles = get_ipython().getoutput('ls')\n"
            "get_ipython().run_cell_magic('time', '', 'print(mse(np.ones(2), np.zeros(2)))\\n')\n")


@pytest.mark.parametrize("how", ["colab", "nbconvert"])
def test_a_notebook_saved_as_py_is_graded_without_its_ipython_lines(losses, grade, how):
    # Was 0/35: a syntax error on `!pip install numpy`, or NameError: name 'get_ipython' is not defined.
    report = grade(losses, _exported(losses.reference_source, how).encode(), filename="losses.py")
    assert report.full_marks, report.messages
    assert any("IPython lines, as a notebook saved as .py does" in note and "pip install numpy" in note
               for note in report.messages), report.messages


def test_ipython_lines_of_a_py_are_made_inert_in_place():
    from autograder.grading.notebook import script_without_ipython

    text = "import numpy as np\n!pip install numpy\nx = get_ipython().getoutput('ls')\ndef f():\n    return '%d'\n"
    cleaned, removed = script_without_ipython(text)
    assert cleaned == "import numpy as np\npass\nx = None\ndef f():\n    return '%d'\n"
    assert [row for row, _ in removed] == [2, 3]
    valid = "def f():\n    return get_ipython().system('ls')\ns = '''\n!not a shell line\n'''\n"
    assert script_without_ipython(valid) == (valid, [])  # inside a function, or a string: left alone


def test_a_py_with_a_real_syntax_error_keeps_its_message(losses, grade):
    report = grade(losses, b"!pip install numpy\ndef mse(a, b)\n    return 0\n", filename="losses.py")
    assert "syntax error on line 2" in report.messages[0], report.messages


def test_a_statement_binding_thousands_of_names_costs_linear_time(monkeypatch):
    # `a0, a1, ... = a0, a1, ...` in a self-test cell, a0 read by a function: each of its names
    # followed the statement's every read again, 25,000 names (200 kB) cost 30 s of the grader's CPU.
    names = ",".join(f"a{k}" for k in range(3000))
    data = _cells("def mse(y, t):\n    return a0\n", f"print('a self-test cell')\n{names} = {names}\n")
    followed = 0
    real_read_names = notebook_self_tests._read_names

    class CountingSet(set):
        def __sub__(self, other):
            nonlocal followed
            followed += len(self)
            return set.__sub__(self, other)

    monkeypatch.setattr(notebook_self_tests, "_read_names", lambda statement: CountingSet(real_read_names(statement)))
    source = notebook_source(data, "answers.ipynb", max_code_bytes=1 << 20, graded_names=["mse"])
    assert f"{names} = {names}" in source.text and "print(" not in source.text
    assert followed < 10 * 3000


@pytest.mark.parametrize("version", [3, 4])
@pytest.mark.parametrize("reader", ["nbformat", "built-in"])
def test_a_million_empty_cells_are_refused_before_they_are_validated(monkeypatch, version, reader):
    # 40 MiB of empty markdown cells (1.1 million) cost nbformat 34 s of the grader's CPU per read,
    # and a submission is read by the upload check, the grader and similarity.
    from autograder.grading import notebook

    if reader == "built-in":
        monkeypatch.setattr("autograder.grading.notebook._nbformat", lambda: None)
    validated = []
    monkeypatch.setattr(notebook, "_is_text", lambda source: validated.append(source) or True)
    code = "def mse(a, b):\n    return 0.0\n"
    cells = [{"cell_type": "code", "source": code} if version == 4 else
             {"cell_type": "code", "input": code, "language": "python", "outputs": [], "metadata": {}}]
    cells += [{"cell_type": "markdown", "source": "", "metadata": {}}] * notebook.MAX_CELLS
    document = {"nbformat": version, "nbformat_minor": 0, "metadata": {}}
    document.update({"cells": cells} if version == 4 else {"worksheets": [{"cells": cells}]})
    with pytest.raises(NotebookRejected, match=f"{notebook.MAX_CELLS + 1:,} cells; the limit is {notebook.MAX_CELLS:,}"):
        load_notebook(json.dumps(document).encode(), "answers.ipynb")
    assert not validated
    assert python_source("answers.ipynb", json.dumps(document)) == ""
    # One cell fewer is a notebook like any other.
    del cells[-1]
    if version == 4 or reader == "nbformat":
        assert "def mse" in notebook_source(json.dumps(document).encode(), "answers.ipynb", 1 << 20).text
