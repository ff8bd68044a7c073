"""Human approval of agent actions: the request store, signed links, Slack and the decision path.

`store` keeps one request per action (compare-and-set), `decisions.submit_decision`
is what every approver channel calls, `notify` tells approvers, `links` signs the
web page's URLs and forms, `slack` speaks to Slack, `pages` renders the web page.
"""

from datetime import timedelta

# How long an approval request stays open, and so how long its signed link is good for.
APPROVAL_TTL = timedelta(hours=24)
