"""Durations on the command line as Locust and pytest users write them."""

from __future__ import annotations

import pytest

from harness.cli.arguments import build_parser
from harness.durations import parse_duration


@pytest.mark.parametrize("text, seconds", [("90", 90), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("1.5h", 5400),
                                           ("250ms", 0.25), ("2m 30s", 150), ("0.5", 0.5)])
def test_durations_in_every_usual_spelling(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "3x", "-5s", "1h-2m", "5 minutes"])
def test_anything_else_is_refused_with_the_spellings_that_work(text):
    with pytest.raises(ValueError, match="write it as 90, 30s, 5m, 1h30m"):
        parse_duration(text)


def test_commands_take_durations_and_refuse_a_bad_one_with_exit_code_2(capsys):
    assert build_parser().parse_args(["load", "--duration", "1h30m"]).duration == 5400
    assert build_parser().parse_args(["size", "--hold", "20s"]).hold == 20
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["load", "--duration", "ten minutes"])
    assert raised.value.code == 2 and "invalid duration 'ten minutes'" in capsys.readouterr().err


def test_every_command_shows_an_example_in_its_help():
    parser = build_parser()
    commands = next(action for action in parser._actions if action.dest == "command")
    assert all("examples:" in sub.format_help() and "oxh " + name in sub.format_help()
               for name, sub in commands.choices.items())
