"""Photos uploaded from phones (inspection findings, rectification evidence, service records, cadres'
portraits): only JPEG, PNG or WebP, recognised by their first bytes rather than by the name or type the
browser sends, never stored under the uploader's file name, and served only by views that checked the
row's scope first."""

from django.http import FileResponse
from django.utils import timezone
from django.utils.deconstruct import deconstructible

PHOTO_TYPES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"RIFF": "webp"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS_PER_UPLOAD = 9


def photo_kind(upload) -> str | None:
    """'jpg', 'png' or 'webp' from the file's first bytes; None for anything else."""
    head = upload.read(12)
    upload.seek(0)
    for magic, extension in PHOTO_TYPES.items():
        if head.startswith(magic) and (extension != "webp" or head[8:12] == b"WEBP"):
            return extension
    return None


def photo_errors(files: list, field: str) -> dict[str, str]:
    """{field: reason} for the first file that is too many, too large or not a photo; {} when all pass."""
    if len(files) > MAX_PHOTOS_PER_UPLOAD:
        return {field: f"一次最多上传 {MAX_PHOTOS_PER_UPLOAD} 张照片"}
    for upload in files:
        if upload.size > MAX_PHOTO_BYTES:
            return {field: f"照片“{upload.name}”超过 5 MB"}
        if photo_kind(upload) is None:
            return {field: f"“{upload.name}”不是 JPEG、PNG 或 WebP 照片"}
    return {}


def content_type(extension: str) -> str:
    return f"image/{'jpeg' if extension == 'jpg' else extension}"


@deconstructible
class PhotoPath:
    """`upload_to` of a photo field: <folder>/<county>/<yyyymm>/<timestamp>.<extension>. The uploader's
    file name is dropped: it may hold personal data or path tricks."""

    def __init__(self, folder: str, extension_field: str = "extension"):
        self.folder, self.extension_field = folder, extension_field

    def __call__(self, instance, filename: str) -> str:
        stamp = timezone.now()
        extension = getattr(instance, self.extension_field)
        return f"{self.folder}/{instance.county_code}/{stamp:%Y%m}/{stamp:%d%H%M%S%f}.{extension}"

    def __eq__(self, other) -> bool:
        return isinstance(other, PhotoPath) and (self.folder, self.extension_field) == (
            other.folder,
            other.extension_field,
        )


def store(instance, upload, *, field: str = "file", extension_field: str = "extension") -> None:
    """Put a checked upload (see `photo_errors`) into a row's photo field; the caller saves the row."""
    setattr(instance, extension_field, photo_kind(upload))
    getattr(instance, field).save("photo", upload, save=False)


def serve(stored, extension: str) -> FileResponse:
    """The response for a stored photo, for a view that has already checked the row's scope."""
    return FileResponse(stored.open("rb"), content_type=content_type(extension))
