"""ZIP lots: members are read one at a time, with size, ratio, count and depth limits checked while reading.

A member that is a ZIP itself is opened in turn, up to `Limits.zip_max_depth`; a lot nested deeper is refused as
a member (its siblings go on). Member names are never used as paths on disk: they only label the invoices, so a
name like ``../../etc/passwd`` cannot escape anywhere, and such names are refused outright, member by member.

A decompression bomb stops the whole lot (`ZipBomb`, IRR_TAILLE): more members than `zip_max_members`, more bytes
than `zip_max_total_bytes` (declared in the archive, or found while reading), or a member expanding more than
`zip_max_ratio` times its compressed size once past `RATIO_GRACE_BYTES`. Nested lots share the limits of the
deposited lot: their members and bytes count against the same budget. Bytes are counted as they are inflated,
never trusted from the archive's headers, so reading stops within one chunk of the limit.
"""

from __future__ import annotations

import io
import lzma
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import MalformedContent, TooLarge, UnreadableFlow, ZipBomb


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one deposited file may expand into."""

    max_file_bytes: int = 1024**3  # the platform's limit for a structured flow: 1 GB
    zip_max_members: int = 100_000
    zip_max_total_bytes: int = 4 * 1024**3
    zip_max_ratio: int = 200  # uncompressed / compressed, per member
    zip_max_depth: int = 2


@dataclass(slots=True)
class Member:
    name: str
    data: bytes | None
    error: UnreadableFlow | None = None  # why this member was not read (the rest of the lot goes on)


@dataclass(slots=True)
class Budget:
    """What a deposited lot may still expand into: bytes and members, shared with the lots nested in it."""

    bytes: int
    members: int

    @classmethod
    def of(cls, limits: Limits) -> "Budget":
        return cls(limits.zip_max_total_bytes, limits.zip_max_members)


_CHUNK = 1 << 20
RATIO_GRACE_BYTES = 1 << 20  # a member smaller than this is never a bomb, however well it compresses
# What zipfile and its decompressors raise on a damaged archive or member (RuntimeError: an encrypted member).
_EXTRACTION_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, RuntimeError,
                      zlib.error, lzma.LZMAError)


def iter_members(data: bytes | Path, limits: Limits, prefix: str = "", depth: int = 1, budget: Budget | None = None
                 ) -> Iterator[Member]:
    """Yield each file of the ZIP `data` (its bytes, or its path: then only the member in hand is held in memory),
    in archive order. A broken archive raises MalformedContent, one nested
    too deep TooLarge, a decompression bomb ZipBomb (`budget`: what the enclosing lot has left, if nested)."""
    if depth > limits.zip_max_depth:
        raise TooLarge(f"ZIP nested deeper than {limits.zip_max_depth} levels",
                       f"ZIP imbriqué sur plus de {limits.zip_max_depth} niveaux")
    budget = budget if budget is not None else Budget.of(limits)
    archive, files = _open(data)
    archive_size = data.stat().st_size if isinstance(data, Path) else len(data)
    _spend_members(files, limits, budget)
    _check_declared_size(files, limits, budget)
    with archive:
        for info in files:
            name = prefix + info.filename
            if _is_unsafe_name(info.filename):
                yield Member(name, None, _unsafe_name_error(info.filename))
                continue
            try:
                content = _read_bounded(archive, info, limits, budget, archive_size)
            except ZipBomb:
                raise  # stop reading the lot at once
            except UnreadableFlow as exc:
                yield Member(name, None, exc)
                continue
            yield Member(name, content)


def _open(data: bytes | Path) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    try:
        archive = zipfile.ZipFile(data if isinstance(data, Path) else io.BytesIO(data))
        infos = archive.infolist()
    except _EXTRACTION_ERRORS as exc:
        raise MalformedContent(f"Unreadable ZIP archive: {exc}", f"Archive ZIP illisible : {exc}",
                               code="IRR_EXTRAC") from None
    return archive, [info for info in infos if not info.is_dir()]


def _spend_members(files: list[zipfile.ZipInfo], limits: Limits, budget: Budget) -> None:
    budget.members -= len(files)
    if budget.members < 0:
        raise ZipBomb(
            f"ZIP bomb: the lot holds more than {limits.zip_max_members} files (nested lots included); "
            "the whole lot is refused",
            f"Bombe ZIP : le lot contient plus de {limits.zip_max_members} fichiers (lots imbriqués compris) ; "
            "tout le lot est refusé")


def _check_declared_size(files: list[zipfile.ZipInfo], limits: Limits, budget: Budget) -> None:
    declared = sum(info.file_size for info in files)
    if declared > budget.bytes:
        raise ZipBomb(
            f"ZIP bomb: the lot declares {declared} bytes once uncompressed, more than the limit of "
            f"{limits.zip_max_total_bytes} bytes; the whole lot is refused",
            f"Bombe ZIP : le lot annonce {declared} octets une fois décompressé, plus que la limite de "
            f"{limits.zip_max_total_bytes} octets ; tout le lot est refusé")


def _is_unsafe_name(name: str) -> bool:
    normalised = posixpath.normpath(name.replace("\\", "/"))
    return name.startswith(("/", "\\")) or normalised.startswith("..") or (len(name) > 1 and name[1] == ":")


def _unsafe_name_error(name: str) -> MalformedContent:
    return MalformedContent(f"Member name {name!r} is an absolute path or climbs out of the archive",
                            f"Le nom {name!r} est un chemin absolu ou sort de l'archive", code="IRR_NOM_F")


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: Budget,
                  archive_size: int) -> bytes:
    """Read one member, stopping as soon as it exceeds the ratio, the lot's remaining bytes or the file limit."""
    compressed = max(min(info.compress_size, archive_size), 1)  # the header's figure, bounded by the real size
    ratio_ceiling = max(compressed * limits.zip_max_ratio, RATIO_GRACE_BYTES)
    ceiling = min(budget.bytes, ratio_ceiling, limits.max_file_bytes)
    chunks, size = [], 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > ceiling:
                    raise _over_limit(info.filename, size, budget, ratio_ceiling, limits)
                chunks.append(chunk)
    except _EXTRACTION_ERRORS as exc:
        raise MalformedContent(f"Member {info.filename!r} cannot be extracted: {exc}",
                               f"Le fichier {info.filename!r} ne peut être extrait : {exc}", code="IRR_EXTRAC"
                               ) from None
    budget.bytes -= size
    return b"".join(chunks)


def _over_limit(name: str, size: int, budget: Budget, ratio_ceiling: int, limits: Limits) -> TooLarge:
    """Which limit a member crossed at `size` bytes: a bomb (total, ratio) or just an oversized member."""
    if size > budget.bytes:
        return ZipBomb(
            f"ZIP bomb: member {name!r} takes the lot beyond {limits.zip_max_total_bytes} bytes uncompressed; "
            "the whole lot is refused",
            f"Bombe ZIP : le fichier {name!r} porte le lot au-delà de {limits.zip_max_total_bytes} octets "
            "décompressés ; tout le lot est refusé")
    if size > ratio_ceiling:
        return ZipBomb(
            f"ZIP bomb: member {name!r} expands more than {limits.zip_max_ratio} times its compressed size; "
            "the whole lot is refused",
            f"Bombe ZIP : le fichier {name!r} se décompresse à plus de {limits.zip_max_ratio} fois sa taille "
            "compressée ; tout le lot est refusé")
    return TooLarge(f"Member {name!r} is larger than the limit of {limits.max_file_bytes} bytes",
                    f"Le fichier {name!r} dépasse la limite de {limits.max_file_bytes} octets")
