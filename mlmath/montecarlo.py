r"""Chapter 5: Monte Carlo integration, importance sampling, normalising flows.

:func:`mc_integrate` (plain Monte Carlo with its standard error),
:func:`importance_sampling` (plain and self-normalised) with
:func:`effective_sample_size`, and two normalising flows: :class:`AffineFlow`
(exact, closed form) and :class:`TanhFlow` (a stack of monotone element-wise
layers fitted by maximum likelihood).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit, logsumexp

from ._validation import (
    as_array,
    as_float_array,
    as_result_array,
    as_vector,
    check_bool,
    check_callable,
    check_rng,
    check_scalar,
    warn_not_converged,
)

__all__ = [
    "MCResult",
    "mc_integrate",
    "ISResult",
    "importance_sampling",
    "effective_sample_size",
    "AffineFlow",
    "TanhFlow",
    "CVResult",
    "control_variates",
    "AffineCouplingFlow",
]

_LOG_2PI = np.log(2.0 * np.pi)


def _evaluate(
    f: Callable, x: np.ndarray, name: str, shape: tuple, *, log: bool = False
) -> np.ndarray:
    """Call a vectorised function and check that it returns one value per sample.

    Values must be finite; a log-density (``log=True``) may also be ``-inf``.
    """
    values = as_result_array(f(x), name)
    if values.shape != shape:
        raise ValueError(
            f"`{name}` must be vectorised: called on {len(x)} samples it must "
            f"return shape {shape}, got {values.shape}"
        )
    bad = np.isnan(values) | (values == np.inf) | (~log & (values == -np.inf))
    if np.any(bad):
        raise ValueError(
            f"`{name}` returned {values[bad][0]} at {np.sum(bad)} of {len(x)} "
            "samples; it must return finite values"
            + (" (or -inf for zero density)" if log else "")
        )
    return values


class MCResult(NamedTuple):
    """A Monte Carlo estimate and its standard error (floats, or arrays per repeat)."""

    estimate: float | np.ndarray
    stderr: float | np.ndarray


def mc_integrate(
    f: Callable[[np.ndarray], np.ndarray],
    a,
    b,
    n: int = 10_000,
    rng: np.random.Generator | int | None = None,
    n_repeats: int | None = None,
) -> MCResult:
    r"""Plain Monte Carlo estimate of :math:`\int_a^b f(x)\,dx` and its standard error.

    With :math:`X_i \sim U[a, b]` independent and :math:`V` the volume of the box,

    .. math::
        \hat I_n = \frac{V}{n}\sum_{i=1}^n f(X_i), \qquad
        \operatorname{se}(\hat I_n) = \frac{V s_n}{\sqrt{n}},

    with :math:`s_n` the sample standard deviation of the :math:`f(X_i)`.

    Parameters
    ----------
    f : callable
        Vectorised integrand: maps an array of points to an array of values, one
        per point (shape (n,) for scalar bounds, (n, d) -> (n,) for vector bounds).
    a, b : float or array_like of shape (d,)
        Lower and upper bounds of the interval (or box), ``a < b``.
    n : int, default 10_000
        Number of samples.
    rng : numpy.random.Generator, int or None
        Source of randomness.
    n_repeats : int, optional
        Run this many independent estimates at once (vectorised); the results are
        then arrays of shape (n_repeats,).

    Returns
    -------
    MCResult
        ``estimate`` and ``stderr``.

    Raises
    ------
    ValueError
        If ``a >= b`` somewhere, the bounds differ in shape, ``n < 2``, or ``f``
        does not return one value per sample.
    TypeError
        If ``f`` is not callable.

    Notes
    -----
    The standard error falls as :math:`1/\sqrt{n}` whatever the dimension (central
    limit theorem); the law of large numbers only says that the estimate converges.
    Quasi-Monte Carlo (``scipy.stats.qmc``) and control variates do better on
    smooth, low-dimensional integrands.

    Examples
    --------
    >>> est, se = mc_integrate(np.exp, 0.0, 1.0, n=100_000, rng=0)
    >>> round(est, 2), bool(abs(est - (np.e - 1)) < 3 * se)
    (1.72, True)
    >>> round(float(se * np.sqrt(100_000)), 2)    # per-sample standard deviation
    0.49
    """
    check_callable(f, "f")
    a, b = as_float_array(a, "a"), as_float_array(b, "b")
    if a.shape != b.shape or a.ndim > 1:
        raise ValueError(
            f"`a` and `b` must be two numbers or two 1-D arrays of the same shape, "
            f"got shapes {a.shape} and {b.shape}"
        )
    a, b = as_array(a, "a", ndim=a.ndim), as_array(b, "b", ndim=b.ndim)
    if np.any(a >= b):
        raise ValueError(f"`a` must be smaller than `b`, got a={a} and b={b}")
    n = check_scalar(n, "n", low=2, integer=True)
    rng = check_rng(rng)
    reps = (
        1
        if n_repeats is None
        else check_scalar(n_repeats, "n_repeats", low=1, integer=True)
    )
    with np.errstate(over="ignore"):
        volume = float(np.prod(b - a))
    if not np.isfinite(volume):
        raise ValueError(f"the box from `a` to `b` has infinite volume (a={a}, b={b})")
    x = a + (b - a) * rng.random((reps, n, *a.shape))
    values = _evaluate(f, x.reshape(reps * n, *a.shape), "f", (reps * n,))
    values = values.reshape(reps, n)
    estimate = volume * values.mean(axis=1)
    stderr = volume * values.std(axis=1, ddof=1) / np.sqrt(n)
    if n_repeats is None:
        return MCResult(float(estimate[0]), float(stderr[0]))
    return MCResult(estimate, stderr)


class ISResult(NamedTuple):
    """An importance-sampling estimate, its standard error and effective sample size."""

    estimate: float
    stderr: float
    ess: float


def effective_sample_size(log_w) -> float:
    r"""Kish's effective sample size :math:`(\sum_i w_i)^2 / \sum_i w_i^2`.

    Computed from log-weights (shift-invariant, so unnormalised weights are fine).

    Parameters
    ----------
    log_w : array_like of shape (n,)
        Logarithms of the importance weights; ``-inf`` (zero weight) is allowed.

    Returns
    -------
    float
        Between 1 (one weight dominates) and n (all weights equal).

    Raises
    ------
    ValueError
        If ``log_w`` is not 1-D, holds NaN or ``+inf``, or every weight is zero.

    Examples
    --------
    >>> round(effective_sample_size(np.zeros(100)), 10)
    100.0
    >>> round(effective_sample_size([0.0, 0.0, -np.inf, -np.inf]), 6)
    2.0
    """
    lw = as_float_array(log_w, "log_w")
    if lw.ndim != 1 or lw.size == 0:
        raise ValueError(f"`log_w` must be a non-empty 1-D array, got shape {lw.shape}")
    if np.any(np.isnan(lw)) or np.any(lw == np.inf):
        raise ValueError("`log_w` must not contain NaN or +inf")
    if np.all(lw == -np.inf):
        raise ValueError("`log_w` gives every sample zero weight")
    return float(np.exp(2.0 * logsumexp(lw) - logsumexp(2.0 * lw)))


def importance_sampling(
    f: Callable[[np.ndarray], np.ndarray],
    log_p: Callable[[np.ndarray], np.ndarray],
    sample_q: Callable[[int, np.random.Generator], np.ndarray],
    log_q: Callable[[np.ndarray], np.ndarray],
    n: int = 10_000,
    rng: np.random.Generator | int | None = None,
    self_normalized: bool = False,
) -> ISResult:
    r"""Estimate :math:`\E_p[f(X)]` with samples from a proposal :math:`q`.

    With :math:`X_i \sim q` and weights :math:`w_i = p(X_i)/q(X_i)`:

    - plain: :math:`\hat\mu = \frac1n \sum_i w_i f(X_i)` (unbiased; needs the
      normalised density :math:`p`);
    - self-normalised: :math:`\tilde\mu = \sum_i w_i f(X_i) / \sum_i w_i` (``p``
      may be known only up to a constant; slightly biased, consistent).

    Parameters
    ----------
    f : callable
        Vectorised function whose mean under ``p`` is wanted.
    log_p, log_q : callable
        Vectorised log-densities of the target and of the proposal.
    sample_q : callable
        ``sample_q(n, rng)`` returns ``n`` draws from the proposal.
    n : int, default 10_000
        Number of samples.
    rng : numpy.random.Generator, int or None
        Source of randomness, passed to ``sample_q``.
    self_normalized : bool, default False
        Use the self-normalised estimator.

    Returns
    -------
    ISResult
        ``estimate``, ``stderr`` (sample standard deviation of :math:`w_i f(X_i)`
        over :math:`\sqrt n`; for the self-normalised estimator its delta-method
        approximation) and ``ess`` (:func:`effective_sample_size` of the weights).

    Raises
    ------
    ValueError
        If ``n < 2`` or a callable does not return one value per sample.
    TypeError
        If an argument that must be callable is not.

    Notes
    -----
    The proposal must put mass wherever :math:`p f` does; the best proposal is
    proportional to :math:`p |f|`. A small ``ess`` warns of a poor proposal, but a
    large one does not prove a good one (weights can all be equally wrong).

    References
    ----------
    .. [1] A. B. Owen, *Monte Carlo Theory, Methods and Examples*, 2013, Ch. 9.

    Examples
    --------
    P(X > 4) for X ~ N(0, 1), sampling from N(4, 1):

    >>> from scipy.stats import norm
    >>> res = importance_sampling(
    ...     lambda x: (x > 4).astype(float), norm.logpdf,
    ...     lambda n, rng: rng.normal(4.0, 1.0, n), norm(4.0, 1.0).logpdf,
    ...     n=10_000, rng=1)
    >>> bool(abs(res.estimate - norm.sf(4)) < 3 * res.stderr)
    True
    >>> round(float(res.stderr / norm.sf(4)), 2)   # relative error: 2 per cent
    0.02
    """
    for func, name in (
        (f, "f"),
        (log_p, "log_p"),
        (sample_q, "sample_q"),
        (log_q, "log_q"),
    ):
        check_callable(func, name)
    n = check_scalar(n, "n", low=2, integer=True)
    rng = check_rng(rng)
    self_normalized = check_bool(self_normalized, "self_normalized")
    x = as_result_array(sample_q(n, rng), "sample_q")
    if not np.all(np.isfinite(x)):
        raise ValueError("`sample_q` returned NaN or infinite samples")
    if x.shape[:1] != (n,):
        raise ValueError(
            f"`sample_q(n, rng)` must return n={n} samples along the first axis, "
            f"got shape {x.shape}"
        )
    fx = _evaluate(f, x, "f", (n,))
    lp = _evaluate(log_p, x, "log_p", (n,), log=True)
    lq = _evaluate(log_q, x, "log_q", (n,), log=True)
    if np.any(lq == -np.inf):
        raise ValueError("`log_q` returned -inf at a sample drawn from `sample_q`")
    log_w = lp - lq
    if np.all(log_w == -np.inf):
        raise ValueError("`log_p` is -inf at every sample: every weight is zero")
    ess = effective_sample_size(log_w)
    if not self_normalized:
        with np.errstate(over="ignore"):
            terms = np.exp(log_w) * fx
        if not np.all(np.isfinite(terms)):
            raise ValueError(
                "the weights p/q overflow (log_p - log_q > 709 somewhere): use "
                "self_normalized=True, or a proposal closer to `p`"
            )
        return ISResult(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(n)), ess)
    w = np.exp(log_w - logsumexp(log_w))  # normalised weights, summing to 1
    estimate = float(np.sum(w * fx))
    stderr = float(np.sqrt(np.sum(w**2 * (fx - estimate) ** 2)))
    return ISResult(estimate, stderr, ess)


# ------------------------------------------------------------------ normalising flows


def _std_normal_logpdf(z: np.ndarray) -> np.ndarray:
    return -0.5 * (z**2 + _LOG_2PI)


class AffineFlow:
    r"""The affine flow :math:`x = a z + b` on a standard normal base.

    A scalar ``a`` with a scalar ``b`` is a 1-D flow; a scalar ``a`` with a vector
    ``b`` of length d acts on every coordinate (it is :math:`A = aI`); a matrix
    :math:`A` of shape (d, d) gives :math:`x = A z + b`, so
    :math:`x \sim N(b, A A^T)`.

    Parameters
    ----------
    a : float or array_like of shape (d, d)
        Scale (or matrix); must be invertible (non-zero).
    b : float or array_like of shape (d,)
        Shift.

    Raises
    ------
    ValueError
        If ``a`` is zero or singular, or the shapes of ``a`` and ``b`` do not fit.

    Notes
    -----
    Change of variables: :math:`\log p_X(x) = \log p_Z(z) - \log|\det J|` with
    :math:`z = A^{-1}(x - b)` and :math:`J = A` constant. An affine flow can only
    move and stretch a Gaussian; :class:`TanhFlow` bends it.

    References
    ----------
    .. [1] D. J. Rezende and S. Mohamed, "Variational Inference with Normalizing
       Flows", ICML 2015.

    Examples
    --------
    >>> flow = AffineFlow(2.0, 3.0)
    >>> round(float(flow.log_det_jacobian(0.0)), 4)     # log 2
    0.6931
    >>> x = flow.sample(200_000, rng=0)
    >>> round(float(x.mean()), 1), round(float(x.var()), 1)   # N(3, 4)
    (3.0, 4.0)
    >>> from scipy.stats import norm
    >>> bool(np.allclose(flow.log_prob([1.0, 3.0]), norm(3, 2).logpdf([1.0, 3.0])))
    True
    """

    def __init__(self, a, b) -> None:
        a, b = as_float_array(a, "a"), as_float_array(b, "b")
        if a.ndim == 0 and b.ndim == 1:  # a scalar scale on every coordinate
            if as_array(a, "a", ndim=0) == 0:
                raise ValueError("`a` must be non-zero (an invertible map), got 0")
            a = a * np.eye(b.size)
        if a.ndim == 0:
            a = as_array(a, "a", ndim=0)
            b = as_array(b, "b", ndim=0)
            if a == 0:
                raise ValueError("`a` must be non-zero (an invertible map), got 0")
            self.d, self._logdet = None, float(np.log(abs(a)))
        else:
            a = as_array(a, "a", ndim=2)
            b = as_vector(b, "b")
            if a.shape != (b.size, b.size):
                raise ValueError(
                    f"`a` must have shape ({b.size}, {b.size}) to match `b`, "
                    f"got {a.shape}"
                )
            sign, logdet = np.linalg.slogdet(a)
            if sign == 0 or not np.isfinite(logdet) or np.linalg.cond(a) > 1e12:
                raise ValueError("`a` must be an invertible matrix, got a singular one")
            self.d, self._logdet = b.size, float(logdet)
        self.a, self.b = a, b

    def _points(self, v, name: str) -> np.ndarray:
        v = as_array(v, name, allow_empty=True)
        if self.d is not None and (v.ndim == 0 or v.shape[-1] != self.d):
            raise ValueError(
                f"`{name}` must have last dimension {self.d}, got {v.shape}"
            )
        return v

    def forward(self, z) -> np.ndarray:
        """Map base samples to data space: ``x = a z + b``."""
        z = self._points(z, "z")
        return self.a * z + self.b if self.d is None else z @ self.a.T + self.b

    def inverse(self, x) -> np.ndarray:
        """Map data to base space: ``z = a^{-1} (x - b)``."""
        x = self._points(x, "x")
        if self.d is None:
            return (x - self.b) / self.a
        return np.linalg.solve(self.a, (x - self.b).T).T

    def log_det_jacobian(self, z) -> np.ndarray:
        r"""Log-determinant of the Jacobian, one (constant) value per point."""
        z = self._points(z, "z")
        return np.full(z.shape if self.d is None else z.shape[:-1], self._logdet)

    def log_prob(self, x) -> np.ndarray:
        """Log-density of the flow's distribution at ``x`` (change of variables)."""
        z = self.inverse(x)
        logp = _std_normal_logpdf(z)
        if self.d is not None:
            logp = logp.sum(axis=-1)
        return logp - self._logdet

    def sample(
        self, n: int, rng: np.random.Generator | int | None = None
    ) -> np.ndarray:
        """Draw ``n`` samples: shape (n,) for a scalar flow, (n, d) otherwise."""
        n = check_scalar(n, "n", low=1, integer=True)
        rng = check_rng(rng)
        shape = (n,) if self.d is None else (n, self.d)
        return self.forward(rng.standard_normal(shape))


def _softplus(v):
    return np.logaddexp(0.0, v)


class TanhFlow:
    r"""A 1-D flow: an affine map then ``n_layers`` monotone tanh layers.

    Written in the normalising direction (data :math:`x` to base :math:`z`):

    .. math::
        h_0 = (x - m)\, e^{-s}, \qquad
        h_k = h_{k-1} + a_k \tanh(b_k h_{k-1} + c_k), \qquad z = h_K,

    with :math:`b_k = e^{\beta_k} > 0` and :math:`a_k b_k = \operatorname{softplus}
    (r_k) - 1 > -1`, so each layer's derivative
    :math:`1 + a_k b_k \operatorname{sech}^2(\cdot)` is positive: every layer is
    strictly increasing, hence invertible. A layer with :math:`a_k b_k < 0` is
    flat near :math:`-c_k/b_k` and thins the density there, which is how the flow
    makes a Gaussian bimodal; an affine map cannot.

    Parameters
    ----------
    n_layers : int, default 4
        Number of tanh layers :math:`K`.
    params : array_like of shape (2 + 3 * n_layers,), optional
        Unconstrained parameters ``[m, s, beta_1, r_1, c_1, ...]``; by default the
        identity map with the layers' centres spread over [-1.5, 1.5].

    Raises
    ------
    ValueError
        If ``params`` has the wrong length or ``n_layers < 1``.

    Notes
    -----
    The density is exact: :math:`\log p(x) = \log \varphi(z) + \sum_k \log h_k'`.
    Sampling runs the layers backwards; a tanh layer has no closed-form inverse, so
    it is inverted by bisection (vectorised, to machine precision), which is why
    modern flows prefer layers with analytic inverses (affine coupling, splines).
    :meth:`fit` uses L-BFGS with the exact gradient, written out by hand
    (backpropagation through the layers); deep-learning libraries get the same
    gradient by automatic differentiation.

    References
    ----------
    .. [1] D. J. Rezende and S. Mohamed, "Variational Inference with Normalizing
       Flows", ICML 2015 (planar flows, of which each layer is a 1-D case).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(-2, 0.5, 600), rng.normal(1.5, 0.8, 400)])
    >>> flow = TanhFlow(n_layers=4).fit(x)
    >>> grid = np.linspace(-8, 8, 4001)
    >>> round(float(np.trapezoid(np.exp(flow.log_prob(grid)), grid)), 6)
    1.0
    >>> bool(np.allclose(flow.forward(flow.inverse(x)), x))
    True
    """

    def __init__(self, n_layers: int = 4, params=None) -> None:
        self.n_layers = check_scalar(n_layers, "n_layers", low=1, integer=True)
        size = 2 + 3 * self.n_layers
        if params is None:
            layers = np.column_stack(
                [
                    np.zeros(self.n_layers),  # beta: slope b = 1
                    np.full(self.n_layers, np.log(np.e - 1)),  # r: a b = 0, identity
                    np.linspace(-1.5, 1.5, self.n_layers),  # c: centres
                ]
            )
            params = np.concatenate([[0.0, 0.0], layers.ravel()])
        params = as_vector(params, "params")
        if params.size != size:
            raise ValueError(
                f"`params` must have length 2 + 3 * n_layers = {size}, "
                f"got {params.size}"
            )
        self.params = params
        self.nll_: float | None = None

    def _layers(self, params=None):
        p = self.params if params is None else params
        beta, r, c = p[2:].reshape(self.n_layers, 3).T
        b = np.exp(beta)
        return p[0], p[1], (_softplus(r) - 1.0) / b, b, c

    def _normalise(self, x: np.ndarray, params=None) -> tuple[np.ndarray, np.ndarray]:
        """Return ``z`` and ``log|dz/dx|`` for data ``x``."""
        m, s, a, b, c = self._layers(params)
        h = (x - m) * np.exp(-s)
        log_det = np.full(h.shape, -s)
        for ak, bk, ck in zip(a, b, c, strict=True):
            t = np.tanh(bk * h + ck)
            log_det += np.log1p(ak * bk * (1.0 - t**2))
            h = h + ak * t
        return h, log_det

    def _nll_and_grad(
        self, theta: np.ndarray, x: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood and its gradient (hand-written backprop)."""
        m, s, a, b, c = self._layers(theta)
        kappa = a * b  # = softplus(r) - 1
        hs, ts = [(x - m) * np.exp(-s)], []
        loss = s + 0.5 * _LOG_2PI
        for ak, bk, ck, kk in zip(a, b, c, kappa, strict=True):
            ts.append(np.tanh(bk * hs[-1] + ck))
            loss = loss - np.log1p(kk * (1.0 - ts[-1] ** 2))
            hs.append(hs[-1] + ak * ts[-1])
        loss = loss + 0.5 * hs[-1] ** 2
        grad = np.empty_like(theta)
        delta = hs[-1]  # d loss / d h, per point
        for k in reversed(range(self.n_layers)):
            h, t, bk, kk = hs[k], ts[k], b[k], kappa[k]
            sech2 = 1.0 - t**2
            one_g = 1.0 + kk * sech2
            e_u = 2.0 * kk * t * sech2 / one_g  # d(-log1p(g)) / du, u = b h + c
            g_kappa = delta * t / bk - sech2 / one_g
            g_b = delta * (kk / bk * sech2 * h - kk * t / bk**2) + e_u * h
            g_c = delta * kk / bk * sech2 + e_u
            r = theta[3 + 3 * k]
            grad[2 + 3 * k] = np.mean(g_b) * bk  # d b / d beta = b
            grad[3 + 3 * k] = np.mean(g_kappa) * expit(r)  # softplus' = sigmoid
            grad[4 + 3 * k] = np.mean(g_c)
            delta = delta * one_g + bk * e_u
        grad[0] = -np.mean(delta) * np.exp(-s)
        grad[1] = 1.0 - np.mean(delta * hs[0])
        return float(np.mean(loss)), grad

    def inverse(self, x) -> np.ndarray:
        """Map data to the base space (closed form)."""
        return self._normalise(as_array(x, "x", allow_empty=True))[0]

    def forward(self, z) -> np.ndarray:
        """Map base samples to data space (each tanh layer inverted by bisection)."""
        z = as_array(z, "z", allow_empty=True)
        m, s, a, b, c = self._layers()
        h = z
        for ak, bk, ck in zip(a[::-1], b[::-1], c[::-1], strict=True):
            # h_prev + ak tanh(bk h_prev + ck) = h, increasing in h_prev, and
            # |ak tanh| <= |ak| brackets the root in [h - |ak|, h + |ak|].
            lo, hi = h - abs(ak), h + abs(ak)
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                above = mid + ak * np.tanh(bk * mid + ck) > h
                lo, hi = np.where(above, lo, mid), np.where(above, mid, hi)
            h = 0.5 * (lo + hi)
        return m + np.exp(s) * h

    def log_det_jacobian(self, z) -> np.ndarray:
        r""":math:`\log|dx/dz|` at base points ``z`` (minus that of the inverse map)."""
        return -self._normalise(self.forward(z))[1]

    def log_prob(self, x) -> np.ndarray:
        """Exact log-density at ``x`` by the change of variables."""
        z, log_det = self._normalise(as_array(x, "x", allow_empty=True))
        return _std_normal_logpdf(z) + log_det

    def sample(
        self, n: int, rng: np.random.Generator | int | None = None
    ) -> np.ndarray:
        """Draw ``n`` samples of shape (n,)."""
        n = check_scalar(n, "n", low=1, integer=True)
        return self.forward(check_rng(rng).standard_normal(n))

    def fit(self, x, maxiter: int = 1000) -> TanhFlow:
        """Fit the parameters by maximum likelihood (L-BFGS-B).

        Starts from the data's mean and standard deviation and the current layer
        parameters and stops when an iteration lowers the mean negative
        log-likelihood by less than ``1e-8`` of its value; stores the final mean
        negative log-likelihood in ``nll_``, the iterations run in ``n_iter_`` and
        whether the optimiser met its tolerance in ``converged_``.

        Parameters
        ----------
        x : array_like of shape (n,)
            Data, at least two distinct values.
        maxiter : int, default 1000
            Iteration limit of the optimiser (the chapter's four-layer fit to
            1000 points needs about 530).

        Returns
        -------
        TanhFlow
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``x`` is not a finite 1-D array with two distinct values.

        Warns
        -----
        ConvergenceWarning
            If the optimiser stopped at ``maxiter`` iterations.
        """
        x = as_vector(x, "x")
        if np.ptp(x) == 0:
            raise ValueError("`x` must hold at least two distinct values")
        maxiter = check_scalar(maxiter, "maxiter", low=1, integer=True)
        start = self.params.copy()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            start[:2] = x.mean(), np.log(x.std())
        if not np.all(np.isfinite(start[:2])):
            raise ValueError(
                "`x` is too large or too small to fit in floating point (its standard "
                "deviation overflows or underflows); rescale it"
            )
        from scipy.optimize import minimize  # imported here: it costs 0.15 s to import

        res = minimize(
            self._nll_and_grad,
            start,
            args=(x,),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": maxiter, "ftol": 1e-8},
        )
        if not (np.isfinite(res.fun) and np.all(np.isfinite(res.x))):
            raise ValueError(
                "`x` is too large or too small to fit in floating point (the "
                "likelihood overflowed); rescale it, e.g. to unit standard deviation"
            )
        self.params, self.nll_ = res.x, float(res.fun)
        self.n_iter_, self.converged_ = int(res.nit), bool(res.success)
        if res.nit >= maxiter:
            warn_not_converged(
                f"TanhFlow.fit stopped at maxiter={maxiter} iterations before "
                "L-BFGS-B converged; increase `maxiter`"
            )
        return self


# ------------------------------------------------------------- variance reduction


class CVResult(NamedTuple):
    """A control-variate estimate, its standard error and the fitted coefficients."""

    estimate: float
    stderr: float
    coef: np.ndarray


def control_variates(f_values, g_values, g_mean) -> CVResult:
    r"""Monte Carlo mean of ``f_values`` corrected by control variates of known mean.

    With samples :math:`y_i = f(X_i)`, controls
    :math:`g_i = g(X_i) \in \mathbb{R}^k` and
    their known mean :math:`\gamma = \E[g(X)]`, the estimate is

    .. math::
        \hat\mu_{\mathrm{CV}} = \frac1n \sum_{i=1}^n \big(y_i - \hat\beta^\top
        (g_i - \gamma)\big),

    with :math:`\hat\beta` the least-squares coefficients of :math:`y` on
    :math:`g` (the sample version of :math:`\beta^* = \operatorname{Var}(g)^{-1}
    \operatorname{Cov}(g, y)`). Equivalently, :math:`\hat\mu_{\mathrm{CV}}` is the
    intercept of the regression of :math:`y` on :math:`g - \gamma`. The variance
    falls from :math:`\sigma^2/n` to :math:`\sigma^2 (1 - R^2)/n`, with :math:`R^2`
    the squared multiple correlation of :math:`y` and :math:`g`.

    Parameters
    ----------
    f_values : array_like of shape (n,)
        The values :math:`f(X_i)` whose mean is wanted.
    g_values : array_like of shape (n,) or (n, k)
        The controls :math:`g(X_i)`, evaluated at the same samples.
    g_mean : float or array_like of shape (k,)
        Their exact means :math:`\gamma`.

    Returns
    -------
    CVResult
        ``estimate``, ``stderr`` (the residual standard deviation, with
        :math:`k + 1` degrees of freedom removed, over :math:`\sqrt n`) and
        ``coef`` (:math:`\hat\beta`, shape (k,)).

    Raises
    ------
    ValueError
        If the shapes disagree, there are not more than ``k + 1`` samples, a value
        is NaN or infinite, or a control is constant (its coefficient is undefined).
    TypeError
        If an argument is not numeric.

    Notes
    -----
    Estimating :math:`\beta` from the same samples adds a bias of order
    :math:`1/n`, negligible next to the standard error for moderate ``n``
    (Owen 2013, Ch. 8).

    References
    ----------
    .. [1] A. B. Owen, *Monte Carlo Theory, Methods and Examples*, 2013, Ch. 8.

    Examples
    --------
    The integral of exp over [0, 1] with the control variate U (mean 1/2):

    >>> u = np.random.default_rng(0).random(10_000)
    >>> res = control_variates(np.exp(u), u, 0.5)
    >>> round(res.estimate, 4), round(res.stderr, 5), round(float(res.coef[0]), 3)
    (1.7184, 0.00063, 1.688)
    """
    y = as_vector(f_values, "f_values")
    g = as_array(g_values, "g_values")
    if g.ndim == 1:
        g = g[:, None]
    if g.ndim != 2 or g.shape[0] != y.shape[0]:
        raise ValueError(
            f"`g_values` must have shape (n,) or (n, k) with n = {y.shape[0]} "
            f"(the length of `f_values`), got shape {np.shape(g_values)}"
        )
    n, k = g.shape
    gamma = np.atleast_1d(as_array(g_mean, "g_mean"))
    if gamma.shape != (k,):
        raise ValueError(
            f"`g_mean` must be a number or an array of shape ({k},), got shape "
            f"{np.shape(g_mean)}"
        )
    if n <= k + 1:
        raise ValueError(f"need more than k + 1 = {k + 1} samples, got n = {n}")
    if np.any(np.ptp(g, axis=0) == 0):
        raise ValueError(
            "`g_values` has a constant column; its coefficient is undefined"
        )
    design = np.column_stack([np.ones(n), g - gamma])
    sol, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ sol
    stderr = float(np.sqrt(resid @ resid / (n - k - 1) / n))
    return CVResult(float(sol[0]), stderr, sol[1:])


# ----------------------------------------------------------- coupling-layer flows


class AffineCouplingFlow:
    r"""A 2-D normalising flow of affine coupling layers (RealNVP), fitted by ML.

    Written in the normalising direction (data :math:`x` to base :math:`z`). The
    data are first standardised, :math:`h^{(0)} = (x - m) / \sigma` per coordinate,
    with :math:`m, \sigma` fixed at :meth:`fit` to the data's mean and standard
    deviation. Layer :math:`k` keeps one coordinate :math:`c` (alternately the first
    and the second) and transforms the other, :math:`t = 1 - c`:

    .. math::
        h^{(k)}_c = h^{(k-1)}_c, \qquad
        h^{(k)}_t = h^{(k-1)}_t \, e^{s_k(h^{(k-1)}_c)} + t_k(h^{(k-1)}_c),

    where the scale :math:`s_k` and shift :math:`t_k` come from one hidden layer of
    ``n_hidden`` tanh units, :math:`u = \tanh(h_c v_k + c_k)`,
    :math:`s_k = a_k^\top u + \alpha_k`, :math:`t_k = b_k^\top u + \beta_k`.
    The Jacobian of a layer is triangular with diagonal
    :math:`(1, e^{s_k})`, so

    .. math::
        \log p(x) = \log \varphi_2(z) + \sum_k s_k - \sum_j \log \sigma_j ,

    and each layer inverts in closed form,
    :math:`h_t = (h^{(k)}_t - t_k) e^{-s_k}`.

    Parameters
    ----------
    n_layers : int, default 6
        Number of coupling layers (alternating the conditioning coordinate).
    n_hidden : int, default 16
        Hidden tanh units per layer.
    rng : numpy.random.Generator, int or None
        Source of the random initial hidden weights (the output weights start at
        zero, so the initial flow is the identity after standardisation).

    Attributes
    ----------
    params : ndarray of shape (n_layers * (4 * n_hidden + 2),)
        Per layer ``[v, c, a, alpha, b, beta]``.
    shift_, scale_ : ndarray of shape (2,)
        The standardisation, set by :meth:`fit`.
    nll_ : float
        Mean negative log-likelihood (nats per point) after :meth:`fit`.
    converged_ : bool
        Whether L-BFGS met its tolerance before ``maxiter`` (``False`` before
        :meth:`fit`).
    n_iter_ : int
        Number of L-BFGS iterations of the last :meth:`fit` (0 before it).

    Raises
    ------
    ValueError
        If ``n_layers`` or ``n_hidden`` is smaller than 1.

    Notes
    -----
    The gradient of the negative log-likelihood is hand-written backpropagation
    (:meth:`nll_and_grad`); :meth:`fit` hands it to SciPy's L-BFGS-B. If the
    optimiser stops at ``maxiter`` the fit warns (``ConvergenceWarning``) and
    ``converged_`` is ``False``. Deep-learning libraries compute the same gradient
    by automatic differentiation and use larger networks and stochastic gradients.

    References
    ----------
    .. [1] L. Dinh, J. Sohl-Dickstein and S. Bengio, "Density estimation using
       Real NVP", ICLR 2017.

    Examples
    --------
    Before fitting, the output weights are zero and the flow is the standard
    normal; the inverse is exact whatever the parameters:

    >>> flow = AffineCouplingFlow(n_layers=2, n_hidden=4, rng=0)
    >>> flow.n_params
    36
    >>> flow.log_prob([[0.0, 0.0]]).round(4).tolist()      # -log(2 pi)
    [-1.8379]
    >>> flow.params = flow.params + 0.3
    >>> x = np.random.default_rng(0).normal(size=(5, 2))
    >>> bool(np.allclose(flow.forward(flow.inverse(x)), x))
    True
    """

    def __init__(
        self,
        n_layers: int = 6,
        n_hidden: int = 16,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.n_layers = check_scalar(n_layers, "n_layers", low=1, integer=True)
        self.n_hidden = check_scalar(n_hidden, "n_hidden", low=1, integer=True)
        rng = check_rng(rng)
        H = self.n_hidden
        layers = np.zeros((self.n_layers, 4 * H + 2))
        layers[:, :H] = rng.standard_normal((self.n_layers, H))  # v
        layers[:, H : 2 * H] = rng.standard_normal((self.n_layers, H))  # c
        self.params = layers.ravel()
        self.shift_ = np.zeros(2)
        self.scale_ = np.ones(2)
        self.nll_: float | None = None
        self.converged_ = False  # set by fit
        self.n_iter_ = 0

    @property
    def n_params(self) -> int:
        """Number of trainable parameters."""
        return self.params.size

    def _unpack(self, params: np.ndarray):
        H = self.n_hidden
        for k, row in enumerate(params.reshape(self.n_layers, 4 * H + 2)):
            yield (
                k % 2,
                row[:H],
                row[H : 2 * H],
                row[2 * H : 3 * H],
                row[3 * H],
                row[3 * H + 1 : 4 * H + 1],
                row[4 * H + 1],
            )

    def _points(self, x, name: str) -> np.ndarray:
        x = as_array(x, name, ndim=2)
        if x.shape[1] != 2:
            raise ValueError(f"`{name}` must have shape (n, 2), got {x.shape}")
        return x

    def _normalise(self, x: np.ndarray, params=None):
        """Map data to the base space; return z, log|det dz/dx| and the cache."""
        p = self.params if params is None else params
        h = (x - self.shift_) / self.scale_
        log_det = np.full(len(x), -np.sum(np.log(self.scale_)))
        cache = []
        for c, v, cc, a, alpha, b, beta in self._unpack(p):
            t = 1 - c
            u = np.tanh(np.outer(h[:, c], v) + cc)
            s, shift = u @ a + alpha, u @ b + beta
            cache.append((h, u, s))
            h = h.copy()
            h[:, t] = h[:, t] * np.exp(s) + shift
            log_det += s
        return h, log_det, cache

    def inverse(self, x) -> np.ndarray:
        """Map data points of shape (n, 2) to the base space (closed form)."""
        return self._normalise(self._points(x, "x"))[0]

    def forward(self, z) -> np.ndarray:
        """Map base points of shape (n, 2) to data space (closed form)."""
        h = self._points(z, "z").copy()
        for c, v, cc, a, alpha, b, beta in reversed(list(self._unpack(self.params))):
            t = 1 - c
            u = np.tanh(np.outer(h[:, c], v) + cc)
            h[:, t] = (h[:, t] - (u @ b + beta)) * np.exp(-(u @ a + alpha))
        return self.shift_ + self.scale_ * h

    def log_prob(self, x) -> np.ndarray:
        """Exact log-density at points of shape (n, 2), by the change of variables."""
        z, log_det, _ = self._normalise(self._points(x, "x"))
        return -0.5 * np.sum(z**2, axis=1) - _LOG_2PI + log_det

    def sample(
        self, n: int, rng: np.random.Generator | int | None = None
    ) -> np.ndarray:
        """Draw ``n`` samples, shape (n, 2)."""
        n = check_scalar(n, "n", low=1, integer=True)
        return self.forward(check_rng(rng).standard_normal((n, 2)))

    def nll_and_grad(self, params, x) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood of ``x`` and its gradient in ``params``.

        Parameters
        ----------
        params : array_like of shape (n_params,)
            Parameters at which to evaluate.
        x : array_like of shape (n, 2)
            Data in the original units; they are standardised inside with the
            current ``shift_`` and ``scale_``.

        Returns
        -------
        nll : float
            Mean negative log-likelihood in nats per point.
        grad : ndarray of shape (n_params,)
            Its gradient (hand-written backpropagation through the layers).
        """
        params = as_vector(params, "params")
        if params.size != self.n_params:
            raise ValueError(
                f"`params` must have length {self.n_params}, got {params.size}"
            )
        x = self._points(x, "x")
        n, H = len(x), self.n_hidden
        z, log_det, cache = self._normalise(x, params)
        nll = float(np.mean(0.5 * np.sum(z**2, axis=1) + _LOG_2PI - log_det))
        grad = np.empty((self.n_layers, 4 * H + 2))
        delta = z / n  # d nll / d h, per point
        layers = list(self._unpack(params))
        for k in reversed(range(self.n_layers)):
            c, v, cc, a, alpha, b, beta = layers[k]
            t = 1 - c
            h, u, s = cache[k]
            g_out = delta[:, t]
            g_s = g_out * h[:, t] * np.exp(s) - 1.0 / n
            g_shift = g_out
            g_pre = (np.outer(g_s, a) + np.outer(g_shift, b)) * (1.0 - u**2)
            grad[k, :H] = h[:, c] @ g_pre
            grad[k, H : 2 * H] = g_pre.sum(axis=0)
            grad[k, 2 * H : 3 * H] = u.T @ g_s
            grad[k, 3 * H] = g_s.sum()
            grad[k, 3 * H + 1 : 4 * H + 1] = u.T @ g_shift
            grad[k, 4 * H + 1] = g_shift.sum()
            new = np.empty_like(delta)
            new[:, c] = delta[:, c] + g_pre @ v
            new[:, t] = g_out * np.exp(s)
            delta = new
        return nll, grad.ravel()

    def fit(self, x, maxiter: int = 1000, tol: float = 1e-7) -> AffineCouplingFlow:
        """Fit by maximum likelihood with L-BFGS-B and the analytic gradient.

        Sets ``shift_`` and ``scale_`` to the data's mean and standard deviation,
        then minimises the mean negative log-likelihood from the current
        ``params``.

        Parameters
        ----------
        x : array_like of shape (n, 2)
            Data, at least two distinct values in each coordinate.
        maxiter : int, default 1000
            Iteration limit of the optimiser.
        tol : float, default 1e-7
            Stop when an iteration lowers the mean negative log-likelihood by less
            than ``tol`` relative to its size (L-BFGS-B's ``ftol``), or when the
            largest gradient component falls below ``tol`` (``gtol``).

        Returns
        -------
        AffineCouplingFlow
            ``self``, fitted; see ``nll_``, ``converged_`` and ``n_iter_``.

        Raises
        ------
        ValueError
            If ``x`` is not a finite (n, 2) array or a coordinate is constant.

        Warns
        -----
        ConvergenceWarning
            If the optimiser stops without converging (at ``maxiter``, or when its
            line search fails).
        """
        x = self._points(x, "x")
        if np.any(np.ptp(x, axis=0) == 0):
            raise ValueError("`x` must not have a constant coordinate")
        maxiter = check_scalar(maxiter, "maxiter", low=1, integer=True)
        tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
        self.shift_, self.scale_ = x.mean(axis=0), x.std(axis=0)
        from scipy.optimize import minimize  # imported here: it costs 0.15 s to import

        res = minimize(
            self.nll_and_grad,
            self.params,
            args=(x,),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": maxiter, "ftol": tol, "gtol": tol},
        )
        self.params, self.nll_ = res.x, float(res.fun)
        self.converged_, self.n_iter_ = bool(res.success), int(res.nit)
        if not self.converged_:
            warn_not_converged(
                f"AffineCouplingFlow.fit stopped after {res.nit} iterations without "
                f"converging ({res.message})"
                + ("; raise `maxiter`" if res.nit >= maxiter else "")
            )
        return self
