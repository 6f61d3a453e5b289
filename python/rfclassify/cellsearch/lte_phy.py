"""LTE downlink numerology and sequences the cell search shares (TS 36.211): OFDM symbol timing,
the pseudo-random (Gold) sequence, QPSK, and the cell-specific reference signals of the central
six resource blocks.

The search runs at 1.92 MS/s (a 128-point FFT, 15 kHz subcarriers): ``SEARCH_RATE``. Subcarrier
k' = 0..71 of the central 72 (the sync signals' and PBCH's) sits on FFT bin k' - 36 for k' < 36
and k' - 35 above: the DC subcarrier is not transmitted (§6.12).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SEARCH_RATE = 1.92e6
SEARCH_NFFT = 128
SCS = 15e3
N_RB_MAX = 110  # N_RB^max,DL: offsets the CRS sequence (§6.10.1.2)
HALF_FRAME = 9600  # samples of 5 ms at SEARCH_RATE
SUBFRAME = 1920
CPS = ("normal", "extended")
DUPLEXES = ("FDD", "TDD")
BANDWIDTHS_RB = (6, 15, 25, 50, 75, 100)
_NC = 1600


def symbols_per_slot(cp: str) -> int:
    if cp not in CPS:
        raise ValueError(f"cp must be one of {CPS}, got {cp!r}")
    return 7 if cp == "normal" else 6


@lru_cache(maxsize=64)
def cp_lengths(nfft: int, cp: str) -> np.ndarray:
    """CP length of each symbol of one slot at FFT size ``nfft`` (Table 6.12-1: 160/144 and 512
    samples at 2048)."""
    scale = nfft / 2048
    if cp == "normal":
        lengths = np.array([160] + [144] * 6) * scale
    else:
        lengths = np.array([512] * symbols_per_slot(cp)) * scale
    if not np.allclose(lengths, np.round(lengths)):
        raise ValueError(f"nfft={nfft} does not give whole-sample cyclic prefixes")
    out = np.round(lengths).astype(int)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=64)
def symbol_starts(nfft: int, cp: str) -> tuple[np.ndarray, np.ndarray]:
    """(start of each symbol's CP, start of its FFT window) for the 2 x N_symb symbols of one
    subframe, in samples from the subframe's start."""
    lengths = np.tile(cp_lengths(nfft, cp) + nfft, 2)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ffts = starts + np.tile(cp_lengths(nfft, cp), 2)
    starts.flags.writeable = ffts.flags.writeable = False
    return starts, ffts


def fft_start(slot: int, symbol: int, cp: str, nfft: int = SEARCH_NFFT) -> int:
    """FFT window start of ``symbol`` of ``slot`` (0 or 1 within its subframe), from the
    subframe's start."""
    return int(symbol_starts(nfft, cp)[1][slot * symbols_per_slot(cp) + symbol])


def pss_position(duplex: str, cp: str) -> tuple[int, int, int]:
    """(subframe, slot in subframe, symbol) of the first PSS in a frame (§6.11.1.2): the last
    symbol of slot 0 in FDD, the third symbol of subframe 1 in TDD; the second is 5 ms later."""
    if duplex == "FDD":
        return 0, 0, symbols_per_slot(cp) - 1
    return 1, 0, 2


def sss_position(duplex: str, cp: str) -> tuple[int, int, int]:
    """(subframe, slot in subframe, symbol) of the first SSS (§6.11.2.2): just before the PSS in
    FDD, the last symbol of subframe 0 in TDD (three symbols before the PSS)."""
    if duplex == "FDD":
        return 0, 0, symbols_per_slot(cp) - 2
    return 0, 1, symbols_per_slot(cp) - 1


def pss_to_subframe0(duplex: str, cp: str, nfft: int = SEARCH_NFFT) -> int:
    """Samples from the start of the frame (subframe 0) to the first PSS's FFT window."""
    sf, slot, sym = pss_position(duplex, cp)
    return sf * nfft * 15 + fft_start(slot, sym, cp, nfft)


def sss_lead(duplex: str, cp: str, nfft: int = SEARCH_NFFT) -> int:
    """How many samples the SSS's FFT window starts before the PSS's."""
    sf, slot, sym = sss_position(duplex, cp)
    return pss_to_subframe0(duplex, cp, nfft) - (sf * nfft * 15 + fft_start(slot, sym, cp, nfft))


def central_bins() -> np.ndarray:
    """FFT bin (negative below DC) of each of the central 72 subcarriers k' = 0..71."""
    k = np.arange(72)
    return k - 36 + (k >= 36)


def gold_sequence(c_init: int, length: int) -> np.ndarray:
    """c(0..length-1) of TS 36.211 §7.2: x1 from 1,0,...,0, x2 from c_init, N_c = 1600."""
    total = length + _NC + 31
    x1 = np.zeros(total, dtype=np.uint8)
    x2 = np.zeros(total, dtype=np.uint8)
    x1[0] = 1
    x2[:31] = (int(c_init) >> np.arange(31)) & 1
    # x(n+31) needs x(n..n+3): 28 new bits per step depend only on bits already there
    for n in range(0, total - 31, 28):
        m = min(28, total - 31 - n)
        x1[n + 31 : n + 31 + m] = x1[n + 3 : n + 3 + m] ^ x1[n : n + m]
        x2[n + 31 : n + 31 + m] = (
            x2[n + 3 : n + 3 + m] ^ x2[n + 2 : n + 2 + m] ^ x2[n + 1 : n + 1 + m] ^ x2[n : n + m]
        )
    return x1[_NC : _NC + length] ^ x2[_NC : _NC + length]


def qpsk(bits: np.ndarray) -> np.ndarray:
    """QPSK of TS 36.211 §7.1.2: b(2i), b(2i+1) -> ((1 - 2b(2i)) + j(1 - 2b(2i+1))) / sqrt(2)."""
    bits = np.asarray(bits, dtype=np.float64).reshape(-1, 2)
    return ((1 - 2 * bits[:, 0]) + 1j * (1 - 2 * bits[:, 1])) / np.sqrt(2)


def crs_shift(port: int, slot: int, symbol: int, cp: str) -> int | None:
    """v of §6.10.1.2 for ``port`` in ``symbol`` of slot n_s (only n_s mod 2 matters), or None
    when that port has no reference signal in the symbol."""
    last = symbols_per_slot(cp) - 3
    if port in (0, 1):
        if symbol == 0:
            return 0 if port == 0 else 3
        if symbol == last:
            return 3 if port == 0 else 0
        return None
    if port in (2, 3) and symbol == 1:
        return 3 * (slot % 2) + (0 if port == 2 else 3)
    return None


@lru_cache(maxsize=8192)
def _crs_sequence(cell_id: int, ns: int, symbol: int, cp: str) -> np.ndarray:
    n_cp = 1 if cp == "normal" else 0
    c_init = 2**10 * (7 * (ns + 1) + symbol + 1) * (2 * cell_id + 1) + 2 * cell_id + n_cp
    r = qpsk(gold_sequence(c_init, 4 * N_RB_MAX))
    r.flags.writeable = False
    return r


def crs(cell_id: int, port: int, ns: int, symbol: int, cp: str, n_rb: int = 6):
    """(subcarrier k within the n_rb x 12 carrier, value) of ``port``'s reference signal in
    ``symbol`` of slot ``ns`` (0..19), or None where it has none (§6.10.1)."""
    v = crs_shift(port, ns, symbol, cp)
    if v is None:
        return None
    m = np.arange(2 * n_rb)
    k = 6 * m + (v + cell_id % 6) % 6
    return k, _crs_sequence(cell_id, ns, symbol, cp)[m + N_RB_MAX - n_rb]


@lru_cache(maxsize=256)
def _steering(k: tuple[int, ...], max_delay: float) -> tuple[np.ndarray, np.ndarray]:
    delays = np.linspace(-max_delay, max_delay, 8 * int(np.ceil(max_delay)) + 1)
    steer = np.exp(-2j * np.pi * np.outer(delays, np.array(k)) / SEARCH_NFFT)
    steer.flags.writeable = False
    return delays, steer


def smooth_channel(h: np.ndarray, k: np.ndarray, width: int, max_delay: float = 12) -> np.ndarray:
    """Channel estimates ``h`` on ascending subcarriers ``k``, each averaged with its ``width``
    nearest neighbours once the phase slope of a delay (up to ``max_delay`` samples of the
    128-point FFT, e.g. a timing offset within the CP) is taken out, then the slope put back.

    The delay is the one that maximises the coherent sum over every estimate (the strongest
    path), which holds at SNRs where the phase step between neighbours is lost in noise."""
    h = np.asarray(h, dtype=complex)
    k = np.asarray(k)
    if h.size < 2:
        return h
    delays, steer = _steering(tuple(int(v) for v in k), float(max_delay))
    best = delays[int(np.argmax(np.abs(steer @ h)))]
    turn = np.exp(2j * np.pi * best * k / SEARCH_NFFT)
    g = h / turn
    kernel = np.ones(min(width, h.size))
    num = np.convolve(g, kernel, mode="same")
    den = np.convolve(np.ones(h.size), kernel, mode="same")
    return num / den * turn
