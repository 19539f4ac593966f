"""18.0.1.1.0 adds the date a lead first qualified (for the analytics):
fill it for leads that qualified before the upgrade, from their history."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE crm_lead lead
           SET lead_qualified_date = first_entry.date
          FROM (
              SELECT history.lead_id, min(history.date) AS date
                FROM lead_pipeline_status_history history
                JOIN lead_pipeline_status status ON status.id = history.to_status_id
               WHERE status.category = 'qualified'
               GROUP BY history.lead_id
          ) first_entry
         WHERE lead.id = first_entry.lead_id
           AND lead.lead_qualified_date IS NULL
        """
    )
