"""The multilayer perceptron (MLlib's feed-forward network: sigmoid hidden layers, softmax output)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lake.ml.algorithms._base import CLASSIFICATION, Algorithm, BuildContext, HyperParam, spark_columns
from lake.ml.algorithms.kinds import Choice, Float, Int, IntList
from lake.ml.errors import SpecError

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS", "DEFAULT_HIDDEN", "MLP", "hidden_layers"]

DEFAULT_HIDDEN = (16,)


class _SigmoidOnly:
    """The ``activation`` key: accepted only as "sigmoid", since MLlib offers no other."""

    def check(self, key: str, value: Any) -> str:
        if value != "sigmoid":
            raise SpecError(key=key, reason=f"activation {value!r} is not available: MLlib's multilayer perceptron "
                            "uses sigmoid hidden layers and a softmax output; remove the key or set \"sigmoid\"",
                            valid=("sigmoid",))
        return "sigmoid"

    def describe(self) -> str:
        return '"sigmoid" (fixed by MLlib)'


def hidden_layers(params: dict) -> list[int]:  # type: ignore[type-arg]
    """The hidden layer sizes of the spec (input and output sizes are inferred at fit time)."""
    return list(params.get("layers", DEFAULT_HIDDEN))


def _mlp(ctx: BuildContext) -> Estimator:
    from pyspark.ml.classification import MultilayerPerceptronClassifier

    # layers[0] is a placeholder: the training step sets it to the prepared feature vector's size.
    layers = [1, *hidden_layers(dict(ctx.params)), int(ctx.num_classes or 2)]
    return MultilayerPerceptronClassifier(layers=layers, **spark_columns(ctx, probability=True, raw=True, weight=False),
                                          **MLP.target_kwargs(ctx))


MLP = Algorithm(
    name="mlp",
    summary="multilayer perceptron (feed-forward neural network)",
    tasks=CLASSIFICATION,
    params=(
        HyperParam("layers", None, IntList(1), "hidden layer sizes, e.g. [32, 16] (input/output sizes inferred)"),
        HyperParam("activation", None, _SigmoidOnly(),
                   "hidden activation: MLlib fixes it to sigmoid (softmax output); other values are refused"),
        HyperParam("max_iter", "maxIter", Int(1), "epochs (optimiser iterations)"),
        HyperParam("step_size", "stepSize", Float(0.0, open_low=True), "learning rate (solver gd)"),
        HyperParam("learning_rate", "stepSize", Float(0.0, open_low=True), "alias of step_size"),
        HyperParam("block_size", "blockSize", Int(1), "rows stacked per block (batch size)"),
        HyperParam("solver", "solver", Choice(("l-bfgs", "gd")), "optimiser"),
        HyperParam("tol", "tol", Float(0.0), "convergence tolerance"),
        HyperParam("seed", "seed", Int(), "random seed (initial weights)"),
    ),
    build=_mlp,
    probability=True,
    raw_prediction=True,
    notes="MLlib's MLP has sigmoid hidden layers and a softmax output; the activation cannot be chosen.",
)

ALGORITHMS = (MLP,)
