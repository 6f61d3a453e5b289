"""The NR SS/PBCH block at the receiver (TS 38.211 §7.4.2-7.4.3): its layout, PSS templates,
SSS and PBCH DM-RS detection, and the PBCH channel estimate and LLRs.

An SSB is 4 OFDM symbols x 240 subcarriers; subcarrier k = 120 sits at SS_REF (the GSCN's
frequency). Symbol 0: PSS on k = 56..182; symbol 2: SSS on k = 56..182, PBCH on k < 48 and
k >= 192; symbols 1 and 3: PBCH. PBCH DM-RS on every 4th PBCH subcarrier, k = v mod 4 with
v = PCI mod 4. The sequences are the generator's (``signals.nr_sync_raster``), checked against
the specification there: PSS/SSS m-sequences (§7.4.2.2-3), DM-RS c_init from ī_SSB (§7.4.1.4).

The receiver works on a 256-point grid (sample rate 256 x SCS) around SS_REF.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..signals.nr_sync_raster import pbch_dmrs, pss, sss

N_SC = 240
N_FFT = 256  # the receiver's FFT size around the SSB
CP = 18  # normal CP at N_FFT = 256 (144/2048 of the symbol)
PSS_K = np.arange(56, 183)


def cp_samples(n_fft: int, long: bool = False, scs_khz: int = 15) -> int:
    """Normal CP of a symbol of ``n_fft`` samples; ``long`` adds 16 samples at 30.72 MS/s
    (the first symbol of each half subframe, TS 38.211 §5.3.1)."""
    extra = n_fft * 16 // (2048 * 15 // scs_khz) if long else 0
    return n_fft * 144 // 2048 + extra


@lru_cache(maxsize=1024)
def layout(pci: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(symbol, subcarrier) index arrays of the DM-RS and the PBCH data REs, each in mapping
    order (subcarrier first, then symbol; §7.4.3.1.3)."""
    pbch = np.zeros((4, N_SC), dtype=bool)
    pbch[[1, 3], :] = True
    pbch[2, :48] = pbch[2, 192:] = True
    dmrs = pbch & (np.arange(N_SC) % 4 == pci % 4)
    data = pbch & ~dmrs
    return {"dmrs": np.nonzero(dmrs), "data": np.nonzero(data)}


@lru_cache(maxsize=2048)
def dmrs_sequence(pci: int, ibar: int) -> np.ndarray:
    """The 144 PBCH DM-RS symbols for ī_SSB (0..7; §7.4.1.4.1)."""
    return pbch_dmrs(pci, ibar, 0, 8).astype(np.complex128)


def ssb_grid(pci: int, ibar: int, pbch_symbols: np.ndarray) -> np.ndarray:
    """The 4 x 240 SSB: PSS, SSS, DM-RS for ī_SSB and the 432 PBCH symbols given."""
    grid = np.zeros((4, N_SC), dtype=np.complex128)
    grid[0, PSS_K] = pss(pci % 3)
    grid[2, PSS_K] = sss(pci // 3, pci % 3)
    lay = layout(pci)
    grid[lay["dmrs"]] = dmrs_sequence(pci, ibar)
    grid[lay["data"]] = pbch_symbols
    return grid


def grid_to_bins(n_fft: int) -> np.ndarray:
    """FFT bin of each SSB subcarrier k when SS_REF (k = 120) is at DC."""
    return (np.arange(N_SC) - 120) % n_fft


@lru_cache(maxsize=8)
def pss_templates(n_fft: int = N_FFT) -> np.ndarray:
    """(3, n_fft) time-domain PSS symbols (no CP), unit energy, SS_REF at DC."""
    out = np.zeros((3, n_fft), dtype=np.complex128)
    bins = grid_to_bins(n_fft)[PSS_K]
    for nid2 in range(3):
        spec = np.zeros(n_fft, dtype=np.complex128)
        spec[bins] = pss(nid2)
        t = np.fft.ifft(spec)
        out[nid2] = t / np.linalg.norm(t)
    return out


@lru_cache(maxsize=4)
def sss_matrix(nid2: int) -> np.ndarray:
    """(336, 127) SSS sequences of N_ID^(2) = nid2 for every N_ID^(1)."""
    return np.stack([sss(n1, nid2) for n1 in range(336)]).astype(np.float64)


def demodulate(y: np.ndarray, start: int, advance: int = 4) -> np.ndarray:
    """The 4 x 240 SSB grid from ``y`` (sample rate 256 x SCS, SS_REF at DC) whose PSS useful
    part starts at ``start``; the FFT windows start ``advance`` samples into each CP. The
    phase ramp this leaves across subcarriers is removed by the channel estimates."""
    bins = grid_to_bins(N_FFT)
    out = np.empty((4, N_SC), dtype=np.complex128)
    for sym in range(4):
        s = start + sym * (N_FFT + CP) - advance
        out[sym] = np.fft.fft(y[s : s + N_FFT])[bins] / np.sqrt(N_FFT)
    return out


def _slope(h: np.ndarray, step: int) -> float:
    """Phase per subcarrier of a channel sampled every ``step`` subcarriers (rows: symbols)."""
    return float(np.angle(np.sum(h[..., 1:] * np.conj(h[..., :-1])))) / step


def _smooth(h: np.ndarray, width: int) -> np.ndarray:
    kernel = np.ones(width)
    num = np.convolve(h, kernel, mode="same")
    den = np.convolve(np.ones(h.size), kernel, mode="same")
    return num / den


def detect_sss(grid: np.ndarray, nid2: int) -> tuple[int, float, float]:
    """(N_ID^(1), metric, runner-up metric) of the SSS, with the PSS as phase reference.

    The PSS gives the channel on k = 56..182 (its timing ramp removed, then smoothed over
    9 subcarriers); the metric is |sum Z d|^2 / (127 sum |Z|^2) with Z = SSS REs x conj(H),
    which for noise alone is Beta(1, 126) per hypothesis."""
    h = grid[0, PSS_K] * pss(nid2)
    ramp = np.exp(1j * _slope(h, 1) * np.arange(h.size))
    h = _smooth(h * np.conj(ramp), 9) * ramp
    z = grid[2, PSS_K] * np.conj(h)
    corr = np.abs(sss_matrix(nid2) @ z) ** 2 / (z.size * np.sum(np.abs(z) ** 2) + 1e-30)
    order = np.argsort(corr)
    return int(order[-1]), float(corr[order[-1]]), float(corr[order[-2]])


def detect_ibar(grid: np.ndarray, pci: int, group: int = 4) -> tuple[int, np.ndarray]:
    """ī_SSB (0..7) from the PBCH DM-RS: for each hypothesis, the energy of coherent sums over
    ``group`` neighbouring DM-RS of a symbol, summed (robust to the channel's phase)."""
    lay = layout(pci)
    y = grid[lay["dmrs"]]
    syms = lay["dmrs"][0]
    scores = np.zeros(8)
    for ibar in range(8):
        z = y * np.conj(dmrs_sequence(pci, ibar))
        for sym in (1, 2, 3):
            zs = z[syms == sym]
            n = zs.size // group * group
            scores[ibar] += np.sum(np.abs(zs[:n].reshape(-1, group).sum(axis=1)) ** 2)
    return int(np.argmax(scores)), scores / (np.sum(np.abs(y) ** 2) * group + 1e-30)


def channel_estimate(grid: np.ndarray, pci: int, ibar: int) -> tuple[np.ndarray, float, float]:
    """Channel on all 4 x 240 REs from the PBCH DM-RS, the noise variance per RE, and the
    common phase advance (rad) from symbol 1 to symbol 3 (a residual CFO).

    The timing ramp and each symbol's common phase (residual CFO) are removed, the three
    symbols averaged, smoothed over 5 DM-RS (20 subcarriers), interpolated in frequency, and
    the ramp and phases put back."""
    lay = layout(pci)
    syms, ks = lay["dmrs"]
    h = grid[lay["dmrs"]] * np.conj(dmrs_sequence(pci, ibar))
    ramp_rate = np.mean([_slope(h[syms == s], 4) for s in (1, 3)])
    h0 = h * np.exp(-1j * ramp_rate * ks)
    ref = {int(k): v for k, v in zip(ks[syms == 1], h0[syms == 1], strict=True)}
    phase = {}
    for s in (1, 2, 3):
        sel = syms == s
        acc = sum(v * np.conj(ref[int(k)]) for k, v in zip(ks[sel], h0[sel], strict=True))
        phase[s] = float(np.angle(acc))
    rot = np.array([phase[int(s)] for s in syms])
    h1 = h0 * np.exp(-1j * rot)
    k_axis = np.unique(ks)
    avg = np.array([h1[ks == k].mean() for k in k_axis])
    smooth = _smooth(avg, 5)
    all_k = np.arange(N_SC)
    flat = np.interp(all_k, k_axis, smooth.real) + 1j * np.interp(all_k, k_axis, smooth.imag)
    est = np.empty((4, N_SC), dtype=np.complex128)
    est[0] = flat * np.exp(1j * ramp_rate * all_k)
    for s in (1, 2, 3):
        est[s] = flat * np.exp(1j * (ramp_rate * all_k + phase[s]))
    resid = grid[lay["dmrs"]] * np.conj(dmrs_sequence(pci, ibar)) - est[lay["dmrs"]]
    noise = float(np.mean(np.abs(resid) ** 2)) * 1.25 + 1e-12  # the fit soaks up some noise
    return est, noise, phase[3] - phase[1]


def pbch_llrs(grid: np.ndarray, est: np.ndarray, noise: float, pci: int) -> np.ndarray:
    """864 LLRs (positive: bit 0) of the PBCH's QPSK symbols, in mapping order."""
    lay = layout(pci)
    z = grid[lay["data"]] * np.conj(est[lay["data"]]) * (2 * np.sqrt(2) / noise)
    return np.stack([z.real, z.imag], axis=1).ravel()
