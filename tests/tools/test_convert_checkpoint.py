"""Round trip: eva_mm weights -> official-style file -> tools/convert_checkpoint.py -> init_cfg load."""
import subprocess
import sys
from pathlib import Path

import torch

import eva_mm  # noqa: F401
from eva_mm.checkpoint.loading import load_pretrained
from eva_mm.models.backbones import EVA

ROOT = Path(__file__).resolve().parents[2]
TINY = dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64, mlp_type='gelu', use_rope=False)


def test_tool_round_trip_has_no_missing_keys(tmp_path) -> None:
    torch.manual_seed(0)
    source = EVA(arch=TINY, img_size=56, final_norm=True)
    src = tmp_path / 'eva_psz14.pt'
    torch.save({'model': {**source.state_dict(), 'mask_token': torch.zeros(1, 1, 32),
                          'lm_head.weight': torch.zeros(8, 32)}}, src)
    dst = tmp_path / 'converted' / 'eva_p16.pth'
    run = subprocess.run([sys.executable, str(ROOT / 'tools' / 'convert_checkpoint.py'), str(src), str(dst),
                          '--patch-size', '16'], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert 'detected format: official' in run.stdout and dst.is_file()
    saved = torch.load(dst, weights_only=True)
    assert saved['state_dict']['patch_embed.proj.weight'].shape[-1] == 16
    assert 'mask_token' not in saved['state_dict'] and 'lm_head.weight' not in saved['state_dict']

    model = EVA(arch=TINY, img_size=48, patch_size=16, pretrain_img_size=48, final_norm=True,
                init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    model.init_weights()
    report = load_pretrained(model, str(dst))
    assert report.missing == [] and report.unexpected == [] and report.mismatched == []
    torch.testing.assert_close(model.blocks[0].mlp.fc1.weight, source.blocks[0].mlp.fc1.weight)
