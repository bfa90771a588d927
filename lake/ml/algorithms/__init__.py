"""The algorithm registry: spec names → tasks, hyperparameter tables (user names → MLlib's) and builders.

``get_algorithm(name)`` returns an :class:`Algorithm`; ``algorithm.check_params(params, task)``
validates a ``[model]`` table and ``algorithm.build(BuildContext(...))`` returns the unfitted
estimator. One module per family; :mod:`lake.ml.algorithms.knn` holds our own kNN estimator.
"""

from __future__ import annotations

from lake.ml.algorithms import bayes, clustering, decomposition, factorization, knn, linear, neural, topics, trees, xgb
from lake.ml.algorithms._base import CLASSIFICATION, SUPERVISED, TASKS, Algorithm, BuildContext, HyperParam
from lake.ml.errors import SpecError

__all__ = [
    "ALGORITHMS",
    "CLASSIFICATION",
    "SUPERVISED",
    "TASKS",
    "Algorithm",
    "BuildContext",
    "HyperParam",
    "algorithms_for",
    "get_algorithm",
]

ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for module in (linear, trees, xgb, bayes, neural, factorization, clustering, topics, decomposition, knn)
    for a in module.ALGORITHMS
}


def get_algorithm(name: str, key: str = "model.algorithm") -> Algorithm:
    """The algorithm called ``name``; an unknown name raises :class:`SpecError` listing the valid ones."""
    try:
        return ALGORITHMS[name]
    except (KeyError, TypeError):
        raise SpecError(key=key, reason=f"unknown algorithm {name!r}", valid=tuple(ALGORITHMS),
                        got=name if isinstance(name, str) else None) from None


def algorithms_for(task: str) -> tuple[str, ...]:
    """The algorithm names that serve ``task``."""
    return tuple(name for name, a in ALGORITHMS.items() if task in a.tasks)
