"""Chapter 3: optimisation (Lagrange multipliers, the SVM dual, ADMM)."""

from __future__ import annotations

__all__: list[str] = []
