"""Turning trusted Markdown and untrusted code into safe HTML."""

from __future__ import annotations

import markdown
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer


def render_statement(text: str) -> Markup:
    """Render an assignment README as HTML, with raw HTML in it shown as text, not obeyed."""
    md = markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
    # Without these two processors Markdown escapes inline and block HTML instead of passing it through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return Markup(md.convert(text))


def highlight_python(source: str) -> Markup:
    """Return source code as escaped, syntax-highlighted HTML with line numbers."""
    formatter = HtmlFormatter(linenos="inline", cssclass="codehilite", wrapcode=True)
    return Markup(highlight(source, PythonLexer(), formatter))
