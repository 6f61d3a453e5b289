"""Cellular "Other" emitters: GSM, UMTS/WCDMA and narrowband land-mobile radio.

A 2G/3G carrier or a PMR channel beside an LTE/NR carrier is the commonest thing in a field
capture that is neither, so the classifier must see their signatures: GSM's 577 µs TDMA bursts
on a 200 kHz raster (3GPP TS 45.002/45.004), WCDMA's flat 4.7 MHz root-raised-cosine carrier
with the SCH at every 667 µs slot start (TS 25.211/25.213), and 12.5/25 kHz land-mobile
channels keyed on and off (NBFM, TETRA ETSI EN 300 392-2, DMR ETSI TS 102 361-1).

Synthesis is spectral (``emitter_kit.Canvas``): each carrier is built at its native rate and
placed bin by bin into the capture's spectrum, so any capture rate works and a carrier wider
than the view is cut, never aliased. Every kind draws its missing parameters from ``RANGES``
(draws.py) first, so a recipe may pass any of them and the rest are drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from .common import Waveform
from .emitter_kit import (
    Canvas,
    check_bounds,
    gaussian_taps,
    msequence,
    raster_points,
    report,
    require,
    resolve,
    visible_band,
)

# --- pulse shapes and power ramps -------------------------------------------------------------


def rrc_shape(f: np.ndarray, symbol_rate: float, beta: float) -> np.ndarray:
    """Root-raised-cosine amplitude response, 1 in the passband."""
    a = np.abs(f) / symbol_rate
    edge = np.clip((a - (1 - beta) / 2) / beta, 0, 1)
    return np.sqrt(0.5 * (1 + np.cos(np.pi * edge))) * (a <= (1 + beta) / 2)


def smooth(mask: np.ndarray, ramp: int) -> np.ndarray:
    """A 0/1 mask with raised-cosine ramps of ``ramp`` samples at each switch (a PA ramp)."""
    if ramp < 2:
        return mask.astype(float)
    w = np.hanning(ramp + 2)[1:-1]
    return np.convolve(mask.astype(float), w / w.sum(), mode="same")


# --- GSM (3GPP TS 45.002 bursts, TS 45.004 GMSK) ------------------------------------------

_GSM_BIT_RATE = 1625e3 / 6  # 270.833 kbit/s
_GSM_SPS = 4
_SLOT_BITS = np.array([157, 156, 156, 156, 157, 156, 156, 156])  # 8 x 156.25 = 1250 per frame
_FRAME_SLOT = np.repeat(np.arange(8), _SLOT_BITS)
_FRAME_POS = np.arange(1250) - np.repeat(np.cumsum(_SLOT_BITS) - _SLOT_BITS, _SLOT_BITS)
_TSC = (0x0970897, 0x0B778B7, 0x10EE90E, 0x11ED11E, 0x06B906B, 0x13AC13A, 0x29F629F, 0x3BC4BBC)
_TSC_BITS = (np.array(_TSC)[:, None] >> np.arange(25, -1, -1) & 1).astype(np.uint8)  # §5.2.3
_GAUSS = gaussian_taps(0.3, _GSM_SPS, 12)  # GMSK, BT = 0.3 (TS 45.004)


def _gsm_carrier(
    rng: np.random.Generator, m: int, b0: int, slots: list[int], tsc: int
) -> tuple[np.ndarray, np.ndarray]:
    """One carrier's normal bursts in ``slots`` (3 tail, 57+1 data, 26 TSC, 1+57, 3 tail,
    8.25 guard bits) from bit ``b0`` of a frame: GMSK samples and the on-mask."""
    lead = 4
    b = b0 - lead + np.arange(m // _GSM_SPS + 2 * lead + 1)
    pos, slot = _FRAME_POS[b % 1250], _FRAME_SLOT[b % 1250]
    bits = rng.integers(0, 2, b.size, dtype=np.uint8)
    in_tsc = (pos >= 61) & (pos < 87)
    bits[in_tsc] = _TSC_BITS[tsc, pos[in_tsc] - 61]
    bits[(pos < 3) | (pos >= 145)] = 0
    a = 1.0 - 2.0 * (bits ^ np.concatenate([[0], bits[:-1]]))  # differential encoding
    freq = np.convolve(np.repeat(a, _GSM_SPS), _GAUSS, mode="same")
    phase = np.cumsum(freq) * (np.pi / 2 / _GSM_SPS) + rng.uniform(0, 2 * np.pi)
    active = np.isin(slot, slots) & (pos < 148)
    env = smooth(np.repeat(active, _GSM_SPS), 3 * _GSM_SPS)  # ramps in the guard period
    cut = slice(lead * _GSM_SPS, lead * _GSM_SPS + m)
    return env[cut] * np.exp(1j * phase[cut]), env[cut] > 0.5


def gsm(duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any) -> Waveform:
    """GSM downlink: 1..``carriers`` GMSK carriers on the 200 kHz ARFCN raster in the view.

    GMSK BT 0.3 at 270.833 kbit/s (TS 45.004), TDMA frames of 8 timeslots of 156.25 bits
    (577 µs; frame 4.615 ms), normal bursts with training sequence ``tsc`` and power ramps in the
    guard period (TS 45.002 §5.2, TS 45.005 Annex B). With ``bcch`` the first carrier is the
    BCCH carrier (all 8 slots on, as the standard requires); every other carrier has each slot
    active with probability ``active_slots``. Carriers differ by up to ±``level_spread_db``;
    ``frame_phase`` is where in the frame the window starts. Bursty: ``duty_cycle`` is the
    fraction of time any carrier is on. ``occupied_bandwidth``: 200 kHz per visible carrier.
    """
    p = resolve("gsm", RANGES["gsm"], rng, params)
    limits = {"carriers": (1, 64), "active_slots": (1e-3, 1), "level_spread_db": (0, 40)}
    check_bounds(RANGES["gsm"], p, **limits, tsc=(0, 7), frame_phase=(0, 1))
    canvas = Canvas(duration_s, sample_rate, _GSM_BIT_RATE * _GSM_SPS)
    centres = raster_points(
        rng, p["carriers"], 200e3, 200e3, -0.45 * sample_rate, 0.45 * sample_rate
    )
    levels = rng.uniform(-p["level_spread_db"], p["level_spread_db"], centres.size)
    m = canvas.length(_GSM_BIT_RATE * _GSM_SPS)
    b0 = round(p["frame_phase"] * 1250 - canvas.lead_s * _GSM_BIT_RATE)
    realised, slot_sets = [], []
    for i, (fc, level) in enumerate(zip(centres, levels, strict=True)):
        slots = list(range(8))
        if not (i == 0 and p["bcch"]):
            slots = [s for s in range(8) if rng.random() < p["active_slots"]]
            slots = slots or [int(rng.integers(0, 8))]
        x, on = _gsm_carrier(rng, m, b0, slots, p["tsc"])
        realised.append(canvas.add(x, fc, 10 ** (level / 20), on=on))
        slot_sets.append(slots)
    if canvas.duty() == 0:  # a short capture between bursts: the first carrier is the BCCH
        x, on = _gsm_carrier(rng, m, b0, list(range(8)), p["tsc"])
        canvas.add(x, centres[0], 10 ** (levels[0] / 20), on=on)
        slot_sets[0] = list(range(8))
    duty = canvas.duty()
    x = canvas.samples(duty)
    p |= {
        **report(realised, levels),
        "slots": slot_sets,
        "duty_cycle": duty,
    }
    return Waveform(x, sample_rate, "Other", visible_band(centres, 200e3, sample_rate), p)


# --- UMTS FDD downlink (3GPP TS 25.211, TS 25.213) -----------------------------------------

_CHIP_RATE = 3.84e6
_L18 = 2**18 - 1
_A16 = np.array([1, 1, 1, 1, 1, 1, -1, -1, 1, -1, 1, -1, 1, -1, -1, 1])  # §5.2.3.1
_QPSK = np.exp(0.5j * np.pi * (np.arange(4) + 0.5)).astype(np.complex64)
_SSC_GROUP0 = np.array([1, 1, 2, 8, 9, 10, 15, 8, 10, 16, 2, 7, 15, 7, 16]) - 1  # Table 4, group 0


@lru_cache(maxsize=1)
def _xy() -> tuple[np.ndarray, np.ndarray]:
    """The two m-sequences of the downlink scrambling code (§5.2.2)."""
    init = np.zeros(18, np.uint8)
    init[0] = 1
    return msequence((0, 7), init, _L18), msequence((0, 5, 7, 10), np.ones(18, np.uint8), _L18)


@lru_cache(maxsize=16)
def scrambling_code(n: int) -> np.ndarray:
    """S_dl,n(i), i < 38400: Z_n(i) + j Z_n(i + 131072), z_n(i) = x(i + n) XOR y(i) (§5.2.2)."""
    x, y = _xy()
    i = np.arange(38400)
    z = lambda j: 1.0 - 2.0 * (x[(j + n) % _L18] ^ y[j % _L18])  # noqa: E731
    return ((z(i) + 1j * z(i + 131072)) / np.sqrt(2)).astype(np.complex64)


def fwht(a: np.ndarray) -> np.ndarray:
    """Sylvester-Hadamard transform along the last axis (a power of 2): spreading by every
    Walsh code at once. OVSF code C_sf,k (TS 25.213 §4.3.1) is Hadamard row bitreverse(k)."""
    n = a.shape[-1]
    h = 1
    while h < n:
        a = a.reshape(-1, n // (2 * h), 2, h)
        a = np.stack([a[:, :, 0] + a[:, :, 1], a[:, :, 0] - a[:, :, 1]], axis=2)
        h *= 2
    return a.reshape(-1, n)


@lru_cache(maxsize=1)
def _sch() -> tuple[np.ndarray, np.ndarray]:
    """Primary and the 16 secondary synchronisation codes (§5.2.3), unit power per chip."""
    psc = np.kron([1, 1, 1, -1, -1, 1, -1, -1, 1, 1, 1, -1, 1, -1, 1, 1], _A16)
    b = np.concatenate([_A16[:8], -_A16[8:]])
    z = np.kron([1, 1, 1, -1, 1, 1, -1, -1, 1, -1, 1, -1, -1, -1, -1, -1], b)
    hadamard = np.ones((1, 1))
    while hadamard.shape[0] < 256:  # Sylvester order: row m is (-1)^popcount(m & i)
        hadamard = np.block([[hadamard, hadamard], [hadamard, -hadamard]])
    ssc = hadamard[16 * np.arange(16)] * z
    return (psc * (1 + 1j) / np.sqrt(2)), (ssc * (1 + 1j) / np.sqrt(2))


def _wcdma_chips(rng: np.random.Generator, m: int, c0: int, load: float, code: int) -> np.ndarray:
    """``m`` chips from chip ``c0`` of a frame: CPICH, P-CCPCH, SF128 traffic codes, scrambled,
    plus the unscrambled P-SCH/S-SCH in the first 256 chips of each slot."""
    c = c0 + np.arange(m)
    in_slot = c % 2560
    n_codes = max(1, round(load * 100))
    codes = rng.choice(np.arange(1, 128), n_codes, replace=False)  # C128,0 holds CPICH/P-CCPCH
    rows = np.array([int(f"{k:07b}"[::-1], 2) for k in codes])  # OVSF k -> Hadamard row
    amps = np.sqrt(0.75 * load / n_codes * 10 ** (rng.uniform(-3, 3, n_codes) / 10))
    b0 = c0 // 128
    nb = (c0 + m - 1) // 128 - b0 + 1
    sym = np.zeros((nb, 128), np.complex64)
    sym[:, rows] = _QPSK[rng.integers(0, 4, (nb, n_codes))] * amps.astype(np.float32)
    chips = fwht(sym).ravel()[c0 - 128 * b0 :][:m]
    chips += np.complex64(np.sqrt(0.1) * (1 + 1j) / np.sqrt(2))  # CPICH on C256,0 (all ones)
    s256 = np.sqrt(0.063) * _QPSK[rng.integers(0, 4, nb // 2 + 2)]
    pccpch = s256[c // 256 - c0 // 256] * np.where(c % 256 < 128, 1, -1)  # C256,1
    chips += np.where(in_slot < 256, 0, pccpch)
    chips *= scrambling_code(code)[c % 38400]
    psc, ssc = _sch()
    on = np.flatnonzero(in_slot < 256)
    slot = (c[on] // 2560) % 15
    chips[on] += np.sqrt(0.05) * (psc[in_slot[on]] + ssc[_SSC_GROUP0[slot], in_slot[on]])
    return chips


def wcdma(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """UMTS FDD downlink: ``carriers`` adjacent 3.84 Mchip/s carriers ``spacing_hz`` apart.

    Each carrier (TS 25.211/25.213): CPICH (10 % of the maximum power), P-CCPCH (-2 dB re
    CPICH, off during the SCH), P-SCH and S-SCH (-3 dB, 256 chips at each 2560-chip slot
    start, group-0 comma-free sequence) and ``load`` x 100 traffic channels on random SF128
    OVSF codes; scrambled by primary code 16 i; RRC roll-off 0.22, so ~4.7 MHz occupied. The
    block sits on the 200 kHz raster; carriers differ by up to ±``level_spread_db``.
    Continuous: unit mean power.
    """
    p = resolve("wcdma", RANGES["wcdma"], rng, params)
    limits = {"carriers": (1, 12), "load": (0.01, 1), "spacing_hz": (4.2e6, 10e6)}
    check_bounds(RANGES["wcdma"], p, **limits, level_spread_db=(0, 40))
    canvas = Canvas(duration_s, sample_rate, _CHIP_RATE)
    width = _CHIP_RATE * 1.22
    fit = 1 + max(0, int((0.9 * sample_rate - width) // p["spacing_hz"]))
    count = min(p["carriers"], fit)
    block = (count - 1) * p["spacing_hz"] + width
    mid = raster_points(rng, 1, 200e3, block, -0.45 * sample_rate, 0.45 * sample_rate)[0]
    first = 200e3 * round((mid - (count - 1) * p["spacing_hz"] / 2) / 200e3)
    centres = first + p["spacing_hz"] * np.arange(count)
    levels = rng.uniform(-p["level_spread_db"], p["level_spread_db"], count)
    m = canvas.length(_CHIP_RATE)
    codes, realised = [], []
    shape = lambda f: rrc_shape(f, _CHIP_RATE, 0.22)  # noqa: E731
    for fc, level in zip(centres, levels, strict=True):
        codes.append(16 * int(rng.integers(0, 512)))
        c0 = int(rng.integers(0, 38400))
        chips = _wcdma_chips(rng, m, c0, p["load"], codes[-1])
        realised.append(canvas.add(chips, fc, 10 ** (level / 20), width / 2, shape))
    x = canvas.samples()
    p |= {
        **report(realised, levels),
        "scrambling_codes": codes,
    }
    return Waveform(x, sample_rate, "Other", visible_band(centres, width, sample_rate), p)


# --- land-mobile radio: NBFM, TETRA (EN 300 392-2), DMR (TS 102 361-1) --------------------

_LM_RATE = 48e3  # NBFM and DMR are built here; TETRA at one sample per symbol
_TETRA_RATE, _DMR_RATE = 18e3, 4.8e3
_TETRA_STEP = np.array([1, 3, -1, -3]) * np.pi / 4  # dibits 00, 01, 10, 11 (§5.5.2)
_DMR_LEVEL = np.array([1, 3, -1, -3])  # dibits 00, 01, 10, 11 -> +1, +3, -1, -3 (§10.2.1)
_DMR_SYNC = {"repeater": "755FD7DF75F7", "mobile": "7F7D5DD57DFD"}  # BS / MS voice sync, §9.1
_LM_WIDTH = {"tetra": _TETRA_RATE * 1.35, "dmr": 7.6e3}  # 99 %; NBFM: 2 (dev + 3 kHz)


def _keying(rng: np.random.Generator, span_s: float, activity: float) -> list[tuple[float, float]]:
    """Push-to-talk: on 0.5-5 s, off exponential, on ``activity`` of the time in the long run."""
    if activity >= 1:
        return [(0.0, span_s)]
    mean_off = 2.75 * (1 - activity) / activity
    on = bool(rng.random() < activity)
    left = rng.uniform(0, rng.uniform(0.5, 5)) if on else rng.exponential(mean_off)
    t, spans = 0.0, []
    while t < span_s:
        if on:
            spans.append((t, min(t + left, span_s)))
        t, on = t + left, not on
        left = rng.uniform(0.5, 5) if on else rng.exponential(mean_off)
    return spans


def _nbfm(rng: np.random.Generator, m: int, deviation: float, ctcss_hz: float) -> np.ndarray:
    """Voice FM (TIA-603): 300-3000 Hz noise, flat as pre-emphasised speech is, with a syllabic
    envelope, limited and splatter-filtered; a CTCSS tone at 15 % of the deviation if given."""
    t = np.arange(m) / _LM_RATE
    f = np.fft.rfftfreq(m, 1 / _LM_RATE)
    band = (f > 300) & (f < 3000)
    a = np.fft.irfft(np.fft.rfft(rng.standard_normal(m)) * band, m)
    a *= 0.2 + np.abs(np.sin(np.pi * rng.uniform(2, 5) * t + rng.uniform(0, np.pi)))
    a = np.tanh(2.5 * a / (np.std(a) + 1e-12))
    a = np.fft.irfft(np.fft.rfft(a) * (f < 3000), m)
    a /= np.max(np.abs(a)) + 1e-12
    freq = deviation * a
    if ctcss_hz > 0:
        freq = deviation * (0.85 * a + 0.15 * np.sin(2 * np.pi * ctcss_hz * t))
    return np.exp(2j * np.pi * np.cumsum(freq) / _LM_RATE + 1j * rng.uniform(0, 2 * np.pi))


def _dmr(rng: np.random.Generator, m: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """4FSK at 4.8 ksym/s, ±648/±1944 Hz, RRC 0.2 shaping; 30 ms slots of 144 symbols, each a
    132-symbol burst (sync in its middle) plus 12 of CACH/guard. A repeater fills both slots;
    a mobile transmits in one slot of two. Returns the signal and where it is on."""
    sps = int(_LM_RATE / _DMR_RATE)
    j = np.arange(m) + int(rng.integers(0, 288 * sps))
    s = j // sps
    sym = np.arange(s[0], s[-1] + 1)
    pos = sym % 144
    levels = _DMR_LEVEL[rng.integers(0, 4, sym.size)]
    sync = int(_DMR_SYNC[mode], 16) >> (2 * np.arange(23, -1, -1)) & 3
    in_sync = (pos >= 60) & (pos < 84)
    levels[in_sync] = _DMR_LEVEL[sync[pos[in_sync] - 60]]
    impulses = np.where(j % sps == 0, levels[s - s[0]] * 648.0, 0.0)
    f = np.fft.rfftfreq(m, 1 / _LM_RATE)
    freq = np.fft.irfft(np.fft.rfft(impulses) * sps * rrc_shape(f, _DMR_RATE, 0.2), m)
    x = np.exp(2j * np.pi * np.cumsum(freq) / _LM_RATE + 1j * rng.uniform(0, 2 * np.pi))
    if mode == "repeater":
        return x, np.ones(m, bool)
    in_slot = s % 144
    return x, (in_slot >= 6) & (in_slot < 138) & ((s // 144) % 2 == int(rng.integers(0, 2)))


def land_mobile(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """Narrowband land-mobile radio: 1..``channels`` channels of one ``system`` in a band.

    - nbfm: analogue FM voice, 12.5 kHz (±2.5 kHz deviation) or 25 kHz (±5 kHz) channels
      (``nbfm_spacing_hz``, TIA-603 / ETSI EN 300 086), CTCSS tone with ``ctcss``;
    - tetra: π/4-DQPSK at 18 ksym/s, RRC 0.35, 25 kHz channels (EN 300 392-2 §5); a base
      station's continuous downlink, so never keyed off;
    - dmr: 4FSK at 4.8 ksym/s in 12.5 kHz (TS 102 361-1 §10), TDMA 30 ms slots: a repeater
      fills both, a mobile one slot in two (``dmr_mode``).

    Channels sit on the raster inside a random ``span_hz`` of the view, ±``level_spread_db``
    apart; NBFM/DMR channels are keyed (push-to-talk overs of 0.5-5 s, keyed ``activity`` of
    the time), so a 20 ms window sees each on, off or switching (at least one channel is on).
    Bursty: ``duty_cycle`` is the fraction of time any channel transmits.
    """
    p = resolve("land_mobile", RANGES["land_mobile"], rng, params)
    system = p["system"]
    require(system in ("nbfm", "tetra", "dmr"), f"land_mobile: unknown system {system!r}")
    require(p["nbfm_spacing_hz"] in (12500, 25000), "land_mobile: nbfm_spacing_hz 12500|25000")
    require(p["dmr_mode"] in _DMR_SYNC, "land_mobile: dmr_mode repeater|mobile")
    limits = {"channels": (1, 64), "activity": (1e-3, 1), "span_hz": (1e3, 1e9)}
    check_bounds(RANGES["land_mobile"], p, **limits, level_spread_db=(0, 40))
    canvas = Canvas(duration_s, sample_rate, _LM_RATE)  # TETRA: 12 symbols of guard
    deviation = p["nbfm_spacing_hz"] / 5  # 2.5 kHz in 12.5 kHz, 5 kHz in 25 kHz
    spacing = {"nbfm": p["nbfm_spacing_hz"], "tetra": 25e3, "dmr": 12.5e3}[system]
    width = _LM_WIDTH.get(system, 2 * (deviation + 3e3))
    span = max(spacing, min(p["span_hz"], 0.9 * sample_rate))
    mid = rng.uniform(-1, 1) * max(0.0, 0.45 * sample_rate - span / 2)
    centres = raster_points(rng, p["channels"], spacing, spacing, mid - span / 2, mid + span / 2)
    levels = rng.uniform(-p["level_spread_db"], p["level_spread_db"], centres.size)
    t0, t1 = canvas.lead_s, canvas.lead_s + canvas.n / sample_rate  # the capture, native time
    keys = [_keying(rng, canvas.span, p["activity"]) for _ in centres]
    keyed = [sum(max(0.0, min(b, t1) - max(a, t0)) for a, b in k) / (t1 - t0) for k in keys]
    if system == "tetra":
        keyed = [1.0] * len(keys)
    elif max(keyed) == 0:  # a capture of nothing would be mislabelled: key one channel
        keys[0], keyed[0] = [(0.0, canvas.span)], 1.0
    tones = [float(rng.uniform(67, 254.1)) if p["ctcss"] else 0.0 for _ in centres]
    m = canvas.length(_LM_RATE)
    t = np.arange(m) / _LM_RATE
    realised = []
    shape = lambda f: rrc_shape(f, _TETRA_RATE, 0.35)  # noqa: E731
    for fc, level, spans, tone in zip(centres, levels, keys, tones, strict=True):
        gain = 10 ** (level / 20)
        if system == "tetra":
            x = np.exp(1j * np.cumsum(_TETRA_STEP[rng.integers(0, 4, canvas.length(18e3))]))
            realised.append(canvas.add(x, fc, gain, width / 2, shape, on=np.ones(x.size, bool)))
            continue
        key = np.zeros(m, bool)
        for a, b in spans:
            key |= (t >= a) & (t < b)
        if system == "nbfm":
            x, gate = _nbfm(rng, m, deviation, tone), key
        else:
            x, slot_on = _dmr(rng, m, p["dmr_mode"])
            gate = key & slot_on
        env = smooth(gate, int(1e-3 * _LM_RATE))
        realised.append(canvas.add(x * env, fc, gain, on=env > 0.5))
    if canvas.duty() == 0:  # a short capture between DMR bursts: the first channel transmits
        x = _nbfm(rng, m, deviation, tones[0]) if system == "nbfm" else _dmr(rng, m, "repeater")[0]
        canvas.add(x, centres[0], 10 ** (levels[0] / 20), on=np.ones(m, bool))
    duty = canvas.duty()
    x = canvas.samples(duty)
    heard = np.array(keyed) > 0
    p |= {
        **report(realised, levels),
        "keyed_fraction": [float(k) for k in keyed],
        "ctcss_hz": tones,
        "duty_cycle": duty,
    }
    occupied = visible_band(centres[heard], width, sample_rate)
    return Waveform(x, sample_rate, "Other", occupied, p)


RANGES: dict[str, dict[str, dict[str, Any]]] = {
    "gsm": {
        "carriers": {"int": [1, 8]},
        "active_slots": {"uniform": [0.125, 1.0]},
        "bcch": {"bernoulli": 0.6},
        "level_spread_db": {"uniform": [0.0, 10.0]},
        "tsc": {"int": [0, 7]},
        "frame_phase": {"uniform": [0.0, 1.0]},
    },
    "wcdma": {
        "carriers": {"int": [1, 3]},
        "load": {"uniform": [0.1, 1.0]},
        "spacing_hz": {"choice": [4.8e6, 5.0e6]},
        "level_spread_db": {"uniform": [0.0, 6.0]},
    },
    "land_mobile": {
        "system": {"weights": {"nbfm": 3, "tetra": 1, "dmr": 2}},
        "channels": {"int": [1, 8]},
        "nbfm_spacing_hz": {"choice": [12500, 25000]},
        "ctcss": {"bernoulli": 0.5},
        "dmr_mode": {"weights": {"repeater": 1, "mobile": 1}},
        "activity": {"uniform": [0.3, 1.0]},
        "span_hz": {"loguniform": [100e3, 5e6]},
        "level_spread_db": {"uniform": [0.0, 10.0]},
    },
}

KINDS: dict[str, Callable[..., Waveform]] = {"gsm": gsm, "wcdma": wcdma, "land_mobile": land_mobile}
