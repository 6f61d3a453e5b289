"""`rfclassify synth --gallery`: the README's grid of synthetic spectrograms.

The panel list is checked against the generators' own tables, so a kind or bandwidth added later
without a panel fails here instead of silently missing from the README.
"""

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from rfclassify.cli import main
from rfclassify.dsp import Frontend
from rfclassify.signals.lte import LTE_BANDWIDTHS
from rfclassify.signals.nr import NR_BANDWIDTHS
from rfclassify.signals.other import OTHER_KINDS
from rfclassify.signals.scene import KIND_LABELS, render
from rfclassify.viz.gallery import (
    DURATION_S,
    frontend_config,
    gallery_panels,
    panel_image,
    ssb_bursts,
)

PANELS = gallery_panels()
NR = [p for p in PANELS if p.scene.kind == "nr"]


@pytest.fixture(scope="module")
def frontend():
    fe = Frontend(frontend_config())
    yield fe
    fe.close()


@pytest.fixture(scope="module")
def gallery_run(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("gallery") / "sub" / "gallery.png"
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        assert main(["synth", "--gallery", str(out)]) == 0
    return out, stdout.getvalue()


@pytest.fixture
def gallery(gallery_run) -> Path:
    return gallery_run[0]


def test_cli_writes_a_labelled_png_of_plausible_size(gallery_run):
    import matplotlib.image

    gallery, stdout = gallery_run
    assert stdout.startswith(f"wrote {gallery}: {len(PANELS)} panels in ")
    assert gallery.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 50_000 < gallery.stat().st_size < 1_000_000  # README-friendly
    rgb = matplotlib.image.imread(gallery)[..., :3]
    h, w = rgb.shape[:2]
    assert 1000 <= w <= 2500 and 800 <= h <= 2500
    assert rgb.std() > 0.1  # not blank
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 16  # colour maps, not just text


def test_gallery_is_deterministic_for_a_seed(gallery, tmp_path):
    again = tmp_path / "again.png"
    assert main(["synth", "--gallery", str(again), "--seed", "0"]) == 0
    assert again.read_bytes() == gallery.read_bytes()


def test_each_panel_draws_its_own_stream_of_the_seed(frontend):
    panel = PANELS[0]
    a, _, _ = panel_image(panel, frontend, [0, 0])
    b, _, _ = panel_image(panel, frontend, [0, 0])
    c, _, _ = panel_image(panel, frontend, [1, 0])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_panels_cover_every_lte_bandwidth_nr_numerology_duplex_and_kind():
    lte = {p.scene.params["bandwidth_mhz"] for p in PANELS if p.scene.kind == "lte"}
    assert lte == set(LTE_BANDWIDTHS)
    assert {p.scene.params["scs_khz"] for p in NR} == set(NR_BANDWIDTHS)
    duplex = {p.scene.params.get("duplex", "FDD") for p in NR}
    assert "FDD" in duplex and duplex - {"FDD"}, duplex
    kinds = {p.scene.kind for p in PANELS}
    assert kinds == set(KIND_LABELS)
    assert kinds >= {*OTHER_KINDS, "noise"}
    titles = [p.title for p in PANELS]
    assert len(set(titles)) == len(titles)
    for kind in OTHER_KINDS:
        assert f"Other: {kind}" in titles
    assert "LTE 1.4 MHz" in titles and "Noise" in titles


def test_titles_say_what_the_panel_shows():
    for p in NR:
        prm = p.scene.params
        duplex = prm["duplex"]
        assert f"NR {prm['scs_khz']} kHz {prm['bandwidth_mhz']} MHz" in p.title
        assert (duplex == "FDD" and "FDD" in p.title) or f"TDD {duplex}" in p.title
    for p in PANELS:
        assert p.scene.duration_s == DURATION_S
        assert p.scene.snr_db == 20.0


def test_every_carrier_fills_most_of_its_view():
    for p in PANELS:
        if p.scene.kind not in ("lte", "nr"):
            continue
        wave = render(p.scene, 0)
        assert 0.5 < wave.occupied_bandwidth / wave.sample_rate < 0.95, p.title


@pytest.mark.parametrize("panel", NR, ids=[p.title for p in NR])
def test_nr_panels_show_an_ssb_burst_above_the_noise(panel, frontend):
    i = PANELS.index(panel)
    db, rate, params = panel_image(panel, frontend, [0, i])
    assert params["ssb_first_symbols"], "no SSB in the shown span"
    bursts = ssb_bursts(params)
    assert bursts
    geo = frontend.geometry(rate)
    times_ms = geo.column_times() * 1e3
    freqs_mhz = geo.row_frequencies() / 1e6
    floor = np.median(db[np.abs(freqs_mhz) > 0.47 * rate / 1e6])  # guard band: noise only
    for t0, t1, f0, f1 in bursts:
        assert 0 <= t0 < t1 <= DURATION_S * 1e3
        assert -rate / 2e6 < f0 < f1 < rate / 2e6
        rows = (freqs_mhz > f0) & (freqs_mhz < f1)
        cols = (times_ms > t0) & (times_ms < t1)
        # The SSB sits in every column of its burst's first symbols: its band is well above
        # the noise floor there.
        assert np.median(db[np.ix_(rows, cols)]) > floor + 10, panel.title


def test_tdd_panel_shows_its_silent_uplink(frontend):
    tdd = [p for p in NR if p.scene.params["duplex"] != "FDD"]
    fdd = [p for p in NR if p.scene.params["duplex"] == "FDD"]
    assert tdd and fdd

    def quietest_columns(panel) -> float:
        db, _, _ = panel_image(panel, frontend, [0, PANELS.index(panel)])
        power = 10 * np.log10((10 ** (db / 10)).mean(axis=0))
        return float(np.percentile(power, 10) - np.median(power))

    # Uplink slots leave whole columns at the noise floor; FDD at the same load never does.
    assert min(quietest_columns(p) for p in tdd) < -10
    loaded_fdd = [p for p in fdd if p.scene.params["load"] >= 0.5]
    assert loaded_fdd and max(quietest_columns(p) for p in loaded_fdd) > -6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["synth"], "give a KIND and --out"),
        (["synth", "--seed", "3"], "or --gallery PNG"),
        (["synth", "lte"], "give --out"),
        (["synth", "lte", "--gallery", "x.png"], "without KIND"),
        (["synth", "--out", "a.sigmf-meta", "--gallery", "x.png"], "without KIND and --out"),
        (["synth", "nr", "--out", "a.sigmf-meta", "--gallery", "x.png"], "without KIND"),
        (["synth", "--gallery", "x.png", "--seed", "-1"], "seed must be >= 0"),
    ],
)
def test_bad_usage_exits_2_with_a_message(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: rfclassify synth" in err
    assert message in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_an_unwritable_gallery_path_is_one_line_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["synth", "--gallery", str(blocker / "g.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rfclassify synth: error:") and err.count("\n") == 1


def test_help_mentions_the_gallery(capsys):
    with pytest.raises(SystemExit):
        main(["synth", "--help"])
    out = capsys.readouterr().out
    assert "--gallery PNG" in out
    assert "rfclassify synth --gallery docs/gallery.png" in out


@pytest.mark.parametrize(
    "extra, named",
    [
        (["--rate", "1.92e6"], "--rate"),
        (["--seconds", "0.5"], "--seconds"),
        (["--rate", "1.92e6", "--seconds", "0.5"], "--rate, --seconds"),
    ],
)
def test_gallery_refuses_options_it_would_ignore(tmp_path, capsys, extra, named):
    out = tmp_path / "g.png"
    with pytest.raises(SystemExit) as exit_:
        main(["synth", "--gallery", str(out), *extra])
    assert exit_.value.code == 2
    assert f"{named} would be ignored (only --seed applies)" in capsys.readouterr().err
    assert not out.exists()
