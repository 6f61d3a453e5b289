"""``rfclassify synth``: synthetic signals as SigMF recordings with ground-truth annotations,
or (``--gallery``) a labelled grid of their spectrograms."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import (
    finite_float,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    probability,
    sample_format,
)

# Kept in step with rfclassify.signals.scene.KIND_LABELS (a test checks), so --help stays instant.
SCENE_KINDS = ("lte", "nr", "noise", "wifi_ofdm", "dvbt_like", "fm_broadcast", "cw_tones",
               "frequency_hopper", "generic_ofdm", "narrowband_carrier", "spur_comb", "gsm",
               "wcdma", "land_mobile", "dab", "dvbt2", "fm_rds", "wifi_ht_vht", "bluetooth",
               "lora", "adsb", "radar")  # fmt: skip
SIGNALS = ("testpattern", *SCENE_KINDS)
CHANNEL_PROFILES = ("none", "EPA", "EVA", "ETU", "TDL-A", "TDL-B", "TDL-C")


def _key_value(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: use KEY=VALUE, e.g. cfi=2 or duplex=DDDSU")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value  # a bare string such as DDDSU


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "synth",
        help="write a synthetic signal (LTE, NR, noise, other emitters) as a SigMF recording",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Synthesise one signal as a receiver would record it and write it as a SigMF\n"
            "recording whose annotations give the ground truth (label, time, frequency edges,\n"
            "every generation parameter). With --gallery PNG instead, draw one spectrogram of\n"
            "every kind (each LTE bandwidth, NR FDD/TDD at 15 and 30 kHz, Other, noise) as a\n"
            "labelled grid.\n\n"
            "  lte, nr          3GPP downlink carriers (TS 36.211 / TS 38.211)\n"
            "  noise            receiver noise alone\n"
            "  wifi_ofdm, dvbt_like, fm_broadcast, cw_tones, frequency_hopper,\n"
            "  generic_ofdm, narrowband_carrier, spur_comb (hard negatives)\n"
            "                   emitters that are neither LTE nor NR (class 'Other')\n"
            "  testpattern      CW, gated OFDM bursts and a chirp, to check frontends by eye\n\n"
            "examples:\n"
            "  rfclassify synth lte --bandwidth 10 --cell-id 301 --snr 10 --channel EPA "
            "--out lte.sigmf-meta\n"
            "  rfclassify synth nr --bandwidth 40 --scs 30 --param duplex=DDDSU --rate 61.44e6 "
            "--offset 5e6 --out nr.sigmf-meta\n"
            "  rfclassify synth --gallery docs/gallery.png"
        ),
    )
    parser.add_argument(
        "signal", nargs="?", choices=SIGNALS, metavar="KIND", help=", ".join(SIGNALS)
    )
    parser.add_argument("--out", type=Path, help="output .sigmf-meta path (with KIND)")
    parser.add_argument(
        "--gallery",
        type=Path,
        metavar="PNG",
        help="instead of one recording, write a labelled grid of spectrograms of every kind "
        "(only --seed applies)",
    )
    parser.add_argument(
        "--rate",
        type=positive_float,
        help="capture sample rate (default: the carrier's native rate for lte/nr, else 15.36e6)",
    )
    parser.add_argument(
        "--seconds", type=positive_float, default=0.08, help="duration (default: %(default)g)"
    )
    parser.add_argument(
        "--offset",
        type=finite_float,
        default=0.0,
        metavar="HZ",
        help="carrier offset from the centre",
    )
    parser.add_argument(
        "--snr",
        type=finite_float,
        help="SNR in dB over the occupied band (default: 20; testpattern 30)",
    )
    parser.add_argument(
        "--center-freq",
        type=non_negative_float,
        default=2.6e9,
        metavar="HZ",
        help="centre frequency written to the metadata (default: %(default)g)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--datatype",
        type=sample_format,
        default="cf32_le",
        help="SigMF sample format: cf32_le, ci16_le, ci8, cu8, cf64_le (default: %(default)s)",
    )
    carrier = parser.add_argument_group("LTE / NR carrier")
    carrier.add_argument(
        "--bandwidth", type=positive_float, metavar="MHZ", help="channel bandwidth"
    )
    carrier.add_argument("--scs", type=int, choices=[15, 30], help="NR subcarrier spacing (kHz)")
    carrier.add_argument("--cell-id", type=non_negative_int, help="physical cell id")
    carrier.add_argument("--load", type=probability, help="mean traffic load 0..1")
    carrier.add_argument(
        "--param",
        type=_key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other generator parameter (LteConfig / NrConfig field or Other-kind keyword)",
    )
    chan = parser.add_argument_group("channel")
    chan.add_argument("--channel", choices=CHANNEL_PROFILES, default="none", help="multipath")
    chan.add_argument("--doppler", type=non_negative_float, default=0.0, metavar="HZ")
    chan.add_argument(
        "--cfo", type=finite_float, default=0.0, metavar="HZ", help="carrier offset error"
    )
    rx = parser.add_argument_group("receiver (the SDR that records it; see docs/dataset.md)")
    rx.add_argument(
        "--receiver",
        choices=["none", "drawn"],
        default="none",
        help="none: the synthetic signal as is; drawn: through a receiver drawn from the "
        "recipe's ranges (filters, LO leak, spurs, AGC, ADC), as every dataset example is",
    )
    rx.add_argument(
        "--rx-param",
        type=_key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a receiver field, the rest drawn (implies --receiver drawn), e.g. adc_bits=8",
    )
    parser.add_argument(
        "--max-samples", type=positive_int, default=200_000_000, help=argparse.SUPPRESS
    )
    parser.set_defaults(run=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.seed < 0:
        parser.error(f"--seed {args.seed}: a seed must be >= 0")
    if args.gallery is not None:
        if args.signal is not None or args.out is not None:
            parser.error("--gallery draws every kind: give it without KIND and --out")
        ignored = _options_given(args, parser, keep=("gallery", "seed"))
        if ignored:
            parser.error(
                f"--gallery draws every kind with its own settings: {', '.join(ignored)} "
                "would be ignored (only --seed applies)"
            )
        return _gallery(args)
    if args.signal is None:
        parser.error(
            "give a KIND and --out (e.g. synth lte --out lte.sigmf-meta), or --gallery PNG"
        )
    if args.out is None:
        parser.error(f"{args.signal}: give --out, the .sigmf-meta file to write")
    _check_kind_flags(args, parser)
    if args.signal == "testpattern":
        annotations, samples, rate = _test_pattern(args, parser)
    else:
        annotations, samples, rate = _scene(args, parser)
    from ..io import write_recording

    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = write_recording(
        args.out,
        samples,
        rate,
        center_freq=args.center_freq,
        annotations=annotations,
        datatype=args.datatype,
        description=f"rfclassify synth {args.signal} (seed {args.seed})",
    )
    print(
        f"wrote {meta}: {samples.size} samples at {rate / 1e6:g} MS/s, "
        f"{len(annotations)} annotation{'s' if len(annotations) != 1 else ''}"
    )
    return 0


def _check_kind_flags(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Flags KIND has no use for are refused, not silently ignored (or refused late)."""
    carrier = {"--bandwidth": args.bandwidth, "--scs": args.scs, "--cell-id": args.cell_id}
    carrier["--load"] = args.load
    given = [flag for flag, value in carrier.items() if value is not None]
    if args.signal == "testpattern":
        scene = {"--param": args.param, "--channel": args.channel != "none"}
        scene.update({"--doppler": args.doppler, "--cfo": args.cfo, "--offset": args.offset})
        given += [flag for flag, value in scene.items() if value]
        if given:
            parser.error(f"{', '.join(given)}: testpattern is a fixed layout, these do not apply")
    elif given and args.signal not in ("lte", "nr"):
        parser.error(f"{', '.join(given)}: LTE / NR carrier options, {args.signal} takes none")
    elif args.scs is not None and args.signal != "nr":
        parser.error("--scs is NR's subcarrier spacing; LTE's is always 15 kHz")


def _options_given(
    args: argparse.Namespace, parser: argparse.ArgumentParser, keep: tuple[str, ...]
) -> list[str]:
    """The options of ``parser`` set to something other than their default, but ``keep``."""
    given = []
    for action in parser._actions:  # argparse has no public list of a parser's options
        if not action.option_strings or action.dest in keep or action.dest == "help":
            continue
        if getattr(args, action.dest, action.default) != action.default:
            given.append(action.option_strings[-1])
    return given


def _gallery(args: argparse.Namespace) -> int:
    import time

    from ..errors import RfclassifyError
    from ..viz.gallery import render_gallery

    start = time.perf_counter()
    try:
        panels = render_gallery(args.gallery, seed=args.seed)
    except OSError as exc:
        raise RfclassifyError(f"{args.gallery}: {exc.strerror or exc}") from None
    print(f"wrote {args.gallery}: {len(panels)} panels in {time.perf_counter() - start:.1f} s")
    return 0


def _check_length(args: argparse.Namespace, parser: argparse.ArgumentParser, rate: float) -> None:
    if rate * args.seconds > args.max_samples:
        parser.error(f"{rate * args.seconds:.0f} samples is too long for one recording")


def _test_pattern(args: argparse.Namespace, parser: argparse.ArgumentParser):
    from ..signals import test_pattern

    rate = args.rate or 15.36e6
    _check_length(args, parser, rate)
    snr = 30.0 if args.snr is None else args.snr
    samples, parts = test_pattern(rate, args.seconds, seed=args.seed, snr_db=snr)
    annotations = [
        {
            "core:sample_start": p.start,
            "core:sample_count": p.count,
            "core:label": p.label,
            "core:freq_lower_edge": args.center_freq + p.freq_low,
            "core:freq_upper_edge": args.center_freq + p.freq_high,
        }
        for p in parts
    ]
    return annotations, samples, rate


def _scene(args: argparse.Namespace, parser: argparse.ArgumentParser):
    from ..errors import RfclassifyError
    from ..signals.channel import ChannelConfig
    from ..signals.scene import Scene, render

    params = dict(args.param)
    for flag, key in (("bandwidth", "bandwidth_mhz"), ("cell_id", "cell_id"), ("load", "load")):
        if getattr(args, flag) is not None:
            params[key] = getattr(args, flag)
    if args.scs is not None:
        params["scs_khz"] = args.scs
    if params and args.signal not in ("lte", "nr") and set(params) & {"bandwidth_mhz", "cell_id"}:
        parser.error("--bandwidth and --cell-id apply to lte and nr only")
    rate = args.rate or (None if args.signal in ("lte", "nr") else 15.36e6)
    _check_length(args, parser, rate or 122.88e6)
    try:
        receiver = None
        if args.receiver == "drawn" or args.rx_param:
            import numpy as np

            from ..signals.receiver import draw_receiver

            rng = np.random.default_rng([args.seed, 1])  # not the render stream
            receiver = draw_receiver(rng, given=dict(args.rx_param))
        scene = Scene(
            args.signal,
            args.seconds,
            capture_rate=rate,
            offset_hz=args.offset,
            snr_db=20.0 if args.snr is None else args.snr,
            channel=ChannelConfig(profile=args.channel, doppler_hz=args.doppler, cfo_hz=args.cfo),
            params=params,
            receiver=receiver,
        )
        wave = render(scene, args.seed)
    except ValueError as exc:
        raise RfclassifyError(f"{args.signal}: {exc}") from None
    half = wave.occupied_bandwidth / 2
    annotation = {
        "core:sample_start": 0,
        "core:sample_count": wave.samples.size,
        "core:label": wave.label,
        "core:comment": json.dumps(wave.params, sort_keys=True),
    }
    if args.signal != "noise":
        centre = args.center_freq + args.offset
        lo = max(centre - half, args.center_freq - wave.sample_rate / 2)
        hi = min(centre + half, args.center_freq + wave.sample_rate / 2)
        annotation.update({"core:freq_lower_edge": lo, "core:freq_upper_edge": hi})
    return [annotation], wave.samples, wave.sample_rate
