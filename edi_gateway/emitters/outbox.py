"""Atomic, idempotent file writes: write to a temporary file beside the target, fsync, rename over it.

The temporary file's name is fixed for a target (`.<name>.tmp`, hidden): a write interrupted by a crash leaves it
behind, and the write made again when the batch is resumed reuses and replaces it, so no stray file stays in the
outbox. (A target is written by one process at a time: the one that owns its batch.)"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_writer(target: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
    """Open a temporary file that replaces `target` only if the block completes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp_name = target.with_name(f".{target.name}.tmp")
    fd = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None,
                       newline=newline if "b" not in mode else None) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_json(target: Path, document: dict) -> None:
    """A JSON document, atomically; values JSON does not know (dates, Decimals) written as text."""
    with atomic_writer(target) as stream:
        json.dump(document, stream, ensure_ascii=False, indent=2, default=str)
        stream.write("\n")


def _json_text(value, indent_level: int = 0) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return text.replace("\n", "\n" + "  " * indent_level) if indent_level else text


class JsonListWriter:
    """A JSON document whose last member is a long list, written to an open text stream one item at a time.

    `head` holds the members before the list, `key` names the list. The text is exactly what `write_json` writes
    for `{**head, key: [every item]}` (two-space indent, a newline at the end), without ever holding the list:
    an item is dumped alone and indented to its depth (JSON text has no raw newline inside a string)."""

    def __init__(self, stream, head: dict, key: str):
        if key in head:
            raise ValueError(f"{key!r} must be the last member of the document")
        opening = _json_text({**head, key: []})
        closing = "]\n}"
        assert opening.endswith(closing)
        self._stream, self._count = stream, 0
        stream.write(opening[:-len(closing)])

    def add(self, item) -> None:
        self._stream.write(("\n    " if self._count == 0 else ",\n    ") + _json_text(item, 2))
        self._count += 1

    def close(self) -> None:
        self._stream.write("\n  ]\n}\n" if self._count else "]\n}\n")


def write_json_list(target: Path, head: dict, key: str, items) -> None:
    """`write_json(target, {**head, key: list(items)})`, with `items` read one at a time (a stream is fine)."""
    with atomic_writer(target) as stream:
        writer = JsonListWriter(stream, head, key)
        for item in items:
            writer.add(item)
        writer.close()


WRITER_THREADS = 8  # files written at once: creating and syncing a file waits on the disk, not on Python


def write_files(files: list[tuple[Path, bytes]]) -> None:
    """Write many small files, each atomically, a few at a time."""
    def write(item: tuple[Path, bytes]) -> None:
        with atomic_writer(item[0], "wb") as stream:
            stream.write(item[1])

    if len(files) < 2:
        for item in files:
            write(item)
        return
    with ThreadPoolExecutor(max_workers=WRITER_THREADS) as pool:
        list(pool.map(write, files))
