from . import (
    crm_lead,
    lead_contact,
    lead_status,
    lead_type,
    res_config_settings,
    status_history,
    utm_source,
)
