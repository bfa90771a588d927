"""End-to-end simulator runs on the moto server: what is on the stream, the ground truth,
the summary and the ``lake simulate`` command."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lake.stream.simulator import (
    RetryPolicy,
    SimulationProgress,
    SimulatorConfig,
    iter_emissions,
    read_ground_truth,
    simulate,
)

pytestmark = pytest.mark.moto

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.01)
KNOBS = {
    "missing_rate": 0.03, "outlier_rate": 0.02, "duplicate_rate": 0.05, "late_rate": 0.1,
    "lateness": 900.0, "malformed_rate": 0.04, "drift_after": 1500,
}
Reader = Callable[[str], list[dict[str, Any]]]


def _config(stream: str, tmp_path: Path, **kwargs: Any) -> SimulatorConfig:
    base: dict[str, Any] = {
        "generator": "heart", "stream_name": stream, "records": 2000, "rate": 0.0, "seed": 11,
        "start_time": START, "shards": 3, "ground_truth": tmp_path / "truth.ndjson", "retry": FAST,
    }
    return SimulatorConfig(**{**base, **kwargs})


@pytest.mark.parametrize("generator", ["heart", "iot"])
def test_stream_holds_exactly_the_emitted_bytes_and_truth_the_valid_records(
    kinesis_client: Any, unique_name: str, tmp_path: Path, sim_read_stream: Reader, generator: str
) -> None:
    config = _config(unique_name, tmp_path, generator=generator, **KNOBS)
    summary = simulate(config, client=kinesis_client)
    expected = list(iter_emissions(config))
    on_stream = sim_read_stream(unique_name)

    assert Counter(r["data"] for r in on_stream) == Counter(e.data for e in expected)
    assert summary.error is None and summary.failed == 0
    kinds = Counter(e.kind for e in expected)
    assert (summary.valid, summary.duplicates, summary.malformed) == (
        kinds["valid"], kinds["duplicate"], kinds["malformed"]
    )
    assert summary.sent == len(on_stream) == summary.valid + summary.duplicates + summary.malformed
    assert summary.generated == 2000 and summary.shards == 3
    assert summary.per_shard == dict(Counter(r["shard_id"] for r in on_stream))

    truth = read_ground_truth(config.ground_truth)  # type: ignore[arg-type]
    valid = [e for e in expected if e.kind == "valid"]
    assert [t["record_id"] for t in truth] == [e.record_id for e in valid]
    assert len({t["record_id"] for t in truth}) == len(truth) == summary.valid
    by_sequence = {(r["shard_id"], r["sequence_number"]): r for r in on_stream}
    for line in truth:
        wire = by_sequence[(line["shard_id"], line["sequence_number"])]
        assert json.loads(wire["data"]) == line["record"]
        assert wire["partition_key"] == line["partition_key"]
        assert line["event_time"] == line["record"]["event_time"]
    assert summary.late == sum(t["late"] for t in truth) > 0
    assert summary.missing == sum(bool(t["missing"]) for t in truth) > 0
    assert summary.outliers == sum(t["outlier"] is not None for t in truth) > 0
    assert summary.drifted == sum(t["drift_string"] is not None for t in truth) > 0
    assert summary.drift_field_records == sum(t["drift_field"] for t in truth) > 0


def test_heart_summary_reports_labels_and_the_bayes_optimal_auc(
    kinesis_client: Any, unique_name: str, tmp_path: Path
) -> None:
    summary = simulate(_config(unique_name, tmp_path, records=3000), client=kinesis_client)
    assert summary.bayes_optimal_auc is not None and 0.5 < summary.bayes_optimal_auc < 1
    assert summary.bayes_auc_sample is not None
    assert summary.bayes_auc_sample == pytest.approx(summary.bayes_optimal_auc, abs=0.04)
    assert summary.label_rate == pytest.approx(0.45, abs=0.05)
    truth = read_ground_truth(tmp_path / "truth.ndjson")
    assert summary.positives == sum(t["record"]["heart_disease"] for t in truth)


def test_a_duplicate_whose_original_failed_still_lands_once_in_ground_truth(
    kinesis_client: Any, unique_name: str, tmp_path: Path, sim_read_stream: Reader
) -> None:
    config = _config(unique_name, tmp_path, records=400, duplicate_rate=0.3, duplicate_max_delay=0)
    emissions = list(iter_emissions(config))
    valid = [e for e in emissions if e.kind == "valid" and e.truth]
    victim = next(e for e in valid if e.truth and e.truth["duplicates"])
    doomed = next(e for e in valid if e.truth and not e.truth["duplicates"])
    seen: Counter[bytes] = Counter()

    class DropFirstCopy:
        """Rejects the victim's first copy and every copy of the doomed record."""

        def __getattr__(self, name: str) -> Any:
            return getattr(kinesis_client, name)

        def put_records(self, **kwargs: Any) -> Any:
            keep, outcome = [], []
            for r in kwargs["Records"]:
                seen[r["Data"]] += 1
                first_victim = r["Data"] == victim.data and seen[r["Data"]] == 1
                if r["Data"] == doomed.data or first_victim:
                    outcome.append({"ErrorCode": "InternalFailure", "ErrorMessage": "boom"})
                else:
                    keep.append(r)
                    outcome.append(None)
            stream = kwargs["StreamName"]
            sent = iter(kinesis_client.put_records(StreamName=stream, Records=keep)["Records"])
            return {"FailedRecordCount": sum(1 for o in outcome if o),
                    "Records": [o or next(sent) for o in outcome]}

    config = _config(unique_name, tmp_path, records=400, duplicate_rate=0.3, duplicate_max_delay=0,
                     retry=RetryPolicy(max_attempts=1))
    summary = simulate(config, client=DropFirstCopy())
    truth = read_ground_truth(tmp_path / "truth.ndjson")
    ids = [t["record_id"] for t in truth]
    assert ids.count(victim.record_id) == 1 and doomed.record_id not in ids
    assert len(ids) == len(set(ids)) == summary.valid
    assert summary.failed == 2
    on_stream = Counter(r["data"] for r in sim_read_stream(unique_name))
    assert on_stream[victim.data] == 1 and on_stream[doomed.data] == 0


def test_a_stream_that_keeps_throttling_stops_the_run_with_an_error(
    kinesis_client: Any, unique_name: str, tmp_path: Path
) -> None:
    class Throttled:
        def __getattr__(self, name: str) -> Any:
            return getattr(kinesis_client, name)

        def put_records(self, **kwargs: Any) -> Any:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "PutRecords",
            )

    summary = simulate(_config(unique_name, tmp_path, records=20_000), client=Throttled(),
                       sleep=lambda s: None)
    assert summary.error and "still failing after 5 attempts" in summary.error
    assert summary.generated < 20_000  # stopped early
    assert summary.sent == 0 and summary.failed == summary.generated  # every entry accounted
    assert read_ground_truth(tmp_path / "truth.ndjson") == []


def test_rate_and_duration_bound_the_run_and_progress_is_reported(
    kinesis_client: Any, unique_name: str, tmp_path: Path
) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    updates: list[SimulationProgress] = []
    config = _config(unique_name, tmp_path, records=None, duration=2.0, rate=500.0, linger=0.05)
    summary = simulate(config, client=kinesis_client, clock=lambda: now[0], sleep=sleep,
                       on_progress=updates.append)
    assert 990 <= summary.generated <= 1010  # 2 s of simulated time at 500 records/s
    assert summary.sent == summary.generated
    assert len(updates) >= 20  # batches flushed by linger, not only when full
    assert updates[-1].sent == summary.sent and updates[-1].duration_s == 2.0


def test_cli_simulate_json(moto_endpoint: str, unique_name: str, tmp_path: Path,
                           sim_read_stream: Reader) -> None:
    from typer.testing import CliRunner

    from infra.cli.main import app

    truth = tmp_path / "gt.ndjson"
    result = CliRunner().invoke(
        app,
        ["--profile", "moto", "simulate", "--stream", unique_name, "--generator", "iot",
         "--records", "300", "--rate", "0", "--shards", "2", "--seed", "5",
         "--start-time", "2026-03-01T12:00:00Z", "--malformed-rate", "0.05",
         "--duplicate-rate", "0.05", "--ground-truth", str(truth), "--json"],
        env={"LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint},
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["generator"] == "iot" and summary["stream"] == unique_name
    assert summary["seed"] == 5 and summary["start_time"] == "2026-03-01T12:00:00.000Z"
    assert summary["generated"] == 300 and summary["failed"] == 0 and summary["stream_created"]
    assert summary["malformed"] > 0 and summary["duplicates"] > 0
    assert summary["bayes_optimal_auc"] is None
    on_stream = sim_read_stream(unique_name)
    assert sum(summary["per_shard"].values()) == summary["sent"] == len(on_stream)
    assert len(read_ground_truth(truth)) == summary["valid"]


def test_cli_rejects_bad_options_in_one_line(moto_endpoint: str) -> None:
    from typer.testing import CliRunner

    from infra.cli.main import app

    result = CliRunner().invoke(
        app, ["--profile", "moto", "simulate", "--stream", "ecg"],
        env={"LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint},
    )
    assert result.exit_code == 1
    assert "simulator option generator='ecg': expected heart or iot" in result.output
    result = CliRunner().invoke(
        app, ["--profile", "moto", "simulate", "--lateness", "soon"],
        env={"LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint},
    )
    assert result.exit_code == 1 and "--lateness='soon'" in result.output
