"""``lake simulate``: deterministic event generators sending to a Kinesis Data Streams API.

Library use::

    from lake.stream.simulator import SimulatorConfig, simulate
    summary = simulate(SimulatorConfig(generator="heart", records=5000, seed=7),
                       boto3_kwargs=profile.boto3_kwargs())

:func:`iter_emissions` yields the exact bytes a run sends without touching the network.
"""

from lake.stream.simulator.base import (
    GeneratedRecord,
    GeneratorOptions,
    RecordGenerator,
    format_event_time,
    parse_event_time,
)
from lake.stream.simulator.batching import (
    MAX_BYTES_PER_CALL,
    MAX_BYTES_PER_RECORD,
    MAX_RECORDS_PER_CALL,
    Batcher,
    Entry,
    pack_batches,
)
from lake.stream.simulator.config import DEFAULT_RECORDS, SimulatorConfig, parse_duration
from lake.stream.simulator.emitter import Emission, Emitter, iter_emissions
from lake.stream.simulator.errors import (
    KinesisRequestError,
    KinesisUnavailableError,
    RecordTooLargeError,
    SimulatorConfigError,
    SimulatorError,
    StreamNotActiveError,
    UnknownGeneratorError,
)
from lake.stream.simulator.generators import GENERATORS, make_generator
from lake.stream.simulator.ground_truth import GroundTruthWriter, read_ground_truth
from lake.stream.simulator.heart import (
    CATEGORY_TERMS,
    FLAG_TERMS,
    NUMERIC_TERMS,
    HeartGenerator,
    bayes_optimal_auc,
    heart_intercept,
    heart_logit,
    heart_probability,
)
from lake.stream.simulator.iot import IotGenerator
from lake.stream.simulator.metrics import roc_auc
from lake.stream.simulator.producer import (
    Accepted,
    KinesisProducer,
    PutResult,
    Rejected,
    RetryPolicy,
    StreamInfo,
    make_kinesis_client,
)
from lake.stream.simulator.ratelimit import TokenBucket
from lake.stream.simulator.run import SimulationProgress, SimulationSummary, simulate

__all__ = [
    "CATEGORY_TERMS",
    "DEFAULT_RECORDS",
    "FLAG_TERMS",
    "GENERATORS",
    "MAX_BYTES_PER_CALL",
    "MAX_BYTES_PER_RECORD",
    "MAX_RECORDS_PER_CALL",
    "NUMERIC_TERMS",
    "Accepted",
    "Batcher",
    "Emission",
    "Emitter",
    "Entry",
    "GeneratedRecord",
    "GeneratorOptions",
    "GroundTruthWriter",
    "HeartGenerator",
    "IotGenerator",
    "KinesisProducer",
    "KinesisRequestError",
    "KinesisUnavailableError",
    "PutResult",
    "RecordGenerator",
    "RecordTooLargeError",
    "Rejected",
    "RetryPolicy",
    "SimulationProgress",
    "SimulationSummary",
    "SimulatorConfig",
    "SimulatorConfigError",
    "SimulatorError",
    "StreamInfo",
    "StreamNotActiveError",
    "TokenBucket",
    "UnknownGeneratorError",
    "bayes_optimal_auc",
    "format_event_time",
    "heart_intercept",
    "heart_logit",
    "heart_probability",
    "iter_emissions",
    "make_generator",
    "make_kinesis_client",
    "pack_batches",
    "parse_duration",
    "parse_event_time",
    "read_ground_truth",
    "roc_auc",
    "simulate",
]
