"""Text made safe for XML 1.0, for every value the emitters write into an XML document.

XML 1.0 allows tab, newline, carriage return and the characters from U+0020 on, except the surrogates and U+FFFE,
U+FFFF. A file name may hold anything else (`bell\x07.xml`, terminal escapes), and lxml refuses such text: the
status returns of that file could never be written. Each such character is written as its escape instead
(`\x07`, `\x1b`, `\udce9`), so the text stays readable and says what was there.
"""

from __future__ import annotations

import re

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """`value` as text XML can hold: characters XML 1.0 forbids are replaced by their escape (`\\xNN`,
    `\\uNNNN`)."""
    text = value if isinstance(value, str) else str(value)
    return _NOT_XML.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
