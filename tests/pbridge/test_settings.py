import pytest

from pbridge.errors import SettingsError
from pbridge.settings import Settings


def test_environment_over_defaults():
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgres://u@db/pb",
            "PBRIDGE_BASE_URL": "https://pb.district.org/",
            "PBRIDGE_BEHIND_PROXY": "yes",
            "PBRIDGE_HTTP_TIMEOUT": "2.5",
            "PBRIDGE_PLATFORM_CONCURRENCY": "3",
            "PBRIDGE_RECOMPUTE_PASS_STUDENTS": "250",
            "PBRIDGE_LOG_LEVEL": "debug",
            "REDIS_URL": "",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u@db/pb"
    assert settings.base_url == "https://pb.district.org"
    assert settings.is_https and settings.behind_proxy
    assert settings.http_timeout == 2.5
    assert settings.platform_concurrency == 3
    assert settings.recompute_pass_students == 250
    assert settings.log_level == "DEBUG"
    assert settings.redis_url is None  # empty means unset


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PBRIDGE_HTTP_TIMEOUT", "soon", "PBRIDGE_HTTP_TIMEOUT='soon' is not a number"),
        ("PBRIDGE_CLOCK_LEEWAY", "1.5", "PBRIDGE_CLOCK_LEEWAY='1.5' is not a whole number"),
        ("PBRIDGE_BEHIND_PROXY", "maybe", "PBRIDGE_BEHIND_PROXY='maybe' is not a yes/no value"),
        ("PBRIDGE_RECOMPUTE_PASS_STUDENTS", "0", "PBRIDGE_RECOMPUTE_PASS_STUDENTS='0' must be 1 or more"),
    ],
)
def test_bad_values_name_the_variable(variable, value, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env({variable: value})
