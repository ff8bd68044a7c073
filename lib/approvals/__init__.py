"""Human approval of agent actions: the request store, signed links, Slack and the decision path.

`store` keeps one request per action (compare-and-set), `decisions.submit_decision`
is what every approver channel calls, `notify` tells approvers, `links` signs the
web page's URLs and forms, `slack` speaks to Slack, `pages` renders the web page.
"""
