"""The demo pipeline as shipped, and what each demo run sets: its size and fresh seeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from infra.demo.run import DEMO_SPEC, SOURCE_ROOT, demo_params, load_demo_pipeline
from infra.pipelines import LAKE_COMMANDS, load_pipelines
from infra.pipelines.templating import template_variables


def test_the_demo_is_an_ordinary_pipeline_of_the_shipped_folder() -> None:
    assert "demo" in load_pipelines([DEMO_SPEC.parent], base_dir=SOURCE_ROOT)
    demo = load_demo_pipeline()
    assert demo.schedule is None and demo.on is None
    assert demo.order() == ["simulate", "simulate-new", "ingest", "crawl", "views", "etl", "train",
                            "champion", "predict", "monitor", "serve", "report"]
    assert {s.command for s in demo.steps if s.command} <= set(LAKE_COMMANDS)


def test_every_file_a_step_names_exists_in_the_checkout() -> None:
    demo = load_demo_pipeline()
    files = [s.submit for s in demo.steps if s.submit]
    files += [a for s in demo.steps for a in s.args if re.match(r"^(infra|jobs)/.+\.(sql|toml|py)$", a)]
    library = demo.step("views").args[demo.step("views").args.index("--folder") + 1]
    files.append(library)
    assert len(files) >= 3
    assert all((SOURCE_ROOT / f).exists() for f in files), files


def test_the_views_step_creates_the_training_and_the_scoring_view() -> None:
    from catalog.sql import load_library

    demo = load_demo_pipeline()
    library = SOURCE_ROOT / demo.step("views").args[demo.step("views").args.index("--folder") + 1]
    created = {str(name) for f in load_library(library) for name in f.creates}
    assert {"ml.heart_features", "ml.heart_unlabelled", "silver.heart_visits"} <= created
    inputs = {s.args[s.args.index("--input") + 1] for s in demo.steps if "--input" in s.args}
    assert inputs == {"ml.heart_unlabelled", "ml.heart_risk_scores"}


def test_every_param_is_used_and_every_lake_command_prints_json() -> None:
    demo = load_demo_pipeline()
    texts = [*demo.env.values(), *(a for s in demo.steps for a in [*s.args, *s.env.values()])]
    used = {v.removeprefix("params.") for t in texts for v in template_variables(t, demo.params)
            if v.startswith("params.")}
    assert used == set(demo.params)
    assert all("--json" in s.args for s in demo.steps if s.command)


def test_each_run_gets_new_distinct_seeds_and_records_scale_today_s_visits() -> None:
    first = demo_params(None, datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC))
    second = demo_params(None, datetime(2026, 12, 1, 12, 0, 1, tzinfo=UTC))
    assert first["seed"] != second["seed"] and int(first["new_seed"]) == int(first["seed"]) + 1
    assert "records" not in first
    sized = demo_params(2000, datetime(2026, 12, 1, tzinfo=UTC))
    assert (sized["records"], sized["new_records"]) == ("2000", "500")
    assert demo_params(200, datetime(2026, 12, 1, tzinfo=UTC))["new_records"] == "50"
    demo = load_demo_pipeline().with_params(sized)
    assert demo.params["records"] == "2000" and demo.params["trials"] == "4"
