"""`/api/dashboard`: the support team's figures, trend and trust per app: the `lib.dashboard.views` Blueprint."""

from lib.dashboard.views import blueprint
from lib.web import create_app

app = create_app(__name__)
app.register_blueprint(blueprint)
