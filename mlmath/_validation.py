"""Input checks shared by every chapter module.

Each helper either returns a clean NumPy object or raises an error that names the
argument, says what was expected and what arrived. Chapters never call these; the public
functions of :mod:`mlmath` do, before any arithmetic.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "as_array",
    "as_vector",
    "as_matrix",
    "as_square_matrix",
    "check_same_shape",
    "check_scalar",
    "check_probability_vector",
    "check_callable",
    "check_rng",
]


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def as_array(
    value: Any,
    name: str,
    *,
    ndim: int | None = None,
    allow_empty: bool = False,
    allow_nan: bool = False,
) -> np.ndarray:
    """Convert ``value`` to a finite float array, checking its number of dimensions.

    Raises
    ------
    TypeError
        If ``value`` is not numeric.
    ValueError
        If it has the wrong number of dimensions, is empty, or holds NaN (unless
        ``allow_nan``, for missing values) or infinity.
    """
    if sp.issparse(value):
        raise TypeError(f"`{name}` must be a dense array here, got a sparse matrix")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be numeric (array-like of numbers), got {_describe(value)}"
        ) from None
    if ndim is not None and arr.ndim != ndim:
        shape = {0: "a scalar", 1: "a 1-D array", 2: "a 2-D array"}.get(
            ndim, f"a {ndim}-D array"
        )
        raise ValueError(f"`{name}` must be {shape}, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"`{name}` must not be empty")
    if np.any(np.isinf(arr)):
        raise ValueError(f"`{name}` must not contain infinity")
    if not allow_nan and np.any(np.isnan(arr)):
        raise ValueError(f"`{name}` must not contain NaN")
    return arr


def as_vector(value: Any, name: str) -> np.ndarray:
    """Return ``value`` as a non-empty, finite 1-D float array."""
    return as_array(value, name, ndim=1)


def as_matrix(value: Any, name: str) -> np.ndarray:
    """Return ``value`` as a non-empty, finite 2-D float array."""
    return as_array(value, name, ndim=2)


def as_square_matrix(
    value: Any, name: str, *, allow_sparse: bool = False, nonnegative: bool = False
) -> np.ndarray | sp.csr_array:
    """Return a square matrix; sparse input stays sparse (CSR) if ``allow_sparse``.

    Raises
    ------
    TypeError
        If ``value`` is not numeric, or is sparse when sparse input is not allowed.
    ValueError
        If it is not square, is empty, holds NaN/infinity, or (with ``nonnegative``)
        has a negative entry.
    """
    if sp.issparse(value):
        if not allow_sparse:
            raise TypeError(f"`{name}` must be a dense array here, got a sparse matrix")
        mat = sp.csr_array(value, dtype=float)
        data = mat.data
    else:
        mat = as_array(value, name, ndim=2)
        data = mat
    if mat.shape[0] != mat.shape[1]:
        raise ValueError(f"`{name}` must be a square matrix, got shape {mat.shape}")
    if mat.shape[0] == 0:
        raise ValueError(f"`{name}` must not be empty")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"`{name}` must not contain NaN or infinity")
    if nonnegative and np.any(data < 0):
        raise ValueError(f"`{name}` must have non-negative entries (weights)")
    return mat


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"`{name_a}` and `{name_b}` must have the same shape, "
            f"got {a.shape} and {b.shape}"
        )


def check_scalar(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> float:
    """Check that ``value`` is a real (or integer) number inside the given bounds.

    Returns the value as ``float`` (or ``int`` when ``integer=True``).

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are refused).
    ValueError
        If it is NaN or lies outside the bounds.
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if integer else "a real number"
        raise TypeError(f"`{name}` must be {expected}, got {_describe(value)}")
    if not integer and not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}")
    lo_bad = low is not None and (value < low if low_inclusive else value <= low)
    hi_bad = high is not None and (value > high if high_inclusive else value >= high)
    if lo_bad or hi_bad:
        left = "(-inf" if low is None else ("[" if low_inclusive else "(") + f"{low}"
        right = "inf)" if high is None else f"{high}" + ("]" if high_inclusive else ")")
        raise ValueError(f"`{name}` must be in {left}, {right}, got {value}")
    return int(value) if integer else float(value)


def check_probability_vector(
    value: Any, name: str, *, atol: float = 1e-8
) -> np.ndarray:
    """Return ``value`` as a 1-D probability vector (non-negative, summing to 1).

    Raises
    ------
    ValueError
        If an entry is negative or the entries do not sum to 1 within ``atol``.
    """
    p = as_vector(value, name)
    if np.any(p < 0):
        raise ValueError(f"`{name}` must have non-negative entries, got {p}")
    total = float(p.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(
            f"`{name}` must sum to 1 (a probability vector), got sum {total:.6g}"
        )
    return p


def check_callable(value: Any, name: str) -> None:
    """Raise ``TypeError`` unless ``value`` can be called (a function, a lambda...)."""
    if not callable(value):
        raise TypeError(f"`{name}` must be callable, got {type(value).__name__}")


def check_rng(rng: np.random.Generator | int | None, name: str = "rng"):
    """Return a :class:`numpy.random.Generator` from a generator, a seed or ``None``.

    Never touches NumPy's global random state.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"`{name}` must be a numpy.random.Generator, an integer seed or None, "
        f"got {_describe(rng)}"
    )
