"""Serve a whitelist of built front-end files from node_modules as static files.

npm installs whole packages (ECharts alone is 46 MB); only the files named in settings.VENDOR_STATIC
are collected and served, under the names the templates use.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Warning as CheckWarning
from django.core.files.storage import FileSystemStorage


class NodeModulesFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        self.root = Path(settings.NODE_MODULES)
        self.files = dict(settings.VENDOR_STATIC)
        self.storage = FileSystemStorage(location=str(self.root))

    def check(self, **kwargs):
        missing = [src for src in self.files.values() if not (self.root / src).is_file()]
        if missing:
            return [
                CheckWarning(f"前端依赖文件缺失，请先运行 npm ci：{missing[0]} 等 {len(missing)} 个", id="yiyang.W001")
            ]
        return []

    def find(self, path, find_all=False, **kwargs):
        source = self.files.get(path)
        if source and (self.root / source).is_file():
            found = str(self.root / source)
            return [found] if find_all else found
        return [] if find_all else None

    def list(self, ignore_patterns):
        storage = _VendorStorage(self.root, self.files)
        for name, source in self.files.items():
            if (self.root / source).is_file():
                yield name, storage


class _VendorStorage(FileSystemStorage):
    """Present node_modules files under their static names during collectstatic."""

    def __init__(self, root: Path, files: dict[str, str]):
        super().__init__(location=str(root))
        self.files = files

    def path(self, name):
        return super().path(self.files.get(name, name))
