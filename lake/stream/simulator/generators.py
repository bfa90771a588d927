"""The registry of record generators: a name maps to a generator class."""

from __future__ import annotations

from collections.abc import Callable

from lake.stream.simulator.base import GeneratorOptions, RecordGenerator
from lake.stream.simulator.errors import UnknownGeneratorError
from lake.stream.simulator.heart import HeartGenerator
from lake.stream.simulator.iot import IotGenerator

__all__ = ["GENERATORS", "make_generator"]

GENERATORS: dict[str, Callable[[GeneratorOptions], RecordGenerator]] = {
    "heart": HeartGenerator,
    "iot": IotGenerator,
}


def make_generator(name: str, options: GeneratorOptions) -> RecordGenerator:
    """Build the generator registered as ``name``."""
    factory = GENERATORS.get(name)
    if factory is None:
        raise UnknownGeneratorError(name, sorted(GENERATORS))
    return factory(options)
