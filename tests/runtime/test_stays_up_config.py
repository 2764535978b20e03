"""The stays-up settings: flags over the environment over the defaults, and what counts as a
worker crash."""

from __future__ import annotations

import signal

import pytest

from deploy_advisor.runtime.config import (
    ConfigError,
    build_parser,
    settings_from_args,
    settings_from_env,
)
from deploy_advisor.runtime.supervisor import is_crash


def _flags(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    ns = build_parser("model_server").parse_args(["serve", "--model", "m.joblib", *args])
    return settings_from_args(ns, env or {})


def test_defaults_are_the_documented_limits() -> None:
    s = settings_from_env({})
    assert (s.queue_max, s.header_max_bytes, s.header_max_count) == (0, 16384, 100)
    assert (s.header_timeout_s, s.body_timeout_s, s.keep_alive_s) == (10.0, 10.0, 5)
    assert (s.crash_limit, s.crash_window_s, s.predict_thread) == (5, 60.0, None)


def test_flags_win_over_the_environment() -> None:
    env = {"QUEUE_MAX": "7", "MAX_HEADER_BYTES": "4096", "BODY_TIMEOUT_S": "3"}
    s = _flags("--queue-max", "9", "--crash-window", "30", "--keep-alive", "2", env=env)
    assert (s.queue_max, s.header_max_bytes, s.body_timeout_s) == (9, 4096, 3.0)
    assert (s.crash_window_s, s.keep_alive_s) == (30.0, 2)
    assert _flags("--no-predict-thread").predict_thread is False
    assert settings_from_env({"PREDICT_THREAD": "auto"}).predict_thread is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"QUEUE_MAX": "many"}, "QUEUE_MAX"),
        ({"MAX_HEADER_BYTES": "10"}, "MAX_HEADER_BYTES"),
        ({"HEADER_TIMEOUT_S": "-1"}, "HEADER_TIMEOUT_S"),
        ({"CRASH_LIMIT": "0"}, "CRASH_LIMIT"),
    ],
)
def test_a_bad_value_names_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        settings_from_env(env)


def test_a_bad_flag_names_the_flag() -> None:
    with pytest.raises(ConfigError, match="--max-headers"):
        _flags("--max-headers", "0")


def test_clean_exits_and_stops_by_signal_are_not_crashes() -> None:
    assert not is_crash(0)
    assert not is_crash(-signal.SIGTERM)
    assert not is_crash(-signal.SIGINT)
    assert is_crash(1)
    assert is_crash(-signal.SIGKILL)
    assert is_crash(-signal.SIGSEGV)
