"""EN 16931 decimal rules (BR-DEC-xx): amounts with at most two decimals."""

from __future__ import annotations
