"""Tell what a file holds from its first bytes, never from its name."""

from __future__ import annotations

import enum

from ..errors import EmptyFile, UnknownFormat


class Container(str, enum.Enum):
    """The outer shape of a file; XML is refined into UBL or CII once parsed."""

    ZIP = "zip"
    PDF = "pdf"
    XML = "xml"
    CSV = "csv"


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff(data: bytes) -> Container:
    """The container of `data`. Raises EmptyFile (IRR_VIDE) or UnknownFormat (IRR_TYPE)."""
    if not data.strip():
        raise EmptyFile("The file is empty", "Le fichier est vide")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return Container.ZIP
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return Container.PDF
    head = data[:4096]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom):]
            break
    if head.lstrip().startswith(b"<"):
        return Container.XML
    if _looks_like_delimited_text(head):
        return Container.CSV
    raise UnknownFormat(
        "Unknown file type: not XML (UBL, CII), PDF (Factur-X), CSV or ZIP",
        "Type de fichier inconnu : ni XML (UBL, CII), ni PDF (Factur-X), ni CSV, ni ZIP",
    )


def _looks_like_delimited_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    first_line = head.split(b"\n", 1)[0]
    printable = sum(32 <= b < 127 or b >= 128 or b in (9, 13) for b in first_line)
    return bool(first_line) and printable == len(first_line) and any(d in first_line for d in (b";", b",", b"\t"))
