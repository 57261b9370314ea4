import pytest
import timm
import torch

from ghost_mm.weights import CheckpointError, convert_ghostnet_checkpoint
from ghost_mm.models import GhostNet
from convert_checkpoint import main as convert_main
from helpers import randomise_bn

# timm's blocks at the end of each resolution = our six levels
TIMM_LEVEL_BLOCKS = (0, 2, 4, 6, 8, 9)


@pytest.mark.parametrize('name, width, version', [
    ('ghostnet_100', 1.0, 'v1'), ('ghostnet_130', 1.3, 'v1'),
    ('ghostnetv2_100', 1.0, 'v2'), ('ghostnetv3_100', 1.0, 'v3')])
def test_timm_checkpoint_converts_and_matches_timm(tmp_path, name, width, version):
    reference = timm.create_model(name, pretrained=False).eval()
    randomise_bn(reference)
    src = tmp_path / f'{name}.pth.tar'
    # as timm's train script saves it, wrapped, with the classifier
    torch.save({'state_dict': reference.state_dict(), 'arch': name}, src)
    dst = tmp_path / 'converted.pth'
    convert_main([str(src), str(dst)])

    model = GhostNet(width, out_indices=tuple(range(6)), version=version,
                     init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    model.init_weights()
    model.eval()
    taps = []
    for i in TIMM_LEVEL_BLOCKS:
        reference.blocks[i].register_forward_hook(lambda m, inp, out: taps.append(out))
    x = torch.randn(2, 3, 224, 160)
    with torch.no_grad():
        reference.forward_features(x)
        ours = model(x)
    assert len(taps) == len(ours) == 6
    for level, (a, b) in enumerate(zip(taps, ours)):
        assert a.shape == b.shape
        assert (a - b).abs().max() <= 1e-5, f'level {level}'


def test_official_style_file_with_profiler_keys(tmp_path):
    reference = timm.create_model('ghostnet_100', pretrained=False)
    state = {f'module.{k}': v for k, v in reference.state_dict().items()}
    state['total_ops'] = torch.zeros(1, dtype=torch.float64)
    state['blocks.0.0.ghost1.total_params'] = torch.zeros(1)
    for key in [k for k in state if k.endswith('num_batches_tracked')][:3]:
        del state[key]  # pre-0.4.1 files have no BN counters
    src = tmp_path / 'state_dict_73.98.pth'
    torch.save(state, src)
    converted, width, version = convert_ghostnet_checkpoint(src, tmp_path / 'out.pth')
    assert (width, version) == (1.0, 'v1')
    model = GhostNet(1.0)
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    torch.testing.assert_close(model.blocks[4][0].se.conv_reduce.weight,
                               reference.blocks[4][0].se.conv_reduce.weight)


def test_width_mismatch_is_refused(tmp_path):
    src = tmp_path / 'g130.pth'
    torch.save(timm.create_model('ghostnet_130').state_dict(), src)
    with pytest.raises(CheckpointError, match=r'1\.3x GhostNet.*widen_factor=1\.0'):
        convert_ghostnet_checkpoint(src, tmp_path / 'x.pth', widen_factor=1.0)
    assert not (tmp_path / 'x.pth').exists()
    dst = tmp_path / 'g130_converted.pth'
    convert_ghostnet_checkpoint(src, dst)
    model = GhostNet(1.0, init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    with pytest.raises(CheckpointError, match=r'it is a 1\.3x GhostNet: set widen_factor=1\.3'):
        model.init_weights()


def test_not_a_ghostnet_or_not_weights(tmp_path):
    resnet = tmp_path / 'resnet.pth'
    torch.save({'conv1.weight': torch.zeros(64, 3, 7, 7)}, resnet)
    with pytest.raises(CheckpointError, match='not a GhostNet'):
        convert_ghostnet_checkpoint(resnet)

    class Evil:
        def __reduce__(self):
            return (print, ('pwned',))
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': Evil()}, evil)
    with pytest.raises(CheckpointError, match='weights_only=True'):
        convert_ghostnet_checkpoint(evil)
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        convert_ghostnet_checkpoint(tmp_path / 'nothere.pth')
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(resnet.read_bytes()[:100])
    with pytest.raises(CheckpointError, match='truncated'):
        convert_ghostnet_checkpoint(truncated)


def test_convert_tool_exits_with_message(tmp_path, capsys):
    with pytest.raises(SystemExit, match='checkpoint file not found'):
        convert_main([str(tmp_path / 'missing.pth'), str(tmp_path / 'out.pth')])


def test_official_v3_file_names_its_branch_norms_bn(tmp_path):
    reference = randomise_bn(timm.create_model('ghostnetv3_100')).eval()
    # the official V3 code names the branch norms `bn` (timm renames them `bn1`)
    official = {f'module.{k.replace(".bn1.", ".bn.") if "_rpr_" in k else k}': v
                for k, v in reference.state_dict().items()}
    assert any('_rpr_conv.0.bn.weight' in k for k in official)
    src = tmp_path / 'ghostnetv3-1.0.pth.tar'
    torch.save({'state_dict': official, 'epoch': 300}, src)
    dst = tmp_path / 'ghostnetv3_1.0x.pth'
    convert_main([str(src), str(dst), '--version', 'v3'])
    model = GhostNet(out_indices=(5,), version='v3',
                     init_cfg=dict(type='Pretrained', checkpoint=str(dst))).eval()
    model.init_weights()
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        assert torch.equal(model(x)[0], reference.forward_features(x))


def test_version_mismatch_is_named(tmp_path):
    src = tmp_path / 'v2.pth'
    torch.save(timm.create_model('ghostnetv2_100').state_dict(), src)
    with pytest.raises(CheckpointError, match=r"GhostNet v2 checkpoint, but version='v1'"):
        convert_ghostnet_checkpoint(src, tmp_path / 'x.pth', version='v1')
    assert not (tmp_path / 'x.pth').exists()
    model = GhostNet(version='v1', init_cfg=dict(type='Pretrained', checkpoint=str(src)))
    with pytest.raises(CheckpointError, match=r"it is a GhostNet v2 checkpoint: set version='v2'"):
        model.init_weights()


def test_reparameterised_v3_file_is_refused_with_the_reason(tmp_path):
    deployed = timm.create_model('ghostnetv3_100').eval()
    deployed.convert_to_deploy()
    src = tmp_path / 'v3_deploy.pth'
    torch.save(deployed.state_dict(), src)
    with pytest.raises(CheckpointError, match='re-parameterised'):
        convert_ghostnet_checkpoint(src)
