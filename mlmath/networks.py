"""Chapter 6: network analysis (link prediction, supervised random walks)."""

from __future__ import annotations

__all__: list[str] = []
