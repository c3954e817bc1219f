"""``tools/train.py`` inside a torchrun worker on a machine without CUDA.

mmengine 0.10.7's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` unconditionally; it skips ``init_dist`` when
a process group already exists, so we open the gloo group first and then run the tool unchanged.
"""
import runpy
import sys

import torch.distributed as dist

if __name__ == '__main__':
    dist.init_process_group('gloo')
    sys.argv = ['tools/train.py'] + sys.argv[1:]
    try:
        runpy.run_path('tools/train.py', run_name='__main__')
    finally:
        dist.destroy_process_group()
