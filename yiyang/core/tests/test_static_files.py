from django.core.management import call_command


def test_collectstatic_with_the_production_storage_finds_every_vendored_file(settings, tmp_path):
    """`make run` serves hashed, compressed static files; a missing file or source map breaks it."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    for name in settings.VENDOR_STATIC:
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / "staticfiles.json").is_file()
