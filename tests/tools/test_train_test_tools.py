"""tools/train.py and tools/test.py end to end: a tiny mmdet Mask R-CNN trains on generated data, is COCO-evaluated,
resumed, and tested from its checkpoint with --out and --show-dir."""
import glob
import importlib.util
import itertools
import json
import os.path as osp
import pickle

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/quickstart/mask-rcnn_r18-w32_fpn_600it_shapes-coco.py')
# mmengine keeps one visualiser per name per process (and warns when a name is reused), so each runner gets its own.
_VISUALIZER_IDS = itertools.count()


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_options(data_root, iters):
    """--cfg-options that shrink the quickstart to a few iterations on a few generated images."""
    options = {
        'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
        'default_hooks.checkpoint.interval': 2, 'default_hooks.logger.interval': 1,
        'val_evaluator.ann_file': f'{data_root}/annotations/instances_val.json',
        'visualizer.name': f'smoke_visualizer_{next(_VISUALIZER_IDS)}',
    }
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                        f'{loader}.dataset.root': data_root, f'{loader}.dataset.dataset.data_root': data_root,
                        f'{loader}.dataset.num_train': 8, f'{loader}.dataset.num_val': 4})
    options['test_evaluator.ann_file'] = options['val_evaluator.ann_file']
    return ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]


def scalars(work_dir):
    (path,) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('smoke')
    data_root, work_dir = str(tmp / 'shapes'), str(tmp / 'work')
    runner = load_tool('train').main([CONFIG, '--work-dir', work_dir] + tiny_options(data_root, 4))
    return dict(data_root=data_root, work_dir=work_dir, runner=runner)


def test_train_runs_and_coco_evaluates(trained):
    logs = scalars(trained['work_dir'])
    losses = [r['loss'] for r in logs if 'loss' in r]
    assert len(losses) == 4 and all(loss == loss and loss > 0 for loss in losses)  # finite, logged every iter
    (metrics,) = [r for r in logs if 'coco/bbox_mAP' in r]
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP', 'coco/segm_mAP_50'):
        assert 0.0 <= metrics[key] <= 1.0
    assert osp.isfile(osp.join(trained['work_dir'], 'iter_4.pth'))
    # the data set was generated on first use, with the quickstart's layout
    assert osp.isfile(osp.join(trained['data_root'], 'annotations', 'instances_val.json'))


def test_resume_auto_continues_from_the_latest_checkpoint(trained):
    runner = load_tool('train').main([CONFIG, '--work-dir', trained['work_dir'], '--resume']
                                     + tiny_options(trained['data_root'], 6))
    assert runner.iter == 6
    assert osp.isfile(osp.join(trained['work_dir'], 'iter_6.pth'))


# mmdet's visualiser, drawing the pictures: np.clip on torch tensors (NumPy 2 deprecation) and boxes drawn at the
# image border. Third-party, neither affects the results.
@pytest.mark.filterwarnings('ignore:__array_wrap__ must accept context:DeprecationWarning',
                            'ignore:Warning. The (bbox|polygon) is out of bounds:UserWarning')
def test_test_tool_evaluates_dumps_and_draws(trained, tmp_path):
    out = str(tmp_path / 'preds.pkl')
    with open(osp.join(trained['work_dir'], 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    metrics = load_tool('test').main([CONFIG, ckpt, '--work-dir', str(tmp_path), '--out', out, '--show-dir', 'vis']
                                     + tiny_options(trained['data_root'], 4))
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0 and 0.0 <= metrics['coco/segm_mAP'] <= 1.0
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 4 and 'pred_instances' in predictions[0]
    assert len(glob.glob(str(tmp_path / '*' / 'vis' / '*.png'))) == 4


def test_missing_config_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match='no_such_config.py'):
        load_tool('train').main(['configs/no_such_config.py'])
