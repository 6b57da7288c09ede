"""Chapter 7: Bayesian optimisation (Gaussian processes, acquisition functions)."""

from __future__ import annotations

__all__: list[str] = []
