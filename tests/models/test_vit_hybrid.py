"""R50+ViT-B/16 hybrid: timm's size and names, token grid, small variants and ONNX parity."""

import pytest
import torch

from rfclassify.models import create_model, model_spec
from rfclassify.models.flops import count_params
from rfclassify.models.vit_hybrid import StdConv2dSame, same_padding

# timm vit_base_r50_s16_224 at 1000 classes: ViT-B/16 (86,567,656) without its 16x16 patch
# projection (590,592), plus the 1x1 projection 1024 -> 768 (787,200) and the BiT R50 stages 1-3
# with stage 3 extended to 9 blocks (11,894,848).
HYBRID_PARAMS = 98_659_112
BIT_BACKBONE_PARAMS = 11_894_848
SMALL = dict(embed_dim=192, depth=2, num_heads=3)


def test_parameter_count_matches_timm():
    model = create_model("vit_hybrid_r50", num_classes=1000)
    assert count_params(model) == HYBRID_PARAMS
    assert count_params(model.patch_embed.backbone) == BIT_BACKBONE_PARAMS
    assert model.pos_embed.shape == (1, 14 * 14 + 1, 768)
    spec = model_spec("vit_hybrid_r50")
    assert (spec.family, spec.img_size) == ("hybrid", 224)


def test_timm_key_names():
    model = create_model("vit_hybrid_r50", num_classes=1000)
    sd = model.state_dict()
    shapes = {
        "patch_embed.backbone.stem.conv.weight": (64, 3, 7, 7),
        "patch_embed.backbone.stem.norm.weight": (64,),
        "patch_embed.backbone.stages.0.blocks.0.downsample.conv.weight": (256, 64, 1, 1),
        "patch_embed.backbone.stages.1.blocks.0.downsample.norm.bias": (512,),
        "patch_embed.backbone.stages.2.blocks.8.norm3.weight": (1024,),
        "patch_embed.backbone.stages.2.blocks.8.conv2.weight": (256, 256, 3, 3),
        "patch_embed.proj.weight": (768, 1024, 1, 1),
        "cls_token": (1, 1, 768),
        "blocks.11.attn.qkv.weight": (2304, 768),
        "blocks.11.mlp.fc1.weight": (3072, 768),
        "norm.weight": (768,),
        "head.weight": (1000, 768),
    }
    for key, shape in shapes.items():
        assert tuple(sd[key].shape) == shape, key
    assert "patch_embed.backbone.stages.2.blocks.9.conv1.weight" not in sd  # 3, 4, 9 blocks
    assert "patch_embed.backbone.stages.3.blocks.0.conv1.weight" not in sd  # no stage 4


def test_bn_backbone_takes_a_resnet50_trunk():
    torch.manual_seed(0)
    resnet = create_model("resnet50", num_classes=1000)
    trunk = {k: v for k, v in resnet.state_dict().items() if not k.startswith(("layer4", "fc"))}
    model = create_model("vit_hybrid_r50", num_classes=1000, backbone="bn")
    model.patch_embed.backbone.load_state_dict(trunk)  # strict: every key and shape matches
    trunk_params = sum(v.numel() for k, v in resnet.named_parameters() if k in trunk)
    assert count_params(model) == HYBRID_PARAMS - BIT_BACKBONE_PARAMS + trunk_params


def test_same_padding_is_tf_style():
    assert same_padding(224, 7, 2) == (2, 3)  # stem conv
    assert same_padding(112, 3, 2) == (0, 1)  # stem pool and strided 3x3 on even maps
    assert same_padding(14, 3, 1) == (1, 1)
    assert same_padding(15, 3, 2) == (1, 1)


def test_std_conv_ignores_filter_scale_and_offset():
    torch.manual_seed(0)
    conv = StdConv2dSame(8, 4, 3, stride=2)
    x = torch.randn(2, 8, 10, 10)
    y = conv(x)
    assert y.shape == (2, 4, 5, 5)
    with torch.no_grad():
        conv.weight.mul_(3.0).add_(0.5)  # per-filter affine changes vanish after standardising
    torch.testing.assert_close(conv(x), y, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("in_chans", [1, 3])
def test_forward_shapes_at_224(in_chans):
    torch.manual_seed(0)
    overrides = {} if in_chans == 3 else {"depth": 2}  # the full encoder once is enough
    model = create_model("vit_hybrid_r50", in_chans=in_chans, **overrides).eval()
    x = torch.randn(4, in_chans, 224, 224)
    with torch.no_grad():
        tokens = model.forward_features(x)  # class token + the 14x14 grid
        y4 = model.forward_head(tokens)
        y1 = model(x[:1])
    assert tokens.shape == (4, 1 + 14 * 14, 768)
    assert y4.shape == (4, 4) and y1.shape == (1, 4)
    assert torch.isfinite(y4).all()
    torch.testing.assert_close(y1, y4[:1], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("backbone", ["bit", "bn"])
@pytest.mark.parametrize("in_chans", [1, 3])
def test_small_hybrid_at_32(backbone, in_chans):
    model = create_model(
        "vit_hybrid_r50", img_size=32, in_chans=in_chans, backbone=backbone, **SMALL
    ).eval()
    assert model.patch_embed.grid_size == (2, 2)  # R50 stages 1-3 at stride 16
    assert model.pos_embed.shape == (1, 5, 192)
    with torch.no_grad():
        for batch in (1, 4):
            assert model(torch.randn(batch, in_chans, 32, 32)).shape == (batch, 4)


def test_vit_b_hybrid_at_32_only_shrinks_the_position_table():
    model = create_model("vit_hybrid_r50", num_classes=1000, img_size=32)
    assert count_params(model) == HYBRID_PARAMS - (197 - 5) * 768
    with torch.no_grad():
        assert model.eval()(torch.randn(2, 3, 32, 32)).shape == (2, 1000)


def test_overrides_and_bad_arguments():
    model = create_model(
        "vit_hybrid_r50", img_size=32, drop_path_rate=0.1, init_values=1e-5, **SMALL
    )
    assert len(model.blocks) == 2 and model.blocks[0].attn.num_heads == 3
    assert model.blocks[-1].drop_path1.drop_prob == pytest.approx(0.1)
    assert model.blocks[0].ls1.gamma.shape == (192,)
    with pytest.raises(ValueError, match="backbone"):
        create_model("vit_hybrid_r50", img_size=32, backbone="vgg", **SMALL)
    with pytest.raises(ValueError, match="stages"):
        create_model("vit_hybrid_r50", img_size=32, backbone_layers=(1, 1, 1, 1, 1), **SMALL)


def test_gradients_reach_the_cnn():
    torch.manual_seed(0)
    model = create_model(
        "vit_hybrid_r50", img_size=32, in_chans=1, backbone_layers=(1, 1, 1), **SMALL
    ).train()
    x, target = torch.randn(2, 1, 32, 32), torch.tensor([1, 2])
    torch.nn.functional.cross_entropy(model(x), target).backward()
    for param in (model.patch_embed.backbone.stem.conv.weight, model.pos_embed, model.cls_token):
        assert param.grad is not None and param.grad.abs().sum() > 0


def test_small_hybrid_onnx_parity(tmp_path, export_and_check):
    # Same ops as the full model (weight standardisation, GroupNorm, TF "same" pads, -inf pool).
    torch.manual_seed(0)
    model = create_model(
        "vit_hybrid_r50", img_size=32, in_chans=1, backbone_layers=(1, 1, 1), **SMALL
    )
    export_and_check(model, tmp_path, (1, 32, 32))


@pytest.mark.slow
def test_vit_hybrid_r50_onnx_parity(tmp_path, export_and_check):
    torch.manual_seed(0)
    export_and_check(create_model("vit_hybrid_r50", in_chans=3), tmp_path, (3, 224, 224))


def test_the_hybrid_is_a_vit_with_attention_maps():
    from rfclassify.models.vit import VisionTransformer

    model = create_model("vit_hybrid_r50", img_size=32, depth=2, embed_dim=64, num_heads=4)
    assert isinstance(model, VisionTransformer)
    maps = model.eval().get_attention_maps(torch.randn(2, 3, 32, 32), layer_idx=-1)
    assert maps.shape == (2, 4, 5, 5)  # cls + a 2x2 grid of CNN features
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, 4, 5))
