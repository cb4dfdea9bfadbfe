"""EN 16931 code-list rules (BR-CL-xx): codes taken from the official CEN artifact's own lists."""

from __future__ import annotations
