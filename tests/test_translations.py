"""Polish, Slovak and Russian: every term of the addon is translated, the
placeholders of each message survive, and the languages load into Odoo."""

import io
import re
from pathlib import Path

from babel.messages.pofile import read_po

from odoo.tests import tagged
from odoo.tools.translate import code_translations, trans_export

from .common import LeadPipelineCase

I18N = Path(__file__).parents[1] / "lead_pipeline" / "i18n"
LANGUAGES = {"pl": "pl_PL", "sk": "sk_SK", "ru": "ru_RU"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestTranslations(LeadPipelineCase):
    def _terms_of_the_code(self):
        """The terms of the addon as Odoo exports them now, from the code and
        data of this very database: the .pot can never lag behind."""
        buffer = io.BytesIO()
        trans_export(False, ["lead_pipeline"], buffer, "po", self.env.cr)
        return {message.id for message in read_po(io.BytesIO(buffer.getvalue())) if message.id}

    def test_every_term_translated_with_its_placeholders(self):
        terms = self._terms_of_the_code()
        pot = {m.id for m in read_po((I18N / "lead_pipeline.pot").open("rb")) if m.id}
        self.assertFalse(terms - pot, "lead_pipeline.pot is out of date: regenerate it")
        for language in LANGUAGES:
            with self.subTest(language=language):
                catalog = {m.id: m.string for m in read_po((I18N / f"{language}.po").open("rb"))}
                untranslated = sorted(term for term in terms if not catalog.get(term))
                self.assertFalse(untranslated, f"{language}.po leaves terms untranslated")
                for term in terms:
                    self.assertEqual(
                        sorted(PLACEHOLDER.findall(term)),
                        sorted(PLACEHOLDER.findall(catalog[term])),
                        f"{language}.po changes the placeholders of {term!r}",
                    )

    def test_languages_load_into_odoo(self):
        expected = {
            "pl_PL": ("Skontaktowano", "Budżet", "Żadna reguła nie bierze tego leada."),
            "sk_SK": ("Kontaktovaný", "Rozpočet", "Žiadne pravidlo neberie tento lead."),
            "ru_RU": ("Связались", "Бюджет", "Ни одно правило не берёт этот лид."),
        }
        module = self.env["ir.module.module"].search([("name", "=", "lead_pipeline")])
        for code, (status, criterion, message) in expected.items():
            with self.subTest(language=code):
                self.env["res.lang"]._activate_lang(code)
                module._update_translations(filter_lang=[code], overwrite=True)
                env = self.env(context={"lang": code})
                self.assertEqual(env.ref("lead_pipeline.status_contacted").name, status)
                self.assertEqual(env.ref("lead_pipeline.criterion_bant_budget").name, criterion)
                # a message of the Python code
                python_terms = code_translations.get_python_translations("lead_pipeline", code)
                self.assertEqual(python_terms["No rule takes this lead."], message)
