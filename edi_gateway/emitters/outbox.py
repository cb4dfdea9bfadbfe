"""Atomic, idempotent file writes: write to a temporary file beside the target, fsync, rename over it."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_writer(target: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
    """Open a temporary file that replaces `target` only if the block completes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
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
