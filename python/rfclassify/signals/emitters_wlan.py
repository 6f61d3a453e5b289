"""IEEE 802.11n (HT) and 802.11ac (VHT) Wi-Fi: what a capture of a busy 2.4/5 GHz channel shows.

The 802.11a ``wifi_ofdm`` in ``other.py`` is one 16.6 MHz shape; a modern network sends HT/VHT
PPDUs 20, 40 or 80 MHz wide (IEEE 802.11-2020 §19, §21): the legacy preamble duplicated per
20 MHz subchannel with the tone rotation γ, then the wider HT/VHT training and data symbols,
aggregated up to ~5 ms and answered by a block ack after SIFS. The PPDUs are built at an
IFFT size chosen for the capture rate and brought to it by ``emitter_kit.resample_view``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import fft as sfft

from .common import Waveform, sample_count
from .emitter_kit import (
    draw_checked,
    msequence,
    rate_ratio,
    resample_view,
    shift,
    to_capture,
    unit_power,
)

__all__ = ["KINDS", "RANGES", "random_qam", "wifi_ht_vht"]
# moved to emitter_kit, still importable from here
__all__ += ["draw_checked", "rate_ratio", "resample_view", "shift", "unit_power"]


def random_qam(rng: np.random.Generator, shape: tuple[int, ...], bits: int) -> np.ndarray:
    """Unit-power square QAM of ``bits`` per symbol (1 = BPSK), uniform over the points.

    Random payload makes every point equally likely, so the Gray labels of the standard's
    mapper (§17.3.5.8) do not matter: the levels are drawn directly.
    """
    if bits == 1:
        return (2 * rng.integers(0, 2, shape, dtype=np.int8) - 1).astype(np.complex64)
    m = 2 ** (bits // 2)
    i = 2 * rng.integers(0, m, shape, dtype=np.int16) - (m - 1)
    q = 2 * rng.integers(0, m, shape, dtype=np.int16) - (m - 1)
    return ((i + 1j * q) / np.sqrt(2 * (m * m - 1) / 3)).astype(np.complex64)


# --- HT / VHT tone plans (IEEE 802.11-2020 §17.3.3, §19.3.9, §21.3.8) ----------------------

_SCS = 312.5e3
_S20 = dict(
    zip(
        [-24, -20, -16, -12, -8, -4, 4, 8, 12, 16, 20, 24],
        np.sqrt(13 / 6) * (1 + 1j) * np.array([1, -1, 1, -1, -1, 1, -1, -1, 1, 1, 1, 1]),
        strict=True,
    )
)
_L_LEFT = [1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1]
_L_RIGHT = [1, -1, -1, 1, 1, -1, 1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, 1, -1, 1, -1, 1, 1]
_L_RIGHT += [1, 1]
_LEG_PILOTS = np.array([-21, -7, 7, 21])
_LEG_DATA = np.array([k for k in range(-26, 27) if k and k not in _LEG_PILOTS])
# the extra HT/VHT-LTF tones between the duplicated L-LTFs (eq. 19-23, 21-39 ... 21-41)
_GAP_64 = [-1, -1, -1, 1, 1, -1, 1, -1, 1, 1, -1]
_GAP_0 = {40: [-1, -1, -1, 1, 0, 0, 0, -1, 1, 1, -1], 80: [1, -1, 1, -1, 0, 0, 0, 1, -1, -1, 1]}
_PLANS = {  # bw: (used |k| range, pilot k, pilot values Ψ for one stream)
    20: ((1, 28), [-21, -7, 7, 21], [1, 1, 1, -1]),
    40: ((2, 58), [-53, -25, -11, 11, 25, 53], [1, 1, 1, -1, -1, 1]),
    80: ((2, 122), [-103, -75, -39, -11, 11, 39, 75, 103], [1, 1, 1, -1, -1, 1, 1, 1]),
}
_MODS = {"BPSK": 1, "QPSK": 2, "16QAM": 4, "64QAM": 6, "256QAM": 8}
_N_LTF = {1: 1, 2: 2, 3: 4, 4: 4, 5: 6, 6: 6, 7: 8, 8: 8}  # Tables 19-13, 21-13
# row kinds
_STF, _LLTF, _SIG, _QSIG, _HTLTF, _SIGB, _DATA, _LDATA = range(8)


@lru_cache(maxsize=1)
def _polarity() -> np.ndarray:
    """p_0..126 (§17.3.5.10): the scrambler x^7 + x^4 + 1 from all ones, 0 -> +1, 1 -> -1.

    Its output b(n) = b(n - 7) XOR b(n - 4) after seven ones: an m-sequence past its seed.
    """
    bits = msequence((0, 3), np.ones(7, np.uint8), 7 + 127)[7:]
    return (1.0 - 2.0 * bits).astype(np.float32)


@lru_cache(maxsize=3)
def _plan(bw: int) -> dict[str, Any]:
    """Templates on the standard's grid k = -nfft/2 .. nfft/2 - 1 (index k + nfft/2)."""
    nfft = int(3.2 * bw)
    k = np.arange(-nfft // 2, nfft // 2)
    centres = {20: [0], 40: [-32, 32], 80: [-96, -32, 32, 96]}[bw]

    def at(ks: Any) -> np.ndarray:
        return np.asarray(ks) + nfft // 2

    stf, lltf = np.zeros(nfft, complex), np.zeros(nfft, complex)
    for c in centres:
        stf[at([c + s for s in _S20])] = list(_S20.values())
        lltf[at(c + np.arange(-26, 27))] = [*_L_LEFT, 0, *_L_RIGHT]
    htltf = lltf.copy()
    if bw == 20:
        htltf[at([-28, -27, 27, 28])] = [1, 1, -1, -1]
    else:
        htltf[at(centres)] = 1
        htltf[at(np.arange(-5, 6))] = _GAP_0[bw]
        if bw == 80:
            htltf[at(np.arange(-69, -58))] = _GAP_64
            htltf[at(np.arange(59, 70))] = _GAP_64
    (lo, hi), pilots, psi = _PLANS[bw]
    used = np.array([v for v in range(-hi, hi + 1) if abs(v) >= lo])
    gamma = np.ones(nfft, complex)  # §19.3.7.5 / §21.3.7.5 tone rotation
    if bw == 40:
        gamma[k > 0] = 1j
    elif bw == 80:
        gamma[k >= -64] = -1
    return {
        "nfft": nfft,
        "k": k,
        "stf": stf,
        "lltf": lltf,
        "htltf": htltf,
        "gamma": gamma,
        "leg_data": at(np.concatenate([c + _LEG_DATA for c in centres])),
        "leg_pilots": at(np.concatenate([c + _LEG_PILOTS for c in centres])),
        "subchannels": len(centres),
        "data": at(np.setdiff1d(used, pilots)),
        "pilots": at(pilots),
        "psi": np.array(psi, np.float32),
        "half_band": (hi + 0.5) * _SCS,
    }


def _native_size(bw: int, rate: float, band: float, offset: float) -> int:
    """The IFFT size (a multiple of 8 from the standard's to twice it) cheapest to resample.

    N * 312.5 kHz is the native rate; a size whose ratio to the capture rate is exact and whose
    images lie far from the band needs the shortest filter (60 MS/s for 61.44, say).
    """
    nfft, best, best_cost = int(3.2 * bw), int(3.2 * bw), math.inf
    for size in range(nfft, 2 * nfft + 1, 8):
        fin = size * _SCS
        p, q = rate_ratio(fin, rate)
        exact = abs(p / q * fin - rate) < 1e-9 * rate
        pass_hz = min(band, 0.45 * rate)
        stop_hz = min(fin - band - abs(offset), rate - pass_hz)
        if p == q == 1 and band <= 0.5 * rate:
            cost = 1.0
        elif stop_hz <= 1.01 * pass_hz:
            continue
        else:
            cost = 3 * fin / rate + 0.3 * 3.6 * fin / (stop_hz - pass_hz) + 2
        cost += 0 if exact else 1e3
        if cost < best_cost:
            best, best_cost = size, cost
    return best


# --- PPDUs ----------------------------------------------------------------------------------

RANGES: dict[str, dict[str, dict[str, Any]]] = {
    "wifi_ht_vht": {
        "standard": {"choice": ["ht", "vht"]},
        "bandwidth_mhz": {"choice": [20, 40, 80]},
        "guard_interval": {"choice": ["long", "short"]},
        "streams": {"int": [1, 4]},
        "max_ppdu_s": {"loguniform": [2e-4, 5.484e-3]},
        "mean_idle_s": {"loguniform": [2e-5, 5e-3]},
        "block_ack": {"bernoulli": 0.6},
        "responder_db": {"uniform": [-15.0, 5.0]},
        "view_position": {"uniform": [0.0, 1.0]},
    }
}
_OUTPUTS = ("duty_cycle", "ppdus", "modulations", "view_offset_hz", "native_rate")


def _rows(kinds: list[int], cps: list[int], n: list[int], mods: list[int]) -> list[np.ndarray]:
    """One burst's row descriptors: field kind, CP, pilot symbol index, modulation."""
    return [np.array(v, dtype) for v, dtype in zip((kinds, cps, n, mods), _DTYPES, strict=True)]


_DTYPES = (np.int8, np.int32, np.int32, np.int8)


def wifi_ht_vht(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """802.11n HT-mixed (§19) or 802.11ac VHT (§21) traffic: PPDUs, SIFS, block acks, backoff.

    Each PPDU is L-STF, L-LTF, L-SIG, then HT-SIG1/2 (QBPSK) or VHT-SIG-A1 (BPSK) / A2 (QBPSK),
    HT/VHT-STF, N_LTF HT/VHT-LTFs (1, 2, 4 for 1, 2, 3-4 ``streams``), VHT-SIG-B, and data
    symbols on 52/108/234 data + 4/6/8 pilot tones (56/114/242 used; FFT 64/128/256) with the
    0.8 or 0.4 µs GI; the legacy fields are the 802.11a ones duplicated per 20 MHz subchannel;
    every field is rotated by γ (1 | 1, j | 1, -1, -1, -1 per subchannel) and carries equal
    power, as the N_tone normalisation of the standard makes it. A PPDU lasts up to
    ``max_ppdu_s`` (A-MPDU, aPPDUMaxTime 5.484 ms), each with its own MCS (BPSK..64QAM, VHT up
    to 256QAM); with ``block_ack`` a legacy non-HT duplicate BA (6/12/24 Mb/s) from the
    responder, ``responder_db`` away, follows after SIFS (16 µs); then AIFS (SIFS + 2..7 slots of
    9 µs), a backoff of 0..15 slots (CWmin) and an idle time of mean ``mean_idle_s``.
    ``bandwidth_mhz`` is drawn among 20/40/80 that fit 0.95 of the rate (a value given wider is
    brought down to the widest that fits; none fits: 20 MHz cut to the view, the view at
    ``view_position`` across the channel). Simplified: one antenna (no cyclic shifts),
    random payload with the standard's pilots and training fields, no symbol windowing.
    """
    n = sample_count(duration_s, sample_rate)
    kind = "wifi_ht_vht"
    ranges = dict(RANGES[kind])
    fits = [b for b in (20, 40, 80) if b * 1e6 <= 0.95 * sample_rate] or [20]
    if params.get("bandwidth_mhz") is None:
        ranges["bandwidth_mhz"] = {"choice": fits}
    p = draw_checked(kind, ranges, rng, params, _OUTPUTS)
    standard, gi = p["standard"], p["guard_interval"]
    if standard not in ("ht", "vht") or gi not in ("long", "short"):
        raise ValueError(f"{kind}: standard {standard!r} / guard {gi!r} not ht|vht, long|short")
    if p["bandwidth_mhz"] not in (20, 40, 80):
        raise ValueError(f"{kind}: bandwidth_mhz must be 20, 40 or 80, got {p['bandwidth_mhz']}")
    streams = int(p["streams"])
    if not 1 <= streams <= (4 if standard == "ht" else 8):
        raise ValueError(f"{kind}: {streams} streams (HT 1-4, VHT 1-8)")
    if not (1e-5 <= p["max_ppdu_s"] <= 5.484e-3 and p["mean_idle_s"] >= 0):
        raise ValueError(f"{kind}: max_ppdu_s must be 10 µs..5.484 ms, mean_idle_s >= 0")
    if not 0 <= p["view_position"] <= 1:
        raise ValueError(f"{kind}: view_position must be in [0, 1]")
    widest = min(p["bandwidth_mhz"], 40 if standard == "ht" else 80)  # HT has no 80 MHz
    bw = max([b for b in fits if b <= widest] or [20])
    p["bandwidth_mhz"] = bw
    plan = _plan(bw)
    band = plan["half_band"]
    offset = (2 * p["view_position"] - 1) * max(0.0, band - 0.45 * sample_rate)
    size = _native_size(bw, sample_rate, band, offset)
    fin = size * _SCS
    _, q = rate_ratio(fin, sample_rate)
    lead = q * math.ceil(40e-6 * fin / q)
    n_win = math.ceil(n * fin / sample_rate)
    n_nat = lead + n_win + int(40e-6 * fin)
    us = fin * 1e-6

    # the exchanges: header rows, data rows, then the gap; until the window is covered
    cp_data = size // 4 if gi == "long" else size // 8
    n_ltf = _N_LTF[streams]
    head = [_STF, _LLTF, _LLTF, _SIG, _QSIG if standard == "ht" else _SIG, _QSIG, _STF]
    head += [_HTLTF] * n_ltf + ([_SIGB] if standard == "vht" else [])
    head_cp = [3 * size // 2, size // 2, 0] + [size // 4] * (len(head) - 3)
    head_n = [0, 0, 0, 0, 1, 2, 0] + list(range(n_ltf)) + ([0] if standard == "vht" else [])
    head_len = sum(head_cp) + size * len(head)
    mods = list(_MODS)[: 5 if standard == "vht" else 4]
    segments: list[tuple] = []  # (rows, start, length, amplitude, modulation or None)
    t, offset_start = 0.0, None
    while offset_start is None or t < offset_start + n_nat:
        dur = math.exp(rng.uniform(math.log(4e-5), math.log(max(4e-5, p["max_ppdu_s"]))))
        nsym = max(1, round((dur * 1e6 * us - head_len) / (size + cp_data)))
        mod = int(rng.integers(0, len(mods)))
        rows = _rows(
            head + [_DATA] * nsym,
            head_cp + [cp_data] * nsym,
            head_n + list(range(nsym)),
            [-1] * len(head) + [mod] * nsym,
        )
        length = int(rows[1].sum()) + size * rows[0].size
        segments.append((rows, round(t), length, 1.0, mods[mod]))
        t += length
        if p["block_ack"]:
            t += 16 * us
            m = int(rng.choice([12, 6, 3]))  # 32-byte BA at 6, 12, 24 Mb/s
            cp = [3 * size // 2, size // 2, 0] + [size // 4] * (m + 1)
            rows = _rows(
                [_STF, _LLTF, _LLTF, _SIG] + [_LDATA] * m,
                cp,
                [0] * 4 + list(range(1, m + 1)),
                [{12: 0, 6: 1, 3: 2}[m]] * (m + 4),
            )
            length = int(rows[1].sum()) + size * rows[0].size
            segments.append((rows, round(t), length, 10 ** (p["responder_db"] / 20), None))
            t += length
        t += (16 + 9 * int(rng.choice([2, 3, 7])) + 9 * int(rng.integers(0, 16))) * us
        t += rng.exponential(p["mean_idle_s"]) * 1e6 * us if p["mean_idle_s"] > 0 else 0.0
        if offset_start is None:
            offset_start = float(rng.uniform(0, t))

    shift0 = lead - round(offset_start)
    if not any(
        st + shift0 < lead + n_win and st + shift0 + ln > lead for _, st, ln, *_ in segments
    ):
        shift0 = lead  # the window fell in an idle gap: start it on the first exchange
    segments = [g for g in segments if g[1] + shift0 < n_nat and g[1] + shift0 + g[2] > 0]
    kinds, cps, idx, mod_of = (np.concatenate([g[0][i] for g in segments]) for i in range(4))
    amps = np.concatenate([np.full(g[0][0].size, g[3], np.float32) for g in segments])
    body = _modulate(_spectra(plan, kinds, idx, mod_of, amps, standard, rng, size), cps)
    native, on, body_at = np.zeros(n_nat, np.complex64), np.zeros(n_nat, bool), 0
    for _, start, length, _, _ in segments:
        a, b = start + shift0, start + shift0 + length
        lo, hi = max(a, 0), min(b, n_nat)
        native[lo:hi] = body[body_at + lo - a : body_at + hi - a]
        on[lo:hi] = True
        body_at += length
    seen = [g[4] for g in segments if g[4] and lead - g[2] < g[1] + shift0 < lead + n_win]
    if offset:
        native = shift(native, -offset, fin)
    duty = float(on[lead : lead + n_win].mean())
    x = to_capture(native, fin, sample_rate, n, band, duty, lead)
    p |= {
        "kind": kind,
        "duty_cycle": duty,
        "ppdus": len(seen),
        "modulations": sorted(set(seen)),
        "view_offset_hz": float(offset),
        "native_rate": float(fin),
    }
    return Waveform(x, sample_rate, "Other", min(2 * band, sample_rate), p)


def _spectra(
    plan: dict[str, Any],
    kinds: np.ndarray,
    idx: np.ndarray,
    mod_of: np.ndarray,
    amps: np.ndarray,
    standard: str,
    rng: np.random.Generator,
    size: int,
) -> np.ndarray:
    """Every row's tones at IFFT size ``size``, rotated by γ, of unit mean power x ``amps``.

    A field is scaled by its tone count as the standard's N_tone normalisation does (data rows
    keep the power fluctuation of their random symbols).
    """
    out = np.zeros((kinds.size, size), np.complex64)
    col, gamma, subs = plan["k"] % size, plan["gamma"], plan["subchannels"]

    def put(rows: np.ndarray, grid: np.ndarray, values: np.ndarray, energy: float) -> None:
        scale = (amps[rows] * np.float32(math.sqrt(size / energy)))[:, None]
        out[np.ix_(rows, col[grid])] = values * (gamma[grid][None, :] * scale).astype(np.complex64)

    ltf_sign = np.array([1, -1, 1, 1, 1, -1, 1, 1], np.float32)  # first row of P (§19.3.9.4.6)
    for kind, name in ((_STF, "stf"), (_LLTF, "lltf"), (_HTLTF, "htltf")):
        rows, template = np.flatnonzero(kinds == kind), plan[name]
        grid = np.flatnonzero(template)
        values = template[grid][None, :] * (ltf_sign[idx[rows], None] if kind == _HTLTF else 1)
        put(rows, grid, values, float(np.sum(np.abs(template) ** 2)))
    pol = _polarity()
    legacy = np.flatnonzero(np.isin(kinds, (_SIG, _QSIG, _LDATA)))
    values = random_qam(rng, (legacy.size, 48), 1)
    values[kinds[legacy] == _QSIG] *= 1j
    ld = kinds[legacy] == _LDATA
    for m, bits in enumerate((1, 2, 4)):  # the BA at 6, 12 or 24 Mb/s: BPSK, QPSK, 16QAM
        sel = ld & (mod_of[legacy] == m)
        values[sel] = random_qam(rng, (int(sel.sum()), 48), bits)
    put(legacy, plan["leg_data"], np.tile(values, subs), 52.0 * subs)
    pilots = pol[idx[legacy] % 127, None] * np.tile([1, 1, 1, -1], subs).astype(np.float32)
    put(legacy, plan["leg_pilots"], pilots, 52.0 * subs)
    ht = np.flatnonzero(np.isin(kinds, (_SIGB, _DATA)))
    nd, psi = plan["data"].size, plan["psi"]
    values = np.empty((ht.size, nd), np.complex64)
    for m, bits in enumerate(_MODS.values()):
        sel = (mod_of[ht] == m) | ((kinds[ht] == _SIGB) & (m == 0))
        values[sel] = random_qam(rng, (int(sel.sum()), nd), bits)
    put(ht, plan["data"], values, float(nd + psi.size))
    z = 3 if standard == "ht" else 4  # §19.3.11.10, §21.3.10.10: Ψ rotates, p_(n+z) flips
    roll = psi[(np.arange(psi.size)[None, :] + idx[ht, None]) % psi.size]
    put(ht, plan["pilots"], roll * pol[(idx[ht] + z) % 127, None], float(nd + psi.size))
    return out


def _modulate(spectra: np.ndarray, cps: np.ndarray) -> np.ndarray:
    """OFDM symbols with their cyclic prefixes (a CP longer than the FFT wraps, as the L-STF's).

    The gather index into the IFFT output runs up by one except at each row start and where a
    row wraps around its FFT length, so it is a cumulative sum of a mostly-ones array.
    """
    rows, size = spectra.shape
    body = sfft.ifft(spectra, axis=1, norm="ortho").reshape(-1)
    lengths = (cps + size).astype(np.int64)
    starts = np.cumsum(lengths) - lengths
    step = np.ones(int(lengths.sum()), np.int32)
    first = np.arange(rows) * size + (-cps) % size
    step[starts] = first - np.concatenate([[0], np.arange(1, rows) * size - 1])
    step[0] = first[0]
    for cp in np.unique(cps):
        at = starts[cps == cp]
        for wrap in range(int(cp) % size or size, int(cp) + size, size):
            step[at + wrap] = 1 - size
    return body[np.cumsum(step)]


KINDS: dict[str, Callable[..., Waveform]] = {"wifi_ht_vht": wifi_ht_vht}
