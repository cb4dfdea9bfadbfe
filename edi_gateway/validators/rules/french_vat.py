"""French TVA controls: rates in force, rate and category, arithmetic, reverse charge, exemption, VAT numbers."""

from __future__ import annotations
