"""Printable documents (DESIGN.md §1, reports): one print template per document, shown as a page for the
browser's print dialog and rendered to PDF by WeasyPrint from the very same HTML.

    return pdf.response(request, "elders/print/assessment.html", context, filename="能力评估报告.pdf")
    return pdf.page(request, "elders/print/assessment.html", context, pdf_url=...)

A print template extends `print/base.html`, which sets the page (A4, margins, page numbers in the
footer) and the font. The CJK font is resolved once, here, from the fonts installed on the machine
(fontconfig, the same source Pango reads): `settings.PDF_FONT_FAMILY` when set, otherwise the first of
`PREFERRED_FONTS` that is installed, otherwise any font that covers Chinese. Without one a PDF would
show empty boxes, so rendering refuses with `ImproperlyConfigured` instead (scripts/install-system-packages
installs Debian's fonts-wqy-microhei for development and CI).

WeasyPrint fetches nothing from outside while rendering: the URL fetcher answers `data:` URIs only, so
a stored text can never make the server read a local file or call an address. Photos go into a
document as `data:` URIs (`data_uri`).
"""

import base64
import shutil
import subprocess
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

# Fonts that cover Simplified Chinese well, best first; each is a Debian package or a common system font.
PREFERRED_FONTS = (
    "Noto Sans CJK SC",  # fonts-noto-cjk
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",  # fonts-wqy-microhei
    "WenQuanYi Zen Hei",  # fonts-wqy-zenhei
    "Noto Serif CJK SC",
    "AR PL UMing CN",  # fonts-arphic-uming
)
# What a browser printing the HTML page falls back to on an officer's own computer.
BROWSER_FALLBACKS = ("Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "SimSun", "sans-serif")
PDF = "application/pdf"


def _installed_families() -> list[str]:
    """The font families fontconfig knows that cover Chinese (`fc-list :lang=zh`), each name once."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    output = subprocess.run(  # noqa: S603 - a fixed program and arguments
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    families = []
    for line in output.splitlines():
        for name in line.split(","):
            name = name.strip()
            if name and name not in families:
                families.append(name)
    return families


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of the CJK font documents are set in; ImproperlyConfigured when none is installed."""
    configured = getattr(settings, "PDF_FONT_FAMILY", "")
    installed = _installed_families()
    if configured:
        if configured not in installed:
            raise ImproperlyConfigured(f"PDF_FONT_FAMILY={configured!r} is not an installed font covering Chinese")
        return configured
    for name in PREFERRED_FONTS:
        if name in installed:
            return name
    if installed:
        return installed[0]
    raise ImproperlyConfigured(
        "No font covering Chinese is installed: install Debian's fonts-wqy-microhei or fonts-noto-cjk "
        "(scripts/install-system-packages does)"
    )


def font_stack() -> str:
    """The CSS font-family of every printed document: the resolved font first, then browser fallbacks."""
    names = [cjk_font(), *(n for n in BROWSER_FALLBACKS if n != cjk_font())]
    return ", ".join(n if n == "sans-serif" else f'"{n}"' for n in names)


def data_uri(stored, content_type: str) -> str:
    """A stored file (a FieldFile) as a data: URI, to put a photo into a document."""
    with stored.open("rb") as handle:
        return f"data:{content_type};base64,{base64.b64encode(handle.read()).decode('ascii')}"


def url_fetcher():
    """WeasyPrint's fetcher answering data: URIs only: no file, no address, no redirect."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=5)


def _context(context: dict, *, for_pdf: bool, pdf_url: str = "") -> dict:
    return {**context, "print_font": font_stack(), "for_pdf": for_pdf, "pdf_url": pdf_url}


def render_pdf(template_name: str, context: dict, request=None) -> bytes:
    """The PDF of a print template rendered with `context`."""
    from weasyprint import HTML

    html = render_to_string(template_name, _context(context, for_pdf=True), request=request)
    return HTML(string=html, url_fetcher=url_fetcher(), media_type="print").write_pdf()


def response(request, template_name: str, context: dict, *, filename: str) -> HttpResponse:
    """An application/pdf answer shown in the browser (inline), saved under `filename`."""
    answer = HttpResponse(render_pdf(template_name, context, request=request), content_type=PDF)
    answer["Content-Disposition"] = content_disposition_header(False, filename)
    answer["Cache-Control"] = "private, no-store"
    return answer


def page(request, template_name: str, context: dict, *, pdf_url: str = "") -> HttpResponse:
    """The same template as a page, for the browser's print dialog, with a link to its PDF."""
    answer = render(request, template_name, _context(context, for_pdf=False, pdf_url=pdf_url))
    answer["Cache-Control"] = "private, no-store"
    return answer
