"""Job settings from `YIJIAN_JOBS*` environment variables (docs/jobs.md): where jobs run and how often to sweep."""

from __future__ import annotations

import os
from dataclasses import dataclass

from app.core.settings import SettingsError

MODES = ("inprocess", "external")


@dataclass(frozen=True)
class JobsConfig:
    # inprocess: every `serve` process also runs a worker and a scheduler (the embedded default);
    # external: `serve` runs no jobs and `python -m app worker` processes do.
    mode: str = "inprocess"
    sweep_s: int = 1  # whole seconds: taskiq's interval schedules have one-second resolution


def load_jobs_config(environ: dict | None = None) -> JobsConfig:
    environ = os.environ if environ is None else environ
    mode = (environ.get("YIJIAN_JOBS") or "inprocess").strip()
    if mode not in MODES:
        raise SettingsError(f"YIJIAN_JOBS must be one of {', '.join(MODES)}, got {mode!r}")
    raw = (environ.get("YIJIAN_JOBS_SWEEP_S") or "1").strip()
    try:
        sweep_s = int(raw)
    except ValueError:
        raise SettingsError(f"YIJIAN_JOBS_SWEEP_S must be an integer, got {raw!r}") from None
    if sweep_s < 1:
        raise SettingsError(f"YIJIAN_JOBS_SWEEP_S must be at least 1, got {sweep_s}")
    return JobsConfig(mode=mode, sweep_s=sweep_s)
