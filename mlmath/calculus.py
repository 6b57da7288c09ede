"""Chapter 2: calculus (gradients, backpropagation, attention)."""

from __future__ import annotations

__all__: list[str] = []
