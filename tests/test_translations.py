"""Polish, Slovak and Russian: every term of the addon and of its bridges is
translated, the placeholders of each message survive, and the languages load
into Odoo."""

import io
import re
from pathlib import Path

from babel.messages.pofile import read_po

from odoo.tests import tagged
from odoo.tools.translate import code_translations, trans_export

from .common import LeadPipelineCase

ROOT = Path(__file__).parents[1]
I18N = ROOT / "lead_pipeline" / "i18n"
#: the addon and its bridges, each with its own i18n/<addon>.pot and .po files
ADDONS = (
    "lead_pipeline",
    "lead_pipeline_sale",
    "lead_pipeline_sms",
    "lead_pipeline_hr_holidays",
    "lead_pipeline_website",
)
LANGUAGES = {"pl": "pl_PL", "sk": "sk_SK", "ru": "ru_RU"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestTranslations(LeadPipelineCase):
    def _terms_of_the_code(self, addon="lead_pipeline"):
        """The terms of an addon as Odoo exports them now, from the code and
        data of this very database: the .pot can never lag behind."""
        module = self.env["ir.module.module"].search([("name", "=", addon)])
        # a bridge missing from the test database would export no term at all
        self.assertEqual(module.state, "installed", f"{addon} must be installed to be checked")
        buffer = io.BytesIO()
        trans_export(False, [addon], buffer, "po", self.env.cr)
        return {message.id for message in read_po(io.BytesIO(buffer.getvalue())) if message.id}

    def test_every_term_translated_with_its_placeholders(self):
        for addon in ADDONS:
            i18n = ROOT / addon / "i18n"
            terms = self._terms_of_the_code(addon)
            self.assertTrue(terms, f"{addon} exports no term")
            pot = {m.id for m in read_po((i18n / f"{addon}.pot").open("rb")) if m.id}
            self.assertFalse(terms - pot, f"{addon}.pot is out of date: regenerate it")
            for language in LANGUAGES:
                with self.subTest(addon=addon, language=language):
                    catalog = {
                        m.id: m.string for m in read_po((i18n / f"{language}.po").open("rb"))
                    }
                    untranslated = sorted(term for term in terms if not catalog.get(term))
                    self.assertFalse(
                        untranslated, f"{addon}/i18n/{language}.po leaves terms untranslated"
                    )
                    for term in terms:
                        self.assertEqual(
                            sorted(PLACEHOLDER.findall(term)),
                            sorted(PLACEHOLDER.findall(catalog[term])),
                            f"{addon}/i18n/{language}.po changes the placeholders of {term!r}",
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

    def test_bridge_languages_load_into_odoo(self):
        """The bridges' messages and fields, in Polish, Slovak and Russian."""
        expected = {
            "pl_PL": ("SMS przy wejściu", "Oferta lub zamówienie wymaga klienta"),
            "sk_SK": ("SMS pri vstupe", "Ponuka alebo objednávka potrebuje zákazníka"),
            "ru_RU": ("SMS при входе", "Для предложения или заказа нужен клиент"),
        }
        modules = self.env["ir.module.module"].search([("name", "in", ADDONS[1:])])
        self.assertEqual(len(modules), len(ADDONS) - 1)
        refusal = "A quotation or order needs a customer: convert these leads first: %(leads)s"
        for code, (sms_label, refusal_start) in expected.items():
            with self.subTest(language=code):
                self.env["res.lang"]._activate_lang(code)
                modules._update_translations(filter_lang=[code], overwrite=True)
                env = self.env(context={"lang": code})
                field = env["ir.model.fields"]._get("lead_pipeline.status", "sms_template_id")
                self.assertEqual(field.field_description, sms_label)
                python_terms = code_translations.get_python_translations("lead_pipeline_sale", code)
                self.assertTrue(python_terms[refusal].startswith(refusal_start))
