"""The HTML gallery in a real headless browser (Debian chromium): it loads offline without
console errors or blocked requests, every image decodes, and a screenshot shows the page drawn
(`GRAPHNAS_SCREENSHOT=docs/gallery.png` keeps it). Skipped when chromium is absent.

A probe script is inserted at the top of <head>, before the page's Content-Security-Policy meta
tag (which forbids scripts from that point on), so the policy still governs the whole page. It
records errors, CSP violations and console.error calls, and on `load` writes the state of every
<img> into the DOM, which chromium's --dump-dom prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from graphnas.export import run_export
from graphnas.spaces import load_space

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]

PROBE = """<script>
window.__problems = [];
window.addEventListener("error", (e) => {
  const target = e.target && e.target.tagName ? e.target.tagName + " failed to load" : "";
  window.__problems.push("error: " + (e.message || target));
}, true);
document.addEventListener("securitypolicyviolation", (e) => {
  window.__problems.push("csp: " + e.violatedDirective + " " + e.blockedURI);
});
const originalError = console.error;
console.error = (...args) => { window.__problems.push("console: " + args.join(" "));
                               originalError(...args); };
window.addEventListener("load", () => {
  const images = Array.from(document.images).map((img) => ({
    alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
  }));
  const report = document.createElement("pre");
  report.id = "probe-report";
  report.textContent = JSON.stringify({images: images, problems: window.__problems});
  document.body.appendChild(report);
});
</script>"""


def browse(page: Path, tmp_path: Path) -> tuple[dict, str]:
    """Load `page` (with the probe inserted) in headless chromium; return the report and the
    browser's log."""
    probed = tmp_path / f"probed_{page.name}"
    text = page.read_text()
    probed.write_text(text.replace("<head>", "<head>" + PROBE, 1))
    completed = subprocess.run(
        chromium_command(
            tmp_path,
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probed.as_uri(),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'<pre id="probe-report">(.*?)</pre>', completed.stdout, re.S)
    assert found, f"no probe report; chromium said:\n{completed.stderr[-2000:]}"
    raw = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(raw.replace("&amp;", "&")), completed.stderr


def page_problems(stderr: str) -> list[str]:
    """Console messages and refusals that chromium logged for the page itself."""
    return [
        line
        for line in stderr.splitlines()
        if re.search(r"CONSOLE|Uncaught|Refused to|Failed to load resource", line)
    ]


def chromium_command(tmp_path: Path, *options: str) -> list[str]:
    """Headless chromium, offline, with a throwaway profile."""
    return [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *options,
    ]


def write_run(folder: Path) -> Path:
    """A 20-query NB201 run directory (ledger only) with rewards that favour 3x3 convolutions."""
    space = load_space("nb201")
    rng = np.random.default_rng(0)
    lines = []
    for q in range(1, 21):
        arch = space.sample_prior(rng)
        reward = 80 + sum(e.op == "nor_conv_3x3" for e in arch.edges) + q / 100
        record = {
            "query": q,
            "step": q,
            "arch": arch.to_dict(),
            "reward": reward,
            "metrics": {"test_accuracy": reward - 1},
            "status": "ok",
            "hash": space.canonical_hash(arch),
        }
        lines.append(json.dumps(record))
    folder.mkdir()
    (folder / "ledger.jsonl").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize("engine", ["graphviz", "matplotlib"])
def test_gallery_loads_cleanly_and_shows_every_image(tmp_path: Path, engine: str) -> None:
    if engine == "graphviz" and shutil.which("dot") is None:
        pytest.skip("graphviz `dot` binary not installed")
    run = write_run(tmp_path / "run")
    gallery = tmp_path / "gallery.html"
    run_export(run, "html", gallery, top_k=4, engine=engine)

    report, stderr = browse(gallery, tmp_path)
    images = report["images"]
    assert len(images) == len(re.findall(r"<img ", gallery.read_text())) == 8
    broken = [img["alt"] for img in images if not (img["complete"] and img["width"] > 0)]
    assert not broken
    assert report["problems"] == []
    assert page_problems(stderr) == []


def test_the_probe_catches_broken_images_and_remote_requests(tmp_path: Path) -> None:
    """The check can fail: a corrupt data image and a remote image are both reported."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; img-src data:\"></head><body>"
        '<img alt="corrupt" src="data:image/svg+xml;base64,bm90IGFuIHN2Zw==">'
        '<img alt="remote" src="https://example.com/x.png"></body></html>'
    )
    report, stderr = browse(page, tmp_path)
    broken = {img["alt"] for img in report["images"] if img["width"] == 0}
    assert broken == {"corrupt", "remote"}
    assert any(p.startswith("csp: img-src") for p in report["problems"])
    assert any("Content Security Policy" in line for line in page_problems(stderr))


def test_a_screenshot_of_the_gallery_shows_the_drawn_page(tmp_path: Path) -> None:
    """The page as a person sees it: chromium's screenshot is a full-size picture whose top holds
    the page's text and drawings (many colours), not a blank or an error page."""
    from PIL import Image

    run = write_run(tmp_path / "run")
    gallery = tmp_path / "gallery.html"
    run_export(run, "html", gallery, top_k=4, engine="matplotlib")
    shot = Path(os.environ.get("GRAPHNAS_SCREENSHOT") or tmp_path / "gallery.png").resolve()
    completed = subprocess.run(
        chromium_command(
            tmp_path,
            "--hide-scrollbars",
            "--window-size=1280,1600",
            "--virtual-time-budget=10000",
            f"--screenshot={shot}",
            gallery.as_uri(),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.is_file(), completed.stderr[-2000:]
    picture = Image.open(shot).convert("RGB")
    assert picture.size == (1280, 1600)
    colours = picture.crop((0, 0, 1280, 800)).getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200  # drawings, not a blank page
    background = max(colours)[1]
    assert sum(count for count, colour in colours if colour != background) > 0.05 * 1280 * 800
