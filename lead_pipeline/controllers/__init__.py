from . import mail_thread
from . import rpc
