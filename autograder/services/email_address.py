"""E-mail addresses as the service stores them: one spelling, nothing invisible, no look-alikes.

Pure functions (no Flask, no database): the accounts service, the model's skeleton column and
the migration that fills it all use them.
"""

from __future__ import annotations

import unicodedata

# Unicode categories that never belong in an address: controls, format characters (zero-width
# space, joiners, bidi overrides, soft hyphen), private use, unassigned, any kind of space.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "Zs", "Zl", "Zp"}
# Letters and symbols that render as nothing (Hangul fillers, braille blank, ...).
_INVISIBLE = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e", "\u034f"}

# Letters of other scripts drawn like Latin ones (after lower-casing), from Unicode's
# confusables list (UTS #39) restricted to whole-letter look-alikes. Digits are left alone:
# "bob1" and "bobl" are different people often enough.
_CONFUSABLES = str.maketrans({
    # Cyrillic
    "а": "a", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "і": "i", "ј": "j", "ӏ": "l", "о": "o", "р": "p",
    "ԛ": "q", "ѕ": "s", "у": "y", "х": "x", "ԝ": "w", "ү": "y", "ɡ": "g",
    # Greek
    "α": "a", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "զ": "q",
    # Latin letters outside ASCII that look like ASCII ones
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ʏ": "y", "ℓ": "l", "ɪ": "i",
})


# Quoting, comments, routes and lists in RFC 5322: a mail system reads `<alice@uni.edu>`,
# `x,alice@uni.edu` or `alice@uni.edu(x)` as an address other than the text staff see.
_SPECIALS = frozenset('<>()[]\\,;:"')


class InvalidEmail(ValueError):
    """The text cannot be an e-mail address of this service."""


def normalise(email: str) -> str:
    """Return the stored spelling: NFKC (fullwidth '＠' becomes '@'), trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def validate(email: str) -> str:
    """Return the normalised address; raise InvalidEmail for invisible, control or misplaced characters."""
    address = normalise(email)
    for character in address:
        if character in _INVISIBLE or unicodedata.category(character) in _FORBIDDEN_CATEGORIES:
            name = unicodedata.name(character, f"U+{ord(character):04X}")
            raise InvalidEmail(f"The e-mail address contains an invisible or control character ({name}).")
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    if (not at or not local or not domain or "@" in local or len(labels) < 2 or _SPECIALS & set(address)
            # A domain's labels are letters, digits and hyphens; none is empty (`uni.edu.`
            # would be a second `uni.edu`).
            or not all(label and label.replace("-", "").isalnum() for label in labels)):
        raise InvalidEmail("Please give a valid e-mail address (name@domain).")
    if len(address) > 254:
        raise InvalidEmail("The e-mail address is too long.")
    return address


def skeleton(email: str) -> str:
    """Return what the address looks like: two addresses with one skeleton are look-alikes."""
    return normalise(email).translate(_CONFUSABLES)[:254]
