"""Intake stage: find deposited files, claim them atomically, and file them away once decided."""
