"""Settings for the test suite: fast hashing, tasks run in-process, static files from the finders."""

import tempfile

from .settings import *  # noqa: F403
from .settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
AXES_ENABLED = True

# Uploaded photos of a test run go to a throwaway folder, never into var/media.
MEDIA_ROOT = tempfile.mkdtemp(prefix="yiyang-test-media-")
