"""Place names as searches compare them (no Django here: the data build script uses it too)."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "\u0131": "i",  # dotless i
        "þ": "th",
        "Þ": "th",
        "ð": "d",
        "Ð": "d",
    }
)
# ' and its look-alikes: right single quotation mark, modifier apostrophe, grave, acute.
_APOSTROPHES = re.compile("['\u2019\u02bc`\u00b4]")
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def name_fold(text: str) -> str:
    """`text` without case, accents or punctuation: "Saint-Jérôme" -> "saint jerome".

    "København", "Kobenhavn" and "KØBENHAVN" all fold to "kobenhavn";
    apostrophes vanish ("St. John's" -> "st johns").
    """
    text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _APOSTROPHES.sub("", text.translate(_LETTERS))
    return _SEPARATORS.sub(" ", text).strip()
