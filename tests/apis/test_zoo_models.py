"""get_model / list_models: every zoo name builds; released weights come through the hash-checked download."""
import functools
import hashlib
import http.server
import os.path as osp
import threading

import pytest
import torch
import yaml

from eva_mm import zoo
from eva_mm.apis import get_model, list_models, released_weights
from eva_mm.checkpoint.download import DownloadError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL_CONFIG = osp.join(ROOT, 'configs/quickstart/upernet_eva02-mini-p8_400it_ade-shapes-64x64.py')
EXPECTED_TYPE = {'mmpretrain': ('ImageClassifier', 'EVA', 'EVACLIP'), 'mmdet': ('CascadeRCNN',),
                 'mmseg': ('EncoderDecoder',), 'mmaction': ('Recognizer3D',),
                 None: ('EVACLIP',)}  # a config without default_scope (an eva_mm model of the root registry)


@pytest.mark.parametrize('name', list_models())
def test_every_zoo_name_builds_on_meta(name):
    model = get_model(name, device='meta')
    assert next(model.parameters()).device.type == 'meta'
    assert type(model).__name__ in EXPECTED_TYPE[model.cfg.get('default_scope')]
    assert not model.training


def test_a_config_without_default_scope_builds_from_the_root_registry():
    model = get_model(osp.join(ROOT, 'configs/eva_clip/eva02-clip-b-16_zero-shot_in1k.py'), device='meta')
    assert type(model).__name__ == 'EVACLIP' and next(model.parameters()).device.type == 'meta'


def test_list_models_filters():
    names = list_models()
    assert len(names) == len(zoo.load_model_index()) and len(set(names)) == len(names)
    assert list_models('cascade-mask-rcnn_eva02-b*coco') == ['cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco',
                                                             'cascade-mask-rcnn_eva02-b_lsj-1536-60k_coco']
    pre = list_models(task='Pretraining')
    assert pre and all(n.startswith('mim-clip') for n in pre)
    assert 'mask2former_eva-g-p16_64xb1-20k_ade20k-896x896' in list_models(task='semantic segmentation')
    assert 'mask2former_eva-g-p16_64xb1-20k_ade20k-896x896' in list_models(task='semantic segmentation')
    assert set(list_models('eva02', task='image classification')) == {
        n for n in names if n.startswith('eva02-') and '-clip-' not in n}
    clip = list_models(task='zero-shot classification')  # a task only EVA-CLIP's metafile reports
    assert clip == [n for n in names if '-clip-' in n] and len(clip) == 8
    video = list_models(task='Action Recognition')
    assert video and all(n.startswith('eva-g-p14_k722') for n in video)
    with pytest.raises(ValueError, match='unknown task'):
        list_models(task='Captioning')


def test_unknown_name_and_meta_with_weights_are_errors():
    with pytest.raises(KeyError, match='similar names'):
        get_model('cascade-mask-rcnn_eva02-x')
    with pytest.raises(ValueError, match='meta'):
        get_model('mim-clip_eva02-t-p14_40xb100-240e_in21k', pretrained='x.pth', device='meta')


@pytest.fixture
def loopback(tmp_path, monkeypatch):
    """A small released model served on 127.0.0.1, a model index naming it, and an empty torch hub cache."""
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    torch.manual_seed(0)
    source = get_model(SMALL_CONFIG)
    served = tmp_path / 'served'
    served.mkdir()
    torch.save({'state_dict': source.state_dict(), 'meta': {}}, served / 'small.pth')
    digest = hashlib.sha256((served / 'small.pth').read_bytes()).hexdigest()
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def index(sha256):
        url = f'http://127.0.0.1:{server.server_port}/small.pth'
        entry = dict(Name='small', Config=SMALL_CONFIG, Weights=url, SHA256=sha256, **{'In Collection': 'C'})
        (tmp_path / 'metafile.yml').write_text(yaml.safe_dump(dict(Collections=[dict(Name='C')], Models=[entry])))
        (tmp_path / 'model-index.yml').write_text(yaml.safe_dump(dict(Import=['metafile.yml'])))
        zoo._load.cache_clear()
        return str(tmp_path / 'model-index.yml')
    yield source, digest, index
    server.shutdown()
    server.server_close()
    zoo._load.cache_clear()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_pretrained_true_downloads_checks_and_loads(loopback):
    source, digest, index = loopback
    index_file = index(digest)
    assert released_weights('small', index_file).endswith(f'#sha256={digest}')
    model = get_model('small', pretrained=True, index_file=index_file, progress=False)
    got, want = model.state_dict(), source.state_dict()
    assert got.keys() == want.keys()
    assert all(torch.equal(got[k], want[k]) for k in want)
    assert osp.isfile(osp.join(torch.hub.get_dir(), 'checkpoints', 'small.pth'))


def test_pretrained_true_rejects_a_wrong_hash(loopback):
    _, digest, index = loopback
    index_file = index('0' * 64)
    with pytest.raises(DownloadError, match='SHA-256 mismatch'):
        get_model('small', pretrained=True, index_file=index_file, progress=False)
    assert not osp.exists(osp.join(torch.hub.get_dir(), 'checkpoints', 'small.pth'))
