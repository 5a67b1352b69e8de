"""MkDocs hooks for the course website: the README becomes the home page.

The README is written for the repository (links such as ``docs/training.md``); the site's pages
live one folder down, so those links are rewritten, and a link to a file that is not part of the
site (``mkdocs.yml``, a script) becomes its path in code. The README stays the one source.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File, Files

_ROOT = Path(__file__).resolve().parent.parent


_LINK_TEXT = r"\[((?:[^\[\]]|\[[^\]]*\])+)\]"  # the text of a Markdown link, one level of [] inside allowed


def on_files(files: Files, config) -> Files:
    text = (_ROOT / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"\]\(docs/", "](", text)
    text = re.sub(_LINK_TEXT + r"\((?!tutorials/|https?:|#)([^)\s]+\.(?:yml|py|toml|sh|txt))\)", _as_path, text)
    files.append(File.generated(config, "index.md", content=text))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    # A guide links to the code it describes ("../tests/test_scipy.py"): right on GitHub, but not
    # a page of the site, so the site shows the path instead of a dead link.
    return re.sub(_LINK_TEXT + r"\((\.\./(?!tutorials/)[^)\s]+)\)", _as_path, markdown)


def _as_path(m: re.Match) -> str:
    """A link to a file outside the site as the file's path, in code, after its text."""
    text, link = m.group(1), m.group(2)
    path = link.removeprefix("../")
    return f"`{path}`" if text.strip("`") in (path, link) else f"{text} (`{path}`)"


def on_page_content(html: str, page, config, files) -> str:
    # A notebook links to the next one as "02_tensors_broadcasting.ipynb" (right in Jupyter);
    # on the site that notebook is the page "../02_tensors_broadcasting/".
    if page.file.src_uri.endswith(".ipynb"):
        html = re.sub(r'href="([\w-]+)\.ipynb(#[^"]*)?"', lambda m: f'href="../{m.group(1)}/{m.group(2) or ""}"', html)
    return html
