"""`rfclassify train`'s flags map onto TrainConfig field by field, derived, not copied."""

import dataclasses

from rfclassify.cli import build_parser
from rfclassify.commands.train import FILE_ONLY, config_flags
from rfclassify.training.config import TrainConfig


def parse(*extra: str):
    return build_parser().parse_args(["train", "--model", "vim_ultralight", "--out", "r", *extra])


def test_every_config_field_has_a_flag_or_is_file_only():
    flags = config_flags(parse("--data", "d"))
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(flags) == fields - FILE_ONLY
    # nothing given: only what the command line always says (the folders) is set
    assert {k for k, v in flags.items() if v is not None} == {"data", "out"}


def test_flags_reach_their_fields_renamed_negated_and_as_strings():
    flags = config_flags(parse(
        "--generate", "64", "--val", "v", "--batch-size", "8", "--weight-decay", "0",
        "--no-amp", "--deterministic", "--model-args", '{"depth": 2}', "--label-smoothing",
        "0.1", "--init-from", "enc.safetensors", "--linear-probe", "--steps-per-epoch", "3",
    ))  # fmt: skip
    assert flags["generate"] == 64 and flags["val"] == "v" and flags["batch_size"] == 8
    assert flags["weight_decay"] == 0.0 and flags["label_smoothing"] == 0.1
    assert flags["amp"] is False and flags["deterministic"] is True
    assert flags["model_overrides"] == {"depth": 2} and flags["init_from"] == "enc.safetensors"
    assert flags["linear_probe"] is True and flags["steps_per_epoch"] == 3
