"""A minimal LTE downlink transmitter for testing the cell search: PSS, SSS, cell-specific
reference signals of 1, 2 or 4 ports, a PBCH carrying a real encoded MIB, and random QPSK on
every other downlink resource element, OFDM-modulated (TS 36.211), FDD or TDD, normal or
extended CP, any of the six bandwidths, at any capture rate.

Scaling: every resource element has unit power (the PBCH's per port 1/2 with two ports), and a
flat channel of unit gain and random phase per port; at the output rate one subcarrier of a
128 * rate / 1.92 MHz FFT (normalised by its square root) reads the RE's value. ``awgn`` then
gives an SNR per resource element, the in-band SNR of a loaded carrier as the training
generator defines it (noise power in the occupied bandwidth).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal as sp_signal

from ..signals.lte_frame import UL_DL_CONFIGS
from .lte_pbch import mib_bits, pbch_codeword, pbch_frame_symbols, pbch_positions
from .lte_phy import BANDWIDTHS_RB, SCS, cp_lengths, crs, symbols_per_slot
from .lte_sync import pss_sequence, sss_sequence

TDD_CONFIGS = UL_DL_CONFIGS  # TS 36.211 Table 4.2-2, as the generator has it
DWPTS = {"normal": 10, "extended": 8}  # downlink symbols of a special subframe (Table 4.2-1)


@dataclass(frozen=True)
class LteTxConfig:
    pci: int = 0
    n_rb: int = 6
    ports: int = 1
    cp: str = "normal"
    duplex: str = "FDD"
    sfn: int = 0  # of the first frame generated
    phich_duration: str = "normal"
    phich_resource: str = "1"
    spare: int = 0
    tdd_config: int = 1
    load: bool = True  # random QPSK on every free downlink RE (else empty)

    def __post_init__(self) -> None:
        if not 0 <= self.pci <= 503:
            raise ValueError(f"pci {self.pci} outside 0..503")
        if self.n_rb not in BANDWIDTHS_RB:
            raise ValueError(f"n_rb must be one of {BANDWIDTHS_RB}")
        if self.ports not in (1, 2, 4):
            raise ValueError("ports must be 1, 2 or 4")
        if self.duplex not in ("FDD", "TDD"):
            raise ValueError("duplex must be FDD or TDD")
        symbols_per_slot(self.cp)


def _subframe_kinds(config: LteTxConfig) -> str:
    return "D" * 10 if config.duplex == "FDD" else TDD_CONFIGS[config.tdd_config]


def subframe_grid(
    config: LteTxConfig, sfn: int, subframe: int, rng: np.random.Generator
) -> np.ndarray:
    """(ports, 2 N_symb, 12 n_rb) resource grid of one subframe."""
    n_symb = symbols_per_slot(config.cp)
    n_sc = 12 * config.n_rb
    grid = np.zeros((config.ports, 2 * n_symb, n_sc), dtype=complex)
    kind = _subframe_kinds(config)[subframe]
    if kind == "U":
        return grid
    n_dl = 2 * n_symb if kind == "D" else DWPTS[config.cp]
    used = np.zeros((2 * n_symb, n_sc), dtype=bool)
    used[n_dl:] = True
    c0 = 6 * config.n_rb - 36  # subcarrier k' = 0 of the central 72
    for sym in range(n_dl):
        ns = 2 * subframe + sym // n_symb
        for port in range(config.ports):
            ref = crs(config.pci, port, ns, sym % n_symb, config.cp, config.n_rb)
            if ref is not None:
                k, val = ref
                grid[port, sym, k] = val
                used[sym, k] = True
    n_id_1, n_id_2 = divmod(config.pci, 3)
    sync_sf = (0, 5)
    if config.duplex == "FDD":
        pss_at = (n_symb - 1) if subframe in sync_sf else None
        sss_at = (n_symb - 2) if subframe in sync_sf else None
    else:
        pss_at = 2 if subframe in (1, 6) else None
        sss_at = (2 * n_symb - 1) if subframe in sync_sf else None
    central = c0 + np.arange(72)
    if pss_at is not None:
        grid[0, pss_at, c0 + 5 : c0 + 67] = pss_sequence(n_id_2)
        used[pss_at, central] = True
    if sss_at is not None:
        grid[0, sss_at, c0 + 5 : c0 + 67] = sss_sequence(n_id_1, n_id_2, subframe)
        used[sss_at, central] = True
    if subframe == 0:
        mib = mib_bits(config.n_rb, sfn, config.phich_duration, config.phich_resource, config.spare)
        codeword = pbch_codeword(mib, config.ports, config.cp)
        symbols = pbch_frame_symbols(codeword, config.pci, config.cp, sfn % 4, config.ports)
        sym, k = pbch_positions(config.pci, config.cp)
        grid[:, sym, c0 + k] = symbols
        used[n_symb : n_symb + 4, central] = True
    if config.load:
        free = ~used
        bits = rng.integers(0, 2, (2, int(free.sum())))
        grid[0][free] = ((1 - 2 * bits[0]) + 1j * (1 - 2 * bits[1])) / np.sqrt(2)
    return grid


def _generation_fft(n_rb: int) -> int:
    nfft = 128
    while nfft < 12 * n_rb * 1.1:
        nfft *= 2
    return nfft


def lte_transmit(
    config: LteTxConfig,
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    start_subframe: int = 0,
    port_gains: np.ndarray | None = None,
) -> np.ndarray:
    """``duration_s`` of the downlink from ``start_subframe`` of frame ``config.sfn``, at
    ``sample_rate`` (generated at 15 kHz x FFT size and resampled when the rate is not such a
    multiple, or is narrower than the carrier: only the middle of a wide carrier is then kept).
    """
    direct = sample_rate / SCS
    if abs(direct - round(direct)) < 1e-9 and round(direct) >= 12 * config.n_rb * 1.05:
        nfft = round(direct)
    else:
        nfft = _generation_fft(config.n_rb)
    gen_rate = nfft * SCS
    n_sub = int(np.ceil(duration_s * 1e3)) + 1
    if port_gains is None:
        port_gains = np.exp(2j * np.pi * rng.random(config.ports))
        port_gains[0] = 1.0
    n_sc = 12 * config.n_rb
    k = np.arange(n_sc)
    bins = (k - n_sc // 2 + (k >= n_sc // 2)) % nfft
    cps = np.tile(cp_lengths(nfft, config.cp), 2)
    pieces = []
    for i in range(n_sub):
        sf_abs = start_subframe + i
        sfn = (config.sfn + sf_abs // 10) % 1024
        grid = subframe_grid(config, sfn, sf_abs % 10, rng)
        combined = np.tensordot(port_gains, grid, axes=(0, 0))
        freq = np.zeros((combined.shape[0], nfft), dtype=complex)
        freq[:, bins] = combined
        time = np.fft.ifft(freq, axis=-1) * np.sqrt(nfft)
        for sym, cp in enumerate(cps):
            pieces.append(time[sym, nfft - cp :])
            pieces.append(time[sym])
    x = np.concatenate(pieces)
    if gen_rate != sample_rate:
        ratio = Fraction(sample_rate / gen_rate).limit_denominator(1000)
        x = sp_signal.resample_poly(x, ratio.numerator, ratio.denominator)
        x *= np.sqrt(gen_rate / sample_rate)
    n_out = round(duration_s * sample_rate)
    return x[:n_out].astype(np.complex64)


def awgn(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` plus white complex Gaussian noise at ``snr_db`` per resource element."""
    sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
    noise = rng.normal(0, sigma, (2, x.size))
    return (x + noise[0] + 1j * noise[1]).astype(np.complex64)


def shift(x: np.ndarray, freq_hz: float, sample_rate: float) -> np.ndarray:
    """``x`` moved by ``freq_hz``."""
    n = np.arange(x.size)
    return (x * np.exp(2j * np.pi * freq_hz / sample_rate * n)).astype(np.complex64)
