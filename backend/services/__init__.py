"""What the routes call: plain functions over the RunStore, the executor and the models library."""
