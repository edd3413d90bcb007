"""Short progress lines for the command line, instead of Dagster's verbose console log."""

import logging
import sys
import time

import dagster as dg

_SHOWN_EVENTS = {"STEP_FAILURE", "ASSET_CHECK_EVALUATION", "RUN_FAILURE", "STEP_SKIPPED"}


class _ProgressFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", {}) or {}
        step = meta.get("step_key") or "run"
        message = meta.get("orig_message") or record.getMessage()
        return f"[{time.strftime('%H:%M:%S')}] {step}: {message.splitlines()[0] if message else ''}"


class _ProgressFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", {}) or {}
        event = meta.get("dagster_event")
        if event is None:
            return record.levelno >= logging.INFO
        return event.event_type_value in _SHOWN_EVENTS


@dg.logger(description="One line per step message, for the innofund CLI.")
def progress_logger(_init_context) -> logging.Logger:
    logger = logging.Logger("innofund.progress", level=logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ProgressFormatter())
    handler.addFilter(_ProgressFilter())
    logger.addHandler(handler)
    return logger
