"""Input checks shared by every chapter module.

Each helper either returns a clean NumPy object or raises an error that names the
argument, says what was expected and what arrived. Chapters never call these; the public
functions of :mod:`mlmath` do, before any arithmetic.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "ConvergenceWarning",
    "warn_not_converged",
    "as_float_array",
    "as_array",
    "as_vector",
    "as_matrix",
    "as_square_matrix",
    "check_same_shape",
    "check_scalar",
    "check_probability_vector",
    "check_callable",
    "check_rng",
    "check_bool",
    "as_result_scalar",
]


class ConvergenceWarning(UserWarning):
    """An iterative routine stopped at its iteration cap before meeting its tolerance.

    Exported as ``mlmath.ConvergenceWarning``; silence it with
    ``warnings.filterwarnings("ignore", category=mlmath.ConvergenceWarning)``.
    """


# documented, and shown in tracebacks, as mlmath.ConvergenceWarning
ConvergenceWarning.__module__ = "mlmath"


def warn_not_converged(message: str, stacklevel: int = 3) -> None:
    """Warn :class:`ConvergenceWarning` with ``message`` (from the public caller)."""
    warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel)


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


_KIND = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes",
         "M": "datetimes", "m": "timedeltas", "V": "structured records"}


def _not_numeric(name: str, value: Any, what: str | None = None) -> TypeError:
    got = what or _describe(value)
    return TypeError(
        f"`{name}` must be numeric (array-like of real numbers), got {got}"
    )


def as_float_array(value: Any, name: str) -> np.ndarray:
    """Convert ``value`` to a float array; no check of shape or finiteness.

    Refuses (``TypeError`` naming ``name``) sparse matrices, complex numbers (NumPy
    would silently drop the imaginary part), booleans, strings, ``None`` and ragged
    or non-numeric objects.
    """
    if sp.issparse(value):
        raise TypeError(f"`{name}` must be a dense array here, got a sparse matrix")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise _not_numeric(name, value) from None
    kind = raw.dtype.kind
    if kind in _KIND:
        raise _not_numeric(name, value, f"{_KIND[kind]} (dtype {raw.dtype})")
    if kind == "O":
        bad = [v for v in raw.ravel() if not isinstance(v, numbers.Real)
               or isinstance(v, bool)]
        if bad:
            raise _not_numeric(name, value, f"an element {_describe(bad[0])}")
    try:
        return np.asarray(raw, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise _not_numeric(name, value) from None


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
    arr = as_float_array(value, name)
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
        if value.dtype.kind not in "iuf":
            raise TypeError(
                f"`{name}` must hold real numbers, got a sparse matrix of dtype "
                f"{value.dtype}"
            )
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


def check_probability_vector(value: Any, name: str) -> np.ndarray:
    """Return ``value`` as a 1-D probability vector (non-negative, summing to 1).

    The sum must be 1 within a tolerance set by the input's precision
    (``8 * k * eps`` of its dtype, at least ``1e-8``: a float32 softmax output
    passes); the accepted vector is then renormalised to sum to 1 in float64, so
    results such as KL >= 0 and entropy <= log k hold exactly.

    Raises
    ------
    ValueError
        If an entry is negative or the entries do not sum to 1 within the tolerance.
    """
    p = as_vector(value, name)
    if np.any(p < 0):
        raise ValueError(f"`{name}` must have non-negative entries, got {p}")
    dtype = getattr(value, "dtype", None)
    eps = np.finfo(dtype).eps if dtype is not None and dtype.kind == "f" else 2**-52
    tol = max(1e-8, 8 * p.size * float(eps))
    total = float(p.sum())
    if not abs(total - 1.0) <= tol:
        raise ValueError(
            f"`{name}` must sum to 1 (a probability vector), got sum {total!r} "
            f"(off by {total - 1.0:.3g}; tolerance {tol:.2g})"
        )
    return p / total


def check_callable(value: Any, name: str) -> None:
    """Raise ``TypeError`` unless ``value`` can be called (a function, a lambda...)."""
    if not callable(value):
        raise TypeError(f"`{name}` must be callable, got {type(value).__name__}")


def check_rng(rng: np.random.Generator | int | None, name: str = "rng"):
    """Return a :class:`numpy.random.Generator` from a generator, a seed or ``None``.

    Never touches NumPy's global random state.

    Raises
    ------
    TypeError
        If ``rng`` is not a Generator, an integer or None.
    ValueError
        If ``rng`` is a negative integer.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"`{name}` must be a non-negative integer seed, got {rng}")
        return np.random.default_rng(int(rng))
    if rng is None:
        return np.random.default_rng()
    raise TypeError(
        f"`{name}` must be a numpy.random.Generator, an integer seed or None, "
        f"got {_describe(rng)}"
    )


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy); else raise ``TypeError``."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be True or False, got {_describe(value)}")
    return bool(value)


def as_result_array(value: Any, name: str) -> np.ndarray:
    """Check what a user callable returned: an array of real numbers.

    Raises
    ------
    TypeError
        If the callable returned something that is not an array of real numbers.
    """
    try:
        return as_float_array(value, name)
    except TypeError:
        raise TypeError(
            f"`{name}` must return an array of real numbers, it returned {value!r:.80}"
        ) from None


def as_result_scalar(value: Any, name: str, *, allow_inf: bool = False) -> float:
    """Check what a user callable returned: one real number, finite unless allowed.

    Raises
    ------
    TypeError
        If the callable returned something that is not a real number.
    ValueError
        If it returned an array of more than one value, NaN, or (unless
        ``allow_inf``) infinity.
    """
    try:
        arr = as_float_array(value, name)
    except TypeError:
        raise TypeError(
            f"`{name}` must return a real number, it returned {_describe(value)}"
        ) from None
    if arr.size != 1:
        raise ValueError(
            f"`{name}` must return a scalar, it returned shape {arr.shape}"
        )
    out = float(arr.reshape(()))
    if np.isnan(out) or (np.isinf(out) and not allow_inf):
        raise ValueError(f"`{name}` must return a finite number, it returned {out}")
    return out
