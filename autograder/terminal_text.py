"""Text from a student's code made safe to print on a terminal.

A student's exception message or printed output reaches whoever runs `grade` on the file (the
student, a TA checking a submission): raw escape sequences could clear the screen, draw a fake
score, hide lines or write to the clipboard, and bidirectional overrides reorder what is shown.
They are printed as visible escapes instead; newlines and tabs stay.
"""

from __future__ import annotations

_CONTROL = [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)]
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_VISIBLE = {code: f"\\x{code:02x}" for code in _CONTROL} | {code: f"\\u{code:04x}" for code in _BIDI}


def terminal_safe(text: str) -> str:
    """``text`` with control characters (but newline and tab) and bidi controls shown as escapes."""
    return text.translate(_VISIBLE)
