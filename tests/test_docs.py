"""README.md and docs/: every relative link and image path names a file that exists, and every
#anchor a heading of the page it points to."""

import glob
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["README.md", *sorted(os.path.relpath(path, REPO)
                              for path in glob.glob(os.path.join(REPO, "docs", "*.md")))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def links(page):
  with open(os.path.join(REPO, page), encoding="utf-8") as f:
    text = CODE.sub("", f.read())
  return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def anchors(page):
  """GitHub's heading anchors of page: lower case, punctuation dropped, spaces as hyphens."""
  with open(os.path.join(REPO, page), encoding="utf-8") as f:
    text = CODE.sub("", f.read())
  return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
          for heading in re.findall(r"^#+ (.+)$", text, re.M)}


def test_the_docs_pages_are_found():
  assert "docs/legacy.md" in PAGES and "docs/reliability.md" in PAGES


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_and_image_exists(page):
  missing = []
  for target in links(page):
    path, _, anchor = target.partition("#")
    linked = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
    if not os.path.exists(os.path.join(REPO, linked)):
      missing.append(target)
    elif anchor and linked.endswith(".md") and anchor not in anchors(linked):
      missing.append(target)
  assert not missing, f"{page} links to what does not exist: {missing}"
