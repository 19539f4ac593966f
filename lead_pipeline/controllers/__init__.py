from . import mail_thread
from . import rpc
from . import web_form
