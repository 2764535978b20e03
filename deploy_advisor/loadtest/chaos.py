"""`loadtest --chaos`: disrupt the launched server during the run and record what happened."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from deploy_advisor.emulate.launched import Launched
from deploy_advisor.errors import InputError

__all__ = ["CHAOS_ACTIONS", "check_chaos", "with_chaos"]

#: What each target can be put through: replicas stopped, killed or rolled (kubernetes), a release
#: switched in by deploy.sh, or that and a rollback (vps).
CHAOS_ACTIONS = {"kubernetes": ("stop", "kill", "rollout"), "vps": ("release", "rollback")}


def check_chaos(action: str | None, *, target: str) -> str | None:
    """`action` when `target` can be put through it; else a one-line error."""
    if action is None:
        return None
    known = sorted({a for actions in CHAOS_ACTIONS.values() for a in actions})
    if action not in known:
        raise InputError(f"--chaos {action!r} is not an action; use one of: {', '.join(known)}")
    if target not in CHAOS_ACTIONS:
        raise InputError(f"--chaos needs --target kubernetes or vps, not {target!r}")
    if action not in CHAOS_ACTIONS[target]:
        actions = ", ".join(CHAOS_ACTIONS[target])
        raise InputError(f"--chaos {action} is not for {target}; use one of: {actions}")
    return action


def with_chaos(
    *, launched: Launched, action: str, after_s: float, run: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run the load with `action` started `after_s` in; the result gains `chaos`: the action,
    each step with its time since the load started, any error, and the failed requests."""
    if launched.chaos is None:
        raise InputError("--chaos: this server cannot be disrupted; use --target kubernetes or vps")
    disrupt = launched.chaos
    events: list[dict[str, Any]] = []
    errors: list[str] = []
    began = time.monotonic()

    def note(event: str) -> None:
        events.append({"at_s": round(time.monotonic() - began, 3), "event": event})

    def disrupt_later() -> None:
        time.sleep(after_s)
        try:
            disrupt(action, note)
        except Exception as exc:  # recorded in the result; the load run goes on
            errors.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=disrupt_later, daemon=True)
    thread.start()
    result = run()
    thread.join(timeout=300)
    result["chaos"] = {
        "action": action,
        "events": events,
        "finished": not thread.is_alive() and not errors,
        "errors": errors,
        "failed_requests": result["failures"]["total"],
        "requests": result["requests"],
    }
    return result
