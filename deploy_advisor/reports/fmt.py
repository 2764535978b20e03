"""Number formatting shared by every renderer, so the terminal, Markdown and HTML agree."""

from __future__ import annotations

import math

__all__ = ["cores", "mb", "ms", "pct", "rps", "seconds", "usd"]

DASH = "—"


def usd(value: float | None) -> str:
    """Dollars with cents, or more digits for sub-cent amounts: $12.00, $0.0417."""
    if value is None:
        return DASH
    if value == 0:
        return "$0"
    if abs(value) >= 1000:
        return f"${value:,.0f}"
    if abs(value) >= 0.1:
        return f"${value:,.2f}"
    decimals = min(8, 1 - math.floor(math.log10(abs(value))) + 1)
    return f"${value:.{decimals}f}"


def ms(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def seconds(value: float | None) -> str:
    """`3.4` s, whole seconds from 100 on: the digits of `ms`."""
    return ms(value)


def rps(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def pct(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.1f}%" if value >= 0.1 or value == 0 else f"{value:.2f}%"


def cores(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def mb(value: float | None) -> str:
    return DASH if value is None else f"{value:,.0f}"
