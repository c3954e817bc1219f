"""eva_mm.engine.config_parts: the builders configs call for values that depend on a length or a size."""
from eva_mm.engine.config_parts import (
    center_crop_test_pipeline,
    lsj_test_pipeline,
    lsj_train_pipeline,
    seg_test_pipeline,
    seg_train_pipeline,
    step_schedule,
    warmup_cosine,
    warmup_poly,
)


def test_schedules_follow_their_length() -> None:
    warm, step = step_schedule(50000, 1000)
    assert (warm['end'], step['end'], step['milestones']) == (1000, 50000, [40000, 45000])
    assert step_schedule(45000, 500, milestones=(40000, 44999))[1]['milestones'] == [40000, 44999]
    warm, cos = warmup_cosine(30, 3, eta_min=1e-6)
    assert (warm['end'], cos['begin'], cos['end'], cos['eta_min']) == (3, 3, 30, 1e-6)
    warm, poly = warmup_poly(20000, 500)
    assert (warm['start_factor'], poly['begin'], poly['end']) == (1e-6, 500, 20000)


def test_pipelines_follow_their_size() -> None:
    train = lsj_train_pipeline((1536, 1536))
    assert [t['type'] for t in train][3:5] == ['RandomResize', 'RandomCrop']
    assert train[3]['scale'] == train[4]['crop_size'] == (1536, 1536)
    assert 'with_mask' not in lsj_train_pipeline((1024, 1024), with_mask=False)[1]
    assert lsj_test_pipeline((1280, 1280), backend_args=None)[0] == dict(type='LoadImageFromFile', backend_args=None)
    assert seg_train_pipeline((2560, 640), (640, 640), reduce_zero_label=True)[1]['reduce_zero_label'] is True
    assert seg_test_pipeline((3584, 896))[2] == dict(type='LoadAnnotations')  # no key: mmseg's default
    assert [t['type'] for t in seg_test_pipeline((3584, 896), size_divisor=32)][2] == 'ResizeToMultiple'
    assert center_crop_test_pipeline(224, resize=256)[1]['scale'] == 256
