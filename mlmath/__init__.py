"""mlmath: the from-scratch NumPy layer of the book.

*Mathematics for Machine Learning, Executable*.

One module per chapter; every public name is re-exported here, so chapters write
``from mlmath import pagerank``.

==========================  =====================================================
module                      chapter
==========================  =====================================================
:mod:`mlmath.linalg`        1. Linear algebra
:mod:`mlmath.calculus`      2. Calculus
:mod:`mlmath.optimization`  3. Optimisation
:mod:`mlmath.probability`   4. Probability and information theory
:mod:`mlmath.montecarlo`    5. Monte Carlo and normalising flows
:mod:`mlmath.networks`      6. Network analysis
:mod:`mlmath.bayesopt`      7. Bayesian optimisation
==========================  =====================================================
"""

from . import (
    bayesopt,
    calculus,
    linalg,
    montecarlo,
    networks,
    optimization,
    probability,
)
from ._validation import ConvergenceWarning
from .bayesopt import *  # noqa: F403
from .calculus import *  # noqa: F403
from .linalg import *  # noqa: F403
from .montecarlo import *  # noqa: F403
from .networks import *  # noqa: F403
from .optimization import *  # noqa: F403
from .probability import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    *linalg.__all__,
    *calculus.__all__,
    *optimization.__all__,
    *probability.__all__,
    *montecarlo.__all__,
    *networks.__all__,
    *bayesopt.__all__,
    "ConvergenceWarning",
]
