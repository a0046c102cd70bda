"""Text that XML 1.0 can carry: a library's record may hold a control character, a lone
surrogate, U+FFFE or U+FFFF, and one record must not break a whole answer or page."""

from __future__ import annotations

import re

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str, replacement: str = "") -> str:
    """The text without the characters XML 1.0 cannot carry, or with `replacement` for each."""
    return NOT_XML.sub(replacement, text)
