"""Process and outcome reward models: checkpoint conventions, token-budget batching, training."""
