"""Documentation hygiene: no citation leaves the repository, and every relative link in README.md / docs/ resolves.

Anchors follow GitHub's heading slugs: lower-case, punctuation other than ``-`` and ``_`` dropped, spaces to ``-``,
``-1``, ``-2`` ... appended to repeated headings.
"""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Assembled from parts so that this file does not match its own search.
_NOTES = re.compile('|'.join([r'DESIGN' + r'\.md', r'reference/(?:eva|openmmlab|style)', r'(?<![\w/])eva' + r'\.md\b',
                              r'reference' + r' Sec\.']))
_LINK = re.compile(r'(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)|!\[[^\]]*\]\(([^)\s]+)\)')
_FENCE = re.compile(r'^(```|~~~)')


def _tracked() -> list[Path]:
    """Tracked text files of the repository (binary files skipped by the reader)."""
    out = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / p for p in out.decode().split('\0') if p and not p.startswith(('.venv/', 'build/'))]


def _prose_lines(path: Path) -> list[str]:
    """Markdown lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in path.read_text(encoding='utf-8').splitlines():
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading text (``## Parameter counts`` -> ``parameter-counts``)."""
    text = re.sub(r'`|\*\*?|\[([^\]]*)\]\([^)]*\)', r'\1', heading.strip()).lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file, with GitHub's -N suffixes for repeats."""
    seen: dict[str, int] = {}
    result = set()
    for line in _prose_lines(path):
        m = re.match(r'^#{1,6}\s+(.*?)\s*#*\s*$', line)
        if not m:
            continue
        slug = github_slug(m.group(1))
        n = seen.get(slug, 0)
        result.add(slug if n == 0 else f'{slug}-{n}')
        seen[slug] = n + 1
    return result


def _markdown_files() -> list[Path]:
    files = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md')), *sorted((ROOT / 'configs').glob('*/README.md'))]
    return [f for f in files if f.is_file()]


def test_slug_rules() -> None:
    assert github_slug('Parameter counts') == 'parameter-counts'
    assert github_slug('`set_fused_attn` and the **fast** path (CPU)') == 'set_fused_attn-and-the-fast-path-cpu'
    assert github_slug('EVA-01 vs. EVA-02') == 'eva-01-vs-eva-02'


def test_no_citation_leaves_the_repository() -> None:
    hits = []
    for path in _tracked():
        try:
            text = path.read_text(encoding='utf-8')
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        for no, line in enumerate(text.splitlines(), 1):
            if _NOTES.search(line):
                hits.append(f'{path.relative_to(ROOT)}:{no}: {line.strip()[:100]}')
    assert not hits, 'citations of notes outside the repository:\n' + '\n'.join(hits)


def broken_links(doc: Path) -> list[str]:
    """Relative links of a markdown file whose file or ``#anchor`` does not exist."""
    broken = []
    for line in _prose_lines(doc):
        for m in _LINK.finditer(line):
            target = m.group(1) or m.group(2)
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):  # http:, https:, mailto:
                continue
            path_part, _, anchor = target.partition('#')
            dest = doc if not path_part else (doc.parent / path_part).resolve()
            if not dest.exists():
                broken.append(f'{target}: no such file')
            elif anchor and dest.suffix == '.md' and anchor not in anchors(dest):
                broken.append(f'{target}: no heading #{anchor} in {dest.name}')
    return broken


def test_broken_links_are_found(tmp_path: Path) -> None:
    (tmp_path / 'b.md').write_text('# Top\n## Top\n', encoding='utf-8')
    doc = tmp_path / 'a.md'
    doc.write_text('[ok](b.md#top-1) [x](b.md#nope) [y](c.md) [z](https://x.org/c.md)\n```\n[code](d.md)\n```\n',
                   encoding='utf-8')
    assert broken_links(doc) == ['b.md#nope: no heading #nope in b.md', 'c.md: no such file']


@pytest.mark.parametrize('doc', _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    broken = broken_links(doc)
    assert not broken, f'{doc.relative_to(ROOT)}: broken links:\n' + '\n'.join(broken)
