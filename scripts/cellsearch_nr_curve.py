"""Detection probability of the NR cell search vs SNR on the test transmitter (issue 21).

Each trial: a random PCI (0..1007), SSB index (0..3, L_max 4), SCS 15 kHz (case A) or 30 kHz
(case B or C), a rate among 7.68/15.36/23.04/30.72 MS/s, a 1 ms window holding one SSB at a
random time, SS_REF on a random GSCN point of the synchronisation raster inside the capture
(off its centre), a CFO within +-5 kHz, white Gaussian noise at the SNR per resource element
(E_RE/N0). Counted: the right PCI and SSB index found, and the MIB decoded (CRC) with the right
SFN. Also the time per search.

    .venv/bin/python scripts/cellsearch_nr_curve.py [--trials 40] [--out docs/img/cellsearch]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rfclassify.cellsearch.nr_search import search_nr
from rfclassify.cellsearch.nr_transmitter import nr_ssb_signal
from rfclassify.signals.nr_sync_raster import gscn_frequency, gscns_between

CENTER = 2.1e9
RATES = (7.68e6, 15.36e6, 23.04e6, 30.72e6)


def trial(snr_db: float, rng: np.random.Generator) -> tuple[bool, bool, float]:
    scs = int(rng.choice([15, 30]))
    rate = float(rng.choice(RATES))
    case = "A" if scs == 15 else str(rng.choice(["B", "C"]))
    edge = rate / 2 - 122 * scs * 1e3 - 5e3
    gscns = gscns_between(CENTER - edge, CENTER + edge)
    offset = float(gscn_frequency(int(rng.choice(gscns)))) - CENTER
    pci, ssb = int(rng.integers(0, 1008)), int(rng.integers(0, 4))
    mib = {"sfn": int(rng.integers(0, 1024)), "k_ssb": int(rng.integers(0, 24))}
    x, _ = nr_ssb_signal(
        pci,
        (ssb,),
        mib,
        sample_rate=rate,
        scs_khz=scs,
        case=case,
        half_frame=int(rng.integers(0, 2)),
        freq_offset_hz=offset,
        cfo_hz=float(rng.uniform(-5e3, 5e3)),
        first_ssb_at_s=float(rng.uniform(0.02e-3, 0.7e-3)),
        snr_db=snr_db,
        rng=rng,
    )
    t0 = time.perf_counter()
    cells = search_nr(x, rate, CENTER)
    took = time.perf_counter() - t0
    found = [c for c in cells if c.pci == pci and c.ssb_index == ssb]
    decoded = any(c.decoded and c.mib["sfn"] == mib["sfn"] for c in found)
    return bool(found), decoded, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--snrs", default="-10,-8,-7,-6,-5,-4,-3,-2,0")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="folder for the JSON and PNG")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    snrs = [float(s) for s in args.snrs.split(",")]
    rows, times = [], []
    for snr in snrs:
        hits = [trial(snr, rng) for _ in range(args.trials)]
        times += [h[2] for h in hits]
        pd = sum(h[0] for h in hits) / args.trials
        pm = sum(h[1] for h in hits) / args.trials
        rows.append({"snr_db": snr, "pci_found": pd, "mib_decoded": pm, "trials": args.trials})
        print(f"SNR {snr:+5.1f} dB: PCI+SSB found {pd:.2f}, MIB decoded {pm:.2f}", flush=True)
    print(f"search: median {np.median(times):.3f} s, max {np.max(times):.3f} s (1 ms capture)")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "nr_ssb_1ms.json").write_text(json.dumps(rows, indent=1) + "\n")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot(snrs, [r["pci_found"] for r in rows], "o-", label="PCI + SSB index found")
        ax.plot(snrs, [r["mib_decoded"] for r in rows], "s-", label="MIB decoded (CRC)")
        ax.set_xlabel("SNR per resource element (dB)")
        ax.set_ylabel("probability")
        ax.set_title(f"NR SSB search, 1 ms, {args.trials} trials/point", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.out / "nr_ssb_1ms.png", dpi=120)


if __name__ == "__main__":
    main()
