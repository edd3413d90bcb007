"""Alerts for the unattended run: a failed step is written to a log file, or posted to a webhook."""

import json
import time
from pathlib import Path

import dagster as dg


class AlertTarget(dg.ConfigurableResource):
    """Where failure alerts go: ``log_file`` always; ``webhook_url`` too when set (e.g. a chat webhook)."""

    log_file: str = "output/alerts.log"
    webhook_url: str | None = None
    timeout_seconds: float = 10.0

    def send(self, alert: dict) -> None:
        path = Path(self.log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:  # one JSON line per alert; appends are atomic enough
            handle.write(json.dumps(alert, ensure_ascii=False) + "\n")
        if self.webhook_url:
            import httpx

            httpx.post(self.webhook_url, json=alert, timeout=self.timeout_seconds)


def failure_alert(job_name: str, run_id: str, step: str, error: BaseException | None) -> dict:
    """The alert text: which asset (step) failed in which run, and why."""
    reason = f"{type(error).__name__}: {error}" if error else "unknown error"
    return {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "job": job_name,
        "run_id": run_id,
        "asset": step,
        "reason": reason.splitlines()[0][:2000],
        "text": f"innofund: {step} failed in {job_name} ({run_id[:8]}): {reason.splitlines()[0][:500]}",
    }


@dg.failure_hook(required_resource_keys={"alerts"})
def alert_on_failure(context: dg.HookContext) -> None:
    error = context.op_exception
    cause = getattr(error, "__cause__", None) or error  # Dagster wraps user errors
    alert = failure_alert(context.job_name, context.run_id, context.op.name, cause)
    try:
        context.resources.alerts.send(alert)
    except Exception as exc:  # an alert that cannot be sent must not hide the failure it reports
        context.log.error(f"alert not delivered: {exc}; alert was: {alert['text']}")
