"""Chapter 5: Monte Carlo integration, importance sampling, normalising flows."""

from __future__ import annotations

__all__: list[str] = []
