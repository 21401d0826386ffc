import pytest

from bridge.paging import next_link, parse_links


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '<https://lms/x?page=2>; rel="next", <https://lms/x?page=9>; rel="last"',
            "https://lms/x?page=2",
        ),
        # Moodle: curly quotes and &amp; in the URL
        (
            "<https://moodle/mod/lti/services.php/2/lineitems?type_id=1&amp;limit=10&amp;from=10>;"
            " rel=“next”",
            "https://moodle/mod/lti/services.php/2/lineitems?type_id=1&limit=10&from=10",
        ),
        ("<https://lms/x?page=2>; rel=next", "https://lms/x?page=2"),
        ('<https://lms/x?page=1>; rel="prev first"', None),
        ("", None),
        (None, None),
    ],
)
def test_next_link(header, expected):
    assert next_link(header) == expected


def test_several_rels_share_one_url():
    links = parse_links('<https://lms/a>; rel="first prev", <https://lms/b>; rel="next"')
    assert links == {"first": "https://lms/a", "prev": "https://lms/a", "next": "https://lms/b"}
