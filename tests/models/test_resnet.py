"""ResNet-50 and the seeds' RF variant: sizes, names, shapes, init and ONNX parity."""

import pytest
import torch

from rfclassify.models import create_model, model_spec
from rfclassify.models.flops import count_macs, count_params

RESNET50_PARAMS = 25_557_032  # torchvision / timm resnet50 at 1000 classes
RESNET50_FC = 2048 * 1000 + 1000


def test_resnet50_parameter_count_matches_torchvision():
    assert count_params(create_model("resnet50", num_classes=1000)) == RESNET50_PARAMS


@pytest.mark.parametrize("classes", [4, 7])
def test_resnet50_rf_parameter_count_is_trunk_plus_dense_head(classes):
    trunk = RESNET50_PARAMS - RESNET50_FC
    expected = trunk + (2048 * 512 + 512) + (512 * classes + classes)
    assert count_params(create_model("resnet50_rf", num_classes=classes)) == expected


def test_registry_specs():
    assert (model_spec("resnet50").family, model_spec("resnet50").img_size) == ("resnet", 224)
    assert (model_spec("resnet50_rf").family, model_spec("resnet50_rf").img_size) == ("resnet", 180)
    assert create_model("resnet50_rf").rfclassify_spec["img_size"] == 180


def test_timm_names_and_v15_strides():
    model = create_model("resnet50", num_classes=1000)
    keys = set(model.state_dict())
    for key in (
        "conv1.weight",
        "bn1.running_var",
        "layer1.0.downsample.0.weight",
        "layer1.0.downsample.1.bias",
        "layer3.5.bn3.weight",
        "layer4.2.conv3.weight",
        "fc.weight",
    ):
        assert key in keys, key
    assert [len(getattr(model, f"layer{i}")) for i in range(1, 5)] == [3, 4, 6, 3]
    assert model.layer2[0].conv1.stride == (1, 1)  # v1.5: the stride sits on the 3x3
    assert model.layer2[0].conv2.stride == (2, 2)
    assert model.layer2[0].downsample[0].stride == (2, 2)


def test_rf_head_names_replace_fc():
    model = create_model("resnet50_rf", num_classes=4)
    keys = set(model.state_dict())
    assert {"head.fc1.weight", "head.fc1.bias", "head.fc2.weight", "head.fc2.bias"} <= keys
    assert not any(k.startswith("fc.") for k in keys)
    assert model.head.fc1.weight.shape == (512, 2048)
    assert model.head.fc2.weight.shape == (4, 512)
    assert isinstance(model.head.act, torch.nn.ReLU)
    # the hidden layer is rectified: negative pre-activations cannot reach fc2
    pooled = torch.randn(3, 2048)
    hidden = model.head.act(model.head.fc1(pooled))
    assert (hidden >= 0).all()
    torch.testing.assert_close(model.head(pooled), model.head.fc2(hidden))


def test_resnet50_macs_match_the_reference():
    # 4.1 GMACs at 224x224 (torchvision / THOP "FLOPs"); the 180x180 RF input is ~(180/224)^2.
    macs = count_macs(create_model("resnet50", num_classes=1000), (3, 224, 224))
    assert abs(macs / 4.09e9 - 1) < 0.01


@pytest.mark.parametrize("name", ["resnet50", "resnet50_rf"])
@pytest.mark.parametrize("in_chans", [1, 3])
def test_forward_shapes_at_native_size(name, in_chans):
    torch.manual_seed(0)
    size = model_spec(name).img_size
    model = create_model(name, num_classes=4, in_chans=in_chans).eval()
    assert model.conv1.weight.shape[1] == in_chans
    x = torch.randn(4, in_chans, size, size)
    with torch.no_grad():
        y4 = model(x)
        y1 = model(x[:1])
        feats = model.forward_features(x[:1])
    assert y4.shape == (4, 4) and y1.shape == (1, 4)
    assert torch.isfinite(y4).all()
    torch.testing.assert_close(y1, y4[:1], atol=1e-4, rtol=1e-4)  # eval: samples independent
    assert feats.shape == (1, 2048, -(-size // 32), -(-size // 32))


def test_zero_init_last_makes_identity_blocks():
    torch.manual_seed(0)
    model = create_model("resnet50_rf").eval()
    block = model.layer1[1]  # no downsample: with bn3 gamma = 0 it passes x >= 0 through
    assert torch.count_nonzero(block.bn3.weight) == 0
    x = torch.rand(1, 256, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x)
    plain = create_model("resnet50_rf", zero_init_last=False).eval()
    assert torch.all(plain.layer1[1].bn3.weight == 1)
    with torch.no_grad():
        assert not torch.allclose(plain.layer1[1](x), x)


def test_training_step_reaches_stem_and_head():
    torch.manual_seed(0)
    model = create_model("resnet50_rf", num_classes=4, in_chans=1).train()
    x, target = torch.randn(2, 1, 64, 64), torch.tensor([0, 3])
    torch.nn.functional.cross_entropy(model(x), target).backward()
    for param in (model.conv1.weight, model.head.fc1.weight, model.head.fc2.bias):
        assert param.grad is not None and param.grad.abs().sum() > 0


def test_resnet50_rf_onnx_parity(tmp_path, export_and_check):
    torch.manual_seed(0)
    export_and_check(create_model("resnet50_rf", in_chans=1), tmp_path, (1, 180, 180))


@pytest.mark.slow
def test_resnet50_onnx_parity(tmp_path, export_and_check):
    torch.manual_seed(0)
    export_and_check(create_model("resnet50", in_chans=3), tmp_path, (3, 224, 224))
