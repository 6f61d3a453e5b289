"""What a cell search reports: one found cell, LTE or NR, in a form every sink can carry.

``to_dict`` is the JSON form ``rfclassify cellsearch --json`` prints (one object per cell) and
the records' ``cells`` field will carry; a cell is ``decoded`` only when its broadcast channel's
CRC passed, and only then has a ``mib``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cell:
    rat: str  # "LTE" or "NR"
    pci: int  # physical cell identity: 3 * N_ID_1 + N_ID_2 (0..503 LTE, 0..1007 NR)
    n_id_2: int  # the PSS root (0..2)
    start: int  # sample index of the first sync signal found (the PSS's first sample)
    freq_offset_hz: float  # carrier (LTE) / SSB centre (NR) minus the capture's centre
    snr_db: float  # of the sync signals, as estimated by the search
    cp: str = "normal"  # "normal" or "extended"
    duplex: str | None = None  # "FDD" / "TDD" (LTE: from the PSS-SSS spacing); None for NR
    ssb_index: int | None = None  # NR: from the PBCH DM-RS (and the MIB for L_max = 64)
    decoded: bool = False  # the PBCH's CRC passed
    mib: dict[str, Any] = field(default_factory=dict)  # the decoded MIB's fields
    details: dict[str, Any] = field(default_factory=dict)  # e.g. ports, half_frame, metrics

    def __post_init__(self) -> None:
        if self.rat not in ("LTE", "NR"):
            raise ValueError(f"rat must be 'LTE' or 'NR', got {self.rat!r}")
        top = 503 if self.rat == "LTE" else 1007
        if not 0 <= self.pci <= top:
            raise ValueError(f"{self.rat} PCI {self.pci} is outside 0..{top}")
        if self.mib and not self.decoded:
            raise ValueError("a MIB is reported only for a decoded cell (its CRC passed)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        return cls(**data)
