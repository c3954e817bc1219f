"""Configs change along one axis by inheritance: a recipe leaf holds no dataset keys (beyond its per-GPU batch),
so the same recipe on another data set is the leaf's lines under other bases, with no duplicate-key error."""
import re
from pathlib import Path

from mmengine.config import Config

from tests.configs.golden_dump import CONFIGS

ADE_RECIPE = CONFIGS / 'eva01/upernet_eva-g-p16_32xb1-60k_ade20k-896x896.py'


def _body(config: Path) -> str:
    """A leaf's lines after its ``_base_`` list."""
    text = config.read_text(encoding='utf-8')
    return text[re.search(r'^\]\n', text[text.index('_base_ = ['):], re.M).end() + text.index('_base_ = ['):]


def test_coco_stuff_variant_of_an_ade_recipe(tmp_path: Path) -> None:
    variant = tmp_path / 'upernet_eva-g-p16_32xb1-60k_coco-stuff164k-896x896.py'
    variant.write_text("_base_ = [\n"
                       f"    '{CONFIGS}/_base_/models/upernet_eva02-b-p16.py',\n"
                       f"    '{CONFIGS}/_base_/datasets/coco-stuff164k_896x896.py',\n"
                       f"    '{CONFIGS}/_base_/schedules/seg_adamw_poly.py',\n"
                       "]\n" + _body(ADE_RECIPE)
                       # one file cannot assign `model` twice: the leaf's own dict takes COCO-Stuff's 171 classes
                       + "model['decode_head']['num_classes'] = model['auxiliary_head']['num_classes'] = 171\n",
                       encoding='utf-8')
    ade, stuff = Config.fromfile(str(ADE_RECIPE)), Config.fromfile(str(variant))
    assert stuff.train_dataloader.dataset.type == 'COCOStuffDataset'
    assert ade.train_dataloader.dataset.type == 'ADE20KDataset'
    assert stuff.model.decode_head.num_classes == 171 and ade.model.decode_head.num_classes == 150
    # the recipe itself is the ADE one, value for value
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'auto_scale_lr', 'crop_size'):
        assert stuff[key] == ade[key], key
    assert stuff.model.backbone == ade.model.backbone and stuff.model.test_cfg == ade.model.test_cfg
