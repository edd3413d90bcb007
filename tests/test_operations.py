"""The unattended run as an operator sees it: schedule, landing sensor, freshness, alerts, loadable defs."""

import json
import os
import subprocess
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from pipelines.alerts import AlertTarget, alert_on_failure
from pipelines.automation import FRESHNESS_WINDOWS, changed_sources, freshness_checks, refresh_job_name, scan_landing
from pipelines.definitions import ALL_JOB, build_defs
from pipelines.resources import REPO_ROOT, InnofundPaths

SOURCE = "forskningsradet_soknader"


def test_nightly_schedule_requests_the_whole_graph(tmp_path):
    defs = build_defs(InnofundPaths(landing_dir=str(tmp_path), output_dir=str(tmp_path / "o")))
    schedule = defs.get_schedule_def("nightly")
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=None)
        result = schedule.evaluate_tick(context)
    assert len(result.run_requests) == 1
    assert schedule.job_name == ALL_JOB
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Europe/Oslo")


def _evaluate_sensor(defs, paths, cursor):
    sensor = defs.get_sensor_def("landing_sensor")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"paths": paths},
                                          definitions=defs)
        result = sensor.evaluate_tick(context)
    return result, result.cursor


def test_landing_sensor_fires_on_new_and_changed_content_only(tmp_path, fixtures):
    landing = tmp_path / "landing"
    folder = landing / SOURCE
    folder.mkdir(parents=True)
    paths = InnofundPaths(landing_dir=str(landing), output_dir=str(tmp_path / "o"))
    defs = build_defs(paths)

    result, cursor = _evaluate_sensor(defs, paths, None)
    assert not result.run_requests, "an empty landing folder starts nothing"

    target = folder / "soknader2_sample.csv"
    target.write_bytes((fixtures / "forskningsradet" / "soknader2_sample.csv").read_bytes())
    result, cursor = _evaluate_sensor(defs, paths, cursor)
    assert [r.job_name for r in result.run_requests] == [refresh_job_name(SOURCE)]
    assert result.run_requests[0].tags["innofund/source"] == SOURCE

    result, cursor = _evaluate_sensor(defs, paths, cursor)
    assert not result.run_requests, "an unchanged file starts nothing"

    later = time.time() + 60
    os.utime(target, (later, later))  # touched: new mtime, same bytes
    result, cursor = _evaluate_sensor(defs, paths, cursor)
    assert not result.run_requests, "a new modification time with the same content starts nothing"

    with open(target, "ab") as handle:
        handle.write(b"\n")
    target.write_bytes(target.read_bytes().replace(b"Stokastisk", b"Stokastiske", 1))
    result, cursor = _evaluate_sensor(defs, paths, cursor)
    assert [r.job_name for r in result.run_requests] == [refresh_job_name(SOURCE)]


def test_scan_rehashes_only_moved_files_and_compares_content(tmp_path):
    folder = tmp_path / SOURCE
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"one")
    first = scan_landing(tmp_path, {})
    forged = json.loads(json.dumps(first))
    forged[SOURCE]["a.csv"][2] = "0" * 64  # same size and mtime: the remembered hash is trusted
    assert scan_landing(tmp_path, forged)[SOURCE]["a.csv"][2] == "0" * 64
    assert changed_sources(first, scan_landing(tmp_path, first)) == []


def test_refresh_job_reruns_one_source_and_what_depends_on_it(tmp_path):
    defs = build_defs(InnofundPaths(landing_dir=str(tmp_path), output_dir=str(tmp_path / "o")))
    job = defs.resolve_job_def(refresh_job_name(SOURCE))
    keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert {f"raw_{SOURCE}", f"staging_{SOURCE}", "core_awards", "release"} <= keys
    assert all(not k.startswith("raw_") or k == f"raw_{SOURCE}" for k in keys)


def test_a_stale_source_fails_its_freshness_check(tmp_path):
    from dagster._core.test_utils import freeze_time  # Dagster's own clock for checks

    defs = build_defs(InnofundPaths(landing_dir=str(tmp_path), output_dir=str(tmp_path / "o")))
    key = dg.AssetKey(f"raw_{SOURCE}")
    window = FRESHNESS_WINDOWS["quarterly"]
    check_keys = [k for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key == key and "fresh" in k.name]
    assert check_keys, "the raw asset has a freshness check"
    checks_only = dg.Definitions(
        assets=[dg.AssetSpec(key)], asset_checks=freshness_checks(),
        jobs=[dg.define_asset_job("freshness", selection=dg.AssetSelection.checks(*check_keys))])
    job = checks_only.resolve_job_def("freshness")

    def evaluate(instance) -> bool:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        (evaluation,) = result.get_asset_check_evaluations()
        return evaluation.passed

    with dg.instance_for_test() as instance:
        start = time.time()
        with freeze_time(start):
            instance.report_runless_asset_event(dg.AssetMaterialization(key))
        with freeze_time(start + timedelta(days=1).total_seconds()):
            assert evaluate(instance), "read yesterday: fresh"
        with freeze_time(start + (window + timedelta(days=1)).total_seconds()):
            assert not evaluate(instance), "read more than a quarter ago: stale"


class _Webhook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    server.timeout = 5
    _Webhook.received = []
    thread = threading.Thread(target=server.handle_request, daemon=True)  # one request, then stop
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    thread.join(timeout=10)
    server.server_close()


def test_alert_hook_names_the_failed_asset_and_why(tmp_path, webhook):
    @dg.asset
    def core_awards_broken():
        raise ValueError("awards.parquet is not a Parquet file")

    log = tmp_path / "alerts.log"
    job = dg.define_asset_job("failing", selection=[core_awards_broken], hooks={alert_on_failure})
    defs = dg.Definitions(assets=[core_awards_broken], jobs=[job],
                          resources={"alerts": AlertTarget(log_file=str(log), webhook_url=webhook)})
    result = defs.resolve_job_def("failing").execute_in_process(raise_on_error=False)
    assert not result.success
    (alert,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert alert["asset"] == "core_awards_broken"
    assert "awards.parquet is not a Parquet file" in alert["reason"]
    assert alert["run_id"] == result.run_id
    for _ in range(50):
        if _Webhook.received:
            break
        time.sleep(0.1)
    assert _Webhook.received and _Webhook.received[0]["asset"] == "core_awards_broken"


def test_every_job_hands_freed_memory_back_after_each_step(tmp_path):
    """The in-process run's peak is its largest step only if each step's leftovers are returned (pipelines/memory.py)."""
    from pipelines.memory import return_freed_memory, return_freed_memory_after_step

    defs = build_defs(InnofundPaths(landing_dir=str(tmp_path), output_dir=str(tmp_path / "o")))
    jobs = [defs.resolve_job_def(job.name) for job in defs.jobs]
    assert len(jobs) > 2
    assert [job.name for job in jobs if return_freed_memory_after_step not in job.hook_defs] == []
    assert [job.name for job in jobs if alert_on_failure not in job.hook_defs] == []
    return_freed_memory()  # callable outside a run, on any platform


def test_dg_check_defs_passes():
    dg_cli = Path(os.sys.executable).with_name("dg")
    done = subprocess.run([str(dg_cli), "check", "defs"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "All definitions loaded successfully" in done.stdout + done.stderr


def test_documented_production_config_parses_and_limits_the_writer_tag():
    """The dagster.yaml in docs/operations.md is valid YAML and its run queue limits the tag our jobs carry."""
    import re

    import yaml

    from pipelines.automation import WRITER_TAGS
    from pipelines.definitions import ALL_JOB, build_defs

    text = (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    config = yaml.safe_load(re.search(r"```yaml\n(.+?)```", text, re.S).group(1))
    limits = config["run_coordinator"]["config"]["tag_concurrency_limits"]
    ((key, value),) = WRITER_TAGS.items()
    assert {"key": key, "value": value, "limit": 1} in limits
    assert config["storage"]["postgres"] and config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    defs = build_defs()
    assert defs.resolve_job_def(ALL_JOB).tags[key] == value
    assert all(defs.resolve_job_def(f"refresh_{sid}").tags[key] == value for sid in ("skattefunn", "cordis_projects"))
