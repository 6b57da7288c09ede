"""Chapter 4: probability and information theory (entropy, KL, VAE, t-SNE)."""

from __future__ import annotations

__all__: list[str] = []
