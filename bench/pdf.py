"""PDF renderers side by side on the sample's invoice pages: time per document, and size.

Run: python bench/pdf.py [--runs 20] [--renderer weasyprint|chromium|both] [--sizes]
     python bench/pdf.py --once NUMBER       (one render in a fresh process, for a cold figure)

Per renderer it prints, for a Latin-script invoice and a Chinese one: the first document in a
fresh process (imports, font loading, browser launch) and the median of the following ones
(the build's and a warm Lambda's case), the PDF's size, whether two renders are byte-identical,
and whether pdftotext gets the client's name back. ``--sizes`` prints what the chosen renderer
adds to Lambda: its wheels for Python 3.12 on arm64 (fetched with pip, cached), the native
libraries Pango needs (measured here, on Debian), and the fonts.

Chromium is Debian's, driven by Playwright's print-to-PDF (page.pdf), as the browser tests do.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from site_builder.build import build  # noqa: E402
from site_builder.documents import country_of, paper_for  # noqa: E402
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET  # noqa: E402

PORTAL = "https://portal.northwind.example"
DOCUMENTS = {"Latin (pl)": "INV-2026-0107", "Chinese (zh_Hant)": "INV-2026-0104"}
NAMES = {"INV-2026-0107": "Wiślane Smaki", "INV-2026-0104": "光華數位股份有限公司"}
CACHE = Path(os.environ.get("PORTAL_CACHE", Path.home() / ".cache" / "clientportal"))

Render = Callable[[Path, str], bytes]  # (site folder, invoice number) -> PDF


def sample_site(folder: Path) -> Path:
    build(SAMPLE, folder, SAMPLE_TODAY, secret=SECRET)
    return folder


def page_of(site: Path, number: str) -> tuple[Path, str]:
    path = next((site / "public" / "c").glob(f"*/invoices/{number}.html"))
    return path, f"{PORTAL}/{path.relative_to(site / 'public').as_posix()}"


def paper_of(number: str) -> str:
    import yaml

    invoice = yaml.safe_load((SAMPLE / "invoices" / f"{number}.yaml").read_text("utf-8"))
    client = yaml.safe_load((SAMPLE / "clients" / f"{invoice['client']}.yaml").read_text("utf-8"))
    return paper_for(country_of(client.get("address"), client.get("locale", "en")))


def weasyprint_renderer() -> Render:
    from site_builder.documents.pdf import render_pdf

    def render(site: Path, number: str) -> bytes:
        path, url = page_of(site, number)
        files = {
            p.relative_to(site / "public").as_posix(): p.read_bytes()
            for p in (site / "public" / "assets").iterdir()
        }
        paper = paper_of(number)
        return render_pdf(path.read_text("utf-8"), url=url, paper=paper, files=files)  # type: ignore[arg-type]

    return render


def chromium_renderer() -> tuple[Render, Callable[[], None]]:
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    browser = driver.chromium.launch(
        executable_path=shutil.which("chromium") or "/usr/bin/chromium",
        args=["--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    )
    page = browser.new_page()

    def render(site: Path, number: str) -> bytes:
        path, _ = page_of(site, number)
        page.goto(path.as_uri())
        return page.pdf(format=paper_of(number), print_background=True)

    def close() -> None:
        browser.close()
        driver.stop()

    return render, close


def text_of(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True)
        return "".join(out.stdout.split())


def measure(name: str, site: Path, runs: int) -> None:
    started = time.perf_counter()
    close: Callable[[], None] = lambda: None  # noqa: E731
    if name == "chromium":
        render, close = chromium_renderer()
    else:
        render = weasyprint_renderer()
    try:
        for label, number in DOCUMENTS.items():
            first = render(site, number)
            cold = time.perf_counter() - started
            times, cpu = [], []
            for _ in range(runs):
                t, c = time.perf_counter(), time.process_time()
                again = render(site, number)
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            # this process's CPU: WeasyPrint's whole render; Chromium's is in its own processes
            own = f"{statistics.median(cpu) * 1000:4.0f} ms" if name != "chromium" else "   n/a "
            stable = "yes" if again == first else "no"
            found = "yes" if "".join(NAMES[number].split()) in text_of(first) else "NO"
            print(
                f"  {name:<10} {label:<18} first {cold * 1000:6.0f} ms   "
                f"then median {statistics.median(times) * 1000:5.0f} ms "
                f"(max {max(times) * 1000:4.0f}), cpu {own}   {len(first) / 1024:6.1f} KiB   "
                f"byte-stable {stable}   text {found}"
            )
            started = time.perf_counter()
    finally:
        close()


def wheels_size() -> None:
    """WeasyPrint's wheels for Lambda (Python 3.12, arm64) beyond what the package has."""
    folder = CACHE / "bench-pdf-wheels"
    if not folder.exists():
        folder.mkdir(parents=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--only-binary=:all:", "--platform", "manylinux2014_aarch64",
             "--python-version", "3.12", "-d", str(folder), "weasyprint"],
            check=True,
        )  # fmt: skip
    zipped = unpacked = 0
    for wheel in sorted(folder.glob("*.whl")):
        with zipfile.ZipFile(wheel) as z:
            size = sum(i.file_size for i in z.infolist())
        zipped += wheel.stat().st_size
        unpacked += size
        print(f"    {wheel.name:<60} {wheel.stat().st_size / 2**20:5.1f} MiB zipped")
    print(f"  wheels: {zipped / 2**20:.1f} MiB zipped, {unpacked / 2**20:.1f} MiB unpacked")


def native_size() -> None:
    """Pango and what it loads, less what every Linux (and Lambda's image) has."""
    found = glob.glob("/usr/lib/*/libpangoft2-1.0.so.0")
    if not found:
        print("  native: libpangoft2 not found here")
        return
    out = subprocess.run(["ldd", found[0]], capture_output=True, text=True).stdout
    base = ("libc.so", "libm.so", "libz.so", "ld-linux", "linux-vdso", "libpthread", "libdl")
    libs = {found[0]} | {
        line.split("=>")[1].split()[0]
        for line in out.splitlines()
        if "=>" in line and not any(b in line for b in base)
    }
    total = sum(Path(lib).resolve().stat().st_size for lib in libs)
    print(f"  native: {len(libs)} libraries (Pango, HarfBuzz, FreeType, fontconfig, GLib, …)")
    print(f"          {total / 2**20:.1f} MiB unpacked (Debian 12 x86_64 builds)")


def fonts_size() -> None:
    fonts = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        zipped = Path(tmp) / "fonts.zip"
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
            for font in fonts:
                if Path(font).exists():
                    z.write(font, Path(font).name)
        raw = sum(Path(f).stat().st_size for f in fonts if Path(f).exists())
        packed = zipped.stat().st_size
        print(f"  fonts: {raw / 2**20:.1f} MiB unpacked, {packed / 2**20:.1f} MiB zipped")
    for font in fonts:
        if Path(font).exists():
            print(f"    {Path(font).name:<30} {Path(font).stat().st_size / 2**20:5.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--renderer", choices=("weasyprint", "chromium", "both"), default="both")
    parser.add_argument("--sizes", action="store_true", help="what WeasyPrint adds to Lambda")
    parser.add_argument("--once", metavar="NUMBER", help="render one invoice and exit")
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site or sample_site(Path(tmp) / "site")
        if args.once:
            render = (
                chromium_renderer()[0] if args.renderer == "chromium" else weasyprint_renderer()
            )
            sys.stdout.buffer.write(render(site, args.once))
            return
        print(f"PDF renderers on the sample's invoices (Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} cores); 'first' includes imports and start-up")  # fmt: skip
        names = ("weasyprint", "chromium") if args.renderer == "both" else (args.renderer,)
        for name in names:
            measure(name, site, args.runs)
    if args.sizes:
        print("What WeasyPrint adds to the Lambda function (beyond today's package):")
        wheels_size()
        native_size()
        fonts_size()


if __name__ == "__main__":
    main()
