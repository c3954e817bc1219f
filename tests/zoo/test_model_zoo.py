"""The model zoo (configs/*/metafile.yml + model-index.yml) against docs/recipes.md, and eva_mm.zoo's lookups.

The tables below restate docs/architecture.md (released file names) and docs/recipes.md (results); the
metafiles must agree with them, cover every config under configs/ (recursively) except the shared bases and the
quickstarts, be imported by model-index.yml, and load in mim's parser.
"""
import glob
import os.path as osp

import pytest
import yaml
from mmengine.config import Config

from eva_mm import zoo

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EVA01 = 'https://huggingface.co/BAAI/EVA/resolve/main/'
EVA02 = 'https://huggingface.co/Yuxin-CV/EVA-02/resolve/main/eva02/'

# docs/architecture.md#checkpoints: the released files each config may name (wildcards expanded as released).
RELEASED = {EVA01 + f for f in (
    'eva_psz14.pt', 'eva_psz14to16.pt', 'eva_21k_224px_psz14.pt', 'eva_21k_1k_336px_psz14_ema_89p6.pt',
    'eva_21k_1k_560px_psz14_ema_89p7.pt', 'eva_clip_psz14.pt', 'eva_o365.pth', 'eva_coco_det.pth', 'eva_coco_seg.pth',
    'eva_lvis.pth', 'eva_sem_seg_mask2former_cocostuff_53p4.pth', 'eva_sem_seg_mask2former_ade_ss61p5_ms62p3.pth',
    # EVA-01/video/README.md: the K722 intermediate model and the three Kinetics fine-tuned ones
    'eva_video_k722.pth', 'eva_video_k400.pth', 'eva_video_k600.pth', 'eva_video_k700.pth')}
RELEASED |= {EVA02 + f for f in (
    [f'pt/eva02_{s}_pt_in21k_p14.pt' for s in ('Ti', 'S', 'B', 'L')]
    + ['pt/eva02_L_pt_m38m_p14.pt', 'pt/eva02_B_pt_in21k_p14to16.pt', 'pt/eva02_L_pt_in21k_p14to16.pt',
       'pt/eva02_L_pt_m38m_p14to16.pt', 'cls/in1k/eva02_B_pt_in21k_ft_in1k_p14.pt',
       'cls/in1k/eva02_L_pt_in21k_ft_in1k_p14.pt', 'det/eva02_L_m38m_to_o365.pth', 'det/eva02_L_in21k_to_o365.pth']
    + [f'det/eva02_{s}_{d}_{v}.pth' for s in ('B', 'L') for d in ('coco', 'lvis') for v in ('bsl', 'sys')]
    + [f'det/eva02_L_{d}_sys_o365.pth' for d in ('coco_det', 'coco_seg', 'lvis')]
    + [f'seg/eva02_{s}_ade_seg_upernet_sz{z}.pth' for s in ('B', 'L') for z in (512, 640)])}

# github:baaivision/EVA EVA-CLIP/README.md (model table, pre-training inits): the EVA-CLIP releases.
EVACLIP = 'https://huggingface.co/QuanSun/EVA-CLIP/resolve/main/'
RELEASED |= {EVACLIP + f for f in (
    'EVA01_CLIP_g_14_psz14_s11B.pt', 'EVA02_CLIP_B_psz16_s8B.pt', 'EVA02_CLIP_L_psz14_s4B.pt',
    'EVA02_CLIP_L_336_psz14_s6B.pt', 'EVA01_g_psz14.pt', 'EVA02_B_psz14to16.pt')}

# docs/recipes.md#results: the released checkpoint(s) a config reproduces -> its official results.
OFFICIAL = {
    (EVA01 + 'eva_21k_1k_336px_psz14_ema_89p6.pt',): {('ImageNet-1k', 'Top 1 Accuracy'): 89.6},
    (EVA01 + 'eva_21k_1k_560px_psz14_ema_89p7.pt',): {('ImageNet-1k', 'Top 1 Accuracy'): 89.7},
    (EVA01 + 'eva_coco_det.pth', EVA01 + 'eva_coco_seg.pth'): {('COCO', 'box AP'): 64.2, ('COCO', 'mask AP'): 55.0},
    (EVA01 + 'eva_lvis.pth',): {('LVIS v1', 'box AP'): 62.2, ('LVIS v1', 'mask AP'): 55.0, ('LVIS v1', 'APr'): None},
    (EVA02 + 'cls/in1k/eva02_B_pt_in21k_ft_in1k_p14.pt',): {('ImageNet-1k', 'Top 1 Accuracy'): 88.3},
    (EVA02 + 'cls/in1k/eva02_L_pt_in21k_ft_in1k_p14.pt',): {('ImageNet-1k', 'Top 1 Accuracy'): 89.6},
    (EVA02 + 'det/eva02_B_coco_bsl.pth',): {('COCO', 'box AP'): 55.5, ('COCO', 'mask AP'): 47.1},
    (EVA02 + 'det/eva02_B_coco_sys.pth',): {('COCO', 'box AP'): 58.9, ('COCO', 'mask AP'): 50.7},
    (EVA02 + 'det/eva02_B_lvis_bsl.pth',): {('LVIS v1', 'box AP'): 47.1, ('LVIS v1', 'mask AP'): 41.4},
    (EVA02 + 'det/eva02_L_coco_bsl.pth',): {('COCO', 'box AP'): 59.2, ('COCO', 'mask AP'): 50.8},
    (EVA02 + 'det/eva02_L_coco_sys.pth',): {('COCO', 'box AP'): 62.3, ('COCO', 'mask AP'): 53.8},
    (EVA02 + 'det/eva02_L_lvis_bsl.pth',): {('LVIS v1', 'box AP'): 55.3, ('LVIS v1', 'mask AP'): 48.6},
    (EVA02 + 'det/eva02_L_lvis_sys.pth',): {('LVIS v1', 'box AP'): 60.1, ('LVIS v1', 'mask AP'): 53.5},
    (EVA02 + 'det/eva02_L_coco_det_sys_o365.pth', EVA02 + 'det/eva02_L_coco_seg_sys_o365.pth'):
        {('COCO', 'box AP'): 64.1, ('COCO', 'mask AP'): 55.4},
    (EVA02 + 'det/eva02_L_lvis_sys_o365.pth',): {('LVIS v1', 'box AP'): 65.2, ('LVIS v1', 'mask AP'): 57.3},
    # EVA-01/seg README and arXiv 2211.07636 Table 6 (ViT-Adapter + Mask2Former, 896 crops)
    (EVA01 + 'eva_sem_seg_mask2former_cocostuff_53p4.pth',): {('COCO-Stuff 164k', 'mIoU'): 53.4},
    (EVA01 + 'eva_sem_seg_mask2former_ade_ss61p5_ms62p3.pth',): {('ADE20K', 'mIoU'): 61.5,
                                                               ('ADE20K', 'mIoU(ms+flip)'): 62.3},
    (EVA02 + 'seg/eva02_B_ade_seg_upernet_sz512.pth',): {('ADE20K', 'mIoU'): 55.3},
    (EVA02 + 'seg/eva02_L_ade_seg_upernet_sz512.pth',): {('ADE20K', 'mIoU'): 59.8, ('ADE20K', 'mIoU(ms+flip)'): 60.4},
    (EVA02 + 'seg/eva02_L_ade_seg_upernet_sz640.pth',): {('ADE20K', 'mIoU'): 60.1},
    # EVA-01/video/README.md and arXiv 2211.07636 (Kinetics top-1, 16 frames, 4 clips x 3 crops)
    (EVA01 + 'eva_video_k400.pth',): {('Kinetics-400', 'Top 1 Accuracy'): 89.7},
    (EVA01 + 'eva_video_k600.pth',): {('Kinetics-600', 'Top 1 Accuracy'): 89.8},
    (EVA01 + 'eva_video_k700.pth',): {('Kinetics-700', 'Top 1 Accuracy'): 82.9},
    # EVA-CLIP/README.md:59-73 (IN-1K zero-shot top-1; arXiv 2303.15389)
    (EVACLIP + 'EVA01_CLIP_g_14_psz14_s11B.pt',): {('ImageNet-1k', 'Top 1 Accuracy'): 78.5},
    (EVACLIP + 'EVA02_CLIP_B_psz16_s8B.pt',): {('ImageNet-1k', 'Top 1 Accuracy'): 74.7},
    (EVACLIP + 'EVA02_CLIP_L_psz14_s4B.pt',): {('ImageNet-1k', 'Top 1 Accuracy'): 79.8},
    (EVACLIP + 'EVA02_CLIP_L_336_psz14_s6B.pt',): {('ImageNet-1k', 'Top 1 Accuracy'): 80.4},
}
# LVIS APr (docs/recipes.md#results): box 55.1, mask 48.3, keyed by task.
LVIS_APR = {'Object Detection': 55.1, 'Instance Segmentation': 48.3}
# docs/architecture.md#parameter-counts: headless parameter counts.
PARAMS = {'EVA-g': 1011146112, 'EVA-02-Ti': 5502144, 'EVA-02-S': 21621120, 'EVA-02-B': 85758720,
          'EVA-02-L': 303268800,
          # EVA-CLIP image towers (headless trunk at the variant's patch and size; the g/14 trunk is EVA-g's)
          'EVA01-CLIP-g': 1011146112, 'EVA02-CLIP-B': 85869312, 'EVA02-CLIP-L': 303317952,
          'EVA02-CLIP-L-336': 303645632}

# video position slots per extra frame: 256 patches x 1408 channels (EVA-g at 224 px, patch 14)
VIDEO_SLOTS_PER_FRAME = 256 * 1408
# config folders that are not zoo entries: shared bases (at any depth) and the CPU quickstarts.
NOT_ZOO = ('_base_', 'quickstart')

MODELS = zoo.load_model_index()


def model_ids(models):
    return [m['Name'] for m in models]


def zoo_configs(root):
    """Every config under ``root``/configs (any depth) that must be a zoo entry, relative to ``root``."""
    paths = [osp.relpath(p, root) for p in glob.glob(osp.join(root, 'configs', '**', '*.py'), recursive=True)]
    return sorted(p for p in paths if p.split(osp.sep)[1] not in NOT_ZOO and '_base_' not in p.split(osp.sep))


def zoo_metafiles(root):
    """Every metafile under ``root``/configs (any depth), relative to ``root``."""
    return sorted(osp.relpath(p, root) for p in glob.glob(osp.join(root, 'configs', '**', 'metafile.yml'),
                                                          recursive=True))


def test_every_config_is_in_the_zoo_once():
    names = model_ids(MODELS)
    assert len(names) == len(set(names))
    configs = zoo_configs(ROOT)
    assert any(c.startswith('configs/eva01/video/') for c in configs)  # the glob reaches sub-folders
    assert sorted(m['Config'] for m in MODELS) == configs
    for model in MODELS:  # mmdet's convention: the name is the config's file name
        assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]


def test_every_metafile_is_imported():
    with open(osp.join(ROOT, 'model-index.yml'), encoding='utf-8') as f:
        imported = yaml.safe_load(f)['Import']
    assert sorted(imported) == zoo_metafiles(ROOT)


def test_the_config_scan_catches_a_missing_nested_config(tmp_path):
    # a config in a sub-folder of a family is a zoo config; bases and quickstarts are not
    for rel in ('configs/eva01/a.py', 'configs/eva01/video/b.py', 'configs/_base_/models/c.py',
                'configs/quickstart/d.py', 'configs/eva01/video/metafile.yml', 'configs/eva01/_base_/e.py'):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text('')
    assert zoo_configs(str(tmp_path)) == ['configs/eva01/a.py', 'configs/eva01/video/b.py']
    assert zoo_metafiles(str(tmp_path)) == ['configs/eva01/video/metafile.yml']


def test_mims_parser_accepts_the_index():
    from modelindex.load_model_index import load
    index = load(zoo.INDEX_FILE)
    assert index.check(silent=True) == []
    assert sorted(m.name for m in index.models) == sorted(model_ids(MODELS))
    assert all(m.weights and m.config and m.in_collection for m in index.models)


def test_collections_cite_the_papers():
    papers = {m['Collection']['Name']: m['Collection']['Paper']['URL'] for m in MODELS}
    assert papers == {'EVA': 'https://arxiv.org/abs/2211.07636', 'EVA-02': 'https://arxiv.org/abs/2303.11331',
                      'EVA-CLIP': 'https://arxiv.org/abs/2303.15389'}
    assert {m['Collection']['Code']['URL'] for m in MODELS} == {'https://github.com/baaivision/EVA'}


def test_weights_are_released_files_of_the_right_family():
    for model in MODELS:
        family = (EVA01 if model['Config'].startswith('configs/eva01/') else
                  EVACLIP if model['Config'].startswith('configs/eva_clip/') else EVA02)
        urls = zoo.weight_urls(model)
        assert urls, model['Name']
        for url in urls:
            assert url in RELEASED and url.startswith(family), (model['Name'], url)
        assert 'SHA256' not in model  # no hash is published for these files; none may be invented


def test_results_are_the_official_numbers():
    reproduced = set()
    for model in MODELS:
        weights = tuple(zoo.weight_urls(model)[:len(str(model['Weights']).split(','))])
        results = model.get('Results') or []
        if weights not in OFFICIAL:
            assert results == [], f'{model["Name"]} lists results for weights the reference gives none for'
            continue
        reproduced.add(weights)
        got = {}
        for result in results:
            for metric, value in result['Metrics'].items():
                if metric == 'APr':
                    assert value == LVIS_APR[result['Task']]
                    got[(result['Dataset'], metric)] = None
                else:
                    got[(result['Dataset'], metric)] = value
        assert got == OFFICIAL[weights], model['Name']
    assert reproduced == set(OFFICIAL)  # every official result is attached to some config


def test_metadata_counts_and_schedules():
    for model in MODELS:
        meta = model['Metadata']
        arch = meta['Architecture'][0].split('/')[0]
        # a video backbone carries one image position table per frame (configs/eva01/video/metafile.yml)
        extra = (meta['Frames'] - 1) * VIDEO_SLOTS_PER_FRAME if 'Frames' in meta else 0
        assert meta['Backbone Parameters'] == PARAMS[arch] + extra, model['Name']
        assert meta['Training Data'] and meta['Batch Size'] > 0
        assert ('Iterations' in meta) != ('Epochs' in meta), model['Name']


def _init_checkpoint(cfg):
    """The checkpoint a config's backbone starts from, or None (pretraining from scratch)."""
    # EVA-CLIP: the image tower's init_cfg (vision_cfg)
    init = (cfg.model.get('backbone') or cfg.model.get('vision_cfg') or {}).get('init_cfg') or {}
    return init.get('checkpoint')


def test_configs_load_and_start_from_the_listed_weights():
    for model in MODELS:
        cfg = Config.fromfile(zoo.config_path(model['Name']))
        if 'Frames' in model['Metadata']:
            assert cfg.model.backbone.num_frames == model['Metadata']['Frames'], model['Name']
        start = _init_checkpoint(cfg)
        listed = model.get('Init Weights') or model['Weights']
        if start is None and cfg.get('load_from'):
            # a second stage: starts from the work dir of another zoo config, whose released weights it lists as
            # its own start (Init Weights, or Weights when it has no release of its own)
            first = zoo.find_model(osp.basename(osp.dirname(cfg.load_from)))
            assert first['Weights'] == listed, model['Name']
            continue
        if start is None and 'train_cfg' not in cfg:
            continue  # an evaluation config (EVA-CLIP zero-shot / retrieval): tools/test.py is given the weights
        if start is None:
            assert model['Name'].startswith('mim-clip_'), model['Name']  # pretraining starts from scratch
            continue
        # paper configs point at local copies (pretrained/<file>) or at the URL itself
        assert osp.basename(start) == osp.basename(listed), (model['Name'], start, listed)


def test_find_model_and_config_path():
    model = zoo.find_model('upernet_eva02-b-p16_4xb8-60k_ade20k-512x512')
    assert model['Collection']['Name'] == 'EVA-02'
    path = zoo.config_path(model['Name'])
    assert osp.isfile(path) and osp.samefile(path, osp.join(ROOT, model['Config']))
    with pytest.raises(KeyError, match='upernet_eva02-x'):
        zoo.find_model('upernet_eva02-x')


def test_known_sha256(tmp_path):
    assert all(zoo.known_sha256(url) is None for m in MODELS for url in zoo.weight_urls(m))
    assert zoo.known_sha256('https://example.com/unknown.pth') is None
    # a metafile that does list hashes: one per URL, in order
    (tmp_path / 'm').mkdir()
    (tmp_path / 'm' / 'metafile.yml').write_text(
        'Collections:\n  - Name: C\nModels:\n'
        '  - Name: a\n    In Collection: C\n    Config: a.py\n'
        '    Weights: https://h/x.pth,https://h/y.pth\n    SHA256: AB12,cd34\n'
        '    Init Weights: https://h/z.pth\n    Init SHA256: ef56\n'
        '  - Name: b\n    In Collection: C\n    Config: b.py\n'
        '    Weights: https://h/w.pth\n    SHA256: 1,2\n')
    (tmp_path / 'index.yml').write_text('Import:\n  - m/metafile.yml\n')
    index = str(tmp_path / 'index.yml')
    assert zoo.known_sha256('https://h/x.pth', index) == 'ab12'
    assert zoo.known_sha256('https://h/y.pth', index) == 'cd34'
    assert zoo.known_sha256('https://h/z.pth', index) == 'ef56'
    with pytest.raises(ValueError, match="'b'.*1 URL"):
        zoo.known_sha256('https://h/w.pth', index)


def test_bad_index_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.yml'):
        zoo.load_model_index(str(tmp_path / 'missing.yml'))
    (tmp_path / 'm.yml').write_text('Models:\n  - Name: a\n    In Collection: Nope\n')
    (tmp_path / 'index.yml').write_text('Import:\n  - m.yml\n')
    with pytest.raises(ValueError, match="m.yml.*'a'.*'Nope'"):
        zoo.load_model_index(str(tmp_path / 'index.yml'))
