"""Mandatory content of a French invoice (Code de commerce L441-9, CGI 242 nonies A) for a public buyer."""

from __future__ import annotations
