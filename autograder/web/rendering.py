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
    html = md.convert(text)
    # Wide code and tables scroll inside themselves (never the page), and a keyboard can reach them.
    html = html.replace("<pre>", '<pre tabindex="0">')
    html = html.replace("<table>", '<div class="scroll-x" tabindex="0" role="region" aria-label="Table"><table>')
    html = html.replace("</table>", "</table></div>")
    return Markup(html)


def highlight_python(source: str, label: str = "Submitted code") -> Markup:
    """Return source code as escaped, syntax-highlighted HTML with line numbers, in a focusable scroll box."""
    formatter = HtmlFormatter(linenos="inline", cssclass="codehilite", wrapcode=True)
    box = Markup('<div class="code-scroll" tabindex="0" role="region" aria-label="{}">').format(label)
    return box + Markup(highlight(source, PythonLexer(), formatter)) + Markup("</div>")
