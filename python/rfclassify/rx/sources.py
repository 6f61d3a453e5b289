"""The receiver's IQ sources: an SDR (Soapy, osmosdr, UHD), a recording, or the simulator.

Each maker returns ``(block, sample_rate, center_freq)`` and turns the ways a source fails to open
(no device, a missing GNU Radio component, an unreadable file) into one clear line.
"""

from __future__ import annotations

import contextlib
import math
import os
from typing import Any

from ..errors import RfclassifyError

Made = tuple[Any, float, float | None]


@contextlib.contextmanager
def _quiet_stderr():
    """Driver probing prints noise (avahi, ALSA, ...) straight to fd 2: hide it."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _freq(src: dict) -> float | None:
    return src["freq"] or None


def _gain_is_auto(src: dict) -> bool:
    return isinstance(src["gain"], float) and math.isnan(src["gain"])


def sim(src: dict) -> Made:
    from ..blocks.sim_source import sim_source

    block = sim_source(
        sample_rate=src["rate"], center_freq=src["freq"], seed=src["seed"], realtime=True
    )
    return block, src["rate"], src["freq"]


def soapy(src: dict) -> Made:
    try:
        import SoapySDR
        from gnuradio import soapy as gr_soapy
    except ImportError:
        raise RfclassifyError(
            "gr-soapy is not available: apt-get install gnuradio python3-soapysdr"
        ) from None
    args = ",".join(
        a for a in (f"driver={src['driver']}" if src["driver"] else "", src["dev_args"]) if a
    )
    with _quiet_stderr():
        found = SoapySDR.Device.enumerate(args)
    if not found:
        with _quiet_stderr():
            everything = [dict(d) for d in SoapySDR.Device.enumerate("")]
        listing = "; ".join(
            ", ".join(f"{k}={v}" for k, v in d.items() if k in ("driver", "label", "serial"))
            for d in everything
        )
        raise RfclassifyError(
            f"no SDR matches '{args}'. SoapySDR finds: {listing or 'no devices at all'} "
            "(check the cable, the driver module (SoapySDRUtil --info) and permissions)"
        )
    try:
        block = gr_soapy.source(args, "fc32", 1, "", src["stream_args"], [src["tune_args"]], [""])
        block.set_sample_rate(0, src["rate"])
        if src["freq"]:
            block.set_frequency(0, src["freq"])
        if _gain_is_auto(src):
            block.set_gain_mode(0, True)
        else:
            block.set_gain(0, src["gain"])
        if src["antenna"]:
            block.set_antenna(0, src["antenna"])
        if src["bandwidth"]:
            block.set_bandwidth(0, src["bandwidth"])
    except (RuntimeError, ValueError) as exc:
        raise RfclassifyError(f"SDR '{args}' refused the settings: {exc}") from None
    return block, src["rate"], _freq(src)


def osmosdr(src: dict) -> Made:
    try:
        import osmosdr as gr_osmosdr
    except ImportError:
        raise RfclassifyError(
            "gr-osmosdr is not installed: apt-get install --no-install-recommends gr-osmosdr"
        ) from None
    try:
        block = gr_osmosdr.source(args=src["dev_args"])
        block.set_sample_rate(src["rate"])
        if src["freq"]:
            block.set_center_freq(src["freq"])
        if _gain_is_auto(src):
            block.set_gain_mode(True)
        else:
            block.set_gain_mode(False)
            block.set_gain(src["gain"])
        if src["antenna"]:
            block.set_antenna(src["antenna"])
        if src["bandwidth"]:
            block.set_bandwidth(src["bandwidth"])
    except RuntimeError as exc:
        raise RfclassifyError(f"osmosdr source '{src['dev_args']}': {exc}") from None
    return block, src["rate"], _freq(src)


def uhd(src: dict) -> Made:
    try:
        from gnuradio import uhd as gr_uhd
    except ImportError:
        raise RfclassifyError("gr-uhd is not available in this GNU Radio") from None
    try:
        with _quiet_stderr():
            block = gr_uhd.usrp_source(
                src["dev_args"], gr_uhd.stream_args(cpu_format="fc32", channels=[0])
            )
    except RuntimeError as exc:
        with _quiet_stderr():
            found = [d.to_string() for d in gr_uhd.find("")]
        raise RfclassifyError(
            f"no USRP matches '{src['dev_args']}'. UHD finds: {'; '.join(found) or 'none'} "
            f"(uhd_find_devices lists them; {str(exc).splitlines()[0]})"
        ) from None
    block.set_samp_rate(src["rate"])
    if src["freq"]:
        block.set_center_freq(src["freq"], 0)
    if not _gain_is_auto(src):
        block.set_gain(src["gain"], 0)
    if src["antenna"]:
        block.set_antenna(src["antenna"], 0)
    if src["bandwidth"]:
        block.set_bandwidth(src["bandwidth"], 0)
    return block, block.get_samp_rate(), _freq(src)


def recording(src: dict, realtime: bool) -> Made:
    from ..blocks.recording_source import recording_source
    from ..io.recording import open_raw, open_recording

    if src["kind"] == "sigmf":
        rec = open_recording(src["path"])
        if src["rate"] and abs(src["rate"] - rec.sample_rate) > 1e-6 * rec.sample_rate:
            raise RfclassifyError(
                f"--rate {src['rate']:g} contradicts the recording's {rec.sample_rate:g} S/s "
                "(SigMF carries its own rate: drop --rate)"
            )
    else:
        rec = open_raw(src["path"], src["rate"], src["dtype"], _freq(src))
    return recording_source(rec, realtime=realtime), rec.sample_rate, rec.center_freq


MAKERS = {"sim": sim, "soapy": soapy, "osmosdr": osmosdr, "uhd": uhd}


def make_source(src: dict, realtime: bool) -> Made:
    if src["kind"] in ("file", "sigmf"):
        return recording(src, realtime)
    return MAKERS[src["kind"]](src)
