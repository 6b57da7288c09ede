r"""Chapter 3: optimisation (Lagrange multipliers, the SVM dual, ADMM).

An equality-constrained quadratic programme solved through its KKT system, a support
vector machine trained on its dual by sequential minimal optimisation, and the
alternating direction method of multipliers for the lasso, centralised and split across
workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
from numpy.typing import ArrayLike

from ._validation import (
    as_array,
    as_matrix,
    as_vector,
    check_bool,
    check_scalar,
    warn_not_converged,
)

__all__ = [
    "solve_equality_qp",
    "SVM",
    "soft_threshold",
    "ADMMResult",
    "admm_lasso",
    "consensus_admm_lasso",
    "lasso_path",
]


def solve_equality_qp(
    P: ArrayLike, q: ArrayLike, A: ArrayLike, b: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    r"""Minimise :math:`\tfrac12 x^\top P x + q^\top x` subject to :math:`Ax = b`.

    With the Lagrangian :math:`L(x, \lambda) = \tfrac12 x^\top P x + q^\top x +
    \lambda^\top (Ax - b)`, the optimality (KKT) conditions are linear:

    .. math::

        \begin{pmatrix} P & A^\top \\ A & 0 \end{pmatrix}
        \begin{pmatrix} x \\ \lambda \end{pmatrix} =
        \begin{pmatrix} -q \\ b \end{pmatrix}.

    Parameters
    ----------
    P : array_like of shape (n, n)
        Symmetric; positive definite on the null space of ``A`` for a unique minimum.
    q : array_like of shape (n,)
    A : array_like of shape (m, n)
        Constraint matrix with full row rank :math:`m \le n`.
    b : array_like of shape (m,)

    Returns
    -------
    x : ndarray of shape (n,)
        The minimiser.
    lam : ndarray of shape (m,)
        The Lagrange multipliers, with the sign convention above.

    Raises
    ------
    ValueError
        If the shapes do not fit, ``P`` is not symmetric, the KKT matrix is
        singular (dependent constraints), or ``P`` is not positive definite on the
        null space of ``A`` (the stationary point is then a maximum or a saddle and
        the problem has no minimum).

    Notes
    -----
    ``P``, ``q`` and each row of ``A`` and ``b`` are divided by their largest entry
    before the solve (this changes neither :math:`x` nor the problem), so the
    conditioning test does not refuse problems that are merely badly scaled.
    One dense solve of size :math:`n + m`, :math:`O((n + m)^3)`. The KKT matrix is
    symmetric but indefinite, so a Cholesky factorisation does not apply; large sparse
    problems use an :math:`LDL^\top` factorisation or a null-space method
    :cite:`nocedal2006numerical`.

    Examples
    --------
    Minimise :math:`x^2 + y^2` subject to :math:`x + y = 1`, i.e. :math:`P = 2I`:

    >>> x, lam = solve_equality_qp(2 * np.eye(2), [0.0, 0.0], [[1.0, 1.0]], [1.0])
    >>> x
    array([0.5, 0.5])
    >>> lam  # grad f = -lam * grad g at the optimum: (1, 1) = -(-1) * (1, 1)
    array([-1.])
    >>> float(x @ x)
    0.5
    """
    P = as_matrix(P, "P")
    q = as_vector(q, "q")
    A = as_matrix(A, "A")
    b = as_array(b, "b", ndim=1)
    n, m = q.size, A.shape[0]
    if P.shape != (n, n):
        raise ValueError(f"`P` must have shape ({n}, {n}) to match `q`, got {P.shape}")
    if not np.allclose(P, P.T, rtol=1e-10, atol=1e-12):
        raise ValueError("`P` must be symmetric")
    if A.shape[1] != n or b.size != m:
        raise ValueError(
            f"`A` must have shape (m, {n}) and `b` shape (m,), got {A.shape} and "
            f"{b.shape}"
        )
    sP, P, q, rows, A, b = _equilibrate(P, q, A, b)
    kkt = np.block([[P, A.T], [A, np.zeros((m, m))]])
    try:
        sol = sla.solve(kkt, np.concatenate([-q, b]), assume_a="sym")
    except (sla.LinAlgError, sla.LinAlgWarning):
        sol = None
    if sol is None or not np.all(np.isfinite(sol)) or np.linalg.cond(kkt) > 1e12:
        raise ValueError(
            "the KKT matrix is singular: the rows of `A` must be independent and `P` "
            "positive definite on the null space of `A`"
        )
    _check_minimum(P, A)
    return sol[:n], sP * sol[n:] / rows


def _equilibrate(P, q, A, b):
    """Divide ``P, q`` by ``max|P|`` and each constraint row by its largest entry."""
    rows = np.max(np.abs(A), axis=1)
    if np.any(rows == 0):
        raise ValueError(
            f"`A` must not have zero rows (row {int(np.argmin(rows))} constrains "
            "nothing): the rows of `A` must be independent"
        )
    sP = float(np.max(np.abs(P))) or 1.0
    return sP, P / sP, q / sP, rows, A / rows[:, None], b / rows


def _check_minimum(P: np.ndarray, A: np.ndarray) -> None:
    """Raise unless ``Z^T P Z`` is positive definite, Z a basis of null(A)."""
    Z = sla.null_space(A)
    if Z.shape[1] == 0:
        return
    lowest = float(np.linalg.eigvalsh(Z.T @ P @ Z)[0])
    if lowest <= 1e-12 * max(1.0, float(np.max(np.abs(P)))):
        raise ValueError(
            "`P` must be positive definite on the null space of `A`: the smallest "
            f"curvature along the constraints is {lowest:.3g} (relative to max|P|), "
            "so the stationary point is not a minimum (the problem is unbounded "
            "below, or its minimiser is not unique)"
        )


def _check_labels(y: ArrayLike, n: int) -> np.ndarray:
    y = as_array(y, "y", ndim=1)
    if y.size != n:
        raise ValueError(f"`y` must have one label per row of `X` ({n}), got {y.size}")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"`y` must hold labels -1 and +1 only, got {np.unique(y)}")
    if np.unique(y).size < 2:
        raise ValueError("`y` must contain both classes -1 and +1")
    return y


class SVM:
    r"""Soft-margin support vector machine trained on its dual by SMO.

    Solves the dual problem

    .. math::

        \max_\alpha \sum_i \alpha_i - \tfrac12 \alpha^\top Q \alpha,
        \qquad Q_{ij} = y_i y_j K(x_i, x_j),
        \qquad 0 \le \alpha_i \le C, \quad \sum_i \alpha_i y_i = 0,

    whose gradient is :math:`1 - Q\alpha`. Each step of sequential minimal optimisation
    (SMO) picks the pair :math:`(i, j)` that violates the optimality conditions most
    (second-order working-set selection) and solves the two-variable subproblem
    exactly, moving :math:`\alpha_i` by :math:`+y_i t` and :math:`\alpha_j` by
    :math:`-y_j t`, which keeps :math:`\sum_i \alpha_i y_i = 0`.

    Parameters
    ----------
    C : float, default 1.0
        Box bound: the price of a margin violation. Must be positive.
    kernel : {"linear", "rbf"}, default "linear"
        :math:`K(x, x') = x^\top x'` or :math:`\exp(-\gamma \norm{x - x'}^2)`.
    gamma : float, default 1.0
        Width parameter of the RBF kernel. Must be positive.
    tol : float, default 1e-8
        Stop when the maximal KKT violation :math:`m(\alpha) - M(\alpha)` is below
        ``tol``.
    max_iter : int, default 100_000

    Attributes
    ----------
    alpha_ : ndarray of shape (n,)
        The dual variables.
    b_ : float
        The bias.
    support_ : ndarray of int
        Indices of the support vectors, :math:`\alpha_i > 10^{-8} \max_j \alpha_j`
        (relative to the largest :math:`\alpha`, not to :math:`C`, which may be
        huge in the hard-margin limit).
    w_ : ndarray of shape (d,)
        :math:`\sum_i \alpha_i y_i x_i` (linear kernel only).
    n_iter_ : int
        SMO steps taken.
    converged_ : bool
        ``False`` if ``max_iter`` steps ran before the KKT gap fell below ``tol``
        (a :class:`~mlmath.ConvergenceWarning` is then issued).

    Notes
    -----
    The bias comes from the *margin* support vectors (:math:`0 < \alpha_i < C`), for
    which :math:`y_i f(x_i) = 1` holds exactly; it is their average. Vectors with
    :math:`\alpha_i = C` may lie inside the margin and would bias it. If there is no
    margin support vector, the midpoint of the interval allowed by the KKT conditions is
    used, as LIBSVM does.

    Why SMO and not a general solver such as SLSQP: the two-variable step is exact and
    lands on the bounds exactly, so :math:`\alpha_i = 0` comes out as 0.0, not 1e-9;
    each step costs :math:`O(n)` with the kernel matrix cached, and the stopping rule is
    the KKT gap itself. The Gram matrix costs :math:`O(n^2)` memory, so this is for a
    few thousand points; LIBSVM (behind scikit-learn's ``SVC``) runs the same algorithm
    with a kernel cache, shrinking and compiled loops.

    References
    ----------
    .. [1] Cortes, C. and Vapnik, V. (1995). Support-vector networks. Machine Learning
       20, 273-297.
    .. [2] Fan, R.-E., Chen, P.-H. and Lin, C.-J. (2005). Working set selection using
       second order information for training SVM. JMLR 6, 1889-1918.

    Examples
    --------
    Two points per class; the maximum-margin boundary is the line :math:`x_2 = 1`:

    >>> X = np.array([[1.0, 2.0], [2.0, 3.0], [0.0, 0.0], [1.0, 0.0]])
    >>> y = np.array([1, 1, -1, -1])
    >>> svm = SVM(C=1.0).fit(X, y)
    >>> svm.alpha_
    array([0.5, 0. , 0. , 0.5])
    >>> svm.w_, svm.b_
    (array([0., 1.]), -1.0)
    >>> 2 / float(np.linalg.norm(svm.w_))  # margin width
    2.0
    >>> svm.decision_function(X)  # (0, 0) is on the margin, with alpha = 0
    array([ 1.,  2., -1., -1.])
    >>> svm.support_
    array([0, 3])
    """

    def __init__(
        self,
        C: float = 1.0,
        kernel: str = "linear",
        gamma: float = 1.0,
        *,
        tol: float = 1e-8,
        max_iter: int = 100_000,
    ) -> None:
        self.C = check_scalar(C, "C", low=0, low_inclusive=False)
        if kernel not in ("linear", "rbf"):
            raise ValueError(f"`kernel` must be 'linear' or 'rbf', got {kernel!r}")
        self.kernel = kernel
        self.gamma = check_scalar(gamma, "gamma", low=0, low_inclusive=False)
        self.tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
        self.max_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)

    def _kernel(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        G = X1 @ X2.T
        if self.kernel == "linear":
            return G
        sq = np.sum(X1**2, axis=1)[:, None] + np.sum(X2**2, axis=1)[None, :] - 2 * G
        return np.exp(-self.gamma * np.maximum(sq, 0.0))

    def fit(self, X: ArrayLike, y: ArrayLike) -> SVM:
        """Solve the dual for ``X`` of shape (n, d) and labels ``y`` in {-1, +1}.

        Parameters
        ----------
        X : array_like of shape (n, d)
        y : array_like of shape (n,)

        Returns
        -------
        self : SVM
        """
        X = as_matrix(X, "X")
        y = _check_labels(y, X.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):
            K = self._kernel(X, X)
        if not np.all(np.isfinite(K)):
            raise ValueError(
                "the kernel matrix of `X` overflows (entries too large): "
                "standardise `X` first"
            )
        alpha, C = np.zeros(X.shape[0]), self.C
        grad = -np.ones(X.shape[0])  # gradient of 1/2 a'Qa - sum(a), i.e. -(1 - Qa)
        diag = np.diag(K)
        for it in range(1, self.max_iter + 1):  # noqa: B007 (it is n_iter_)
            score = -y * grad
            up = ((y > 0) & (alpha < C)) | ((y < 0) & (alpha > 0))
            low = ((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < C))
            i = np.flatnonzero(up)[np.argmax(score[up])]
            gap = score[i] - score[low]  # b_ij > 0 for violating pairs
            if gap.max() < self.tol:
                break
            curv = np.maximum(diag[i] + diag[low] - 2 * K[i, low], 1e-12)
            cand = np.where(gap > 0, -(gap**2) / curv, np.inf)
            j = np.flatnonzero(low)[np.argmin(cand)]
            t = gap[np.argmin(cand)] / curv[np.argmin(cand)]
            t = min(t, C - alpha[i] if y[i] > 0 else alpha[i])
            t = min(t, alpha[j] if y[j] > 0 else C - alpha[j])
            alpha[i] += y[i] * t
            alpha[j] -= y[j] * t
            grad += t * y * (K[:, i] - K[:, j])
        else:
            warn_not_converged(
                f"SVM: SMO stopped at max_iter={self.max_iter} with KKT gap "
                f"{gap.max():.3g} > tol={self.tol:g}; increase `max_iter`"
            )
        self.n_iter_, self.converged_ = it, bool(gap.max() < self.tol)
        self.alpha_ = np.clip(alpha, 0.0, C)
        self.b_ = self._bias(y, grad, up, low)
        self.support_ = np.flatnonzero(self.alpha_ > self._sv_threshold())
        self._X_sv, self._coef = X[self.support_], (self.alpha_ * y)[self.support_]
        if self.kernel == "linear":
            self.w_ = self._coef @ self._X_sv
        return self

    def _sv_threshold(self) -> float:
        return 1e-8 * float(self.alpha_.max())

    def _bias(self, y, grad, up, low) -> float:
        free = (self.alpha_ > self._sv_threshold()) & (
            self.alpha_ < self.C * (1 - 1e-8)
        )
        if free.any():  # y_s f(x_s) = 1  <=>  b = -y_s * grad_s
            return float(np.mean(-y[free] * grad[free]))
        score = -y * grad
        return float((score[up].max() + score[low].min()) / 2)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        r"""Signed score :math:`f(x) = \sum_{i \in SV} \alpha_i y_i K(x_i, x) + b`.

        Parameters
        ----------
        X : array_like of shape (m, d)

        Returns
        -------
        ndarray of shape (m,)
            :math:`|f(x)| = 1` on the margin.
        """
        if not hasattr(self, "alpha_"):
            raise ValueError("this SVM is not fitted yet: call `fit(X, y)` first")
        X = as_matrix(X, "X")
        if X.shape[1] != self._X_sv.shape[1]:
            raise ValueError(
                f"`X` must have {self._X_sv.shape[1]} columns, got {X.shape[1]}"
            )
        return self._kernel(X, self._X_sv) @ self._coef + self.b_

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted labels in {-1, +1} (the sign of :meth:`decision_function`)."""
        return np.where(self.decision_function(X) >= 0, 1, -1)


def soft_threshold(v: ArrayLike, kappa: float) -> np.ndarray:
    r"""Soft-thresholding, the proximal operator of the absolute value.

    :math:`S_\kappa(v) = \operatorname{sign}(v)\max(|v| - \kappa, 0)` elementwise: the
    minimiser of :math:`\kappa |x| + \tfrac12 (x - v)^2` over :math:`x`.

    Parameters
    ----------
    v : array_like of any shape
    kappa : float
        Threshold, non-negative.

    Returns
    -------
    ndarray of the same shape as ``v``
        Entries with :math:`|v_i| \le \kappa` are exactly 0; the others move
        :math:`\kappa` towards 0.

    Examples
    --------
    >>> soft_threshold([-3.0, -0.5, 0.0, 0.2, 2.0], 1.0)
    array([-2.,  0.,  0.,  0.,  1.])
    """
    v = as_array(v, "v", allow_empty=True)
    kappa = check_scalar(kappa, "kappa", low=0)
    return _soft_threshold(v, kappa)


def _soft_threshold(v: np.ndarray, kappa: float) -> np.ndarray:
    return v - np.clip(v, -kappa, kappa)  # = sign(v) max(|v| - kappa, 0), no -0.0


@dataclass
class ADMMResult:
    r"""What :func:`admm_lasso` and :func:`consensus_admm_lasso` return.

    Attributes
    ----------
    x : ndarray of shape (d,)
        The solution: the z-iterate, exactly sparse (soft-thresholding makes zeros).
    n_iter : int
        Iterations run.
    converged : bool
        ``True`` if both residuals fell below their tolerances; ``False`` if the run
        stopped at ``max_iter``.
    r_norm, s_norm : ndarray of shape (n_iter,)
        Primal residual :math:`\lVert x - z \rVert` and dual residual
        :math:`\rho \lVert z - z_{\mathrm{old}} \rVert` at each iteration.
    eps_pri, eps_dual : ndarray of shape (n_iter,)
        The stopping tolerances at each iteration.
    rho : float
        The final penalty parameter.
    """

    x: np.ndarray
    n_iter: int
    converged: bool
    r_norm: np.ndarray = field(repr=False)
    s_norm: np.ndarray = field(repr=False)
    eps_pri: np.ndarray = field(repr=False)
    eps_dual: np.ndarray = field(repr=False)
    rho: float = 1.0

    @property
    def nnz(self) -> int:
        """Number of non-zero coefficients of ``x``."""
        return int(np.count_nonzero(self.x))


def _check_lasso(A, b, lam, rho, max_iter, abstol, reltol):
    A = as_matrix(A, "A")
    b = as_vector(b, "b")
    if b.size != A.shape[0]:
        raise ValueError(
            f"`b` must have one entry per row of `A` ({A.shape[0]}), got {b.size}"
        )
    lam = check_scalar(lam, "lam", low=0)
    rho = check_scalar(rho, "rho", low=0, low_inclusive=False)
    max_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
    abstol = check_scalar(abstol, "abstol", low=0, low_inclusive=False)
    reltol = check_scalar(reltol, "reltol", low=0)
    return A, b, lam, rho, max_iter, abstol, reltol


def _factor(G: np.ndarray | None, A: np.ndarray, rho: float):
    """Cholesky factor for the x-update; ``G = A'A`` (d x d) or, for wide A, n x n."""
    with np.errstate(over="ignore", invalid="ignore"):
        M = G + rho * np.eye(G.shape[0]) if G is not None else (
            np.eye(A.shape[0]) + (A @ A.T) / rho
        )
    try:
        if not np.all(np.isfinite(M)):
            raise sla.LinAlgError
        return sla.cho_factor(M, check_finite=False)
    except sla.LinAlgError:
        raise ValueError(
            f"cannot factor A'A + rho I with rho={rho:.3g}: `A` is too large (its "
            "products overflow; rescale `A` and `b`) or `rho` too small relative to "
            "A'A; use a larger `rho`"
        ) from None


def _check_finite_iterate(x: np.ndarray, rho: float) -> None:
    if not np.all(np.isfinite(x)):
        raise FloatingPointError(
            f"ADMM diverged (rho={rho:.3g}): rescale `A` and `b`, or change `rho`"
        )


def _result(z, hist, converged: bool, rho: float, max_iter: int) -> ADMMResult:
    """Pack the history; warn if the run stopped at ``max_iter``."""
    if not converged:
        warn_not_converged(
            f"ADMM stopped at max_iter={max_iter} before the residuals met their "
            "tolerances; increase `max_iter` or loosen `abstol`/`reltol`",
            stacklevel=4,
        )
    hist = np.array(hist, dtype=float).reshape(-1, 4)
    return ADMMResult(z, len(hist), converged, *hist.T, rho=float(rho))


def _cho_solve(factor, q: np.ndarray) -> np.ndarray:
    """``scipy.linalg.cho_solve`` as a bare LAPACK ``potrs`` call (less overhead)."""
    x, _ = sla.lapack.dpotrs(factor[0], q, lower=factor[1])
    return x


def _x_update(A: np.ndarray, factor, rho: float, q: np.ndarray) -> np.ndarray:
    """Solve (A'A + rho I) x = q with the cached factor (matrix inversion lemma)."""
    if A.shape[0] >= A.shape[1]:
        return _cho_solve(factor, q)
    return q / rho - (A.T @ _cho_solve(factor, A @ q)) / rho**2


def _norm(v: np.ndarray) -> float:
    return float(np.sqrt(v @ v))


def _gram(A: np.ndarray) -> np.ndarray | None:
    return A.T @ A if A.shape[0] >= A.shape[1] else None


def admm_lasso(
    A: ArrayLike,
    b: ArrayLike,
    lam: float,
    rho: float = 1.0,
    *,
    max_iter: int = 5000,
    abstol: float = 1e-6,
    reltol: float = 1e-5,
    over_relaxation: float = 1.0,
    adaptive_rho: bool = True,
    z0: ArrayLike | None = None,
) -> ADMMResult:
    r"""Lasso :math:`\min_x \tfrac12 \norm{Ax - b}^2 + \lambda \norm{x}_1` by ADMM.

    Splits the problem as :math:`f(x) + g(z)` with :math:`x = z` and iterates
    (scaled form, :math:`u = y / \rho`)

    .. math::

        x &\leftarrow (A^\top A + \rho I)^{-1} (A^\top b + \rho (z - u)) \\
        z &\leftarrow S_{\lambda/\rho}(x + u) \\
        u &\leftarrow u + x - z

    until the primal residual :math:`r = \norm{x - z}` and the dual residual
    :math:`s = \rho \norm{z - z_{\mathrm{old}}}` are below
    :math:`\epsilon_{\mathrm{pri}} = \sqrt{d}\,\epsilon_{\mathrm{abs}} +
    \epsilon_{\mathrm{rel}} \max(\norm{x}, \norm{z})` and
    :math:`\epsilon_{\mathrm{dual}} = \sqrt{d}\,\epsilon_{\mathrm{abs}} +
    \epsilon_{\mathrm{rel}} \norm{\rho u}` (Boyd et al. 2011, section 3.3).

    Parameters
    ----------
    A : array_like of shape (n, d)
    b : array_like of shape (n,)
    lam : float
        Regularisation strength :math:`\lambda \ge 0`.
    rho : float, default 1.0
        Penalty parameter :math:`\rho > 0` (the starting value if ``adaptive_rho``).
    max_iter : int, default 5000
    abstol, reltol : float, default 1e-6 and 1e-5
        Absolute and relative tolerances of the stopping rule. Boyd et al. suggest
        1e-4 and 1e-2 for a rough answer; the defaults give coefficients correct to
        about 1e-5.
    over_relaxation : float, default 1.0
        :math:`\alpha` in (0, 2): the z- and u-updates use
        :math:`\alpha x + (1 - \alpha) z_{\mathrm{old}}` in place of :math:`x`;
        1.5 to 1.8 sometimes saves iterations.
    adaptive_rho : bool, default True
        Residual balancing: every 10 iterations compute
        :math:`\rho \sqrt{(r / \max(\norm{x}, \norm{z})) / (s / \norm{\rho u})}`,
        the :math:`\rho` that would balance the relative residuals, and switch to it
        (rescaling :math:`u` and refactoring) if it differs from :math:`\rho` by more
        than a factor 5. Removes the need to guess :math:`\rho`; set ``False`` for
        the textbook iteration with a fixed :math:`\rho`.
    z0 : array_like of shape (d,), optional
        Starting point (warm start); zeros by default.

    Returns
    -------
    ADMMResult
        ``x`` is the exactly sparse z-iterate; ``converged`` is ``False`` if the
        residuals were still above tolerance after ``max_iter`` iterations.

    Raises
    ------
    ValueError
        If shapes do not match, ``lam < 0``, ``rho <= 0``, a tolerance is out of range
        or ``over_relaxation`` is not in (0, 2), or :math:`A^\top A + \rho I` cannot
        be factored (overflow, or ``rho`` too small).
    FloatingPointError
        If the iterates overflow (the message names ``rho`` and the scaling).

    Warns
    -----
    ConvergenceWarning
        If ``max_iter`` is reached (``converged`` is then ``False``).

    Notes
    -----
    :math:`A^\top A + \rho I` is factored once (Cholesky, :math:`O(nd^2 + d^3)`) and
    each iteration costs two triangular solves, :math:`O(d^2)`; for wide :math:`A`
    (:math:`n < d`) the :math:`n \times n` matrix :math:`I + AA^\top/\rho` is factored
    instead (matrix inversion lemma). A new :math:`\rho` means a new factorisation,
    which is why the adaptive rule changes it rarely. On one machine, coordinate
    descent (scikit-learn's ``Lasso``) is several times faster for the lasso; ADMM's
    strength is that the expensive step splits across data shards
    (:func:`consensus_admm_lasso`) and that the same three lines solve many other
    problems. The adaptive rule follows OSQP (Stellato et al. 2020).

    References
    ----------
    .. [1] Boyd, S., Parikh, N., Chu, E., Peleato, B. and Eckstein, J. (2011).
       Distributed optimization and statistical learning via the alternating direction
       method of multipliers. Foundations and Trends in Machine Learning 3(1), 1-122.
    .. [2] Stellato, B. et al. (2020). OSQP: an operator splitting solver for quadratic
       programs. Mathematical Programming Computation 12, 637-672.

    Examples
    --------
    With orthonormal columns the lasso is soft-thresholding of :math:`A^\top b`:

    >>> res = admm_lasso(np.eye(3), [3.0, -0.5, 1.5], lam=1.0)
    >>> res.x.round(4), res.converged, res.nnz
    (array([2. , 0. , 0.5]), True, 2)
    >>> bool(np.all(res.r_norm[-1] < res.eps_pri[-1]))
    True
    """
    A, b, lam, rho, max_iter, abstol, reltol = _check_lasso(
        A, b, lam, rho, max_iter, abstol, reltol
    )
    alpha = check_scalar(
        over_relaxation,
        "over_relaxation",
        low=0,
        high=2,
        low_inclusive=False,
        high_inclusive=False,
    )
    adaptive_rho = check_bool(adaptive_rho, "adaptive_rho")
    d = A.shape[1]
    z = np.zeros(d) if z0 is None else as_vector(z0, "z0")
    if z.size != d:
        raise ValueError(f"`z0` must have shape ({d},), got {z.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        u, Atb, G = np.zeros(d), A.T @ b, _gram(A)
    factor = _factor(G, A, rho)
    hist = []
    converged = False
    for k in range(max_iter):
        x = _x_update(A, factor, rho, Atb + rho * (z - u))
        x_hat = alpha * x + (1 - alpha) * z
        z_old = z
        z = _soft_threshold(x_hat + u, lam / rho)
        u = u + x_hat - z
        _check_finite_iterate(x_hat + u, rho)
        r, s = _norm(x - z), rho * _norm(z - z_old)
        size_x, size_y = max(_norm(x), _norm(z)), rho * _norm(u)
        hist.append(
            (
                r,
                s,
                np.sqrt(d) * abstol + reltol * size_x,
                (np.sqrt(d) * abstol + reltol * size_y),
            )
        )
        if r < hist[k][2] and s < hist[k][3]:
            converged = True
            break
        if adaptive_rho and k % 10 == 0 and r > 0 and s > 0 and size_x > 0:
            # at most a factor 100 per update: a warm start can give s ~ 1e-16
            ratio = np.sqrt((r / size_x) / (s / size_y))
            new_rho = rho * min(max(ratio, 1e-2), 1e2)
            if not rho / 5 <= new_rho <= 5 * rho:
                u, rho = u * (rho / new_rho), new_rho
                factor = _factor(G, A, rho)
    return _result(z, hist, converged, rho, max_iter)


def consensus_admm_lasso(
    A: ArrayLike,
    b: ArrayLike,
    lam: float,
    n_workers: int = 4,
    rho: float = 1.0,
    *,
    max_iter: int = 10_000,
    abstol: float = 1e-6,
    reltol: float = 1e-5,
) -> ADMMResult:
    r"""Lasso by consensus ADMM, the rows of ``A`` split across ``n_workers``.

    Worker :math:`k` holds its own rows :math:`(A_k, b_k)` and a local copy
    :math:`x_k`; all copies must agree with a global :math:`z`:

    .. math::

        \min \sum_k \tfrac12 \norm{A_k x_k - b_k}^2 + \lambda \norm{z}_1
        \quad \text{s.t.} \quad x_k = z .

    Each iteration, every worker solves its own ridge-like problem (in parallel, on
    its own data), then one reduction averages :math:`x_k + u_k` and soft-thresholds:

    .. math::

        x_k &\leftarrow (A_k^\top A_k + \rho I)^{-1}(A_k^\top b_k + \rho(z - u_k)) \\
        z &\leftarrow S_{\lambda/(K\rho)}\big(\overline{x + u}\big) \\
        u_k &\leftarrow u_k + x_k - z

    Parameters
    ----------
    A : array_like of shape (n, d)
    b : array_like of shape (n,)
    lam : float
        :math:`\lambda \ge 0`.
    n_workers : int, default 4
        :math:`K`, between 1 and ``n``; rows are split into contiguous blocks of
        (almost) equal size.
    rho : float, default 1.0
        Fixed penalty parameter.
    max_iter : int, default 10000
    abstol, reltol : float, default 1e-6 and 1e-5
        Tolerances of the stopping rule of Boyd et al. (2011), section 7.1, with
        :math:`r^2 = \sum_k \norm{x_k - z}^2` and :math:`s = \rho\sqrt{K}\norm{z -
        z_{\mathrm{old}}}`.

    Returns
    -------
    ADMMResult
        ``x`` is the consensus variable :math:`z`, exactly sparse.

    Raises
    ------
    ValueError
        For the bad inputs of :func:`admm_lasso`, or ``n_workers`` outside
        :math:`[1, n]`.

    Notes
    -----
    Here the workers run one after another in a Python loop; on a cluster each
    :math:`x_k`-update runs on the machine that holds :math:`(A_k, b_k)`, and only the
    :math:`d`-vectors :math:`x_k + u_k` travel. Each worker factors its own
    :math:`d \times d` (or :math:`n_k \times n_k`) matrix once. Whether it needs more
    iterations than the centralised solve depends on :math:`\rho` (in Chapter 3's
    example it needs fewer at :math:`\rho = 1` and more at :math:`\rho = 20`); what it
    buys is that the data never move.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 5))
    >>> b = A @ np.array([1.0, 0.0, 0.0, -2.0, 0.0]) + 0.1 * rng.standard_normal(40)
    >>> central = admm_lasso(A, b, lam=2.0, abstol=1e-9, reltol=1e-9)
    >>> split = consensus_admm_lasso(A, b, lam=2.0, n_workers=4, rho=10.0,
    ...                              abstol=1e-9, reltol=1e-9)
    >>> split.converged, bool(np.allclose(split.x, central.x, atol=1e-6))
    (True, True)
    """
    A, b, lam, rho, max_iter, abstol, reltol = _check_lasso(
        A, b, lam, rho, max_iter, abstol, reltol
    )
    K = check_scalar(n_workers, "n_workers", low=1, high=A.shape[0], integer=True)
    d = A.shape[1]
    blocks = np.array_split(np.arange(A.shape[0]), K)
    with np.errstate(over="ignore", invalid="ignore"):
        shards = [(A[rows], A[rows].T @ b[rows]) for rows in blocks]
    factors = [_factor(_gram(Ak), Ak, rho) for Ak, _ in shards]
    X, U, z = np.zeros((K, d)), np.zeros((K, d)), np.zeros(d)
    hist = []
    converged = False
    for _ in range(max_iter):
        for k, ((Ak, Atbk), fk) in enumerate(zip(shards, factors, strict=True)):
            X[k] = _x_update(Ak, fk, rho, Atbk + rho * (z - U[k]))
        z_old = z
        _check_finite_iterate(X, rho)
        z = _soft_threshold((X + U).mean(axis=0), lam / (K * rho))
        U += X - z
        r = np.linalg.norm(X - z)
        s = rho * np.sqrt(K) * np.linalg.norm(z - z_old)
        eps_pri = np.sqrt(K * d) * abstol + reltol * max(
            np.linalg.norm(X), np.sqrt(K) * np.linalg.norm(z)
        )
        eps_dual = np.sqrt(K * d) * abstol + reltol * rho * np.linalg.norm(U)
        hist.append((r, s, eps_pri, eps_dual))
        if r < eps_pri and s < eps_dual:
            converged = True
            break
    return _result(z, hist, converged, rho, max_iter)


def lasso_path(
    A: ArrayLike,
    b: ArrayLike,
    lams: ArrayLike | None = None,
    *,
    n_lams: int = 30,
    eps: float = 1e-3,
    **admm_options,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Lasso solutions for a decreasing sequence of :math:`\lambda`, warm-started.

    Parameters
    ----------
    A : array_like of shape (n, d)
    b : array_like of shape (n,)
    lams : array_like of shape (m,), optional
        The :math:`\lambda` values (sorted into decreasing order). By default
        ``n_lams`` values spaced geometrically from
        :math:`\lambda_{\max} = \norm{A^\top b}_\infty` (the smallest :math:`\lambda`
        with solution 0) down to ``eps`` times it.
    n_lams : int, default 30
    eps : float, default 1e-3
    **admm_options
        Passed on to :func:`admm_lasso`.

    Returns
    -------
    lams : ndarray of shape (m,)
        Decreasing.
    coefs : ndarray of shape (m, d)
        ``coefs[i]`` solves the lasso with ``lams[i]``.

    Raises
    ------
    ValueError
        For bad inputs of :func:`admm_lasso`, a negative :math:`\lambda`, or
        ``eps`` outside (0, 1).

    Notes
    -----
    Each solve starts from the previous solution, which is close: the path is
    piecewise linear in :math:`\lambda` (the LARS algorithm follows it exactly).

    Examples
    --------
    >>> lams, coefs = lasso_path(np.eye(2), [2.0, 1.0], n_lams=3, eps=0.25)
    >>> lams
    array([2. , 1. , 0.5])
    >>> coefs.round(4)
    array([[0. , 0. ],
           [1. , 0. ],
           [1.5, 0.5]])
    """
    A, b = as_matrix(A, "A"), as_vector(b, "b")
    if lams is None:
        n_lams = check_scalar(n_lams, "n_lams", low=1, integer=True)
        eps = check_scalar(
            eps, "eps", low=0, high=1, low_inclusive=False, high_inclusive=False
        )
        with np.errstate(over="ignore", invalid="ignore"):
            lam_max = float(np.max(np.abs(A.T @ b))) if b.size == A.shape[0] else 1.0
        if not np.isfinite(lam_max):
            raise ValueError("`A` and `b` are too large: A'b overflows; rescale them")
        lams = lam_max * np.geomspace(1.0, eps, n_lams)
    lams = np.sort(as_vector(lams, "lams"))[::-1]
    if lams[-1] < 0:
        raise ValueError(f"`lams` must be non-negative, got {lams[-1]}")
    coefs, z = np.empty((lams.size, A.shape[1])), None
    for i, lam in enumerate(lams):
        z = admm_lasso(A, b, float(lam), z0=z, **admm_options).x
        coefs[i] = z
    return lams, coefs


def svm_duality_gap(
    model: SVM, X: ArrayLike, y: ArrayLike
) -> tuple[float, float, float]:
    r"""Primal and dual objective values of a fitted :class:`SVM`, and their gap.

    For the multipliers :math:`\alpha` of ``model`` (converged or not), the dual
    objective is :math:`D(\alpha) = \sum_i \alpha_i - \tfrac12 \alpha^\top Q \alpha`
    with :math:`Q_{ij} = y_i y_j K(x_i, x_j)`, and the primal objective of the
    classifier they define, :math:`w = \sum_i \alpha_i y_i \phi(x_i)` with the fitted
    bias, is

    .. math::

        P = \tfrac12 \alpha^\top Q \alpha + C \sum_i \max(0,\, 1 - y_i f(x_i)).

    By weak duality :math:`P \ge D` whenever :math:`\alpha` is dual feasible
    (:math:`0 \le \alpha_i \le C`, :math:`\sum_i \alpha_i y_i = 0`), and by strong
    duality the gap :math:`P - D` is 0 at the optimum (Boyd and Vandenberghe, 2004,
    section 5.2), so it measures how far a solver is from done.

    Parameters
    ----------
    model : SVM
        A fitted support vector machine.
    X : array_like of shape (n, d)
        The training inputs the model was fitted on.
    y : array_like of shape (n,)
        The training labels in {-1, +1}.

    Returns
    -------
    primal, dual, gap : float
        The two objective values and ``primal - dual``.

    Raises
    ------
    TypeError
        If ``model`` is not an :class:`SVM`.
    ValueError
        If ``model`` is not fitted, or ``X`` and ``y`` do not have one row and label
        per multiplier of ``model``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [2.0, 3.0], [0.0, 0.0], [1.0, 0.0]])
    >>> y = np.array([1, 1, -1, -1])
    >>> primal, dual, gap = svm_duality_gap(SVM(C=1.0).fit(X, y), X, y)
    >>> round(primal, 6), round(dual, 6), abs(gap) < 1e-12
    (0.5, 0.5, True)
    """
    if not isinstance(model, SVM):
        raise TypeError(f"`model` must be an SVM, got {type(model).__name__}")
    if not hasattr(model, "alpha_"):
        raise ValueError("`model` is not fitted yet: call `fit(X, y)` first")
    X = as_matrix(X, "X")
    n = model.alpha_.size
    if X.shape[0] != n:
        raise ValueError(
            f"`X` must be the {n} training rows the model was fitted on, "
            f"got {X.shape[0]} rows"
        )
    y = _check_labels(y, n)
    ay = model.alpha_ * y
    quad = float(ay @ model._kernel(X, X) @ ay)
    hinge = float(np.maximum(0.0, 1.0 - y * model.decision_function(X)).sum())
    primal = 0.5 * quad + model.C * hinge
    dual = float(model.alpha_.sum()) - 0.5 * quad
    return primal, dual, primal - dual


__all__ += ["svm_duality_gap"]
