import contextvars

from odoo.http import route

from odoo.addons.base.controllers.rpc import RPC

#: True while an external XML-RPC / JSON-RPC call runs: Odoo dispatches those
#: outside the HTTP request, so intake could not tell them from code otherwise.
#: A context variable is local to the thread or task serving the call.
EXTERNAL_API_CALL = contextvars.ContextVar("lead_pipeline_external_api_call", default=False)


class LeadPipelineRPC(RPC):
    def _xmlrpc(self, service):
        token = EXTERNAL_API_CALL.set(True)
        try:
            return super()._xmlrpc(service)
        finally:
            EXTERNAL_API_CALL.reset(token)

    @route()
    def jsonrpc(self, service, method, args):
        token = EXTERNAL_API_CALL.set(True)
        try:
            return super().jsonrpc(service, method, args)
        finally:
            EXTERNAL_API_CALL.reset(token)
