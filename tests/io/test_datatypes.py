import numpy as np
import pytest

from rfclassify.io import (
    SUPPORTED_DATATYPES,
    bytes_per_sample,
    from_complex64,
    normalise_datatype,
    numpy_dtype,
    to_complex64,
)


@pytest.mark.parametrize(
    "alias,expected",
    [
        ("complex64", "cf32_le"),
        ("cfile", "cf32_le"),
        ("fc32", "cf32_le"),
        ("complex128", "cf64_le"),
        ("sc16", "ci16_le"),
        ("int16", "ci16_le"),
        ("sc8", "ci8"),
        ("int8", "ci8"),
        ("uint8", "cu8"),
        ("rtl", "cu8"),
        (" CF32_LE ", "cf32_le"),
        ("ci8_le", "ci8"),
        ("ci16_be", "ci16_be"),
    ],
)
def test_aliases_and_spellings_normalise(alias, expected):
    assert normalise_datatype(alias) == expected


def test_sigmf_metadata_mode_refuses_aliases():
    assert normalise_datatype("cf32_le", allow_aliases=False) == "cf32_le"
    with pytest.raises(ValueError, match="unknown datatype 'complex64'"):
        normalise_datatype("complex64", allow_aliases=False)
    with pytest.raises(ValueError, match="byte order"):
        normalise_datatype("cf32", allow_aliases=False)


def test_unknown_datatype_lists_the_supported_ones():
    with pytest.raises(ValueError, match="unknown datatype 'cq32_le'") as info:
        normalise_datatype("cq32_le")
    for name in ("cf32_le", "ci16_le", "ci8", "cu8", "cf64_le"):
        assert name in str(info.value)


@pytest.mark.parametrize("name", ["rf32_le", "ri16_le", "ru8", "ri8"])
def test_real_datatypes_are_refused_as_real(name):
    with pytest.raises(ValueError, match="real-valued"):
        normalise_datatype(name)
    with pytest.raises(ValueError, match="real-valued"):
        numpy_dtype(name)


def test_non_string_datatype_is_a_value_error():
    with pytest.raises(ValueError, match="must be a string"):
        normalise_datatype(None)


@pytest.mark.parametrize(
    "name,component,size",
    [
        ("cf32_le", "<f4", 8),
        ("cf64_le", "<f8", 16),
        ("ci32_le", "<i4", 8),
        ("ci16_le", "<i2", 4),
        ("ci16_be", ">i2", 4),
        ("ci8", "|i1", 2),
        ("cu8", "|u1", 2),
        ("cu16_le", "<u2", 4),
    ],
)
def test_component_dtype_and_sample_size(name, component, size):
    assert numpy_dtype(name) == np.dtype(component)
    assert numpy_dtype(name).str == component
    assert bytes_per_sample(name) == size


def test_integer_scaling_conventions():
    ci16 = to_complex64(np.array([-32768, 16384, 0, 32767], "<i2"), "ci16_le")
    np.testing.assert_array_equal(ci16, [-1 + 0.5j, 0 + 32767 / 32768 * 1j])
    ci8 = to_complex64(np.array([-128, 64], "i1"), "ci8")
    np.testing.assert_array_equal(ci8, [-1 + 0.5j])
    # rtl-sdr convention: DC sits between codes 127 and 128.
    cu8 = to_complex64(np.array([0, 255, 127, 128], "u1"), "cu8")
    np.testing.assert_allclose(cu8, [-1 + 1j, -0.5 / 127.5 + 0.5j / 127.5], rtol=0, atol=1e-7)
    assert cu8.dtype == np.complex64


def test_cf32_le_is_a_zero_copy_view():
    raw = np.arange(8, dtype="<f4")
    out = to_complex64(raw, "cf32_le")
    assert out.dtype == np.complex64
    assert np.shares_memory(out, raw)
    np.testing.assert_array_equal(out, [0 + 1j, 2 + 3j, 4 + 5j, 6 + 7j])


def test_raw_bytes_are_accepted():
    x = np.array([0.25 - 0.5j, -1 + 1j], np.complex64)
    for name in SUPPORTED_DATATYPES:
        raw = from_complex64(x, name)
        from_bytes = to_complex64(raw.tobytes(), name)
        np.testing.assert_array_equal(from_bytes, to_complex64(raw, name))


def test_big_endian_is_really_big_endian():
    x = np.array([0.5 - 0.25j, 0.125 + 0j], np.complex64)
    le = from_complex64(x, "ci16_le")
    be = from_complex64(x, "ci16_be")
    assert be.tobytes() == le.byteswap().tobytes()
    assert from_complex64(x, "cf32_be").tobytes() == x.view("<f4").byteswap().tobytes()
    np.testing.assert_array_equal(to_complex64(be, "ci16_be"), to_complex64(le, "ci16_le"))


def test_bad_component_arrays():
    with pytest.raises(ValueError, match="odd count"):
        to_complex64(np.zeros(3, "<i2"), "ci16_le")
    with pytest.raises(ValueError, match="must be <i2"):
        to_complex64(np.zeros(4, "<f4"), "ci16_le")
    with pytest.raises(ValueError, match="whole number"):
        to_complex64(b"\x00\x00\x00", "ci16_le")


def test_from_complex64_rounds_clips_and_zeroes_nan():
    x = np.array([2 + 2j, -2 - 2j, complex(np.nan, np.inf), complex(0.5, 1.4) / 32768])
    np.testing.assert_array_equal(
        from_complex64(x, "ci16_le"), [32767, 32767, -32768, -32768, 0, 32767, 0, 1]
    )
    np.testing.assert_array_equal(from_complex64(x[:3], "cu8"), [255, 255, 0, 0, 128, 255])
    with pytest.raises(ValueError, match="must be complex"):
        from_complex64(np.ones(4, np.float32), "ci16_le")


@pytest.mark.parametrize("name", SUPPORTED_DATATYPES)
def test_every_datatype_round_trips_within_one_code(name, iq):
    x = iq(4096)
    comps = from_complex64(x, name)
    assert comps.dtype == numpy_dtype(name)
    assert comps.size == 2 * x.size
    back = to_complex64(comps, name)
    assert back.dtype == np.complex64
    assert back.shape == x.shape
    kind, bits = numpy_dtype(name).kind, numpy_dtype(name).itemsize * 8
    half_code = {"f": 0.0, "i": 0.5 / 2 ** (bits - 1), "u": 0.5 / ((2**bits - 1) / 2)}[kind]
    tol = half_code + 1e-6  # float32 rounding on top; 32-bit codes end up in float32 anyway
    assert np.max(np.abs(back.real - x.real)) <= tol
    assert np.max(np.abs(back.imag - x.imag)) <= tol
