"""A B-size EVA-02 Cascade Mask R-CNN (the COCO baseline recipe, random weights) trains one step and predicts
at 1024x1024 on CPU, through mmdet's data preprocessor, with the EVA test protocol (soft-NMS, maskness)."""
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import InstanceData

pytestmark = pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning')
CONFIG = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'eva02',
                  'cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco.py')
SIZE = 1024


def sample_with_two_objects() -> dict:
    """One 1024x1024 image with a bright square and a dark rectangle, as a packed mmdet input."""
    img = torch.full((3, SIZE, SIZE), 120, dtype=torch.uint8)
    img[:, 100:400, 100:400] = 250
    img[:, 600:900, 500:700] = 10
    masks = torch.zeros(2, SIZE, SIZE, dtype=torch.uint8)
    masks[0, 100:400, 100:400] = 1
    masks[1, 600:900, 500:700] = 1
    meta = dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE), scale_factor=(1., 1.),
                batch_input_shape=(SIZE, SIZE))
    gt = InstanceData(bboxes=torch.tensor([[100., 100., 400., 400.], [500., 600., 700., 900.]]),
                      labels=torch.tensor([3, 17]), masks=BitmapMasks(masks.numpy(), SIZE, SIZE))
    return dict(inputs=[img], data_samples=[DetDataSample(metainfo=meta, gt_instances=gt)])


def test_train_step_and_inference_at_1024():
    torch.manual_seed(0)
    cfg = Config.fromfile(CONFIG)
    init_default_scope(cfg.default_scope)
    model_cfg = cfg.model
    model_cfg.backbone.init_cfg = None
    # CPU budget: fewer proposals / sampled RoIs than the recipe; the network itself is the recipe's.
    model_cfg.train_cfg.rpn_proposal.update(nms_pre=400, max_per_img=100)
    for stage in model_cfg.train_cfg.rcnn:
        stage.sampler.num = 64
    model_cfg.test_cfg.rpn.update(nms_pre=200, max_per_img=50)
    model_cfg.test_cfg.rcnn.update(score_thr=0.05, max_per_img=20)
    model = MODELS.build(model_cfg)
    model.init_weights()
    assert model.backbone.embed_dims == 768 and model.backbone.img_size == (SIZE, SIZE)

    model.train()
    data = model.data_preprocessor(sample_with_two_objects(), training=True)
    assert data['inputs'].shape == (1, 3, SIZE, SIZE)
    losses = model(**data, mode='loss')
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total) and total > 0
    assert {'s0.loss_cls', 's2.loss_bbox', 's1.loss_mask', 'loss_rpn_cls'} <= set(losses)
    total.backward()
    block0 = model.backbone.blocks[0].attn.qkv.weight.grad
    assert block0 is not None and block0.abs().sum() > 0
    assert model.neck.lateral_convs[0].conv.weight.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(sample_with_two_objects(), training=False)
        pred = model(**data, mode='predict')[0].pred_instances
    assert len(pred) <= 20
    assert pred.masks.shape[1:] == (SIZE, SIZE)
    # Maskness multiplies softmax scores by a mean probability: scores stay in [0, 1].
    assert ((pred.scores >= 0) & (pred.scores <= 1)).all()
