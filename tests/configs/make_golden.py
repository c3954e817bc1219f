"""Write the golden dump of a NEW config: ``python tests/configs/make_golden.py configs/eva02/my_config.py``.

``--missing`` writes one for every config that has none. An existing golden is never overwritten: a config's values
are meant to stay as they are, so a deliberate change deletes the golden first (``git rm``) and the commit says why.
"""
import argparse
import sys
from pathlib import Path

from golden_dump import ROOT, dump, golden_path, leaf_configs

import eva_mm  # noqa: F401  (registries and compat fixes, as the test has them through tests/conftest.py)


def main(argv: list[str] | None = None) -> int:
    """Write goldens for the named configs (or every config missing one); return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='*', type=Path, help='config files under configs/')
    parser.add_argument('--missing', action='store_true', help='every config that has no golden yet')
    args = parser.parse_args(argv)
    configs = [p.resolve() for p in args.configs]
    if args.missing:
        configs += [p for p in leaf_configs() if not golden_path(p).exists()]
    if not configs:
        parser.error('name a config, or pass --missing')
    status = 0
    for config in configs:
        if not config.is_file() or config not in leaf_configs():
            print(f'error: {config}: not a config file under configs/ (outside configs/_base_/)', file=sys.stderr)
            status = 1
            continue
        target = golden_path(config)
        if target.exists():
            print(f'error: {target.relative_to(ROOT)} exists; it is not overwritten (an existing config keeps its '
                  'values: to change them on purpose, git rm the golden, rerun, and say why in the commit)',
                  file=sys.stderr)
            status = 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump(config), encoding='utf-8')
        print(f'wrote {target.relative_to(ROOT)}')
    return status


if __name__ == '__main__':
    sys.exit(main())
