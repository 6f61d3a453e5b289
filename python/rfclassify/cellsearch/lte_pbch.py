"""The LTE broadcast channel: MIB (TS 36.331) <-> PBCH (TS 36.212 §5.3.1, TS 36.211 §6.6).

Transmit side (for the test transmitter): MIB bits, CRC-16 masked by the antenna-port count,
tail-biting convolutional coding, rate matching to the E bits of four radio frames, scrambling
with the cell's Gold sequence, QPSK, transmit diversity (SFBC) precoding and the mapping to the
72 central subcarriers of symbols 0..3 of slot 1 of subframe 0, skipping the REs of the
reference signals of four ports whatever the actual count (§6.6.4).

Receive side: one subframe 0 as a (symbols, 72) grid -> channel estimate per port from the
reference signals -> soft bits for 1, 2 and 4 ports -> descrambling at each of the four 10 ms
phases -> rate recovery (one frame carries the 120 coded bits four times over) -> wrap-around
Viterbi -> CRC; a cell is decoded only when the CRC XOR the recomputed parity is exactly the
mask of the port count that was assumed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from . import coding
from .lte_phy import BANDWIDTHS_RB, crs, gold_sequence, qpsk, smooth_channel, symbols_per_slot

PBCH_E = {"normal": 1920, "extended": 1728}  # bits over four frames: 240 / 216 QPSK per frame
MIB_BITS = 24
PBCH_K = MIB_BITS + 16
PHICH_RESOURCES = ("1/6", "1/2", "1", "2")
PHICH_DURATIONS = ("normal", "extended")
PORT_MASKS = {1: 0x0000, 2: 0xFFFF, 4: 0x5555}  # TS 36.212 Table 5.3.1.1-1
PORTS = (1, 2, 4)
PILOT_SMOOTHING = 5  # pilots (15 subcarriers) a channel estimate is averaged over


def mib_bits(
    n_rb: int,
    sfn: int,
    phich_duration: str = "normal",
    phich_resource: str = "1",
    spare: int = 0,
) -> np.ndarray:
    """The 24 MIB bits, UPER (a fixed-size SEQUENCE: the fields back to back): dl-Bandwidth (3),
    phich-Duration (1), phich-Resource (2), the 8 MSBs of the SFN, 10 spare bits (which Rel-13+
    use for schedulingInfoSIB1-BR and systemInfoUnchanged-BR)."""
    fields = [
        (BANDWIDTHS_RB.index(n_rb), 3),
        (PHICH_DURATIONS.index(phich_duration), 1),
        (PHICH_RESOURCES.index(phich_resource), 2),
        ((sfn >> 2) & 0xFF, 8),
        (spare, 10),
    ]
    return np.concatenate([coding.bits_from_int(v, w) for v, w in fields])


def parse_mib(bits: np.ndarray, frame_phase: int) -> dict[str, Any] | None:
    """The MIB's fields (None if dl-Bandwidth holds one of its two unused codes); the SFN's two
    LSBs are the frame's place in the PBCH's 40 ms (``frame_phase``)."""
    bits = np.asarray(bits, dtype=np.uint8)
    bw = coding.int_from_bits(bits[0:3])
    if bw >= len(BANDWIDTHS_RB):
        return None
    spare = int(coding.int_from_bits(bits[14:24]))
    return {
        "dl_bandwidth_rb": BANDWIDTHS_RB[bw],
        "phich_duration": PHICH_DURATIONS[int(bits[3])],
        "phich_resource": PHICH_RESOURCES[coding.int_from_bits(bits[4:6])],
        "sfn": (int(coding.int_from_bits(bits[6:14])) << 2) | frame_phase,
        "spare": spare,
        "scheduling_info_sib1_br": spare >> 5,  # Rel-13 eMTC: 0 = no SIB1-BR
        "system_info_unchanged_br": bool((spare >> 4) & 1),
    }


def pbch_codeword(mib: np.ndarray, ports: int, cp: str) -> np.ndarray:
    """E rate-matched bits (before scrambling) for a 24-bit MIB and a port count."""
    word = coding.crc_attach(mib)
    word[-16:] ^= coding.bits_from_int(PORT_MASKS[ports], 16)
    return coding.rate_match(coding.conv_encode(word), PBCH_E[cp])


@lru_cache(maxsize=64)
def scrambling(pci: int, cp: str) -> np.ndarray:
    """c(0..E-1), initialised with N_ID_cell in each frame with SFN mod 4 = 0 (§6.6.1)."""
    c = gold_sequence(pci, PBCH_E[cp])
    c.flags.writeable = False
    return c


@lru_cache(maxsize=1024)
def pbch_positions(pci: int, cp: str) -> tuple[np.ndarray, np.ndarray]:
    """(symbol within subframe 0, subcarrier k' of the central 72) of each PBCH RE in mapping
    order: k first, then symbols 0..3 of slot 1, skipping REs of the reference signals of ports
    0..3 (k' = N_ID_cell mod 3 modulo 3 in the symbols that hold them)."""
    n_symb = symbols_per_slot(cp)
    syms, ks = [], []
    for ell in range(4):
        k = np.arange(72)
        holds_crs = ell in (0, 1) or ell == n_symb - 3
        if holds_crs:
            k = k[(k - pci) % 3 != 0]
        syms.append(np.full(k.size, n_symb + ell))
        ks.append(k)
    return np.concatenate(syms), np.concatenate(ks)


def precode(d: np.ndarray, ports: int) -> np.ndarray:
    """(ports, n) transmit-diversity precoding of §6.3.4.3 (one layer for one port)."""
    d = np.asarray(d, dtype=complex)
    if ports == 1:
        return d[None, :]
    y = np.zeros((ports, d.size), dtype=complex)
    s = 1 / np.sqrt(2)
    if ports == 2:
        x0, x1 = d[0::2], d[1::2]
        y[0, 0::2], y[1, 0::2] = s * x0, -s * np.conj(x1)
        y[0, 1::2], y[1, 1::2] = s * x1, s * np.conj(x0)
        return y
    x0, x1, x2, x3 = d[0::4], d[1::4], d[2::4], d[3::4]
    y[0, 0::4], y[2, 0::4] = s * x0, -s * np.conj(x1)
    y[0, 1::4], y[2, 1::4] = s * x1, s * np.conj(x0)
    y[1, 2::4], y[3, 2::4] = s * x2, -s * np.conj(x3)
    y[1, 3::4], y[3, 3::4] = s * x3, s * np.conj(x2)
    return y


def pbch_frame_symbols(codeword: np.ndarray, pci: int, cp: str, phase: int, ports: int):
    """(ports, M_symb) precoded PBCH symbols of the frame with SFN mod 4 = ``phase``."""
    quarter = PBCH_E[cp] // 4
    sl = slice(phase * quarter, (phase + 1) * quarter)
    return precode(qpsk(codeword[sl] ^ scrambling(pci, cp)[sl]), ports)


# ----------------------------------------------------------------------------- receive side


def channel_estimate(grid: np.ndarray, pci: int, cp: str) -> tuple[np.ndarray, float]:
    """(4, 72) channel of each port on the central subcarriers and the noise variance per RE.

    The reference signals of the whole subframe are averaged in time per subcarrier (the
    channel taken as still over 1 ms once the frequency is corrected), smoothed over
    ``PILOT_SMOOTHING`` neighbouring pilots (3 subcarriers apart) about their common phase
    slope and interpolated linearly in frequency."""
    n_symb = symbols_per_slot(cp)
    h = np.zeros((4, 72), dtype=complex)
    residual = []
    k_all = np.arange(72)
    for port in range(4):
        acc = np.zeros(72, dtype=complex)
        cnt = np.zeros(72)
        for ns in (0, 1):
            for ell in range(n_symb):
                ref = crs(pci, port, ns, ell, cp)
                if ref is None:
                    continue
                k, val = ref
                acc[k] += grid[ns * n_symb + ell, k] * np.conj(val)
                cnt[k] += 1
        pk = np.flatnonzero(cnt)
        raw = acc[pk] / cnt[pk]
        smooth = smooth_channel(raw, pk, PILOT_SMOOTHING)
        h[port] = np.interp(k_all, pk, smooth.real) + 1j * np.interp(k_all, pk, smooth.imag)
        if port == 0:
            # raw - smooth keeps 1 - 1/W of the pilot noise; raw averages cnt pilots
            residual.append(
                np.mean(np.abs(raw - smooth) ** 2 * cnt[pk]) / (1 - 1 / PILOT_SMOOTHING)
            )
    return h, float(max(residual[0], 1e-12))


def pbch_llr(grid: np.ndarray, h: np.ndarray, noise: float, pci: int, cp: str, ports: int):
    """Soft values (positive: bit 0) of the frame's E/4 PBCH bits, before descrambling."""
    sym, k = pbch_positions(pci, cp)
    r = grid[sym, k]
    hk = h[:, k]
    if ports == 1:
        x = np.conj(hk[0]) * r
        scale = 2 * np.sqrt(2) / noise
    else:
        x = np.empty_like(r)
        pairs = [(0, 1)] if ports == 2 else [(0, 2), (1, 3)]
        step = 2 * len(pairs)
        for j, (pa, pb) in enumerate(pairs):
            a = np.arange(2 * j, r.size, step)
            b = a + 1
            x[a] = np.conj(hk[pa, a]) * r[a] + hk[pb, b] * np.conj(r[b])
            x[b] = np.conj(hk[pa, b]) * r[b] - hk[pb, a] * np.conj(r[a])
        scale = 2 / noise
    return np.stack([x.real, x.imag], axis=-1).reshape(-1) * scale


def decode_frames(grids: list[np.ndarray], pci: int, cp: str) -> dict[str, Any] | None:
    """Decode the PBCH of consecutive frames' subframes 0 (``grids[i]`` is frame i's, a
    (2 N_symb, 72) array), alone and combined within a 40 ms period, every port count and
    phase; the first whose CRC passes with its port mask, preferring more frames combined.

    Returns {"mib" (its "sfn" that of ``grids[0]``'s frame), "ports", "frames" (the indices
    combined), "phase" (SFN mod 4 of ``grids[0]``'s frame)} or None."""
    quarter = PBCH_E[cp] // 4
    soft = []  # soft[f][port index] -> (E/4,)
    for grid in grids:
        h, noise = channel_estimate(grid, pci, cp)
        soft.append([pbch_llr(grid, h, noise, pci, cp, p) for p in PORTS])
    sign = 1.0 - 2.0 * scrambling(pci, cp)
    n_frames = len(grids)
    trials = []  # (frames tuple, phase of its first frame, port index)
    for start in range(n_frames):
        for phase in range(4):
            group = tuple(range(start, min(n_frames, start + 4 - phase)))
            for frames in dict.fromkeys([group, (start,)]):
                for pi in range(len(PORTS)):
                    trials.append((frames, phase, pi))
    if not trials:
        return None
    llr = np.zeros((len(trials), 3, PBCH_K))
    for t, (frames, phase, pi) in enumerate(trials):
        for i, f in enumerate(frames):
            ph = phase + i
            sl = slice(ph * quarter, (ph + 1) * quarter)
            llr[t] += coding.rate_recover(soft[f][pi] * sign[sl], PBCH_K, ph * quarter, PBCH_E[cp])
    bits = coding.viterbi_decode(llr)
    syndromes = coding.int_from_bits(coding.crc_check(bits))
    order = sorted(range(len(trials)), key=lambda t: (-len(trials[t][0]), trials[t][0][0]))
    for t in order:
        frames, phase, pi = trials[t]
        if syndromes[t] != PORT_MASKS[PORTS[pi]]:
            continue
        mib = parse_mib(bits[t, :MIB_BITS], phase)
        if mib is None:
            continue
        first = frames[0]
        mib["sfn"] = (mib["sfn"] - first) % 1024  # the SFN of grids[0]'s frame
        return {
            "mib": mib,
            "ports": PORTS[pi],
            "frames": list(frames),
            "phase": (phase - first) % 4,
        }
    return None
