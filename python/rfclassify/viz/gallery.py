"""A labelled grid of spectrograms, one per kind of synthetic signal, for the README.

Each panel is what a receiver records (``signals.scene``: emitter, placement at a capture rate,
receiver noise at 20 dB SNR) seen through the project's own frontend (``dsp.Frontend``, dB before
normalisation), so the gallery shows the structure a model learns from, not an idealised plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..dsp import Frontend, FrontendConfig
from ..signals.emitters import EMITTERS
from ..signals.lte import LTE_BANDWIDTHS
from ..signals.scene import Scene, render
from .png import save_palette_png

DURATION_S = 0.02  # two LTE/NR frames: every NR panel holds an SSB burst (first half frame)
SNR_DB = 20.0
DYNAMIC_RANGE_DB = 45.0  # colour span below each panel's peak
COLOUR_STEPS = 18  # 2.5 dB each: readable levels, and a PNG a few times smaller than smooth
COLUMNS = 4

# NR: a light load lets the always-on SSB stand out from the traffic; a heavier one shows the
# silent uplink of TDD against FDD at the same load. Rates: the carrier fills most of the view.
NR_PANELS = (  # (SCS kHz, bandwidth MHz, duplex, load, capture rate)
    (15, 20, "FDD", 0.1, 23.04e6),
    (30, 40, "FDD", 0.1, 46.08e6),
    (30, 40, "FDD", 0.6, 46.08e6),
    (30, 40, "DDDSU", 0.6, 46.08e6),
)
OTHER_RATES = {
    "wifi_ofdm": 23.04e6,
    "dvbt_like": 9.6e6,
    "fm_broadcast": 0.48e6,  # below the classifier's 1.92 MS/s floor, so the FM band is visible
    "cw_tones": 1.92e6,
    "frequency_hopper": 15.36e6,
    "generic_ofdm": 15.36e6,
    "narrowband_carrier": 3.84e6,
    "spur_comb": 15.36e6,
    "gsm": 3.84e6,
    "wcdma": 15.36e6,
    "land_mobile": 1.92e6,
    "dab": 7.68e6,
    "dvbt2": 9.6e6,
    "fm_rds": 2.4e6,
    "wifi_ht_vht": 30.72e6,
    "bluetooth": 7.68e6,
    "lora": 1.92e6,
    "adsb": 3.84e6,
    "radar": 15.36e6,
}
NOISE_RATE = 15.36e6

Seed = int | Sequence[int]


@dataclass(frozen=True)
class Panel:
    """One gallery panel: what it shows (the title) and how it is made (the scene)."""

    title: str
    scene: Scene


def _scene(kind: str, rate: float | None, **params: Any) -> Scene:
    return Scene(kind, DURATION_S, capture_rate=rate, snr_db=SNR_DB, params=params)


def gallery_panels() -> list[Panel]:
    """Every LTE bandwidth, NR at both SCS (FDD and TDD), every "Other" kind, then noise.

    LTE and Other panels follow the generators' own tables, so a new bandwidth or kind gets a
    panel (or, without a capture rate here, a KeyError) instead of going missing from the README.
    """
    panels = [
        Panel(f"LTE {bw:g} MHz", _scene("lte", None, bandwidth_mhz=bw))
        for bw in sorted(LTE_BANDWIDTHS)
    ]
    title = "LTE 10 MHz TDD, UL/DL config 1, special 7"
    tdd = {"bandwidth_mhz": 10.0, "duplex": "TDD", "ul_dl_config": 1, "special_subframe_config": 7}
    panels.append(Panel(title, _scene("lte", None, **tdd)))
    for scs, bw, duplex, load, rate in NR_PANELS:
        name = "FDD" if duplex == "FDD" else f"TDD {duplex}"
        params = {"bandwidth_mhz": bw, "scs_khz": scs, "duplex": duplex, "load": load}
        title = f"NR {scs} kHz {bw} MHz {name}, load {load:g}"
        panels.append(Panel(title, _scene("nr", rate, **params)))
    panels += [Panel(f"Other: {kind}", _scene(kind, OTHER_RATES[kind])) for kind in EMITTERS]
    panels.append(Panel("Noise", _scene("noise", NOISE_RATE)))
    return panels


def frontend_config(panels: Sequence[Panel] | None = None) -> FrontendConfig:
    """256 x 256 px over 20 ms with nfft 256: ~78 µs columns resolve an SSB (4 symbols) and a
    TDD uplink slot; dB without normalisation, so the colour is power."""
    rates = [p.scene.capture_rate for p in panels or gallery_panels() if p.scene.capture_rate]
    return FrontendConfig(
        window_ms=DURATION_S * 1e3,
        nfft=256,
        height=256,
        width=256,
        normalisation="none",
        min_rate=min(rates),
    )


def panel_image(
    panel: Panel, frontend: Frontend, seed: Seed
) -> tuple[np.ndarray, float, dict[str, Any]]:
    """The panel's dB image (``(H, W)``, row 0 = lowest frequency), its capture rate and the
    rendered waveform's ``params`` (ground truth: SSB symbols, hop set, ...)."""
    wave = render(panel.scene, np.random.default_rng(seed))
    length = frontend.geometry(wave.sample_rate).window_length
    samples = np.zeros(length, np.complex64)  # pad if resampling left a sample or two short
    samples[: min(length, wave.samples.size)] = wave.samples[:length]
    db, _ = frontend.power_db(samples[None, :], wave.sample_rate)
    return db[0], wave.sample_rate, wave.params


def ssb_bursts(params: dict[str, Any]) -> list[tuple[float, float, float, float]]:
    """``(t0_ms, t1_ms, f0_mhz, f1_mhz)`` of each SSB burst of a rendered NR panel, to box it.

    Times take 14 equal symbols per slot (the longer first CP of each half subframe is ignored:
    it shifts a box by under a microsecond).
    """
    scs, symbols = params["scs_khz"], params.get("ssb_first_symbols") or []
    symbol_ms = 15.0 / scs / 14
    centre = (params["ssb_center_offset_hz"] + params["offset_hz"]) / 1e6
    half_mhz = 120 * scs / 1e3  # an SSB is 240 subcarriers wide
    per_half_frame = round(5 / symbol_ms)
    bursts: dict[int, list[int]] = {}
    for s in symbols:
        bursts.setdefault(s // per_half_frame, []).append(s)
    return [
        (min(b) * symbol_ms, (max(b) + 4) * symbol_ms, centre - half_mhz, centre + half_mhz)
        for b in bursts.values()
    ]


def render_gallery(path: Path | str, seed: int = 0, *, dpi: int = 100) -> list[Panel]:
    """Write the gallery PNG to ``path`` and return its panels.

    Deterministic for ``seed``: panel ``i`` draws from the stream ``[seed, i]``, so adding a
    panel leaves the others unchanged.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)  # fail before the work, not after
    panels = gallery_panels()
    cfg = frontend_config(panels)
    frontend = Frontend(cfg)
    rows = -(-len(panels) // COLUMNS)
    fig, axes = plt.subplots(rows, COLUMNS, figsize=(3.6 * COLUMNS, 3.0 * rows + 0.8), dpi=dpi)
    cmap = plt.get_cmap("viridis", COLOUR_STEPS)
    mesh = None
    for i, ax in enumerate(np.atleast_1d(axes).flat):
        if i >= len(panels):
            ax.set_axis_off()
            continue
        panel = panels[i]
        db, rate, params = panel_image(panel, frontend, [seed, i])
        half_mhz = rate / 2e6
        mesh = ax.imshow(
            db - db.max(),
            origin="lower",
            aspect="auto",
            extent=(0.0, DURATION_S * 1e3, -half_mhz, half_mhz),
            cmap=cmap,
            vmin=-DYNAMIC_RANGE_DB,
            vmax=0.0,
            interpolation="nearest",
        )
        if panel.scene.kind == "nr":
            dt, df = DURATION_S * 1e3 / 100, half_mhz / 40  # clear of the SSB's own pixels
            for t0, t1, f0, f1 in ssb_bursts(params):
                box = Rectangle((t0 - dt, f0 - df), t1 - t0 + 2 * dt, f1 - f0 + 2 * df)
                box.set(fill=False, ec="w", lw=0.8, ls="--")
                ax.add_patch(box)
                ax.text(t1 + dt, f1 + df, " SSB", color="w", fontsize=7, va="top")
        ax.set_title(f"{panel.title}\n{rate / 1e6:g} MS/s", fontsize=9)
        ax.tick_params(labelsize=7)
        if i % COLUMNS == 0:
            ax.set_ylabel("frequency (MHz)", fontsize=8)
        if i + COLUMNS >= len(panels):  # nothing below it
            ax.set_xlabel("time (ms)", fontsize=8)
    frontend.close()
    fig.suptitle(
        f"Synthetic signals as a receiver records them (rfclassify synth, seed {seed}): "
        f"{DURATION_S * 1e3:g} ms each, SNR {SNR_DB:g} dB, frequency relative to the tuning\n"
        f"Spectrogram by the rfclassify frontend: nfft {cfg.nfft}, {cfg.window} window, "
        f"{cfg.time_pooling}-pooled to {cfg.height} x {cfg.width} px; "
        f"colour = power in dB below each panel's peak ({DYNAMIC_RANGE_DB:g} dB shown)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 0.93, 1 - 0.6 / fig.get_figheight()))  # room for the title
    fig.colorbar(mesh, cax=fig.add_axes((0.94, 0.25, 0.012, 0.5)), label="dB re panel peak")
    save_palette_png(fig, out, dpi)
    plt.close(fig)
    return panels
