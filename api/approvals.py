"""`/api/approvals`: the approvers' web page (list, one action, decide): the `lib.approvals.pages` Blueprint."""

from lib.approvals.pages import blueprint
from lib.web import create_app

app = create_app(__name__)
app.register_blueprint(blueprint)
