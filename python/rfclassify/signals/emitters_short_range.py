"""Short-range and pulsed emitters: Bluetooth/BLE, LoRa, 1090 MHz Mode S / ADS-B, pulsed radar.

Each is what a wideband capture shows of it: a GFSK hopper that visits the view now and then,
slow chirps on a 200 kHz raster, sparse 1 µs pulse trains of many aircraft at many levels, radar
pulses under a rotating beam. Every function is ``(duration_s, sample_rate, rng, **params)``;
missing parameters are drawn from ``RANGES[kind]`` (``draws.py`` specs). Narrow signals are
built at a low rate and interpolated; pulses and hops at an integer multiple of the capture
rate wide enough for their edges, then decimated (``emitter_kit.to_capture`` resamples and
cuts what lies outside the view).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from .common import Waveform, sample_count
from .emitter_kit import (
    cis,
    draw_checked,
    gaussian_taps,
    require,
    resample_view,
    to_capture,
    unit_power,
)

__all__ = ["KINDS", "RANGES", "adsb", "bluetooth", "lora", "lora_payload_symbols", "radar"]
# from emitter_kit (once emitters_wlan), still importable from here
__all__ += ["draw_checked", "resample_view", "unit_power"]


def _rotor(phase: np.ndarray) -> np.ndarray:
    """exp(j phase) as complex64, the phase reduced to one turn in float64 first."""
    return cis(np.mod(phase, 2 * np.pi))


def _oversampling(rate: float, wanted: float) -> int:
    """The integer factor k with k * rate >= ``wanted`` (1 when the rate already is)."""
    return max(1, math.ceil(wanted / rate - 1e-9))


def _hann(samples: float) -> np.ndarray:
    """A unit-sum Hann kernel whose step response rises 10-90 % in about ``samples / 2``."""
    m = max(1, round(samples))
    w = np.hanning(m + 2)[1:-1] if m > 1 else np.ones(1)
    return (w / w.sum()).astype(np.float32)


def _check(kind: str, ok: bool, what: str) -> None:
    require(ok, f"{kind}: {what}")


# --- Bluetooth BR/EDR and Bluetooth Low Energy (Core Specification v5.4) ---------------------

_BT_EDGE = 2401e6  # the 2400-2483.5 MHz band's channels span 2401..2481 MHz


def _ble_rf(channel: int) -> float:
    """Channel index -> centre (Vol 6 Part B §1.4.1): data 0-36, advertising 37, 38, 39."""
    if channel >= 37:
        return {37: 2402e6, 38: 2426e6, 39: 2480e6}[channel]
    return 2404e6 + 2e6 * channel + (2e6 if channel >= 11 else 0.0)


def _br_packets(p: dict[str, Any], duration: float, rng: np.random.Generator) -> list[tuple]:
    """(start, length, centre Hz, symbol rate, h, level dB, is_data) of a BR piconet."""
    hop_set = np.sort(rng.choice(79, int(p["afh_channels"]), replace=False))
    out, role = [], 0
    t = -rng.uniform(0, 5 * 625e-6)
    while t < duration:
        if rng.random() >= p["slot_load"]:
            t += 625e-6
            continue
        slots = int(rng.choice([1, 3, 5], p=[0.6, 0.25, 0.15]))
        low, high = {1: (126e-6, 366e-6), 3: (626e-6, 1622e-6), 5: (1876e-6, 2870e-6)}[slots]
        freq = 2402e6 + 1e6 * float(rng.choice(hop_set))  # the hop of the packet's first slot
        level = 0.0 if role == 0 else p["peer_db"]
        out.append((t, rng.uniform(low, high), freq, 1e6, p["br_modulation_index"], level, True))
        t, role = t + slots * 625e-6, 1 - role
    return out


def _ble_packets(p: dict[str, Any], duration: float, rng: np.random.Generator) -> list[tuple]:
    """Advertising events on 37/38/39 and, with ``ble_connection``, connection events."""
    out, h = [], p["ble_modulation_index"]
    interval = p["adv_interval_s"]
    t = rng.uniform(-interval, max(0.0, min(interval, duration) - 1.5e-3))
    while t < duration:  # legacy advertising is LE 1M: 16..47 bytes on air, 8 µs each
        at = t
        for ch in (37, 38, 39):
            length = (16 + int(rng.integers(0, 32))) * 8e-6
            out.append((at, length, _ble_rf(ch), 1e6, h, 0.0, False))
            at += length + 150e-6
        t += interval + rng.uniform(0, 10e-3)  # advInterval + advDelay
    if p["ble_connection"]:
        rate = 2e6 if p["ble_phy"] == "2M" else 1e6
        ci = 1.25e-3 * max(6, round(p["conn_interval_s"] / 1.25e-3))
        t, channel = -rng.uniform(0, ci), int(rng.integers(0, 37))
        while t < duration:
            channel = (channel + int(p["hop_increment"])) % 37  # channel selection #1
            at, role = t, 0
            for _ in range(2 * int(rng.integers(1, 5))):  # central, T_IFS, peripheral, ...
                payload = 0 if rng.random() < 0.5 else int(rng.integers(1, 252))
                length = (10 + (rate == 2e6) + payload) * 8 / rate
                if at + length > t + ci - 150e-6:
                    break
                level = 0.0 if role == 0 else p["peer_db"]
                out.append((at, length, _ble_rf(channel), rate, h, level, True))
                at, role = at + length + 150e-6, 1 - role
            t += ci
    return out


def _gfsk(
    n_samples: int,
    offset: float,
    rate: float,
    symbol_rate: float,
    h: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """GFSK, BT = 0.5, at ``rate`` from ``offset`` s into the packet, phase interpolated.

    The phase is integrated on a 16-per-symbol grid (Gaussian-filtered NRZ) and linearly
    interpolated to the sample times: exact to 1e-3 rad, and free of the sample rate.
    """
    n_sym = math.ceil((offset + n_samples / rate) * symbol_rate) + 2
    nrz = np.repeat(rng.choice(np.array([-1.0, 1.0], np.float32), n_sym), 16)
    freq = np.convolve(nrz, gaussian_taps(0.5, 16, 13).astype(np.float32), "same")
    grid = np.concatenate([[0.0], np.cumsum(freq, dtype=np.float64) * (math.pi * h / 16)])
    u = (offset + np.arange(n_samples) / rate) * symbol_rate * 16
    j = np.minimum(u.astype(np.int64), grid.size - 2)
    w = u - j
    return grid[j] * (1 - w) + grid[j + 1] * w


def bluetooth(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """Bluetooth BR (``mode`` "br_edr") or Bluetooth LE ("ble"), as much as the view shows.

    BR (Core v5.4 Vol 2 Part A/B): GFSK 1 Msym/s, BT 0.5, h 0.28-0.35, 79 x 1 MHz channels from
    2402 MHz, one hop per packet on 625 µs slots (1600 hops/s), 1/3/5-slot packets (on air up to
    366/1622/2870 µs), master and slave alternating (the slave ``peer_db`` away), ``slot_load``
    of the slots used, AFH over ``afh_channels`` of the 79. BLE (Vol 6 Part A/B): GFSK h 0.45-0.55,
    40 x 2 MHz channels; advertising events on 37/38/39 (LE 1M, 150 µs apart) every
    ``adv_interval_s`` + 0-10 ms advDelay; with ``ble_connection`` connection events every
    ``conn_interval_s`` (1.25 ms steps) on the ``ble_phy`` (1M or 2M), hopping by channel selection
    algorithm #1, central and peripheral packets T_IFS = 150 µs apart. The view (``view_position``
    across the 80 MHz band) shows only the channels inside it; if the drawn traffic leaves it
    empty, one packet is moved onto a visible channel. ``occupied_bandwidth`` is one channel.
    """
    kind = "bluetooth"
    n = sample_count(duration_s, sample_rate)
    p = draw_checked(kind, RANGES[kind], rng, params, _OUTPUTS[kind])
    _check(kind, p["mode"] in ("br_edr", "ble") and p["ble_phy"] in ("1M", "2M"), "bad mode/phy")
    _check(kind, 0.2 <= p["br_modulation_index"] <= 0.6, "br_modulation_index not in 0.2..0.6")
    _check(kind, 0.2 <= p["ble_modulation_index"] <= 0.8, "ble_modulation_index not in 0.2..0.8")
    _check(kind, 0 < p["slot_load"] <= 1 and 1 <= p["afh_channels"] <= 79, "slot_load/afh")
    _check(kind, 5 <= p["hop_increment"] <= 16, "hop_increment not in 5..16")
    _check(kind, p["adv_interval_s"] >= 0.02 and p["conn_interval_s"] >= 7.5e-3, "intervals")
    _check(kind, 0 <= p["view_position"] <= 1, "view_position not in [0, 1]")
    view = min(sample_rate, 80e6)
    centre = _BT_EDGE + view / 2 + p["view_position"] * (80e6 - view)
    k = _oversampling(sample_rate, 12e6)
    fh = k * sample_rate
    ble = p["mode"] == "ble"
    packets = (_ble_packets if ble else _br_packets)(p, duration_s, rng)
    width = 2e6 if ble and p["ble_phy"] == "2M" else 1e6

    def reach(symbol_rate: float) -> float:  # how far off centre a channel of this PHY is seen
        return view / 2 + symbol_rate / 2 if k > 1 else view / 2 - 0.6 * symbol_rate

    in_window = [q for q in packets if q[0] < duration_s and q[0] + q[1] > 0]
    if not in_window:  # a window between events: one packet of the traffic falls in it
        q = packets[int(rng.integers(0, len(packets)))] if packets else None
        q = q or (0.0, 366e-6, 2402e6, 1e6, p["br_modulation_index"], 0.0, True)
        in_window = [(rng.uniform(0, max(0.0, duration_s - q[1])), *q[1:])]
        packets.append(in_window[0])
    if not any(abs(q[2] - centre) <= reach(q[3]) for q in in_window):
        pool = [q for q in in_window if q[6]] or in_window  # data packets hop anywhere
        q = pool[int(rng.integers(0, len(pool)))]
        raster = 2402e6 + (2e6 * np.arange(40) if ble else 1e6 * np.arange(79))
        near = raster[np.abs(raster - centre) <= reach(q[3])]
        packets[packets.index(q)] = (*q[:2], float(rng.choice(near)), *q[3:])
    x = np.zeros(math.ceil(n * k), np.complex64)
    on_time, seen = 0.0, set()
    for start, length, freq, symbol_rate, h, level, _ in packets:
        i0, i1 = max(0, math.ceil(start * fh)), min(x.size, math.floor((start + length) * fh))
        if i1 <= i0 or abs(freq - centre) > reach(symbol_rate):
            continue
        phase = _gfsk(i1 - i0, i0 / fh - start, fh, symbol_rate, h, rng)
        phase += 2 * np.pi * ((freq - centre) / fh * np.arange(i0, i1) % 1.0) + rng.uniform(0, 7)
        edge = np.minimum(np.arange(i1 - i0), np.arange(i1 - i0)[::-1]) / (2e-6 * fh)
        ramp = np.sqrt(np.clip(edge, 1e-3, 1.0)).astype(np.float32)  # 2 µs power ramps
        x[i0:i1] = _rotor(phase) * (np.float32(10 ** (level / 20)) * ramp)
        on_time += (i1 - i0) / fh
        seen.add(round((freq - 2402e6) / (2e6 if ble else 1e6)))
    duty = min(1.0, on_time / duration_s)
    x = to_capture(x, fh, sample_rate, n, min(fh / 2, view / 2 + 2.5e6), duty)
    p |= {
        "kind": kind,
        "view_center_hz": float(centre),
        "duty_cycle": float(duty),
        "channels_seen": sorted(seen),
        "symbol_rate": 2e6 if width == 2e6 else 1e6,
    }
    return Waveform(x, sample_rate, "Other", min(width, sample_rate), p)


# --- LoRa (Semtech AN1200.22, SX1276 datasheet §4.1) ----------------------------------------


def lora_payload_symbols(sf: int, bw: float, payload_bytes: int, coding_rate: int) -> int:
    """Symbols after the preamble (SX1276 §4.1.1.7: explicit header, CRC on)."""
    de = 1 if (2**sf / bw) > 16e-3 else 0  # low data rate optimisation
    bits = 8 * payload_bytes - 4 * sf + 28 + 16
    return 8 + max(math.ceil(bits / (4 * (sf - 2 * de))) * (coding_rate + 4), 0)


def _chirps(
    tau: np.ndarray, sf: int, bw: float, values: np.ndarray, sync: tuple[int, int], preamble: int
) -> np.ndarray:
    """Phase of one packet at times ``tau`` (s from its start): up, sync, 2.25 down, payload.

    An upchirp of value v sweeps BW (v/M + x mod 1) - BW/2 for x in [0, 1) of the symbol; each
    full symbol ends on a whole number of turns, so the phase is continuous by construction.
    """
    m, t_sym = 2**sf, 2**sf / bw
    x_all = tau / t_sym
    s = np.floor(x_all).astype(np.int64)
    x = x_all - s
    head = preamble + 2
    a = np.zeros(s.size)
    a[s == preamble] = sync[0] / m
    a[s == preamble + 1] = sync[1] / m
    payload = s >= head + 2.25
    xp = x_all[payload] - (head + 2.25)
    idx = np.floor(xp).astype(np.int64)
    x[payload] = xp - idx
    a[payload] = values[np.minimum(idx, values.size - 1)] / m
    up = m * (a * x + x * x / 2 - np.maximum(0.0, x - (1 - a)) - x / 2)
    down = m * (x / 2 - x * x / 2)  # BW/2 - BW x: the 2.25 downchirps
    return 2 * np.pi * np.where((s >= head) & ~payload, down, up)


def lora(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """LoRa chirp spread spectrum (SF 7-12, BW 125/250/500 kHz) from 1..3 nodes, 200 kHz raster.

    A packet (Semtech AN1200.22; SX1276 §4.1.1) is ``preamble_symbols`` upchirps, the two sync
    word symbols (0x12 private, 0x34 LoRaWAN: nibbles x 8), 2.25 downchirps, then the payload
    symbols with random shifts (count from ``payload_bytes`` and ``coding_rate`` 4/5..4/8);
    symbol time 2^SF / BW, chirp slope BW^2 / 2^SF. Each of ``channels`` channels (centres on
    the 200 kHz raster, not overlapping, inside the view) has its own node level (0..-10 dB) and
    packets separated by exponential silences of mean ``mean_gap_s``; the first one overlaps
    the window. Built at ~2 MS/s and interpolated by an integer factor.
    """
    kind = "lora"
    n = sample_count(duration_s, sample_rate)
    p = draw_checked(kind, RANGES[kind], rng, params, _OUTPUTS[kind])
    sf, bw = int(p["spreading_factor"]), float(p["bandwidth_hz"])
    _check(kind, 5 <= sf <= 12, f"spreading_factor {sf} not in 5..12")
    _check(kind, bw in (62.5e3, 125e3, 250e3, 500e3), f"bandwidth_hz {bw} not 62.5/125/250/500k")
    _check(kind, 1 <= p["coding_rate"] <= 4 and 1 <= p["payload_bytes"] <= 255, "cr/payload")
    _check(kind, 6 <= p["preamble_symbols"] <= 64 and 1 <= p["channels"] <= 8, "preamble/chan")
    _check(kind, p["sync_word"] in (0x12, 0x34) and p["mean_gap_s"] > 0, "sync_word/gap")
    _check(kind, bw < 0.9 * sample_rate, f"a {bw / 1e3:g} kHz channel needs a wider view")
    k = max(1, int(sample_rate // 2e6))
    fi = sample_rate / k
    limit = 0.45 * min(fi, sample_rate) - bw / 2
    spots = 200e3 * np.arange(-int(limit // 200e3), int(limit // 200e3) + 1)
    offsets: list[float] = []
    for f in rng.permutation(spots) if spots.size else [0.0]:
        if len(offsets) < p["channels"] and all(abs(f - o) >= bw for o in offsets):
            offsets.append(float(f))
    p["channels"] = len(offsets)  # as many as fit the view
    t_sym = 2**sf / bw
    n_pay = lora_payload_symbols(sf, bw, int(p["payload_bytes"]), int(p["coding_rate"]))
    t_pkt = (p["preamble_symbols"] + 4.25 + n_pay) * t_sym
    sync = ((int(p["sync_word"]) >> 4) * 8, (int(p["sync_word"]) & 15) * 8)
    lead = 64
    n_i = lead + math.ceil(n / k) + 64
    t = (np.arange(n_i) - lead) / fi
    x, on = np.zeros(n_i, np.complex64), np.zeros(n_i, bool)
    for c, off in enumerate(offsets):
        level = 1.0 if c == 0 else 10 ** (-rng.uniform(0, 10) / 20)
        edge = min(t_pkt, duration_s) / 2
        start = rng.uniform(edge - t_pkt, duration_s - edge) if c == 0 else -rng.uniform(0, t_pkt)
        while start < t[-1]:
            i0, i1 = np.searchsorted(t, [start, start + t_pkt])
            if i1 > i0:
                values = rng.integers(0, 2**sf, n_pay).astype(float)
                phase = _chirps(t[i0:i1] - start, sf, bw, values, sync, int(p["preamble_symbols"]))
                x[i0:i1] += level * _rotor(phase + 2 * np.pi * off * t[i0:i1] + rng.uniform(0, 7))
                on[i0:i1] = True
            start += t_pkt + rng.exponential(p["mean_gap_s"])
    band = max(abs(o) for o in offsets) + 0.75 * bw
    duty = float(on[lead : lead + math.ceil(n / k)].mean())
    x = to_capture(x, fi, sample_rate, n, band, duty, lead)
    p |= {
        "kind": kind,
        "channel_offsets_hz": offsets,
        "symbol_time_s": t_sym,
        "packet_symbols": float(p["preamble_symbols"] + 4.25 + n_pay),
        "duty_cycle": duty,
    }
    return Waveform(x, sample_rate, "Other", min(len(offsets) * bw, sample_rate), p)


# --- 1090 MHz Mode S / ADS-B and Mode A/C (ICAO Annex 10 Vol IV; RTCA DO-260B) -------------


@lru_cache(maxsize=2)
def _crc_table(bits: int) -> np.ndarray:
    """The Mode S parity (generator 0x1FFF409) of each single data bit: parity is linear."""
    table = np.zeros(bits - 24, np.int64)
    for i in range(bits - 24):
        reg = 1 << (bits - 25 - i + 24)
        for shift_ in range(bits - 1, 23, -1):
            if reg >> shift_ & 1:
                reg ^= 0x1FFF409 << (shift_ - 24)
        table[i] = reg
    return table


def _mode_s_bits(rng: np.random.Generator, long: bool, address: int) -> np.ndarray:
    """DF17 (extended squitter) or DF11 (all-call reply) with the aircraft address and parity."""
    nbits = 112 if long else 56
    bits = rng.integers(0, 2, nbits).astype(np.int64)
    bits[:5] = [1, 0, 0, 0, 1] if long else [0, 1, 0, 1, 1]
    bits[8:32] = (address >> np.arange(23, -1, -1)) & 1
    parity = np.bitwise_xor.reduce(_crc_table(nbits)[bits[: nbits - 24] == 1], initial=0)
    bits[nbits - 24 :] = (int(parity) >> np.arange(23, -1, -1)) & 1
    return bits


def adsb(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """1090 MHz replies: Mode S / ADS-B (PPM, 1 Mbit/s) and Mode A/C, Poisson in time.

    Mode S (Annex 10 Vol IV §3.1.2.2, DO-260B §2.2.3): an 8 µs preamble of 0.5 µs pulses at 0,
    1.0, 3.5, 4.5 µs, then 56 or 112 bits of 1 µs, each a 0.5 µs pulse in its first (1) or second
    (0) half; DF17 squitters or DF11 replies, with the aircraft address and CRC-24 parity. Mode
    A/C (§3.1.1.6): framing pulses F1, F2 20.3 µs apart, code pulses on the 1.45 µs grid between
    them, 0.45 µs wide, sometimes SPI. Messages arrive as a Poisson process of
    ``message_rate_hz`` from ``aircraft`` aircraft, each with its own level (0..-``level_spread_db``
    dB, ranges differ) and carrier offset (±``max_offset_hz``; transponders are held to ±1 MHz);
    pulses rise in ``rise_time_s`` (0.05-0.1 µs). At least one message lies in the window.
    """
    kind = "adsb"
    n = sample_count(duration_s, sample_rate)
    p = draw_checked(kind, RANGES[kind], rng, params, _OUTPUTS[kind])
    _check(kind, 0 < p["message_rate_hz"] <= 1e5 and 1 <= p["aircraft"] <= 1000, "rate/aircraft")
    _check(kind, 0 <= p["mode_ac_fraction"] <= 1 and 0 <= p["long_fraction"] <= 1, "fractions")
    _check(kind, 0 <= p["level_spread_db"] <= 60 and p["max_offset_hz"] >= 0, "spread/offset")
    _check(kind, 1e-8 <= p["rise_time_s"] <= 2e-7, "rise_time_s not in 10..200 ns")
    p["max_offset_hz"] = min(float(p["max_offset_hz"]), 0.25 * sample_rate)
    k = _oversampling(sample_rate, 20e6)
    fh = k * sample_rate
    na = int(p["aircraft"])
    level = 10 ** (-rng.uniform(0, p["level_spread_db"], na) / 20)
    offset = rng.uniform(-1, 1, na) * p["max_offset_hz"]
    address = rng.integers(0, 2**24, na)
    count = int(rng.poisson(p["message_rate_hz"] * (duration_s + 120e-6)))
    times = list(rng.uniform(-120e-6, duration_s, count))
    if not any(0 <= s <= duration_s - 120e-6 for s in times):
        times.append(rng.uniform(0, max(0.0, duration_s - 120e-6)))
    kernel = _hann(2 * p["rise_time_s"] * fh)
    x, on = np.zeros(math.ceil(n * k), np.complex64), np.zeros(math.ceil(n * k), bool)
    counts = {"mode_s": 0, "mode_ac": 0}
    for start in times:
        a = int(rng.integers(0, na))
        if rng.random() < p["mode_ac_fraction"]:
            slots = [0, 14, *(i for i in range(1, 14) if i != 7 and rng.random() < 0.5)]
            slots += [17] if rng.random() < 0.05 else []
            pulses = [(1.45e-6 * s, 0.45e-6) for s in slots]
            counts["mode_ac"] += 1
        else:
            bits = _mode_s_bits(rng, bool(rng.random() < p["long_fraction"]), int(address[a]))
            pulses = [(s * 1e-6, 0.5e-6) for s in (0, 1, 3.5, 4.5)]
            pulses += [((8.5 - 0.5 * b + i) * 1e-6, 0.5e-6) for i, b in enumerate(bits)]
            counts["mode_s"] += 1
        i0 = math.floor(start * fh)
        length = math.ceil((max(s for s, _ in pulses) + 0.6e-6) * fh) + kernel.size
        env = np.zeros(length + 1, np.float32)
        for s, w in pulses:
            env[round((start + s) * fh) - i0] += 1
            env[round((start + s + w) * fh) - i0] -= 1
        env = np.cumsum(env[:length])
        lo, hi = max(0, i0), min(x.size, i0 + length)
        if lo >= hi:
            continue
        on[lo:hi] |= env[lo - i0 : hi - i0] > 0.5
        env = np.convolve(env, kernel, "same")
        phase = 2 * np.pi * offset[a] * np.arange(i0, i0 + length) / fh + rng.uniform(0, 7)
        x[lo:hi] += (level[a] * env * _rotor(phase))[lo - i0 : hi - i0]
    duty = float(on[: math.ceil(n * k)].mean())
    x = to_capture(x, fh, sample_rate, n, fh / 2, duty)
    p |= {"kind": kind, "duty_cycle": duty, **{f"{m}_messages": c for m, c in counts.items()}}
    return Waveform(x, sample_rate, "Other", min(_ADSB_BW, sample_rate), p)


_ADSB_BW = 3e6  # the band of ~95 % of the power of 0.5 µs pulses rising in 50-100 ns


# --- pulsed radar ---------------------------------------------------------------------------

_BARKER13 = np.array([1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1], np.float32)


def radar(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """Pulsed radar under a rotating beam (pulse parameters as in ITU-R M.1464, M.1849).

    Pulses of ``pulse_width_s`` (0.5-100 µs, held to <= 25 % duty) every ``pri_s`` (0.1-5 ms):
    constant, staggered over ``stagger_levels`` PRIs or jittered, ±``pri_spread``; unmodulated,
    LFM (``chirp_bandwidth_hz`` 1-20 MHz, held inside 0.8 of the view) or Barker-13 phase coded;
    edges rising in ``rise_time_s``; ``coherent`` (one phase) or magnetron-like (random per
    pulse). ``scan`` "circular" shapes the amplitudes with the beam (sinc main lobe crossing in
    ``beam_dwell_s``, peak at ``beam_peak`` x the window, floor ``sidelobe_db``); "none" is a
    tracking or fixed beam, constant in the window. ``occupied_bandwidth``: the main lobe,
    2/width (unmodulated), chirp bandwidth + 2/width (LFM), 26/width (Barker).
    """
    kind = "radar"
    n = sample_count(duration_s, sample_rate)
    p = draw_checked(kind, RANGES[kind], rng, params, _OUTPUTS[kind])
    mode, mod = p["pri_mode"], p["modulation"]
    _check(kind, mode in ("constant", "stagger", "jitter"), f"pri_mode {mode!r}")
    _check(kind, mod in ("none", "lfm", "barker13") and p["scan"] in ("none", "circular"), "mod")
    _check(kind, 1e-7 <= p["pulse_width_s"] <= 1e-3 and 1e-5 <= p["pri_s"] <= 0.1, "width/pri")
    _check(kind, 0 <= p["pri_spread"] <= 0.5 and 2 <= p["stagger_levels"] <= 16, "spread/levels")
    _check(kind, p["chirp_direction"] in ("up", "down") and p["chirp_bandwidth_hz"] > 0, "chirp")
    _check(kind, p["beam_dwell_s"] > 0 and p["sidelobe_db"] <= 0, "beam_dwell_s/sidelobe_db")
    _check(kind, 1e-9 <= p["rise_time_s"] <= 1e-6, "rise_time_s not in 1 ns..1 µs")
    spread = p["pri_spread"] if mode != "constant" else 0.0
    p["pulse_width_s"] = min(float(p["pulse_width_s"]), 0.25 * p["pri_s"] * (1 - spread))
    p["chirp_bandwidth_hz"] = min(float(p["chirp_bandwidth_hz"]), 0.8 * sample_rate)
    width, chirp = p["pulse_width_s"], p["chirp_bandwidth_hz"]
    occupied = {"none": 2 / width, "lfm": chirp + 2 / width, "barker13": 26 / width}[mod]
    k = min(32, _oversampling(sample_rate, min(2 * occupied, 40e6)))
    fh = k * sample_rate

    if mode == "constant":
        pris = np.full(1, p["pri_s"])
    elif mode == "stagger":
        pris = p["pri_s"] * (1 + spread * np.linspace(-1, 1, int(p["stagger_levels"])))
        pris = np.roll(rng.permutation(pris), int(rng.integers(0, pris.size)))
    count = int(duration_s / (p["pri_s"] * (1 - spread))) + 2
    if mode == "jitter":
        steps = p["pri_s"] * (1 + spread * rng.uniform(-1, 1, count))
    else:
        steps = np.resize(pris, count)
    starts = np.cumsum(steps) - steps[0] - rng.uniform(0, steps[0])
    starts = starts[(starts < duration_s) & (starts + width > 0)]
    if not np.any((starts >= 0) & (starts + width <= duration_s)):
        starts = np.array([rng.uniform(0, max(0.0, duration_s - width))])

    kernel = _hann(2 * p["rise_time_s"] * fh)
    length = max(1, round(width * fh))
    pad = kernel.size
    env = np.convolve(np.pad(np.ones(length, np.float32), pad), kernel, "same")
    tau = (np.arange(env.size) - pad) / fh
    if mod == "lfm":
        sign = 1 if p["chirp_direction"] == "up" else -1
        pulse = env * _rotor(np.pi * sign * chirp / width * (tau - width / 2) ** 2)
    elif mod == "barker13":
        pulse = (env * _BARKER13[np.clip((tau / width * 13).astype(int), 0, 12)]).astype(
            np.complex64
        )
    else:
        pulse = env.astype(np.complex64)
    gain = np.ones(starts.size)
    if p["scan"] == "circular":
        beam = np.abs(np.sinc(0.886 * (starts - p["beam_peak"] * duration_s) / p["beam_dwell_s"]))
        gain = np.maximum(beam, 10 ** (p["sidelobe_db"] / 20))
    phase = np.zeros(starts.size) if p["coherent"] else rng.uniform(0, 2 * np.pi, starts.size)
    x = np.zeros(math.ceil(n * k) + 2 * env.size, np.complex64)
    at = np.round(starts * fh).astype(np.int64) - pad + env.size
    x[at[:, None] + np.arange(env.size)] = (gain * np.exp(1j * phase))[:, None] * pulse
    x = x[env.size : env.size + math.ceil(n * k)]
    on = np.clip(np.minimum(starts + width, duration_s) - np.maximum(starts, 0), 0, None).sum()
    duty = float(min(1.0, on / duration_s))
    x = to_capture(x, fh, sample_rate, n, fh / 2, duty)
    p |= {"kind": kind, "pulses": int(starts.size), "duty_cycle": duty}
    return Waveform(x, sample_rate, "Other", min(occupied, sample_rate), p)


RANGES: dict[str, dict[str, dict[str, Any]]] = {
    "bluetooth": {
        "mode": {"choice": ["br_edr", "ble"]},
        "ble_phy": {"choice": ["1M", "2M"]},
        "br_modulation_index": {"uniform": [0.28, 0.35]},
        "ble_modulation_index": {"uniform": [0.45, 0.55]},
        "slot_load": {"uniform": [0.2, 1.0]},
        "afh_channels": {"int": [20, 79]},
        "peer_db": {"uniform": [-20.0, 3.0]},
        "adv_interval_s": {"loguniform": [0.02, 0.25]},
        "ble_connection": {"bernoulli": 0.7},
        "conn_interval_s": {"loguniform": [0.0075, 0.1]},
        "hop_increment": {"int": [5, 16]},
        "view_position": {"uniform": [0.0, 1.0]},
    },
    "lora": {
        "spreading_factor": {"int": [7, 12]},
        "bandwidth_hz": {"choice": [125e3, 250e3, 500e3]},
        "coding_rate": {"int": [1, 4]},
        "payload_bytes": {"int": [1, 64]},
        "preamble_symbols": {"fixed": 8},
        "sync_word": {"choice": [0x12, 0x34]},
        "channels": {"int": [1, 3]},
        "mean_gap_s": {"loguniform": [0.005, 0.5]},
    },
    "adsb": {
        "message_rate_hz": {"loguniform": [10.0, 2000.0]},
        "aircraft": {"int": [1, 60]},
        "mode_ac_fraction": {"uniform": [0.0, 0.6]},
        "long_fraction": {"uniform": [0.3, 0.9]},
        "level_spread_db": {"fixed": 30.0},
        "max_offset_hz": {"loguniform": [1e3, 1e6]},
        "rise_time_s": {"uniform": [5e-8, 1e-7]},
    },
    "radar": {
        "pulse_width_s": {"loguniform": [5e-7, 1e-4]},
        "pri_s": {"loguniform": [1e-4, 5e-3]},
        "pri_mode": {"choice": ["constant", "stagger", "jitter"]},
        "pri_spread": {"uniform": [0.02, 0.2]},
        "stagger_levels": {"int": [2, 6]},
        "modulation": {"choice": ["none", "lfm", "barker13"]},
        "chirp_bandwidth_hz": {"loguniform": [1e6, 2e7]},
        "chirp_direction": {"choice": ["up", "down"]},
        "rise_time_s": {"uniform": [2e-8, 1.5e-7]},
        "coherent": {"bernoulli": 0.5},
        "scan": {"choice": ["none", "circular"]},
        "beam_dwell_s": {"loguniform": [2e-3, 0.2]},
        "beam_peak": {"uniform": [-0.5, 1.5]},
        "sidelobe_db": {"uniform": [-35.0, -20.0]},
    },
}
_OUTPUTS = {
    "bluetooth": ("view_center_hz", "duty_cycle", "channels_seen", "symbol_rate"),
    "lora": ("channel_offsets_hz", "symbol_time_s", "packet_symbols", "duty_cycle"),
    "adsb": ("duty_cycle", "mode_s_messages", "mode_ac_messages"),
    "radar": ("pulses", "duty_cycle"),
}
KINDS: dict[str, Callable[..., Waveform]] = {
    "bluetooth": bluetooth,
    "lora": lora,
    "adsb": adsb,
    "radar": radar,
}
