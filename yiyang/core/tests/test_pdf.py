"""The one rendering module of printed documents: the CJK font comes from the installed fonts, is
embedded in every PDF, and its absence is an error rather than a document of empty boxes."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader

from conftest import pdf_pages
from yiyang.core import pdf


@pytest.fixture(autouse=True)
def fresh_font_cache():
    pdf.cjk_font.cache_clear()
    yield
    pdf.cjk_font.cache_clear()


def test_an_installed_cjk_font_is_found_and_embedded():
    font = pdf.cjk_font()
    assert font in pdf.PREFERRED_FONTS, font  # CI installs fonts-wqy-microhei (scripts/install-system-packages)
    content = pdf.render_pdf("print/base.html", {})
    assert pdf_pages(content) == ["第 1 页，共 1 页"]
    fonts = PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/Font"]
    names = {str(ref.get_object()["/BaseFont"]) for ref in fonts.values()}
    assert any(font.replace(" ", "-") in name or font.replace(" ", "") in name for name in names), names


def test_without_a_cjk_font_rendering_refuses(monkeypatch):
    monkeypatch.setattr(pdf, "_installed_families", lambda: [])
    with pytest.raises(ImproperlyConfigured, match="fonts-wqy-microhei"):
        pdf.render_pdf("print/base.html", {})


def test_a_configured_font_must_be_installed(settings):
    settings.PDF_FONT_FAMILY = "No Such Font SC"
    with pytest.raises(ImproperlyConfigured):
        pdf.cjk_font()
    settings.PDF_FONT_FAMILY = pdf._installed_families()[0]
    pdf.cjk_font.cache_clear()
    assert pdf.cjk_font() == settings.PDF_FONT_FAMILY


def test_the_font_stack_starts_with_the_installed_font():
    assert pdf.font_stack().startswith(f'"{pdf.cjk_font()}", ') and pdf.font_stack().endswith("sans-serif")
