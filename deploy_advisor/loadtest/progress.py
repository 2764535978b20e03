"""A live view on stderr while Locust runs: elapsed time, req/s, p95 and errors."""

from __future__ import annotations

from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING, Any

from deploy_advisor import console
from deploy_advisor.loadtest.samples import Samples, nearest_rank

if TYPE_CHECKING:
    from rich.live import Live

__all__ = ["LiveProgress"]

_WINDOW_S = 5.0


class LiveProgress:
    """Context manager; pass `tick` as the runner's `on_tick`. Silent in JSON or quiet mode."""

    def __init__(self, *, title: str, duration_s: float, enabled: bool = True) -> None:
        self.title, self.duration_s = title, duration_s
        self.enabled = enabled
        self._live: Live | None = None
        self._marks: deque[tuple[float, int]] = deque()

    def __enter__(self) -> LiveProgress:
        if self.enabled:
            from rich.live import Live

            self._live = Live(
                self._render(0.0, 0.0, None, 0, 0.0),
                console=console.stderr(),
                refresh_per_second=2,
                transient=True,
            )
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def tick(self, elapsed: float, samples: Samples, generator_cores: float) -> None:
        """Recompute the view from the requests recorded so far (last 5 s for rate and p95)."""
        if self._live is None:
            return
        self._marks.append((elapsed, len(samples)))
        while len(self._marks) > 1 and elapsed - self._marks[0][0] > _WINDOW_S:
            self._marks.popleft()
        since, first = self._marks[0]
        recent = sorted(samples.ms[first:])
        span = elapsed - since
        rps = len(recent) / span if span > 0 else 0.0
        p95 = nearest_rank(recent, 95) if recent else None
        errors = len(samples) - sum(samples.ok)
        self._live.update(self._render(elapsed, rps, p95, errors, generator_cores))

    def _render(
        self, elapsed: float, rps: float, p95: float | None, errors: int, gen: float
    ) -> Any:
        from rich.text import Text

        p95_text = f"{p95:.1f} ms" if p95 is not None else "–"
        return Text(
            f"{self.title}  {elapsed:5.0f}/{self.duration_s:.0f} s  {rps:7.1f} req/s  "
            f"p95 {p95_text}  errors {errors}  generator {gen:.2f} cores"
        )
