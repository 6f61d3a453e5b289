"""Bad arguments, for every verb, bench kind and the receiver: a usage error (exit status 2), no
traceback, one error line that names what is wrong and a last line that says what to do.

The commands and their options are read from the parsers, so a new verb, kind or option is
checked without being listed here; ``BAD_VALUES`` adds the values that used to get through.
"""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from rfclassify.cli import build_parser, main
from rfclassify.commands.usage import UsageParser
from rfclassify.rx import app as rx_app

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _subparsers(parser: argparse.ArgumentParser):
    return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """``(path, parser)`` of every parser under ``parser``: verbs, their actions, bench kinds."""
    for action in _subparsers(parser):
        for name, sub in action.choices.items():
            yield (*path, name), sub
            yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(build_parser()))
LEAVES = [path for path, sub in COMMANDS.items() if not _subparsers(sub)]
RX = ("rfclassify_rx.py",)  # the receiver, as its own "command"


def _parser(path: tuple[str, ...]) -> argparse.ArgumentParser:
    return rx_app.build_parser() if path == RX else COMMANDS[path]


def _run(path: tuple[str, ...], argv: list[str]) -> None:
    if path == RX:
        rx_app.main(argv)
    else:
        main([*path, *argv])


def _rejects(action: argparse.Action, value: str) -> bool:
    if action.choices is not None:
        return value not in action.choices
    try:
        (action.type or str)(value)
    except (argparse.ArgumentTypeError, TypeError, ValueError):
        return True
    return False


def _valued(parser: argparse.ArgumentParser):
    """The options that take a value (not flags, not --help)."""
    return [a for a in parser._actions if a.option_strings and a.nargs != 0]


def _filled(parser: argparse.ArgumentParser) -> list[str]:
    """Acceptable values for what ``parser`` requires, so that only the bad argument is wrong."""
    needed = [a for a in parser._actions if a.required]
    for group in parser._mutually_exclusive_groups:
        if group.required and not any(a.required for a in group._group_actions):
            needed.append(group._group_actions[0])
    argv: list[str] = []
    for action in needed:
        choices = list(action.choices or ["1", "0.5", "x"])
        value = str(next(v for v in choices if not _rejects(action, v)))
        if action.option_strings:
            argv += [action.option_strings[0], value]
        else:
            argv.insert(0, value)  # positionals first, in their order
    return argv


def _prog(path: tuple[str, ...]) -> str:
    return path[0] if path == RX else " ".join(("rfclassify", *path))


def assert_usage_error(path, err: str, *named: str) -> None:
    """Exit 2 was checked by the caller; ``err`` is its stderr."""
    prog = _prog(path)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith("usage: "), err
    errors = [line for line in lines if ": error: " in line]
    assert len(errors) == 1, err
    assert errors[0] == lines[-2] and errors[0].startswith(f"{prog}: error: "), err
    for word in named:
        assert word in errors[0], err
    assert lines[-1].startswith(f"run '{prog} --help' for its "), err


def _expect_usage_error(capsys, path, argv: list[str], *named: str) -> None:
    with pytest.raises(SystemExit) as stop:
        _run(path, argv)
    assert stop.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_usage_error(path, err, *named)


def test_every_parser_is_the_usage_parser():
    assert isinstance(build_parser(), UsageParser)
    assert isinstance(rx_app.build_parser(), UsageParser)
    assert {("bench", "frontend"), ("bench", "stream"), ("dataset", "build")} <= set(LEAVES)
    for path, parser in COMMANDS.items():
        assert isinstance(parser, UsageParser), path


@pytest.mark.parametrize("path", [*LEAVES, RX], ids=" ".join)
def test_an_unknown_option_is_a_usage_error(path, capsys):
    argv = [*_filled(_parser(path)), "--no-such-option"]
    _expect_usage_error(capsys, path, argv, "unrecognized arguments: --no-such-option")


@pytest.mark.parametrize("path", [("no-such-verb",), ("bench", "no-such-kind")], ids=" ".join)
def test_an_unknown_verb_or_kind_says_where_the_choices_are(path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(list(path))
    assert stop.value.code == 2
    prog = _prog(path[:-1])
    err = capsys.readouterr().err
    assert_usage_error(path[:-1], err, f"invalid choice: '{path[-1]}'")
    noun = "verbs" if len(path) == 1 else "kinds"
    assert err.rstrip().endswith(f"run '{prog} --help' for its {noun} and options")


@pytest.mark.parametrize("path", [(), *[p for p in COMMANDS if p not in LEAVES]], ids=" ".join)
def test_a_missing_verb_kind_or_action_is_a_usage_error(path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(list(path))
    assert stop.value.code == 2
    assert_usage_error(path, capsys.readouterr().err, "the following arguments are required")


def _generic_cases():
    """Per command, every option given a value its type or choices refuse, or no value at all;
    a command without such options gets a value for a flag."""
    for path in [*LEAVES, RX]:
        parser = _parser(path)
        cases = []
        for action in _valued(parser):
            option = action.option_strings[-1]
            bad = next((v for v in ("x", ",", "nan", "") if _rejects(action, v)), None)
            if bad is not None:
                cases.append(([f"{option}={bad}"], option))
            elif action.nargs is None:
                cases.append(([option], option))  # expected one argument
        if not cases:
            flags = [a for a in parser._actions if a.option_strings and a.nargs == 0]
            flag = next(a for a in flags if not isinstance(a, argparse._HelpAction))
            cases.append(([f"{flag.option_strings[-1]}=yes"], flag.option_strings[-1]))
        for argv, option in cases:
            yield pytest.param(path, argv, option, id=f"{' '.join(path)} {argv[0]}")


@pytest.mark.parametrize(("path", "argv", "option"), list(_generic_cases()))
def test_every_option_refuses_a_bad_value_as_a_usage_error(path, argv, option, capsys):
    _expect_usage_error(capsys, path, argv, f"argument {option}")


REC = "rec.sigmf-meta"
BAD_VALUES = [
    # values argparse used to take, and a later step refused with exit 1 or a traceback
    (["synth", "lte", "--snr", "nan"], "--snr"),
    (["synth", "lte", "--offset", "inf"], "--offset"),
    (["synth", "lte", "--cfo", "nan"], "--cfo"),
    (["synth", "lte", "--bandwidth", "-5"], "--bandwidth"),
    (["synth", "lte", "--cell-id", "-1"], "--cell-id"),
    (["synth", "lte", "--load", "1.5"], "--load"),
    (["synth", "lte", "--datatype", "cf33_le"], "--datatype"),
    (["synth", "testpattern", "--seed", "-1", "--out", REC], "--seed"),
    (["synth", "testpattern", "--offset", "1e6", "--out", REC], "--offset"),
    (["synth", "testpattern", "--channel", "EPA", "--out", REC], "--channel"),
    (["synth", "noise", "--load", "0.5", "--out", REC], "--load"),
    (["synth", "wifi_ofdm", "--scs", "30", "--out", REC], "--scs"),
    (["synth", "lte", "--scs", "30", "--out", REC], "--scs"),
    (["dataset", "build", "--n", "0"], "--n"),
    (["dataset", "build", "--overlap", "1"], "--overlap"),
    (["dataset", "preview", "data", "--seed", "-1"], "--seed"),
    (["dataset", "info", "data", "--json=yes"], "--json"),
    (["dataset", "recipe", "--config"], "--config"),
    (["models", "--classes", "0"], "--classes"),
    (["models", "--family", "no-such-family"], "--family"),
    (["train", "--epochs", "-1"], "--epochs"),
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--generate-seed", "-1"], "--generate-seed"),
    (["train", "--weight-decay", "nan"], "--weight-decay"),
    (["train", "--warmup-epochs", "-1"], "--warmup-epochs"),
    (["train", "--patience", "-2"], "--patience"),
    (["train", "--grad-clip", "-1"], "--grad-clip"),
    (["train", "--label-smoothing", "1"], "--label-smoothing"),
    (["train", "--workers", "-1"], "--workers"),
    (["train", "--max-steps-per-epoch", "-1"], "--max-steps-per-epoch"),
    (["train", "--label-fraction", "0"], "--label-fraction"),
    (["train", "--model-args", "{not json"], "--model-args"),
    (["train", "--augment", "[1, 2]"], "--augment"),
    (
        [
            "train",
            "--model",
            "m",
            "--generate",
            "9",
            "--val",
            "v",
            "--out",
            "o",
            "--label-fraction",
            "0.5",
        ],
        "--label-fraction",
    ),
    (["pretrain", "--mask-ratio", "1"], "--mask-ratio"),
    (["pretrain", "--mask-ratio", "most"], "--mask-ratio"),
    (["pretrain", "--warmup-epochs", "nan"], "--warmup-epochs"),
    (["label-study", "--methods", "scratch,nope"], "--methods"),
    (["label-study", "--methods", ","], "--methods"),
    (["label-study", "--seeds", "0,-1"], "--seeds"),
    (["label-study", "--fractions", "0.1,2"], "--fractions"),
    (["eval", "m.onnx", "--batch", "0"], "--batch"),
    (["compare", "run", "--data"], "--data"),
    (["export", "m", "--atol", "nan"], "--atol"),
    (["export", "m", "--int8", "fast"], "--int8"),
    (["spectrogram", REC, "--center-freq", "nan"], "--center-freq"),
    (["spectrogram", REC, "--dtype", "float"], "--dtype"),
    (["classify", REC, "--min-confidence", "2"], "--min-confidence"),
    (["classify", REC, "--center-freq", "inf"], "--center-freq"),
    (["classify", REC, "--dtype", "cf33_le"], "--dtype"),
    (["bench", "frontend", "--overlap", "nan"], "--overlap"),
    (["bench", "scan", "--seconds", "0"], "--seconds"),
    (["bench", "models", "--batches", "8,x"], "--batches"),
    (["bench", "stream", "--threads", "0"], "--threads"),
    (["bench", "report", "--out"], "--out"),
    (["listen", "--count", "0"], "--count"),
]


def _split(argv: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """The command path at the front of ``argv``, and the rest."""
    for length in (2, 1):
        if tuple(argv[:length]) in COMMANDS:
            return tuple(argv[:length]), argv[length:]
    raise AssertionError(f"{argv}: no such command")


@pytest.mark.parametrize(("argv", "option"), BAD_VALUES, ids=[" ".join(a) for a, _ in BAD_VALUES])
def test_a_wrong_value_is_a_usage_error(argv, option, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written
    path, rest = _split(argv)
    _expect_usage_error(capsys, path, rest, option)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "argv", [["--threads", "x"], ["--source", "tv"], ["--min-confidence"]], ids=" ".join
)
def test_the_receiver_refuses_bad_arguments(argv, capsys):
    _expect_usage_error(capsys, RX, argv, argv[0])


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_every_command_answers_help(path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*path, "--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {_prog(path)} ")


@pytest.mark.parametrize(
    ("argv", "prog", "named"),
    [
        ([BIN / "rfclassify", "train", "--epochs", "-1"], "rfclassify train", "--epochs"),
        (
            [BIN / "rfclassify", "bench", "frontend", "--nope"],
            "rfclassify bench frontend",
            "--nope",
        ),
        ([BIN / "rfclassify", "nope"], "rfclassify", "'nope'"),
        ([BIN / "rfclassify-rx", "--threads", "x"], "rfclassify_rx.py", "--threads"),
        (
            [sys.executable, ROOT / "apps" / "rfclassify_rx.py", "--nope"],
            "rfclassify_rx.py",
            "--nope",
        ),
    ],
    ids=["train", "bench-frontend", "verb", "rfclassify-rx", "apps-rfclassify_rx.py"],
)
def test_the_installed_programs_exit_2_without_a_traceback(argv, prog, named):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    path = RX if prog == RX[0] else tuple(prog.split()[1:])
    assert_usage_error(path, proc.stderr, named)
