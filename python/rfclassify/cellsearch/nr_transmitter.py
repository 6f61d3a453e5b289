"""A minimal NR test transmitter: SS/PBCH blocks with a properly encoded PBCH (MIB, CRC,
polar code, scrambling), OFDM-modulated at a given rate and SCS, placed where a cell search
must find them (a frequency offset such as a GSCN point off the capture centre, a CFO, a time
offset, AWGN).

``snr_db`` is the SSB's SNR per resource element (E_RE / N0): every SSB RE has unit energy and
the noise has variance 10^(-snr/10) per RE (in the SSB's band; the noise is white over the
whole capture).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..signals.nr_sync_raster import ssb_symbol_starts
from .nr_pbch import pbch_symbols
from .nr_sync import N_SC, cp_samples, grid_to_bins, ssb_grid


def symbol_start(sym: int, n_fft: int, scs_khz: int) -> int:
    """Sample at which symbol ``sym`` of a half frame starts (its CP included)."""
    per_half_ms = 7 * scs_khz // 15
    total = 0
    for j in range(sym):
        total += n_fft + cp_samples(n_fft, j % per_half_ms == 0, scs_khz)
    return total


def ssb_case(scs_khz: int, case: str | None) -> str:
    if case is None:
        return "A" if scs_khz == 15 else "C"
    if (case == "A") != (scs_khz == 15) or case not in ("A", "B", "C"):
        raise ValueError(f"SSB case {case} does not go with {scs_khz} kHz")
    return case


def nr_ssb_signal(
    pci: int,
    ssb_indices: tuple[int, ...] | list[int] = (0,),
    mib: dict[str, Any] | None = None,
    sample_rate: float = 15.36e6,
    scs_khz: int = 15,
    case: str | None = None,
    l_max: int = 4,
    half_frame: int = 0,
    freq_offset_hz: float = 0.0,
    cfo_hz: float = 0.0,
    duration_s: float = 1e-3,
    first_ssb_at_s: float = 0.2e-3,
    snr_db: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """IQ (complex64) holding the SSBs ``ssb_indices`` of one burst (case A/B/C timing, the
    first of them starting ``first_ssb_at_s`` into the capture), SS_REF (subcarrier 120) at
    ``freq_offset_hz`` + ``cfo_hz`` from the capture centre. Returns the samples and what was
    sent (``start``: first sample of each SSB's PSS CP)."""
    rng = np.random.default_rng(rng)
    case = ssb_case(scs_khz, case)
    n_fft = round(sample_rate / (scs_khz * 1e3))
    if abs(n_fft * scs_khz * 1e3 - sample_rate) > 1e-6 * sample_rate or n_fft % 128:
        raise ValueError(f"{sample_rate} S/s is not a multiple of 128 x {scs_khz} kHz")
    total = round(duration_s * sample_rate)
    out = np.zeros(total, dtype=np.complex128)
    firsts = ssb_symbol_starts(case, l_max)
    origin = symbol_start(int(firsts[ssb_indices[0]]), n_fft, scs_khz)
    t0 = round(first_ssb_at_s * sample_rate)
    bins = grid_to_bins(n_fft)
    starts = []
    for idx in ssb_indices:
        first = int(firsts[idx])
        ibar = idx + 4 * half_frame if l_max == 4 else idx % 8
        grid = ssb_grid(pci, ibar, pbch_symbols(mib or {}, pci, idx, half_frame, l_max))
        pos = t0 + symbol_start(first, n_fft, scs_khz) - origin
        starts.append(pos)
        for sym in range(4):
            spec = np.zeros(n_fft, dtype=np.complex128)
            spec[bins] = grid[sym]
            body = np.fft.ifft(spec) * np.sqrt(n_fft)
            cp = cp_samples(n_fft, (first + sym) % (7 * scs_khz // 15) == 0, scs_khz)
            s = (
                pos
                + symbol_start(first + sym, n_fft, scs_khz)
                - symbol_start(first, n_fft, scs_khz)
            )
            sym_samples = np.concatenate([body[-cp:], body])
            lo, hi = max(s, 0), min(s + sym_samples.size, total)
            if hi > lo:
                out[lo:hi] += sym_samples[lo - s : hi - s]
    t = np.arange(total)
    out *= np.exp(2j * np.pi * (freq_offset_hz + cfo_hz) * t / sample_rate)
    if snr_db is not None:
        sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
        out += sigma * (rng.standard_normal(total) + 1j * rng.standard_normal(total))
    info = {"pci": pci, "ssb_indices": list(ssb_indices), "start": starts, "case": case}
    info |= {"n_sc": N_SC, "n_fft": n_fft, "half_frame": half_frame, "l_max": l_max}
    return out.astype(np.complex64), info
