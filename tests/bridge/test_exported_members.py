"""`bridge.__all__` names exactly what the package's face imports, and each of them exists."""

import bridge


def test_all_names_exist():
    for name in bridge.__all__:
        assert hasattr(bridge, name), name


def test_every_public_import_is_exported():
    public = {
        name
        for name, value in vars(bridge).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("bridge.")
    }
    assert public == set(bridge.__all__)
