"""ZIP lots: members are read one at a time, with size, ratio, count and depth limits checked while reading.

A member that is a ZIP itself is opened in turn, up to `Limits.zip_max_depth`. Member names are never used as
paths on disk: they only label the invoices, so a name like ``../../etc/passwd`` cannot escape anywhere, and such
names are refused outright.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import MalformedContent, TooLarge, UnreadableFlow


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


_CHUNK = 1 << 20


def iter_members(data: bytes, limits: Limits, prefix: str = "", depth: int = 1) -> Iterator[Member]:
    """Yield each file of the ZIP `data`, in archive order. A broken archive raises MalformedContent."""
    if depth > limits.zip_max_depth:
        raise TooLarge(f"ZIP nested deeper than {limits.zip_max_depth} levels",
                       f"ZIP imbriqué sur plus de {limits.zip_max_depth} niveaux")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MalformedContent(f"Unreadable ZIP archive: {exc}", f"Archive ZIP illisible : {exc}",
                               code="IRR_EXTRAC") from None
    files = [info for info in infos if not info.is_dir()]
    if len(files) > limits.zip_max_members:
        raise TooLarge(f"ZIP holds {len(files)} files, more than the limit of {limits.zip_max_members}",
                       f"Le ZIP contient {len(files)} fichiers, plus que la limite de {limits.zip_max_members}")
    budget = [limits.zip_max_total_bytes]
    with archive:
        for info in files:
            name = prefix + info.filename
            if _is_unsafe_name(info.filename):
                yield Member(name, None, MalformedContent(
                    f"Member name {info.filename!r} is an absolute path or climbs out of the archive",
                    f"Le nom {info.filename!r} est un chemin absolu ou sort de l'archive", code="IRR_NOM_F"))
                continue
            try:
                yield Member(name, _read_bounded(archive, info, limits, budget))
            except UnreadableFlow as exc:
                if isinstance(exc, TooLarge) and budget[0] <= 0:
                    raise  # the whole lot is over its total budget: a zip bomb, stop reading it
                yield Member(name, None, exc)


def _is_unsafe_name(name: str) -> bool:
    normalised = posixpath.normpath(name.replace("\\", "/"))
    return name.startswith(("/", "\\")) or normalised.startswith("..") or (len(name) > 1 and name[1] == ":")


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: list[int]) -> bytes:
    """Read one member, stopping as soon as it exceeds the ratio or the lot's remaining byte budget."""
    ceiling = min(budget[0], max(info.compress_size, 1) * limits.zip_max_ratio, limits.max_file_bytes)
    chunks, size = [], 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > ceiling:
                    budget[0] -= size
                    raise TooLarge(
                        f"Member {info.filename!r} expands beyond the allowed size or compression ratio",
                        f"Le fichier {info.filename!r} dépasse la taille ou le taux de compression autorisés")
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise MalformedContent(f"Member {info.filename!r} cannot be extracted: {exc}",
                               f"Le fichier {info.filename!r} ne peut être extrait : {exc}", code="IRR_EXTRAC")
    budget[0] -= size
    return b"".join(chunks)
