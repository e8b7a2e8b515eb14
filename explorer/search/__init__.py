"""Questions over the indexes: finding a paper, ranking, fusion, explanations, evaluation."""
