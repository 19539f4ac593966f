from . import convert_wizard
