"""Render a Report for a terminal: one table per function, messages under failed checks."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from autograder.grading.report import PASSED, Report
from autograder.terminal_text import terminal_safe


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def render_report(report: Report, console: Console) -> None:
    """Print ``report`` to ``console`` (colour only where the console supports it)."""
    if report.isolation == "reduced":
        console.print("[yellow]note: the sandbox runs with reduced isolation on this machine[/yellow]")
    for message in report.messages:
        console.print(Panel(Text(terminal_safe(message)), title="about your file", border_style="red", expand=False))
    for function, grouped in groupby(report.tests, key=lambda test: test.function):
        tests = list(grouped)
        earned = sum(test.score for test in tests)
        available = sum(test.max_score for test in tests)
        table = Table(title=f"{function}  {_points(earned)}/{_points(available)}", title_justify="left",
                      show_header=True, header_style="bold", expand=False)
        table.add_column("check")
        table.add_column("points", justify="right")
        table.add_column("result")
        feedback = []
        for test in tests:
            passed = test.status == PASSED
            points = "diagnostic" if test.max_score == 0 else f"{_points(test.score)}/{_points(test.max_score)}"
            mark = Text("pass", style="green") if passed else Text("FAIL", style="bold red")
            table.add_row(test.check, points, mark)
            if not passed and test.output:
                feedback.append(Panel(Text(terminal_safe(test.output)), title=f"{test.check}", title_align="left",
                                      border_style="red" if test.max_score else "yellow", expand=False))
        console.print(table)
        if feedback and not report.messages:
            console.print(Group(*feedback))
    style = "bold green" if report.full_marks else "bold"
    console.print(Text(f"score: {_points(report.score)}/{_points(report.max_score)}  "
                       f"({report.assignment}, grader {report.grader_version})", style=style))
