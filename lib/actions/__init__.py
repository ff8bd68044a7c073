"""Actions the agent proposes for a customer: their kinds (`kinds`) and their stored lifecycle (`store`)."""
