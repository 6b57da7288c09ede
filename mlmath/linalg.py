"""Chapter 1: linear algebra."""

from __future__ import annotations

__all__: list[str] = []
