import pytest

from lti.launch import Audience, audience_for, is_admin

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("roles", "audience"),
    [
        ([LIS + "membership#Instructor"], Audience.TEACHER),
        ([LIS + "membership/Instructor#TeachingAssistant"], Audience.TEACHER),
        ([LIS + "membership#TeachingAssistant"], Audience.TEACHER),
        (["Instructor"], Audience.TEACHER),  # Moodle's short form
        ([LIS + "membership#Learner"], Audience.STUDENT),
        (["Learner"], Audience.STUDENT),
        ([LIS + "institution/person#Administrator"], Audience.ADMIN),
        ([LIS + "system/person#Administrator"], Audience.ADMIN),
        ([LIS + "institution/person#Student", LIS + "membership#Learner"], Audience.STUDENT),
        ([LIS + "membership#Mentor"], Audience.NONE),
        ([LIS + "institution/person#Instructor"], Audience.NONE),
        ([], Audience.NONE),
    ],
)
def test_roles_choose_the_landing_page(roles, audience):
    assert audience_for(roles) == audience


def test_admin_flag_comes_from_institution_or_system_roles():
    assert is_admin([LIS + "institution/person#Administrator", LIS + "membership#Instructor"])
    assert not is_admin([LIS + "membership#Instructor"])
