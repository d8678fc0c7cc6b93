"""Logs: one line per event on stderr (never stdout), JSON or console, with the trace id and logger name."""

from __future__ import annotations

import json
import logging

import pytest

from portvakt.web.logging import configure_logging, get_logger
from portvakt.web.trace import trace_id_var

log = get_logger("portvakt.test.module_level")  # created before any configuration, like every module's


def test_json_lines_on_stderr_with_logger_name_and_trace_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    token = trace_id_var.set("4bf92f3577b34da6a3ce929d0e0e4736")
    try:
        log.info("something_happened", client_id="abc")
    finally:
        trace_id_var.reset(token)
    captured = capsys.readouterr()
    assert captured.out == ""
    line = json.loads(captured.err.strip().splitlines()[-1])
    assert line["event"] == "something_happened"
    assert line["logger"] == "portvakt.test.module_level"
    assert line["client_id"] == "abc"
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert line["level"] == "info"


def test_level_filters_and_reconfiguration_reaches_existing_loggers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("json", "WARNING")
    log.info("hidden")
    log.warning("shown")
    configure_logging("console", "INFO")
    log.info("console_line")
    err = capsys.readouterr().err
    assert "hidden" not in err
    assert '"event":"shown"' in err
    assert "console_line" in err
    assert '"event":"console_line"' not in err


def test_standard_library_records_use_the_same_renderer(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    logging.getLogger("uvicorn.error").info("Started server process")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "Started server process"
    assert line["logger"] == "uvicorn.error"
