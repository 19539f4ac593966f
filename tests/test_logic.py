"""The plain decision logic, without a database."""

from odoo.tests import BaseCase, tagged

from odoo.addons.lead_pipeline.logic.transitions import (
    StatusInfo,
    missing_required,
    most_advanced,
    move_allowed,
)

NEW = StatusInfo(1, "New", "new", 1, frozenset({2}))
WORKING = StatusInfo(2, "Working", "working", 2, frozenset())
QUALIFIED = StatusInfo(3, "Qualified", "qualified", 3, required_fields=(("email_from", "Email"),))
LOST = StatusInfo(4, "Lost", "disqualified", 9)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestTransitionLogic(BaseCase):
    def test_move_allowed_lists_and_any(self):
        self.assertTrue(move_allowed(NEW, WORKING))
        self.assertFalse(move_allowed(NEW, QUALIFIED))
        self.assertTrue(move_allowed(WORKING, LOST), "empty list means any move")
        self.assertTrue(move_allowed(None, QUALIFIED), "entering a first status is free")
        self.assertTrue(move_allowed(NEW, NEW))

    def test_missing_required_ignores_blank_strings(self):
        self.assertEqual(missing_required(QUALIFIED, {"email_from": "  "}), ["Email"])
        self.assertEqual(missing_required(QUALIFIED, {"email_from": "a@b.c"}), [])

    def test_most_advanced_by_category_then_sequence(self):
        self.assertEqual(most_advanced([LOST, NEW, QUALIFIED, WORKING]), QUALIFIED)
        self.assertEqual(most_advanced([LOST, None]), LOST)
        self.assertIsNone(most_advanced([]))
