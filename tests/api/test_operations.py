"""The operation table mirrors the connector spec: 38 actions plus lists and webhooks."""

import pytest

from ptdata.api.operations import OPERATIONS, TARGETS, find_operation, get_operation


def test_table_has_every_operation_once():
    ids = [op.op_id for op in OPERATIONS]
    assert len(ids) == len(set(ids)) == 44
    assert sum(op.is_message for op in OPERATIONS) == 36
    contact_ops = {op.op_id for op in OPERATIONS if op.action == "contact"}
    assert contact_ops == {"CreateAContact", "UpdateAPowerTextorContact"}


def test_only_mms_actions_are_multipart_and_carry_an_attachment():
    multipart = {op.op_id for op in OPERATIONS if op.encoding == "multipart"}
    assert multipart == {"SendMMSGroup", "SendMMSNewContact", "SendMMSContacts"}
    for op_id in multipart:
        assert get_operation(op_id).field("Attachment").type == "file"


@pytest.mark.parametrize(
    ("action", "timing", "target", "op_id"),
    [
        ("text", "now", "numbers", "SendMessageToMultipleNumbers"),
        ("review", "scheduled", "group", "ScheduleReviewTextMessageForAGroup"),
        ("reminder", "event", "new_group", "SendTextEventReminderToNewGroup"),
        ("mms", "now", "number", "SendMMSNewContact"),
        ("text", "scheduled", "groups", "ScheduleMessageForGroups"),
    ],
)
def test_matrix_lookup(action, timing, target, op_id):
    assert find_operation(action, timing, target).op_id == op_id


def test_matrix_gaps_are_real_gaps():
    # the connector cannot schedule to a bare number, nor send MMS to several contacts
    assert find_operation("text", "scheduled", "number") is None
    assert find_operation("mms", "now", "contacts") is None
    assert all(find_operation("text", "now", t) for t in TARGETS)


def test_unknown_operation_suggests_the_closest():
    with pytest.raises(KeyError, match="SendTextMessageToANumber"):
        get_operation("SendTextMessageToNumber")
