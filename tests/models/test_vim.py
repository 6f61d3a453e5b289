"""Vision Mamba: the seeds' Ultra-Light size, bimamba v2 wiring, scan forms equal, ONNX parity."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
import torch.nn.functional as F

from rfclassify.models import create_model, model_spec
from rfclassify.models.flops import count_params
from rfclassify.models.onnx_export import export_onnx
from rfclassify.models.selective_scan import SCANS, scan_chunked


def test_ultralight_size_is_the_seeds_configuration():
    spec = model_spec("vim_ultralight")
    assert (spec.family, spec.img_size) == ("vim", 128)
    model = create_model("vim_ultralight")
    assert count_params(model) == 324_100  # 3 channels, 4 classes, expand 1: "about 0.3 M"
    assert count_params(create_model("vim_ultralight", in_chans=1)) == 274_948
    assert count_params(create_model("vim_ultralight", expand=2)) == 567_172
    mixer = model.layers[0].mixer
    assert len(model.layers) == 6 and model.patch_embed.num_patches == 64
    assert (mixer.d_inner, mixer.d_state, mixer.dt_rank) == (96, 16, 6)


def test_bimamba_v2_shares_projections_and_doubles_the_rest():
    names = {n for n, _ in create_model("vim_ultralight").layers[0].mixer.named_parameters()}
    shared = {"in_proj.weight", "out_proj.weight"}
    per_direction = {"conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight"}
    per_direction |= {"dt_proj.bias"}
    assert shared <= names
    for name in per_direction:
        module, _, param = name.partition(".")
        assert name in names and f"{module}_b.{param}" in names
    assert {"A_log", "A_b_log", "D", "D_b"} <= names


def test_dt_starts_in_mambas_range_and_A_is_s4d_real():
    mixer = create_model("vim_ultralight").layers[0].mixer
    dt = F.softplus(mixer.dt_proj.bias)
    assert dt.min() >= 1e-4 - 1e-7 and dt.max() <= 0.1 + 1e-6
    np.testing.assert_allclose(-torch.exp(mixer.A_log[0]).detach(), -np.arange(1, 17))


@pytest.mark.parametrize("in_chans", [1, 3])
@pytest.mark.parametrize("batch", [1, 4])
def test_forward_shape(in_chans, batch):
    model = create_model("vim_ultralight", in_chans=in_chans).eval()
    with torch.no_grad():
        assert model(torch.randn(batch, in_chans, 128, 128)).shape == (batch, 4)


def _scan_inputs(seed: int, batch: int = 3, d: int = 96, length: int = 64, n: int = 16):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(batch, d, length, generator=g)
    delta = F.softplus(torch.randn(batch, d, length, generator=g) - 1)
    A = -torch.exp(torch.randn(batch, d, n, generator=g))  # per-row A, as in the bidirectional
    B = torch.randn(batch, n, length, generator=g)
    C = torch.randn(batch, n, length, generator=g)
    D = torch.randn(batch, d, generator=g)
    return u, delta, A, B, C, D


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("form", sorted(set(SCANS) - {"sequential"}))
def test_every_scan_form_equals_the_sequential_reference(form, seed):
    args = _scan_inputs(seed)
    reference = SCANS["sequential"](*args)
    assert reference.abs().max() > 1  # a scale at which 1e-5 means something
    torch.testing.assert_close(SCANS[form](*args), reference, atol=1e-5, rtol=0)


@pytest.mark.parametrize("form", sorted(set(SCANS) - {"sequential"}))
def test_every_scan_form_takes_a_shared_A_and_D(form):
    u, delta, A, B, C, D = _scan_inputs(3)
    shared = (u, delta, A[0], B, C, D[0])  # (D, N) and (D,): one direction, as in plain Mamba
    torch.testing.assert_close(
        SCANS[form](*shared), SCANS["sequential"](*shared), atol=1e-5, rtol=0
    )


def test_sequential_scan_is_the_recurrence_written_out():
    u, delta, A, B, C, D = _scan_inputs(3, batch=1, d=2, length=5, n=3)
    h = torch.zeros(2, 3)
    expected = []
    for t in range(5):
        h = (
            torch.exp(delta[0, :, t, None] * A[0]) * h
            + delta[0, :, t, None] * B[0, :, t] * u[0, :, t, None]
        )
        expected.append(h @ C[0, :, t] + D[0] * u[0, :, t])
    torch.testing.assert_close(
        SCANS["sequential"](u, delta, A, B, C, D)[0], torch.stack(expected, 1)
    )


def test_chunked_scan_handles_a_length_that_is_not_a_multiple_of_the_chunk():
    args = _scan_inputs(4, length=40)
    torch.testing.assert_close(
        scan_chunked(*args, chunk=16), SCANS["sequential"](*args), atol=1e-5, rtol=0
    )


def test_whole_model_gives_the_same_logits_with_every_scan():
    torch.manual_seed(0)
    model = create_model("vim_ultralight", in_chans=1).eval()
    x = torch.randn(2, 1, 128, 128)
    with torch.no_grad():
        reference = model(x)
        for form in SCANS:
            model.set_scan(form)
            torch.testing.assert_close(model(x), reference, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="scan"):
        model.set_scan("blelloch")


def test_both_directions_see_the_whole_sequence():
    """The first token's features depend on the last patch only through the backward scan."""
    torch.manual_seed(0)
    model = create_model("vim_ultralight", in_chans=1).eval()
    x = torch.randn(1, 1, 128, 128)
    y = x.clone()
    y[..., -16:, -16:] += 1.0  # the last patch
    with torch.no_grad():
        first = (model.forward_features(x) - model.forward_features(y))[0, 0].abs().max()
        for layer in model.layers:  # cut the backward branch: the first token cannot see it
            layer.mixer.D_b.data.zero_()
            layer.mixer.x_proj_b.weight.data.zero_()
            layer.mixer.conv1d_b.weight.data.zero_()
            layer.mixer.conv1d_b.bias.data.zero_()
        cut = (model.forward_features(x) - model.forward_features(y))[0, 0].abs().max()
    assert cut == 0.0  # the forward scan and the causal conv are strictly causal
    assert first > 1e-7  # small at initialisation (63 steps of decay), but there


def test_middle_class_token_option():
    model = create_model("vim_ultralight", global_pool="token").eval()
    assert model.pos_embed.shape == (1, 65, 96) and model.token_position == 32
    with torch.no_grad():
        assert model(torch.randn(2, 3, 128, 128)).shape == (2, 4)
    with pytest.raises(ValueError, match="global_pool"):
        create_model("vim_ultralight", global_pool="max")


def test_onnx_export_matches_torch(tmp_path):
    torch.manual_seed(0)
    model = create_model("vim_ultralight", in_chans=1)
    inputs = np.random.default_rng(0).standard_normal((3, 1, 128, 128)).astype(np.float32)
    report = export_onnx(model, tmp_path / "vim.onnx", (1, 128, 128), parity_inputs=inputs)
    assert report.max_abs_diff <= 1e-4
    # "auto" exports the tokens-first loop: one 64-way split per direction stack and layer,
    # and no per-step Gather (the plain loop's 128 per layer)
    graph = onnx.load(str(report.path)).graph
    splits = [n for n in graph.node if n.op_type == "Split" and len(n.output) == 64]
    assert len(splits) == 2 * 6
    assert sum(n.op_type == "Gather" for n in graph.node) < 64


def test_hand_written_backward_equals_autograd_through_the_loop():
    from rfclassify.models.selective_scan import _Recurrence, _recurrence

    g = torch.Generator().manual_seed(0)
    decay = torch.rand(2, 3, 9, 4, dtype=torch.float64, generator=g).requires_grad_()
    drive = torch.randn(2, 3, 9, 4, dtype=torch.float64, generator=g).requires_grad_()
    assert torch.autograd.gradcheck(_Recurrence.apply, (decay, drive))
    weights = torch.randn(2, 3, 9, 4, dtype=torch.float64, generator=g)
    fast = torch.autograd.grad((_Recurrence.apply(decay, drive) * weights).sum(), (decay, drive))
    slow = torch.autograd.grad((_recurrence(decay, drive) * weights).sum(), (decay, drive))
    for a, b in zip(fast, slow, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


def test_model_gradients_are_the_same_with_every_scan_form():
    torch.manual_seed(0)
    model = create_model("vim_ultralight", in_chans=1, depth=2)
    x = torch.randn(2, 1, 128, 128)
    grads = {}
    for form in ("sequential", "chunked"):
        model.set_scan(form)
        model.zero_grad()
        model(x).square().sum().backward()
        grads[form] = [p.grad.clone() for p in model.parameters()]
    for a, b in zip(grads["sequential"], grads["chunked"], strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-3)


def test_train_step_bench_compares_both_backwards_and_restores_the_fast_one():
    from rfclassify.bench.scan import run_train_step_bench
    from rfclassify.models import selective_scan

    result = run_train_step_bench(batch=2, steps=1)
    decay = torch.rand(1, 2, 3, 2, requires_grad=True)
    states = selective_scan._Recurrence.apply(decay, torch.randn(1, 2, 3, 2))
    assert type(states.grad_fn).__name__ == "_RecurrenceBackward"  # the fast path is back
    assert result["hand_written_backward_s"] > 0 and result["autograd_loop_s"] > 0
    assert result["speedup"] == pytest.approx(
        result["autograd_loop_s"] / result["hand_written_backward_s"], rel=0.01
    )
