import bridge.oneroster as oneroster


def test_every_exported_name_exists_and_the_list_is_sorted():
    assert all(hasattr(oneroster, name) for name in oneroster.__all__)
    assert list(oneroster.__all__) == sorted(oneroster.__all__)
