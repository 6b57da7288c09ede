r"""Chapter 1: linear algebra, the language of data.

Dot products and angles, cosine similarity, 2-D transformations, convolution as a
matrix product (im2col and Toeplitz), PageRank by power iteration, and matrix
factorisation for recommendation (FunkSVD) next to the truncated SVD.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ._validation import (
    as_array,
    as_matrix,
    as_square_matrix,
    as_vector,
    check_bool,
    check_rng,
    check_same_shape,
    check_scalar,
    warn_not_converged,
)

__all__ = [
    "vector_angle",
    "cosine_similarity",
    "cosine_similarity_matrix",
    "rotation_matrix",
    "scaling_matrix",
    "shear_matrix",
    "im2col1d",
    "toeplitz_matrix",
    "convolve1d",
    "cross_correlate1d",
    "pagerank",
    "low_rank_approximation",
    "MatrixFactorization",
    "projection_matrix",
    "conv_output_size",
    "im2col2d",
    "cross_correlate2d",
    "convolve2d",
    "als_update",
]


def _unit(v: np.ndarray, name: str) -> np.ndarray:
    """``v / ||v||``, scaled by its largest entry first so no square over/underflows."""
    big = np.max(np.abs(v))
    if big == 0.0:
        raise ValueError(
            f"`{name}` must not be the zero vector (its angle is undefined)"
        )
    if not _SAFE_LO < big < _SAFE_HI:
        v = v / big  # the squares in the norm would over- or underflow
    return v / np.linalg.norm(v)


_SAFE_LO, _SAFE_HI = 1e-140, 1e140  # |entries| whose squares sum safely


def vector_angle(x: Any, y: Any, degrees: bool = True) -> float:
    r"""Angle between two vectors, from :math:`\cos\theta = x^\top y / (\|x\|\|y\|)`.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Non-zero vectors of the same length.
    degrees : bool, default True
        Return degrees (True) or radians (False).

    Returns
    -------
    float
        The angle in :math:`[0, 180]` degrees (or :math:`[0, \pi]` radians).

    Raises
    ------
    ValueError
        If the vectors differ in length, are empty, hold NaN, or one is zero.

    Notes
    -----
    The formula :math:`\arccos(\cos\theta)` loses about half the digits near 0 and
    180 degrees (``arccos`` is steep there: nearly parallel vectors come out a
    micro-degree apart). We use the equivalent, well-conditioned form
    :math:`\theta = 2\,\operatorname{atan2}(\|\hat x - \hat y\|, \|\hat x +
    \hat y\|)` on the unit vectors :math:`\hat x, \hat y` (W. Kahan).

    Examples
    --------
    The chapter's worked example: :math:`x^\top y = 32`,
    :math:`\|x\| = \sqrt{14}`, :math:`\|y\| = \sqrt{77}`.

    >>> round(vector_angle([1, 2, 3], [4, 5, 6]), 2)
    12.93
    >>> vector_angle([1, 0], [0, 2])
    90.0
    """
    x, y = as_vector(x, "x"), as_vector(y, "y")
    check_same_shape(x, y, "x", "y")
    degrees = check_bool(degrees, "degrees")
    xh, yh = _unit(x, "x"), _unit(y, "y")
    theta = 2.0 * np.arctan2(np.linalg.norm(xh - yh), np.linalg.norm(xh + yh))
    return float(np.degrees(theta)) if degrees else float(theta)


def cosine_similarity(a: Any, b: Any) -> float:
    r"""Cosine similarity :math:`a^\top b / (\|a\| \|b\|)`, a number in :math:`[-1, 1]`.

    Parameters
    ----------
    a, b : array_like of shape (n,)
        Non-zero vectors of the same length.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the vectors differ in length, are empty, hold NaN, or one is zero.

    Examples
    --------
    The toy word embeddings of the chapter: "cat" and "dog" point almost the same way.

    >>> cat, dog = [0.7, 0.5, 0.1], [0.6, 0.6, 0.2]
    >>> round(cosine_similarity(cat, dog), 3)
    0.98
    >>> cosine_similarity([1, 0], [-3, 0])
    -1.0
    """
    a, b = as_vector(a, "a"), as_vector(b, "b")
    check_same_shape(a, b, "a", "b")
    ua, ub = _unit(a, "a"), _unit(b, "b")
    if all(_SAFE_LO < np.max(np.abs(v)) < _SAFE_HI for v in (a, b)):
        cos = float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b))
    else:
        cos = float(ua @ ub)
    return float(np.clip(cos, -1.0, 1.0))


def cosine_similarity_matrix(X: Any) -> np.ndarray:
    r"""All pairwise cosine similarities between the rows of ``X``.

    Parameters
    ----------
    X : array_like of shape (n, d)
        One non-zero vector per row.

    Returns
    -------
    ndarray of shape (n, n)
        ``S[i, j]`` is the cosine similarity of rows ``i`` and ``j``; ones on the
        diagonal.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, is empty, holds NaN, or has a zero row.

    Notes
    -----
    Normalise the rows once, then one matrix product :math:`\hat X \hat X^\top`
    gives all :math:`n^2` similarities; this is how embedding search is batched.

    Examples
    --------
    >>> S = cosine_similarity_matrix([[1, 0], [1, 1], [0, 2]])
    >>> S.round(3)
    array([[1.   , 0.707, 0.   ],
           [0.707, 1.   , 0.707],
           [0.   , 0.707, 1.   ]])
    """
    X = as_matrix(X, "X")
    big = np.max(np.abs(X), axis=1)
    if np.any(big == 0):
        rows = np.flatnonzero(big == 0).tolist()
        raise ValueError(f"`X` must not have zero rows, got zero rows at {rows}")
    safe = (big > _SAFE_LO) & (big < _SAFE_HI)
    Xn = X / np.where(safe, 1.0, big)[:, None]  # rescale rows whose squares overflow
    Xn /= np.linalg.norm(Xn, axis=1)[:, None]
    return np.clip(Xn @ Xn.T, -1.0, 1.0)


def rotation_matrix(theta: float, degrees: bool = True) -> np.ndarray:
    r"""The 2-D counter-clockwise rotation by ``theta``.

    .. math::

        R(\theta) = \begin{bmatrix}\cos\theta & -\sin\theta\\
        \sin\theta & \cos\theta\end{bmatrix}

    Parameters
    ----------
    theta : float
        The angle.
    degrees : bool, default True
        Whether ``theta`` is in degrees (True) or radians (False).

    Returns
    -------
    ndarray of shape (2, 2)

    Examples
    --------
    >>> R = rotation_matrix(45)
    >>> (R @ [1, 0]).round(3)
    array([0.707, 0.707])
    >>> bool(np.allclose(R.T @ R, np.eye(2)))
    True
    """
    theta = check_scalar(theta, "theta")
    degrees = check_bool(degrees, "degrees")
    t = np.radians(theta) if degrees else theta
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s], [s, c]])


def scaling_matrix(sx: float, sy: float) -> np.ndarray:
    """The 2-D scaling ``diag(sx, sy)``: stretch x by ``sx`` and y by ``sy``.

    Parameters
    ----------
    sx, sy : float
        Scale factors (a zero factor collapses the plane onto a line).

    Returns
    -------
    ndarray of shape (2, 2)

    Examples
    --------
    >>> scaling_matrix(2, 0.5) @ [1, 1]
    array([2. , 0.5])
    """
    return np.diag([check_scalar(sx, "sx"), check_scalar(sy, "sy")])


def shear_matrix(k: float) -> np.ndarray:
    """The horizontal shear ``[[1, k], [0, 1]]``: x moves by ``k`` times y.

    Parameters
    ----------
    k : float
        Shear factor.

    Returns
    -------
    ndarray of shape (2, 2)

    Examples
    --------
    >>> shear_matrix(0.5) @ [0, 1]
    array([0.5, 1. ])
    >>> float(np.linalg.det(shear_matrix(0.5)))  # shears preserve area
    1.0
    """
    return np.array([[1.0, check_scalar(k, "k")], [0.0, 1.0]])


def _signal_and_kernel(x: Any, kernel: Any) -> tuple[np.ndarray, np.ndarray]:
    x, kernel = as_vector(x, "x"), as_vector(kernel, "kernel")
    if kernel.size > x.size:
        raise ValueError(
            f"`kernel` (length {kernel.size}) must not be longer than `x` "
            f"(length {x.size}) in 'valid' mode"
        )
    return x, kernel


def im2col1d(x: Any, width: int) -> np.ndarray:
    """Stack every window of ``width`` consecutive entries of ``x`` as a row.

    Parameters
    ----------
    x : array_like of shape (n,)
        The signal.
    width : int
        Window (kernel) length, ``1 <= width <= n``.

    Returns
    -------
    ndarray of shape (n - width + 1, width)
        Row ``i`` is ``x[i:i + width]``. Multiplying it by a kernel slides the kernel
        over the signal in one matrix-vector product.

    Raises
    ------
    ValueError
        If ``width`` is not in ``[1, n]``.

    Examples
    --------
    >>> im2col1d([1, 2, 3, 4, 5], 3)
    array([[1., 2., 3.],
           [2., 3., 4.],
           [3., 4., 5.]])
    """
    x = as_vector(x, "x")
    width = check_scalar(width, "width", low=1, high=x.size, integer=True)
    idx = np.arange(x.size - width + 1)[:, None] + np.arange(width)[None, :]
    return x[idx]


def toeplitz_matrix(kernel: Any, n: int) -> np.ndarray:
    r"""The banded (Toeplitz) matrix ``T`` with ``T @ x == convolve1d(x, kernel)``.

    Parameters
    ----------
    kernel : array_like of shape (m,)
        The convolution kernel.
    n : int
        Length of the signals it will be applied to, ``n >= m``.

    Returns
    -------
    ndarray of shape (n - m + 1, n)
        Row ``i`` holds the flipped kernel in columns ``i .. i + m - 1``.

    Examples
    --------
    >>> toeplitz_matrix([1, 0, -1], 5)
    array([[-1.,  0.,  1.,  0.,  0.],
           [ 0., -1.,  0.,  1.,  0.],
           [ 0.,  0., -1.,  0.,  1.]])
    """
    kernel = as_vector(kernel, "kernel")
    m = kernel.size
    n = check_scalar(n, "n", low=m, integer=True)
    T = np.zeros((n - m + 1, n))
    rows = np.arange(n - m + 1)[:, None]
    T[rows, rows + np.arange(m)] = kernel[::-1]
    return T


def cross_correlate1d(x: Any, kernel: Any) -> np.ndarray:
    r"""Cross-correlation in 'valid' mode: :math:`y_i = \sum_j x_{i+j} k_j`.

    This is what the "convolution" layers of deep-learning libraries compute: the
    kernel slides over the signal *without* being flipped.

    Parameters
    ----------
    x : array_like of shape (n,)
        The signal.
    kernel : array_like of shape (m,)
        The kernel, ``m <= n``.

    Returns
    -------
    ndarray of shape (n - m + 1,)
        Equal to ``np.correlate(x, kernel, 'valid')``.

    Raises
    ------
    ValueError
        If the kernel is longer than the signal, or an input is empty or holds NaN.

    Examples
    --------
    >>> cross_correlate1d([1, 2, 3, 4, 5], [1, 0, -1])
    array([-2., -2., -2.])
    """
    x, kernel = _signal_and_kernel(x, kernel)
    return _scaled_product(im2col1d(x, kernel.size), kernel)


def convolve1d(x: Any, kernel: Any) -> np.ndarray:
    r"""True convolution in 'valid' mode: :math:`y_i = \sum_j x_{i+j} k_{m-1-j}`.

    The kernel is flipped, then slid over the signal: an im2col matrix times the
    reversed kernel.

    Parameters
    ----------
    x : array_like of shape (n,)
        The signal.
    kernel : array_like of shape (m,)
        The kernel, ``m <= n``.

    Returns
    -------
    ndarray of shape (n - m + 1,)
        Equal to ``np.convolve(x, kernel, 'valid')``.

    Raises
    ------
    ValueError
        If the kernel is longer than the signal, or an input is empty or holds NaN.

    Examples
    --------
    >>> convolve1d([1, 2, 3, 4, 5], [1, 0, -1])
    array([2., 2., 2.])
    """
    x, kernel = _signal_and_kernel(x, kernel)
    return _scaled_product(im2col1d(x, kernel.size), kernel[::-1])


def _scaled_product(windows: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``windows @ kernel``; if that overflows, on unit-scaled operands, rescaled.

    Entries near 1e308 then give the exact sum's sign (``+-inf`` only where the true
    value overflows) instead of ``inf - inf = nan``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        y = windows @ kernel
    if np.all(np.isfinite(y)):
        return y
    sx, sk = np.max(np.abs(windows)), np.max(np.abs(kernel))
    y = (windows / sx) @ (kernel / sk)
    with np.errstate(over="ignore"):
        return y * sx * sk


def pagerank(
    adjacency: Any,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> tuple[np.ndarray, np.ndarray]:
    r"""PageRank by power iteration on the "Google matrix", dense or sparse.

    .. math::

        r^{(t+1)} = d\,\bigl(P^\top r^{(t)} + \tfrac{1}{n}\,
        (\textstyle\sum_{i \text{ dangling}} r_i^{(t)})\,\mathbf 1\bigr)
        + \tfrac{1-d}{n}\mathbf 1,

    where :math:`P = D^{-1}A` is the row-normalised link matrix.

    Parameters
    ----------
    adjacency : array_like or scipy.sparse matrix of shape (n, n)
        ``adjacency[i, j] != 0`` means page ``i`` links to page ``j``; values are
        non-negative link weights. Sparse input stays sparse.
    damping : float, default 0.85
        Probability :math:`d` of following a link; must be in (0, 1).
    tol : float, default 1e-10
        Stop when the L1 change between iterates falls below ``tol``.
    max_iter : int, default 1000
        Iteration cap.

    Returns
    -------
    ranks : ndarray of shape (n,)
        Non-negative, summing to 1.
    residuals : ndarray of shape (n_iter,)
        L1 change :math:`\|r^{(t+1)} - r^{(t)}\|_1` at each iteration.

    Raises
    ------
    ValueError
        If ``adjacency`` is not square, is empty, holds NaN or a negative weight, or
        ``damping``, ``tol`` or ``max_iter`` are out of range.

    Warns
    -----
    ConvergenceWarning
        If ``max_iter`` is reached before the change falls below ``tol``.

    Notes
    -----
    A *dangling* page (no out-links) would leak rank; here it spreads its rank uniformly
    over all pages, as in ``networkx.pagerank``, so ranks always sum to 1. The
    error contracts by a factor :math:`d` per iteration, so reaching ``tol`` takes
    about :math:`\log(\mathrm{tol}) / \log d` iterations. Each iteration is one
    sparse matrix-vector product, :math:`O(n + \mathrm{nnz})`.

    References
    ----------
    .. [1] L. Page, S. Brin, R. Motwani and T. Winograd, "The PageRank citation ranking:
       bringing order to the web", Stanford InfoLab, 1999.

    Examples
    --------
    The chapter's four-page web: 0 -> 1, 2; 1 -> 0, 2; 2 -> 0; 3 -> 0, 1, 2.

    >>> A = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 0, 0, 0], [1, 1, 1, 0]])
    >>> ranks, residuals = pagerank(A)
    >>> ranks.round(4)
    array([0.4165, 0.2251, 0.3208, 0.0375])
    >>> bool(np.allclose(ranks, [2849 / 6840, 77 / 342, 77 / 240, 3 / 80]))
    True
    >>> round(float(ranks.sum()), 12)
    1.0
    """
    A = as_square_matrix(adjacency, "adjacency", allow_sparse=True, nonnegative=True)
    d = check_scalar(
        damping, "damping", low=0, high=1, low_inclusive=False, high_inclusive=False
    )
    tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
    max_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
    n = A.shape[0]
    A, inv_out, dangling = _row_normaliser(A)
    # P^T r = A^T (r / out-degree): scale the vector, not the matrix, so nothing of
    # size nnz is built before the loop (A.T of a sparse matrix is a free view)
    At = A.T
    r = np.full(n, 1.0 / n)
    residuals = []
    for _ in range(max_iter):
        r_new = d * (At @ (r * inv_out) + r[dangling].sum() / n) + (1.0 - d) / n
        r_new /= r_new.sum()  # guard against drift from rounding
        residuals.append(float(np.abs(r_new - r).sum()))
        r = r_new
        if residuals[-1] < tol:
            break
    else:
        warn_not_converged(
            f"pagerank did not reach tol={tol:g} in max_iter={max_iter} iterations "
            f"(last L1 change {residuals[-1]:.3g}); increase `max_iter`"
        )
    return r, np.array(residuals)


def _row_normaliser(A):
    """Return ``(A', 1 / rowsum(A'), dangling)`` with ``D^{-1} A = diag(inv) A'``.

    ``A' = A`` unless a row sum overflows or its reciprocal does (weights near
    1e308 or subnormal); then each row is first divided by its largest weight,
    which changes no transition probability.
    """
    with np.errstate(divide="ignore", over="ignore"):
        out = np.asarray(A.sum(axis=1)).ravel()
        dangling = out == 0
        inv = np.divide(1.0, out, out=np.zeros(out.size), where=~dangling)
    if np.all(np.isfinite(out)) and np.all(np.isfinite(inv)):
        return A, inv, dangling
    if sp.issparse(A):
        scaled = A.copy()
        big = np.maximum(abs(A).max(axis=1).toarray().ravel(), np.finfo(float).tiny)
        scaled.data /= np.repeat(big, np.diff(scaled.indptr))
    else:
        big = np.abs(A).max(axis=1)
        scaled = A / np.where(big > 0, big, 1.0)[:, None]
    out = np.asarray(scaled.sum(axis=1)).ravel()
    inv = np.divide(1.0, out, out=np.zeros(out.size), where=~dangling)
    return scaled, inv, dangling


def low_rank_approximation(M: Any, k: int) -> np.ndarray:
    r"""Best rank-``k`` approximation of ``M`` by the truncated SVD (Eckart–Young).

    Parameters
    ----------
    M : array_like of shape (m, n)
        A complete matrix (no missing values).
    k : int
        Target rank, ``1 <= k <= min(m, n)``.

    Returns
    -------
    ndarray of shape (m, n)
        :math:`U_k \Sigma_k V_k^\top`, the closest rank-``k`` matrix in Frobenius norm.

    Raises
    ------
    ValueError
        If ``M`` is not a finite 2-D array, or ``k`` is out of range.

    Examples
    --------
    >>> M = np.outer([1, 2, 3], [1, 1]) + np.outer([1, 0, -1], [1, -1])
    >>> bool(np.allclose(low_rank_approximation(M, 2), M))
    True
    >>> np.linalg.matrix_rank(low_rank_approximation(M, 1)).item()
    1
    """
    M = as_matrix(M, "M")
    k = check_scalar(k, "k", low=1, high=min(M.shape), integer=True)
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    return (U[:, :k] * s[:k]) @ Vt[:k]


class MatrixFactorization:
    r"""FunkSVD with biases, fitted to the observed ratings by SGD.

    The model is :math:`\hat r_{ui} = \mu + b_u + b_i + p_u^\top q_i`.

    Parameters
    ----------
    n_factors : int, default 3
        Number of latent factors :math:`k`.
    lr : float, default 0.01
        Learning rate (step size) of SGD.
    reg : float, default 0.01
        L2 penalty on biases and factors.
    n_epochs : int, default 100
        Passes over the observed ratings (in a fresh random order each pass).
    seed : int or numpy.random.Generator, optional
        Seeds the initial factors and the order of the updates.

    Attributes
    ----------
    mu_ : float
        Mean of the observed ratings.
    user_bias_, item_bias_ : ndarray of shape (n_users,), (n_items,)
    P_ : ndarray of shape (n_users, n_factors)
        User factors.
    Q_ : ndarray of shape (n_items, n_factors)
        Item factors.
    loss_history_ : ndarray of shape (n_epochs,)
        Training RMSE over the observed ratings after each epoch.
    n_iter_ : int
        Epochs run (always ``n_epochs``: SGD here has no stopping rule).

    Notes
    -----
    Missing ratings are ``np.nan`` and are simply never visited: a 0 would be read as a
    terrible rating. A user or item with no observed rating gets no update, so its
    factors stay exactly zero and its prediction is the baseline
    :math:`\mu + b_u + b_i` ("cold start"). One update per observed rating is a
    Python-level loop, :math:`O(k)` arithmetic each; libraries such as Surprise or
    implicit compile this loop or use alternating least squares.

    References
    ----------
    .. [1] S. Funk, "Netflix update: try this at home", 2006.
    .. [2] Y. Koren, R. Bell and C. Volinsky, "Matrix factorization techniques for
       recommender systems", Computer 42(8), 2009.

    Examples
    --------
    >>> R = np.array([[5, 3, np.nan], [4, np.nan, 1], [1, 1, 5]])
    >>> mf = MatrixFactorization(n_factors=2, n_epochs=200, lr=0.05, seed=0).fit(R)
    >>> R_hat = mf.predict()
    >>> R_hat.shape
    (3, 3)
    >>> bool(np.abs(R_hat - R)[~np.isnan(R)].max() < 0.5)
    True
    """

    def __init__(
        self,
        n_factors: int = 3,
        lr: float = 0.01,
        reg: float = 0.01,
        n_epochs: int = 100,
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        self.n_factors = check_scalar(n_factors, "n_factors", low=1, integer=True)
        self.lr = check_scalar(lr, "lr", low=0, low_inclusive=False)
        self.reg = check_scalar(reg, "reg", low=0)
        self.n_epochs = check_scalar(n_epochs, "n_epochs", low=1, integer=True)
        self.seed = seed

    def fit(self, ratings: Any) -> MatrixFactorization:
        """Fit the model to a ratings matrix whose missing entries are ``np.nan``.

        Parameters
        ----------
        ratings : array_like of shape (n_users, n_items)
            Observed ratings; ``np.nan`` marks a missing rating.

        Returns
        -------
        MatrixFactorization
            The fitted model (``self``).

        Raises
        ------
        ValueError
            If ``ratings`` is not 2-D, holds infinity, or has no observed rating.
        FloatingPointError
            If SGD diverges (the training error overflows): reduce ``lr``, or
            centre and scale the ratings.
        """
        R = as_array(ratings, "ratings", ndim=2, allow_nan=True)
        users, items = np.nonzero(~np.isnan(R))
        if users.size == 0:
            raise ValueError(
                "`ratings` must contain at least one observed (non-NaN) value"
            )
        values = R[users, items]
        rng = check_rng(self.seed, "seed")
        n_users, n_items = R.shape
        k, lr, reg = self.n_factors, self.lr, self.reg
        self.mu_ = float(values.mean())
        bu, bi = np.zeros(n_users), np.zeros(n_items)
        P = rng.normal(0.0, 0.1, (n_users, k))
        Q = rng.normal(0.0, 0.1, (n_items, k))
        P[np.bincount(users, minlength=n_users) == 0] = 0.0  # never updated: cold start
        Q[np.bincount(items, minlength=n_items) == 0] = 0.0
        history = np.empty(self.n_epochs)
        mu = self.mu_
        with np.errstate(over="ignore", invalid="ignore"):  # checked per epoch
            for epoch in range(self.n_epochs):  # noqa: B007 (epoch is in the error)
                order = rng.permutation(values.size)
                # plain Python ints/floats in the loop: indexing NumPy with them is fast
                triples = zip(
                    users[order].tolist(),
                    items[order].tolist(),
                    values[order].tolist(),
                    strict=True,
                )
                for u, i, r in triples:
                    pu, qi = P[u], Q[i]
                    err = r - (mu + bu[u] + bi[i] + pu @ qi)
                    bu[u] += lr * (err - reg * bu[u])
                    bi[i] += lr * (err - reg * bi[i])
                    P[u], Q[i] = (
                        pu + lr * (err * qi - reg * pu),
                        qi + lr * (err * pu - reg * qi),
                    )
                pred = (
                    self.mu_
                    + bu[users]
                    + bi[items]
                    + np.einsum("ij,ij->i", P[users], Q[items])
                )
                history[epoch] = np.sqrt(np.mean((values - pred) ** 2))
                _check_not_diverged(history[epoch], P, Q, epoch)
        self.n_iter_ = self.n_epochs
        self.user_bias_, self.item_bias_, self.P_, self.Q_ = bu, bi, P, Q
        self.loss_history_ = history
        return self

    def predict(self) -> np.ndarray:
        """Predicted ratings for every (user, item) pair.

        Returns
        -------
        ndarray of shape (n_users, n_items)

        Raises
        ------
        RuntimeError
            If the model has not been fitted.
        """
        if not hasattr(self, "P_"):
            raise RuntimeError("call `fit` before `predict`")
        return (
            self.mu_
            + self.user_bias_[:, None]
            + self.item_bias_[None, :]
            + self.P_ @ self.Q_.T
        )


def projection_matrix(Y: Any) -> np.ndarray:
    r"""Orthogonal projection onto the span of ``Y``: :math:`Y (Y^\top Y)^{-1} Y^\top`.

    For one vector :math:`\mathbf{y}` this is
    :math:`\mathbf{y} \mathbf{y}^\top / \mathbf{y}^\top \mathbf{y}`, and
    :math:`P\mathbf{x}` is the projection vector of :math:`\mathbf{x}` on the line
    through :math:`\mathbf{y}`.

    Parameters
    ----------
    Y : array_like of shape (n,) or (n, k)
        A vector, or ``k`` linearly independent columns.

    Returns
    -------
    ndarray of shape (n, n)
        Symmetric and idempotent (:math:`P^2 = P`), of rank ``k``.

    Raises
    ------
    ValueError
        If ``Y`` is the zero vector, holds NaN or infinity, or its columns are linearly
        dependent to a relative tolerance of 1e-12 (after each column is scaled to a
        largest entry of 1); then the span has a smaller dimension: pass a basis of it.

    Notes
    -----
    Computed from a thin QR factorisation, :math:`P = Q Q^\top`, which avoids forming
    the inverse of :math:`Y^\top Y`.

    Examples
    --------
    >>> P = projection_matrix([3, 1])
    >>> P
    array([[0.9, 0.3],
           [0.3, 0.1]])
    >>> P @ [1, 2]
    array([1.5, 0.5])
    """
    Y = as_array(Y, "Y")
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2:
        raise ValueError(f"`Y` must be a 1-D or 2-D array, got shape {Y.shape}")
    if Y.shape[1] > Y.shape[0]:
        raise ValueError(
            f"`Y` must have at most as many columns as rows, got shape {Y.shape}"
        )
    # The span does not change when a column is rescaled: bring every column to a
    # largest entry of 1 first, so that neither tiny (1e-200) nor huge (1e200) entries
    # underflow or overflow, and columns of very different sizes are judged alike.
    col_max = np.abs(Y).max(axis=0)
    if np.any(col_max == 0.0):
        raise ValueError(
            "`Y` must have linearly independent (and non-zero) columns, "
            f"got a zero column in shape {Y.shape}"
        )
    Y = Y / col_max
    Q, Rfac = np.linalg.qr(Y)
    if np.abs(np.diag(Rfac)).min() <= 1e-12:
        raise ValueError(
            "`Y` must have linearly independent columns, got "
            f"{Y.shape[1]} columns of which one is, to a relative 1e-12, a combination "
            "of the others"
        )
    return Q @ Q.T


def conv_output_size(
    n: int, kernel_size: int, stride: int = 1, padding: int = 0
) -> int:
    r"""Length of a convolution's output along one axis.

    .. math::

        n_{\text{out}} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1 .

    Parameters
    ----------
    n : int
        Input length (height or width), ``n >= 1``.
    kernel_size : int
        Kernel length :math:`k`, at most ``n + 2 * padding``.
    stride : int, default 1
        Step :math:`s` between windows, ``>= 1``.
    padding : int, default 0
        Zeros :math:`p` added at each end, ``>= 0``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If an argument is out of range or the kernel does not fit the padded input.

    Examples
    --------
    A 3 x 3 kernel over 5 pixels: 'valid' gives 3, padding 1 keeps 5, stride 2 gives 3.

    >>> conv_output_size(5, 3), conv_output_size(5, 3, padding=1)
    (3, 5)
    >>> conv_output_size(5, 3, stride=2, padding=1)
    3
    """
    n = check_scalar(n, "n", low=1, integer=True)
    stride = check_scalar(stride, "stride", low=1, integer=True)
    padding = check_scalar(padding, "padding", low=0, integer=True)
    kernel_size = check_scalar(
        kernel_size, "kernel_size", low=1, high=n + 2 * padding, integer=True
    )
    return (n + 2 * padding - kernel_size) // stride + 1


def _image(x: Any) -> np.ndarray:
    x = as_array(x, "x")
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(
            f"`x` must be an image of shape (H, W) or (C, H, W), got shape {x.shape}"
        )
    return x


def im2col2d(
    x: Any, kernel_size: tuple[int, int], stride: int = 1, padding: int = 0
) -> np.ndarray:
    r"""Stack every (zero-padded, strided) patch of an image as a row.

    Parameters
    ----------
    x : array_like of shape (H, W) or (C, H, W)
        Image with ``C`` channels (one channel if 2-D).
    kernel_size : tuple of int (kh, kw)
        Patch height and width.
    stride : int, default 1
        Step between patches, the same along both axes.
    padding : int, default 0
        Zeros added on every side before the patches are cut.

    Returns
    -------
    ndarray of shape (H_out * W_out, C * kh * kw)
        Row ``i * W_out + j`` is the patch whose top-left corner is at
        ``(i * stride, j * stride)`` of the padded image, flattened channel by channel
        (the order of ``kernel.reshape(C_out, -1)``). ``H_out`` and ``W_out`` are
        :func:`conv_output_size` of ``H`` and ``W``.

    Raises
    ------
    ValueError
        If ``x`` is not 2-D or 3-D, holds NaN or infinity, or the kernel does not fit
        the padded image; ``stride``/``padding`` out of range.

    Notes
    -----
    The patches are read with ``numpy.lib.stride_tricks.sliding_window_view`` and then
    copied into one matrix, which costs :math:`k_h k_w` times the memory of the image:
    the price of turning a convolution into one matrix product (GEMM).

    Examples
    --------
    >>> x = np.arange(9).reshape(3, 3)
    >>> im2col2d(x, (2, 2))
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    >>> im2col2d(x, (2, 2), stride=2, padding=1).shape
    (4, 4)
    """
    x = _image(x)
    if not isinstance(kernel_size, tuple | list) or len(kernel_size) != 2:
        raise TypeError(f"`kernel_size` must be a pair (kh, kw), got {kernel_size!r}")
    C, H, W = x.shape
    stride = check_scalar(stride, "stride", low=1, integer=True)
    padding = check_scalar(padding, "padding", low=0, integer=True)
    kh = check_scalar(kernel_size[0], "kernel_size[0]", low=1, integer=True)
    kw = check_scalar(kernel_size[1], "kernel_size[1]", low=1, integer=True)
    h_out = conv_output_size(H, kh, stride, padding)
    w_out = conv_output_size(W, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))
    win = win[:, ::stride, ::stride][:, :h_out, :w_out]  # (C, h_out, w_out, kh, kw)
    return win.transpose(1, 2, 0, 3, 4).reshape(h_out * w_out, C * kh * kw)


def _image_and_kernel(x: Any, kernel: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    x, kernel = as_array(x, "x"), as_array(kernel, "kernel")
    plain = x.ndim == 2 and kernel.ndim == 2
    x = _image(x)
    if kernel.ndim == 2:
        kernel = kernel[None, None]
    if kernel.ndim != 4:
        raise ValueError(
            "`kernel` must have shape (kh, kw) or (C_out, C_in, kh, kw), "
            f"got shape {kernel.shape}"
        )
    if kernel.shape[1] != x.shape[0]:
        raise ValueError(
            f"`kernel` has {kernel.shape[1]} input channel(s) but `x` has "
            f"{x.shape[0]} channel(s)"
        )
    return x, kernel, plain


def cross_correlate2d(
    x: Any, kernel: Any, stride: int = 1, padding: int = 0
) -> np.ndarray:
    r"""2-D cross-correlation by im2col: what a CNN "convolution" layer computes.

    .. math::

        y_{o,i,j} = \sum_{c} \sum_{a=0}^{k_h-1} \sum_{b=0}^{k_w-1}
        \tilde x_{c,\, s i + a,\, s j + b}\; K_{o,c,a,b},

    where :math:`\tilde x` is ``x`` zero-padded by ``padding`` on every side and
    :math:`s` is the stride.

    Parameters
    ----------
    x : array_like of shape (H, W) or (C_in, H, W)
        Input image.
    kernel : array_like of shape (kh, kw) or (C_out, C_in, kh, kw)
        Filters; a 2-D kernel needs a one-channel image.
    stride : int, default 1
    padding : int, default 0

    Returns
    -------
    ndarray of shape (H_out, W_out) or (C_out, H_out, W_out)
        2-D when both ``x`` and ``kernel`` are 2-D. ``H_out``, ``W_out`` are given by
        :func:`conv_output_size`.

    Raises
    ------
    ValueError
        If the shapes do not match (channels, kernel larger than the padded image),
        an input holds NaN or infinity, or ``stride``/``padding`` is out of range.

    Notes
    -----
    One matrix product: ``im2col2d(x) @ kernel.reshape(C_out, -1).T``. With stride 1
    and no padding, each output channel equals the sum over input channels of
    ``scipy.signal.correlate2d(x[c], kernel[o, c], mode="valid")``, which the tests
    check. No bias term is added.

    Examples
    --------
    A vertical-edge (Sobel-like) kernel on an image that is dark on the left, bright on
    the right:

    >>> x = np.array([[0, 0, 1, 1]] * 3)
    >>> k = np.array([[-1, 0, 1]] * 3)
    >>> cross_correlate2d(x, k)
    array([[3., 3.]])

    With one ring of zero padding the output keeps the input's 3 x 4 shape; the zeros
    beyond the bright right edge read as a falling edge (-2, -3):

    >>> cross_correlate2d(x, k, padding=1)
    array([[ 0.,  2.,  2., -2.],
           [ 0.,  3.,  3., -3.],
           [ 0.,  2.,  2., -2.]])
    """
    x, kernel, plain = _image_and_kernel(x, kernel)
    c_out, _, kh, kw = kernel.shape
    cols = im2col2d(x, (kh, kw), stride, padding)
    h_out = conv_output_size(x.shape[1], kh, stride, padding)
    w_out = conv_output_size(x.shape[2], kw, stride, padding)
    y = (cols @ kernel.reshape(c_out, -1).T).T.reshape(c_out, h_out, w_out)
    return y[0] if plain else y


def convolve2d(x: Any, kernel: Any, stride: int = 1, padding: int = 0) -> np.ndarray:
    r"""True 2-D convolution: :func:`cross_correlate2d` with each kernel flipped.

    The kernel is rotated by 180 degrees (flipped along both spatial axes) before it
    slides:

    .. math::

        (x * k)_{ij} = \sum_{a,b} x_{i+a,\, j+b}\; k_{k_h-1-a,\, k_w-1-b} .

    Parameters
    ----------
    x : array_like of shape (H, W) or (C_in, H, W)
    kernel : array_like of shape (kh, kw) or (C_out, C_in, kh, kw)
    stride : int, default 1
    padding : int, default 0

    Returns
    -------
    ndarray of shape (H_out, W_out) or (C_out, H_out, W_out)
        With stride 1 and no padding, equal to
        ``scipy.signal.convolve2d(x, kernel, mode="valid")`` for 2-D inputs.

    Raises
    ------
    ValueError
        As :func:`cross_correlate2d`.

    Examples
    --------
    >>> x = np.array([[0, 0, 1, 1]] * 3)
    >>> convolve2d(x, np.array([[-1, 0, 1]] * 3))
    array([[-3., -3.]])
    """
    x, kernel, plain = _image_and_kernel(x, kernel)
    y = cross_correlate2d(x, kernel[..., ::-1, ::-1], stride, padding)
    return y[0] if plain else y


def als_update(ratings: Any, fixed: Any, reg: float) -> np.ndarray:
    r"""One half-step of alternating least squares: re-solve one side's factors.

    With the item factors :math:`Q` held fixed, each user's factor vector is the
    ridge-regression solution on that user's observed ratings,

    .. math::

        \mathbf{p}_u = \bigl(Q_{\Omega_u}^\top Q_{\Omega_u}
        + \lambda I\bigr)^{-1} Q_{\Omega_u}^\top \mathbf{r}_{u,\Omega_u},

    where :math:`\Omega_u` are the items user :math:`u` rated. Pass ``ratings.T`` and
    the user factors to update the items instead.

    Parameters
    ----------
    ratings : array_like of shape (n_rows, n_cols)
        Ratings (already centred if you model biases separately); ``np.nan`` marks a
        missing rating.
    fixed : array_like of shape (n_cols, k)
        The factors of the columns, held fixed.
    reg : float
        Ridge penalty :math:`\lambda > 0` (it also makes every system solvable).

    Returns
    -------
    ndarray of shape (n_rows, k)
        The new row factors; a row with no observed rating gets zeros.

    Raises
    ------
    ValueError
        If the shapes do not match, ``fixed`` holds NaN/infinity, ``ratings`` holds
        infinity or ``reg`` is not positive.

    Notes
    -----
    Each row is an independent :math:`k \times k` solve (batched here into one call of
    ``numpy.linalg.solve``), which is why ALS parallelises so well (Spark MLlib, the
    ``implicit`` library). Alternating the two half-steps never increases

    .. math::

        \sum_{(u,i) \in \Omega} (r_{ui} - \mathbf{p}_u^\top \mathbf{q}_i)^2
        + \lambda \Bigl(\sum_u \lVert \mathbf{p}_u \rVert^2
        + \sum_i \lVert \mathbf{q}_i \rVert^2\Bigr),

    the penalty counted once per factor vector. (For a penalty counted once per rating,
    as in :class:`MatrixFactorization`, row :math:`u` would need
    :math:`\lambda |\Omega_u|` in place of :math:`\lambda`.)

    Examples
    --------
    >>> R = np.array([[5, np.nan], [1, 1]])
    >>> als_update(R, [[1.0], [2.0]], reg=1.0)
    array([[2.5],
           [0.5]])
    """
    R = as_array(ratings, "ratings", ndim=2, allow_nan=True)
    Q = as_matrix(fixed, "fixed")
    reg = check_scalar(reg, "reg", low=0, low_inclusive=False)
    if Q.shape[0] != R.shape[1]:
        raise ValueError(
            f"`fixed` must have one row per column of `ratings` ({R.shape[1]}), "
            f"got shape {Q.shape}"
        )
    k = Q.shape[1]
    seen = (~np.isnan(R)).astype(float)                # (n_rows, n_cols) mask
    # one k x k system per row, built for all rows at once: sum over observed columns
    lhs = np.einsum("uj,jk,jl->ukl", seen, Q, Q) + reg * np.eye(k)
    rhs = np.where(seen > 0, R, 0.0) @ Q               # (n_rows, k)
    return np.linalg.solve(lhs, rhs[:, :, None])[:, :, 0]  # zero rhs -> zero row

def _check_not_diverged(rmse: float, P: np.ndarray, Q: np.ndarray, epoch: int) -> None:
    """Raise if SGD blew up: a NaN/inf error or factors means the step is too large."""
    if not (np.isfinite(rmse) and np.isfinite(P).all() and np.isfinite(Q).all()):
        raise FloatingPointError(
            f"MatrixFactorization diverged in epoch {epoch + 1} (training error "
            f"{rmse}): reduce `lr` (or `reg`), or centre and scale the ratings"
        )
