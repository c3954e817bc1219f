"""ONNX export: onnxruntime equals PyTorch within 1e-4 at two input sizes for each exported part."""
import os.path as osp

import onnx
import pytest
import torch
from mmengine.config import Config

from eva_mm.apis import get_model
from eva_mm.apis.export import check_onnx, export_onnx
from eva_mm.apis.export_pooling import MatrixAdaptiveAvgPool2d

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG = osp.join(ROOT, 'configs/quickstart/upernet_eva02-mini-p8_400it_ade-shapes-64x64.py')
DET = osp.join(ROOT, 'configs/quickstart/vitdet-mask-rcnn_eva02-mini-p8_1000it_shapes-coco.py')
TOL = 1e-4


def _small_classifier():
    """The EVA-02-B IN-1K fine-tuning config at a test size (2 blocks of 64, patch 8, 32 px, 10 classes)."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/eva02/eva02-b-p14_mim-in21k-pre_16xb64-30e_in1k-448px.py'))
    cfg.model.backbone.update(arch=dict(embed_dims=64, depth=2, num_heads=2, mlp_hidden=170), img_size=32,
                              patch_size=8, init_cfg=None)
    cfg.model.neck.in_channels = 64
    cfg.model.head.update(in_channels=64, num_classes=10)
    return get_model(cfg)


def _seeded(build):
    torch.manual_seed(0)
    return build()


def _mixed_rank_products(path):
    """Binary elementwise nodes of two computed tensors (not a weight or a constant) whose ranks differ."""
    model = onnx.shape_inference.infer_shapes(onnx.load(path))
    fixed = {t.name for t in model.graph.initializer}
    fixed |= {o for n in model.graph.node if n.op_type == 'Constant' for o in n.output}
    rank = {v.name: len(v.type.tensor_type.shape.dim) for v in list(model.graph.value_info) + list(model.graph.input)
            if v.type.tensor_type.HasField('shape')}
    return [n.name for n in model.graph.node if n.op_type in ('Mul', 'Add', 'Sub', 'Div')
            and not fixed & set(n.input) and all(i in rank for i in n.input)
            and len({rank[i] for i in n.input}) > 1]


def test_backbone_dynamic_batch_and_size(tmp_path):
    model = _seeded(lambda: get_model(SEG)).backbone
    path = export_onnx(model, 'backbone', str(tmp_path / 'backbone.onnx'), input_size=(48, 48))
    errors = check_onnx(model, 'backbone', path, [(1, 64, 64), (2, 96, 80)])
    assert max(errors.values()) < TOL, errors
    # RoPE products: the tables take q/k's rank in the graph (no implicit rank broadcast for TensorRT)
    rope_nodes = [n for n in onnx.load(path).graph.node if 'rope' in n.name.lower() or n.op_type == 'Sin']
    assert rope_nodes, 'RoPE tables are computed in the graph (dynamic size)'


def test_rope_products_have_equal_ranks(tmp_path):
    model = _seeded(lambda: get_model(SEG)).backbone
    path = export_onnx(model, 'backbone', str(tmp_path / 'backbone.onnx'), input_size=(48, 48))
    # in attention, only the Linear bias adds ([B, N, C] + [C]) may mix ranks: q/k times the sin/cos tables do not
    mixed = [n for n in _mixed_rank_products(path) if '/attn/' in n]
    assert mixed and all(n.endswith('/proj/Add') for n in mixed), mixed


def test_classifier_dynamic_batch_and_size(tmp_path):
    model = _seeded(_small_classifier)
    path = export_onnx(model, 'classifier', str(tmp_path / 'cls.onnx'), input_size=(40, 40))
    errors = check_onnx(model, 'classifier', path, [(1, 32, 32), (3, 48, 40)])
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize('h, w', [(4, 4), (7, 5), (12, 18), (3, 2)])
def test_matrix_pooling_equals_adaptive_pooling(h, w):
    x = torch.randn(2, 3, h, w, generator=torch.Generator().manual_seed(h * w))
    for bins in (1, 2, 3, 6):  # divisible, not divisible, and more bins than rows (then bins overlap)
        got = MatrixAdaptiveAvgPool2d((bins, bins))(x)
        torch.testing.assert_close(got, torch.nn.functional.adaptive_avg_pool2d(x, bins), rtol=0, atol=1e-6)


def test_upernet_segmentor_dynamic_batch_and_size(tmp_path):
    model = _seeded(lambda: get_model(SEG))
    pools = [m for m in model.modules() if isinstance(m, torch.nn.AdaptiveAvgPool2d)]
    path = export_onnx(model, 'segmentor', str(tmp_path / 'seg.onnx'), input_size=(48, 48))
    # the pyramid pooling's last level is 1/32 of the input: 2x2 at 64 px, 3x2.5 -> 3x3 at 96x80, 2x2 at 40x56
    errors = check_onnx(model, 'segmentor', path, [(1, 64, 64), (2, 96, 80), (1, 40, 56)])
    assert max(errors.values()) < TOL, errors
    assert 'AveragePool' not in {n.op_type for n in onnx.load(path).graph.node}  # pooled by matrices, sized live
    assert [m for m in model.modules() if isinstance(m, torch.nn.AdaptiveAvgPool2d)] == pools  # put back


def test_detector_backbone_and_pyramid(tmp_path):
    model = _seeded(lambda: get_model(DET))
    # windowed backbones: window partition is traced with the export's batch and size, so both stay fixed
    errors = {}
    for h, w in ((128, 128), (192, 128)):
        path = export_onnx(model, 'detector-features', str(tmp_path / f'det{h}.onnx'), input_size=(h, w),
                           dynamic_spatial=False, batch_size=1)
        errors.update(check_onnx(model, 'detector-features', path, [(1, h, w)]))
    assert max(errors.values()) < TOL, errors


def test_unknown_part_and_wrong_model_are_errors(tmp_path):
    model = _seeded(lambda: get_model(SEG))
    with pytest.raises(ValueError, match='unknown export part'):
        export_onnx(model, 'head', str(tmp_path / 'x.onnx'))
    with pytest.raises(ValueError, match='ImageClassifier'):
        export_onnx(model, 'classifier', str(tmp_path / 'x.onnx'))


def test_export_tool_reports_parity(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location('export_onnx_tool', osp.join(ROOT, 'tools/export_onnx.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    torch.manual_seed(0)
    errors = tool.main([SEG, 'backbone', str(tmp_path / 'b.onnx'), '--size', '48', '48', '--check', '64', '64',
                        '32', '40'])
    assert set(errors) == {(1, 64, 64), (1, 32, 40)} and max(errors.values()) < TOL
    with pytest.raises(ValueError, match='H W pairs'):
        tool.main([SEG, 'backbone', str(tmp_path / 'c.onnx'), '--size', '48', '48', '--check', '64'])
