"""Text normalisation shared by the date and money parsers.

Both parsers match regexes against one canonical form of the text: HTML entities
decoded, diacritics folded ("września" -> "wrzesnia", "zł" -> "zl"), lower case,
every kind of space (U+00A0, U+202F, ...) as one ASCII space and every dash as
"-". Sources mix all of these freely, so the patterns only need to know one form.
"""

from __future__ import annotations

import html
import re
import unicodedata

# "ł" has no Unicode decomposition, so NFKD alone would keep it.
_FOLD = str.maketrans({"ł": "l", "Ł": "l"})
_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
)
_SPACES = re.compile(r"[\s\u200b\ufeff]+")


def normalize(text: str) -> str:
    """The canonical form described above (ASCII-ish, lower case, single spaces)."""
    text = html.unescape(text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_FOLD).lower().translate(_DASHES)
    return _SPACES.sub(" ", text).strip()
