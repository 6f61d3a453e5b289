"""NR cell search: IQ to SS/PBCH blocks, their PCI and SSB index, and a decoded MIB.

For each SCS (15 and 30 kHz; cases A, B and C):

1. Where: with a known centre frequency, every GSCN point of the synchronisation raster
   (TS 38.104 §5.4.3.1) whose SSB fits inside the capture, each at a few CFO hypotheses (steps
   of SCS/3 up to ``cfo_max_hz``); without one, every offset at steps of SCS/2.
2. PSS: one FFT of the capture; for each offset the 256 x SCS band around it is cut out of
   that spectrum (a brick-wall decimation), and correlated with the three PSS. The metric is the
   normalised correlation rho^2 against the PSS band's energy under the template, which for
   noise alone is about Beta(1, 128); the threshold gives a false-alarm rate ``pss_pfa`` per
   search over every lag, offset and N_ID^(2).
3. Fine CFO from the PSS's two halves, the 4 x 240 grid, SSS (336 hypotheses, the PSS as phase
   reference), PBCH DM-RS (ī_SSB, 8 hypotheses: SSB index LSBs and half frame), channel
   estimate, PBCH LLRs, polar list decoding, CRC-24C.

A cell is reported when its PBCH CRC passes (``decoded``), or undecoded when PSS and SSS
together pass a false-alarm rate of ``pfa`` per search.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, gcd, log

import numpy as np
import scipy.fft as sfft
from scipy.signal import resample_poly

from ..signals.nr_sync_raster import band_l_max, gscn_frequency, gscns_between
from .cell import Cell
from .nr_pbch import pbch_decode, pbch_symbols
from .nr_sync import (
    CP,
    N_FFT,
    N_SC,
    channel_estimate,
    demodulate,
    detect_ibar,
    detect_sss,
    grid_to_bins,
    pbch_llrs,
    pss_templates,
    ssb_grid,
)

_BASE_RATE = 3.84e6  # the search runs at a multiple of 128 x 30 kHz
_SSB_SPAN = 3 * (N_FFT + CP) + N_FFT  # PSS useful start to the end of symbol 3
_ADVANCE = 4
_PSS_DOF = 128  # noise alone: rho^2 ~ Beta(1, _PSS_DOF)
_SSS_DOF = 126


def _beta_threshold(p_each: float, dof: int) -> float:
    """T with P(Beta(1, dof) > T) = (1 - T)^dof = p_each."""
    return 1.0 - float(np.exp(log(max(p_each, 1e-300)) / dof))


def _to_search_rate(x: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    ratio = fs / _BASE_RATE
    if abs(ratio - round(ratio)) < 1e-9 and round(ratio) >= 2:
        return x, fs
    target = max(2, ceil(ratio)) * _BASE_RATE
    frac = Fraction(round(target), round(fs)).limit_denominator(4096)
    y = resample_poly(x, frac.numerator, frac.denominator).astype(np.complex64)
    return y, fs * frac.numerator / frac.denominator


def _offsets(fs: float, scs: float, center_freq: float | None, cfo_max: float):
    """(offset Hz, GSCN or None) of every SS_REF hypothesis whose SSB fits in the capture."""
    edge = fs / 2 - (N_SC // 2 + 2) * scs - cfo_max
    if edge < 0:
        return []
    step = scs / 3
    cfos = np.arange(-round(cfo_max / step), round(cfo_max / step) + 1) * step
    if center_freq is None:  # SCS/2 steps: at most SCS/4 off, a 0.9 dB loss
        step = scs / 2
        grid = np.arange(-np.floor(edge / step), np.floor(edge / step) + 1) * step
        return [(float(f), None, 0.0) for f in grid]
    out = []
    for g in gscns_between(center_freq - edge, center_freq + edge):
        f = float(gscn_frequency(int(g))) - center_freq
        out += [(f + float(c), int(g), float(c)) for c in cfos]
    return out


def _pss_candidates(x, fs, scs, offsets, pss_pfa, max_found=4000):
    """PSS peaks above threshold: (rho^2, offset index, N_ID^(2), lag) after suppression of
    each peak's neighbours, strongest first; and the spectrum, bin spacing, decimated bins and
    threshold for the later stages (None when the capture is shorter than an SSB)."""
    fs_dec = N_FFT * scs
    unit = round(fs) // gcd(round(fs), round(fs_dec))
    length = ceil(x.size / unit) * unit
    spec = sfft.fft(x.astype(np.complex64), n=length, workers=2)
    l_dec = round(length * fs_dec / fs)
    df = fs / length
    m = np.fft.fftfreq(l_dec, 1 / l_dec).astype(np.int64)  # signed decimated bins
    f_m = m * df
    band = ((f_m >= -65.5 * scs) & (f_m <= 63.5 * scs)).astype(np.float32)
    tmpl = np.zeros((3, l_dec), dtype=np.complex64)
    tmpl[:, :N_FFT] = pss_templates(N_FFT)
    tconj = np.conj(sfft.fft(tmpl, axis=1)).astype(np.complex64)
    shifts = np.array([round(f / df) for f, _, _ in offsets], dtype=np.int64)
    lags = np.arange(CP + _ADVANCE, l_dec - _SSB_SPAN)
    if lags.size == 0:
        return None
    n_tests = max(1, lags.size * 3 * len(set(shifts.tolist())))
    thr = _beta_threshold(pss_pfa / n_tests, _PSS_DOF)
    batch = max(1, int(2_000_000 // l_dec))
    vals, rows_all, n2_all, lag_all = [], [], [], []
    for b0 in range(0, shifts.size, batch):
        sh = shifts[b0 : b0 + batch]
        xb = spec[(sh[:, None] + m[None, :]) % length] * band
        yb = sfft.ifft(xb, axis=1, workers=2)
        cum = np.zeros((sh.size, l_dec + 1))
        np.cumsum(np.abs(yb) ** 2, axis=1, out=cum[:, 1:])
        energy = cum[:, lags + N_FFT] - cum[:, lags]
        energy += 1e-6 * energy.max(axis=1, keepdims=True) + 1e-30  # silent stretches
        corr = sfft.ifft(xb[:, None, :] * tconj[None], axis=2, workers=2)[:, :, lags]
        rho = np.abs(corr) ** 2 / energy[:, None, :]
        peak = rho > thr
        peak[:, :, 1:] &= rho[:, :, 1:] >= rho[:, :, :-1]
        peak[:, :, :-1] &= rho[:, :, :-1] > rho[:, :, 1:]
        r, n2, c = np.nonzero(peak)
        vals.append(rho[r, n2, c])
        rows_all.append(r + b0)
        n2_all.append(n2)
        lag_all.append(lags[c])
    if not vals:
        return [], spec, df, m, thr
    v, r, n2, lag = (np.concatenate(a) for a in (vals, rows_all, n2_all, lag_all))
    order = np.argsort(-v, kind="stable")[:max_found]
    f_all = np.array([o[0] for o in offsets])
    kept: list[tuple[float, int, int, int]] = []
    for i in order:
        f = f_all[r[i]]
        if any(
            k[2] == n2[i] and abs(k[3] - lag[i]) <= 4 and abs(f_all[k[1]] - f) <= 1.5 * scs
            for k in kept
        ):
            continue
        kept.append((float(v[i]), int(r[i]), int(n2[i]), int(lag[i])))
        if len(kept) >= 64:
            break
    return kept, spec, df, m, thr


def _residual_cfo(y: np.ndarray, lag: int, sent: np.ndarray, fs_dec: float) -> float:
    """CFO (Hz) left in ``y`` from the phase between the halves of each SSB symbol, correlated
    with the symbols sent (within-symbol, so blind to per-symbol phase steps such as the
    upconversion phase of TS 38.211 §5.4)."""
    bins = grid_to_bins(N_FFT)
    half = N_FFT // 2
    acc = 0j
    for sym in range(4):
        spec = np.zeros(N_FFT, dtype=np.complex128)
        spec[bins] = sent[sym]
        r = y[lag + sym * (N_FFT + CP) :][:N_FFT] * np.conj(np.fft.ifft(spec))
        acc += np.sum(r[half:]) * np.conj(np.sum(r[:half]))
    return float(np.angle(acc)) / (2 * np.pi * half / fs_dec)


def _l_max_order(center_freq: float | None, scs_khz: int) -> list[int]:
    if center_freq is None:
        return [4, 8]
    lm = band_l_max("A" if scs_khz == 15 else "B", center_freq, False)
    return [lm, 12 - lm]


def _decode(grid, pci, ibar, l_orders):
    """Try the PBCH for ī_SSB under each L_max: (payload, l_max, ssb_index, half_frame)."""
    est, noise, _ = channel_estimate(grid, pci, ibar)
    llr = pbch_llrs(grid, est, noise, pci)
    tried = set()
    for l_max in l_orders:
        if l_max == 4:
            idx, hf = ibar % 4, ibar // 4
        else:
            idx, hf = ibar, None
        v = idx % (4 if l_max == 4 else 8)
        if v in tried:
            continue
        tried.add(v)
        payload = pbch_decode(llr, pci, idx, l_max)
        if payload is None:
            continue
        if l_max == 4 and payload["half_frame"] != hf:
            # ī < 4 under L_max = 8 (same scrambling) with the half frame bit set
            return payload, 8, ibar, payload["half_frame"]
        return payload, l_max, idx, payload["half_frame"] if hf is None else hf
    return None, l_orders[0], (ibar % 4 if l_orders[0] == 4 else ibar), None


def search_nr(
    samples: np.ndarray,
    sample_rate: float,
    center_freq: float | None = None,
    *,
    scs_khz: tuple[int, ...] = (15, 30),
    cfo_max_hz: float = 5e3,
    pfa: float = 1e-6,
    pss_pfa: float = 1e-2,
    max_candidates: int = 12,
) -> list[Cell]:
    """Every NR SS/PBCH block found in ``samples`` (complex IQ at ``sample_rate``, centred on
    ``center_freq`` Hz when known), one Cell per (PCI, SSB index, frequency), decoded first,
    then by start. ``freq_offset_hz`` is SS_REF (SSB subcarrier 120) minus the capture centre,
    the CFO estimate included."""
    x0 = np.asarray(samples, dtype=np.complex64).ravel()
    fs_in = float(sample_rate)
    x, fs = _to_search_rate(x0, fs_in)
    cells: dict[tuple, Cell] = {}
    for scs_k in scs_khz:
        scs = scs_k * 1e3
        fs_dec = N_FFT * scs
        if fs < fs_dec:
            continue
        offsets = _offsets(fs, scs, center_freq, cfo_max_hz)
        if not offsets:
            continue
        res = _pss_candidates(x, fs, scs, offsets, pss_pfa)
        if res is None:
            continue
        kept, spec, df, m, pss_thr = res
        # PSS false alarms reach SSS at pss_pfa per search: SSS takes the rest of pfa
        sss_report = _beta_threshold(pfa / pss_pfa / 336, 126)
        sss_try = _beta_threshold(0.1 / 336, 126)
        length = spec.size
        for rho, oi, nid2, lag in kept[:max_candidates]:
            f_nom, gscn, cfo_hyp = offsets[oi]
            shift = round(f_nom / df)
            y = sfft.ifft(spec[(shift + m) % length], workers=2)
            p = pss_templates(N_FFT)[nid2]
            r = y[lag : lag + N_FFT] * np.conj(p)
            half = N_FFT // 2
            fine = np.angle(np.sum(r[half:]) * np.conj(np.sum(r[:half]))) / (
                2 * np.pi * half / fs_dec
            )
            t = np.arange(y.size)
            yc = y * np.exp(-2j * np.pi * fine * t / fs_dec)
            grid = demodulate(yc, lag, _ADVANCE)
            nid1, sss_metric, sss_second = detect_sss(grid, nid2)
            if sss_metric < sss_try:
                continue
            pci = 3 * nid1 + nid2
            ibar, dmrs_scores = detect_ibar(grid, pci)
            payload, l_max, ssb_index, hf = _decode(
                grid, pci, ibar, _l_max_order(center_freq, scs_k)
            )
            decoded = payload is not None
            if decoded:  # the whole SSB is now known: a CFO from all 4 symbols
                sent = ssb_grid(pci, ibar, pbch_symbols(payload, pci, ssb_index, hf, l_max))
                fine += _residual_cfo(yc, lag, sent, fs_dec)
            if not decoded and sss_metric < sss_report:
                continue
            offset = shift * df + fine
            snr = rho / max(1 - rho, 1e-9) * 129 / 127
            start = round((lag - CP) * fs / fs_dec * fs_in / fs)
            details = {
                "n_id_1": nid1,
                "scs_khz": scs_k,
                "ssb_case": "A" if scs_k == 15 else "B or C",
                "ibar_ssb": ibar,
                "l_max": l_max,
                "half_frame": hf,
                "gscn": gscn,
                "ss_ref_hz": None if center_freq is None else center_freq + offset,
                "cfo_hz": (offset - (f_nom - cfo_hyp)) if gscn is not None else None,
                "pss_metric": rho,
                "pss_threshold": pss_thr,
                "sss_metric": sss_metric,
                "sss_runner_up": sss_second,
                "sss_threshold": sss_report,
                "dmrs_scores": [round(float(s), 4) for s in dmrs_scores],
            }
            mib = {}
            if decoded:
                mib = {k: v for k, v in payload.items() if k != "reserved"}
                details["k_ssb"] = payload["k_ssb"]
                details["sfn"] = payload["sfn"]
            cell = Cell(
                rat="NR",
                pci=pci,
                n_id_2=nid2,
                start=start,
                freq_offset_hz=float(offset),
                snr_db=float(10 * np.log10(max(snr, 1e-6))),
                ssb_index=ssb_index,
                decoded=decoded,
                mib=mib,
                details=details,
            )
            key = (pci, ssb_index, round(offset / (4 * scs)))
            old = cells.get(key)
            if old is None or (decoded and not old.decoded):
                cells[key] = cell
    return sorted(cells.values(), key=lambda c: (not c.decoded, c.start))
