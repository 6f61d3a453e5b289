"""Vision Transformer family: sizes, shapes, attention maps, regularisers and ONNX parity."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rfclassify.models import create_model, list_models, model_spec
from rfclassify.models.flops import count_params
from rfclassify.models.onnx_export import check_parity, export_onnx
from rfclassify.models.vit import VisionTransformer

NAMES = [
    "vit_tiny_patch16",
    "vit_small_patch16",
    "vit_base_patch16",
    "vit_base_patch16_32",
    "vit_base_patch32_32",
    "vit_tiny_patch4_32",
]


def _small(**overrides) -> VisionTransformer:
    kwargs = dict(img_size=32, patch_size=8, in_chans=1, num_classes=4, embed_dim=48)
    kwargs.update(depth=3, num_heads=4, **overrides)
    return VisionTransformer(**kwargs)


def test_registered():
    assert set(NAMES) <= set(list_models())
    assert all(model_spec(n).family == "vit" for n in NAMES)
    assert model_spec("vit_tiny_patch4_32").img_size == 32
    assert model_spec("vit_base_patch16").img_size == 224


def _on_meta(name: str, **kwargs) -> VisionTransformer:
    """Shapes without storage: counting parameters of ViT-B need not allocate 350 MB."""
    with torch.device("meta"):
        return create_model(name, **kwargs)


def test_param_counts_match_timm():
    assert count_params(_on_meta("vit_base_patch16", num_classes=1000)) == 86_567_656
    tiny = count_params(_on_meta("vit_tiny_patch16", num_classes=1000))
    small = count_params(_on_meta("vit_small_patch16", num_classes=1000))
    assert abs(tiny - 5.72e6) / 5.72e6 < 0.01
    assert abs(small - 22.05e6) / 22.05e6 < 0.01


def test_timm_parameter_names():
    keys = set(_on_meta("vit_tiny_patch4_32", init_values=1e-5).state_dict())
    for key in [
        "cls_token",
        "pos_embed",
        "patch_embed.proj.weight",
        "blocks.0.norm1.weight",
        "blocks.0.attn.qkv.weight",
        "blocks.0.attn.proj.bias",
        "blocks.0.ls1.gamma",
        "blocks.11.mlp.fc2.weight",
        "blocks.11.ls2.gamma",
        "norm.weight",
        "head.weight",
    ]:
        assert key in keys, key
    assert not any(k.startswith("fc_norm") for k in keys)
    avg = set(_on_meta("vit_tiny_patch4_32", global_pool="avg").state_dict())
    assert "fc_norm.weight" in avg and "norm.weight" not in avg


def test_pos_embed_follows_img_size():
    model = create_model("vit_tiny_patch16", img_size=64, in_chans=1)
    assert model.pos_embed.shape == (1, 16 + 1, 192)
    assert model(torch.randn(2, 1, 64, 64)).shape == (2, 4)
    assert _on_meta("vit_base_patch16_32").pos_embed.shape == (1, 5, 768)
    assert _on_meta("vit_base_patch32_32").pos_embed.shape == (1, 2, 768)
    assert _on_meta("vit_tiny_patch4_32").pos_embed.shape == (1, 65, 192)


def test_img_size_not_multiple_of_patch():
    with pytest.raises(ValueError, match="multiple of patch_size"):
        create_model("vit_tiny_patch16", img_size=100)
    with pytest.raises(ValueError, match="global_pool"):
        _small(global_pool="max")


def test_wrong_input_size_is_a_clear_error():
    with pytest.raises(ValueError, match="built for"):
        _small()(torch.randn(1, 1, 64, 64))


@pytest.mark.parametrize(
    ("name", "in_chans"),
    [
        ("vit_tiny_patch16", 1),
        ("vit_tiny_patch16", 3),
        ("vit_tiny_patch4_32", 1),
        ("vit_tiny_patch4_32", 3),
        ("vit_base_patch16_32", 1),
    ],
)
def test_forward_shapes(name, in_chans):
    size = model_spec(name).img_size
    model = create_model(name, num_classes=5, in_chans=in_chans).eval()
    with torch.no_grad():
        for batch in (1, 4):
            out = model(torch.randn(batch, in_chans, size, size))
            assert out.shape == (batch, 5)
            assert torch.isfinite(out).all()


def test_forward_features_and_head():
    model = _small().eval()
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        tokens = model.forward_features(x)
        assert tokens.shape == (3, 1 + 16, 48)
        # the final LayerNorm was applied to every token
        assert torch.allclose(tokens.mean(-1), torch.zeros(3, 17), atol=1e-5)
        assert torch.allclose(model.forward_head(tokens), model(x))
        assert torch.allclose(model.forward_head(tokens, pre_logits=True), tokens[:, 0])


def test_avg_pool_ignores_cls_token():
    model = _small(global_pool="avg").eval()
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        tokens = model.forward_features(x)
        expected = model.head(model.fc_norm(tokens[:, 1:].mean(1)))
        assert torch.allclose(model(x), expected, atol=1e-6)
        tokens[:, 0] += 100.0  # the cls token plays no part in the 'avg' head
        assert torch.allclose(model.forward_head(tokens), expected, atol=1e-6)


def test_init_is_timm_like():
    torch.manual_seed(0)
    model = create_model("vit_tiny_patch16")
    for tensor in (model.pos_embed, model.blocks[0].attn.qkv.weight, model.head.weight):
        assert 0.015 < tensor.std().item() < 0.025
    assert model.blocks[0].attn.qkv.bias.abs().max() == 0
    assert model.cls_token.abs().max() > 0


def test_attention_maps_base_224():
    model = create_model("vit_base_patch16").eval()
    with torch.no_grad():
        maps = model.get_attention_maps(torch.randn(2, 3, 224, 224), layer_idx=0)
    assert maps.shape == (2, 12, 197, 197)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 12, 197), atol=1e-5)


def test_attention_maps_layers():
    model = create_model("vit_tiny_patch4_32", in_chans=1).eval()
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        last = model.get_attention_maps(x)
        assert last.shape == (2, 3, 65, 65)
        assert torch.allclose(last.sum(-1), torch.ones(2, 3, 65), atol=1e-5)
        assert (last >= 0).all()
        assert torch.equal(last, model.get_attention_maps(x, layer_idx=11))
        assert torch.equal(model.get_attention_maps(x, -2), model.get_attention_maps(x, 10))
        assert not torch.allclose(model.get_attention_maps(x, 0), last)
        # layer 0 sees the embedded tokens directly
        tokens = model._tokens(x)
        block = model.blocks[0]
        assert torch.allclose(
            model.get_attention_maps(x, 0), block.attn.attention_map(block.norm1(tokens))
        )
    for bad in (12, -13):
        with pytest.raises(IndexError):
            model.get_attention_maps(x, bad)


def test_fused_attention_equals_explicit_softmax():
    torch.manual_seed(0)
    model = _small().eval()
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        fused = model(x)
        # the same network, with every attention computed as softmax(QK^T / sqrt(d)) V
        h = model._tokens(x)
        for block in model.blocks:
            attn = block.attn
            b, n, c = h.shape
            y = block.norm1(h)
            q, k, v = attn.qkv(y).reshape(b, n, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
            weights = F.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)
            out = attn.proj((weights @ v).transpose(1, 2).reshape(b, n, c))
            h = h + out
            h = h + block.mlp(block.norm2(h))
        explicit = model.forward_head(model.norm(h))
    assert torch.allclose(fused, explicit, atol=1e-5)


def test_drop_path_is_stochastic_in_train_only():
    torch.manual_seed(0)
    model = _small(drop_path_rate=0.5)
    rates = [getattr(b.drop_path1, "drop_prob", 0.0) for b in model.blocks]
    assert rates == pytest.approx([0.0, 0.25, 0.5])  # linear rule, first block never dropped
    x = torch.randn(8, 1, 32, 32)
    model.train()
    assert not torch.allclose(model(x), model(x))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
    plain = _small().train()
    assert torch.equal(plain(x), plain(x))  # no dropout or drop path by default


def test_layerscale():
    model = create_model("vit_tiny_patch4_32", init_values=1e-5)
    gamma = dict(model.named_parameters())["blocks.0.ls1.gamma"]
    assert gamma.shape == (192,)
    assert torch.allclose(gamma, torch.full((192,), 1e-5))
    assert "blocks.0.ls1.gamma" not in dict(_on_meta("vit_tiny_patch4_32").named_parameters())


def test_encoder_parts_run_on_a_token_subset():
    """What an MAE encoder does: embed, add positions, keep some patches, run the blocks."""
    model = _small().eval()
    x = torch.randn(2, 1, 32, 32)
    patches = model.patch_embed(x) + model.pos_embed[:, 1:]
    keep = patches[:, :4]
    cls = (model.cls_token + model.pos_embed[:, :1]).expand(2, -1, -1)
    with torch.no_grad():
        out = model.norm(model.blocks(torch.cat((cls, keep), dim=1)))
    assert out.shape == (2, 5, 48)


@pytest.mark.parametrize("name", ["vit_tiny_patch16", "vit_tiny_patch4_32"])
def test_onnx_parity(tmp_path, name):
    size = model_spec(name).img_size
    model = create_model(name, in_chans=1)
    inputs = np.random.default_rng(1).standard_normal((3, 1, size, size)).astype(np.float32)
    report = export_onnx(model, tmp_path / f"{name}.onnx", (1, size, size), parity_inputs=inputs)
    assert report.max_abs_diff <= 1e-4


@pytest.mark.slow
def test_onnx_parity_base(tmp_path):
    model = create_model("vit_base_patch16")
    rng = np.random.default_rng(2)
    path = tmp_path / "vit_base.onnx"
    report = export_onnx(
        model, path, (3, 224, 224), parity_inputs=rng.standard_normal((1, 3, 224, 224))
    )
    assert report.max_abs_diff <= 1e-4
    assert (
        check_parity(model, path, rng.standard_normal((2, 3, 224, 224)).astype(np.float32)) <= 1e-4
    )
