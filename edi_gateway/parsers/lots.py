"""ZIP lots: members are read one at a time, with size, ratio, count and depth limits checked while reading.

A member that is a ZIP itself is opened in turn, up to `Limits.zip_max_depth`; a lot nested deeper is refused as
a member (its siblings go on). Member names are never used as paths on disk: they only label the invoices, so a
name like ``../../etc/passwd`` cannot escape anywhere, and such names are refused outright, member by member.

A decompression bomb stops the whole lot (`ZipBomb`, IRR_TAILLE): more members than `zip_max_members`, more bytes
than `zip_max_total_bytes` (declared in the archive, or found while reading), or a member expanding more than
`zip_max_ratio` times its compressed size once past `RATIO_GRACE_BYTES`. Nested lots share the limits of the
deposited lot: their members and bytes count against the same budget. Bytes are counted as they are inflated,
never trusted from the archive's headers, so reading stops within one chunk of the limit.

A member larger than `SPOOL_BYTES` (a CSV file of many invoices, a lot inside the lot) is spooled to a temporary
file while it is read, and handed on by its path, like a deposited file: it is then cut into invoices a piece at a
time, never held whole. The file lies in the system's temporary folder (`TMPDIR`) for as long as its member is in
hand, locked (flock) by the process reading it, and is removed as soon as the next member is asked for or the lot
is left. One left by a killed process is removed by the gateway's recovery at start (`spooled_members`).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import lzma
import os
import posixpath
import struct
import tempfile
import time
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
    data: bytes | Path | None  # its bytes, or the temporary file it was spooled to (larger than SPOOL_BYTES)
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
SPOOL_BYTES = 8 << 20  # a member larger than this is read into a temporary file, not into memory
RATIO_GRACE_BYTES = 1 << 20  # a member smaller than this is never a bomb, however well it compresses
# What zipfile and its decompressors raise on a damaged archive or member (RuntimeError: an encrypted member).
_EXTRACTION_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, RuntimeError,
                      zlib.error, lzma.LZMAError)


def iter_members(data: bytes | Path, limits: Limits, prefix: str = "", depth: int = 1, budget: Budget | None = None
                 ) -> Iterator[Member]:
    """Yield each file of the ZIP `data` (its bytes, or its path: then only the member in hand is held in memory),
    in archive order; a member larger than SPOOL_BYTES as the path of a temporary file, removed when the next
    member is asked for. A broken archive raises MalformedContent, one nested too deep TooLarge, a decompression
    bomb ZipBomb (`budget`: what the enclosing lot has left, if nested)."""
    if depth > limits.zip_max_depth:
        raise TooLarge(f"ZIP nested deeper than {limits.zip_max_depth} levels",
                       f"ZIP imbriqué sur plus de {limits.zip_max_depth} niveaux")
    budget = budget if budget is not None else Budget.of(limits)
    archive = _open(data)
    archive_size = data.stat().st_size if isinstance(data, Path) else len(data)
    with archive:
        count, declared = _directory_totals(archive)
        _spend_members(count, limits, budget)
        _check_declared_size(declared, limits, budget)
        for info in _files(archive):
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
            try:
                yield Member(name, content.result())
            finally:
                content.discard()


def _open(data: bytes | Path) -> "_Lot":
    try:
        return _Lot(data if isinstance(data, Path) else io.BytesIO(data))
    except _EXTRACTION_ERRORS as exc:
        raise _unreadable_archive(exc) from None


def _unreadable_archive(exc: BaseException) -> MalformedContent:
    return MalformedContent(f"Unreadable ZIP archive: {exc}", f"Archive ZIP illisible : {exc}", code="IRR_EXTRAC")


def _files(archive: "_Lot") -> Iterator[zipfile.ZipInfo]:
    """The lot's files (not its folders), in archive order, from its central directory read a piece at a time."""
    try:
        for info in archive.infos():
            if not info.is_dir():
                yield info
    except _EXTRACTION_ERRORS as exc:
        raise _unreadable_archive(exc) from None


def _directory_totals(archive: "_Lot") -> tuple[int, int]:
    """How many files the lot holds, and how many bytes they declare once uncompressed (a first pass over the
    central directory, keeping nothing)."""
    count = declared = 0
    for info in _files(archive):
        count += 1
        declared += info.file_size
    return count, declared


def _spend_members(count: int, limits: Limits, budget: Budget) -> None:
    budget.members -= count
    if budget.members < 0:
        raise ZipBomb(
            f"ZIP bomb: the lot holds more than {limits.zip_max_members} files (nested lots included); "
            "the whole lot is refused",
            f"Bombe ZIP : le lot contient plus de {limits.zip_max_members} fichiers (lots imbriqués compris) ; "
            "tout le lot est refusé")


def _check_declared_size(declared: int, limits: Limits, budget: Budget) -> None:
    if declared > budget.bytes:
        raise ZipBomb(
            f"ZIP bomb: the lot declares {declared} bytes once uncompressed, more than the limit of "
            f"{limits.zip_max_total_bytes} bytes; the whole lot is refused",
            f"Bombe ZIP : le lot annonce {declared} octets une fois décompressé, plus que la limite de "
            f"{limits.zip_max_total_bytes} octets ; tout le lot est refusé")


class _Lot(zipfile.ZipFile):
    """A ZipFile that does not hold its central directory in memory.

    On opening, zipfile reads the whole directory into a ZipInfo per member (about 600 bytes each: 60 MB for
    the 100,000 members a lot may hold) and keeps them until closed. This one notes only where the directory
    lies; `infos` reads it an entry at a time, building each ZipInfo the way zipfile does, and `open` is given
    that ZipInfo. The zipfile internals this leans on (the `_RealGetContents` hook, `_EndRecData` and its
    indices) have been stable since Python 3.2; the tests on lots (bombs, zip64, broken archives) guard them.
    """

    def _RealGetContents(self) -> None:
        end_record = zipfile._EndRecData(self.fp)
        if not end_record:
            raise zipfile.BadZipFile("File is not a zip file")
        size, offset = end_record[zipfile._ECD_SIZE], end_record[zipfile._ECD_OFFSET]
        concat = end_record[zipfile._ECD_LOCATION] - size - offset  # bytes prepended to the archive, if any
        if end_record[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
            concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
        if offset + concat < 0:
            raise zipfile.BadZipFile("Bad offset for central directory")
        self.start_dir, self._directory_size, self._concat = offset + concat, size, concat
        self._comment = end_record[zipfile._ECD_COMMENT]

    def infos(self) -> Iterator[zipfile.ZipInfo]:
        """Every entry of the central directory, in order, read _DIRECTORY_CHUNK bytes at a time."""
        reader = _DirectoryReader(self, self.start_dir, self._directory_size)
        while not reader.done:
            header = struct.unpack(zipfile.structCentralDir, reader.take(zipfile.sizeCentralDir))
            if header[_CD_SIGNATURE] != zipfile.stringCentralDir:
                raise zipfile.BadZipFile("Bad magic number for central directory")
            raw_name = reader.take(header[_CD_FILENAME_LENGTH])
            if not raw_name:  # zipfile would fail on it later (ZipInfo.is_dir), with an IndexError
                raise zipfile.BadZipFile("An entry of the central directory has no name")
            encoding = "utf-8" if header[_CD_FLAG_BITS] & _UTF8_NAME else (self.metadata_encoding or "cp437")
            info = zipfile.ZipInfo(raw_name.decode(encoding))
            if not info.filename:  # the name began with a NUL, where ZipInfo cuts it
                raise zipfile.BadZipFile("An entry of the central directory has a name beginning with NUL")
            info.extra = reader.take(header[_CD_EXTRA_LENGTH])
            info.comment = reader.take(header[_CD_COMMENT_LENGTH])
            (info.create_version, info.create_system, info.extract_version, info.reserved, info.flag_bits,
             info.compress_type, time, day, info.CRC, info.compress_size, info.file_size) = header[1:12]
            if info.extract_version > zipfile.MAX_EXTRACT_VERSION:
                raise NotImplementedError(f"zip file version {info.extract_version / 10:.1f}")
            info.volume, info.internal_attr, info.external_attr = header[15:18]
            info.header_offset = header[_CD_LOCAL_HEADER_OFFSET]
            info.date_time = ((day >> 9) + 1980, (day >> 5) & 0xF, day & 0x1F, time >> 11, (time >> 5) & 0x3F,
                              (time & 0x1F) * 2)
            _apply_zip64(info)
            info.header_offset += self._concat
            yield info


# Fields of a central directory entry (zipfile.structCentralDir), as APPNOTE.TXT 4.3.12 orders them
_CD_SIGNATURE, _CD_FLAG_BITS, _CD_FILENAME_LENGTH, _CD_EXTRA_LENGTH, _CD_COMMENT_LENGTH = 0, 5, 12, 13, 14
_CD_LOCAL_HEADER_OFFSET = 18
_UTF8_NAME = 0x800  # general purpose flag bit 11: the name is UTF-8
_ZIP64_EXTRA = 0x0001
_DIRECTORY_CHUNK = 1 << 20


def _apply_zip64(info: zipfile.ZipInfo) -> None:
    """Replace the sizes and offset a zip64 entry leaves at 0xFFFFFFFF by their 8-byte values in its zip64 extra
    field (APPNOTE.TXT 4.5.3): in that order, each present only when its 4-byte field is saturated."""
    extra = info.extra
    while len(extra) >= 4:
        kind, length = struct.unpack("<HH", extra[:4])
        if length + 4 > len(extra):
            raise zipfile.BadZipFile(f"Corrupt extra field {kind:04x} (size={length})")
        if kind == _ZIP64_EXTRA:
            values = extra[4:length + 4]
            for field in ("file_size", "compress_size", "header_offset"):
                if getattr(info, field) == 0xFFFF_FFFF:
                    if len(values) < 8:
                        raise zipfile.BadZipFile(f"Corrupt zip64 extra field: no {field}")
                    setattr(info, field, struct.unpack("<Q", values[:8])[0])
                    values = values[8:]
        extra = extra[length + 4:]


class _DirectoryReader:
    """Reads the central directory of `archive` from `start` for `size` bytes, a chunk at a time, sharing the
    archive's file with the member being read (under its lock, each read seeking where it needs)."""

    def __init__(self, archive: zipfile.ZipFile, start: int, size: int):
        self._archive, self._next, self._end = archive, start, start + size
        self._buffer, self._at = b"", 0

    @property
    def done(self) -> bool:
        return self._at >= len(self._buffer) and self._next >= self._end

    def take(self, length: int) -> bytes:
        while len(self._buffer) - self._at < length:
            if self._next >= self._end:
                raise zipfile.BadZipFile("Truncated central directory")
            with self._archive._lock:
                self._archive.fp.seek(self._next)
                chunk = self._archive.fp.read(min(_DIRECTORY_CHUNK, self._end - self._next))
            if not chunk:
                raise zipfile.BadZipFile("Truncated central directory")
            self._next += len(chunk)
            self._buffer, self._at = self._buffer[self._at:] + chunk, 0
        data = self._buffer[self._at:self._at + length]
        self._at += length
        return data


def _is_unsafe_name(name: str) -> bool:
    normalised = posixpath.normpath(name.replace("\\", "/"))
    return name.startswith(("/", "\\")) or normalised.startswith("..") or (len(name) > 1 and name[1] == ":")


def _unsafe_name_error(name: str) -> MalformedContent:
    return MalformedContent(f"Member name {name!r} is an absolute path or climbs out of the archive",
                            f"Le nom {name!r} est un chemin absolu ou sort de l'archive", code="IRR_NOM_F")


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: Budget,
                  archive_size: int) -> "_Spool":
    """Read one member, stopping as soon as it exceeds the ratio, the lot's remaining bytes or the file limit:
    its bytes, in memory or, past SPOOL_BYTES, in a temporary file (`discard` it once done with). A fault of
    the archive refuses the member (MalformedContent); one of the temporary folder (an OSError: no space left)
    is the gateway's own, raised as it is, and leaves the whole flow pending."""
    compressed = max(min(info.compress_size, archive_size), 1)  # the header's figure, bounded by the real size
    ratio_ceiling = max(compressed * limits.zip_max_ratio, RATIO_GRACE_BYTES)
    ceiling = min(budget.bytes, ratio_ceiling, limits.max_file_bytes)
    content = _Spool()
    try:
        with _extracting(info):
            stream = archive.open(info)
        with stream:
            while True:
                with _extracting(info):
                    chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                if content.size + len(chunk) > ceiling:
                    raise _over_limit(info.filename, content.size + len(chunk), budget, ratio_ceiling, limits)
                content.write(chunk)
        content.finish()
    except BaseException:
        content.discard()
        raise
    budget.bytes -= content.size
    return content


@contextlib.contextmanager
def _extracting(info: zipfile.ZipInfo) -> Iterator[None]:
    """What zipfile and its decompressors raise on a damaged member, as the member's MalformedContent."""
    try:
        yield
    except _EXTRACTION_ERRORS as exc:
        raise MalformedContent(f"Member {info.filename!r} cannot be extracted: {exc}",
                               f"Le fichier {info.filename!r} ne peut être extrait : {exc}", code="IRR_EXTRAC"
                               ) from None


SPOOL_PREFIX, SPOOL_SUFFIX = "edi-gateway-member-", ".spool"


class _Spool:
    """A member's bytes as they are inflated: in memory up to SPOOL_BYTES, then in a temporary file, locked by
    this process until `discard` removes it."""

    def __init__(self):
        self.size = 0
        self._buffer: io.BytesIO | None = io.BytesIO()  # (getvalue() hands over its buffer: no second copy)
        self._file = None

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._file is None and self.size > SPOOL_BYTES:
            self._file = tempfile.NamedTemporaryFile(prefix=SPOOL_PREFIX, suffix=SPOOL_SUFFIX, delete=False)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
            self._file.write(self._buffer.getbuffer())
            self._buffer = None
        (self._file or self._buffer).write(chunk)

    def finish(self) -> None:
        if self._file is not None:
            self._file.flush()

    def result(self) -> bytes | Path:
        """The member: its bytes, or the path of the file holding them."""
        return self._buffer.getvalue() if self._file is None else Path(self._file.name)

    def discard(self) -> None:
        if self._file is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._file.name)
            self._file.close()  # (and its lock with it)
            self._file = None


def spooled_members(older_than_seconds: float = 60.0) -> Iterator[Path]:
    """The spooled members in the temporary folder not written to for `older_than_seconds` (one just created
    may not be locked yet): those whose lock no live process holds were left by a killed one."""
    cutoff = time.time() - older_than_seconds
    for path in Path(tempfile.gettempdir()).glob(f"{SPOOL_PREFIX}*{SPOOL_SUFFIX}"):
        with contextlib.suppress(OSError):
            if path.lstat().st_mtime <= cutoff:
                yield path


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
