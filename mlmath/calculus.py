r"""Chapter 2: calculus (gradients, backpropagation, attention).

Finite-difference derivatives to check analytic ones, the activation functions of a
neural network, scaled dot-product attention, and a small multilayer perceptron whose
backward pass is written out by hand with the chain rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._validation import (
    as_array,
    as_float_array,
    as_matrix,
    as_result_array,
    as_result_scalar,
    check_callable,
    check_rng,
    check_scalar,
)

__all__ = [
    "numerical_gradient",
    "numerical_jacobian",
    "relu",
    "softmax",
    "causal_mask",
    "scaled_dot_product_attention",
    "MLP",
    "numerical_hessian",
    "gradient_descent",
    "attention_gradients",
]


def _check_method(method: str) -> None:
    if method not in ("central", "forward"):
        raise ValueError(f"`method` must be 'central' or 'forward', got {method!r}")


def numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: ArrayLike,
    h: float = 1e-5,
    *,
    method: str = "central",
) -> np.ndarray:
    r"""Gradient of a scalar function by finite differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, a scalar function of an array.
    x : array_like of shape (n,) or any shape
        The point at which to differentiate.
    h : float, default 1e-5
        The relative step, in (0, 1]: coordinate :math:`i` moves by
        :math:`h_i = h \max(1, |x_i|)`, so the step is not lost to rounding when
        :math:`|x_i|` is large.
    method : {"central", "forward"}, default "central"
        Central differences :math:`(f(x + h_i e_i) - f(x - h_i e_i)) / 2h_i` have
        error :math:`O(h^2)`; forward differences :math:`(f(x + h_i e_i) - f(x)) /
        h_i` have error :math:`O(h)`.

    Returns
    -------
    grad : ndarray of the same shape as ``x``

    Raises
    ------
    TypeError
        If ``f`` is not callable.
    ValueError
        If ``h`` is not in (0, 1], ``method`` is unknown, or ``f`` does not return
        one finite number.

    Warns
    -----
    RuntimeWarning
        If ``h`` is so small that a step is lost to rounding (``x + h_i == x``).

    Notes
    -----
    Costs :math:`2n` evaluations of ``f`` (central) or :math:`n + 1` (forward), so it
    is a *checking* tool: reverse-mode differentiation (backpropagation) gives the whole
    gradient at a small constant multiple of the cost of one evaluation, independent
    of :math:`n`. Round-off grows like
    :math:`\epsilon_{\mathrm{mach}} / h`, so very small ``h`` is worse, not better;
    ``h = 1e-5`` is near the optimum :math:`\epsilon_{\mathrm{mach}}^{1/3}` for central
    differences. Like SciPy's ``approx_fprime``, the step is relative to
    :math:`|x_i|` and the quotient divides by the step actually taken,
    :math:`(x_i + h_i) - (x_i - h_i)`, which is exact in floating point.

    Examples
    --------
    :math:`f(x, y) = x^2 + xy + y^2` at :math:`(1, 2)` has gradient
    :math:`(2x + y, x + 2y) = (4, 5)`:

    >>> f = lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2
    >>> g = numerical_gradient(f, [1.0, 2.0])
    >>> g
    array([4., 5.])
    >>> round(float(np.linalg.norm(g)), 3)  # sqrt(41)
    6.403

    The two-weight network :math:`\hat y = v\,\mathrm{relu}(wx)` with loss
    :math:`(\hat y - 4)^2` at :math:`x = 2, w = 3, v = 0.5`; backpropagation gives
    :math:`\partial L/\partial x = -3`, :math:`\partial L/\partial w = -2`,
    :math:`\partial L/\partial v = -12`:

    >>> loss = lambda p: (p[2] * max(p[1] * p[0], 0.0) - 4.0) ** 2
    >>> numerical_gradient(loss, [2.0, 3.0, 0.5])
    array([ -3.,  -2., -12.])
    """
    check_callable(f, "f")
    x = as_array(x, "x")
    h = check_scalar(h, "h", low=0, high=1, low_inclusive=False)
    _check_method(method)
    f0 = _scalar(f, x) if method == "forward" else 0.0
    flat = x.ravel()
    grad = np.empty(x.size)
    for i in range(x.size):
        up, down = _stepped(flat, i, h, forward=method == "forward")
        f_up = _scalar(f, up.reshape(x.shape))
        f_down = f0 if method == "forward" else _scalar(f, down.reshape(x.shape))
        grad[i] = (f_up - f_down) / (up[i] - down[i])
    return grad.reshape(x.shape)


def _stepped(x: np.ndarray, i: int, h: float, forward: bool = False):
    """``x`` moved up (and down) along coordinate ``i`` by ``h * max(1, |x_i|)``."""
    step = h * max(1.0, abs(float(x[i])))
    up, down = x.copy(), x.copy()
    with np.errstate(over="ignore"):
        up[i] += step
        if not forward:
            down[i] -= step
    if not (np.isfinite(up[i]) and np.isfinite(down[i])):
        raise ValueError(f"`x[{i}]` = {x[i]} moved by the step overflows; reduce `h`")
    if up[i] == down[i]:
        warnings.warn(
            f"`h` = {h:g} is below the rounding unit of x[{i}] = {x[i]:g}: "
            "the step is lost and the derivative reads 0; use h >= 1e-8",
            RuntimeWarning,
            stacklevel=3,
        )
        up[i] = np.nextafter(x[i], np.inf)
        down[i] = x[i] if forward else np.nextafter(x[i], -np.inf)
    return up, down


def _scalar(f: Callable, x: np.ndarray) -> float:
    return as_result_scalar(f(x), "f")


def numerical_jacobian(
    f: Callable[[np.ndarray], ArrayLike], x: ArrayLike, h: float = 1e-5
) -> np.ndarray:
    r"""Jacobian matrix of a vector function by central differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> array of shape (m,)``.
    x : array_like of shape (n,)
    h : float, default 1e-5
        The relative step, in (0, 1], as in :func:`numerical_gradient`.

    Returns
    -------
    J : ndarray of shape (m, n)
        :math:`J_{ij} = \partial f_i / \partial x_j`.

    Raises
    ------
    TypeError
        If ``f`` is not callable.
    ValueError
        If ``x`` is not 1-D, ``h`` is not in (0, 1], or ``f`` returns arrays of
        different sizes or non-finite values.

    Notes
    -----
    :math:`2n` evaluations of ``f``; column :math:`j` is the directional derivative
    along the :math:`j`-th unit vector.

    Examples
    --------
    The Jacobian of the softmax is :math:`\operatorname{diag}(p) - p p^\top`:

    >>> x = np.array([1.0, 2.0, 3.0])
    >>> p = softmax(x)
    >>> J = numerical_jacobian(softmax, x)
    >>> bool(np.allclose(J, np.diag(p) - np.outer(p, p), atol=1e-9))
    True
    """
    check_callable(f, "f")
    x = as_array(x, "x", ndim=1)
    h = check_scalar(h, "h", low=0, high=1, low_inclusive=False)
    columns = []
    for j in range(x.size):
        up, down = _stepped(x, j, h)
        plus, minus = _vector_result(f, up), _vector_result(f, down)
        if plus.shape != minus.shape or (columns and plus.shape != columns[0].shape):
            raise ValueError("`f` must return arrays of one fixed size")
        columns.append((plus - minus) / (up[j] - down[j]))
    return np.column_stack(columns)


def _vector_result(f: Callable, x: np.ndarray) -> np.ndarray:
    value = as_result_array(f(x), "f")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"`f` must return finite values, it returned {value}")
    return np.atleast_1d(value).ravel()


def relu(x: ArrayLike) -> np.ndarray:
    r"""Rectified linear unit :math:`\max(0, x)`, elementwise.

    Its derivative is 1 for :math:`x > 0` and 0 for :math:`x < 0` (we take 0 at 0).

    Parameters
    ----------
    x : array_like of any shape

    Returns
    -------
    ndarray of the same shape as ``x``

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    x = as_array(x, "x", allow_empty=True)
    return np.maximum(x, 0.0)


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax without input checks; ``-inf`` entries get weight 0."""
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Softmax :math:`\exp(x_i) / \sum_j \exp(x_j)` along ``axis``, computed stably.

    Parameters
    ----------
    x : array_like of any shape (at least 1-D)
    axis : int, default -1
        The axis along which the outputs sum to 1.

    Returns
    -------
    p : ndarray of the same shape as ``x``
        Non-negative, summing to 1 along ``axis``.

    Raises
    ------
    ValueError
        If ``x`` is a scalar, or ``axis`` is out of range.

    Notes
    -----
    Softmax is unchanged when a constant is added to every input, so we subtract the
    maximum first: the largest exponent is then :math:`e^0 = 1` and nothing overflows.
    The naive formula returns ``nan`` for an input of 1e4 (``exp(1e4)`` is ``inf``).

    Examples
    --------
    >>> softmax([1.0, 2.0, 3.0])
    array([0.09003057, 0.24472847, 0.66524096])
    >>> softmax([1e4, -1e4])  # exp(1e4) would overflow
    array([1., 0.])
    """
    x = as_array(x, "x")
    if x.ndim == 0:
        raise ValueError("`x` must be at least 1-D, got a scalar")
    axis = check_scalar(axis, "axis", integer=True)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"`axis` must be in [{-x.ndim}, {x.ndim - 1}], got {axis}")
    return _softmax(x, axis=axis)


def causal_mask(n: int) -> np.ndarray:
    r"""Boolean mask that lets position :math:`i` attend to positions :math:`j \le i`.

    Parameters
    ----------
    n : int
        Sequence length, at least 1.

    Returns
    -------
    mask : ndarray of bool, shape (n, n)
        Lower triangular: ``True`` where attention is allowed.

    Examples
    --------
    >>> causal_mask(3).astype(int)
    array([[1, 0, 0],
           [1, 1, 0],
           [1, 1, 1]])
    """
    n = check_scalar(n, "n", low=1, integer=True)
    return np.tril(np.ones((n, n), dtype=bool))


def scaled_dot_product_attention(
    Q: ArrayLike, K: ArrayLike, V: ArrayLike, mask: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Scaled dot-product attention :math:`\mathrm{softmax}(QK^\top/\sqrt{d_k})\,V`.

    Parameters
    ----------
    Q : array_like of shape (n_q, d_k)
        Queries, one row per position that asks.
    K : array_like of shape (n_k, d_k)
        Keys, one row per position that can be looked at.
    V : array_like of shape (n_k, d_v)
        Values, what each looked-at position contributes.
    mask : array_like of bool, shape (n_q, n_k), optional
        ``True`` where query :math:`i` may attend to key :math:`j` (for example
        :func:`causal_mask`). Masked scores are set to :math:`-\infty` before the
        softmax, so they receive weight exactly 0.

    Returns
    -------
    output : ndarray of shape (n_q, d_v)
        Each row is a convex combination of the rows of ``V``.
    weights : ndarray of shape (n_q, n_k)
        The attention weights; every row sums to 1.

    Raises
    ------
    ValueError
        If the shapes do not fit together, the mask has the wrong shape, or a row of the
        mask allows no key at all.
    TypeError
        If the mask is not boolean.

    Notes
    -----
    :math:`O(n_q n_k d)` time and :math:`O(n_q n_k)` memory. Dividing by
    :math:`\sqrt{d_k}` keeps the scores at unit variance when the entries of ``Q`` and
    ``K`` do, so the softmax does not saturate as :math:`d_k` grows. Production code
    batches many heads and sequences and uses fused kernels (FlashAttention) that never
    store the full weight matrix.

    References
    ----------
    .. [1] Vaswani, A. et al. (2017). Attention is all you need. NeurIPS 30.

    Examples
    --------
    >>> Q = np.array([[1.0, 0.0]])
    >>> K = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> V = np.array([[10.0], [20.0]])
    >>> out, w = scaled_dot_product_attention(Q, K, V)
    >>> w.round(4)  # softmax([1, 0] / sqrt(2))
    array([[0.6698, 0.3302]])
    >>> out.round(2)
    array([[13.3]])
    >>> out, w = scaled_dot_product_attention(K, K, V, mask=causal_mask(2))
    >>> w[0]
    array([1., 0.])
    """
    Q, K, V = as_matrix(Q, "Q"), as_matrix(K, "K"), as_matrix(V, "V")
    if Q.shape[1] != K.shape[1]:
        raise ValueError(
            f"`Q` and `K` must have the same number of columns d_k, got {Q.shape} and "
            f"{K.shape}"
        )
    if K.shape[0] != V.shape[0]:
        raise ValueError(
            f"`K` and `V` must have the same number of rows, got {K.shape} and "
            f"{V.shape}"
        )
    unit, scale = _scaled_scores(Q, K)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise TypeError(f"`mask` must be boolean, got dtype {mask.dtype}")
        if mask.shape != unit.shape:
            raise ValueError(
                f"`mask` must have shape (n_q, n_k) = {unit.shape}, got {mask.shape}"
            )
        if not np.all(mask.any(axis=1)):
            raise ValueError("every row of `mask` must allow at least one key")
        unit = np.where(mask, unit, -np.inf)
    # softmax(scale * unit): subtract the row maximum first, then scale, so a huge
    # scale gives the limit (weight only on the maxima) instead of inf - inf
    z = unit - unit.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.where(z == 0, 0.0, scale * z)
    weights = _softmax(z, axis=1)
    return _weighted_values(weights, V), weights


def _scaled_scores(Q: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, float]:
    """``Q K^T / sqrt(d_k)`` as ``(unit, scale)``: entries of ``unit`` are at most d_k.

    Dividing ``Q`` and ``K`` by their largest entries first keeps the product from
    overflowing (entries near 1e200) or underflowing.
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        scores = Q @ K.T / np.sqrt(Q.shape[1])
    if np.all(np.isfinite(scores)):
        return scores, 1.0  # the common case: nothing to rescale
    sq, sk = np.max(np.abs(Q)), np.max(np.abs(K))
    sq, sk = (sq if sq > 0 else 1.0), (sk if sk > 0 else 1.0)
    unit = (Q / sq) @ (K / sk).T
    with np.errstate(over="ignore"):
        scale = float(sq * sk / np.sqrt(Q.shape[1]))
    return unit, scale


def _weighted_values(weights: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``weights @ V`` with ``V`` scaled by its largest entry (no inf - inf)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = weights @ V
    if np.all(np.isfinite(out)):
        return out
    sv = np.max(np.abs(V))
    return (weights @ (V / sv)) * sv


class MLP:
    r"""Multilayer perceptron classifier with hand-written, vectorised backpropagation.

    ReLU hidden layers, a softmax output layer and the mean cross-entropy loss plus an
    L2 penalty :math:`\tfrac{\lambda}{2}\sum_l \lVert W_l \rVert_F^2`, trained by
    mini-batch gradient descent with momentum. Everything, the backward pass included,
    is plain NumPy: no automatic differentiation.

    Parameters
    ----------
    hidden_sizes : sequence of int, default (64,)
        Width of each hidden layer.
    learning_rate : float, default 0.02
    momentum : float, default 0.9
        Heavy-ball momentum in [0, 1).
    n_epochs : int, default 30
        Passes over the training set.
    batch_size : int, default 32
    weight_decay : float, default 1e-4
        The L2 penalty :math:`\lambda` on the weights (not the biases).
    rng : numpy.random.Generator, int or None
        Seeds the initial weights and the shuffling of mini-batches. An integer
        seed gives the same model every time :meth:`fit` is called; a Generator is
        drawn from (so refits differ).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen by :meth:`fit`.
    weights_ : list of ndarray
        ``weights_[l]`` has shape (fan_in, fan_out).
    biases_ : list of ndarray
        ``biases_[l]`` has shape (fan_out,).
    loss_history_ : list of float
        Training loss (mean over the mini-batches of each epoch).
    n_iter_ : int
        Epochs run (always ``n_epochs``: there is no stopping rule).

    Notes
    -----
    One mini-batch costs :math:`O(m \sum_l n_{l-1} n_l)` forward and about twice that
    backward. Weights start with He initialisation, variance
    :math:`2 / n_{\mathrm{in}}`, which keeps the activations' scale through ReLU
    layers. PyTorch or JAX compute the same gradients by reverse-mode automatic
    differentiation and add better optimisers (Adam), GPUs and mixed precision; the
    arithmetic of the backward pass is what you see here.

    References
    ----------
    .. [1] Rumelhart, D. E., Hinton, G. E. and Williams, R. J. (1986). Learning
       representations by back-propagating errors. Nature 323, 533-536.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = np.array([0, 1, 1, 0])  # XOR: not linearly separable
    >>> net = MLP(hidden_sizes=(8,), learning_rate=0.5, n_epochs=300, batch_size=4,
    ...           weight_decay=0.0, rng=0).fit(X, y)
    >>> net.predict(X)
    array([0, 1, 1, 0])

    Check the backward pass against finite differences on a fresh network:

    >>> Xr = np.random.default_rng(0).standard_normal((6, 3))
    >>> MLP(hidden_sizes=(5,), rng=0).check_gradients(Xr, [0, 1, 2, 0, 1, 2]) < 1e-7
    True
    """

    def __init__(
        self,
        hidden_sizes: Sequence[int] = (64,),
        *,
        learning_rate: float = 0.02,
        momentum: float = 0.9,
        n_epochs: int = 30,
        batch_size: int = 32,
        weight_decay: float = 1e-4,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        if isinstance(hidden_sizes, str) or not isinstance(hidden_sizes, Sequence):
            raise TypeError(
                "`hidden_sizes` must be a sequence of layer widths such as (64,), "
                f"got {hidden_sizes!r:.80}"
            )
        self.hidden_sizes = tuple(
            check_scalar(s, "hidden_sizes", low=1, integer=True) for s in hidden_sizes
        )
        self.learning_rate = check_scalar(
            learning_rate, "learning_rate", low=0, low_inclusive=False
        )
        self.momentum = check_scalar(
            momentum, "momentum", low=0, high=1, high_inclusive=False
        )
        self.n_epochs = check_scalar(n_epochs, "n_epochs", low=1, integer=True)
        self.batch_size = check_scalar(batch_size, "batch_size", low=1, integer=True)
        self.weight_decay = check_scalar(weight_decay, "weight_decay", low=0)
        check_rng(rng)  # validate now; a fresh Generator is made by each fit
        self.rng = rng

    # -- data and parameters -------------------------------------------------------
    def _check_data(self, X: ArrayLike, y: ArrayLike | None = None):
        X = as_matrix(X, "X")
        if y is None:
            return X, None
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"`y` must be a 1-D array with one label per row of `X` "
                f"({X.shape[0]}), got shape {y.shape}"
            )
        if y.dtype.kind not in "biuUS":
            if y.dtype.kind == "f" and np.all(np.isfinite(y)):
                return X, y
            raise TypeError(
                "`y` must hold class labels (integers, strings or finite floats), "
                f"got dtype {y.dtype}"
            )
        return X, y

    def _initialize(self, n_features: int, n_classes: int) -> None:
        self._rng = check_rng(self.rng)  # a seed gives the same model on every fit
        sizes = [n_features, *self.hidden_sizes, n_classes]
        self.weights_ = [
            self._rng.standard_normal((a, b)) * np.sqrt(2.0 / a)
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        ]
        self.biases_ = [np.zeros(b) for b in sizes[1:]]

    def _one_hot(self, y: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.classes_, y)
        if np.any(idx >= self.classes_.size) or np.any(self.classes_[idx] != y):
            raise ValueError("`y` holds labels that were not seen by `fit`")
        return np.eye(self.classes_.size)[idx]

    # -- forward and backward passes -----------------------------------------------
    def _forward(self, X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Return the layer inputs ``[A_0 = X, A_1, ...]`` and the logits."""
        activations = [X]
        for W, b in zip(self.weights_[:-1], self.biases_[:-1], strict=True):
            activations.append(np.maximum(activations[-1] @ W + b, 0.0))
        logits = activations[-1] @ self.weights_[-1] + self.biases_[-1]
        return activations, logits

    def _loss_and_grads(self, X: np.ndarray, Y: np.ndarray):
        """Loss and its gradients for one batch (``Y`` one-hot): the chain rule."""
        activations, logits = self._forward(X)
        z = logits - logits.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        penalty = 0.5 * self.weight_decay * sum(np.sum(W * W) for W in self.weights_)
        loss = -np.sum(Y * log_p) / X.shape[0] + penalty
        delta = (np.exp(log_p) - Y) / X.shape[0]  # dL/dlogits for softmax + CE
        grads_W, grads_b = [], []
        for layer in range(len(self.weights_) - 1, -1, -1):
            A = activations[layer]
            grads_W.append(A.T @ delta + self.weight_decay * self.weights_[layer])
            grads_b.append(delta.sum(axis=0))
            if layer > 0:  # back through W, then through the ReLU (A > 0 <=> Z > 0)
                delta = (delta @ self.weights_[layer].T) * (A > 0)
        return float(loss), grads_W[::-1], grads_b[::-1]

    # -- public API ------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike) -> MLP:
        """Train on ``X`` of shape (n, d) with labels ``y`` of shape (n,).

        Parameters
        ----------
        X : array_like of shape (n, d)
        y : array_like of shape (n,)
            Class labels (any sortable values).

        Returns
        -------
        self : MLP
        """
        X, y = self._check_data(X, y)
        self.classes_ = np.unique(y)
        if self.classes_.size < 2:
            raise ValueError("`y` must contain at least two classes")
        Y = self._one_hot(y)
        self._initialize(X.shape[1], self.classes_.size)
        vel_W = [np.zeros_like(W) for W in self.weights_]
        vel_b = [np.zeros_like(b) for b in self.biases_]
        self.loss_history_ = []
        with np.errstate(over="ignore", invalid="ignore"):  # checked per epoch
            for _ in range(self.n_epochs):
                order = self._rng.permutation(X.shape[0])
                losses = []
                for start in range(0, X.shape[0], self.batch_size):
                    batch = order[start : start + self.batch_size]
                    loss, gW, gb = self._loss_and_grads(X[batch], Y[batch])
                    losses.append(loss)
                    for i in range(len(self.weights_)):
                        vel_W[i] = self.momentum * vel_W[i] - self.learning_rate * gW[i]
                        vel_b[i] = self.momentum * vel_b[i] - self.learning_rate * gb[i]
                        self.weights_[i] += vel_W[i]
                        self.biases_[i] += vel_b[i]
                self.loss_history_.append(float(np.mean(losses)))
                self._check_not_diverged()
        self.n_iter_ = self.n_epochs
        return self

    def _check_not_diverged(self) -> None:
        params = (*self.weights_, *self.biases_)
        if np.isfinite(self.loss_history_[-1]) and all(
            np.isfinite(p).all() for p in params
        ):
            return
        raise FloatingPointError(
            f"MLP training diverged in epoch {len(self.loss_history_)} (loss "
            f"{self.loss_history_[-1]}): reduce `learning_rate` or `weight_decay`, "
            "or standardise `X`"
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise ValueError("this MLP is not fitted yet: call `fit(X, y)` first")

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n, n_classes); rows sum to 1."""
        self._check_fitted()
        X, _ = self._check_data(X)
        if X.shape[1] != self.weights_[0].shape[0]:
            raise ValueError(
                f"`X` must have {self.weights_[0].shape[0]} columns, got {X.shape[1]}"
            )
        return _softmax(self._forward(X)[1], axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class label for each row of ``X``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy: the fraction of rows of ``X`` whose label is predicted right."""
        X, y = self._check_data(X, y)
        return float(np.mean(self.predict(X) == y))

    def loss(self, X: ArrayLike, y: ArrayLike) -> float:
        """Mean cross-entropy plus the L2 penalty on ``(X, y)``."""
        self._check_fitted()
        X, y = self._check_data(X, y)
        return self._loss_and_grads(X, self._one_hot(y))[0]

    def check_gradients(self, X: ArrayLike, y: ArrayLike, h: float = 1e-5) -> float:
        r"""Relative error between the backprop and the finite-difference gradient.

        Every weight and bias is perturbed in turn (:func:`numerical_gradient`), so use
        a handful of rows and a small network. Values around 1e-7 or below mean the
        backward pass is right; a bug typically gives 1e-2 or more. An unfitted network
        is initialised first. Finite differences are wrong at a ReLU kink (a
        pre-activation exactly 0, as with all-zero inputs and the zero initial biases),
        so check on generic inputs.

        Parameters
        ----------
        X : array_like of shape (n, d)
        y : array_like of shape (n,)
        h : float, default 1e-5

        Returns
        -------
        float
            :math:`\lVert g - \hat g \rVert / (\lVert g \rVert + \lVert \hat g \rVert)`
            over all parameters stacked into one vector (the norm-wise form is not
            fooled by entries that are tiny in both).
        """
        X, y = self._check_data(X, y)
        if not hasattr(self, "weights_"):
            self.classes_ = np.unique(y)
            self._initialize(X.shape[1], self.classes_.size)
        Y = self._one_hot(y)
        params = self.weights_ + self.biases_
        shapes = [p.shape for p in params]
        sizes = [p.size for p in params]
        theta0 = np.concatenate([p.ravel() for p in params])

        def set_params(theta: np.ndarray) -> None:
            chunks = np.split(theta, np.cumsum(sizes)[:-1])
            new = [c.reshape(s) for c, s in zip(chunks, shapes, strict=True)]
            self.weights_ = new[: len(self.weights_)]
            self.biases_ = new[len(self.weights_) :]

        def loss_at(theta: np.ndarray) -> float:
            set_params(theta)
            return self._loss_and_grads(X, Y)[0]

        numeric = numerical_gradient(loss_at, theta0, h)
        set_params(theta0)
        _, gW, gb = self._loss_and_grads(X, Y)
        analytic = np.concatenate([g.ravel() for g in gW + gb])
        denom = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12)
        return float(np.linalg.norm(analytic - numeric) / denom)


def numerical_hessian(
    f: Callable[[np.ndarray], float], x: ArrayLike, h: float = 1e-4
) -> np.ndarray:
    r"""Hessian matrix of a scalar function by central differences.

    .. math::

        H_{ij} \approx \frac{f(x + he_i + he_j) - f(x + he_i - he_j)
        - f(x - he_i + he_j) + f(x - he_i - he_j)}{4h^2}.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, a scalar function of a 1-D array.
    x : array_like of shape (n,)
        The point at which to differentiate.
    h : float, default 1e-4
        The step; must be positive.

    Returns
    -------
    H : ndarray of shape (n, n)
        :math:`H_{ij} = \partial^2 f / \partial x_i \partial x_j`, symmetric by
        construction (each pair :math:`i \le j` is computed once).

    Raises
    ------
    TypeError
        If ``f`` is not callable.
    ValueError
        If ``x`` is not 1-D, ``h`` is not positive, ``f`` does not return a scalar, or
        ``f`` returns NaN or infinity at one of the points it is evaluated at (a Hessian
        built from such values would be meaningless).

    Notes
    -----
    :math:`4` evaluations per entry of the upper triangle, about :math:`2n^2` in all: a
    checking tool for small :math:`n`. The truncation error is :math:`O(h^2)`, the
    round-off error grows like :math:`\epsilon_{\mathrm{mach}}|f|/h^2`, so the best
    step is near :math:`\epsilon_{\mathrm{mach}}^{1/4} \approx 10^{-4}`.

    Examples
    --------
    :math:`f(x, y) = x^2 + xy + y^2` has the constant Hessian
    :math:`\begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix}`:

    >>> f = lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2
    >>> numerical_hessian(f, [1.0, 2.0]).round(6)
    array([[2., 1.],
           [1., 2.]])
    """
    check_callable(f, "f")
    x = as_array(x, "x", ndim=1)
    h = check_scalar(h, "h", low=0, low_inclusive=False)
    n = x.size
    eye = np.eye(n) * h
    not_finite = ValueError(
        "`f` returned NaN or infinity within `h` of `x` (each point x +- h e_i "
        "+- h e_j is evaluated); choose a smaller `h` or a point inside the domain"
    )

    def value(point: np.ndarray) -> float:
        try:
            out = _scalar(f, point)
        except ValueError as err:
            if "must return a finite number" in str(err):  # NaN or inf: say where
                raise not_finite from None
            raise
        return out

    H = np.empty((n, n))
    with np.errstate(invalid="ignore", over="ignore"):
        for i in range(n):
            for j in range(i, n):
                ei, ej = eye[i], eye[j]
                H[i, j] = H[j, i] = (
                    value(x + ei + ej)
                    - value(x + ei - ej)
                    - value(x - ei + ej)
                    + value(x - ei - ej)
                ) / (4 * h * h)
    if not np.all(np.isfinite(H)):
        raise not_finite
    return H


def gradient_descent(
    grad: Callable[[np.ndarray], ArrayLike],
    x0: ArrayLike,
    learning_rate: float,
    n_iter: int = 100,
) -> np.ndarray:
    r"""Plain gradient descent :math:`x_{t+1} = x_t - \eta \nabla f(x_t)`.

    Parameters
    ----------
    grad : callable
        ``grad(x) -> array of the shape of x``, the gradient :math:`\nabla f`.
    x0 : array_like of shape (n,)
        The starting point.
    learning_rate : float
        The step size :math:`\eta > 0`.
    n_iter : int, default 100
        Number of steps, at least 0 (the routine always takes them all).

    Returns
    -------
    path : ndarray of shape (n_iter + 1, n)
        ``path[t]`` is :math:`x_t`; ``path[0]`` is ``x0``.

    Raises
    ------
    TypeError
        If ``grad`` is not callable.
    ValueError
        If ``x0`` is not 1-D, ``learning_rate`` is not positive, ``n_iter`` is
        negative, ``grad`` returns the wrong shape or a NaN or infinite value, or the
        iterates overflow (the step is too large and the method diverges).

    Notes
    -----
    On a quadratic :math:`f(x) = \tfrac12 x^\top H x` with eigenvalues
    :math:`0 < \lambda_{\min} \le \lambda_{\max}` of :math:`H`, the error along
    eigenvector :math:`i` is multiplied by :math:`1 - \eta\lambda_i` at every step, so
    the method converges if and only if :math:`\eta < 2/\lambda_{\max}`, fastest at
    :math:`\eta = 2/(\lambda_{\min} + \lambda_{\max})`. The book's optimisation
    chapter covers the methods used in practice (momentum, Adam, Newton).

    Examples
    --------
    :math:`f(x, y) = x^2 + xy + y^2` has gradient :math:`(2x + y, x + 2y)`:

    >>> grad = lambda v: np.array([2 * v[0] + v[1], v[0] + 2 * v[1]])
    >>> path = gradient_descent(grad, [1.0, 2.0], learning_rate=0.5, n_iter=3)
    >>> path
    array([[ 1.   ,  2.   ],
           [-1.   , -0.5  ],
           [ 0.25 ,  0.5  ],
           [-0.25 , -0.125]])
    """
    check_callable(grad, "grad")
    x = as_array(x0, "x0", ndim=1)
    learning_rate = check_scalar(
        learning_rate, "learning_rate", low=0, low_inclusive=False
    )
    n_iter = check_scalar(n_iter, "n_iter", low=0, integer=True)
    path = np.empty((n_iter + 1, x.size))
    path[0] = x
    for t in range(n_iter):
        g = as_float_array(grad(path[t]), "grad")
        if g.shape != x.shape:
            raise ValueError(
                f"`grad` must return an array of shape {x.shape}, got {g.shape}"
            )
        if not np.all(np.isfinite(g)):
            raise ValueError(
                f"`grad` returned NaN or infinity at step {t} "
                f"(norm of x_t = {np.linalg.norm(path[t]):.3g}): either gradient "
                "descent diverged (reduce `learning_rate`) or `grad` fails there"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            path[t + 1] = path[t] - learning_rate * g
        if not np.all(np.isfinite(path[t + 1])):
            raise ValueError(
                f"gradient descent diverged at step {t + 1} (the iterate overflowed); "
                "reduce `learning_rate`"
            )
    return path


def attention_gradients(
    Q: ArrayLike,
    K: ArrayLike,
    V: ArrayLike,
    grad_output: ArrayLike,
    mask: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward pass of scaled dot-product attention.

    With :math:`S = QK^\top/\sqrt{d_k}`, :math:`P = \mathrm{softmax}(S)` (by rows)
    and :math:`O = PV`, a scalar loss with adjoint :math:`\bar O =
    \partial L/\partial O` has

    .. math::

        \begin{aligned}
        \bar V &= P^\top \bar O, \quad \bar P = \bar O V^\top, \\
        \bar S_{ij} &= P_{ij}\Big(\bar P_{ij} - \sum_k \bar P_{ik} P_{ik}\Big), \\
        \bar Q &= \bar S K / \sqrt{d_k}, \quad \bar K = \bar S^\top Q / \sqrt{d_k}.
        \end{aligned}

    Parameters
    ----------
    Q : array_like of shape (n_q, d_k)
    K : array_like of shape (n_k, d_k)
    V : array_like of shape (n_k, d_v)
    grad_output : array_like of shape (n_q, d_v)
        :math:`\bar O`, the gradient of the loss with respect to the output.
    mask : array_like of bool, shape (n_q, n_k), optional
        As in :func:`scaled_dot_product_attention` (``True`` = may attend).

    Returns
    -------
    grad_Q : ndarray of shape (n_q, d_k)
    grad_K : ndarray of shape (n_k, d_k)
    grad_V : ndarray of shape (n_k, d_v)
        Each gradient has the shape of its variable.

    Raises
    ------
    ValueError
        If the shapes do not fit together (as in
        :func:`scaled_dot_product_attention`), or ``grad_output`` does not have shape
        (n_q, d_v).
    TypeError
        If the mask is not boolean.

    Notes
    -----
    The row rule for :math:`\bar S` is the softmax Jacobian
    :math:`\operatorname{diag}(p) - pp^\top` applied to each row of :math:`\bar P`.
    Masked entries have :math:`P_{ij} = 0` and so receive no gradient. The cost is about
    twice that of the forward pass (four matrix products against two).

    Examples
    --------
    With :math:`L = \sum_{ij} O_{ij}` (so :math:`\bar O` is all ones), the gradient
    with respect to :math:`V` is :math:`P^\top\mathbf 1`, the column sums of the
    weights:

    >>> Q = np.array([[1.0, 0.0]])
    >>> K = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> V = np.array([[10.0], [20.0]])
    >>> gQ, gK, gV = attention_gradients(Q, K, V, np.ones((1, 1)))
    >>> gV.round(4)
    array([[0.6698],
           [0.3302]])
    >>> gQ.round(4)
    array([[-1.564,  1.564]])
    """
    _, P = scaled_dot_product_attention(Q, K, V, mask=mask)
    Q, K, V = (
        np.asarray(Q, dtype=float),
        np.asarray(K, dtype=float),
        np.asarray(V, dtype=float),
    )
    G = as_matrix(grad_output, "grad_output")
    if G.shape != (Q.shape[0], V.shape[1]):
        raise ValueError(
            f"`grad_output` must have shape (n_q, d_v) = {(Q.shape[0], V.shape[1])}, "
            f"got {G.shape}"
        )
    scale = 1.0 / np.sqrt(Q.shape[1])
    grad_V = P.T @ G
    grad_P = G @ V.T
    grad_S = P * (grad_P - np.sum(grad_P * P, axis=1, keepdims=True))
    return scale * grad_S @ K, scale * grad_S.T @ Q, grad_V
