"""Nothing is lost: on the simulator's data (duplicates, outliers, malformed and missing values)
every run records rows read = written + quarantined + duplicates, and the quarantined rows are
exactly the outliers the simulator's ground truth knows."""

from __future__ import annotations

from etl_testkit import SILVER, emissions, silver_spec, truth, write_bronze

from lake.etl import ResultsTable, run_etl


def test_counts_add_up_and_the_quarantine_holds_exactly_the_outliers(spark, local_lake, local_store) -> None:  # type: ignore[no-untyped-def]
    store = local_store
    batch = emissions(400, duplicate_rate=0.08, outlier_rate=0.06, malformed_rate=0.04, missing_rate=0.02)
    first, second = batch[:250], batch[250:]
    first_truth = truth(first)
    second_truth = truth(second, seen=first_truth.clean)
    assert first_truth.outliers and first_truth.duplicates and first_truth.malformed  # the knobs did something

    runs = []
    for batch_id, (part, expected) in enumerate([(first, first_truth), (second, second_truth)]):
        write_bronze(spark, store, part, batch_id)
        result = run_etl(spark, local_lake, silver_spec(), publish_docs=False)
        counts = result.counts
        assert counts.balanced and counts.read == counts.written + counts.quarantined + counts.duplicates
        assert (counts.read, counts.quarantined, counts.duplicates) == (
            expected.read, expected.quarantined_rows, expected.duplicates)
        runs.append(result)

    quarantined = store.read(f"{SILVER}__quarantine")
    assert {r["record_id"] for r in quarantined.select("record_id").collect()} == (
        first_truth.outliers | second_truth.outliers)
    assert {r["_run_id"] for r in quarantined.select("_run_id").distinct().collect()} == {r.run_id for r in runs}
    silver_ids = {r["record_id"] for r in store.read(SILVER).select("record_id").collect()}
    assert silver_ids == first_truth.clean | second_truth.clean and store.read(SILVER).count() == len(silver_ids)

    identity = [r for r in ResultsTable(local_lake).read("silver.heart_visits").to_pylist()
                if r["rule"] == "row_count_identity"]
    assert sorted(r["run_id"] for r in identity) == sorted(r.run_id for r in runs)
    assert all(r["status"] == "passed" and r["failed"] == 0 for r in identity)
