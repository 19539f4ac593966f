from . import convert_wizard
from . import crm_lead_to_opportunity
from . import quick_entry
from . import routing_dry_run
from . import bookkeeping_wizard
