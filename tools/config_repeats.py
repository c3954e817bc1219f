"""Count the places in configs/ that repeat one another: pairs of files sharing a run of N or more lines.

``python tools/config_repeats.py [DIR] [--min-lines 6] [--shape] [--list]``

Lines are compared stripped, with blank and comment-only lines dropped (a comment does not make two recipes
different). ``--shape`` also counts runs alike but for names, numbers and strings (``lr=5e-5`` ~ ``lr=1e-4``), the
repetition a base with a parameter would remove. A pair counts once however many runs its two files share, and a file
repeating itself counts as a pair too. The number is the one to watch when refactoring config bases: a leaf that
restates what a base could hold shows up here.
"""
import argparse
import itertools
import re
import sys
from collections import defaultdict
from pathlib import Path

_TOKEN = re.compile(r"""('[^']*'|"[^"]*"|\b\d[\w.]*|\b[A-Za-z_]\w*)""")


def _shape(line: str) -> str:
    """The line with every name, number and string replaced by one placeholder, keywords kept."""
    keep = {'dict', 'type', 'for', 'in', 'if', 'else', 'True', 'False', 'None', '_base_', '_delete_'}
    return _TOKEN.sub(lambda m: m.group(0) if m.group(0) in keep else '_', line)


def code_lines(path: Path, shape: bool = False) -> list[str]:
    """The comparable lines of one file: stripped, no blank or comment-only lines (optionally by shape)."""
    out = []
    for line in path.read_text(encoding='utf-8').splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            out.append(_shape(line) if shape else line)
    return out


def repeated_pairs(files: list[Path], min_lines: int = 6, shape: bool = False) -> set[tuple[str, str]]:
    """Pairs of files (a file with itself when it repeats a run internally) sharing a run of ``min_lines`` lines.

    A shared run of ``min_lines`` or more lines contains a shared window of exactly ``min_lines`` lines, so matching
    windows finds every pair."""
    where: dict[tuple[str, ...], set[tuple[str, int]]] = defaultdict(set)
    for path in files:
        lines = code_lines(path, shape)
        for i in range(len(lines) - min_lines + 1):
            where[tuple(lines[i:i + min_lines])].add((str(path), i))
    pairs = set()
    for places in where.values():
        for (a, i), (b, j) in itertools.combinations(sorted(places), 2):
            if a != b or abs(i - j) >= min_lines:  # overlapping windows of one file are not a repeat
                pairs.add((a, b))
    return pairs


def main(argv: list[str] | None = None) -> int:
    """Print the number of repeating pairs (exact and, with --shape, exact or alike) under a folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', nargs='?', type=Path, default=Path(__file__).resolve().parents[1] / 'configs')
    parser.add_argument('--min-lines', type=int, default=6)
    parser.add_argument('--shape', action='store_true', help='also count runs alike but for names and values')
    parser.add_argument('--list', action='store_true', help='print the pairs')
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f'{args.root}: not a folder')
    files = sorted(args.root.rglob('*.py'))
    exact = repeated_pairs(files, args.min_lines)
    pairs = exact | repeated_pairs(files, args.min_lines, shape=True) if args.shape else exact
    kind = 'identical or same-shape' if args.shape else 'identical'
    print(f'{len(pairs)} pairs of places ({len(files)} files) share a run of {args.min_lines}+ {kind} lines')
    if args.list:
        for a, b in sorted(pairs):
            print(f'  {Path(a).relative_to(args.root)} ~ {Path(b).relative_to(args.root)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
