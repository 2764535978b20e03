"""Batch mode (`scaffold --mode batch`): the numbers every target's scoring job is sized from."""

from __future__ import annotations

import math
from typing import Any

from deploy_advisor.targets.base import RenderContext
from deploy_advisor.targets.bom_values import on_calendar
from deploy_advisor.targets.sizing import sized_values

__all__ = ["CHUNK_ROWS", "ITEM_CHUNK", "batch_values", "chunk_rows_for"]

CHUNK_ROWS = 50_000
ITEM_CHUNK = 1_000  # texts or images per chunk: the scorer's default for deep models
TEXT_COLUMN = "text"  # the scorer's default text column, written out so users see the knob
SCHEDULE_CRON = "0 2 * * *"  # daily at 02:00
SCHEDULE_SYSTEMD = "*-*-* 02:00:00"
BACKOFF_LIMIT = 3
DEADLINE_S = 6 * 3600


def batch_values(ctx: RenderContext) -> dict[str, Any]:
    """Numbers for the batch files: limits from the plan, schedule, retries, deadline."""
    schedule = ctx.bom.schedule if ctx.bom and ctx.bom.schedule else None
    return {
        **sized_values(ctx),
        "namespace": ctx.app_name,
        "base_image": ctx.base_image,
        "wheelhouse": ctx.wheelhouse,
        "cpu_request": f"{ctx.plan.vcpu / 2:g}",
        "cpu_quota_pct": math.ceil(ctx.plan.vcpu * 100),
        "memory_mb": ctx.plan.memory_mb,
        "chunk_rows": chunk_rows_for(ctx),
        "text_column": TEXT_COLUMN if ctx.model.input_kind == "text" else None,
        "schedule": schedule or SCHEDULE_CRON,
        "on_calendar": on_calendar(schedule) if schedule else SCHEDULE_SYSTEMD,
        "bom": ctx.bom,
        "gpu_count": 1 if ctx.bom and ctx.bom.gpu else 0,
        "backoff_limit": BACKOFF_LIMIT,
        "deadline_s": DEADLINE_S,
        "storage_gi": 10,
        "app_root": f"/opt/{ctx.app_name}",
        "data_root": f"/var/lib/{ctx.app_name}",
    }


def chunk_rows_for(ctx: RenderContext) -> int:
    """Rows per chunk for a table, or texts or images per chunk for a deep model."""
    return ITEM_CHUNK if ctx.model.input_kind in ("text", "image") else CHUNK_ROWS
