"""The toolboxes' inferencers on eva_mm configs and names give what tools/test.py gives on the same model.

Each model is an eva_mm config at its quickstart (or a tiny) size with random weights saved to a checkpoint
first; the inferencer runs on the folder of generated images tools/test.py evaluated, batched, and writes its
pictures and predictions as the toolbox does.
"""
import glob
import importlib.util
import json
import os.path as osp
import pickle
import types

import cv2
import numpy as np
import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

import eva_mm  # (hooks the inferencers)
from eva_mm.apis import released_weights
from eva_mm.apis.inferencers import _metafile_lookup, _pretrain_get_model, inference_config, resolve_name

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET_CONFIG = osp.join(ROOT, 'configs/quickstart/vitdet-mask-rcnn_eva02-mini-p8_1000it_shapes-coco.py')
SEG_CONFIG = osp.join(ROOT, 'configs/quickstart/upernet_eva02-mini-p8_400it_ade-shapes-64x64.py')
CLS_BASE = osp.join(ROOT, 'configs/eva02/eva02-b-p14_mim-in21k-pre_16xb64-30e_in1k-448px.py')
# Third-party and harmless: mmdet's visualiser under NumPy 2 and at image borders, mmseg's test hook (tools/test.py)
# when nothing is drawn.
pytestmark = pytest.mark.filterwarnings('ignore:__array_wrap__ must accept context:DeprecationWarning',
                                        'ignore:Warning. The (bbox|polygon) is out of bounds:UserWarning',
                                        'ignore:The draw is False:UserWarning')


def run_test_tool(config, checkpoint, tmp, options):
    """tools/test.py CONFIG CHECKPOINT --out preds.pkl; the dumped predictions by image file name."""
    spec = importlib.util.spec_from_file_location('eva_mm_test_tool', osp.join(ROOT, 'tools/test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp / 'preds.pkl')
    # its own visualiser: mmengine keeps one per name per process, and warns when a name comes back
    options = dict(options, **{'visualizer.name': f'test_tool_{osp.basename(config)}'})
    tool.main([config, checkpoint, '--out', out, '--work-dir', str(tmp / 'work'), '--cfg-options']
              + [f'{k}={v}' for k, v in options.items()])
    with open(out, 'rb') as f:
        return {osp.basename(p['img_path']): p for p in pickle.load(f)}


def random_checkpoint(cfg, scope, path, metainfo):
    """The config's model with seeded random weights, saved with its data set's classes and palette."""
    from mmengine.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=metainfo)), path)
    return path


def loader_options(root, **generator):
    options = {'test_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
               'test_dataloader.dataset.root': root, 'test_dataloader.dataset.dataset.data_root': root}
    options.update({f'test_dataloader.dataset.{k}': v for k, v in generator.items()})
    return options


def tiny_zoo(tmp_path, name, config, weights):
    """A model index of one entry (``name``: ``config`` with released ``weights``), as eva_mm's metafiles."""
    (tmp_path / 'metafile.yml').write_text(yaml.safe_dump(dict(
        Collections=[dict(Name='Tiny')],
        Models=[dict(Name=name, **{'In Collection': 'Tiny'}, Config=config, Weights=weights)])))
    (tmp_path / 'model-index.yml').write_text(yaml.safe_dump(dict(Import=['metafile.yml'])))
    return str(tmp_path / 'model-index.yml')


def test_det_inferencer_matches_tools_test(tmp_path, monkeypatch):
    from mmdet.apis import DetInferencer
    cfg = Config.fromfile(DET_CONFIG)
    metainfo = dict(classes=list(cfg.metainfo['classes']), palette=[list(p) for p in cfg.metainfo['palette']])
    checkpoint = random_checkpoint(cfg, 'mmdet', str(tmp_path / 'det.pth'), metainfo)
    root = str(tmp_path / 'shapes')
    options = loader_options(root, num_train=1, num_val=2)
    options['test_evaluator.ann_file'] = f'{root}/annotations/instances_val.json'
    expected = run_test_tool(DET_CONFIG, checkpoint, tmp_path, options)
    folder = osp.join(root, 'val')
    assert sorted(expected) == sorted(osp.basename(p) for p in glob.glob(osp.join(folder, '*')))

    # by zoo name: the entry's config (the quickstart, a generated test set) and its released weights
    monkeypatch.setattr(eva_mm.zoo, 'INDEX_FILE', tiny_zoo(tmp_path, 'tiny-vitdet_shapes', DET_CONFIG, checkpoint))
    inferencer = DetInferencer('tiny-vitdet_shapes', device='cpu')
    out = tmp_path / 'out'
    result = inferencer(folder, batch_size=2, out_dir=str(out), no_save_pred=False, pred_score_thr=0.0)
    assert len(result['predictions']) == len(expected)
    compared = 0
    for name, want in expected.items():
        got = json.loads((out / 'preds' / (osp.splitext(name)[0] + '.json')).read_text())
        want = want['pred_instances']
        assert got['labels'] == want['labels'].tolist()
        np.testing.assert_allclose(got['scores'], want['scores'].numpy(), atol=1e-4)
        np.testing.assert_allclose(np.asarray(got['bboxes']).reshape(-1, 4), want['bboxes'].numpy(), atol=1e-3)
        assert len(got['masks']) == len(want['labels'])
        compared += len(got['labels'])
        picture = cv2.imread(str(out / 'vis' / name))
        assert picture.shape == cv2.imread(osp.join(folder, name)).shape
    assert compared > 0  # random heads still score boxes above the test threshold, so boxes were compared


def test_seg_inferencer_matches_tools_test(tmp_path):
    from mmseg.apis import MMSegInferencer
    cfg = Config.fromfile(SEG_CONFIG)
    metainfo = dict(classes=list(cfg.metainfo['classes']), palette=[list(p) for p in cfg.metainfo['palette']])
    checkpoint = random_checkpoint(cfg, 'mmseg', str(tmp_path / 'seg.pth'), metainfo)
    root = str(tmp_path / 'ade')
    expected = run_test_tool(SEG_CONFIG, checkpoint, tmp_path, loader_options(root, num_train=1, num_val=3))
    files = sorted(glob.glob(osp.join(root, 'images', 'validation', '*.jpg')))
    assert sorted(expected) == [osp.basename(f) for f in files]

    inferencer = MMSegInferencer(SEG_CONFIG, weights=checkpoint, device='cpu')
    out = tmp_path / 'out'
    result = inferencer(files, batch_size=2, out_dir=str(out))  # a list: the saved maps follow its order
    for i, name in enumerate(osp.basename(f) for f in files):
        want = expected[name]['pred_sem_seg']['data'][0].numpy()
        assert len(np.unique(want)) > 1  # random weights, but not one class everywhere
        np.testing.assert_array_equal(result['predictions'][i], want)
        saved = cv2.imread(str(out / 'pred' / f'{i:08d}_pred.png'), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(saved, want)
        assert (out / 'vis' / name).is_file()
    # an array in, an array out, the same map as from the file
    array = inferencer(cv2.imread(files[0]))['predictions']
    np.testing.assert_array_equal(array, expected[osp.basename(files[0])]['pred_sem_seg']['data'][0].numpy())


def _tiny_classifier_config(tmp_path, data_root):
    """A 2-block EVA-02 classifier at 32 px over a folder data set, on the zoo's EVA-02 fine-tuning config."""
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='ResizeEdge', scale=32, edge='short', backend='pillow', interpolation='bicubic'),
                dict(type='CenterCrop', crop_size=32), dict(type='PackInputs')]
    text = f"""_base_ = [{CLS_BASE!r}]
model = dict(data_preprocessor=dict(num_classes=3),
             backbone=dict(arch=dict(_delete_=True, embed_dims=64, depth=2, num_heads=2, mlp_hidden=170), img_size=32,
                           patch_size=8, drop_path_rate=0.0, init_cfg=None),
             neck=dict(in_channels=64), head=dict(num_classes=3, in_channels=64, init_cfg=None))
test_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, pin_memory=False,
                       dataset=dict(_delete_=True, type='CustomDataset', data_root={data_root!r},
                                    pipeline={pipeline!r}))
test_evaluator = dict(type='Accuracy', topk=(1,))
"""
    path = tmp_path / 'tiny_cls.py'
    path.write_text(text)
    return str(path)


def test_classification_inferencer_matches_tools_test(tmp_path, monkeypatch):
    from mmpretrain.apis import ImageClassificationInferencer
    rng = np.random.default_rng(0)
    data_root = tmp_path / 'images'
    for k, name in enumerate(('a', 'b', 'c')):
        (data_root / name).mkdir(parents=True)
        for i in range(2):  # odd sizes: the test pipeline resizes and crops
            cv2.imwrite(str(data_root / name / f'{name}{i}.png'), rng.integers(0, 256, (40 + 4 * k, 36, 3),
                                                                                dtype=np.uint8))
    config = _tiny_classifier_config(tmp_path, str(data_root))
    checkpoint = random_checkpoint(Config.fromfile(config), 'mmpretrain', str(tmp_path / 'cls.pth'),
                                   dict(classes=['a', 'b', 'c']))
    expected = run_test_tool(config, checkpoint, tmp_path, {})
    files = sorted(glob.glob(str(data_root / '*' / '*.png')))
    # by zoo name, through mmpretrain's get_model: the entry's config and (pretrained=True) its released weights
    monkeypatch.setattr(eva_mm.zoo, 'INDEX_FILE', tiny_zoo(tmp_path, 'tiny-eva02_cls', config, checkpoint))
    init_default_scope('mmseg')  # as after building an MMSegInferencer: mmpretrain's pipeline still builds
    inferencer = ImageClassificationInferencer('tiny-eva02_cls', pretrained=True, device='cpu')
    result = inferencer(files, batch_size=4)
    assert len(result) == len(files) == len(expected)
    for file, got in zip(files, result):
        want = expected[osp.basename(file)]
        np.testing.assert_allclose(got['pred_scores'], want['pred_score'].numpy(), atol=1e-5)
        assert got['pred_label'] == int(want['pred_label'])
        assert got['pred_class'] == 'abc'[got['pred_label']]  # the checkpoint's class names


def test_zoo_names_resolve_to_their_config_and_checked_weights():
    name = 'cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco'
    # mmengine's lookup (DetInferencer / MMSegInferencer / ActionRecogInferencer) goes through eva_mm first ...
    from mmengine.infer.infer import BaseInferencer
    cfg, weights = BaseInferencer._load_model_from_metafile(types.SimpleNamespace(scope='mmdet'), name.upper())
    assert cfg.filename.endswith(name + '.py') and weights.startswith('https://')
    assert cfg.test_dataloader.dataset.type == 'CocoDataset'
    # ... and still to the toolbox's own index for other names (a stand-in for it: mmdet's reads ~500 metafiles)
    assert getattr(BaseInferencer._load_model_from_metafile, '_eva_mm_zoo', False)
    lookup = _metafile_lookup(lambda self, model: ('toolbox', model))
    assert lookup(types.SimpleNamespace(scope='mmdet'), 'rtmdet_tiny_8xb32-300e_coco') == (
        'toolbox', 'rtmdet_tiny_8xb32-300e_coco')
    with pytest.raises(ValueError, match="mmdet model.*scope 'mmseg'"):
        resolve_name(name, 'mmseg')
    assert resolve_name('no-such-model', 'mmdet') is None


def test_mmpretrain_get_model_takes_zoo_names():
    import mmpretrain.apis
    import mmpretrain.apis.base
    assert mmpretrain.apis.get_model is mmpretrain.apis.base.get_model  # what ImageClassificationInferencer calls
    assert getattr(mmpretrain.apis.get_model, '_eva_mm_zoo', False)
    get_model = _pretrain_get_model(lambda model, pretrained, *args, **kwargs: (model, pretrained))
    name = 'eva02-b-p14_mim-in21k-pre_16xb64-30e_in1k-448px'
    cfg, weights = get_model(name, pretrained=True)
    assert cfg.filename.endswith(name + '.py') and weights == released_weights(name)
    assert get_model(name, pretrained='my.pth')[1] == 'my.pth'
    assert get_model('resnet50_8xb32_in1k', pretrained=True) == ('resnet50_8xb32_in1k', True)  # mmpretrain's own


def test_generated_test_set_is_unwrapped_in_a_copy():
    inner = dict(type='BaseSegDataset', pipeline=[dict(type='LoadImageFromFile')])
    original = Config(dict(test_dataloader=dict(batch_size=2, dataset=dict(
        type='GeneratedDataset', generator='ade_segmentation', root='data/x', dataset=dict(
            type='GeneratedDataset', generator='ade_segmentation', root='data/y', dataset=inner)))))
    cfg = inference_config(original)
    assert cfg.test_dataloader.dataset.to_dict() == inner and cfg.test_dataloader.batch_size == 2  # nested too
    assert original.test_dataloader.dataset.type == 'GeneratedDataset'  # the caller's config is unchanged
