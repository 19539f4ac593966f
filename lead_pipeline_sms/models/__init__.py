from . import lead_status
from . import crm_lead
